/*
 * The registry's client side (sk/registry.h, docs/registry.md): requests are
 * built here, sent as the protocol's two pieces with their follow-ups
 * (docs/protocols.md), and replies are checked before anything in them is used.
 */
#include <sk/sk.h>
#include <sk/registry.h>

/* ---- properties and filters ------------------------------------------------------------- */

sk_error_t sk_reg_prop_set(struct sk_reg_prop *p, const char *key, const char *value)
{
    size_t k = strnlen(key, SK_REG_KEY_MAX), v = strnlen(value, SK_REG_VALUE_MAX);
    if (!k)
        return SK_ERR_INVALID;
    if (k >= SK_REG_KEY_MAX || v >= SK_REG_VALUE_MAX)
        return SK_ERR_TOO_BIG;
    memset(p, 0, sizeof *p);
    memcpy(p->key, key, k);
    memcpy(p->value, value, v);
    return SK_OK;
}

const char *sk_reg_prop_find(const struct sk_reg_prop *props, uint32_t n, const char *key)
{
    for (uint32_t i = 0; i < n; i++)
        if (strncmp(props[i].key, key, SK_REG_KEY_MAX) == 0)
            return props[i].value;
    return NULL;
}

void sk_reg_match_all(struct sk_reg_match *m)
{
    memset(m, 0, sizeof *m);
}

static int add_node(struct sk_reg_match *m, uint16_t op, int a, int b)
{
    if (a < 0 || b < 0 || m->filter.nnodes >= SK_REG_FILTER_NODES) {
        m->broken = 1;
        return -1;
    }
    struct sk_reg_node *nd = &m->filter.nodes[m->filter.nnodes];
    *nd = (struct sk_reg_node){op, (uint16_t)a, (uint16_t)b, 0};
    return (int)m->filter.nnodes++;
}

int sk_reg_match_eq(struct sk_reg_match *m, const char *key, const char *value)
{
    if (m->filter.nterms >= SK_REG_FILTER_TERMS ||
        sk_reg_prop_set(&m->terms[m->filter.nterms], key, value) != SK_OK) {
        m->broken = 1;
        return -1;
    }
    int t = (int)m->filter.nterms;
    int nd = add_node(m, SK_REG_F_EQUALS, t, 0);
    if (nd >= 0)
        m->filter.nterms++;
    return nd;
}

int sk_reg_match_and(struct sk_reg_match *m, int a, int b)
{
    return add_node(m, SK_REG_F_AND, a, b);
}

int sk_reg_match_or(struct sk_reg_match *m, int a, int b)
{
    return add_node(m, SK_REG_F_OR, a, b);
}

/* ---- a call -------------------------------------------------------------------------------- */

static void nothing(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

static void call_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_reg_call *c = SK_OP_CONTAINER(op, struct sk_reg_call, op);
    if (c->timed && c->timer.state != SK_OPSTATE_IDLE && c->cancel_timer.state == SK_OPSTATE_IDLE)
        sk_op_cancel(op->queue, &c->cancel_timer, &c->timer, nothing);
    const struct sk_ipc_result *r = sk_ipc_result(cqe, c->acts, c->n, c->irecv);
    if (r && r->error == SK_OK) {
        c->error = SK_OK;
        c->reply_len = r->length;
    } else {
        c->error = r ? (sk_error_t)r->error : cqe->error ? (sk_error_t)cqe->error : SK_ERR_INVALID;
    }
    if (c->ipull)
        c->pulled = sk_ipc_handle(sk_ipc_result(cqe, c->acts, c->n, c->ipull));
    c->done = 1;
    if (c->fn)
        c->fn(c);
}

static void call_timeout(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sk_reg_call *c = SK_OP_CONTAINER(op, struct sk_reg_call, timer);
    if (cqe->error == SK_OK && !c->done)
        sk_reg_call_cancel(op->queue, c);
}

sk_error_t sk_reg_call_start(struct sk_queue *q, struct sk_reg_call *c, sk_handle_t lane,
                             const void *msg, uint32_t size, sk_handle_t push, uint32_t push_rights,
                             uint32_t flags, void *reply, uint32_t reply_max, uint64_t timeout_ns,
                             sk_reg_call_fn fn)
{
    if (!sk_reg_call_finished(c))
        return SK_ERR_BUSY;
    const uint8_t *m = msg;
    unsigned n = 0;
    uint32_t first = size < SK_MSG_FIRST_MAX ? size : SK_MSG_FIRST_MAX;
    c->acts[n++] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c->acts[n++] = SK_ACT_SEND(SK_ACTF_CHAIN, m, first);
    if (size > first)
        c->acts[n++] = SK_ACT_SEND(SK_ACTF_CHAIN, m + first, size - first);
    if (push)
        c->acts[n++] = sk_act_push(SK_ACTF_CHAIN, push, push_rights);
    if (flags & SK_REG_CALL_IMBUE)
        c->acts[n++] = sk_act_imbue(SK_ACTF_CHAIN, 0);
    c->irecv = n;
    c->acts[n++] = SK_ACT_RECV((flags & SK_REG_CALL_PULL) ? SK_ACTF_CHAIN : 0, reply, reply_max);
    c->ipull = 0;
    if (flags & SK_REG_CALL_PULL) {
        c->ipull = n;
        c->acts[n++] = sk_act_pull(0, SK_RIGHT_WRITE);
    }
    c->n = n;
    c->reply = reply;
    c->reply_max = reply_max;
    c->reply_len = 0;
    c->error = SK_ERR_BUSY;
    c->pulled = 0;
    c->done = 0;
    c->timed = timeout_ns != 0;
    c->fn = fn;
    sk_error_t e = sk_op_ipc(q, &c->op, lane, c->acts, n, call_done);
    if (e == SK_OK && c->timed)
        e = sk_op_sleep(q, &c->timer, timeout_ns, call_timeout);
    return e;
}

int sk_reg_call_finished(const struct sk_reg_call *c)
{
    return c->op.state == SK_OPSTATE_IDLE && c->timer.state == SK_OPSTATE_IDLE &&
           c->cancel.state == SK_OPSTATE_IDLE && c->cancel_timer.state == SK_OPSTATE_IDLE;
}

sk_error_t sk_reg_call_wait(struct sk_queue *q, struct sk_reg_call *c)
{
    while (!sk_reg_call_finished(c)) {
        sk_error_t e = sk_queue_wait(q, SK_TIMEOUT_NEVER);
        if (e != SK_OK && e != SK_ERR_TIMEOUT && e != SK_ERR_ALERTED)
            return e;
    }
    return c->error;
}

void sk_reg_call_cancel(struct sk_queue *q, struct sk_reg_call *c)
{
    if (c->op.state != SK_OPSTATE_IDLE && c->cancel.state == SK_OPSTATE_IDLE)
        sk_op_cancel(q, &c->cancel, &c->op, nothing);
}

sk_error_t sk_reg_reply_status(const struct sk_reg_call *c, uint32_t kind, uint32_t min_size)
{
    if (c->error != SK_OK)
        return c->error;
    const struct sk_reply_head *h = c->reply;
    if (c->reply_len < sizeof *h || h->kind != kind || h->size != c->reply_len)
        return SK_ERR_INVALID;
    if (h->status != SK_OK)
        return (sk_error_t)h->status;
    return c->reply_len >= min_size ? SK_OK : SK_ERR_INVALID;
}

/* One synchronous call; returns the checked status. */
static sk_error_t call(struct sk_queue *q, sk_handle_t lane, const void *msg, uint32_t size,
                       sk_handle_t push, uint32_t push_rights, uint32_t flags, void *reply,
                       uint32_t reply_max, uint32_t min_size, uint64_t timeout_ns,
                       sk_handle_t *pulled)
{
    struct sk_reg_call c = {0};
    sk_error_t e = sk_reg_call_start(q, &c, lane, msg, size, push, push_rights, flags, reply,
                                     reply_max, timeout_ns, NULL);
    if (e == SK_OK)
        sk_reg_call_wait(q, &c);
    else
        c.error = e;
    /* (a call refused at submission may still have its op to come back) */
    while (!sk_reg_call_finished(&c))
        sk_queue_wait(q, SK_TIMEOUT_NEVER);
    e = sk_reg_reply_status(&c, ((const struct sk_msg_head *)msg)->kind, min_size);
    if (pulled)
        *pulled = c.pulled;
    else if (c.pulled)
        sk_handle_close(c.pulled);
    return e;
}

/* ---- synchronous-style requests ----------------------------------------------------------- */

sk_error_t sk_reg_open(struct sk_queue *q, sk_handle_t reg, sk_handle_t *owner)
{
    sk_handle_t l[2];
    sk_error_t e = sk_stream_create(0, 0, l);
    if (e != SK_OK)
        return e;
    struct sk_reg_open m = {{SK_REG_open, sizeof m}};
    struct sk_reply_head rep;
    e = call(q, reg, &m, sizeof m, l[1], SK_RIGHT_READ | SK_RIGHT_WRITE, SK_REG_CALL_IMBUE, &rep,
             sizeof rep, sizeof rep, SK_REG_CALL_TIMEOUT_NS, NULL);
    sk_handle_close(l[1]); /* the registry's end is the registry's alone */
    if (e == SK_OK)
        *owner = l[0];
    else
        sk_handle_close(l[0]);
    return e;
}

/* A message with a fixed part of `fixed` bytes and props[0..n) after it, on the heap. */
static void *with_props(uint32_t kind, size_t fixed, const struct sk_reg_prop *props, uint32_t n,
                        uint32_t *size)
{
    if (n > SK_REG_PROPS_MAX)
        return NULL;
    *size = (uint32_t)(fixed + n * sizeof *props);
    uint8_t *m = sk_calloc(1, *size);
    if (!m)
        return NULL;
    *(struct sk_msg_head *)m = (struct sk_msg_head){kind, *size};
    memcpy(m + fixed, props, n * sizeof *props);
    return m;
}

sk_error_t sk_reg_create(struct sk_queue *q, sk_handle_t owner, const struct sk_reg_prop *props,
                         uint32_t n, sk_handle_t service, uint64_t *id)
{
    uint32_t size;
    struct sk_reg_create *m = with_props(SK_REG_create, sizeof *m, props, n, &size);
    if (!m)
        return n > SK_REG_PROPS_MAX ? SK_ERR_TOO_BIG : SK_ERR_NO_MEMORY;
    m->flags = service ? SK_REG_CREATE_SERVICE : 0;
    m->nprops = n;
    struct sk_reg_create_reply rep;
    uint32_t keep = SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE;
    sk_error_t e = call(q, owner, m, size, service, keep, 0, &rep, sizeof rep, sizeof rep,
                        SK_REG_CALL_TIMEOUT_NS, NULL);
    sk_free(m);
    if (e == SK_OK)
        *id = rep.id;
    return e;
}

sk_error_t sk_reg_update(struct sk_queue *q, sk_handle_t owner, uint64_t id, uint32_t flags,
                         const struct sk_reg_prop *props, uint32_t n)
{
    uint32_t size;
    struct sk_reg_update *m = with_props(SK_REG_update, sizeof *m, props, n, &size);
    if (!m)
        return n > SK_REG_PROPS_MAX ? SK_ERR_TOO_BIG : SK_ERR_NO_MEMORY;
    m->id = id;
    m->flags = flags;
    m->nprops = n;
    struct sk_reg_change_reply rep;
    sk_error_t e = call(q, owner, m, size, 0, 0, 0, &rep, sizeof rep, sizeof rep,
                        SK_REG_CALL_TIMEOUT_NS, NULL);
    sk_free(m);
    return e;
}

sk_error_t sk_reg_remove(struct sk_queue *q, sk_handle_t owner, uint64_t id)
{
    struct sk_reg_remove m = {{SK_REG_remove, sizeof m}, id};
    struct sk_reg_change_reply rep;
    return call(q, owner, &m, sizeof m, 0, 0, 0, &rep, sizeof rep, sizeof rep,
                SK_REG_CALL_TIMEOUT_NS, NULL);
}

/* Copy a filter and its terms after a fixed part; returns the message size. */
static uint32_t put_filter(struct sk_reg_filter *f, struct sk_reg_prop *terms, size_t fixed,
                           const struct sk_reg_match *m)
{
    if (!m) {
        memset(f, 0, sizeof *f);
        return (uint32_t)fixed;
    }
    *f = m->filter;
    memcpy(terms, m->terms, m->filter.nterms * sizeof *terms);
    return (uint32_t)(fixed + m->filter.nterms * sizeof *terms);
}

sk_error_t sk_reg_query(struct sk_queue *q, sk_handle_t reg, const struct sk_reg_match *match,
                        uint64_t cursor, uint64_t *ids, uint32_t max, uint32_t *count,
                        uint64_t *next, uint64_t *seq)
{
    if ((match && (match->broken || match->filter.nterms > SK_REG_FILTER_TERMS)) || !max ||
        max > SK_REG_QUERY_IDS_MAX)
        return SK_ERR_INVALID;
    uint32_t rmax = sizeof(struct sk_reg_query_reply) + max * sizeof(uint64_t);
    struct sk_reg_query *m = sk_calloc(1, sizeof *m + SK_REG_FILTER_TERMS * sizeof m->terms[0]);
    struct sk_reg_query_reply *rep = sk_malloc(rmax);
    sk_error_t e = SK_ERR_NO_MEMORY;
    if (m && rep) {
        uint32_t size = put_filter(&m->filter, m->terms, sizeof *m, match);
        m->head = (struct sk_msg_head){SK_REG_query, size};
        m->cursor = cursor;
        m->max = max;
        e = call(q, reg, m, size, 0, 0, 0, rep, rmax, sizeof *rep, SK_REG_CALL_TIMEOUT_NS, NULL);
    }
    if (e == SK_OK &&
        (rep->count > max || rep->head.size != sizeof *rep + rep->count * sizeof(uint64_t)))
        e = SK_ERR_INVALID;
    if (e == SK_OK) {
        memcpy(ids, rep->ids, rep->count * sizeof(uint64_t));
        *count = rep->count;
        if (next)
            *next = rep->next;
        if (seq)
            *seq = rep->seq;
    }
    sk_free(m);
    sk_free(rep);
    return e;
}

sk_error_t sk_reg_get(struct sk_queue *q, sk_handle_t reg, uint64_t id, struct sk_reg_prop *props,
                      uint32_t max, uint32_t *n, uint32_t *flags)
{
    struct sk_reg_get m = {{SK_REG_get, sizeof m}, id};
    uint32_t rmax = SK_REG_REPLY_MAX;
    struct sk_reg_get_reply *rep = sk_malloc(rmax);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    sk_error_t e = call(q, reg, &m, sizeof m, 0, 0, 0, rep, rmax, sizeof *rep,
                        SK_REG_CALL_TIMEOUT_NS, NULL);
    if (e == SK_OK && (rep->nprops > SK_REG_PROPS_MAX ||
                       rep->head.size != sizeof *rep + rep->nprops * sizeof(struct sk_reg_prop)))
        e = SK_ERR_INVALID;
    if (e == SK_OK) {
        uint32_t k = rep->nprops < max ? rep->nprops : max;
        memcpy(props, rep->props, k * sizeof *props);
        for (uint32_t i = 0; i < k; i++) { /* terminated whatever the server sent */
            props[i].key[SK_REG_KEY_MAX - 1] = 0;
            props[i].value[SK_REG_VALUE_MAX - 1] = 0;
        }
        *n = rep->nprops;
        if (flags)
            *flags = rep->flags;
    }
    sk_free(rep);
    return e;
}

static uint32_t watch_build(struct sk_reg_watch *m, uint64_t after,
                            const struct sk_reg_match *match, uint32_t timeout_ms, uint32_t max)
{
    uint32_t size = put_filter(&m->filter, m->terms, sizeof *m, match);
    m->head = (struct sk_msg_head){SK_REG_watch, size};
    m->after = after;
    m->timeout_ms = timeout_ms;
    m->max = max;
    return size;
}

static uint64_t watch_timeout_ns(uint32_t timeout_ms)
{
    return (uint64_t)(timeout_ms ? timeout_ms : SK_REG_WATCH_TIMEOUT_DEFAULT_MS) * 1000000 +
           SK_REG_CALL_TIMEOUT_NS;
}

static sk_error_t watch_check(const struct sk_reg_watch_reply *rep, uint32_t max)
{
    if (rep->count > max ||
        rep->head.size != sizeof *rep + rep->count * sizeof(struct sk_reg_event))
        return SK_ERR_INVALID;
    return SK_OK;
}

sk_error_t sk_reg_watch(struct sk_queue *q, sk_handle_t reg, uint64_t after,
                        const struct sk_reg_match *match, uint32_t timeout_ms,
                        struct sk_reg_event *events, uint32_t max, uint32_t *count, uint64_t *seq)
{
    if ((match && (match->broken || match->filter.nterms > SK_REG_FILTER_TERMS)) || !max)
        return SK_ERR_INVALID;
    if (max > SK_REG_WATCH_EVENTS_MAX)
        max = SK_REG_WATCH_EVENTS_MAX;
    uint32_t rmax = sizeof(struct sk_reg_watch_reply) + max * sizeof(struct sk_reg_event);
    struct sk_reg_watch *m = sk_calloc(1, sizeof *m + SK_REG_FILTER_TERMS * sizeof m->terms[0]);
    struct sk_reg_watch_reply *rep = sk_malloc(rmax);
    sk_error_t e = SK_ERR_NO_MEMORY;
    if (m && rep) {
        uint32_t size = watch_build(m, after, match, timeout_ms, max);
        e = call(q, reg, m, size, 0, 0, SK_REG_CALL_IMBUE, rep, rmax, sizeof *rep,
                 watch_timeout_ns(timeout_ms), NULL);
    }
    if (e == SK_OK)
        e = watch_check(rep, max);
    if (e == SK_OK) {
        memcpy(events, rep->events, rep->count * sizeof *events);
        *count = rep->count;
        *seq = rep->seq;
    }
    sk_free(m);
    sk_free(rep);
    return e;
}

sk_error_t sk_reg_connect(struct sk_queue *q, sk_handle_t reg, uint64_t id, sk_handle_t *lane)
{
    struct sk_reg_connect m = {{SK_REG_connect, sizeof m}, id};
    struct sk_reply_head rep;
    sk_handle_t got = 0;
    sk_error_t e = call(q, reg, &m, sizeof m, 0, 0, SK_REG_CALL_PULL, &rep, sizeof rep, sizeof rep,
                        SK_REG_CALL_TIMEOUT_NS, &got);
    if (e == SK_OK && !got)
        e = SK_ERR_INVALID;
    if (e == SK_OK)
        *lane = got;
    else if (got)
        sk_handle_close(got);
    return e;
}

sk_error_t sk_reg_stats(struct sk_queue *q, sk_handle_t reg, struct sk_reg_stats_reply *out)
{
    struct sk_reg_stats m = {{SK_REG_stats, sizeof m}};
    return call(q, reg, &m, sizeof m, 0, 0, 0, out, sizeof *out, sizeof *out,
                SK_REG_CALL_TIMEOUT_NS, NULL);
}

/* ---- an asynchronous watch ------------------------------------------------------------------ */

sk_error_t sk_reg_watch_start(struct sk_queue *q, struct sk_reg_watcher *w, sk_handle_t reg,
                              uint64_t after, const struct sk_reg_match *match, uint32_t timeout_ms,
                              sk_reg_call_fn fn)
{
    if (match && (match->broken || match->filter.nterms > SK_REG_FILTER_TERMS))
        return SK_ERR_INVALID;
    memset(&w->msg, 0, sizeof w->msg);
    uint32_t size = watch_build(&w->msg.m, after, match, timeout_ms, SK_REG_WATCH_EVENTS_MAX);
    return sk_reg_call_start(q, &w->call, reg, &w->msg, size, 0, 0, SK_REG_CALL_IMBUE, &w->reply,
                             sizeof w->reply, watch_timeout_ns(timeout_ms), fn);
}

sk_error_t sk_reg_watch_result(const struct sk_reg_watcher *w, const struct sk_reg_event **events,
                               uint32_t *count, uint64_t *seq)
{
    sk_error_t e = sk_reg_reply_status(&w->call, SK_REG_watch, sizeof w->reply.r);
    if (e == SK_OK)
        e = watch_check(&w->reply.r, SK_REG_WATCH_EVENTS_MAX);
    if (e == SK_OK) {
        *events = w->reply.r.events;
        *count = w->reply.r.count;
        *seq = w->reply.r.seq;
    }
    return e;
}
