/*
 * The dispatcher (sk/queue.h, docs/runtime.md): one kernel queue, its rings,
 * the tag table of in-flight ops, the user-space backlog and the loop.
 *
 * Ring protocol (skoll/queue.h): we own sq_tail and cq_head and keep the true
 * values here; the header's copies are published with release stores just
 * before queue_drive (sq_tail) and once after each poll's batch (cq_head). The
 * kernel's indices are read once per use; a nonsensical value (more entries
 * than the ring holds) is treated as "full" or clamped, and a completion tag
 * that is not a live submission is counted and skipped, so garbage in the
 * shared memory cannot make the runtime follow a wild pointer.
 *
 * The fast path: submissions go straight into the SQ with no look at the
 * kernel's sq_head while sq_tail is short of q->credit_end. The credit
 * (credit_end - sq_tail) is at most the SQ room last seen and the in-flight
 * room (completions only add room, so it never overstates), and 0 while the
 * backlog holds ops, which keeps them in order.
 *
 * Single-threaded by design (see sk/queue.h); only wake and stop are not.
 */
#include <sk/sk.h>
#include <sk/queue.h>

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static int pow2_ok(uint32_t n)
{
    return n >= 1 && n <= SK_QUEUE_MAX_ENTRIES && (n & (n - 1)) == 0;
}

sk_error_t sk_queue_open(struct sk_queue *q, uint32_t sq_entries, uint32_t cq_entries)
{
    memset(q, 0, sizeof *q);
    if (!sq_entries)
        sq_entries = 64;
    if (!cq_entries)
        cq_entries = sq_entries * 2 <= SK_QUEUE_MAX_ENTRIES ? sq_entries * 2 : sq_entries;
    struct sk_queue_params p = {.sq_entries = sq_entries, .cq_entries = cq_entries};
    sk_error_t e = sk_queue_create(&p, &q->handle);
    if (e != SK_OK)
        return e;
    q->memory = p.memory;
    uint64_t addr = 0;
    e = sk_space_map(SK_THIS_SPACE, p.memory, 0, 0, p.size, SK_PROT_READ | SK_PROT_WRITE, &addr);
    if (e != SK_OK)
        goto fail;
    q->hdr = (struct sk_queue_header *)addr;
    q->size = p.size;
    /* The header is the kernel's word on the layout; check it before trusting it. */
    const struct sk_queue_header *h = q->hdr;
    uint32_t sqo = h->sq_offset, cqo = h->cq_offset;
    if (h->sq_entries != sq_entries || h->cq_entries != cq_entries || !pow2_ok(sq_entries) ||
        !pow2_ok(cq_entries) || sqo < sizeof *h || cqo < sizeof *h || sqo % 8 || cqo % 8 ||
        (uint64_t)sqo + (uint64_t)sq_entries * sizeof(struct sk_sqe) > p.size ||
        (uint64_t)cqo + (uint64_t)cq_entries * sizeof(struct sk_cqe) > p.size) {
        e = SK_ERR_INVALID;
        goto fail;
    }
    q->sq = (struct sk_sqe *)(addr + sqo);
    q->cq = (struct sk_cqe *)(addr + cqo);
    q->sq_entries = sq_entries;
    q->cq_entries = cq_entries;
    q->sq_tail = q->retired = q->credit_end = h->sq_tail;
    q->cq_head = h->cq_head;
    q->skipped_seen = h->skipped;
    q->limit = cq_entries;
    q->tags = sk_malloc(q->limit * sizeof *q->tags);
    if (!q->tags) {
        e = SK_ERR_NO_MEMORY;
        goto fail;
    }
    for (uint32_t i = 0; i < q->limit; i++)
        q->tags[i] = (uintptr_t)(i + 1 < q->limit ? i + 1 : SK_TAG_NONE) << 1 | 1;
    q->free = 0;
    return SK_OK;
fail:
    sk_queue_close(q);
    return e;
}

void sk_queue_close(struct sk_queue *q)
{
    /* every op of this queue becomes idle again, so its memory can be reused or freed */
    for (uint32_t i = 0; q->tags && i < q->limit; i++)
        if (!(q->tags[i] & 1))
            ((struct sk_op *)q->tags[i])->state = SK_OPSTATE_IDLE;
    for (struct sk_op *op = q->backlog; op; op = op->next)
        op->state = SK_OPSTATE_IDLE;
    for (struct sk_op *op = q->local; op; op = op->next)
        op->state = SK_OPSTATE_IDLE;
    for (struct sk_op *op = q->forgotten; op; op = op->next)
        op->state = SK_OPSTATE_IDLE;
    if (q->hdr)
        sk_space_unmap(SK_THIS_SPACE, (uint64_t)q->hdr, q->size);
    if (q->memory)
        sk_handle_close(q->memory);
    if (q->handle)
        sk_handle_close(q->handle);
    sk_free(q->tags);
    memset(q, 0, sizeof *q);
}

SK_HOT void sk_op_prep(struct sk_op *op, uint32_t opcode, sk_op_fn done)
{
    op->done = done;
    op->opcode = opcode;
    for (int i = 0; i < 6; i++)
        op->args[i] = 0;
}

/* SQ entries free, as far as the kernel's sq_head says; 0 when it says nonsense. */
static uint32_t sq_room(const struct sk_queue *q)
{
    uint32_t used = q->sq_tail - LOAD_ACQ(&q->hdr->sq_head);
    return used <= q->sq_entries ? q->sq_entries - used : 0;
}

/* What the credit may be now: the SQ room and the in-flight room, whichever is less. */
static uint32_t credit_now(const struct sk_queue *q)
{
    uint32_t room = sq_room(q), slots = q->limit - sk_queue_inflight(q);
    return room < slots ? room : slots;
}

static void list_push(struct sk_op **head, struct sk_op **tail, struct sk_op *op)
{
    op->next = NULL;
    if (*tail)
        (*tail)->next = op;
    else
        *head = op;
    *tail = op;
}

/* Move backlog ops into the SQ while there is room (no system call). */
SK_HOT static void feed_backlog(struct sk_queue *q)
{
    if (!q->backlog)
        return;
    uint32_t c = credit_now(q);
    while (q->backlog && c && q->free != SK_TAG_NONE) {
        struct sk_op *op = q->backlog;
        q->backlog = op->next;
        if (!q->backlog)
            q->backlog_tail = NULL;
        sk_queue_push_sqe(q, op, 6);
        c--;
    }
    q->credit_end = q->sq_tail + (q->backlog ? 0 : c);
}

/* Forgotten ops whose SQEs the kernel has taken are idle again (their tag field holds the
   SQ position). */
SK_HOT static void release_forgotten(struct sk_queue *q)
{
    uint32_t head = LOAD_ACQ(&q->hdr->sq_head);
    while (q->forgotten && (int32_t)(head - (uint32_t)q->forgotten->tag) > 0) {
        struct sk_op *op = q->forgotten;
        q->forgotten = op->next;
        if (!q->forgotten)
            q->forgotten_tail = NULL;
        op->state = SK_OPSTATE_IDLE;
    }
}

SK_HOT static sk_error_t drive(struct sk_queue *q, uint64_t min_complete, uint64_t timeout_ns)
{
    STORE_REL(&q->hdr->sq_tail, q->sq_tail);
    STORE_REL(&q->hdr->cq_head, q->cq_head);
    q->drives++;
    sk_error_t e = sk_queue_drive(q->handle, min_complete, timeout_ns, NULL);
    if (q->forgotten)
        release_forgotten(q);
    return e;
}

/* SQ entries the kernel has not taken yet (published or not). */
SK_HOT static int sq_unsubmitted(const struct sk_queue *q)
{
    return q->sq_tail != LOAD_ACQ(&q->hdr->sq_head);
}

sk_error_t sk_queue_flush(struct sk_queue *q)
{
    feed_backlog(q);
    if (!sq_unsubmitted(q))
        return SK_OK;
    return drive(q, 0, 0);
}

/* The credit is used up: look at the room again (0 while the in-flight limit is reached). */
static uint32_t credit_refresh(struct sk_queue *q)
{
    if (sk_queue_inflight(q) >= q->limit)
        return 0;
    uint32_t c = credit_now(q);
    if (!c) {
        drive(q, 0, 0); /* the SQ is full: hand it over to make room */
        c = credit_now(q);
    }
    return c;
}

sk_error_t sk_queue_submit_slow(struct sk_queue *q, struct sk_op *op)
{
    op->queue = q;
    if (!q->backlog) {
        uint32_t c = credit_refresh(q);
        if (c && q->free != SK_TAG_NONE) {
            q->credit_end = q->sq_tail + c;
            sk_queue_push_sqe(q, op, 6);
            return SK_OK;
        }
    }
    op->state = SK_OPSTATE_BACKLOG;
    list_push(&q->backlog, &q->backlog_tail, op);
    return SK_OK;
}

/* Submit an idle op whose SQ arguments past the first nargs need not be written. */
static inline __attribute__((always_inline)) sk_error_t submit(struct sk_queue *q,
                                                               struct sk_op *op, int nargs)
{
    if (!sk_queue_fast_ok(q))
        return sk_queue_submit_slow(q, op);
    op->queue = q;
    sk_queue_push_sqe(q, op, nargs);
    return SK_OK;
}

SK_HOT sk_error_t sk_queue_submit(struct sk_queue *q, struct sk_op *op)
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    return submit(q, op, 6);
}

/*
 * Run the callbacks for n adjacent CQEs from cqe. The tag table's address and size are
 * held in registers across the callbacks (they never change while the queue is open):
 * per completion that leaves the CQE's tag, the table entry, the op's tag, the free list
 * and the op itself.
 */
SK_HOT static __attribute__((noinline)) void dispatch_run(struct sk_queue *q, const struct sk_cqe *cqe,
                                                   uint32_t n)
{
    uintptr_t *tags = q->tags;
    uint32_t limit = q->limit;
    for (const struct sk_cqe *end = cqe + n; cqe != end; cqe++) {
        /* live if the entry is in range, holds an op (not a free link), and that op's
           current tag is this one; then the entry goes back on the free list */
        uint64_t tag = cqe->tag;
        uint32_t entry = SK_TAG_ENTRY(tag);
        uintptr_t v = entry < limit ? tags[entry] : 1;
        struct sk_op *op = (struct sk_op *)v;
        if (__builtin_expect((v & 1) || op->tag != tag, 0)) {
            q->completed--;
            if ((uint32_t)tag == SK_TAG_FORGET && q->forget_inflight) {
                q->forget_inflight--; /* a forgotten op failed */
                q->retired++;
                q->forget_failures++;
                if ((tag >> 32) && cqe->length == 0)
                    sk_handle_close((sk_handle_t)(tag >> 32)); /* see forget_close_lane */
            } else {
                q->stray++;
            }
            continue;
        }
        tags[entry] = (uintptr_t)q->free << 1 | 1;
        q->free = entry;
        q->retired++;
        op->state = SK_OPSTATE_IDLE;
        op->done(op, cqe);
    }
}

/* Run the callbacks of the ops completed in user space. Returns how many. */
static __attribute__((noinline)) uint32_t poll_local(struct sk_queue *q)
{
    uint32_t n = 0;
    while (q->local) {
        struct sk_op *op = q->local;
        q->local = op->next;
        if (!q->local)
            q->local_tail = NULL;
        /* never in the SQ, so no tag: 0 is nobody's */
        struct sk_cqe c = {.tag = 0, .error = (int32_t)op->args[0]};
        op->state = SK_OPSTATE_IDLE;
        q->completed++;
        op->done(op, &c);
        n++;
    }
    return n;
}

SK_HOT uint32_t sk_queue_poll(struct sk_queue *q)
{
    if (q->polling)
        return 0;
    q->polling = 1;
    uint32_t n = q->local ? poll_local(q) : 0;
    if (q->forget_inflight) {
        /* forgotten ops that succeeded: the kernel counts them, posting nothing */
        uint32_t skipped = LOAD_ACQ(&q->hdr->skipped), d = skipped - q->skipped_seen;
        q->skipped_seen = skipped;
        d = d < q->forget_inflight ? d : q->forget_inflight;
        q->forget_inflight -= d;
        q->retired += d;
    }
    /*
     * One acquire load of cq_tail and one release store of cq_head for the whole batch.
     * A slot stays ours until cq_head passes it, so a callback may read its cqe; a drive
     * made from a callback publishes the cq_head from before the batch, which only
     * understates what we have read. (Few values live across the callback: no spills.)
     */
    uint32_t head = q->cq_head, avail = LOAD_ACQ(&q->hdr->cq_tail) - head;
    if (avail > q->cq_entries)
        avail = q->cq_entries; /* not what the kernel wrote: read one ring's worth */
    q->completed += avail; /* less the stray ones, below */
    n += avail;
    /* at most two runs of adjacent slots (before and after the ring wraps) */
    for (uint32_t left = avail; left;) {
        uint32_t slot = head & (q->cq_entries - 1), run = q->cq_entries - slot;
        run = run < left ? run : left;
        left -= run;
        head += run;
        dispatch_run(q, &q->cq[slot], run);
    }
    if (avail) {
        q->cq_head = head;
        STORE_REL(&q->hdr->cq_head, head);
    }
    if (q->backlog)
        feed_backlog(q);
    q->polling = 0;
    return n;
}

SK_HOT static int completions_present(const struct sk_queue *q)
{
    return q->local || LOAD_ACQ(&q->hdr->cq_tail) != q->cq_head;
}

SK_HOT sk_error_t sk_queue_wait(struct sk_queue *q, uint64_t timeout_ns)
{
    feed_backlog(q);
    sk_error_t e = SK_OK;
    if (completions_present(q)) {
        if (sq_unsubmitted(q))
            e = drive(q, 0, 0);
    } else {
        e = drive(q, 1, timeout_ns);
    }
    sk_queue_poll(q);
    return e;
}

uint32_t sk_queue_pending(const struct sk_queue *q)
{
    uint32_t n = sk_queue_inflight(q);
    for (const struct sk_op *op = q->backlog; op; op = op->next)
        n++;
    for (const struct sk_op *op = q->local; op; op = op->next)
        n++;
    return n;
}

sk_error_t sk_queue_run(struct sk_queue *q)
{
    sk_error_t e = SK_OK;
    while (!q->stop) {
        if (sk_queue_inflight(q) <= q->forget_inflight && !q->backlog && !q->local) {
            /* forgotten ops are handed over, not waited for: a success posts nothing */
            if (q->forgotten)
                e = sk_queue_flush(q);
            break;
        }
        e = sk_queue_wait(q, SK_TIMEOUT_NEVER);
        if (e == SK_ERR_ALERTED || e == SK_ERR_TIMEOUT)
            e = SK_OK;
        if (e != SK_OK)
            break;
    }
    q->stop = 0;
    return e;
}

sk_error_t sk_queue_wake(struct sk_queue *q)
{
    return sk_queue_alert(q->handle);
}

void sk_queue_stop(struct sk_queue *q)
{
    q->stop = 1;
    sk_queue_alert(q->handle);
}

/* ---- helpers ---------------------------------------------------------------------- */


sk_error_t sk_op_timer(struct sk_queue *q, struct sk_op *op, uint64_t deadline, sk_op_fn done)
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY; /* (before prep: a busy op keeps its callback and arguments) */
    sk_op_prep(op, SK_OP_clock_await, done);
    op->args[0] = deadline;
    return sk_queue_submit(q, op);
}

sk_error_t sk_op_sleep(struct sk_queue *q, struct sk_op *op, uint64_t ns, sk_op_fn done)
{
    uint64_t now = 0;
    sk_clock_get(&now);
    return sk_op_timer(q, op, now + ns < now ? UINT64_MAX : now + ns, done);
}

sk_error_t sk_op_event(struct sk_queue *q, struct sk_op *op, sk_handle_t event, uint64_t seq,
                       sk_op_fn done)
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    sk_op_prep(op, SK_OP_event_await, done);
    op->args[0] = (uint64_t)event;
    op->args[1] = seq;
    return sk_queue_submit(q, op);
}

/*
 * An ipc op with SK_IPC_CLOSE that the kernel refused (an error and no records) closed
 * nothing; the submitter meant to give the lane up, so the runtime closes it. A forgotten
 * op's SQE carries the lane in its tag's high half for that (0: none, or too large).
 */
static sk_handle_t forget_close_lane(uint32_t opcode, uint64_t lane, uint64_t flags)
{
    return opcode == SK_OP_ipc && (flags & SK_IPC_CLOSE) && lane > 0 && lane < 0x80000000u
               ? (sk_handle_t)lane : 0;
}

static void forget_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    if (cqe->error != SK_OK) {
        op->queue->forget_failures++;
        if (cqe->length == 0 && op->opcode == SK_OP_ipc && (op->args[3] & SK_IPC_CLOSE))
            sk_handle_close((sk_handle_t)op->args[0]);
    }
}

SK_HOT sk_error_t sk_op_submit_forget(struct sk_queue *q, struct sk_op *op, uint32_t opcode,
                               uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    const uint64_t a[6] = {a0, a1, a2, a3, 0, 0};
    return sk_op_submit_forget6(q, op, opcode, a);
}

SK_HOT sk_error_t sk_op_submit_forget6(struct sk_queue *q, struct sk_op *op, uint32_t opcode,
                                       const uint64_t a[6])
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    if (!q->backlog && q->sq_tail == q->credit_end)
        q->credit_end = q->sq_tail + credit_refresh(q);
    sk_handle_t lane = forget_close_lane(opcode, a[0], a[3]);
    if (q->backlog || q->sq_tail == q->credit_end ||
        (!lane && opcode == SK_OP_ipc && (a[3] & SK_IPC_CLOSE))) {
        sk_op_prep(op, opcode, forget_done);
        for (int i = 0; i < 6; i++)
            op->args[i] = a[i];
        return sk_queue_submit(q, op);
    }
    sk_op_prep(op, opcode, NULL);
    op->queue = q;
    op->state = SK_OPSTATE_KERNEL;
    uint32_t tail = q->sq_tail;
    op->tag = tail; /* (its SQ position, for release_forgotten) */
    struct sk_sqe *e = &q->sq[tail & (q->sq_entries - 1)];
    e->opcode = opcode;
    e->flags = SK_SQE_SKIP_SUCCESS;
    e->tag = SK_TAG_FORGET | (uint64_t)lane << 32;
    for (int i = 0; i < 6; i++)
        e->args[i] = a[i];
    q->sq_tail = tail + 1;
    q->forget_inflight++;
    list_push(&q->forgotten, &q->forgotten_tail, op);
    return SK_OK;
}

sk_error_t sk_op_submit(struct sk_queue *q, struct sk_op *op, uint32_t opcode, sk_op_fn done,
                        uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    sk_op_prep(op, opcode, done);
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
    op->args[3] = a3;
    return sk_queue_submit(q, op);
}

/* Complete op in user space with error (its callback runs in the next poll). */
static void complete_local(struct sk_queue *q, struct sk_op *op, sk_error_t error)
{
    op->queue = q;
    op->args[0] = (uint64_t)(uint32_t)error;
    op->state = SK_OPSTATE_LOCAL;
    list_push(&q->local, &q->local_tail, op);
}

sk_error_t sk_op_cancel(struct sk_queue *q, struct sk_op *op, struct sk_op *target, sk_op_fn done)
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    sk_op_prep(op, SK_OP_cancel, done);
    if (target->state == SK_OPSTATE_BACKLOG && target->queue == q) {
        struct sk_op **pp = &q->backlog, *prev = NULL;
        while (*pp != target)
            prev = *pp, pp = &(*pp)->next;
        *pp = target->next;
        if (q->backlog_tail == target)
            q->backlog_tail = prev;
        complete_local(q, target, SK_ERR_CANCELLED);
        complete_local(q, op, SK_OK);
        return SK_OK;
    }
    /* a tag names a submission only on its own queue while in flight; 0 is nobody's tag */
    op->args[0] = target->state == SK_OPSTATE_KERNEL && target->queue == q ? target->tag : 0;
    return sk_queue_submit(q, op);
}

/* ---- event watch ------------------------------------------------------------------ */

static void watch_end(struct sk_event_watch *w, sk_error_t error)
{
    if (w->op.state != SK_OPSTATE_IDLE || w->cancel_op.state != SK_OPSTATE_IDLE)
        return; /* the other op's completion will end it */
    if (w->stopping == 2)
        return;
    w->stopping = 2;
    w->fn(w, error, w->seq, 0);
}

static void watch_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_event_watch *w = SK_OP_CONTAINER(op, struct sk_event_watch, op);
    if (cqe->error == SK_OK) {
        w->seq = cqe->value;
        w->fn(w, SK_OK, cqe->value, cqe->value2);
        if (!w->stopping) {
            sk_op_event(op->queue, op, w->event, w->seq, watch_done);
            return;
        }
        watch_end(w, SK_ERR_CANCELLED);
        return;
    }
    /* a failure, or the cancel from sk_event_watch_stop: either way the watch ends */
    sk_error_t why = w->stopping || cqe->error == SK_ERR_CANCELLED ? SK_ERR_CANCELLED
                                                                    : (sk_error_t)cqe->error;
    w->stopping = 1;
    watch_end(w, why);
}

static void watch_cancelled(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct sk_event_watch *w = SK_OP_CONTAINER(op, struct sk_event_watch, cancel_op);
    watch_end(w, SK_ERR_CANCELLED);
}

sk_error_t sk_event_watch_start(struct sk_queue *q, struct sk_event_watch *w, sk_handle_t event,
                                uint64_t seq, sk_event_fn fn)
{
    memset(w, 0, sizeof *w);
    w->event = event;
    w->seq = seq;
    w->fn = fn;
    return sk_op_event(q, &w->op, event, seq, watch_done);
}

sk_error_t sk_event_watch_stop(struct sk_event_watch *w)
{
    if (w->stopping)
        return w->stopping == 2 ? SK_ERR_NOT_FOUND : SK_OK;
    w->stopping = 1;
    if (w->op.state == SK_OPSTATE_IDLE)
        return SK_OK; /* called from fn: watch_done ends it when fn returns */
    return sk_op_cancel(w->op.queue, &w->cancel_op, &w->op, watch_cancelled);
}
