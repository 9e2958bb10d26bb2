/*
 * Watches (docs/registry.md "WATCH"): a long poll. A watch whose changes are
 * already in the log is answered at once; otherwise it is parked, holding its
 * conversation without replying, until a matching change is logged, its time
 * is up, or room is needed (then it is answered early with no events). A
 * client that hung up is noticed when the answer fails, at the latest when its
 * time is up, so a parked watch costs at most its time.
 */
#include "registry.h"

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
static void answer(struct req *r)
{
    const struct sk_reg_watch *m = (const void *)r->msg;
    uint32_t len = sizeof(struct sk_reg_watch_reply) + m->max * sizeof(struct sk_reg_event);
    struct sk_reg_watch_reply *rep = sk_calloc(1, len);
    if (!rep) {
        conn_status(r, SK_ERR_NO_MEMORY);
        return;
    }
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
}

void watch_answer(struct req *r)
{
    req_unpark(r);
    answer(r);
}

static uint32_t parked_with(const uint8_t creds[SK_CREDENTIALS_SIZE], struct req **oldest)
{
    uint32_t n = 0;
    *oldest = NULL;
    for (struct req *w = req_parked; w; w = w->next)
        if (memcmp(w->creds, creds, SK_CREDENTIALS_SIZE) == 0) {
            if (!n)
                *oldest = w;
            n++;
        }
    return n;
}

void watch_start(struct req *r)
{
    const struct sk_reg_watch *m = (const void *)r->msg;
    if (m->after > store_seq) {
        conn_status(r, SK_ERR_INVALID);
        return;
    }
    if (m->after + 1 < store_oldest()) {
        conn_status(r, SK_ERR_OUT_OF_RANGE); /* changes were forgotten: query again */
        return;
    }
    r->after = m->after;
    if (any_match(r)) {
        answer(r);
        return;
    }
    r->after = store_seq;
    /* room: the sender's oldest watch, or the oldest of all, is answered early */
    struct req *old;
    if (parked_with(r->creds, &old) >= SK_REG_CLIENT_WATCHES_MAX)
        watch_answer(old);
    if (reg_stats.watches >= SK_REG_WATCHES_MAX)
        watch_answer(req_parked);
    uint32_t ms = m->timeout_ms ? m->timeout_ms : SK_REG_WATCH_TIMEOUT_DEFAULT_MS;
    req_park(r, reg_now() + ms * 1000000ull);
}

void watch_notify(void)
{
    for (struct req *r = req_parked, *next; r; r = next) {
        next = r->next;
        if (any_match(r))
            watch_answer(r);
        else
            r->after = store_seq;
    }
}
