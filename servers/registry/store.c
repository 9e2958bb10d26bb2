/*
 * The registry's state: entities (a list in id order plus a hash by id), their
 * property sets (immutable, reference counted, shared with the change log),
 * each owner's entity list, and the change log, a ring of the last
 * SK_REG_LOG_SIZE changes that watches read.
 */
#include "registry.h"

#define HASH_SIZE 256

struct entity *store_first;
static struct entity *store_last;
static struct entity *hash[HASH_SIZE];
uint32_t store_count;
uint64_t store_seq;          /* the latest change; the first is 1 */
uint64_t store_next_id = 1;  /* ids are never reused */
static struct change log_ring[SK_REG_LOG_SIZE];

/* ---- property sets ------------------------------------------------------------------------ */

/* A block for n properties with `bytes` of strings; the caller fills it. */
static struct props *props_alloc(uint32_t n, size_t bytes)
{
    struct props *p = sk_malloc(sizeof *p + n * sizeof p->kv[0] + bytes);
    if (p) {
        p->refs = 1;
        p->n = 0;
    }
    return p;
}

static char *props_strings(struct props *p, uint32_t n)
{
    return (char *)&p->kv[n];
}

static char *copy_str(char *to, const char *s)
{
    size_t len = strlen(s) + 1;
    memcpy(to, s, len);
    return to + len;
}

struct props *props_from_msg(const struct sk_reg_prop *m, uint32_t n)
{
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += strlen(m[i].key) + strlen(m[i].value) + 2;
    struct props *p = props_alloc(n, bytes);
    if (!p)
        return NULL;
    char *s = props_strings(p, n);
    for (uint32_t i = 0; i < n; i++) {
        p->kv[i].key = s;
        s = copy_str(s, m[i].key);
        p->kv[i].value = s;
        s = copy_str(s, m[i].value);
    }
    p->n = n;
    return p;
}

static int msg_has(const struct sk_reg_prop *m, uint32_t n, const char *key)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(m[i].key, key) == 0)
            return 1;
    return 0;
}

struct props *props_update(const struct props *base, const struct sk_reg_prop *m, uint32_t n,
                           int replace, sk_error_t *err)
{
    if (replace) {
        struct props *p = props_from_msg(m, n);
        *err = p ? SK_OK : SK_ERR_NO_MEMORY;
        return p;
    }
    /* kept: base's properties the message does not set, in their order; then the message's */
    uint32_t total = n;
    size_t bytes = 0;
    for (uint32_t i = 0; i < base->n; i++)
        if (!msg_has(m, n, base->kv[i].key)) {
            total++;
            bytes += strlen(base->kv[i].key) + strlen(base->kv[i].value) + 2;
        }
    if (total > SK_REG_PROPS_MAX) {
        *err = SK_ERR_TOO_BIG;
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        bytes += strlen(m[i].key) + strlen(m[i].value) + 2;
    struct props *p = props_alloc(total, bytes);
    if (!p) {
        *err = SK_ERR_NO_MEMORY;
        return NULL;
    }
    char *s = props_strings(p, total);
    uint32_t k = 0;
    for (uint32_t i = 0; i < base->n; i++) {
        if (msg_has(m, n, base->kv[i].key))
            continue;
        p->kv[k].key = s;
        s = copy_str(s, base->kv[i].key);
        p->kv[k++].value = s;
        s = copy_str(s, base->kv[i].value);
    }
    for (uint32_t i = 0; i < n; i++) {
        p->kv[k].key = s;
        s = copy_str(s, m[i].key);
        p->kv[k++].value = s;
        s = copy_str(s, m[i].value);
    }
    p->n = total;
    *err = SK_OK;
    return p;
}

void props_put(struct props *p)
{
    if (p && --p->refs == 0)
        sk_free(p);
}

static struct props *props_get_ref(struct props *p)
{
    if (p)
        p->refs++;
    return p;
}

/* ---- the change log ---------------------------------------------------------------------- */

static void log_change(uint32_t kind, uint64_t id, struct props *props, struct props *old)
{
    struct change *c = &log_ring[++store_seq % SK_REG_LOG_SIZE];
    props_put(c->props);
    props_put(c->old);
    c->seq = store_seq;
    c->id = id;
    c->kind = kind;
    c->props = props_get_ref(props);
    c->old = props_get_ref(old);
}

const struct change *store_change(uint64_t seq)
{
    if (!seq || seq > store_seq || seq < store_oldest())
        return NULL;
    return &log_ring[seq % SK_REG_LOG_SIZE];
}

uint64_t store_oldest(void)
{
    return store_seq >= SK_REG_LOG_SIZE ? store_seq - SK_REG_LOG_SIZE + 1 : 1;
}

/* ---- entities ------------------------------------------------------------------------------ */

struct entity *store_find(uint64_t id)
{
    for (struct entity *e = hash[id % HASH_SIZE]; e; e = e->hnext)
        if (e->id == id)
            return e;
    return NULL;
}

struct entity *store_create(struct owner *o, struct props *props, sk_handle_t service)
{
    struct entity *e = sk_calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->id = store_next_id++;
    e->owner = o;
    e->props = props;
    e->service = service;
    e->prev = store_last;
    if (store_last)
        store_last->next = e;
    else
        store_first = e;
    store_last = e;
    e->hnext = hash[e->id % HASH_SIZE];
    hash[e->id % HASH_SIZE] = e;
    e->onext = o->entities;
    o->entities = e;
    o->nentities++;
    store_count++;
    log_change(SK_REG_CREATED, e->id, props, NULL);
    return e;
}

void store_update(struct entity *e, struct props *props)
{
    struct props *old = e->props;
    e->props = props;
    log_change(SK_REG_UPDATED, e->id, props, old);
    props_put(old);
}

void store_remove(struct entity *e)
{
    log_change(SK_REG_REMOVED, e->id, e->props, NULL);
    if (e->prev)
        e->prev->next = e->next;
    else
        store_first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        store_last = e->prev;
    struct entity **pp = &hash[e->id % HASH_SIZE];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    pp = &e->owner->entities;
    while (*pp != e)
        pp = &(*pp)->onext;
    *pp = e->onext;
    e->owner->nentities--;
    store_count--;
    if (e->service)
        sk_handle_close(e->service);
    props_put(e->props);
    sk_free(e);
}
