/*
 * test-fpu: FPU, SSE and x87 state is per thread. Several threads run long
 * floating-point loops that keep values live in all 16 xmm registers and on the
 * x87 stack, each with its own MXCSR rounding mode, across many preemptions,
 * and compare every round's result bit for bit with a reference computed
 * before they started. Also: a new thread starts with the default FPU state.
 */
#include <sk/test.h>

#define NTHREADS 4
#define STEPS 20000
#define MIN_NS (2ull * 1000 * 1000 * 1000) /* each thread runs at least this long */
#define MAX_ROUNDS 100000

typedef double v2d __attribute__((vector_size(16)));

struct result {
    v2d v[16];
    long double x87;
};

static uint32_t get_mxcsr(void)
{
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}

static void set_mxcsr(uint32_t m)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(m));
}

static uint16_t get_fcw(void)
{
    uint16_t c;
    __asm__ volatile("fnstcw %0" : "=m"(c));
    return c;
}

/* Rounding mode rc (0-3) in MXCSR bits 13-14, all exceptions masked. */
static uint32_t mxcsr_for(unsigned rc)
{
    return 0x1f80u | (rc & 3) << 13;
}

/*
 * Sixteen vector accumulators updated together in a loop, so the compiler keeps
 * them in xmm0-xmm15, plus an x87 long double chain. Deterministic for a given
 * seed and rounding mode.
 */
static void compute(unsigned seed, struct result *r)
{
    v2d a0 = {seed + 0.1, seed + 0.2}, a1 = a0 * 1.01, a2 = a1 * 1.01, a3 = a2 * 1.01;
    v2d a4 = a3 * 1.01, a5 = a4 * 1.01, a6 = a5 * 1.01, a7 = a6 * 1.01;
    v2d a8 = a7 * 1.01, a9 = a8 * 1.01, a10 = a9 * 1.01, a11 = a10 * 1.01;
    v2d a12 = a11 * 1.01, a13 = a12 * 1.01, a14 = a13 * 1.01, a15 = a14 * 1.01;
    const v2d k = {0.999999, 0.9999991}, c = {1e-3, 3e-3};
    long double x = (long double)seed + 0.5L;
    for (int i = 0; i < STEPS; i++) {
        a0 = a0 * k + c, a1 = a1 * k + c, a2 = a2 * k + c, a3 = a3 * k + c;
        a4 = a4 * k + c, a5 = a5 * k + c, a6 = a6 * k + c, a7 = a7 * k + c;
        a8 = a8 * k + c, a9 = a9 * k + c, a10 = a10 * k + c, a11 = a11 * k + c;
        a12 = a12 * k + c, a13 = a13 * k + c, a14 = a14 * k + c, a15 = a15 * k + c;
        x = x * 0.9999999L + 1.0L / (x + 3.0L);
    }
    v2d out[16] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15};
    memcpy(r->v, out, sizeof out);
    r->x87 = x;
}

static struct result reference[NTHREADS];
static volatile uint64_t mismatches, total_rounds;

static int same(const struct result *a, const struct result *b)
{
    return memcmp(a->v, b->v, sizeof a->v) == 0 && memcmp(&a->x87, &b->x87, 10) == 0;
}

static int worker(void *arg)
{
    unsigned id = (unsigned)(uint64_t)arg;
    set_mxcsr(mxcsr_for(id));
    uint64_t start, now;
    sk_clock_get(&start);
    unsigned rounds = 0;
    do {
        struct result r;
        compute(id + 1, &r);
        if (!same(&r, &reference[id]))
            sk_atomic_add(&mismatches, 1);
        /* the low six bits are sticky exception flags (inexact results set PE) */
        if ((get_mxcsr() & ~0x3fu) != mxcsr_for(id))
            sk_atomic_add(&mismatches, 1);
        rounds++;
        sk_clock_get(&now);
    } while (now - start < MIN_NS && rounds < MAX_ROUNDS);
    sk_atomic_add(&total_rounds, rounds);
    return 0;
}

SK_TEST(vectors_across_preemption)
{
    uint32_t saved = get_mxcsr();
    for (unsigned i = 0; i < NTHREADS; i++) {
        set_mxcsr(mxcsr_for(i));
        compute(i + 1, &reference[i]);
    }
    set_mxcsr(saved);
    /* Different rounding modes really give different answers (so the MXCSR check bites). */
    SK_EXPECT(!same(&reference[0], &reference[1]) || !same(&reference[0], &reference[3]));

    struct sk_thread *t[NTHREADS];
    for (unsigned i = 0; i < NTHREADS; i++)
        SK_ASSERT_OK(sk_thread_spawn(worker, (void *)(uint64_t)i, 0, &t[i]));
    for (unsigned i = 0; i < NTHREADS; i++)
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
    SK_EXPECT_EQ(mismatches, 0);
    SK_EXPECT(total_rounds >= NTHREADS);
    SK_EXPECT_EQ(get_mxcsr(), saved);
    sk_printf("test-fpu: %lu rounds of %d steps across %d threads\n", (uint64_t)total_rounds,
              STEPS, NTHREADS);
}

static volatile uint64_t fresh_mxcsr, fresh_fcw;

static int report_fresh_state(void *arg)
{
    (void)arg;
    fresh_mxcsr = get_mxcsr();
    fresh_fcw = get_fcw();
    return 0;
}

SK_TEST(new_thread_default_state)
{
    uint32_t saved = get_mxcsr();
    set_mxcsr(mxcsr_for(3)); /* must not leak into the new thread */
    struct sk_thread *t;
    sk_error_t e = sk_thread_spawn(report_fresh_state, NULL, 0, &t);
    set_mxcsr(saved);
    SK_ASSERT_OK(e);
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE);
    SK_EXPECT_EQ(fresh_mxcsr, 0x1f80);
    SK_EXPECT_EQ(fresh_fcw, 0x37f);
}

/* ---- AVX: the upper halves of the ymm registers are per thread too ---- */

static int avx_usable(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 27)) || !(c & (1u << 28))) /* OSXSAVE, AVX */
        return 0;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6; /* the kernel saves SSE and AVX state */
}

#define AVX_THREADS 3
static volatile uint64_t avx_bad, avx_rounds;

/* Fill ymm0-ymm15 with a pattern made from seed, spin with them live, check them all. */
__attribute__((target("avx"))) static int avx_round(uint64_t seed)
{
    uint64_t in[4] __attribute__((aligned(32))) = {seed, ~seed, seed * 3, seed ^ 0xabcdef};
    uint64_t out[16][4] __attribute__((aligned(32)));
    __asm__ volatile(
        "vmovdqa (%[in]), %%ymm0\n\t"
        "vmovdqa %%ymm0, %%ymm1\n\t vmovdqa %%ymm0, %%ymm2\n\t vmovdqa %%ymm0, %%ymm3\n\t"
        "vmovdqa %%ymm0, %%ymm4\n\t vmovdqa %%ymm0, %%ymm5\n\t vmovdqa %%ymm0, %%ymm6\n\t"
        "vmovdqa %%ymm0, %%ymm7\n\t vmovdqa %%ymm0, %%ymm8\n\t vmovdqa %%ymm0, %%ymm9\n\t"
        "vmovdqa %%ymm0, %%ymm10\n\t vmovdqa %%ymm0, %%ymm11\n\t vmovdqa %%ymm0, %%ymm12\n\t"
        "vmovdqa %%ymm0, %%ymm13\n\t vmovdqa %%ymm0, %%ymm14\n\t vmovdqa %%ymm0, %%ymm15\n\t"
        "mov $200000, %%ecx\n"
        "1: dec %%ecx\n\t jnz 1b\n\t"
        "vmovdqa %%ymm0, 0(%[out])\n\t vmovdqa %%ymm1, 32(%[out])\n\t"
        "vmovdqa %%ymm2, 64(%[out])\n\t vmovdqa %%ymm3, 96(%[out])\n\t"
        "vmovdqa %%ymm4, 128(%[out])\n\t vmovdqa %%ymm5, 160(%[out])\n\t"
        "vmovdqa %%ymm6, 192(%[out])\n\t vmovdqa %%ymm7, 224(%[out])\n\t"
        "vmovdqa %%ymm8, 256(%[out])\n\t vmovdqa %%ymm9, 288(%[out])\n\t"
        "vmovdqa %%ymm10, 320(%[out])\n\t vmovdqa %%ymm11, 352(%[out])\n\t"
        "vmovdqa %%ymm12, 384(%[out])\n\t vmovdqa %%ymm13, 416(%[out])\n\t"
        "vmovdqa %%ymm14, 448(%[out])\n\t vmovdqa %%ymm15, 480(%[out])\n\t"
        "vzeroupper"
        :
        : [in] "r"(in), [out] "r"(out)
        : "rcx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    int bad = 0;
    for (int r = 0; r < 16; r++)
        bad |= memcmp(out[r], in, sizeof in) != 0;
    return bad;
}

static int avx_worker(void *arg)
{
    uint64_t id = (uint64_t)arg, start, now;
    sk_clock_get(&start);
    uint64_t n = 0;
    do {
        if (avx_round(id * 0x1000193 + n))
            sk_atomic_add(&avx_bad, 1);
        n++;
        sk_clock_get(&now);
    } while (now - start < 500000000ull);
    sk_atomic_add(&avx_rounds, n);
    return 0;
}

SK_TEST(avx_across_preemption)
{
    if (!avx_usable())
        SK_SKIP("no AVX on this CPU");
    struct sk_thread *t[AVX_THREADS];
    avx_bad = avx_rounds = 0;
    for (uint64_t i = 0; i < AVX_THREADS; i++)
        SK_ASSERT_OK(sk_thread_spawn(avx_worker, (void *)(i + 1), 0, &t[i]));
    for (int i = 0; i < AVX_THREADS; i++)
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
    SK_EXPECT_EQ(avx_bad, 0);
    SK_EXPECT(avx_rounds > 0);
    sk_printf("test-fpu: %lu AVX rounds across %d threads\n", (uint64_t)avx_rounds, AVX_THREADS);
}

SK_TEST_MAIN()
