/*
 * test-sched: what the scheduler promises user threads. Threads of equal
 * priority share the CPU; a higher-priority thread runs ahead of lower ones;
 * FS and GS bases are per thread and survive preemption; closing a thread's
 * last handle ends it.
 */
#include <sk/test.h>

static uint64_t now_ns(void)
{
    uint64_t t;
    sk_clock_get(&t);
    return t;
}

/* ---- fair sharing ---- */

#define FAIR_THREADS 4
static volatile uint64_t fair_count[FAIR_THREADS];
static volatile uint64_t fair_stop;

static int fair_worker(void *arg)
{
    uint64_t i = (uint64_t)arg;
    while (!sk_atomic_load(&fair_stop))
        fair_count[i]++;
    return 0;
}

SK_TEST(equal_priority_shares)
{
    struct sk_thread *t[FAIR_THREADS];
    fair_stop = 0;
    for (uint64_t i = 0; i < FAIR_THREADS; i++) {
        fair_count[i] = 0;
        SK_ASSERT_OK(sk_thread_spawn(fair_worker, (void *)i, 0, &t[i]));
    }
    uint64_t end = now_ns() + 400000000ull;
    while (now_ns() < end)
        sk_futex_wait(&fair_stop, 0, 20000000ull); /* sleep, leave the CPU to them */
    sk_atomic_store(&fair_stop, 1);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint64_t i = 0; i < FAIR_THREADS; i++) {
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
        lo = fair_count[i] < lo ? fair_count[i] : lo;
        hi = fair_count[i] > hi ? fair_count[i] : hi;
    }
    /* Round robin: nobody starves, nobody gets many times another's share. (Not
       "equal": on a loaded host one vCPU may get less time than another, and the
       threads it runs with it.) */
    SK_EXPECT(lo > 0);
    SK_EXPECT(lo * 6 >= hi);
    sk_printf("test-sched: equal shares %lu..%lu iterations\n", lo, hi);
}

/* ---- priorities ---- */

#define LOW_THREADS 48
static volatile uint64_t low_stop;

static int low_worker(void *arg)
{
    (void)arg;
    while (!sk_atomic_load(&low_stop))
        sk_cpu_relax();
    return 0;
}

/* Iterations of a busy loop in ms milliseconds of wall time. */
static uint64_t busy_rate(uint64_t ms)
{
    uint64_t n = 0, end = now_ns() + ms * 1000000ull;
    while (now_ns() < end)
        for (int i = 0; i < 1000; i++, n++)
            __asm__ volatile("" ::: "memory");
    return n;
}

/*
 * This thread's busy-loop rate among 48 busy threads, first all at equal
 * priority (it gets a share of the CPUs), then with them below it (it keeps a
 * CPU to itself). Comparing the two, not wall-clock rates against a quiet
 * machine, keeps the test true on a loaded host with more vCPUs than cores.
 */
SK_TEST(higher_priority_runs_first)
{
    struct sk_thread *t[LOW_THREADS];
    low_stop = 0;
    for (int i = 0; i < LOW_THREADS; i++)
        SK_ASSERT_OK(sk_thread_spawn(low_worker, NULL, 0, &t[i]));
    uint64_t shared = busy_rate(100);
    for (int i = 0; i < LOW_THREADS; i++)
        SK_EXPECT_OK(sk_thread_set_priority(sk_thread_handle(t[i]), 2));
    SK_EXPECT_OK(sk_thread_set_priority(SK_THIS_THREAD, 12));
    uint64_t ahead = busy_rate(100);
    sk_atomic_store(&low_stop, 1);
    SK_EXPECT_OK(sk_thread_set_priority(SK_THIS_THREAD, SK_THREAD_PRIO_DEFAULT));
    for (int i = 0; i < LOW_THREADS; i++)
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
    SK_EXPECT(2 * ahead >= 3 * shared); /* without priorities the two would be alike */
    sk_printf("test-sched: busy loop sharing with 48 equals %lu, ahead of them %lu\n", shared,
              ahead);
}

/* ---- FS and GS bases ---- */

#define TLS_THREADS 4
static volatile uint64_t tls_bad;

static uint64_t read_fs0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static uint64_t read_gs8(void)
{
    uint64_t v;
    __asm__ volatile("mov %%gs:8, %0" : "=r"(v));
    return v;
}

static int tls_worker(void *arg)
{
    uint64_t id = (uint64_t)arg;
    static uint64_t blocks[TLS_THREADS][2];
    blocks[id][0] = 0x1000 + id;
    blocks[id][1] = 0x2000 + id;
    if (sk_thread_set_base(SK_BASE_FS, (uint64_t)&blocks[id][0]) != SK_OK ||
        sk_thread_set_base(SK_BASE_GS, (uint64_t)&blocks[id][0]) != SK_OK)
        sk_atomic_add(&tls_bad, 1);
    uint64_t end = now_ns() + 200000000ull;
    for (int i = 0; now_ns() < end; i++) {
        if (read_fs0() != 0x1000 + id || read_gs8() != 0x2000 + id)
            sk_atomic_add(&tls_bad, 1);
        if (i % 64 == 0)
            sk_thread_yield();
    }
    return 0;
}

SK_TEST(fs_gs_per_thread)
{
    struct sk_thread *t[TLS_THREADS];
    tls_bad = 0;
    for (uint64_t i = 0; i < TLS_THREADS; i++)
        SK_ASSERT_OK(sk_thread_spawn(tls_worker, (void *)i, 0, &t[i]));
    for (int i = 0; i < TLS_THREADS; i++)
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
    SK_EXPECT_EQ(tls_bad, 0);
}

/* ---- last handle ---- */

static int forever(void *arg)
{
    volatile uint64_t *running = arg;
    sk_atomic_store(running, 1);
    for (;;)
        sk_cpu_relax();
    return 0;
}

SK_TEST(last_handle_closed_kills)
{
    static volatile uint64_t running;
    struct sk_thread *t;
    running = 0;
    SK_ASSERT_OK(sk_thread_spawn(forever, (void *)&running, 0, &t));
    while (!sk_atomic_load(&running))
        sk_thread_yield();
    SK_ASSERT_OK(sk_handle_close(sk_thread_handle(t)));
    uint64_t st;
    SK_ASSERT_OK(sk_exit_wait(sk_thread_exit_word(t), 5000000000ull, &st));
    SK_EXPECT_EQ(st & (SK_EXIT_DONE | SK_EXIT_KILLED), SK_EXIT_DONE | SK_EXIT_KILLED);
}

SK_TEST_MAIN()
