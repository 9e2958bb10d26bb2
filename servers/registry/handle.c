/*
 * What each request does (docs/registry.md): validate the whole message, check
 * that it came on the right kind of lane and that the owner may do it, act,
 * reply. A refusal is just returned: the request's fail function (conn.c)
 * sends it as the error reply. Watches continue in watch.c.
 */
#include "registry.h"

static int owner_kind(uint32_t kind)
{
    return kind == SK_REG_create || kind == SK_REG_update || kind == SK_REG_remove;
}

/* A reply block of len bytes with its head filled for r; NULL if out of memory. */
static void *reply_alloc(struct req *r, uint32_t len)
{
    struct sk_reply_head *h = sk_calloc(1, len);
    if (!h)
        return NULL;
    h->kind = r->kind;
    h->size = len;
    h->status = SK_OK;
    return h;
}

static sk_error_t reply_seq(struct req *r)
{
    struct sk_reg_change_reply *rep = reply_alloc(r, sizeof *rep);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    rep->seq = store_seq;
    conn_reply(r, rep, sizeof *rep);
    return SK_OK;
}

static sk_error_t do_open(struct req *r)
{
    if (reg_stats.owners >= SK_REG_OWNERS_MAX ||
        owners_with(r->creds) >= SK_REG_CLIENT_OWNERS_MAX)
        return SK_ERR_LIMIT;
    sk_handle_t lane = r->pulled;
    r->pulled = 0;
    if (!owner_start(lane, r->creds))
        return SK_ERR_NO_MEMORY;
    conn_status(r, SK_OK);
    return SK_OK;
}

static sk_error_t do_create(struct req *r)
{
    const struct sk_reg_create *m = (const void *)r->msg;
    struct owner *o = r->via;
    if (o->dead)
        return SK_ERR_END_OF_LANE;
    if (o->nentities >= SK_REG_OWNER_ENTITIES_MAX || store_count >= SK_REG_ENTITIES_MAX)
        return SK_ERR_LIMIT;
    struct sk_reg_create_reply *rep = reply_alloc(r, sizeof *rep);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    struct props *p = props_from_msg(m->props, m->nprops);
    struct entity *e = p ? store_create(o, p, r->pulled) : NULL;
    if (!e) {
        props_put(p);
        sk_free(rep);
        return SK_ERR_NO_MEMORY;
    }
    r->pulled = 0; /* the entity's service lane now */
    rep->id = e->id;
    rep->seq = store_seq;
    conn_reply(r, rep, sizeof *rep);
    watch_notify();
    return SK_OK;
}

/* The entity an owner request names, or NULL (*err says why). */
static struct entity *owned(struct req *r, uint64_t id, sk_error_t *err)
{
    struct entity *e = store_find(id);
    *err = !e ? SK_ERR_NOT_FOUND : e->owner != r->via ? SK_ERR_NO_RIGHTS : SK_OK;
    return *err == SK_OK ? e : NULL;
}

static sk_error_t do_update(struct req *r)
{
    const struct sk_reg_update *m = (const void *)r->msg;
    sk_error_t err;
    struct entity *e = owned(r, m->id, &err);
    if (!e)
        return err;
    struct props *p = props_update(e->props, m->props, m->nprops,
                                   (m->flags & SK_REG_UPDATE_REPLACE) != 0, &err);
    if (!p)
        return err;
    store_update(e, p);
    err = reply_seq(r);
    watch_notify();
    return err;
}

static sk_error_t do_remove(struct req *r)
{
    const struct sk_reg_remove *m = (const void *)r->msg;
    sk_error_t err;
    struct entity *e = owned(r, m->id, &err);
    if (!e)
        return err;
    store_remove(e);
    err = reply_seq(r);
    watch_notify();
    return err;
}

static sk_error_t do_query(struct req *r)
{
    const struct sk_reg_query *m = (const void *)r->msg;
    struct sk_reg_query_reply *rep = reply_alloc(r, sizeof *rep + m->max * sizeof rep->ids[0]);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    uint32_t n = 0;
    for (struct entity *e = store_first; e; e = e->next) {
        if (e->id < m->cursor || !reg_filter_match(&m->filter, m->terms, e->props))
            continue;
        if (n == m->max) {
            rep->next = e->id;
            break;
        }
        rep->ids[n++] = e->id;
    }
    rep->seq = store_seq;
    rep->count = n;
    rep->head.size = sizeof *rep + n * sizeof rep->ids[0];
    conn_reply(r, rep, rep->head.size);
    return SK_OK;
}

static sk_error_t do_get(struct req *r)
{
    const struct sk_reg_get *m = (const void *)r->msg;
    struct entity *e = store_find(m->id);
    if (!e)
        return SK_ERR_NOT_FOUND;
    uint32_t len = sizeof(struct sk_reg_get_reply) + e->props->n * sizeof(struct sk_reg_prop);
    struct sk_reg_get_reply *rep = reply_alloc(r, len);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    rep->id = e->id;
    rep->flags = e->service ? SK_REG_ENTITY_SERVICE : 0;
    rep->nprops = e->props->n;
    for (uint32_t i = 0; i < e->props->n; i++) {
        /* lengths were checked on the way in: key < SK_REG_KEY_MAX, value < ..._VALUE_MAX */
        memcpy(rep->props[i].key, e->props->kv[i].key, strlen(e->props->kv[i].key) + 1);
        memcpy(rep->props[i].value, e->props->kv[i].value, strlen(e->props->kv[i].value) + 1);
    }
    conn_reply(r, rep, len);
    return SK_OK;
}

static sk_error_t do_connect(struct req *r)
{
    const struct sk_reg_connect *m = (const void *)r->msg;
    struct entity *e = store_find(m->id);
    if (!e)
        return SK_ERR_NOT_FOUND;
    if (!e->service)
        return SK_ERR_UNSUPPORTED;
    /* a copy of our own: the entity may go before the push is posted */
    if (sk_handle_dup(e->service, SK_RIGHTS_ALL, &r->pulled) != SK_OK)
        return SK_ERR_NO_MEMORY;
    r->push = r->pulled;
    conn_status(r, SK_OK);
    return SK_OK;
}

static sk_error_t do_stats(struct req *r)
{
    struct sk_reg_stats_reply *rep = reply_alloc(r, sizeof *rep);
    if (!rep)
        return SK_ERR_NO_MEMORY;
    rep->seq = store_seq;
    rep->next_id = store_next_id;
    rep->entities = store_count;
    rep->owners = reg_stats.owners;
    rep->watches = reg_stats.watches;
    rep->requests = reg_stats.requests;
    rep->served = reg_stats.served;
    rep->rejected = reg_stats.rejected;
    rep->dropped = reg_stats.dropped + reg_accept_failures();
    conn_reply(r, rep, sizeof *rep);
    return SK_OK;
}

sk_error_t handle_request(struct req *r)
{
    r->stage = REQ_WORK;
    sk_error_t e = reg_check_request(r->msg, r->size);
    if (e == SK_OK && owner_kind(r->kind) != (r->via != NULL))
        e = SK_ERR_UNSUPPORTED; /* owner requests on owner lanes, the others on the registry lane */
    if (e != SK_OK)
        return reject(r, e);
    switch (r->kind) {
    case SK_REG_open:
        return do_open(r);
    case SK_REG_create:
        return do_create(r);
    case SK_REG_update:
        return do_update(r);
    case SK_REG_remove:
        return do_remove(r);
    case SK_REG_query:
        return do_query(r);
    case SK_REG_get:
        return do_get(r);
    case SK_REG_watch:
        return watch_start(r);
    case SK_REG_connect:
        return do_connect(r);
    case SK_REG_stats:
        return do_stats(r);
    }
    return reject(r, SK_ERR_UNSUPPORTED); /* reg_check_request knows every kind it passes */
}
