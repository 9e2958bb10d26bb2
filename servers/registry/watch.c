/*
 * Watches (docs/registry.md "WATCH"): a long poll. A watch whose changes are
 * already in the log is answered at once; otherwise it is parked, holding its
 * conversation without replying, until a matching change is logged, its time
 * is up, or room is needed (then it is answered early with no events). A
 * client that hung up is noticed when the answer fails, at the latest when its
 * time is up, so a parked watch costs at most its time. A parked watch is a
 * parked lib/sk request: a change or the need for room wakes it, its deadline
 * ends the wait with SK_ERR_TIMEOUT, and either way watch_woken answers it.
 */
#include "registry.h"

static struct req *parked; /* oldest first */

static void list_add_tail(struct req *r)
{
    struct req **pp = &parked, *prev = NULL;
    while (*pp) {
        prev = *pp;
        pp = &prev->next;
    }
    r->prev = prev;
    r->next = NULL;
    *pp = r;
}

static void list_del(struct req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        parked = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
}

static int change_matches(const struct sk_reg_watch *m, const struct change *c)
{
    return reg_filter_match(&m->filter, m->terms, c->props) ||
           (c->old && reg_filter_match(&m->filter, m->terms, c->old));
}

/* 1 if a change after r->after matches r's filter. */
static int any_match(const struct req *r)
{
    const struct sk_reg_watch *m = (const void *)r->msg;
    for (uint64_t s = r->after + 1; s <= store_seq; s++) {
        const struct change *c = store_change(s);
        if (c && change_matches(m, c))
            return 1;
    }
    return 0;
}

/* Reply with the matching changes after r->after (at most the watch's max; none is fine). */
static sk_error_t answer(struct req *r)
{
    const struct sk_reg_watch *m = (const void *)r->msg;
    uint32_t len = sizeof(struct sk_reg_watch_reply) + m->max * sizeof(struct sk_reg_event);
    struct sk_reg_watch_reply *rep = sk_calloc(1, len);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    uint64_t s = r->after;
    uint32_t n = 0;
    while (s < store_seq && n < m->max) {
        const struct change *c = store_change(++s);
        if (c && change_matches(m, c))
            rep->events[n++] = (struct sk_reg_event){c->seq, c->id, c->kind, 0};
    }
    rep->head = (struct sk_reply_head){r->kind, (uint32_t)(sizeof *rep + n * sizeof rep->events[0]),
                                       SK_OK, 0};
    rep->seq = s; /* the last change looked at: the next watch goes on from there */
    rep->count = n;
    conn_reply(r, rep, rep->head.size);
    return SK_OK;
}

/* The parked step's end: a change or the need for room (SK_OK), or its time is up. */
static sk_error_t watch_woken(struct sk_req *sr, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct req *r = REQ_OF(sr);
    list_del(r);
    reg_stats.watches--;
    reg_stats.requests++;
    r->stage = REQ_WORK;
    if (err == SK_ERR_TIMEOUT)
        sk_req_resume(sr); /* answered all the same, with what there is (nothing) */
    else if (err != SK_OK)
        return err;
    /* the reply has a request's time to be taken */
    sk_error_t e = sk_req_deadline(sr, reg_request_deadline());
    return e != SK_OK ? e : answer(r);
}

static uint32_t parked_with(const uint8_t creds[SK_CREDENTIALS_SIZE], struct req **oldest)
{
    uint32_t n = 0;
    *oldest = NULL;
    for (struct req *w = parked; w; w = w->next)
        if (memcmp(w->creds, creds, SK_CREDENTIALS_SIZE) == 0) {
            if (!n)
                *oldest = w;
            n++;
        }
    return n;
}

sk_error_t watch_start(struct req *r)
{
    const struct sk_reg_watch *m = (const void *)r->msg;
    if (m->after > store_seq)
        return SK_ERR_INVALID;
    if (m->after + 1 < store_oldest())
        return SK_ERR_OUT_OF_RANGE; /* changes were forgotten: query again */
    r->after = m->after;
    if (any_match(r))
        return answer(r);
    r->after = store_seq;
    /* room: the sender's oldest watch, or the oldest of all, is answered early */
    struct req *old;
    if (parked_with(r->creds, &old) >= SK_REG_CLIENT_WATCHES_MAX)
        sk_req_wake(&old->sr, 0);
    if (reg_stats.watches >= SK_REG_WATCHES_MAX)
        sk_req_wake(&parked->sr, 0);
    uint32_t ms = m->timeout_ms ? m->timeout_ms : SK_REG_WATCH_TIMEOUT_DEFAULT_MS;
    sk_error_t e = sk_req_deadline(&r->sr, reg_now() + ms * 1000000ull);
    if (e != SK_OK)
        return e;
    reg_stats.requests--;
    reg_stats.watches++;
    list_add_tail(r);
    r->stage = REQ_PARKED;
    sk_req_park(&r->sr, watch_woken);
    return SK_OK;
}

void watch_notify(void)
{
    for (struct req *r = parked, *next; r; r = next) {
        next = r->next;
        if (any_match(r))
            sk_req_wake(&r->sr, 0);
        else
            r->after = store_seq;
    }
}
