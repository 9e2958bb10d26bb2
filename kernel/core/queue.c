/*
 * Queues: the kernel side of asynchronous system calls (docs/queue.md,
 * include/skoll/queue.h). A queue owns a physically contiguous memory object
 * that user space maps; the kernel reaches it through the direct map, so it
 * can post completions from any context without touching page tables.
 *
 * Shared memory is hostile: the kernel keeps its own sq_head and cq_tail,
 * reads sq_tail and cq_head once per use and checks them, and copies each SQ
 * entry before it looks at it.
 *
 * Flow control: an op is "in flight" from submission until its completion is
 * in the CQ. A queue never has more ops in flight than CQ entries; a completion
 * that finds the CQ full (the user has not consumed enough, or lies about
 * cq_head) waits in the overflow list and is posted by the next drive.
 *
 * Locks: q->lock (irq-safe) guards the kernel indices, the op list, the overflow
 * list and the waiters. Providers may hold their own lock while completing
 * (provider lock -> q->lock); the queue never calls a provider with q->lock held.
 */
#include <k/hot.h>
#include <k/async.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/sched.h>
#include <k/ktrace.h>
#include <k/percpu.h>
#include <k/heap.h>
#include <k/clock.h>
#include <k/spinlock.h>
#include <k/panic.h>
#include <base/string.h>
#include <arch/layout.h>

struct queue {
    struct kobject obj;
    struct spinlock lock;
    struct memobj *mem;
    struct sk_queue_header *hdr;     /* kernel view of the shared memory */
    struct sk_sqe *sq;
    struct sk_cqe *cq;
    uint32_t sq_entries, cq_entries; /* the kernel's own copies */
    uint32_t sq_head, cq_tail;       /* the kernel's own indices */
    uint32_t in_flight;
    uint32_t skipped;                /* SK_SQE_SKIP_SUCCESS ops that succeeded (hdr->skipped) */
    struct async_op *ops;            /* not yet posted (pending, or in the overflow list) */
    struct async_op *overflow, *overflow_tail;
    struct thread *waiters;          /* sleeping in queue_drive, linked by qwait_next */
    int alerted;
    int closing;                     /* last handle gone: new submissions are refused */
};

static KHOT struct slab_cache *op_cache;

/* A 64-bit access to two adjacent 32-bit ABI fields (sk_sqe opcode/flags, sk_cqe error/length). */
typedef uint64_t __attribute__((may_alias, aligned(8))) u64_alias;

void queue_init(void)
{
    op_cache = slab_cache_create("async_op", sizeof(struct async_op), 64);
    if (!op_cache)
        panic("queue: no memory for the operation cache");
}

static void queue_destroy(struct kobject *o)
{
    struct queue *q = (struct queue *)o;
    /* no ops remain: each held a reference; overflowed completions are freed with them */
    kobj_put(memobj_kobj(q->mem));
    kfree(q);
}

#ifdef SKOLL_DEBUG
/* Operations allocated, by opcode (the last for unknown ones): for the leak report only. */
static volatile uint64_t ops_live[SK_OP_COUNT + 1];
#define OP_INDEX(op) ((op)->opcode < SK_OP_COUNT ? (op)->opcode : SK_OP_COUNT)
#endif

void async_census(uint64_t counts[SK_OP_COUNT + 1])
{
    for (unsigned i = 0; i <= SK_OP_COUNT; i++)
#ifdef SKOLL_DEBUG
        counts[i] = __atomic_load_n(&ops_live[i], __ATOMIC_RELAXED);
#else
        counts[i] = 0;
#endif
}

static void op_free(struct async_op *op)
{
    struct queue *q = op->queue;
#ifdef SKOLL_DEBUG
    __atomic_fetch_sub(&ops_live[OP_INDEX(op)], 1, __ATOMIC_RELAXED);
#endif
    if (op->release)
        op->release(op);
    slab_free(op_cache, op);
    kobj_put_anywhere(&q->obj);
}

static void op_put(struct async_op *op)
{
    if (__atomic_sub_fetch(&op->refs, 1, __ATOMIC_ACQ_REL) == 0)
        op_free(op);
}

/* Unread completions as the user's cq_head says, or cq_entries if it lies. q->lock held. */
static uint32_t cq_used(struct queue *q)
{
    uint32_t head = __atomic_load_n(&q->hdr->cq_head, __ATOMIC_ACQUIRE);
    uint32_t used = q->cq_tail - head;
    return used > q->cq_entries ? q->cq_entries : used;
}

/* Write op's completion into the CQ if there is room. q->lock held. Returns 1 if posted. */
static int post_locked(struct queue *q, struct async_op *op)
{
    if (cq_used(q) >= q->cq_entries)
        return 0;
    struct sk_cqe *c = &q->cq[q->cq_tail & (q->cq_entries - 1)];
    c->tag = op->tag;
    c->error = op->error;
    c->length = op->length;
    c->value = op->value;
    c->value2 = op->value2;
    if (op->length)
        memcpy(c->data, op->data, op->length);
    q->cq_tail++;
    __atomic_store_n(&q->hdr->cq_tail, q->cq_tail, __ATOMIC_RELEASE);
    q->in_flight--;
    return 1;
}

static void unlink_op(struct queue *q, struct async_op *op)
{
    if (op->qprev)
        op->qprev->qnext = op->qnext;
    else
        q->ops = op->qnext;
    if (op->qnext)
        op->qnext->qprev = op->qprev;
    op->qnext = op->qprev = NULL;
}

/* Wake every thread sleeping in queue_drive on q. q->lock held. */
static void wake_waiters(struct queue *q)
{
    while (q->waiters) {
        struct thread *t = q->waiters;
        q->waiters = t->qwait_next;
        t->qwait_next = NULL;
        sched_wake(t);
    }
}

/* Post what the overflow list holds, as far as the CQ has room. q->lock held. */
static void flush_overflow_locked(struct queue *q, struct async_op **freed)
{
    while (q->overflow && post_locked(q, q->overflow)) {
        struct async_op *op = q->overflow;
        q->overflow = op->next;
        if (!q->overflow)
            q->overflow_tail = NULL;
        op->posted_overflow = 0;
        unlink_op(q, op);
        op->next = *freed;
        *freed = op;
    }
}

static void put_list(struct async_op *list)
{
    while (list) {
        struct async_op *op = list;
        list = op->next;
        op_put(op);
    }
}

int async_complete_data(struct async_op *op, sk_error_t error, uint64_t value, uint64_t value2,
                        const void *data, size_t length)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&op->state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return 0;
    if (length > SK_CQE_INLINE_MAX)
        length = SK_CQE_INLINE_MAX;
    op->error = error;
    op->value = value;
    op->value2 = value2;
    op->length = (uint32_t)length;
    if (length && data != op->data) /* (a provider may have written it in place) */
        memcpy(op->data, data, length);
    struct queue *q = op->queue;
    struct async_op *freed = NULL;
    uint64_t f = spin_lock_irqsave(&q->lock);
    if (q->overflow)
        flush_overflow_locked(q, &freed);
    if (q->closing) {
        /* nobody can read it: drop it */
        unlink_op(q, op);
        q->in_flight--;
        op->next = freed;
        freed = op;
    } else if (error == SK_OK && (op->flags & SK_SQE_SKIP_SUCCESS)) {
        /* no completion: only the count, and its in-flight slot is free */
        unlink_op(q, op);
        q->in_flight--;
        q->skipped++;
        __atomic_store_n(&q->hdr->skipped, q->skipped, __ATOMIC_RELEASE);
        op->next = freed;
        freed = op;
    } else if (!q->overflow && post_locked(q, op)) {
        unlink_op(q, op);
        op->next = freed;
        freed = op;
    } else {
        op->next = NULL;
        op->posted_overflow = 1;
        if (q->overflow_tail)
            q->overflow_tail->next = op;
        else
            q->overflow = op;
        q->overflow_tail = op;
    }
    wake_waiters(q);
    spin_unlock_irqrestore(&q->lock, f);
    put_list(freed);
    return 1;
}

int async_complete(struct async_op *op, sk_error_t error, uint64_t value, uint64_t value2)
{
    return async_complete_data(op, error, value, value2, NULL, 0);
}

static const async_submit_fn providers[SK_OP_COUNT] = {
#define PROVIDER(name, code) [code] = async_submit_##name,
    SK_OPS(PROVIDER)
#undef PROVIDER
};

/*
 * Consume the SQ: copy each entry, create its op and hand it to its provider.
 * Stops when the SQ is empty or the in-flight limit is reached. Returns how many
 * entries were consumed. Called in the submitting thread, interrupts on.
 */
/* (a field added to struct async_op before data must be set or zeroed in submit_all) */
_Static_assert(offsetof(struct async_op, data) == 232, "async_op fields: see submit_all");

/*
 * An op just started by its provider: if the queue's last handle went meanwhile, the close
 * may have looked at the op before the provider made it cancellable and passed it over; it
 * would then wait for ever (an event nobody raises), holding the queue, its memory and
 * whatever it waits on (found by test-fuzz). Cancel it here then. The provider's store of
 * op->cancel and this load of closing, against the close's store of closing and its loads
 * of op->cancel (each side a full barrier apart), mean one of the two sees the other;
 * taking the cancel under the lock means only one of them calls it.
 */
static void cancel_if_closing(struct queue *q, struct async_op *op)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&q->closing, __ATOMIC_RELAXED))
        return;
    void (*fn)(struct async_op *) = NULL;
    uint64_t f = spin_lock_irqsave(&q->lock);
    for (struct async_op *o = q->ops; o; o = o->qnext) { /* not posted (and freed) yet? */
        if (o == op) {
            if (op->cancel && op->state == 0) {
                fn = op->cancel;
                op->cancel = NULL; /* once */
                __atomic_add_fetch(&op->refs, 1, __ATOMIC_ACQ_REL);
            }
            break;
        }
    }
    spin_unlock_irqrestore(&q->lock, f);
    if (fn) {
        fn(op);
        op_put(op);
    }
}

static uint32_t submit_all(struct queue *q)
{
    uint32_t done = 0;
    /* An op taken from the heap before the lock, for the next entry that needs one: taken
       when a look without the lock (only a hint) finds such an entry next, and after each
       slow-path entry if more entries wait. */
    struct async_op *spare = NULL;
    uint32_t head_hint = __atomic_load_n(&q->sq_head, __ATOMIC_RELAXED);
    if (__atomic_load_n(&q->hdr->sq_tail, __ATOMIC_RELAXED) != head_hint &&
        __atomic_load_n(&q->sq[head_hint & (q->sq_entries - 1)].opcode, __ATOMIC_RELAXED) !=
            SK_OP_nop)
        spare = slab_alloc(op_cache);
    for (;;) {
        uint64_t f = spin_lock_irqsave(&q->lock);
        uint32_t tail = __atomic_load_n(&q->hdr->sq_tail, __ATOMIC_ACQUIRE);
        uint32_t avail = tail - q->sq_head;
        if (avail > q->sq_entries || q->closing)
            avail = 0;
        /*
         * Fast path, under one lock hold for the whole run: operations that complete at
         * once without a provider (nop, and entries that are wrong on their face) go
         * straight into the CQ while it has room and nothing waits in the overflow list.
         */
        uint32_t budget = 0;
        if (!q->overflow && q->in_flight < q->cq_entries) {
            uint32_t room = q->cq_entries - cq_used(q), slots = q->cq_entries - q->in_flight;
            budget = avail < room ? avail : room;
            budget = budget < slots ? budget : slots;
        }
        uint32_t sq_mask = q->sq_entries - 1, cq_mask = q->cq_entries - 1;
        uint32_t head = q->sq_head, ctail = q->cq_tail, start = head;
        const struct sk_sqe *sq = q->sq;
        struct sk_cqe *cq = q->cq;
        for (uint32_t end = head + budget; head != end; head++) {
            const struct sk_sqe *src = &sq[head & sq_mask];
            /* opcode and flags side by side: one load, each field read once */
            uint64_t opcode_flags = __atomic_load_n((const u64_alias *)&src->opcode,
                                                    __ATOMIC_RELAXED);
            int32_t error = SK_OK;
            if (opcode_flags != SK_OP_nop) { /* (a nop with flags 0: one test) */
                if ((opcode_flags >> 32) & ~(uint64_t)SK_SQE_FLAGS_ALL)
                    error = SK_ERR_INVALID;
                else if (opcode_flags >> 32)
                    break; /* valid flags: the slow path looks at them */
                else if ((uint32_t)opcode_flags >= SK_OP_COUNT)
                    error = SK_ERR_UNSUPPORTED;
                else
                    break;
            }
            struct sk_cqe *c = &cq[ctail++ & cq_mask];
            c->tag = __atomic_load_n(&src->tag, __ATOMIC_RELAXED);
            /* error and length (0) side by side: one store */
            *(u64_alias *)&c->error = (uint32_t)error;
            c->value = 0;
            c->value2 = 0;
        }
        q->sq_head = head;
        q->cq_tail = ctail;
        if (head != start) {
            avail -= head - start;
            done += head - start;
            __atomic_store_n(&q->hdr->sq_head, head, __ATOMIC_RELEASE);
            __atomic_store_n(&q->hdr->cq_tail, ctail, __ATOMIC_RELEASE);
        }
        if (avail == 0 || q->in_flight >= q->cq_entries) {
            if (avail && q->in_flight >= q->cq_entries)
                q->hdr->dropped++;
            spin_unlock_irqrestore(&q->lock, f);
            break;
        }
        /* the slow path: an operation with a provider, one at a time */
        if (!spare) {
            spin_unlock_irqrestore(&q->lock, f);
            spare = slab_alloc(op_cache);
            if (!spare)
                break; /* cannot even record it: the entry stays for a later drive */
            continue;
        }
        struct async_op *op = spare;
        spare = NULL;
        /* every field before data: the ones not set below start zero (one store each: under
           TCG a 232-byte rep stos is a block per word) */
        op->state = 0;
        op->cancel = NULL;
        op->priv = NULL;
        op->release = NULL;
        op->next = NULL;
        memset(&op->u, 0, sizeof op->u);
        op->posted_overflow = 0;
        op->error = 0;
        op->length = 0;
        op->value = op->value2 = 0;
        /* each field read once: the entry is the process's memory */
        const struct sk_sqe *src = &q->sq[q->sq_head & sq_mask];
        op->tag = __atomic_load_n(&src->tag, __ATOMIC_RELAXED);
        op->opcode = __atomic_load_n(&src->opcode, __ATOMIC_RELAXED);
        op->flags = __atomic_load_n(&src->flags, __ATOMIC_RELAXED);
        memcpy(op->args, (const void *)src->args, sizeof op->args);
#ifdef SKOLL_DEBUG
        __atomic_fetch_add(&ops_live[OP_INDEX(op)], 1, __ATOMIC_RELAXED);
#endif
        q->sq_head++;
        __atomic_store_n(&q->hdr->sq_head, q->sq_head, __ATOMIC_RELEASE);
        q->in_flight++;
        op->qnext = q->ops;
        op->qprev = NULL;
        if (q->ops)
            q->ops->qprev = op;
        q->ops = op;
        spin_unlock_irqrestore(&q->lock, f);

        kobj_get(&q->obj);
        op->queue = q;
        op->submitter = current_thread();
        op->refs = 1;
        sk_error_t err = SK_ERR_UNSUPPORTED;
        if (op->flags & ~SK_SQE_FLAGS_ALL)
            err = SK_ERR_INVALID;
        else if (op->opcode < SK_OP_COUNT) {
            ktrace(KT_OP, op->opcode, 0);
            err = providers[op->opcode](op);
        }
        if (err != SK_OK)
            async_complete(op, err, 0, 0);
        else
            cancel_if_closing(q, op);
        done++;
        if (avail > 1)
            spare = slab_alloc(op_cache); /* (NULL: the next entry tries again) */
    }
    if (spare)
        slab_free(op_cache, spare);
    return done;
}

/*
 * The queue's last handle went: nobody can read completions any more. Drop what
 * waits in the overflow list, refuse new submissions, and ask every pending op
 * to cancel itself, so that the queue's memory goes once they have completed.
 */
static void queue_last_handle(struct kobject *o)
{
    struct queue *q = (struct queue *)o;
    struct async_op *dropped = NULL;
    uint64_t f = spin_lock_irqsave(&q->lock);
    q->closing = 1;
    while (q->overflow) {
        struct async_op *op = q->overflow;
        q->overflow = op->next;
        op->posted_overflow = 0;
        unlink_op(q, op);
        q->in_flight--;
        op->next = dropped;
        dropped = op;
    }
    q->overflow_tail = NULL;
    wake_waiters(q);
    spin_unlock_irqrestore(&q->lock, f);
    put_list(dropped);
    for (;;) {
        struct async_op *victim = NULL;
        void (*fn)(struct async_op *) = NULL;
        f = spin_lock_irqsave(&q->lock);
        for (struct async_op *op = q->ops; op; op = op->qnext) {
            if (op->cancel && op->state == 0) {
                fn = op->cancel;
                op->cancel = NULL; /* once */
                __atomic_add_fetch(&op->refs, 1, __ATOMIC_ACQ_REL);
                victim = op;
                break;
            }
        }
        spin_unlock_irqrestore(&q->lock, f);
        if (!victim)
            return;
        fn(victim);
        op_put(victim);
    }
}

/* queue_create(params) -> queue handle; params->memory receives the shared memory's handle. */
SYSCALL_DEFINE(queue_create)
{
    SYSCALL_UNUSED_ARGS;
    struct sk_queue_params p;
    sk_error_t err = copy_from_user(&p, a0, sizeof p);
    if (err)
        return err;
    if (!p.sq_entries || !p.cq_entries || (p.sq_entries & (p.sq_entries - 1)) ||
        (p.cq_entries & (p.cq_entries - 1)) || p.cq_entries < p.sq_entries)
        return SK_ERR_INVALID;
    if (p.sq_entries > SK_QUEUE_MAX_ENTRIES || p.cq_entries > SK_QUEUE_MAX_ENTRIES)
        return SK_ERR_TOO_BIG;
    uint64_t sq_off = sizeof(struct sk_queue_header);
    uint64_t cq_off = sq_off + (uint64_t)p.sq_entries * sizeof(struct sk_sqe);
    uint64_t size = cq_off + (uint64_t)p.cq_entries * sizeof(struct sk_cqe);
    size = (size + SK_PAGE_SIZE - 1) & ~(uint64_t)(SK_PAGE_SIZE - 1);

    /* everything that can fail first: the output is writable, the handles have room */
    err = copy_to_user(a0, &p, sizeof p);
    if (err)
        return err;
    struct universe *u = thread_universe(current_thread());
    err = universe_reserve(u, 2);
    if (err)
        return err;
    struct queue *q = kzalloc(sizeof *q);
    if (!q) {
        universe_unreserve(u, 2);
        return SK_ERR_NO_MEMORY;
    }
    err = memobj_create_anon(size, SK_MEM_CONTIGUOUS, &q->mem);
    if (err) {
        universe_unreserve(u, 2);
        kfree(q);
        return err;
    }
    kobj_init(&q->obj, SK_OBJ_QUEUE, queue_destroy);
    q->obj.last_handle = queue_last_handle;
    q->lock = (struct spinlock)SPINLOCK_INIT;
    uint8_t *base = phys_to_virt(memobj_contig_phys(q->mem));
    memset(base, 0, size);
    q->hdr = (struct sk_queue_header *)base;
    q->sq = (struct sk_sqe *)(base + sq_off);
    q->cq = (struct sk_cqe *)(base + cq_off);
    q->sq_entries = p.sq_entries;
    q->cq_entries = p.cq_entries;
    q->hdr->sq_entries = p.sq_entries;
    q->hdr->cq_entries = p.cq_entries;
    q->hdr->sq_offset = (uint32_t)sq_off;
    q->hdr->cq_offset = (uint32_t)cq_off;

    sk_handle_t hq, hm;
    /* (our own universe, reserved: cannot fail) */
    universe_insert_reserved(u, &q->obj, SK_RIGHTS_ALL & ~SK_RIGHT_EXECUTE, &hq);
    universe_insert_reserved(u, memobj_kobj(q->mem),
                             SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP | SK_RIGHT_DUPLICATE,
                             &hm);
    kobj_put(&q->obj);
    p.memory = hm;
    p.size = size;
    err = copy_to_user(a0, &p, sizeof p);
    if (err) {
        universe_remove(u, hq);
        universe_remove(u, hm);
        return err;
    }
    *ret = (uint64_t)hq;
    return SK_OK;
}

/*
 * Before a drive blocks: while nothing else wants this CPU, watch the queue for up to
 * sched_idle_poll_ns (interrupts on) for what the drive waits for. An answer that comes
 * from another CPU within that time then costs no switch to the idle thread and back (nor
 * the FPU save and restore that goes with it), as the idle loop's own watching saves the
 * halt (docs/processes.md). Reads without the lock are hints: the caller looks again.
 */
static void drive_spin(struct queue *q, uint64_t want, uint64_t deadline, struct thread *self)
{
    uint64_t until = clock_ns() + sched_idle_poll_ns;
    until = until < deadline ? until : deadline;
    unsigned turn = 0;
    while (cq_used(q) < want && !q->overflow && !self->kill && !q->alerted && !q->closing &&
           !__atomic_load_n(&self->obs.stop_request, __ATOMIC_RELAXED) &&
           !sched_others_waiting())
        if (cpu_relax_paced(&turn) && clock_ns() >= until)
            break;
}

/*
 * queue_drive(queue, min_complete, timeout_ns) -> SQ entries consumed.
 * Submits, then sleeps while fewer than min_complete completions are unread.
 */
SYSCALL_DEFINE(queue_drive)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_QUEUE, SK_RIGHT_WRITE, &o, NULL);
    if (err)
        return err;
    struct queue *q = (struct queue *)o;
    struct thread *self = current_thread();
    ktrace(KT_DRIVE_ENTER, self->id, 0);
    uint32_t submitted = submit_all(q);
    ktrace(KT_DRIVE_IN, self->id, submitted);
    uint64_t want = a1 > q->cq_entries ? q->cq_entries : a1;
    /* the clock only when a deadline can matter (want 0 never waits) */
    uint64_t now = want && a2 != SK_TIMEOUT_NEVER ? clock_ns() : 0;
    uint64_t deadline = !want || a2 == SK_TIMEOUT_NEVER || a2 > UINT64_MAX - now ? UINT64_MAX
                                                                                  : now + a2;
    struct async_op *freed = NULL;
    int spun = 0;
    uint64_t f = spin_lock_irqsave(&q->lock);
    for (;;) {
        if (q->overflow)
            flush_overflow_locked(q, &freed);
        uint32_t used = cq_used(q);
        int interrupted = __atomic_load_n(&self->obs.stop_request, __ATOMIC_ACQUIRE);
        if (used >= want || self->kill || q->alerted || interrupted || q->closing ||
            (deadline != UINT64_MAX && clock_ns() >= deadline)) {
            /* (closing: its last handle went; nothing will come that anyone could read) */
            if (used < want)
                err = self->kill || q->closing ? SK_ERR_DEAD
                      : q->alerted || interrupted ? SK_ERR_ALERTED : SK_ERR_TIMEOUT;
            if (q->alerted && used < want)
                q->alerted = 0;
            spin_unlock_irqrestore(&q->lock, f);
            put_list(freed);
            break;
        }
        if (!spun && sched_idle_poll_ns) {
            /* once per drive, watch for the completions before blocking (see drive_spin) */
            spun = 1;
            spin_unlock_irqrestore(&q->lock, f);
            put_list(freed);
            freed = NULL;
            drive_spin(q, want, deadline, self);
            f = spin_lock_irqsave(&q->lock);
            continue;
        }
        self->qwait_next = q->waiters;
        q->waiters = self;
        self->state = THREAD_BLOCKED;
        ktrace(KT_DRIVE_BLOCK, self->id, 0);
        if (deadline != UINT64_MAX && timer_arm(&self->wait_timer, deadline, sched_wake_timer,
                                                self) != 0)
            panic("queue_drive: wait timer of %s still armed", self->name);
        spin_unlock(&q->lock);
        put_list(freed);
        freed = NULL;
        sched_block();
        if (deadline != UINT64_MAX)
            timer_cancel_sync(&self->wait_timer);
        /* off the waiter list, whoever woke us; then look again, under the same hold */
        spin_lock(&q->lock);
        for (struct thread **pp = &q->waiters; *pp; pp = &(*pp)->qwait_next) {
            if (*pp == self) {
                *pp = self->qwait_next;
                break;
            }
        }
        self->qwait_next = NULL;
    }
    ktrace(KT_DRIVE_OUT, self->id, cq_used(q));
    kobj_put(o);
    *ret = submitted;
    return err;
}

/* queue_alert(queue): wake a drive sleeping on it (or the next one to sleep). */
SYSCALL_DEFINE(queue_alert)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_QUEUE, SK_RIGHT_SIGNAL, &o, NULL);
    if (err)
        return err;
    struct queue *q = (struct queue *)o;
    uint64_t f = spin_lock_irqsave(&q->lock);
    q->alerted = 1;
    wake_waiters(q);
    spin_unlock_irqrestore(&q->lock, f);
    kobj_put(o);
    return SK_OK;
}

sk_error_t async_submit_nop(struct async_op *op)
{
    async_complete(op, SK_OK, 0, 0);
    return SK_OK;
}

/* cancel(tag): ask the op with that tag to cancel. SK_OK if found, SK_ERR_NOT_FOUND if not,
   SK_ERR_INVALID if it cannot be cancelled. */
sk_error_t async_submit_cancel(struct async_op *op)
{
    struct queue *q = op->queue;
    struct async_op *victim = NULL;
    void (*fn)(struct async_op *) = NULL;
    int found = 0;
    uint64_t f = spin_lock_irqsave(&q->lock);
    for (struct async_op *o = q->ops; o; o = o->qnext) {
        if (o == op || o->tag != op->args[0] || o->state != 0)
            continue;
        found = 1;
        if (o->cancel) {
            fn = o->cancel;
            o->cancel = NULL;
            __atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
            victim = o;
        }
        break;
    }
    spin_unlock_irqrestore(&q->lock, f);
    if (victim) {
        fn(victim);
        op_put(victim);
    }
    return !found ? SK_ERR_NOT_FOUND : victim ? (async_complete(op, SK_OK, 0, 0), SK_OK)
                                              : SK_ERR_INVALID;
}
