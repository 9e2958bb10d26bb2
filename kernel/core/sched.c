/*
 * The scheduler: per-CPU run queues (k/percpu.h struct runqueue), priority
 * levels with round robin inside each, work stealing by CPUs that would
 * otherwise idle, CPU affinity, and the idle loop. See k/sched.h for the rules.
 *
 * Locks: one run-queue lock per CPU, taken with interrupts off; at most one
 * run-queue lock is held at a time.
 *
 * Affinity: a thread is put on a CPU's queue, or made a CPU's current thread,
 * only under that CPU's run-queue lock and only after reading its mask there
 * (rq_place, commit in schedule). sched_set_affinity stores the new mask, then
 * takes each excluded CPU's lock in turn: whatever was placed there with the
 * old mask is found and moved (or its CPU interrupted), and whatever is placed
 * after sees the new mask.
 */
#include <k/hot.h>
#include <k/sched.h>
#include <k/ktrace.h>
#include <stddef.h>
#include <skoll/syscalls.h>
#include <k/percpu.h>
#include <k/clock.h>
#include <k/panic.h>
#include <k/smp.h>
#include <arch/cpu.h>
#include <arch/idt.h>

_Static_assert(MAX_CPUS <= 64, "affinity masks are 64-bit");

void sched_finish_switch(struct thread *prev);

static struct thread idle_threads[MAX_CPUS];
static KHOT uint64_t online_mask; /* CPUs that have run sched_start_cpu; only grows */

uint64_t sched_cpu_mask(void)
{
    return __atomic_load_n(&online_mask, __ATOMIC_ACQUIRE);
}

/*
 * The CPUs t may run on now: its mask among the online CPUs (all of them if that
 * is none, which thread_set_affinity refuses; any CPU before the first one schedules).
 */
static uint64_t allowed_mask(const struct thread *t)
{
    uint64_t on = sched_cpu_mask();
    uint64_t m = __atomic_load_n(&t->affinity, __ATOMIC_RELAXED) & on;
    return m ? m : on ? on : ~0ull;
}

static int cpu_allowed(const struct thread *t, const struct cpu *c)
{
    return (int)(allowed_mask(t) >> c->id & 1);
}

static void rq_push(struct runqueue *rq, struct thread *t)
{
    unsigned p = t->prio;
    t->rq_next = NULL;
    if (rq->tail[p])
        rq->tail[p]->rq_next = t;
    else
        rq->head[p] = t;
    rq->tail[p] = t;
    rq->bitmap |= 1u << p;
    rq->count++;
}

/* Unlink t, found at level p after prev (NULL: t is the head). */
static void rq_unlink(struct runqueue *rq, unsigned p, struct thread *prev, struct thread *t)
{
    if (prev)
        prev->rq_next = t->rq_next;
    else
        rq->head[p] = t->rq_next;
    if (rq->tail[p] == t)
        rq->tail[p] = prev;
    if (!rq->head[p])
        rq->bitmap &= ~(1u << p);
    rq->count--;
}

/*
 * Remove and return the first thread of the highest level that may run on
 * taker and whose context is free (mine: this CPU's current thread, which may
 * be taken back by this CPU only).
 */
static struct thread *rq_take(struct runqueue *rq, struct thread *mine, const struct cpu *taker)
{
    for (uint32_t bits = rq->bitmap; bits;) {
        unsigned p = 31 - (unsigned)__builtin_clz(bits);
        bits &= ~(1u << p);
        struct thread *prev = NULL;
        for (struct thread *t = rq->head[p]; t; prev = t, t = t->rq_next) {
            if (t != mine && __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
                continue;
            if (!cpu_allowed(t, taker))
                continue;
            rq_unlink(rq, p, prev, t);
            return t;
        }
    }
    return NULL;
}

/* Remove t from rq if it is queued there (at any level: its priority may have changed). */
static int rq_remove(struct runqueue *rq, struct thread *t)
{
    for (uint32_t bits = rq->bitmap; bits;) {
        unsigned p = 31 - (unsigned)__builtin_clz(bits);
        bits &= ~(1u << p);
        struct thread *prev = NULL;
        for (struct thread *x = rq->head[p]; x; prev = x, x = x->rq_next) {
            if (x == t) {
                rq_unlink(rq, p, prev, x);
                return 1;
            }
        }
    }
    return 0;
}

/*
 * Queue RUNNABLE t on c if its mask allows c (read under c's lock). Returns 1
 * if it did. Interrupts off; takes c's run-queue lock.
 */
static int rq_place(struct cpu *c, struct thread *t)
{
    spin_lock(&c->rq.lock);
    int ok = cpu_allowed(t, c);
    if (ok) {
        t->cpu = (int)c->id;
        rq_push(&c->rq, t);
    }
    spin_unlock(&c->rq.lock);
    return ok;
}

/*
 * Take work that may run on self from the CPU with the most queued threads
 * above min_excess (the next longest if that one has nothing for us).
 * Interrupts off; takes one run-queue lock at a time.
 */
static struct thread *steal(struct cpu *self, uint32_t min_excess)
{
    uint64_t tried = 0;
    for (;;) {
        struct cpu *victim = NULL;
        uint32_t most = min_excess;
        for (uint32_t i = 0; i < cpu_count; i++) {
            struct cpu *c = &cpus[i];
            if (c == self || !c->sched_ready || (tried >> i & 1))
                continue;
            uint32_t n = __atomic_load_n(&c->rq.count, __ATOMIC_RELAXED);
            if (n > most) {
                most = n;
                victim = c;
            }
        }
        if (!victim)
            return NULL;
        tried |= 1ull << victim->id;
        spin_lock(&victim->rq.lock);
        struct thread *t = rq_take(&victim->rq, NULL, self);
        spin_unlock(&victim->rq.lock);
        if (t)
            return t;
    }
}

/*
 * Time slices. Each switch gives the new thread a fresh slice (c->slice_end), but
 * the slice timer is armed only when it is not armed already: reprogramming the
 * hardware timer at every switch costs more (a trap to the hypervisor under
 * virtualisation) than a slice timer that expires early now and then and re-arms
 * itself for the slice's real end.
 */
static void slice_expired(struct timer *t)
{
    (void)t;
    struct cpu *c = this_cpu();
    uint64_t end = c->slice_end;
    if (!end)
        return; /* idle since: no slice to end */
    if (clock_ns() < end) {
        timer_arm(&c->slice_timer, end, slice_expired, NULL);
        return;
    }
    c->need_resched = 1;
}

/* A fresh slice for c's current thread (none for the idle thread). Interrupts off. */
static void slice_start(struct cpu *c)
{
    if (c->current == c->idle) {
        c->slice_end = 0;
        return;
    }
    c->slice_end = clock_ns() + SCHED_SLICE_NS;
    if (!c->slice_timer.armed)
        timer_arm(&c->slice_timer, c->slice_end, slice_expired, NULL);
}

static void resched_ipi(struct trap_frame *tf)
{
    (void)tf;
    this_cpu()->need_resched = 1;
}

void sched_set_need_resched(void)
{
    this_cpu()->need_resched = 1;
}

int sched_others_waiting(void)
{
    struct cpu *c = this_cpu();
    return c->need_resched || __atomic_load_n(&c->rq.count, __ATOMIC_RELAXED) != 0;
}

/* Kick one idling CPU (other than self) so it comes looking for work. */
static void kick_idle(struct cpu *self)
{
    for (uint32_t i = 0; i < cpu_count; i++) {
        struct cpu *c = &cpus[i];
        if (c != self && c->sched_ready && __atomic_load_n(&c->idling, __ATOMIC_ACQUIRE)) {
            smp_send_ipi(c->id, VEC_IPI_RESCHED);
            return;
        }
    }
}

/*
 * Where RUNNABLE t should go, among the CPUs its mask allows: its last CPU if
 * that idles, else any idle one, else its last CPU, else this one, else the
 * one with the shortest queue.
 */
static struct cpu *wake_target(struct thread *t)
{
    uint64_t m = allowed_mask(t);
    struct cpu *self = this_cpu();
    struct cpu *home = &cpus[t->cpu];
    int home_ok = home->sched_ready && (m >> home->id & 1);
    if (home_ok && home->idling)
        return home;
    for (uint32_t i = 0; i < cpu_count; i++)
        if (cpus[i].sched_ready && (m >> i & 1) && cpus[i].idling)
            return &cpus[i];
    if (home_ok)
        return home;
    if (self->sched_ready && (m >> self->id & 1))
        return self;
    struct cpu *best = NULL;
    for (uint32_t i = 0; i < cpu_count; i++)
        if (cpus[i].sched_ready && (m >> i & 1) &&
            (!best || __atomic_load_n(&cpus[i].rq.count, __ATOMIC_RELAXED) <
                          __atomic_load_n(&best->rq.count, __ATOMIC_RELAXED)))
            best = &cpus[i];
    return best ? best : self; /* only before any CPU schedules */
}

/* target has just queued t: make it reschedule if it idles or runs something less urgent. */
static void kick(struct cpu *target, const struct thread *t)
{
    struct cpu *self = this_cpu();
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with the idle loop's idling/count check */
    if (target == self) {
        if (self->current == self->idle || t->prio > self->current->prio)
            self->need_resched = 1;
    } else if (__atomic_load_n(&target->polling, __ATOMIC_SEQ_CST)) {
        /* it sees its queue grow (idle_poll) */
    } else if (__atomic_load_n(&target->idling, __ATOMIC_RELAXED) ||
               target->current == target->idle || t->prio > target->current->prio) {
        smp_send_ipi(target->id, VEC_IPI_RESCHED);
    }
}

/* Queue RUNNABLE t on a CPU its mask allows and kick that CPU. Interrupts off; no locks held. */
static void enqueue(struct thread *t)
{
    struct cpu *target;
    do
        target = wake_target(t);
    while (!rq_place(target, t)); /* its mask changed under us: choose again */
    kick(target, t);
}

/* Pick and switch to the next thread. Interrupts off. */
static void schedule(void)
{
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    struct thread *away[3]; /* threads that may not stay here (affinity), queued elsewhere below */
    int n_away = 0, requeued = 0;
    ktrace(KT_SCHEDULE, prev->id, (uint64_t)__builtin_return_address(0));
    c->need_resched = 0;
    spin_lock(&c->rq.lock);
    /* A running thread goes back in the queue. A RUNNABLE one was woken by another CPU
       before it got off this one: its waker queues it once our switch is done. */
    if (prev != c->idle && prev->state == THREAD_RUNNING) {
        prev->state = THREAD_RUNNABLE;
        if (cpu_allowed(prev, c)) {
            rq_push(&c->rq, prev);
            requeued = 1;
        } else {
            away[n_away++] = prev; /* its mask excludes this CPU now: it moves */
        }
    }
    uint32_t mine = c->rq.count;
    spin_unlock(&c->rq.lock);
    /* balance: pull a thread from a CPU whose queue is two or more longer than ours */
    struct thread *pulled = steal(c, mine + 1);
    spin_lock(&c->rq.lock);
    if (pulled) {
        if (cpu_allowed(pulled, c)) {
            pulled->cpu = (int)c->id;
            rq_push(&c->rq, pulled);
        } else
            away[n_away++] = pulled;
    }
    struct thread *next = rq_take(&c->rq, prev, c);
    if (!next) {
        spin_unlock(&c->rq.lock);
        struct thread *stolen = steal(c, 0);
        spin_lock(&c->rq.lock);
        if (stolen && cpu_allowed(stolen, c))
            next = stolen;
        else if (stolen)
            away[n_away++] = stolen;
    }
    if (!next)
        next = c->idle;
    /* commit under the lock, where sched_set_affinity looks for the current thread */
    next->state = THREAD_RUNNING;
    next->on_cpu = 1;
    next->cpu = (int)c->id;
    c->current = next;
    int waiting = c->rq.count;
    spin_unlock(&c->rq.lock);
    for (int i = 0; i < n_away; i++)
        enqueue(away[i]); /* prev may still be live here: other CPUs skip it until it is not */
    if (next == prev) {
        if (waiting)
            kick_idle(c);
        /* a new slice: a running thread always has a slice timer, so that threads
           queued behind it later (wakers do not interrupt equal priorities) get a turn */
        slice_start(c);
        return;
    }
    if (requeued || waiting)
        kick_idle(c);
    next->switches++;
    uint64_t now = clock_ns();
    if (prev != c->idle)
        prev->run_ns += now - prev->run_start;
    next->run_start = now;
    ktrace(KT_SWITCH, prev->id, next->id);
    arch_switch_to(prev, next);
    prev = context_switch(&prev->saved_rsp, next->saved_rsp, prev);
    sched_finish_switch(prev);
}

/* After any switch, on the new thread's stack: release prev, start the new slice. */
void sched_finish_switch(struct thread *prev)
{
    struct cpu *c = this_cpu();
    int dead = prev->state == THREAD_DEAD;
    __atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
    if (dead)
        thread_reap(prev);
    slice_start(c);
}

void sched_yield(void)
{
    uint64_t f = irq_save();
    schedule();
    irq_restore(f);
}

void sched_block(void)
{
    uint64_t f = irq_save();
    struct thread *t = this_cpu()->current;
    /* RUNNING: an interrupt on this CPU woke it already; RUNNABLE: a waker elsewhere
       will queue it as soon as it is off this CPU, so it must get off */
    if (t->state != THREAD_RUNNING)
        schedule();
    irq_restore(f);
}

void sched_cancel_block(void)
{
    struct thread *t = this_cpu()->current;
    int from = THREAD_BLOCKED;
    if (!__atomic_compare_exchange_n(&t->state, &from, THREAD_RUNNING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        sched_block(); /* RUNNABLE: its waker queues it once it is off this CPU */
}

int sched_wake(struct thread *t)
{
    int from = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
    if (from != THREAD_BLOCKED && from != THREAD_NEW)
        return 0;
    if (!__atomic_compare_exchange_n(&t->state, &from, THREAD_RUNNABLE, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return 0;
    uint64_t f = irq_save();
    struct cpu *self = this_cpu();
    if (t == self->current) {
        /* woken by an interrupt between deciding to block and switching away: stay */
        t->state = THREAD_RUNNING;
        irq_restore(f);
        return 1;
    }
    while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
        cpu_relax();
    enqueue(t);
    irq_restore(f);
    return 1;
}

void sched_set_affinity(struct thread *t, uint64_t mask)
{
    __atomic_store_n(&t->affinity, mask, __ATOMIC_SEQ_CST);
    uint64_t f = irq_save();
    struct cpu *self = this_cpu();
    /* every CPU it may no longer use: take it off that queue, or interrupt that CPU */
    uint64_t out = sched_cpu_mask() & ~allowed_mask(t);
    for (uint32_t i = 0; i < cpu_count; i++) {
        if (!(out >> i & 1))
            continue;
        struct cpu *c = &cpus[i];
        spin_lock(&c->rq.lock);
        int queued = rq_remove(&c->rq, t);
        int running = !queued && c->current == t;
        spin_unlock(&c->rq.lock);
        if (queued)
            enqueue(t);
        else if (running && c != self)
            smp_send_ipi(c->id, VEC_IPI_RESCHED); /* its next schedule moves it */
    }
    if (t == self->current && !cpu_allowed(t, self))
        schedule(); /* moves the caller; returns on a CPU its mask allows */
    irq_restore(f);
}

void sched_return_to_user(void)
{
    struct cpu *c = this_cpu();
    for (;;) {
        struct thread *t = c->current;
        if (t->kill)
            thread_exit(SK_EXIT_DONE | SK_EXIT_KILLED);
        if (__atomic_load_n(&t->obs.stop_request, __ATOMIC_RELAXED)) {
            observe_stop_requested(t); /* returns when resumed or killed */
            c = this_cpu();
            continue;
        }
        if (!c->need_resched)
            return;
        schedule();
        c = this_cpu();
    }
}

void sched_init(void)
{
    idt_set_handler(VEC_IPI_RESCHED, resched_ipi);
}

void sched_start_cpu(void)
{
    struct cpu *c = this_cpu();
    struct thread *idle = &idle_threads[c->id];
    kobj_init(&idle->obj, SK_OBJ_THREAD, NULL);
    idle->state = THREAD_RUNNING;
    idle->on_cpu = 1;
    idle->cpu = (int)c->id;
    idle->prio = 0;
    idle->affinity = ~0ull;
    idle->name[0] = 'i', idle->name[1] = 'd', idle->name[2] = 'l', idle->name[3] = 'e';
    c->rq.lock = (struct spinlock)SPINLOCK_INIT;
    c->idle = idle;
    c->current = idle;
    c->kstack_top = 0; /* idle never enters from user mode */
    __atomic_store_n(&c->sched_ready, 1, __ATOMIC_RELEASE);
    __atomic_fetch_or(&online_mask, 1ull << c->id, __ATOMIC_RELEASE); /* after: masks name ready CPUs */
}

uint64_t sched_idle_poll_ns = 50000;

/*
 * The current thread only watches for something (a stopped thread for its resume,
 * stop_spin): to wakers this CPU is as good as idle. They choose it as they would an idle
 * one, and queue without an IPI (it watches its queue, as idle_poll does); the watcher then
 * gives the CPU up. Without this, a thread woken meanwhile went to the other, busy CPU.
 */
void sched_watch_begin(void)
{
    struct cpu *c = this_cpu();
    __atomic_store_n(&c->polling, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->idling, 1, __ATOMIC_SEQ_CST);
}

void sched_watch_end(void)
{
    struct cpu *c = this_cpu();
    __atomic_store_n(&c->idling, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->polling, 0, __ATOMIC_SEQ_CST);
}

/*
 * Before halting, the idle loop watches its queue for sched_idle_poll_ns (interrupts on):
 * under virtualisation a halted CPU is a sleeping host thread, and waking it costs tens of
 * microseconds, more than most waits between two IPC messages. While c->polling is set,
 * wakers queue without an IPI (kick); clearing it and then looking at the queue once more
 * (both seq_cst, as the waker's queueing and its look at polling) leaves no window.
 */
static void idle_poll(struct cpu *c)
{
    if (!sched_idle_poll_ns)
        return;
    __atomic_store_n(&c->polling, 1, __ATOMIC_SEQ_CST);
    uint64_t until = clock_ns() + sched_idle_poll_ns;
    unsigned turn = 0;
    while (!c->need_resched && __atomic_load_n(&c->rq.count, __ATOMIC_SEQ_CST) == 0) {
        irq_enable();
        int paused = cpu_relax_paced(&turn);
        irq_disable();
        if (paused && clock_ns() >= until)
            break;
    }
    __atomic_store_n(&c->polling, 0, __ATOMIC_SEQ_CST);
}

void sched_idle_loop(void)
{
    struct cpu *c = this_cpu();
    for (;;) {
        irq_disable();
        schedule();
        /* Nothing to run: halt until an interrupt. idling is set before the queue is
           looked at (wakers look at idling after queueing), and sti;hlt leaves no window. */
        __atomic_store_n(&c->idling, 1, __ATOMIC_SEQ_CST);
        idle_poll(c);
        if (!c->need_resched && __atomic_load_n(&c->rq.count, __ATOMIC_SEQ_CST) == 0)
            __asm__ volatile("sti; hlt" ::: "memory");
        __atomic_store_n(&c->idling, 0, __ATOMIC_RELAXED);
    }
}

void sched_wake_timer(struct timer *tm)
{
    sched_wake(tm->arg);
}

void sched_sleep_ns(uint64_t ns)
{
    struct thread *t = this_cpu()->current;
    uint64_t f = irq_save();
    t->state = THREAD_BLOCKED;
    if (timer_arm(&t->wait_timer, clock_ns() + ns, sched_wake_timer, t) != 0)
        panic("sched_sleep_ns: wait timer of %s still armed", t->name);
    sched_block();
    timer_cancel_sync(&t->wait_timer);
    irq_restore(f);
}
