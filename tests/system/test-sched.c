/*
 * test-sched: what the scheduler promises user threads. Threads of equal
 * priority share the CPU; a higher-priority thread runs ahead of lower ones;
 * FS and GS bases are per thread and survive preemption; closing a thread's
 * last handle ends it; a thread pinned to CPUs runs only there, however it
 * got pinned and whatever wakes it. A loaded host may give a vCPU no time for
 * long stretches, so nothing here must happen within some time: the cases wait
 * until it has (a thread that never runs or never moves hangs the case, which
 * the runner reports), and comparisons are between threads of one CPU.
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
 * Four busy threads of equal priority for at least 400 ms, until each has run and each that
 * shares a CPU has had 20 turns: nobody starves, and threads that shared one CPU throughout
 * got comparable shares of it. (Threads on different vCPUs are not compared: a loaded host
 * may give one vCPU far less time than another, whatever the guest does; and the window is
 * counted in turns too, so a host that runs the guest in a few long bursts cannot leave the
 * comparison to a handful of slices.)
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
    for (int enough = 0; !enough;) {
        sk_futex_wait(&fair_stop, 0, 20000000ull); /* sleep, leave the CPU to them */
        /* enough when the time is up and every thread that shares its CPU with another
           has had 20 turns (one alone on a CPU is not compared) */
        struct sk_thread_stats st[FAIR_THREADS] = {0};
        for (uint64_t i = 0; i < FAIR_THREADS; i++)
            sk_thread_stats(sk_thread_handle(t[i]), &st[i]);
        enough = now_ns() >= end;
        for (int a = 0; a < FAIR_THREADS; a++) {
            if (!fair_count[a])
                enough = 0;
            for (int b = 0; b < FAIR_THREADS; b++)
                if (a != b && st[a].cpu == st[b].cpu && st[a].switches < 20)
                    enough = 0;
        }
    }
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
 * Busy for ms milliseconds (and at least 100 loops); returns this thread's loops and, in
 * *median_low and *total_low, the median and the sum of the loops the low threads did
 * meanwhile. Comparing this thread with its competitors on the same CPU inside one window,
 * rather than wall-clock rates, holds on a loaded host: a starved vCPU slows whoever runs
 * on it, not the comparison.
 */
static uint64_t busy_window(uint64_t ms, uint64_t *median_low, uint64_t *total_low)
{
    uint64_t before[LOW_THREADS], delta[LOW_THREADS];
    for (int i = 0; i < LOW_THREADS; i++)
        before[i] = low_work[i];
    uint64_t mine = 0, end = now_ns() + ms * 1000000ull;
    while (now_ns() < end || mine < 100) {
        for (int i = 0; i < 1000; i++)
            __asm__ volatile("" ::: "memory");
        mine++;
    }
    *total_low = 0;
    for (int i = 0; i < LOW_THREADS; i++) {
        delta[i] = low_work[i] - before[i];
        *total_low += delta[i];
    }
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
 * 48 busy threads at low priority and this one above them, all on one CPU: while it is
 * busy the low ones do (almost) nothing, so it gets through many times the loops of all of
 * them together. At equal priority it is one of 49 and does about as much as a typical one.
 * (One CPU: threads on different vCPUs cannot be compared on a loaded host.)
 */
SK_TEST(higher_priority_runs_first)
{
    struct sk_thread *t[LOW_THREADS];
    low_stop = 0;
    SK_ASSERT_OK(sk_thread_set_affinity(SK_THIS_THREAD, 1));
    for (int i = 0; i < LOW_THREADS; i++) {
        low_work[i] = 0;
        SK_ASSERT_OK(sk_thread_spawn(low_worker, (void *)&low_work[i], 0, &t[i]));
        SK_EXPECT_OK(sk_thread_set_affinity(sk_thread_handle(t[i]), 1));
    }
    uint64_t low_equal, low_below, total_equal, total_below;
    uint64_t equal = busy_window(150, &low_equal, &total_equal);
    for (int i = 0; i < LOW_THREADS; i++)
        SK_EXPECT_OK(sk_thread_set_priority(sk_thread_handle(t[i]), 2));
    SK_EXPECT_OK(sk_thread_set_priority(SK_THIS_THREAD, 12));
    uint64_t ahead = busy_window(150, &low_below, &total_below);
    sk_atomic_store(&low_stop, 1);
    SK_EXPECT_OK(sk_thread_set_priority(SK_THIS_THREAD, SK_THREAD_PRIO_DEFAULT));
    for (int i = 0; i < LOW_THREADS; i++)
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
    SK_EXPECT_OK(sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY));
    SK_EXPECT(ahead >= 4 * total_below + 10);
    sk_printf("test-sched: on one CPU: loops at equal priority %lu (typical competitor %lu, all "
              "48 %lu), ahead of them %lu (typical competitor %lu, all 48 %lu)\n",
              equal, low_equal, total_equal, ahead, low_below, total_below);
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
    SK_ASSERT_OK(sk_exit_wait(sk_thread_exit_word(t), SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_EQ(st & (SK_EXIT_DONE | SK_EXIT_KILLED), SK_EXIT_DONE | SK_EXIT_KILLED);
}

/* ---- affinity ---- */

/* A futex sleep of ns nanoseconds (nobody wakes the word): leaves the CPU, then a timer wakes us. */
static void nap(uint64_t ns)
{
    static volatile uint64_t never;
    sk_futex_wait(&never, 0, ns);
}

/* The online CPUs, by asking to run on each in turn (the caller ends up able to run anywhere). */
static uint64_t online_cpus(void)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i++)
        if (sk_thread_set_affinity(SK_THIS_THREAD, 1ull << i) == SK_OK)
            m |= 1ull << i;
    sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY);
    return m;
}

static unsigned cpu_total(uint64_t online)
{
    return (unsigned)__builtin_popcountll(online);
}

/*
 * Pin this thread to each CPU in turn: when the call returns it is there, and it
 * stays there across a yield, a busy stretch (slices end) and a sleep (a timer
 * wakes it). Masks naming no online CPU are refused; bits of absent CPUs are ignored.
 */
SK_TEST(affinity_pins_caller)
{
    uint64_t online = 0;
    for (unsigned i = 0; i < 64; i++) {
        sk_error_t e = sk_thread_set_affinity(SK_THIS_THREAD, 1ull << i);
        if (e != SK_OK) {
            SK_EXPECT_ERR(e, SK_ERR_INVALID);
            continue;
        }
        online |= 1ull << i;
        SK_EXPECT_EQ(my_cpu(), i);
        sk_thread_yield();
        SK_EXPECT_EQ(my_cpu(), i);
        uint64_t end = now_ns() + 10000000ull; /* 10 ms: at least two slices */
        while (now_ns() < end)
            sk_cpu_relax();
        SK_EXPECT_EQ(my_cpu(), i);
        nap(1000000ull);
        SK_EXPECT_EQ(my_cpu(), i);
    }
    unsigned n = cpu_total(online);
    SK_EXPECT(n >= 1);
    SK_EXPECT_EQ(online, n == 64 ? ~0ull : (1ull << n) - 1); /* CPUs are numbered from 0 */
    SK_EXPECT_ERR(sk_thread_set_affinity(SK_THIS_THREAD, 0), SK_ERR_INVALID);
    if (n < 64)
        SK_EXPECT_ERR(sk_thread_set_affinity(SK_THIS_THREAD, ~online), SK_ERR_INVALID);
    /* CPU 0 and absent CPUs: CPU 0 */
    SK_EXPECT_OK(sk_thread_set_affinity(SK_THIS_THREAD, ~online | 1));
    SK_EXPECT_EQ(my_cpu(), 0);
    SK_EXPECT_OK(sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY));
    sk_printf("test-sched: %u CPUs online (mask 0x%lx)\n", n, online);
}

struct spinner {
    volatile uint64_t stop, rounds, cpu, armed, want, bad;
};

/* Busy; records the CPU it runs on and, once armed, counts rounds spent off cpu `want`. */
static int spinner_main(void *arg)
{
    struct spinner *s = arg;
    while (!sk_atomic_load(&s->stop)) {
        int armed = (int)sk_atomic_load(&s->armed);
        uint64_t c = my_cpu();
        s->cpu = c;
        if (armed && c != s->want)
            sk_atomic_add(&s->bad, 1);
        sk_atomic_add(&s->rounds, 1);
    }
    return 0;
}

/*
 * Pin a busy thread of this process to another CPU (the last one; with one CPU,
 * CPU 0): thread_stats then reports it there, and it runs nowhere else after.
 */
SK_TEST(affinity_moves_busy_thread)
{
    uint64_t online = online_cpus();
    unsigned n = cpu_total(online);
    SK_ASSERT(n >= 1);
    uint64_t target = n - 1;
    SK_ASSERT_OK(sk_thread_set_affinity(SK_THIS_THREAD, 1)); /* out of its way when n > 1 */
    static struct spinner s;
    s = (struct spinner){.cpu = ~0ull, .want = target};
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(spinner_main, &s, 0, &t));
    while (!sk_atomic_load(&s.rounds))
        nap(1000000ull);
    sk_handle_t h = sk_thread_handle(t);
    SK_EXPECT_OK(sk_thread_set_affinity(h, 1ull << target));
    struct sk_thread_stats st = {0};
    while (sk_thread_stats(h, &st) == SK_OK && st.cpu != target)
        nap(1000000ull);
    SK_EXPECT_EQ(st.cpu, target);
    sk_atomic_store(&s.armed, 1);
    uint64_t before = sk_atomic_load(&s.rounds);
    nap(100000000ull);
    while (sk_atomic_load(&s.rounds) == before) /* it goes on running (there) */
        nap(1000000ull);
    SK_EXPECT_OK(sk_thread_stats(h, &st));
    SK_EXPECT_EQ(st.cpu, target);
    uint64_t after = sk_atomic_load(&s.rounds);
    sk_atomic_store(&s.stop, 1);
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE);
    SK_EXPECT_EQ(s.bad, 0);
    SK_EXPECT(after > before);
    SK_EXPECT_EQ(s.cpu, target);
    SK_EXPECT_OK(sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY));
}

#define PINNED_THREADS 4
static volatile uint64_t pinned_stop, pinned_bad, pinned_rounds[PINNED_THREADS];
static uint64_t pinned_cpu;

/* Pin itself, then work and sleep in turns, checking where each wake-up put it. */
static int pinned_worker(void *arg)
{
    uint64_t i = (uint64_t)arg;
    if (sk_thread_set_affinity(SK_THIS_THREAD, 1ull << pinned_cpu) != SK_OK || my_cpu() != pinned_cpu)
        sk_atomic_add(&pinned_bad, 1);
    while (!sk_atomic_load(&pinned_stop)) {
        uint64_t end = now_ns() + 500000ull;
        while (now_ns() < end)
            sk_cpu_relax();
        if (my_cpu() != pinned_cpu)
            sk_atomic_add(&pinned_bad, 1);
        nap(1000000ull);
        if (my_cpu() != pinned_cpu)
            sk_atomic_add(&pinned_bad, 1);
        pinned_rounds[i]++;
    }
    return 0;
}

/*
 * Four threads pinned to one CPU, busy and sleeping in turns, while every other
 * CPU idles: wake-ups and balancing (idle CPUs stealing from the long queue)
 * must leave them where they are.
 */
SK_TEST(affinity_survives_wakeups_and_balancing)
{
    unsigned n = cpu_total(online_cpus());
    SK_ASSERT(n >= 1);
    pinned_cpu = n - 1;
    pinned_stop = 0;
    pinned_bad = 0;
    struct sk_thread *t[PINNED_THREADS];
    for (uint64_t i = 0; i < PINNED_THREADS; i++) {
        pinned_rounds[i] = 0;
        SK_ASSERT_OK(sk_thread_spawn(pinned_worker, (void *)i, 0, &t[i]));
    }
    nap(300000000ull);
    for (int i = 0; i < PINNED_THREADS; i++) /* each has had a round (however slow the host) */
        while (!sk_atomic_load(&pinned_rounds[i]))
            nap(1000000ull);
    sk_atomic_store(&pinned_stop, 1);
    for (int i = 0; i < PINNED_THREADS; i++) {
        SK_EXPECT_EQ(sk_thread_join(t[i]), SK_EXIT_DONE);
        SK_EXPECT(pinned_rounds[i] > 0);
    }
    SK_EXPECT_EQ(pinned_bad, 0);
}

static volatile uint64_t child_cpu;
/* Runs until it finds itself on a CPU other than 0, and reports where it is: a new thread
   that inherited its creator's pin would never leave CPU 0 (and the case would hang). */
static int report_cpu(void *arg)
{
    (void)arg;
    while (my_cpu() == 0)
        sk_thread_yield();
    sk_atomic_store(&child_cpu, my_cpu());
    return 0;
}

/* A thread pinned to CPU 0 and busy there starts a thread: the new one may run elsewhere. */
SK_TEST(new_threads_run_anywhere)
{
    unsigned n = cpu_total(online_cpus());
    if (n < 2)
        SK_SKIP("one CPU: nowhere else to go");
    SK_ASSERT_OK(sk_thread_set_affinity(SK_THIS_THREAD, 1));
    child_cpu = ~0ull;
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(report_cpu, NULL, 0, &t));
    while (sk_atomic_load(&child_cpu) == ~0ull)
        sk_cpu_relax(); /* keep CPU 0 busy */
    SK_EXPECT(child_cpu != ~0ull && child_cpu != 0);
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE);
    SK_EXPECT_OK(sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY));
}

#define CHURN_WORKERS 4
static volatile uint64_t churn_stop, pinners_stop, churn_rounds[CHURN_WORKERS], churn_calls;
static struct sk_thread *churn_t[CHURN_WORKERS];
static uint64_t churn_online;

/* Spin, yield and sleep in turns: queued, running and blocked while others re-pin it. */
static int churn_worker(void *arg)
{
    uint64_t i = (uint64_t)arg;
    for (uint64_t r = 0; !sk_atomic_load(&churn_stop); r++) {
        if (r % 3 == 0)
            nap(200000ull);
        else if (r % 3 == 1)
            sk_thread_yield();
        else
            for (int k = 0; k < 2000; k++)
                sk_cpu_relax();
        sk_atomic_add(&churn_rounds[i], 1);
    }
    return 0;
}

/* Re-pin the workers and itself to pseudo-random sets of CPUs as fast as it can. */
static int churn_pinner(void *arg)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * ((uint64_t)arg + 1);
    while (!sk_atomic_load(&pinners_stop)) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t mask = (x >> 8) & churn_online;
        if (!mask)
            mask = SK_AFFINITY_ANY;
        unsigned w = (unsigned)(x % (CHURN_WORKERS + 1));
        sk_handle_t h = w < CHURN_WORKERS ? sk_thread_handle(churn_t[w]) : SK_THIS_THREAD;
        if (sk_thread_set_affinity(h, mask) != SK_OK)
            return 1;
        sk_atomic_add(&churn_calls, 1);
    }
    return 0;
}

/*
 * Two threads re-pin four busy, yielding and sleeping threads (and themselves)
 * to random CPU sets for 300 ms: nobody is lost or stuck, and once pinned for
 * good each is reported where it was told and keeps working there.
 */
SK_TEST(affinity_churn)
{
    churn_online = online_cpus();
    unsigned n = cpu_total(churn_online);
    SK_ASSERT(n >= 1);
    churn_stop = pinners_stop = churn_calls = 0;
    for (uint64_t i = 0; i < CHURN_WORKERS; i++) {
        churn_rounds[i] = 0;
        SK_ASSERT_OK(sk_thread_spawn(churn_worker, (void *)i, 0, &churn_t[i]));
    }
    struct sk_thread *p[2];
    for (uint64_t i = 0; i < 2; i++)
        SK_ASSERT_OK(sk_thread_spawn(churn_pinner, (void *)i, 0, &p[i]));
    nap(300000000ull);
    sk_atomic_store(&pinners_stop, 1);
    for (int i = 0; i < 2; i++)
        SK_EXPECT_EQ(sk_thread_join(p[i]), SK_EXIT_DONE);
    for (int i = 0; i < CHURN_WORKERS; i++) {
        uint64_t cpu = (uint64_t)i % n, before = sk_atomic_load(&churn_rounds[i]);
        sk_handle_t h = sk_thread_handle(churn_t[i]);
        SK_EXPECT_OK(sk_thread_set_affinity(h, 1ull << cpu));
        struct sk_thread_stats st = {0};
        while (sk_thread_stats(h, &st) == SK_OK && st.cpu != cpu)
            nap(1000000ull);
        SK_EXPECT_EQ(st.cpu, cpu);
        while (sk_atomic_load(&churn_rounds[i]) == before)
            nap(1000000ull);
        SK_EXPECT(churn_rounds[i] > before);
    }
    sk_atomic_store(&churn_stop, 1);
    for (int i = 0; i < CHURN_WORKERS; i++)
        SK_EXPECT_EQ(sk_thread_join(churn_t[i]), SK_EXIT_DONE);
    sk_printf("test-sched: affinity churn: %lu calls, worker rounds %lu %lu %lu %lu\n", churn_calls,
              churn_rounds[0], churn_rounds[1], churn_rounds[2], churn_rounds[3]);
}

SK_TEST_MAIN()
