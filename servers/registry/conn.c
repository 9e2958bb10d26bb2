/*
 * Conversations (docs/protocols.md, docs/registry.md "Transport"): a request's
 * first piece arrives with its accept; this file receives the second piece and
 * the kind's follow-ups (pull, extract), hands the request to handle.c, sends
 * the reply (and CONNECT's push or dismiss), and ends it. A client that hangs
 * up, or stalls past its deadline, is dropped with nothing left behind. Owner
 * lanes are served here too: one accept each, and the lane's end removes the
 * owner's entities.
 */
#include "registry.h"

struct reg_stats reg_stats;
struct req *req_active, *req_parked;
static struct owner *owners;

/* ---- lists -------------------------------------------------------------------------------- */

static void list_add(struct req **head, struct req *r)
{
    r->prev = NULL;
    r->next = *head;
    if (*head)
        (*head)->prev = r;
    *head = r;
}

static void list_add_tail(struct req **head, struct req *r)
{
    struct req *t = *head;
    r->next = NULL;
    if (!t) {
        r->prev = NULL;
        *head = r;
        return;
    }
    while (t->next)
        t = t->next;
    t->next = r;
    r->prev = t;
}

static void list_del(struct req **head, struct req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
}

void req_park(struct req *r, uint64_t deadline)
{
    list_del(&req_active, r);
    reg_stats.requests--;
    list_add_tail(&req_parked, r);
    reg_stats.watches++;
    r->stage = REQ_PARKED;
    r->deadline = deadline;
    timer_want(deadline);
}

void req_unpark(struct req *r)
{
    list_del(&req_parked, r);
    reg_stats.watches--;
    list_add(&req_active, r);
    reg_stats.requests++;
    r->deadline = reg_now() + SK_REG_REQUEST_TIMEOUT_MS * 1000000ull;
    timer_want(r->deadline);
}

/* ---- owners ------------------------------------------------------------------------------- */

static void owner_put(struct owner *o)
{
    if (--o->refs == 0)
        sk_free(o);
}

/* The owner lane ended (or failed): its entities go, watchers hear of it. */
static void owner_end(struct owner *o)
{
    o->dead = 1;
    while (o->entities)
        store_remove(o->entities);
    if (o->prev)
        o->prev->next = o->next;
    else
        owners = o->next;
    if (o->next)
        o->next->prev = o->prev;
    reg_stats.owners--;
    sk_handle_close(o->lane);
    o->lane = 0;
    watch_notify();
    owner_put(o);
}

static void owner_done(struct sk_op *op, const struct sk_cqe *cqe);

static void owner_post(struct owner *o)
{
    o->acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    o->acts[1] = SK_ACT_RECV_INLINE(0, SK_MSG_FIRST_MAX);
    if (sk_op_ipc(reg_q, &o->op, o->lane, o->acts, 2, owner_done) != SK_OK)
        owner_end(o);
}

static void owner_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct owner *o = SK_OP_CONTAINER(op, struct owner, op);
    const struct sk_ipc_result *ra = sk_ipc_result(cqe, o->acts, 2, 0);
    const struct sk_ipc_result *rh = sk_ipc_result(cqe, o->acts, 2, 1);
    if (!ra || ra->error != SK_OK) {
        /* the owner's end is gone (or the lane is not used as an owner lane should be) */
        owner_end(o);
        return;
    }
    sk_handle_t conv = sk_ipc_handle(ra);
    if (!rh || rh->error != SK_OK) {
        sk_handle_close(conv); /* the first piece did not fit, or the client hung up */
        reg_stats.dropped++;
    } else {
        conn_request(o, conv, sk_ipc_payload(rh), rh->length);
    }
    owner_post(o);
}

struct owner *owner_start(sk_handle_t lane, const uint8_t creds[SK_CREDENTIALS_SIZE])
{
    struct owner *o = sk_calloc(1, sizeof *o);
    if (!o) {
        sk_handle_close(lane);
        return NULL;
    }
    o->lane = lane;
    memcpy(o->creds, creds, SK_CREDENTIALS_SIZE);
    o->refs = 1;
    o->next = owners;
    if (owners)
        owners->prev = o;
    owners = o;
    reg_stats.owners++;
    owner_post(o);
    return o;
}

uint32_t owners_with(const uint8_t creds[SK_CREDENTIALS_SIZE])
{
    uint32_t n = 0;
    for (struct owner *o = owners; o; o = o->next)
        n += memcmp(o->creds, creds, SK_CREDENTIALS_SIZE) == 0;
    return n;
}

/* ---- the end of a request ------------------------------------------------------------------ */

static void req_release(struct req *r)
{
    if (r->stage == REQ_PARKED) {
        list_del(&req_parked, r);
        reg_stats.watches--;
    } else {
        list_del(&req_active, r);
        reg_stats.requests--;
    }
    if (r->conv)
        sk_handle_close(r->conv);
    if (r->pulled)
        sk_handle_close(r->pulled);
    if (r->reply != (uint8_t *)&r->small)
        sk_free(r->reply);
    sk_free(r->msg);
    if (r->via)
        owner_put(r->via);
    r->stage = REQ_DONE;
    if (r->cancel.state == SK_OPSTATE_IDLE)
        sk_free(r);
    /* else cancel_done frees it */
}

static void cancel_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct req *r = SK_OP_CONTAINER(op, struct req, cancel);
    if (r->stage == REQ_DONE)
        sk_free(r);
}

/* The client hung up or stalled. */
static void drop(struct req *r)
{
    reg_stats.dropped++;
    req_release(r);
}

static void reply_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct req *r = SK_OP_CONTAINER(op, struct req, op);
    unsigned n = r->follow & REG_FOLLOW_PUSH_REPLY ? 2 : 1;
    const struct sk_ipc_result *res = sk_ipc_result(cqe, r->acts, n, 0);
    if (res && res->error == SK_OK)
        reg_stats.served++;
    else
        reg_stats.dropped++;
    req_release(r);
}

void conn_reply(struct req *r, void *reply, uint32_t len)
{
    r->reply = reply;
    r->stage = REQ_REPLY;
    unsigned n = 1;
    r->acts[0] = SK_ACT_SEND(0, reply, len);
    if (r->follow & REG_FOLLOW_PUSH_REPLY) {
        const struct sk_reply_head *h = reply;
        r->acts[0].flags = SK_ACTF_CHAIN;
        if (h->status == SK_OK && r->push)
            r->acts[n++] = sk_act_push(0, r->push,
                                       SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE);
        else
            r->acts[n++] = SK_ACT_DISMISS(0);
    }
    if (sk_op_ipc(reg_q, &r->op, r->conv, r->acts, n, reply_done) != SK_OK)
        drop(r);
}

void conn_status(struct req *r, sk_error_t status)
{
    sk_reply_error(&r->small, r->kind, status);
    conn_reply(r, &r->small, sizeof r->small);
}

/* A malformed conversation: refuse it. */
static void reject(struct req *r, sk_error_t status)
{
    reg_stats.rejected++;
    conn_status(r, status);
}

/* ---- receiving ------------------------------------------------------------------------------ */

/* The error of action i of n, or of the whole submission. */
static sk_error_t act_error(const struct sk_cqe *cqe, const struct sk_action *acts, unsigned n,
                            unsigned i)
{
    const struct sk_ipc_result *res = sk_ipc_result(cqe, acts, n, i);
    return res ? (sk_error_t)res->error : (cqe->error ? (sk_error_t)cqe->error : SK_ERR_INVALID);
}

static int gone(sk_error_t e)
{
    return e == SK_ERR_END_OF_LANE || e == SK_ERR_CANCELLED;
}

static void follow_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct req *r = SK_OP_CONTAINER(op, struct req, op);
    unsigned n = 0, ipull = 99, iext = 99;
    if (r->follow & (REG_FOLLOW_PULL_OWNER | REG_FOLLOW_PULL_SERVICE))
        ipull = n++;
    if (r->follow & REG_FOLLOW_EXTRACT)
        iext = n++;
    sk_error_t first = SK_OK;
    for (unsigned i = 0; i < n; i++) {
        sk_error_t e = act_error(cqe, r->acts, n, i);
        const struct sk_ipc_result *res = sk_ipc_result(cqe, r->acts, n, i);
        if (e == SK_OK && i == ipull)
            r->pulled = sk_ipc_handle(res);
        if (e == SK_OK && i == iext)
            memcpy(r->creds, sk_ipc_payload(res), SK_CREDENTIALS_SIZE);
        if (first == SK_OK)
            first = e;
    }
    if (gone(first))
        drop(r);
    else if (first != SK_OK)
        reject(r, first == SK_ERR_NO_RIGHTS ? SK_ERR_NO_RIGHTS : SK_ERR_INVALID);
    else
        handle_request(r);
}

static void followups(struct req *r)
{
    r->follow = reg_followups(r->msg, r->size);
    unsigned n = 0;
    if (r->follow & REG_FOLLOW_PULL_OWNER)
        r->acts[n++] = sk_act_pull(0, SK_RIGHT_READ | SK_RIGHT_WRITE);
    if (r->follow & REG_FOLLOW_PULL_SERVICE)
        r->acts[n++] = sk_act_pull(0, SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE);
    if (r->follow & REG_FOLLOW_EXTRACT)
        r->acts[n++] = SK_ACT_EXTRACT(0);
    if (!n) {
        handle_request(r);
        return;
    }
    for (unsigned i = 0; i + 1 < n; i++)
        r->acts[i].flags |= SK_ACTF_CHAIN;
    r->stage = REQ_FOLLOW;
    if (sk_op_ipc(reg_q, &r->op, r->conv, r->acts, n, follow_done) != SK_OK)
        drop(r);
}

static void rest_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct req *r = SK_OP_CONTAINER(op, struct req, op);
    sk_error_t e = act_error(cqe, r->acts, 1, 0);
    const struct sk_ipc_result *res = sk_ipc_result(cqe, r->acts, 1, 0);
    if (gone(e))
        drop(r);
    else if (!r->msg) /* the second piece of a message over the bound, refused unread */
        reject(r, SK_ERR_TOO_BIG);
    else if (e != SK_OK || res->length != r->size - SK_MSG_FIRST_MAX)
        reject(r, SK_ERR_INVALID);
    else
        followups(r);
}

void conn_request(struct owner *via, sk_handle_t conv, const void *first, uint32_t len)
{
    if (reg_stats.requests >= SK_REG_REQUESTS_MAX) {
        sk_handle_close(conv);
        reg_stats.dropped++;
        return;
    }
    struct req *r = sk_calloc(1, sizeof *r);
    if (!r) {
        sk_handle_close(conv);
        reg_stats.dropped++;
        return;
    }
    r->conv = conv;
    r->via = via;
    if (via)
        via->refs++;
    list_add(&req_active, r);
    reg_stats.requests++;
    r->deadline = reg_now() + SK_REG_REQUEST_TIMEOUT_MS * 1000000ull;
    timer_want(r->deadline);

    struct sk_msg_head h;
    if (len < sizeof h) {
        reject(r, SK_ERR_INVALID);
        return;
    }
    memcpy(&h, first, sizeof h);
    r->kind = h.kind;
    r->size = h.size;
    int two = h.size > SK_MSG_FIRST_MAX;
    if (two ? len != SK_MSG_FIRST_MAX : len != h.size) {
        reject(r, SK_ERR_INVALID);
        return;
    }
    if (h.size > SK_REG_REQUEST_MAX) {
        /* take the second piece into nothing (both sides fail with BUFFER_TOO_SMALL), so the
           reply meets the client's receive */
        r->acts[0] = SK_ACT_RECV_INLINE(0, 0);
    } else {
        if (!(r->msg = sk_malloc(h.size))) {
            drop(r);
            return;
        }
        memcpy(r->msg, first, len);
        if (!two) {
            followups(r);
            return;
        }
        r->acts[0] = SK_ACT_RECV(0, r->msg + len, h.size - len);
    }
    r->stage = REQ_REST;
    if (sk_op_ipc(reg_q, &r->op, r->conv, r->acts, 1, rest_done) != SK_OK)
        drop(r);
}

/* ---- deadlines ------------------------------------------------------------------------------ */

void conn_expire(uint64_t now)
{
    for (struct req *r = req_active; r; r = r->next)
        if (r->deadline && r->deadline <= now && r->op.state != SK_OPSTATE_IDLE &&
            r->cancel.state == SK_OPSTATE_IDLE)
            sk_op_cancel(reg_q, &r->cancel, &r->op, cancel_done);
    for (struct req *r = req_parked, *next; r; r = next) {
        next = r->next;
        if (r->deadline <= now)
            watch_answer(r);
    }
}

uint64_t conn_next_deadline(void)
{
    uint64_t best = 0;
    for (struct req *r = req_active; r; r = r->next)
        if (r->deadline && r->op.state != SK_OPSTATE_IDLE && r->cancel.state == SK_OPSTATE_IDLE &&
            (!best || r->deadline < best))
            best = r->deadline;
    for (struct req *r = req_parked; r; r = r->next)
        if (!best || r->deadline < best)
            best = r->deadline;
    return best;
}
