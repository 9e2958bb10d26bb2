/*
 * test-observe-regs: the register sets of a stopped thread (thread_get_regs /
 * thread_set_regs, include/skoll/observe.h). FS/GS bases and xmm0 written by
 * the supervisor are seen by the thread; rflags is sanitised; then hostile
 * input — unknown kinds, wrong sizes, bad pointers, non-canonical and kernel
 * addresses, changed selectors, FPU images the CPU would refuse — gives errors
 * and leaves the thread as it was.
 */
#include "observe_util.h"

#define SC(n) ((uint64_t)SK_SUPERCALL_BASE + (n))
#define KPTR 0xffff800000000000ull
#define KTEXT 0xffffffff80000000ull
#define NONCANON 0x0000800000000000ull

static struct rawq Q;

/* Stop the child at its next supercall and check that it did. */
static int at_supercall(struct child *c, uint64_t nr)
{
    struct sk_cqe e;
    if (!observe_next(&Q, c->h, &e))
        return 0;
    return e.error == SK_OK && e.value == SK_STOP_SUPERCALL && e.value2 == nr;
}

/* ---- FS and GS base ---- */

static uint64_t tls_a[2] = {0xaaaa, 0xa1a1}, tls_b[2] = {0xbbbb, 0xb1b1};
static volatile uint64_t fs_seen, gs_seen;

static int do_bases(void *arg)
{
    (void)arg;
    sk_thread_set_base(SK_BASE_FS, (uint64_t)tls_a);
    supercall(SC(1), 0, 0, 0, 0, 0, 0, NULL);
    uint64_t f, g;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(f));
    __asm__ volatile("movq %%gs:8, %0" : "=r"(g));
    fs_seen = f;
    gs_seen = g;
    return 0;
}

SK_TEST(fs_gs_base_read_and_written)
{
    struct child c = {0};
    struct sk_base_regs b;
    fs_seen = gs_seen = 0;
    TRY_OK(child_start(&c, do_bases, NULL, SK_THREAD_OBSERVED));
    TRY(at_supercall(&c, SC(1)));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_BASES, &b, sizeof b));
    SK_EXPECT_EQ(b.fs_base, (uint64_t)tls_a);
    SK_EXPECT_EQ(b.gs_base, 0);
    struct sk_base_regs bad = {KPTR, 0};
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_BASES, &bad, sizeof bad), SK_ERR_OUT_OF_RANGE);
    bad = (struct sk_base_regs){0, NONCANON};
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_BASES, &bad, sizeof bad), SK_ERR_OUT_OF_RANGE);
    bad = (struct sk_base_regs){SK_USER_TOP, 0};
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_BASES, &bad, sizeof bad), SK_ERR_OUT_OF_RANGE);
    b.fs_base = (uint64_t)tls_b;
    b.gs_base = (uint64_t)tls_b;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_BASES, &b, sizeof b));
    TRY_OK(sk_thread_resume(c.h));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE);
    SK_EXPECT_EQ(fs_seen, 0xbbbb);
    SK_EXPECT_EQ(gs_seen, 0xb1b1);
}

/* ---- FPU ---- */

static volatile uint64_t xmm0_seen, mxcsr_seen;

static int do_fpu(void *arg)
{
    (void)arg;
    uint64_t in = 0x1122334455667788ull, out, rax = SC(2);
    __asm__ volatile("movq %[in], %%xmm0\n\t"
                     "syscall\n\t"
                     "movq %%xmm0, %[out]"
                     : [out] "=r"(out), "+a"(rax)
                     : [in] "r"(in)
                     : "rcx", "r11", "rdi", "rsi", "rdx", "r8", "r9", "r10", "xmm0", "memory");
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    xmm0_seen = out;
    mxcsr_seen = m;
    return 0;
}

static uint64_t get64(const uint8_t *p, unsigned off)
{
    uint64_t v;
    memcpy(&v, p + off, 8);
    return v;
}

static void put64(uint8_t *p, unsigned off, uint64_t v)
{
    memcpy(p + off, &v, 8);
}

SK_TEST(fpu_state_read_and_written)
{
    struct child c = {0};
    uint8_t *img = NULL, *bad = NULL;
    uint64_t size = 0;
    xmm0_seen = mxcsr_seen = 0;
    TRY_OK(child_start(&c, do_fpu, NULL, SK_THREAD_OBSERVED));
    TRY(at_supercall(&c, SC(2)));
    TRY_OK(sk_thread_regs_size(c.h, SK_REGS_FPU, &size));
    TRY(size >= SK_FPU_LEGACY_SIZE && size <= 64 * 1024);
    img = sk_malloc(size);
    bad = sk_malloc(size);
    TRY(img && bad);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_FPU, img, size - 1), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_FPU, img, size + 1), SK_ERR_INVALID);
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_FPU, img, size));
    SK_EXPECT_EQ(get64(img, SK_FPU_XMM0), 0x1122334455667788ull);
    uint32_t mxcsr;
    memcpy(&mxcsr, img + SK_FPU_MXCSR, 4);
    SK_EXPECT_EQ(mxcsr & 0xffff, 0x1f80);

    /* images the CPU would refuse: errors, nothing written */
    memcpy(bad, img, size);
    uint32_t m = mxcsr | (1u << 16); /* reserved */
    memcpy(bad + SK_FPU_MXCSR, &m, 4);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, bad, size), SK_ERR_INVALID);
    m = 0xffffffffu;
    memcpy(bad + SK_FPU_MXCSR, &m, 4);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, bad, size), SK_ERR_INVALID);
    if (size > SK_FPU_LEGACY_SIZE) {
        memcpy(bad, img, size);
        put64(bad, SK_FPU_XSTATE_BV, get64(img, SK_FPU_XSTATE_BV) | 1ull << 62); /* not enabled */
        SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, bad, size), SK_ERR_INVALID);
        memcpy(bad, img, size);
        put64(bad, SK_FPU_XSTATE_BV + 8, 1ull << 63); /* XCOMP_BV: compacted format */
        SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, bad, size), SK_ERR_INVALID);
        memcpy(bad, img, size);
        bad[SK_FPU_XSTATE_BV + 20] = 1; /* reserved header bytes */
        SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, bad, size), SK_ERR_INVALID);
    }
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, img, size - 16), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_FPU, (void *)KPTR, size), SK_ERR_FAULT);

    /* a good image: xmm0 and MXCSR (round toward zero) change */
    put64(img, SK_FPU_XMM0, 0xdeadbeefcafef00dull);
    mxcsr = 0x7f80;
    memcpy(img + SK_FPU_MXCSR, &mxcsr, 4);
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_FPU, img, size));
    TRY_OK(sk_thread_resume(c.h));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE);
    SK_EXPECT_EQ(xmm0_seen, 0xdeadbeefcafef00dull);
    SK_EXPECT_EQ(mxcsr_seen, 0x7f80);
    sk_free(img);
    sk_free(bad);
}

/* ---- general registers and hostile input ---- */

static volatile uint64_t hostile_rax;

static int do_one_supercall(void *arg)
{
    (void)arg;
    hostile_rax = supercall(SC(3), 0, 0, 0, 0, 0, 0, NULL);
    return 0;
}

/* A buffer whose last 8 bytes are the last of a mapping: anything longer faults. */
static uint8_t *edge_buffer(void **map)
{
    if (sk_mem_map_anon(2 * SK_PAGE_SIZE, SK_PROT_READ | SK_PROT_WRITE, map, NULL) != SK_OK)
        return NULL;
    sk_space_protect(SK_THIS_SPACE, (uint64_t)*map + SK_PAGE_SIZE, SK_PAGE_SIZE, 0);
    return (uint8_t *)*map + SK_PAGE_SIZE - 8;
}

SK_TEST(general_registers_and_hostile_values)
{
    struct child c = {0};
    struct sk_gregs g, orig, x;
    uint64_t n = 0;
    void *map = NULL;
    hostile_rax = 0;
    TRY_OK(child_start(&c, do_one_supercall, NULL, SK_THREAD_OBSERVED));
    TRY(at_supercall(&c, SC(3)));
    TRY_OK(sk_thread_regs_size(c.h, SK_REGS_GENERAL, &n));
    SK_EXPECT_EQ(n, sizeof(struct sk_gregs));
    TRY_OK(sk_thread_regs_size(c.h, SK_REGS_BASES, &n));
    SK_EXPECT_EQ(n, sizeof(struct sk_base_regs));
    TRY_OK(sk_thread_regs_size(c.h, SK_REGS_STOP, &n));
    SK_EXPECT_EQ(n, sizeof(struct sk_stop_info));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &orig, sizeof orig));
    SK_EXPECT_EQ(orig.rax, SC(3));
    SK_EXPECT(orig.rflags & 0x200);
    struct sk_stop_info si;
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_STOP, &si, sizeof si));
    SK_EXPECT_EQ(si.reason, SK_STOP_SUPERCALL);
    SK_EXPECT_EQ(si.number, SC(3));
    SK_EXPECT_EQ(si.rip, orig.rip);

    /* kinds and sizes */
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_KINDS, &g, sizeof g), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, 99, &g, sizeof g), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_raw_thread_get_regs((uint64_t)c.h, 1ull << 32, (uint64_t)&g, sizeof g, NULL), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, 8), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g + 1), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, 1ull << 63), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &orig, 0), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &orig, sizeof orig - 8), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, 99, &orig, sizeof orig), SK_ERR_INVALID);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_STOP, &si, sizeof si), SK_ERR_INVALID); /* read only */
    /* pointers */
    uint8_t *edge = edge_buffer(&map);
    TRY(edge);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, NULL, sizeof g), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, (void *)KPTR, sizeof g), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, (void *)NONCANON, sizeof g), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, edge, sizeof g), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_GENERAL, (void *)KTEXT, sizeof g), SK_ERR_FAULT);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_GENERAL, edge, sizeof g), SK_ERR_FAULT);
    SK_EXPECT_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, (uint8_t *)&g + 1 - 1, sizeof g));
    /* values */
    static const struct {
        unsigned field; /* index of the uint64_t in struct sk_gregs */
        uint64_t value;
        sk_error_t want;
    } rows[] = {
        {16, NONCANON, SK_ERR_OUT_OF_RANGE},     {16, KTEXT, SK_ERR_OUT_OF_RANGE},
        {16, SK_USER_TOP, SK_ERR_OUT_OF_RANGE},  {16, ~0ull, SK_ERR_OUT_OF_RANGE},
        {7, KPTR, SK_ERR_OUT_OF_RANGE},          {7, NONCANON + 8, SK_ERR_OUT_OF_RANGE},
        {18, 0x08, SK_ERR_INVALID} /* cs */,     {18, 0x1b, SK_ERR_INVALID} /* 32-bit */,
        {19, 0, SK_ERR_INVALID} /* ss */,        {19, 0x2b, SK_ERR_INVALID},
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        x = orig;
        ((uint64_t *)&x)[rows[i].field] = rows[i].value;
        sk_error_t e = sk_thread_set_regs(c.h, SK_REGS_GENERAL, &x, sizeof x);
        if (e != rows[i].want)
            sk_test_fail(__FILE__, __LINE__, "row %u: %s, want %s", i, sk_error_name(e),
                         sk_error_name(rows[i].want));
    }
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    SK_EXPECT(memcmp(&g, &orig, sizeof g) == 0); /* nothing refused was written */
    /* rflags: only the user's flags, IF always (no TF or AC here: they would trap) */
    x = orig;
    x.rflags = ~(0x100ull | 0x40000ull);
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &x, sizeof x));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    SK_EXPECT_EQ(g.rflags, 0xcd5ull | 0x202);
    /* the highest user address is fine for rsp */
    x = orig;
    x.rsp = SK_USER_TOP - 8;
    SK_EXPECT_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &x, sizeof x));
    /* put it back with the result; the thread goes on as if nothing happened */
    x = orig;
    x.rax = 0x77;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &x, sizeof x));
    TRY_OK(sk_thread_resume(c.h));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE);
    SK_EXPECT_EQ(hostile_rax, 0x77);
    if (map)
        sk_mem_unmap(map, 2 * SK_PAGE_SIZE);
}

/* Register calls on threads that are not stopped, or gone. */
static volatile uint64_t idle_go;

static int do_wait_go(void *arg)
{
    (void)arg;
    while (!sk_atomic_load(&idle_go))
        sk_futex_wait(&idle_go, 0, SK_TIMEOUT_NEVER);
    return 0;
}

SK_TEST(not_stopped_and_dead)
{
    struct child c = {0};
    struct sk_gregs g = {0};
    idle_go = 0;
    TRY_OK(child_start(&c, do_wait_go, NULL, 0));
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g), SK_ERR_NOT_STOPPED);
    SK_EXPECT_ERR(sk_thread_set_regs(c.h, SK_REGS_BASES, &g, sizeof(struct sk_base_regs)), SK_ERR_NOT_STOPPED);
    SK_EXPECT_ERR(sk_thread_get_regs(SK_THIS_THREAD, SK_REGS_GENERAL, &g, sizeof g), SK_ERR_NOT_STOPPED);
    SK_EXPECT_ERR(sk_thread_resume(c.h), SK_ERR_NOT_STOPPED);
    sk_atomic_store(&idle_go, 1);
    sk_futex_wake(&idle_go, 1, NULL);
    uint64_t st;
    TRY_OK(sk_exit_wait(&c.exit_word, SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g), SK_ERR_DEAD);
    SK_EXPECT_ERR(sk_thread_resume(c.h), SK_ERR_DEAD);
out:
    sk_atomic_store(&idle_go, 1);
    sk_futex_wake(&idle_go, 1, NULL);
    child_end(&c, 0);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (rawq_open(&Q) != SK_OK) {
        sk_printf("test-observe-regs: cannot create a queue\n");
        return 1;
    }
    int failed = sk_test_run();
    rawq_close(&Q);
    return failed;
}
