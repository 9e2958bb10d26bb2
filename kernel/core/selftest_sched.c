/* Self tests of kernel threads and the scheduler. */
#include <k/selftest.h>
#include <stddef.h>
#include <k/sched.h>
#include <k/percpu.h>
#include <k/clock.h>
#include <arch/cpu.h>

#define NTHREADS 32
#define ROUNDS 200

static volatile uint64_t counter, finished, cpu_mask;

static uint64_t all_cpus_mask(void)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < cpu_count && i < 64; i++)
        if (cpus[i].online)
            m |= 1ull << i;
    return m;
}

/* Count ROUNDS times, then keep yielding until every CPU has run a worker (or 5 s). */
static void worker(void *arg)
{
    (void)arg;
    uint64_t end = clock_ns() + 5000000000ull, all = all_cpus_mask();
    for (int i = 0; i < ROUNDS || (cpu_mask != all && clock_ns() < end); i++) {
        if (i < ROUNDS)
            __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        __atomic_fetch_or(&cpu_mask, 1ull << (this_cpu()->id & 63), __ATOMIC_RELAXED);
        sched_yield();
    }
    __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
}

/* Yield until *v reaches want or timeout_ns passes. */
static int wait_for(volatile uint64_t *v, uint64_t want, uint64_t timeout_ns)
{
    uint64_t end = clock_ns() + timeout_ns;
    while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want && clock_ns() < end)
        sched_yield();
    return *v >= want;
}

static int wait_threads(uint64_t want, uint64_t timeout_ns)
{
    uint64_t end = clock_ns() + timeout_ns;
    while (thread_count() != want && clock_ns() < end)
        sched_yield();
    return thread_count() == want;
}

SELFTEST(sched_threads, 0)
{
    uint64_t base = thread_count();
    counter = finished = cpu_mask = 0;
    struct thread *t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        t[i] = kthread_create(worker, NULL, 8, "worker");
        ST_CHECK(t[i] != NULL);
    }
    int done = wait_for(&finished, NTHREADS, 10000000000ull);
    for (int i = 0; i < NTHREADS; i++)
        kobj_put(&t[i]->obj);
    ST_CHECK(done);
    ST_CHECK(counter == NTHREADS * ROUNDS);
    if (cpu_mask != all_cpus_mask())
        st_fail("workers ran on CPUs 0x%lx, not on every CPU (0x%lx)", (unsigned long)cpu_mask,
                (unsigned long)all_cpus_mask());
    if (!wait_threads(base, 2000000000ull))
        st_fail("%lu threads left, %lu before", (unsigned long)thread_count(), (unsigned long)base);
}

/* Two threads hand a token back and forth with sched_block / sched_wake. */
struct pingpong {
    struct thread *th[2];
    volatile int turn;
    volatile uint64_t rounds;
};

static struct pingpong pp;

static void pinger(void *arg)
{
    int me = (int)(uint64_t)arg;
    struct thread *self = current_thread();
    while (pp.rounds < 2000) {
        uint64_t f = irq_save();
        __atomic_store_n(&self->state, THREAD_BLOCKED, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&pp.turn, __ATOMIC_SEQ_CST) == me)
            sched_cancel_block(); /* (a plain store raced with the other's wake: hung 1 boot in 150) */
        else
            sched_block();
        irq_restore(f);
        if (pp.turn != me)
            continue;
        pp.rounds++;
        __atomic_store_n(&pp.turn, !me, __ATOMIC_SEQ_CST);
        while (!pp.th[!me])
            sched_yield();
        sched_wake(pp.th[!me]);
    }
    __atomic_store_n(&pp.turn, !me, __ATOMIC_SEQ_CST);
    if (pp.th[!me])
        sched_wake(pp.th[!me]);
    __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
}

SELFTEST(sched_block_wake, 0)
{
    uint64_t base = thread_count();
    finished = 0;
    pp.th[0] = pp.th[1] = NULL;
    pp.turn = 0;
    pp.rounds = 0;
    struct thread *a = kthread_create(pinger, (void *)0, 8, "ping");
    struct thread *b = kthread_create(pinger, (void *)1, 8, "pong");
    ST_CHECK(a && b);
    pp.th[0] = a;
    pp.th[1] = b;
    sched_wake(a);
    sched_wake(b);
    int done = wait_for(&finished, 2, 10000000000ull);
    kobj_put(&a->obj);
    kobj_put(&b->obj);
    ST_CHECK(done);
    ST_CHECK(pp.rounds >= 2000);
    ST_CHECK(wait_threads(base, 2000000000ull));
}
