/*
 * test-threads: 64 threads contending on a futex mutex and on atomic counters;
 * exit codes through exit words; kill; a futex handshake between two threads.
 */
#include <sk/test.h>

#define NTHREADS 64
#define ITERS 2000

static struct sk_mutex lock = SK_MUTEX_INIT;
static uint64_t locked_counter;       /* only touched under lock */
static uint64_t shadow;               /* checks mutual exclusion: must equal locked_counter */
static volatile uint64_t atomic_counter;
static volatile uint64_t start_flag;

static int contender(void *arg)
{
    uint64_t id = (uint64_t)arg;
    while (!sk_atomic_load(&start_flag))
        sk_futex_wait(&start_flag, 0, SK_TIMEOUT_NEVER);
    for (int i = 0; i < ITERS; i++) {
        sk_mutex_lock(&lock);
        uint64_t v = locked_counter;
        if (shadow != v)
            sk_test_fail(__FILE__, __LINE__, "two holders of the mutex");
        if ((i & 63) == 0)
            sk_thread_yield(); /* get preempted / switch while holding it */
        locked_counter = v + 1;
        shadow = v + 1;
        sk_mutex_unlock(&lock);
        sk_atomic_add(&atomic_counter, 1);
    }
    return (int)(id + 100);
}

SK_TEST(mutex_and_atomics_64_threads)
{
    struct sk_thread *t[NTHREADS];
    locked_counter = shadow = atomic_counter = start_flag = 0;
    for (uint64_t i = 0; i < NTHREADS; i++)
        SK_ASSERT_OK(sk_thread_spawn(contender, (void *)i, 16 * 1024, &t[i]));
    sk_atomic_store(&start_flag, 1);
    SK_EXPECT_OK(sk_futex_wake(&start_flag, UINT64_MAX, NULL));
    for (uint64_t i = 0; i < NTHREADS; i++) {
        uint64_t st = sk_thread_join(t[i]);
        SK_EXPECT_EQ(st, SK_EXIT_DONE | (i + 100));
    }
    SK_EXPECT_EQ(locked_counter, (uint64_t)NTHREADS * ITERS);
    SK_EXPECT_EQ(atomic_counter, (uint64_t)NTHREADS * ITERS);
    SK_EXPECT_EQ(lock.state, 0);
}

static int returns_arg(void *arg)
{
    return (int)(uint64_t)arg;
}

SK_TEST(exit_codes)
{
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(returns_arg, (void *)0, 0, &t));
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE);
    SK_ASSERT_OK(sk_thread_spawn(returns_arg, (void *)-1, 0, &t));
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE | 0xffffffffull);
    /* Join after the thread is long gone. */
    SK_ASSERT_OK(sk_thread_spawn(returns_arg, (void *)7, 0, &t));
    for (int i = 0; i < 100; i++)
        sk_thread_yield();
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE | 7);
}

static int spinner(void *arg)
{
    volatile uint64_t *running = arg;
    sk_atomic_store(running, 1);
    for (;;)
        sk_cpu_relax();
    return 0;
}

SK_TEST(kill)
{
    static volatile uint64_t running;
    struct sk_thread *t;
    running = 0;
    SK_ASSERT_OK(sk_thread_spawn(spinner, (void *)&running, 0, &t));
    while (!sk_atomic_load(&running))
        sk_thread_yield();
    SK_EXPECT_OK(sk_thread_kill(sk_thread_handle(t)));
    uint64_t st = sk_thread_join(t);
    SK_EXPECT_EQ(st & (SK_EXIT_DONE | SK_EXIT_KILLED), SK_EXIT_DONE | SK_EXIT_KILLED);
}

/* Ping-pong: two threads hand a token back and forth through one futex word. */
static volatile uint64_t token;
#define ROUNDS 2000

static int ponger(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < ROUNDS; i++) {
        while (sk_atomic_load(&token) != 2 * i + 1)
            sk_futex_wait(&token, 2 * i, SK_TIMEOUT_NEVER);
        sk_atomic_store(&token, 2 * i + 2);
        sk_futex_wake(&token, 1, NULL);
    }
    return 0;
}

SK_TEST(futex_ping_pong)
{
    struct sk_thread *t;
    token = 0;
    SK_ASSERT_OK(sk_thread_spawn(ponger, NULL, 0, &t));
    for (uint64_t i = 0; i < ROUNDS; i++) {
        sk_atomic_store(&token, 2 * i + 1);
        sk_futex_wake(&token, 1, NULL);
        while (sk_atomic_load(&token) != 2 * i + 2)
            sk_futex_wait(&token, 2 * i + 1, SK_TIMEOUT_NEVER);
    }
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE);
    SK_EXPECT_EQ(token, 2 * ROUNDS);
}

SK_TEST(futex_timeout_and_mismatch)
{
    static volatile uint64_t w = 5;
    uint64_t t0, t1;
    SK_ASSERT_OK(sk_clock_get(&t0));
    SK_EXPECT_ERR(sk_futex_wait(&w, 5, 20 * 1000 * 1000), SK_ERR_TIMEOUT);
    SK_ASSERT_OK(sk_clock_get(&t1));
    SK_EXPECT(t1 - t0 >= 20 * 1000 * 1000); /* never early (how late depends on the host) */
    SK_EXPECT_ERR(sk_futex_wait(&w, 6, SK_TIMEOUT_NEVER), SK_ERR_AGAIN);
    uint64_t woken = 99;
    SK_EXPECT_OK(sk_futex_wake(&w, 10, &woken));
    SK_EXPECT_EQ(woken, 0);
}

SK_TEST_MAIN()
