/*
 * Self tests of kernel threads and the scheduler. They wait for what must happen (every
 * CPU runs a worker, the threads end and are reaped) with no time limit: the host may stall
 * a vCPU for any length of time, and what never happens hangs the boot, which the runner
 * reports.
 */
#include <k/selftest.h>
#include <stddef.h>
#include <k/sched.h>
#include <k/percpu.h>
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

/* Count ROUNDS times, then keep yielding until every CPU has run a worker. */
static void worker(void *arg)
{
    (void)arg;
    uint64_t all = all_cpus_mask();
    for (int i = 0; i < ROUNDS || cpu_mask != all; i++) {
        if (i < ROUNDS)
            __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        __atomic_fetch_or(&cpu_mask, 1ull << (this_cpu()->id & 63), __ATOMIC_RELAXED);
        sched_yield();
    }
    __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
}

/* Yield until *v reaches want. */
static void wait_for(volatile uint64_t *v, uint64_t want)
{
    while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want)
        sched_yield();
}

/* Yield until the thread count is want (the reaper has freed the ended ones). */
static void wait_threads(uint64_t want)
{
    while (thread_count() != want)
        sched_yield();
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
    wait_for(&finished, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        kobj_put(&t[i]->obj);
    ST_CHECK(counter == NTHREADS * ROUNDS);
    ST_CHECK(cpu_mask == all_cpus_mask()); /* (the workers wait for it) */
    wait_threads(base);
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
    wait_for(&finished, 2);
    kobj_put(&a->obj);
    kobj_put(&b->obj);
    ST_CHECK(pp.rounds >= 2000);
    wait_threads(base);
}
