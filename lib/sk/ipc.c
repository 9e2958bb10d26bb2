/*
 * The runtime's IPC helpers (sk/ipc.h): result records, the server accept loop,
 * replies and client calls with timeouts.
 */
#include <sk/sk.h>
#include <sk/ipc.h>

const struct sk_ipc_result *sk_ipc_result(const struct sk_cqe *cqe, const struct sk_action *acts,
                                          unsigned n, unsigned i)
{
    if (i >= n || cqe->value != n)
        return NULL;
    uint32_t off = 0;
    for (unsigned k = 0; k < i; k++)
        off += sizeof(struct sk_ipc_result) + sk_ipc_payload_size(&acts[k]);
    uint32_t end = off + sizeof(struct sk_ipc_result) + sk_ipc_payload_size(&acts[i]);
    if (end > cqe->length || end > SK_IPC_RESULTS_MAX)
        return NULL;
    return (const struct sk_ipc_result *)(cqe->data + off);
}

unsigned sk_ipc_results(const struct sk_cqe *cqe, const struct sk_action *acts, unsigned n,
                        const struct sk_ipc_result **out)
{
    unsigned found = 0;
    uint32_t off = 0;
    /* (records past the CQE's length, or of a CQE for another count, are missing) */
    uint32_t limit = cqe->value != n                     ? 0
                     : cqe->length < SK_IPC_RESULTS_MAX ? cqe->length
                                                        : SK_IPC_RESULTS_MAX;
    for (unsigned i = 0; i < n; i++) {
        uint32_t end = off + sizeof(struct sk_ipc_result) + sk_ipc_payload_size(&acts[i]);
        int ok = end <= limit;
        out[i] = ok ? (const struct sk_ipc_result *)(cqe->data + off) : NULL;
        found += ok;
        off = end;
    }
    return found;
}

sk_handle_t sk_ipc_handle(const struct sk_ipc_result *r)
{
    if (!r || r->error != SK_OK)
        return 0;
    sk_handle_t h;
    memcpy(&h, sk_ipc_payload(r), sizeof h);
    return h;
}

sk_error_t sk_op_ipc(struct sk_queue *q, struct sk_op *op, sk_handle_t lane,
                     const struct sk_action *acts, unsigned n, sk_op_fn done)
{
    return sk_op_submit(q, op, SK_OP_ipc, done, (uint64_t)lane, (uint64_t)acts, n, 0);
}

sk_error_t sk_req_ipc(struct sk_req *r, sk_handle_t lane, const struct sk_action *acts,
                      unsigned n, sk_req_fn step)
{
    return sk_req_submit(r, SK_OP_ipc, step, (uint64_t)lane, (uint64_t)acts, n, 0);
}

/* ---- server ---------------------------------------------------------------------------- */

static void accept_done(struct sk_op *op, const struct sk_cqe *cqe);

static sk_error_t accept_post(struct sk_ipc_accept *a)
{
    struct sk_ipc_server *s = a->server;
    a->acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    a->acts[1] = SK_ACT_RECV_INLINE(0, s->head_max);
    a->posted = s->sweeps;
    a->swept = 0;
    return sk_op_ipc(s->q, &a->op, s->lane, a->acts, 2, accept_done);
}

static void accept_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_ipc_accept *a = SK_OP_CONTAINER(op, struct sk_ipc_accept, op);
    struct sk_ipc_server *s = a->server;
    const struct sk_ipc_result *ra = sk_ipc_result(cqe, a->acts, 2, 0);
    const struct sk_ipc_result *rh = sk_ipc_result(cqe, a->acts, 2, 1);
    sk_handle_t lane = sk_ipc_handle(ra);
    int idle = 0; /* an accept the sweep took back before any client came */
    if (!ra || ra->error != SK_OK) {
        /* the accept itself failed: the lane is gone, or a client sent nonsense */
        sk_error_t e = ra ? (sk_error_t)ra->error : (sk_error_t)cqe->error;
        if (e == SK_ERR_CANCELLED && a->swept && !s->stopping) {
            s->stalls++; /* (an idle accept the sweep caught: nothing lost) */
            idle = 1;
        } else if (e == SK_ERR_END_OF_LANE || e == SK_ERR_CANCELLED || !ra) {
            if (!s->error)
                s->error = e;
            s->stopping = 1;
        } else {
            s->failures++;
        }
    } else if (rh->error != SK_OK) {
        if (a->swept)
            s->stalls++; /* a client that never sent its head */
        else
            s->failures++; /* the client's head did not fit, or it hung up: drop it */
        sk_handle_close(lane);
    } else {
        s->requests++;
        s->fn(s, lane, sk_ipc_payload(rh), rh->length);
    }
    if (s->stopping || accept_post(a) != SK_OK) {
        s->live--;
        return;
    }
    if (idle)
        return; /* no client: not a sign that requests queue up (the sweep takes many at once) */
    /* every posted accept completed in this drive: requests queue up, post more */
    if (s->q->drives != s->epoch) {
        s->epoch = s->q->drives;
        s->batch = 0;
    }
    if (++s->batch >= s->naccepts && s->naccepts < s->max_accepts) {
        unsigned more = s->naccepts < s->max_accepts - s->naccepts ? s->naccepts
                                                                  : s->max_accepts - s->naccepts;
        for (unsigned i = 0; i < more; i++) {
            struct sk_ipc_accept *b = &s->accepts[s->naccepts];
            b->server = s;
            if (accept_post(b) != SK_OK)
                break;
            s->naccepts++;
            s->live++;
        }
        s->batch = 0;
    }
}

static void nothing(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

/* The stall sweep: cancel accepts in flight since before the last tick; accept_done posts
   them again. */
static void sweep_tick(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_ipc_server *s = SK_OP_CONTAINER(op, struct sk_ipc_server, sweep);
    if (s->stopping || cqe->error != SK_OK)
        return;
    s->sweeps++;
    for (unsigned i = 0; i < s->naccepts; i++) {
        struct sk_ipc_accept *a = &s->accepts[i];
        if (a->op.state == SK_OPSTATE_KERNEL && a->posted + 2 <= s->sweeps &&
            a->cancel.state == SK_OPSTATE_IDLE) {
            a->swept = 1;
            sk_op_cancel(s->q, &a->cancel, &a->op, nothing);
        }
    }
    sk_op_sleep(s->q, &s->sweep, SK_IPC_SERVER_STALL_NS, sweep_tick);
}

sk_error_t sk_ipc_server_start(struct sk_queue *q, struct sk_ipc_server *s, sk_handle_t lane,
                               uint32_t head_max, unsigned accepts, sk_ipc_request_fn fn)
{
    if (!accepts || accepts > SK_IPC_SERVER_MAX_ACCEPTS ||
        head_max + 2 * sizeof(struct sk_ipc_result) + 8 > SK_IPC_RESULTS_MAX)
        return SK_ERR_INVALID;
    memset(s, 0, sizeof *s);
    s->q = q;
    s->lane = lane;
    s->head_max = head_max;
    s->fn = fn;
    s->max_accepts = accepts;
    s->naccepts = accepts < SK_IPC_SERVER_FIRST_ACCEPTS ? accepts : SK_IPC_SERVER_FIRST_ACCEPTS;
    for (unsigned i = 0; i < s->naccepts; i++) {
        s->accepts[i].server = s;
        sk_error_t e = accept_post(&s->accepts[i]);
        if (e != SK_OK)
            return e;
        s->live++;
    }
    return sk_op_sleep(q, &s->sweep, SK_IPC_SERVER_STALL_NS, sweep_tick);
}

void sk_ipc_server_stop(struct sk_ipc_server *s)
{
    s->stopping = 1;
    if (s->sweep.state != SK_OPSTATE_IDLE && s->sweep_cancel.state == SK_OPSTATE_IDLE)
        sk_op_cancel(s->q, &s->sweep_cancel, &s->sweep, nothing);
    for (unsigned i = 0; i < s->naccepts; i++) {
        struct sk_ipc_accept *a = &s->accepts[i];
        if (a->op.state != SK_OPSTATE_IDLE && a->cancel.state == SK_OPSTATE_IDLE)
            sk_op_cancel(s->q, &a->cancel, &a->op, nothing);
    }
}

/* ---- replies ----------------------------------------------------------------------------- */

static void reply_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_ipc_reply *r = SK_OP_CONTAINER(op, struct sk_ipc_reply, op);
    const struct sk_ipc_result *res = sk_ipc_result(cqe, &r->act, 1, 0);
    if (cqe->error != SK_OK && cqe->length == 0)
        sk_handle_close(r->lane); /* refused: SK_IPC_CLOSE closed nothing */
    if (r->done)
        r->done(r, res ? (sk_error_t)res->error : (sk_error_t)cqe->error);
}

sk_error_t sk_ipc_reply(struct sk_queue *q, struct sk_ipc_reply *r, sk_handle_t lane,
                        const void *buf, uint32_t len,
                        void (*done)(struct sk_ipc_reply *r, sk_error_t error))
{
    r->lane = lane;
    r->done = done;
    r->act = SK_ACT_SEND(0, buf, len);
    uint64_t a1 = (uint64_t)&r->act;
    sk_error_t e = !done && len <= SK_IPC_STAGE_MAX
                       ? sk_op_submit_forget(q, &r->op, SK_OP_ipc, lane, a1, 1, SK_IPC_CLOSE)
                       : sk_op_submit(q, &r->op, SK_OP_ipc, reply_done, lane, a1, 1, SK_IPC_CLOSE);
    if (e != SK_OK)
        sk_handle_close(lane); /* (not submitted: the kernel never saw it) */
    return e;
}

/* ---- calls --------------------------------------------------------------------------------- */

static void call_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_ipc_call *c = SK_OP_CONTAINER(op, struct sk_ipc_call, op);
    if (c->timed && c->timer.state == SK_OPSTATE_KERNEL && c->cancel.state == SK_OPSTATE_IDLE)
        sk_op_cancel(op->queue, &c->cancel, &c->timer, nothing);
    c->done = 1;
    const struct sk_ipc_result *r = sk_ipc_result(cqe, c->acts, 3, 2);
    sk_error_t e = cqe->error;
    if (e == SK_OK && r)
        c->fn(c, SK_OK, sk_ipc_payload(r), r->length);
    else
        c->fn(c, e != SK_OK ? e : SK_ERR_INVALID, NULL, 0);
}

static void call_timeout(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_ipc_call *c = SK_OP_CONTAINER(op, struct sk_ipc_call, timer);
    if (cqe->error == SK_OK && !c->done && c->cancel.state == SK_OPSTATE_IDLE)
        sk_op_cancel(op->queue, &c->cancel, &c->op, nothing);
}

sk_error_t sk_ipc_call(struct sk_queue *q, struct sk_ipc_call *c, sk_handle_t lane,
                       const void *req, uint32_t len, uint32_t reply_max, uint64_t timeout_ns,
                       sk_ipc_reply_fn fn)
{
    if (reply_max > SK_IPC_CALL_INLINE_MAX)
        return SK_ERR_TOO_BIG;
    if (c->op.state != SK_OPSTATE_IDLE || c->timer.state != SK_OPSTATE_IDLE ||
        c->cancel.state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    c->fn = fn;
    c->done = 0;
    c->timed = timeout_ns != 0;
    c->acts[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c->acts[1] = SK_ACT_SEND(SK_ACTF_CHAIN, req, len);
    c->acts[2] = SK_ACT_RECV_INLINE(0, reply_max);
    sk_error_t e = sk_op_ipc(q, &c->op, lane, c->acts, 3, call_done);
    if (e == SK_OK && c->timed)
        e = sk_op_sleep(q, &c->timer, timeout_ns, call_timeout);
    return e;
}

/* ---- receive rings ---------------------------------------------------------------------- */

sk_error_t sk_ring_create(struct sk_ring *r, uint64_t bytes)
{
    if (bytes < SK_IPC_RING_MIN || bytes > SK_IPC_RING_MAX || (bytes & (SK_PAGE_SIZE - 1)))
        return SK_ERR_INVALID;
    sk_handle_t h;
    sk_error_t e = sk_memory_create(bytes, SK_MEM_CONTIGUOUS, &h);
    if (e != SK_OK)
        return e;
    uint64_t a;
    e = sk_space_map(SK_THIS_SPACE, h, 0, 0, bytes, SK_PROT_READ | SK_PROT_WRITE, &a);
    if (e != SK_OK) {
        sk_handle_close(h);
        return e;
    }
    r->hdr = (struct sk_ipc_ring *)a;
    r->data = (uint8_t *)(r->hdr + 1);
    r->size = (uint32_t)bytes - (uint32_t)sizeof *r->hdr;
    r->tail = 0;
    r->mem = h;
    r->bytes = bytes;
    return SK_OK;
}

void sk_ring_destroy(struct sk_ring *r)
{
    sk_space_unmap(SK_THIS_SPACE, (uint64_t)r->hdr, r->bytes);
    sk_handle_close(r->mem);
    r->hdr = NULL;
}

int sk_ring_arm(struct sk_ring *r)
{
    __atomic_store_n(&r->hdr->notify, 1, __ATOMIC_RELAXED);
    /* (we store notify, then read head; the kernel stores head, then reads notify) */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&r->hdr->head, __ATOMIC_RELAXED) == r->tail;
}
