/*
 * Conversations (docs/protocols.md, docs/registry.md "Transport"): a request's
 * first piece arrives with its accept; this file receives the second piece and
 * the kind's follow-ups (pull, extract), hands the request to handle.c, sends
 * the reply (and CONNECT's push or dismiss), and ends it. Each conversation is
 * a lib/sk request (sk/req.h): every step below has the sk_req_fn shape, the
 * request's deadline lives in reg_timers, and a step that returns an error ends
 * in req_failed, which answers it with that error or, if the client is gone or
 * stalled, drops it with nothing left behind. Owner lanes are served here too:
 * one accept each, and the lane's end removes the owner's entities.
 */
#include "registry.h"

struct reg_stats reg_stats;
static struct owner *owners;
static struct req *graveyard; /* ended, waiting for a deadline's cancel to come back */

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

static sk_error_t owner_accepted(struct sk_req *sr, sk_error_t err, const struct sk_cqe *cqe);

static void owner_post(struct owner *o)
{
    o->acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    o->acts[1] = SK_ACT_RECV_INLINE(0, SK_MSG_FIRST_MAX);
    sk_req_ipc(&o->accept, o->lane, o->acts, 2, owner_accepted);
}

/* The accept failed: the owner's end is gone (or the lane is not used as an owner lane should be). */
static void owner_failed(struct sk_req *sr, sk_error_t err)
{
    (void)err;
    owner_end(SK_OP_CONTAINER(sr, struct owner, accept));
}

static sk_error_t owner_accepted(struct sk_req *sr, sk_error_t err, const struct sk_cqe *cqe)
{
    struct owner *o = SK_OP_CONTAINER(sr, struct owner, accept);
    const struct sk_ipc_result *ra = sk_ipc_result(cqe, o->acts, 2, 0);
    const struct sk_ipc_result *rh = sk_ipc_result(cqe, o->acts, 2, 1);
    if (!ra || ra->error != SK_OK)
        return ra ? (sk_error_t)ra->error : err ? err : SK_ERR_INVALID;
    sk_handle_t conv = sk_ipc_handle(ra);
    if (!rh || rh->error != SK_OK) {
        sk_handle_close(conv); /* the first piece did not fit, or the client hung up */
        reg_stats.dropped++;
    } else {
        conn_request(o, conv, sk_ipc_payload(rh), rh->length);
    }
    owner_post(o);
    return SK_OK;
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
    sk_req_init(&o->accept, &reg_timers, owner_failed);
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

static void req_end(struct req *r)
{
    reg_stats.requests--;
    if (r->conv)
        sk_handle_close(r->conv);
    if (r->pulled)
        sk_handle_close(r->pulled);
    if (r->reply != (uint8_t *)&r->small)
        sk_free(r->reply);
    sk_free(r->msg);
    if (r->via)
        owner_put(r->via);
    sk_req_finish(&r->sr);
    r->stage = REQ_DONE;
    if (sk_req_idle(&r->sr)) {
        sk_free(r);
    } else {
        r->next = graveyard; /* a cancel is still in flight: conn_sweep frees it */
        graveyard = r;
    }
}

void conn_sweep(void)
{
    for (struct req **pp = &graveyard; *pp;) {
        struct req *r = *pp;
        if (sk_req_idle(&r->sr)) {
            *pp = r->next;
            sk_free(r);
        } else {
            pp = &r->next;
        }
    }
}

/* The client hung up or stalled. */
static void drop(struct req *r)
{
    reg_stats.dropped++;
    req_end(r);
}

/* Every request that fails ends here (see enum req_stage). */
static void req_failed(struct sk_req *sr, sk_error_t err)
{
    struct req *r = REQ_OF(sr);
    if (r->stage == REQ_REPLY || (r->stage == REQ_RECV && !r->rejected))
        drop(r);
    else
        conn_status(r, err);
}

sk_error_t reject(struct req *r, sk_error_t status)
{
    reg_stats.rejected++;
    r->rejected = 1;
    return status;
}

/* The error of action i of n, or of the whole step (err: the step's). */
static sk_error_t act_error(sk_error_t err, const struct sk_cqe *cqe, const struct sk_action *acts,
                            unsigned n, unsigned i)
{
    const struct sk_ipc_result *res = sk_ipc_result(cqe, acts, n, i);
    return res ? (sk_error_t)res->error : err ? err : SK_ERR_INVALID;
}

/* The client hung up, or its deadline cancelled the step. */
static int gone(sk_error_t e)
{
    return e == SK_ERR_END_OF_LANE || e == SK_ERR_CANCELLED || e == SK_ERR_TIMEOUT;
}

static sk_error_t reply_sent(struct sk_req *sr, sk_error_t err, const struct sk_cqe *cqe)
{
    struct req *r = REQ_OF(sr);
    unsigned n = r->follow & REG_FOLLOW_PUSH_REPLY ? 2 : 1;
    sk_error_t e = act_error(err, cqe, r->acts, n, 0);
    if (e != SK_OK)
        return e; /* req_failed drops it */
    reg_stats.served++;
    req_end(r);
    return SK_OK;
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
    sk_req_ipc(&r->sr, r->conv, r->acts, n, reply_sent);
}

void conn_status(struct req *r, sk_error_t status)
{
    sk_reply_error(&r->small, r->kind, status);
    conn_reply(r, &r->small, sizeof r->small);
}

/* ---- receiving ------------------------------------------------------------------------------ */

static sk_error_t followed(struct sk_req *sr, sk_error_t err, const struct sk_cqe *cqe)
{
    struct req *r = REQ_OF(sr);
    unsigned n = 0, ipull = 99, iext = 99;
    if (r->follow & (REG_FOLLOW_PULL_OWNER | REG_FOLLOW_PULL_SERVICE))
        ipull = n++;
    if (r->follow & REG_FOLLOW_EXTRACT)
        iext = n++;
    sk_error_t first = SK_OK;
    for (unsigned i = 0; i < n; i++) {
        sk_error_t e = act_error(err, cqe, r->acts, n, i);
        const struct sk_ipc_result *res = sk_ipc_result(cqe, r->acts, n, i);
        if (e == SK_OK && i == ipull)
            r->pulled = sk_ipc_handle(res);
        if (e == SK_OK && i == iext)
            memcpy(r->creds, sk_ipc_payload(res), SK_CREDENTIALS_SIZE);
        if (first == SK_OK)
            first = e;
    }
    if (gone(first))
        return first;
    if (first != SK_OK)
        return reject(r, first == SK_ERR_NO_RIGHTS ? SK_ERR_NO_RIGHTS : SK_ERR_INVALID);
    return handle_request(r);
}

static sk_error_t followups(struct req *r)
{
    r->follow = reg_followups(r->msg, r->size);
    unsigned n = 0;
    if (r->follow & REG_FOLLOW_PULL_OWNER)
        r->acts[n++] = sk_act_pull(0, SK_RIGHT_READ | SK_RIGHT_WRITE);
    if (r->follow & REG_FOLLOW_PULL_SERVICE)
        r->acts[n++] = sk_act_pull(0, SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE);
    if (r->follow & REG_FOLLOW_EXTRACT)
        r->acts[n++] = SK_ACT_EXTRACT(0);
    if (!n)
        return handle_request(r);
    for (unsigned i = 0; i + 1 < n; i++)
        r->acts[i].flags |= SK_ACTF_CHAIN;
    return sk_req_ipc(&r->sr, r->conv, r->acts, n, followed);
}

static sk_error_t rest_received(struct sk_req *sr, sk_error_t err, const struct sk_cqe *cqe)
{
    struct req *r = REQ_OF(sr);
    sk_error_t e = act_error(err, cqe, r->acts, 1, 0);
    const struct sk_ipc_result *res = sk_ipc_result(cqe, r->acts, 1, 0);
    if (gone(e))
        return e;
    if (!r->msg) /* the second piece of a message over the bound, refused unread */
        return reject(r, SK_ERR_TOO_BIG);
    if (e != SK_OK || res->length != r->size - SK_MSG_FIRST_MAX)
        return reject(r, SK_ERR_INVALID);
    return followups(r);
}

/* The first step: the head, then the second piece or the follow-ups. */
static sk_error_t request_start(struct req *r, const void *first, uint32_t len)
{
    struct sk_msg_head h;
    if (len < sizeof h)
        return reject(r, SK_ERR_INVALID);
    memcpy(&h, first, sizeof h);
    r->kind = h.kind;
    r->size = h.size;
    int two = h.size > SK_MSG_FIRST_MAX;
    if (two ? len != SK_MSG_FIRST_MAX : len != h.size)
        return reject(r, SK_ERR_INVALID);
    if (h.size > SK_REG_REQUEST_MAX) {
        /* take the second piece into nothing (both sides fail with BUFFER_TOO_SMALL), so the
           reply meets the client's receive */
        r->acts[0] = SK_ACT_RECV_INLINE(0, 0);
    } else {
        if (!(r->msg = sk_malloc(h.size)))
            return SK_ERR_NO_MEMORY; /* dropped: not the client's fault, but no room to answer */
        memcpy(r->msg, first, len);
        if (!two)
            return followups(r);
        r->acts[0] = SK_ACT_RECV(0, r->msg + len, h.size - len);
    }
    return sk_req_ipc(&r->sr, r->conv, r->acts, 1, rest_received);
}

void conn_request(struct owner *via, sk_handle_t conv, const void *first, uint32_t len)
{
    struct req *r = NULL;
    if (reg_stats.requests >= SK_REG_REQUESTS_MAX || !(r = sk_calloc(1, sizeof *r))) {
        sk_handle_close(conv);
        reg_stats.dropped++;
        return;
    }
    r->conv = conv;
    r->via = via;
    if (via)
        via->refs++;
    reg_stats.requests++;
    r->stage = REQ_RECV;
    sk_req_init(&r->sr, &reg_timers, req_failed);
    sk_error_t e = sk_req_deadline(&r->sr, reg_request_deadline());
    if (e == SK_OK)
        e = request_start(r, first, len);
    if (e != SK_OK)
        sk_req_fail(&r->sr, e);
}
