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

/*
 * thread_start of a thread made in a universe whose last handle another CPU closes at the
 * same moment: the start either wins (the thread runs and exits) or finds the universe gone
 * (SK_ERR_DEAD). The kernel used to take a reference on a universe already being destroyed
 * (the assertion in kobj_get, a use after free without it; found by test-fuzz). The window
 * is a few instructions wide: many rounds, with the close moved a little each time.
 */
#define RACE_ROUNDS 4000
void race_exit(void); /* thread_exit(0), using no stack */
__asm__(".text\n"
        "race_exit:\n"
        "  xor %edi, %edi\n  mov $0x10000012, %eax\n  syscall\n  ud2\n");
_Static_assert(SK_SYS_thread_exit == 0x10000012, "race_exit: thread_exit");

static volatile uint64_t race_seq;
static volatile sk_handle_t race_thread;
static int race_smp; /* two CPUs: spin; one: yield, or each wait costs a time slice */
static uint64_t race_ok, race_dead, race_other;

static int race_starter(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < RACE_ROUNDS; i++) {
        while (sk_atomic_load(&race_seq) != 2 * i + 1)
            if (race_smp)
                sk_cpu_relax();
            else
                sk_thread_yield();
        sk_error_t e = sk_thread_start(race_thread);
        if (e == SK_OK)
            race_ok++;
        else if (e == SK_ERR_DEAD)
            race_dead++;
        else
            race_other++;
        sk_atomic_store(&race_seq, 2 * i + 2);
    }
    return 0;
}

SK_TEST(start_races_the_close_of_its_universe)
{
    struct sk_thread *starter;
    race_seq = race_ok = race_dead = race_other = 0;
    /* on two CPUs when there are two: the starter on 1, the closer on 0 */
    int smp = race_smp = sk_thread_set_affinity(SK_THIS_THREAD, 2) == SK_OK;
    SK_ASSERT_OK(sk_thread_set_affinity(SK_THIS_THREAD, 1));
    SK_ASSERT_OK(sk_thread_spawn(race_starter, NULL, 0, &starter));
    if (smp)
        SK_EXPECT_OK(sk_thread_set_affinity(sk_thread_handle(starter), 2));
    const struct sk_thread_create tc = {
        .entry = (uint64_t)race_exit,
        .priority = SK_THREAD_PRIO_DEFAULT,
        .flags = SK_THREAD_START_STOPPED,
    };
    for (uint64_t i = 0; i < RACE_ROUNDS && !sk_test_failures(); i++) {
        sk_handle_t u, t;
        SK_ASSERT_OK(sk_universe_create(&u));
        SK_ASSERT_OK(sk_thread_create(u, SK_THIS_SPACE, &tc, &t));
        race_thread = t;
        sk_atomic_store(&race_seq, 2 * i + 1);
        for (uint64_t k = i % 97; k > 0; k--)
            sk_cpu_relax();
        SK_EXPECT_OK(sk_handle_close(u)); /* its last handle, maybe as the start takes it */
        while (sk_atomic_load(&race_seq) != 2 * i + 2)
            if (!smp)
                sk_thread_yield();
        SK_EXPECT_OK(sk_handle_close(t));
    }
    sk_thread_join(starter);
    sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY);
    sk_printf("test-threads: start vs universe close: %lu started, %lu found it gone (%s)\n",
              race_ok, race_dead, smp ? "two CPUs" : "one CPU");
    SK_EXPECT_EQ(race_other, 0);
}

SK_TEST_MAIN()
