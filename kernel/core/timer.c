/*
 * Per-CPU one-shot timers: a sorted singly linked list per CPU under a lock,
 * with the hardware timer (arch_timer_program) aimed at the head. Expired
 * timers are unlinked under the lock and their callbacks run after it is
 * dropped, in deadline order; the queue's running field names the timer whose
 * callback is executing, so that timer_cancel_sync can wait for it.
 */
#include <k/hot.h>
#include <k/ktrace.h>
#include <k/timer.h>
#include <stddef.h>
#include <k/clock.h>
#include <k/percpu.h>
#include <k/spinlock.h>
#include <arch/cpu.h>

struct timer_queue {
    struct spinlock lock;
    struct timer *head;
    struct timer *running; /* callback executing now (timer_interrupt), or NULL */
};

static KHOT struct timer_queue queues[MAX_CPUS];

void timer_init_cpu(void)
{
    struct timer_queue *q = &queues[this_cpu()->id];
    q->lock = (struct spinlock)SPINLOCK_INIT;
    q->head = NULL;
    q->running = NULL;
}

int timer_arm(struct timer *t, uint64_t deadline_ns, void (*fn)(struct timer *), void *arg)
{
    if (!t || !fn)
        return -1;
    uint64_t f = irq_save();
    int cpu = (int)this_cpu()->id;
    struct timer_queue *q = &queues[cpu];
    spin_lock(&q->lock);
    if (t->armed) {
        spin_unlock(&q->lock);
        irq_restore(f);
        return -1;
    }
    t->deadline = deadline_ns;
    t->fn = fn;
    t->arg = arg;
    t->cpu = cpu;
    struct timer **pp = &q->head;
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = 1;
    if (q->head == t)
        arch_timer_program(deadline_ns);
    spin_unlock(&q->lock);
    irq_restore(f);
    return 0;
}

int timer_cancel(struct timer *t)
{
    if (!t || !t->armed)
        return 0;
    int cpu = t->cpu;
    if (cpu < 0 || cpu >= MAX_CPUS)
        return 0;
    struct timer_queue *q = &queues[cpu];
    uint64_t f = spin_lock_irqsave(&q->lock);
    int found = 0;
    for (struct timer **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp != t)
            continue;
        *pp = t->next;
        t->armed = 0;
        found = 1;
        break;
    }
    /* the hardware timer may be left aimed at t's deadline: an early interrupt finds nothing due */
    spin_unlock_irqrestore(&q->lock, f);
    return found;
}

int timer_cancel_sync(struct timer *t)
{
    if (timer_cancel(t))
        return 1;
    if (!t)
        return 0;
    int cpu = t->cpu;
    /* on its own CPU a callback is either not running or is what called us */
    if (cpu < 0 || cpu >= MAX_CPUS || cpu == (int)this_cpu()->id)
        return 0;
    struct timer_queue *q = &queues[cpu];
    /* timer_interrupt names t running before it clears armed, so one of the two shows */
    while (__atomic_load_n(&t->armed, __ATOMIC_ACQUIRE) == 2 ||
           __atomic_load_n(&q->running, __ATOMIC_ACQUIRE) == t)
        cpu_relax();
    return 0;
}

void timer_interrupt(void)
{
    struct timer_queue *q = &queues[this_cpu()->id];
    struct timer *due = NULL, **tail = &due;
    spin_lock(&q->lock);
    uint64_t now = clock_ns();
    ktrace(KT_TIMER_IRQ, q->head ? q->head->deadline : 0, now);
    while (q->head && q->head->deadline <= now) {
        struct timer *t = q->head;
        q->head = t->next;
        t->next = NULL;
        t->armed = 2; /* firing: neither armable nor cancellable until its callback starts */
        *tail = t;
        tail = &t->next;
    }
    arch_timer_program(q->head ? q->head->deadline : TIMER_NEVER);
    spin_unlock(&q->lock);
    while (due) {
        struct timer *t = due;
        due = t->next;
        __atomic_store_n(&q->running, t, __ATOMIC_SEQ_CST);
        __atomic_store_n(&t->armed, 0, __ATOMIC_RELEASE);
        ktrace(KT_TIMER, (uint64_t)t->fn, 0);
        t->fn(t);
        __atomic_store_n(&q->running, NULL, __ATOMIC_RELEASE);
    }
}
