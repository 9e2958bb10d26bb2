/*
 * Futex wait queues: a fixed table of hashed buckets, each a spinlock and a
 * list of waiting threads keyed by (memory object, offset).
 * Lock order: a bucket lock is taken with interrupts off and nothing else is
 * locked inside it: the user word is read there through the no-fault door
 * (k/uaccess.h), which fails instead of resolving a page fault.
 */
#include <k/futex.h>
#include <k/sched.h>
#include <k/percpu.h>
#include <k/clock.h>
#include <k/panic.h>
#include <k/uspace.h>
#include <k/uaccess.h>
#include <skoll/syscalls.h>

#define BUCKETS 64

struct bucket {
    struct spinlock lock;
    struct thread *head;
};

static struct bucket buckets[BUCKETS];

static unsigned hash(const void *obj, uint64_t off)
{
    uint64_t x = (uint64_t)obj ^ (off * 0x9e3779b97f4a7c15ull);
    x ^= x >> 29;
    return (unsigned)(x * 0xbf58476d1ce4e5b9ull >> 58) % BUCKETS;
}

/* Unlink t from bucket b. Caller holds b's lock. Returns 1 if t was there. */
static int unlink(struct bucket *b, struct thread *t)
{
    for (struct thread **pp = &b->head; *pp; pp = &(*pp)->futex_next) {
        if (*pp == t) {
            *pp = t->futex_next;
            t->futex_next = NULL;
            t->futex_bucket = -1;
            return 1;
        }
    }
    return 0;
}

static void timed_out(struct timer *tm)
{
    struct thread *t = tm->arg;
    int bi = t->futex_bucket;
    if (bi < 0)
        return;
    struct bucket *b = &buckets[bi];
    spin_lock(&b->lock);
    int was = unlink(b, t);
    if (was)
        t->wait_result = SK_ERR_TIMEOUT;
    spin_unlock(&b->lock);
    if (was)
        sched_wake(t);
}

sk_error_t futex_wait_user(uint64_t uaddr, uint64_t expected, uint64_t timeout_ns)
{
    if (uaddr & 7)
        return SK_ERR_ALIGNMENT;
    struct thread *self = current_thread();
    uint64_t val;
    /* first read outside the lock so that any page fault is taken now */
    sk_error_t err = copy_from_user(&val, uaddr, sizeof val);
    if (err)
        return err;
    struct memobj *m;
    uint64_t off;
    err = vm_space_resolve(self->space, uaddr, &m, &off);
    if (err)
        return err;
    unsigned bi = hash(m, off);
    struct bucket *b = &buckets[bi];
    uint64_t f = irq_save();
    spin_lock(&b->lock);
    /* Under the lock, with interrupts off, the read must neither fault nor sleep: it goes
       through the no-fault door, which fails on a page that is not present instead of
       resolving it. The page was present a moment ago; if another thread unmapped it
       meanwhile, the word changed as far as we can tell: SK_ERR_AGAIN, and the caller
       (who rechecks its word anyway) comes back, taking the fault outside the lock. */
    err = SK_ERR_AGAIN;
    if (urange_ok(uaddr, sizeof val) && uaccess_nofault_open()) {
        if (uaccess_many_copy(&val, uaddr, sizeof val) == 0)
            err = val != expected ? SK_ERR_AGAIN : SK_OK;
        uaccess_nofault_close();
    }
    if (!err && self->kill)
        err = SK_ERR_DEAD;
    if (err) {
        spin_unlock(&b->lock);
        irq_restore(f);
        kobj_put((struct kobject *)m);
        return err;
    }
    self->futex_key_obj = m;
    self->futex_key_off = off;
    self->futex_bucket = (int)bi;
    self->futex_next = b->head;
    b->head = self;
    self->wait_result = SK_OK;
    /* queued first, then look for a stop request: futex_interrupt stores the request,
       then looks at futex_bucket, so one of us sees the other */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&self->obs.stop_request, __ATOMIC_RELAXED)) {
        unlink(b, self);
        spin_unlock(&b->lock);
        irq_restore(f);
        kobj_put((struct kobject *)m);
        return SK_ERR_ALERTED;
    }
    self->state = THREAD_BLOCKED;
    if (timeout_ns != SK_TIMEOUT_NEVER) {
        uint64_t now = clock_ns();
        uint64_t deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX - 1 : now + timeout_ns;
        if (timer_arm(&self->wait_timer, deadline, timed_out, self) != 0)
            panic("futex_wait: wait timer of %s still armed", self->name);
    }
    spin_unlock(&b->lock);
    sched_block();
    timer_cancel_sync(&self->wait_timer);
    irq_restore(f);
    kobj_put((struct kobject *)m);
    if (self->kill && self->wait_result == SK_OK)
        return SK_ERR_DEAD;
    return (sk_error_t)self->wait_result;
}

sk_error_t futex_wake_user(uint64_t uaddr, uint32_t count, uint32_t *woken_out)
{
    *woken_out = 0;
    if (uaddr & 7)
        return SK_ERR_ALIGNMENT;
    struct memobj *m;
    uint64_t off;
    sk_error_t err = vm_space_resolve(current_thread()->space, uaddr, &m, &off);
    if (err)
        return err;
    struct bucket *b = &buckets[hash(m, off)];
    struct thread *woken = NULL;
    uint32_t n = 0;
    uint64_t f = spin_lock_irqsave(&b->lock);
    for (struct thread **pp = &b->head; *pp && n < count;) {
        struct thread *t = *pp;
        if (t->futex_key_obj == m && t->futex_key_off == off) {
            *pp = t->futex_next;
            t->futex_bucket = -1;
            t->futex_next = woken;
            woken = t;
            n++;
        } else {
            pp = &t->futex_next;
        }
    }
    spin_unlock_irqrestore(&b->lock, f);
    while (woken) {
        struct thread *t = woken;
        woken = t->futex_next;
        t->futex_next = NULL;
        sched_wake(t);
    }
    kobj_put((struct kobject *)m);
    *woken_out = n;
    return SK_OK;
}

void futex_cancel_wait(struct thread *t)
{
    int bi = t->futex_bucket;
    if (bi < 0)
        return;
    struct bucket *b = &buckets[bi];
    uint64_t f = spin_lock_irqsave(&b->lock);
    if (t->futex_bucket == bi)
        unlink(b, t);
    spin_unlock_irqrestore(&b->lock, f);
}

int futex_interrupt(struct thread *t)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the caller's store of the request comes first */
    int bi = __atomic_load_n(&t->futex_bucket, __ATOMIC_RELAXED);
    if (bi < 0)
        return 0;
    struct bucket *b = &buckets[bi];
    int was = 0;
    uint64_t f = spin_lock_irqsave(&b->lock);
    if (t->futex_bucket == bi && unlink(b, t)) {
        t->wait_result = SK_ERR_ALERTED;
        was = 1;
    }
    spin_unlock_irqrestore(&b->lock, f);
    if (was)
        sched_wake(t);
    return was;
}
