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

SK_TEST_MAIN()
