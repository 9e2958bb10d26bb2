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
static volatile uint64_t fair_cpu_first[FAIR_THREADS], fair_cpu_last[FAIR_THREADS];
static volatile uint64_t fair_stop;

static uint64_t my_cpu(void)
{
    struct sk_thread_stats st;
    return sk_thread_stats(SK_THIS_THREAD, &st) == SK_OK ? st.cpu : ~0ull;
}

static int fair_worker(void *arg)
{
    uint64_t i = (uint64_t)arg;
    fair_cpu_first[i] = my_cpu();
    while (!sk_atomic_load(&fair_stop))
        fair_count[i]++;
    fair_cpu_last[i] = my_cpu();
    return 0;
}

/*
 * Four busy threads of equal priority for 400 ms: nobody starves, and threads
 * that shared one CPU throughout got comparable shares of it. (Threads on
 * different vCPUs are not compared: a loaded host may give one vCPU far less
 * time than another, whatever the guest does.)
 */
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
    for (uint64_t i = 0; i < FAIR_THREADS; i++) {
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
        SK_EXPECT(fair_count[i] > 0);
    }
    int pairs = 0;
    for (int a = 0; a < FAIR_THREADS; a++) {
        for (int b = a + 1; b < FAIR_THREADS; b++) {
            int same = fair_cpu_first[a] == fair_cpu_last[a] && fair_cpu_first[b] == fair_cpu_last[b] &&
                       fair_cpu_first[a] == fair_cpu_first[b];
            if (!same)
                continue;
            uint64_t lo = fair_count[a] < fair_count[b] ? fair_count[a] : fair_count[b];
            uint64_t hi = fair_count[a] ^ fair_count[b] ^ lo;
            SK_EXPECT(lo * 6 >= hi); /* round robin with 4 ms slices (migration blurs it) */
            pairs++;
        }
    }
    sk_printf("test-sched: equal shares %lu %lu %lu %lu iterations, %d same-CPU pairs compared\n",
              fair_count[0], fair_count[1], fair_count[2], fair_count[3], pairs);
}

/* ---- priorities ---- */

#define LOW_THREADS 48
static volatile uint64_t low_stop;
static volatile uint64_t low_work[LOW_THREADS];

/* Count loops of 1000 steps, like busy_share's, until told to stop. */
static int low_worker(void *arg)
{
    volatile uint64_t *work = arg;
    while (!sk_atomic_load(&low_stop)) {
        for (int i = 0; i < 1000; i++)
            __asm__ volatile("" ::: "memory");
        (*work)++;
    }
    return 0;
}

/*
 * Busy for ms milliseconds; returns this thread's loops and, in *median_low, the
 * median of the loops each low thread did meanwhile. Comparing this thread with
 * its competitors inside one window, rather than wall-clock rates, holds on a
 * loaded host: a starved vCPU slows whoever runs on it, not the comparison.
 */
static uint64_t busy_window(uint64_t ms, uint64_t *median_low)
{
    uint64_t before[LOW_THREADS], delta[LOW_THREADS];
    for (int i = 0; i < LOW_THREADS; i++)
        before[i] = low_work[i];
    uint64_t mine = 0, end = now_ns() + ms * 1000000ull;
    while (now_ns() < end) {
        for (int i = 0; i < 1000; i++)
            __asm__ volatile("" ::: "memory");
        mine++;
    }
    for (int i = 0; i < LOW_THREADS; i++)
        delta[i] = low_work[i] - before[i];
    for (int i = 1; i < LOW_THREADS; i++) /* insertion sort: 48 values */
        for (int j = i; j > 0 && delta[j - 1] > delta[j]; j--) {
            uint64_t x = delta[j];
            delta[j] = delta[j - 1];
            delta[j - 1] = x;
        }
    *median_low = delta[LOW_THREADS / 2];
    return mine;
}

/*
 * 48 busy threads at low priority and this one above them: it keeps a CPU to
 * itself, so it gets through many times the loops of a typical low thread
 * (which shares its CPU with a dozen or more others). At equal priority it is
 * one of 49 and does about as much as a typical one.
 */
SK_TEST(higher_priority_runs_first)
{
    struct sk_thread *t[LOW_THREADS];
    low_stop = 0;
    for (int i = 0; i < LOW_THREADS; i++) {
        low_work[i] = 0;
        SK_ASSERT_OK(sk_thread_spawn(low_worker, (void *)&low_work[i], 0, &t[i]));
    }
    uint64_t low_equal, low_below;
    uint64_t equal = busy_window(150, &low_equal);
    for (int i = 0; i < LOW_THREADS; i++)
        SK_EXPECT_OK(sk_thread_set_priority(sk_thread_handle(t[i]), 2));
    SK_EXPECT_OK(sk_thread_set_priority(SK_THIS_THREAD, 12));
    uint64_t ahead = busy_window(150, &low_below);
    sk_atomic_store(&low_stop, 1);
    SK_EXPECT_OK(sk_thread_set_priority(SK_THIS_THREAD, SK_THREAD_PRIO_DEFAULT));
    for (int i = 0; i < LOW_THREADS; i++)
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
    SK_EXPECT(ahead >= 4 * low_below + 10);
    sk_printf("test-sched: loops at equal priority %lu (typical competitor %lu), ahead of "
              "them %lu (typical competitor %lu)\n",
              equal, low_equal, ahead, low_below);
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
