/*
 * Events: objects a thread raises and operations await (docs/queue.md).
 * A one-shot event is raised once, for good. A bitset event counts raises and
 * ORs their bits in; event_await(e, seq) completes as soon as the count
 * exceeds seq, with the count and the accumulated bits.
 * Lock order: the event lock is taken before a queue's lock (async_complete).
 */
#include <k/async.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/thread.h>
#include <k/heap.h>
#include <k/spinlock.h>

struct event {
    struct kobject obj;
    struct spinlock lock;
    uint32_t kind;
    uint64_t count;
    uint64_t bits;
    struct async_op *waiting; /* linked by op->next */
};

static void event_destroy(struct kobject *o)
{
    kfree(o); /* awaiting ops hold references, so none wait now */
}

/* event_create(kind) -> handle */
SYSCALL_DEFINE(event_create)
{
    SYSCALL_UNUSED_ARGS;
    if (a0 != SK_EVENT_ONESHOT && a0 != SK_EVENT_BITSET)
        return SK_ERR_INVALID;
    struct event *e = kzalloc(sizeof *e);
    if (!e)
        return SK_ERR_NO_MEMORY;
    kobj_init(&e->obj, SK_OBJ_EVENT, event_destroy);
    e->lock = (struct spinlock)SPINLOCK_INIT;
    e->kind = (uint32_t)a0;
    sk_handle_t h;
    sk_error_t err = universe_insert(thread_universe(current_thread()), &e->obj,
                                     SK_RIGHT_WAIT | SK_RIGHT_SIGNAL | SK_RIGHT_TRANSFER |
                                         SK_RIGHT_DUPLICATE,
                                     &h);
    kobj_put(&e->obj);
    if (!err)
        *ret = (uint64_t)h;
    return err;
}

/* event_raise(event, bits): needs SK_RIGHT_SIGNAL. bits must be 0 for a one-shot event. */
SYSCALL_DEFINE(event_raise)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_EVENT, SK_RIGHT_SIGNAL, &o, NULL);
    if (err)
        return err;
    struct event *e = (struct event *)o;
    if (e->kind == SK_EVENT_ONESHOT && a1) {
        kobj_put(o);
        return SK_ERR_INVALID;
    }
    uint64_t f = spin_lock_irqsave(&e->lock);
    if (e->kind == SK_EVENT_ONESHOT) {
        e->count = 1;
    } else {
        e->count++;
        e->bits |= a1;
    }
    uint64_t count = e->count, bits = e->bits;
    struct async_op *list = e->waiting, *keep = NULL;
    e->waiting = NULL;
    /* complete the awaits the new count satisfies, keep the others */
    while (list) {
        struct async_op *op = list;
        list = op->next;
        if (op->args[1] < count) {
            op->priv = NULL;
            async_complete(op, SK_OK, count, bits);
            kobj_put_anywhere(o); /* the op's reference; never the last: we hold one */
        } else {
            op->next = keep;
            keep = op;
        }
    }
    e->waiting = keep;
    spin_unlock_irqrestore(&e->lock, f);
    kobj_put(o);
    return SK_OK;
}

static void await_cancel(struct async_op *op)
{
    struct event *e = op->u.words[0] ? (struct event *)op->u.words[0] : NULL;
    if (!e)
        return;
    int found = 0;
    uint64_t f = spin_lock_irqsave(&e->lock);
    for (struct async_op **pp = &e->waiting; *pp; pp = &(*pp)->next) {
        if (*pp == op) {
            *pp = op->next;
            found = 1;
            break;
        }
    }
    spin_unlock_irqrestore(&e->lock, f);
    if (found) {
        async_complete(op, SK_ERR_CANCELLED, 0, 0);
        kobj_put(&e->obj);
    }
}

/* event_await(event, seq): completes when the event's count exceeds seq. Needs SK_RIGHT_WAIT. */
sk_error_t async_submit_event_await(struct async_op *op)
{
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)op->args[0], SK_OBJ_EVENT, SK_RIGHT_WAIT, &o, NULL);
    if (err)
        return err;
    struct event *e = (struct event *)o;
    uint64_t f = spin_lock_irqsave(&e->lock);
    if (e->count > op->args[1]) {
        uint64_t count = e->count, bits = e->bits;
        spin_unlock_irqrestore(&e->lock, f);
        async_complete(op, SK_OK, count, bits);
        kobj_put(o);
        return SK_OK;
    }
    op->u.words[0] = (uint64_t)e; /* keeps the reference handle_get took */
    op->cancel = await_cancel;
    op->next = e->waiting;
    e->waiting = op;
    spin_unlock_irqrestore(&e->lock, f);
    return SK_OK;
}
