/*
 * FPU, SSE and AVX state. Every user thread has its own save area, saved and
 * restored eagerly at each switch between threads (xsave/xrstor when the CPU
 * has them, fxsave/fxrstor otherwise). The kernel never uses these registers
 * (it is built with -mgeneral-regs-only), so traps and syscalls need not save them.
 */
#include <k/hot.h>
#include <k/sched.h>
#include <k/log.h>
#include <k/percpu.h>
#include <arch/cpu.h>
#include <base/string.h>

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)

static KHOT int use_xsave;
static KHOT uint64_t xcr0;
static uint64_t state_size = 512;
static uint32_t mxcsr_mask = 0xffbf; /* the default when FXSAVE reports 0 */
static uint32_t comp_offset[64], comp_size[64]; /* XSAVE standard-format layout, components >= 2 */

#define XSAVE_HEADER 512
#define XSAVE_HEADER_SIZE 64
#define MXCSR_OFFSET 24

/* The MXCSR bits this CPU accepts, from the MXCSR_MASK field of an FXSAVE image. */
static void probe_mxcsr_mask(void)
{
    static uint8_t img[512] __attribute__((aligned(64)));
    __asm__ volatile("fxsave64 (%0)" ::"r"(img) : "memory");
    uint32_t m;
    memcpy(&m, img + 28, 4);
    if (m)
        mxcsr_mask = m;
}

static inline void xsetbv(uint32_t reg, uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void fpu_init_cpu(void)
{
    uint32_t a, b, c, d;
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    cpuid(1, 0, &a, &b, &c, &d);
    int has_xsave = (c >> 26) & 1;
    if (has_xsave) {
        write_cr4(read_cr4() | CR4_OSXSAVE);
        cpuid(0xd, 0, &a, &b, &c, &d);
        uint64_t supported = ((uint64_t)d << 32) | a;
        /* x87, SSE, AVX; further components (AVX-512, ...) as the CPU offers them */
        uint64_t want = supported & (0x7 | 0xe0);
        xsetbv(0, want);
        cpuid(0xd, 0, &a, &b, &c, &d);
        if (!use_xsave && this_cpu()->id == 0) {
            xcr0 = want;
            state_size = b;
            use_xsave = 1;
            for (uint32_t i = 2; i < 64; i++) {
                if (!((want >> i) & 1))
                    continue;
                uint32_t sa, sb, sc, sd;
                cpuid(0xd, i, &sa, &sb, &sc, &sd);
                comp_size[i] = sa;
                comp_offset[i] = sb;
            }
            log_info("fpu: xsave, components 0x%lx, %lu bytes per thread", xcr0, state_size);
        }
    } else if (this_cpu()->id == 0) {
        log_info("fpu: fxsave, 512 bytes per thread");
    }
    __asm__ volatile("fninit");
    if (this_cpu()->id == 0)
        probe_mxcsr_mask();
}

uint64_t fpu_state_size(void)
{
    return state_size;
}

void fpu_init_state(void *area)
{
    uint8_t *p = area;
    memset(p, 0, state_size);
    /* legacy area: FCW 0x37f, MXCSR 0x1f80; xsave header (offset 512) all zero = init state */
    p[0] = 0x7f;
    p[1] = 0x03;
    uint32_t mxcsr = 0x1f80;
    memcpy(p + 24, &mxcsr, 4);
}

void fpu_save(void *area);
void fpu_restore(const void *area);

void fpu_save(void *area)
{
    if (use_xsave)
        __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

void fpu_restore(const void *area)
{
    if (use_xsave)
        __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

sk_error_t fpu_image_check(const void *img)
{
    const uint8_t *p = img;
    uint32_t mxcsr;
    memcpy(&mxcsr, p + MXCSR_OFFSET, 4);
    if (mxcsr & ~mxcsr_mask)
        return SK_ERR_INVALID; /* fxrstor/xrstor would raise #GP */
    if (use_xsave) {
        uint64_t bv;
        memcpy(&bv, p + XSAVE_HEADER, 8);
        if (bv & ~xcr0)
            return SK_ERR_INVALID;
        /* XCOMP_BV (compacted format) and the reserved rest of the header must be 0 */
        for (unsigned i = XSAVE_HEADER + 8; i < XSAVE_HEADER + XSAVE_HEADER_SIZE; i++)
            if (p[i])
                return SK_ERR_INVALID;
    }
    return SK_OK;
}

void fpu_image_normalise(void *img)
{
    if (!use_xsave)
        return;
    uint8_t *p = img;
    uint64_t bv;
    memcpy(&bv, p + XSAVE_HEADER, 8);
    uint64_t missing = xcr0 & ~bv;
    if (missing & 1) { /* x87: FCW 0x37f, everything else 0 (MXCSR at 24 is not x87's) */
        memset(p, 0, MXCSR_OFFSET);
        memset(p + 32, 0, 128);
        p[0] = 0x7f;
        p[1] = 0x03;
    }
    if (missing & 2) /* SSE: xmm0-15 */
        memset(p + 160, 0, 256);
    for (unsigned i = 2; i < 64; i++)
        if (((missing >> i) & 1) && comp_offset[i] + comp_size[i] <= state_size)
            memset(p + comp_offset[i], 0, comp_size[i]);
    bv |= xcr0;
    memcpy(p + XSAVE_HEADER, &bv, 8);
}
