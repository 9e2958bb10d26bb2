/*
 * Deferred reference drops. Destroying an object can take locks, flush TLBs on
 * other CPUs or free large amounts of memory, none of which may happen in an
 * interrupt handler; a last reference dropped there goes to this list (linked
 * through the object itself, so it cannot run out), and a kernel thread drops
 * it soon after.
 */
#include <stddef.h>
#include <k/object.h>
#include <k/sched.h>
#include <k/percpu.h>
#include <k/panic.h>

static struct spinlock lock = SPINLOCK_INIT;
static struct kobject *work;
static struct thread *reaper;
static int ready;

static void reaper_main(void *arg)
{
    (void)arg;
    struct thread *self = current_thread(); /* may run before kthread_create returned */
    for (;;) {
        uint64_t f = spin_lock_irqsave(&lock);
        struct kobject *list = work;
        work = NULL;
        if (!list) {
            self->state = THREAD_BLOCKED;
            spin_unlock(&lock);
            sched_block(); /* interrupts still off: a waker queues us after we are off the CPU */
            irq_restore(f);
            continue;
        }
        spin_unlock_irqrestore(&lock, f);
        while (list) {
            struct kobject *o = list;
            list = o->defer_next;
            kobj_put(o);
        }
    }
}

void reaper_init(void)
{
    reaper = kthread_create(reaper_main, NULL, 12, "reaper");
    if (!reaper)
        panic("cannot start the reaper thread");
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

void kobj_put_anywhere(struct kobject *o)
{
    if (this_cpu()->irq_depth == 0 || !__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        kobj_put(o);
        return;
    }
    /* not the last reference: dropping it is just an atomic decrement */
    uint32_t refs = __atomic_load_n(&o->refs, __ATOMIC_RELAXED);
    while (refs > 1) {
        if (__atomic_compare_exchange_n(&o->refs, &refs, refs - 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return;
    }
    /* (probably) the last: the reaper drops it; nobody else can be linking o now */
    uint64_t f = spin_lock_irqsave(&lock);
    o->defer_next = work;
    work = o;
    spin_unlock_irqrestore(&lock, f);
    sched_wake(reaper);
}
