/*
 * Validating registry requests and evaluating filters (check.h). Everything
 * here reads only the buffer it is given, within the bounds it is given.
 */
#include <base/string.h>
#include "check.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct sk_msg_shape shapes[] = {
    SK_MSG_SHAPE_FIXED(SK_REG_open, struct sk_reg_open),
    SK_MSG_SHAPE_TAIL(SK_REG_create, struct sk_reg_create, nprops, props, SK_REG_PROPS_MAX),
    SK_MSG_SHAPE_TAIL(SK_REG_update, struct sk_reg_update, nprops, props, SK_REG_PROPS_MAX),
    SK_MSG_SHAPE_FIXED(SK_REG_remove, struct sk_reg_remove),
    SK_MSG_SHAPE_TAIL(SK_REG_query, struct sk_reg_query, filter.nterms, terms, SK_REG_FILTER_TERMS),
    SK_MSG_SHAPE_FIXED(SK_REG_get, struct sk_reg_get),
    SK_MSG_SHAPE_TAIL(SK_REG_watch, struct sk_reg_watch, filter.nterms, terms, SK_REG_FILTER_TERMS),
    SK_MSG_SHAPE_FIXED(SK_REG_connect, struct sk_reg_connect),
    SK_MSG_SHAPE_FIXED(SK_REG_stats, struct sk_reg_stats),
};

const char *props_get(const struct props *p, const char *key)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (strcmp(p->kv[i].key, key) == 0)
            return p->kv[i].value;
    return NULL;
}

sk_error_t reg_check_props(const struct sk_reg_prop *props, uint32_t n)
{
    if (n > SK_REG_PROPS_MAX)
        return SK_ERR_TOO_BIG;
    for (uint32_t i = 0; i < n; i++) {
        if (!sk_msg_str_ok(props[i].key, SK_REG_KEY_MAX) || !props[i].key[0] ||
            !sk_msg_str_ok(props[i].value, SK_REG_VALUE_MAX))
            return SK_ERR_INVALID;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(props[i].key, props[j].key) == 0)
                return SK_ERR_INVALID;
    }
    return SK_OK;
}

sk_error_t reg_check_filter(const struct sk_reg_filter *f, const struct sk_reg_prop *terms)
{
    if (f->nnodes > SK_REG_FILTER_NODES || f->nterms > SK_REG_FILTER_TERMS)
        return SK_ERR_TOO_BIG;
    for (uint32_t i = 0; i < SK_REG_FILTER_NODES; i++) {
        const struct sk_reg_node *nd = &f->nodes[i];
        if (i >= f->nnodes) {
            if (!sk_msg_zero(nd, sizeof *nd))
                return SK_ERR_INVALID;
            continue;
        }
        if (nd->reserved)
            return SK_ERR_INVALID;
        switch (nd->op) {
        case SK_REG_F_EQUALS:
            if (nd->a >= f->nterms || nd->b)
                return SK_ERR_INVALID;
            break;
        case SK_REG_F_AND:
        case SK_REG_F_OR:
            if (nd->a >= i || nd->b >= i) /* postfix: operands come first, so no cycles */
                return SK_ERR_INVALID;
            break;
        default:
            return SK_ERR_INVALID;
        }
    }
    for (uint32_t i = 0; i < f->nterms; i++)
        if (!sk_msg_str_ok(terms[i].key, SK_REG_KEY_MAX) || !terms[i].key[0] ||
            !sk_msg_str_ok(terms[i].value, SK_REG_VALUE_MAX))
            return SK_ERR_INVALID;
    return SK_OK;
}

int reg_filter_match(const struct sk_reg_filter *f, const struct sk_reg_prop *terms,
                     const struct props *p)
{
    if (!f->nnodes)
        return 1;
    uint8_t v[SK_REG_FILTER_NODES];
    for (uint32_t i = 0; i < f->nnodes && i < SK_REG_FILTER_NODES; i++) {
        const struct sk_reg_node *nd = &f->nodes[i];
        switch (nd->op) {
        case SK_REG_F_EQUALS: {
            const char *val = props_get(p, terms[nd->a].key);
            v[i] = val && strcmp(val, terms[nd->a].value) == 0;
            break;
        }
        case SK_REG_F_AND:
            v[i] = v[nd->a] && v[nd->b];
            break;
        case SK_REG_F_OR:
            v[i] = v[nd->a] || v[nd->b];
            break;
        default:
            v[i] = 0;
        }
    }
    return v[f->nnodes - 1];
}

sk_error_t reg_check_request(const void *msg, uint32_t len)
{
    sk_error_t e = sk_msg_check(shapes, COUNT(shapes), msg, len);
    if (e != SK_OK)
        return e;
    const struct sk_msg_head *h = msg;
    switch (h->kind) {
    case SK_REG_create: {
        const struct sk_reg_create *m = msg;
        if (m->flags & ~SK_REG_CREATE_SERVICE)
            return SK_ERR_INVALID;
        return reg_check_props(m->props, m->nprops);
    }
    case SK_REG_update: {
        const struct sk_reg_update *m = msg;
        if (m->flags & ~SK_REG_UPDATE_REPLACE || !m->id)
            return SK_ERR_INVALID;
        return reg_check_props(m->props, m->nprops);
    }
    case SK_REG_query: {
        const struct sk_reg_query *m = msg;
        if (m->reserved || !m->max || m->max > SK_REG_QUERY_IDS_MAX)
            return SK_ERR_INVALID;
        return reg_check_filter(&m->filter, m->terms);
    }
    case SK_REG_watch: {
        const struct sk_reg_watch *m = msg;
        if (!m->max || m->max > SK_REG_WATCH_EVENTS_MAX ||
            m->timeout_ms > SK_REG_WATCH_TIMEOUT_MAX_MS)
            return SK_ERR_INVALID;
        return reg_check_filter(&m->filter, m->terms);
    }
    case SK_REG_remove:
    case SK_REG_get:
    case SK_REG_connect: {
        const struct sk_reg_get *m = msg; /* all three: head, id */
        return m->id ? SK_OK : SK_ERR_INVALID;
    }
    default: /* open, stats: a head and nothing else */
        return SK_OK;
    }
}

uint32_t reg_followups(const void *msg, uint32_t len)
{
    const struct sk_msg_head *h = msg;
    if (len < sizeof *h)
        return 0;
    switch (h->kind) {
    case SK_REG_open:
        return REG_FOLLOW_PULL_OWNER | REG_FOLLOW_EXTRACT;
    case SK_REG_watch:
        return REG_FOLLOW_EXTRACT;
    case SK_REG_connect:
        return REG_FOLLOW_PUSH_REPLY;
    case SK_REG_create: {
        uint32_t flags;
        if (len < offsetof(struct sk_reg_create, flags) + sizeof flags)
            return 0;
        memcpy(&flags, (const uint8_t *)msg + offsetof(struct sk_reg_create, flags), sizeof flags);
        return flags & SK_REG_CREATE_SERVICE ? REG_FOLLOW_PULL_SERVICE : 0;
    }
    default:
        return 0;
    }
}
