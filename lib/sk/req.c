/*
 * Requests and the timer heap (sk/req.h, docs/runtime.md "Requests"). The heap
 * is a binary min-heap of timer pointers, each timer knowing its slot, so
 * stopping one is O(log n); one clock_await operation waits for the earliest
 * deadline and is cancelled and submitted again only when an earlier one
 * arrives.
 */
#include <sk/sk.h>
#include <sk/req.h>

/* ---- timer heap ------------------------------------------------------------------------ */

static void timers_arm(struct sk_timers *ts);

static void heap_set(struct sk_timers *ts, uint32_t i, struct sk_timer *t)
{
    ts->heap[i] = t;
    t->slot = i + 1;
}

static void heap_up(struct sk_timers *ts, uint32_t i)
{
    struct sk_timer *t = ts->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (ts->heap[p]->at <= t->at)
            break;
        heap_set(ts, i, ts->heap[p]);
        i = p;
    }
    heap_set(ts, i, t);
}

static void heap_down(struct sk_timers *ts, uint32_t i)
{
    struct sk_timer *t = ts->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= ts->count)
            break;
        if (c + 1 < ts->count && ts->heap[c + 1]->at < ts->heap[c]->at)
            c++;
        if (t->at <= ts->heap[c]->at)
            break;
        heap_set(ts, i, ts->heap[c]);
        i = c;
    }
    heap_set(ts, i, t);
}

static void heap_remove(struct sk_timers *ts, struct sk_timer *t)
{
    uint32_t i = t->slot - 1;
    t->slot = 0;
    struct sk_timer *last = ts->heap[--ts->count];
    if (last == t)
        return;
    heap_set(ts, i, last);
    heap_up(ts, i);
    heap_down(ts, last->slot - 1);
}

void sk_timers_init(struct sk_timers *ts, struct sk_queue *q)
{
    memset(ts, 0, sizeof *ts);
    ts->q = q;
}

sk_error_t sk_timer_start(struct sk_timers *ts, struct sk_timer *t, uint64_t at, sk_timer_fn fire)
{
    if (t->slot)
        heap_remove(ts, t);
    if (ts->count == ts->cap) {
        uint32_t cap = ts->cap ? ts->cap * 2 : 16;
        struct sk_timer **h = sk_malloc(cap * sizeof *h);
        if (!h)
            return SK_ERR_NO_MEMORY;
        if (ts->count)
            memcpy(h, ts->heap, ts->count * sizeof *h);
        sk_free(ts->heap);
        ts->heap = h;
        ts->cap = cap;
    }
    t->at = at;
    t->fire = fire;
    ts->heap[ts->count] = t;
    t->slot = ++ts->count;
    heap_up(ts, ts->count - 1);
    timers_arm(ts);
    return SK_OK;
}

void sk_timer_stop(struct sk_timers *ts, struct sk_timer *t)
{
    if (t->slot)
        heap_remove(ts, t); /* the kernel timer may fire early for nothing: harmless */
}

static void timers_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct sk_timers *ts = SK_OP_CONTAINER(op, struct sk_timers, op);
    ts->armed_at = 0;
    uint64_t now = 0;
    if (ts->count && sk_clock_get(&now) == SK_OK) {
        /* fire everything due; a callback may start or stop timers */
        while (ts->count && ts->heap[0]->at <= now) {
            struct sk_timer *t = ts->heap[0];
            heap_remove(ts, t);
            ts->fired++;
            t->fire(t);
        }
    }
    timers_arm(ts);
}

static void timers_cancelled(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)cqe;
    timers_arm(SK_OP_CONTAINER(op, struct sk_timers, cancel_op));
}

/* Make the kernel timer wait for heap[0]: submit it, or cancel a later one first. */
static void timers_arm(struct sk_timers *ts)
{
    if (!ts->count || ts->cancel_op.state != SK_OPSTATE_IDLE)
        return; /* nothing to wait for, or a cancel's completion re-arms */
    uint64_t at = ts->heap[0]->at;
    if (ts->op.state != SK_OPSTATE_IDLE) {
        if (at < ts->armed_at)
            sk_op_cancel(ts->q, &ts->cancel_op, &ts->op, timers_cancelled);
        return;
    }
    if (sk_op_timer(ts->q, &ts->op, at, timers_done) == SK_OK)
        ts->armed_at = at;
}

/* ---- requests -------------------------------------------------------------------------- */

static void req_run(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    sk_req_fn step = r->step;
    r->step = NULL;
    sk_error_t rc = step ? step(r, err, cqe) : err;
    if (rc != SK_OK)
        sk_req_fail(r, rc);
}

/* A synthesised completion for steps that end without the kernel. */
static void req_run_local(struct sk_req *r, sk_error_t err, uint64_t value)
{
    struct sk_cqe c;
    memset(&c, 0, sizeof c);
    c.error = err;
    c.value = value;
    req_run(r, err, &c);
}

SK_HOT static void req_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_req *r = SK_REQ_OF(op);
    sk_error_t err = cqe->error;
    if (r->abort && err == SK_ERR_CANCELLED)
        err = r->abort;
    req_run(r, err, cqe);
}

void sk_req_init(struct sk_req *r, struct sk_timers *ts, sk_req_fail_fn fail)
{
    r->step = NULL;
    r->fail = fail;
    r->timers = ts;
    r->abort = SK_OK;
    r->parked = 0;
}

SK_HOT sk_error_t sk_req_submit6(struct sk_req *r, uint32_t opcode, sk_req_fn step, const uint64_t a[6])
{
    r->step = step;
    if (r->abort) {
        req_run_local(r, r->abort, 0);
        return SK_OK;
    }
    if (r->op.state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY; /* a step is already in flight: a bug of the caller */
    sk_op_prep(&r->op, opcode, req_done);
    for (int i = 0; i < 6; i++)
        r->op.args[i] = a[i];
    sk_error_t e = sk_queue_submit(r->timers->q, &r->op);
    if (e != SK_OK)
        req_run_local(r, e, 0);
    return SK_OK;
}

sk_error_t sk_req_submit(struct sk_req *r, uint32_t opcode, sk_req_fn step, uint64_t a0,
                         uint64_t a1, uint64_t a2, uint64_t a3)
{
    const uint64_t a[6] = {a0, a1, a2, a3, 0, 0};
    return sk_req_submit6(r, opcode, step, a);
}

void sk_req_park(struct sk_req *r, sk_req_fn step)
{
    r->step = step;
    if (r->abort) {
        req_run_local(r, r->abort, 0);
        return;
    }
    r->parked = 1;
}

void sk_req_wake(struct sk_req *r, uint64_t value)
{
    if (!r->parked)
        return;
    r->parked = 0;
    req_run_local(r, SK_OK, value);
}

static void req_deadline_fired(struct sk_timer *t)
{
    sk_req_cancel(SK_OP_CONTAINER(t, struct sk_req, deadline), SK_ERR_TIMEOUT);
}

sk_error_t sk_req_deadline(struct sk_req *r, uint64_t at)
{
    if (!at) {
        sk_timer_stop(r->timers, &r->deadline);
        return SK_OK;
    }
    return sk_timer_start(r->timers, &r->deadline, at, req_deadline_fired);
}

static void req_cancel_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe; /* the target's own completion carries the outcome */
}

void sk_req_cancel(struct sk_req *r, sk_error_t why)
{
    if (r->abort)
        return;
    r->abort = why ? why : SK_ERR_CANCELLED;
    sk_timer_stop(r->timers, &r->deadline);
    if (r->parked) {
        r->parked = 0;
        req_run_local(r, r->abort, 0);
    } else if (r->op.state != SK_OPSTATE_IDLE && r->cancel_op.state == SK_OPSTATE_IDLE) {
        sk_op_cancel(r->timers->q, &r->cancel_op, &r->op, req_cancel_done);
    }
}

void sk_req_fail(struct sk_req *r, sk_error_t err)
{
    r->parked = 0;
    r->step = NULL;
    if (r->fail)
        r->fail(r, err);
}

SK_HOT void sk_req_finish(struct sk_req *r)
{
    sk_timer_stop(r->timers, &r->deadline);
    r->parked = 0;
    r->step = NULL;
}
