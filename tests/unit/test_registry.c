/*
 * Unit tests for the registry's pure parts (servers/registry/check.c) and the
 * protocol helpers (include/skoll/proto/proto.h): one broken variant of a valid
 * message per rule, every truncation and random byte flips of valid messages
 * (each copied into a block of exactly its length, so ASan catches any read
 * past it), and filter evaluation.
 */
#include "unit.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../servers/registry/check.h"

/* ---- building messages ------------------------------------------------------------------ */

static void prop(struct sk_reg_prop *p, const char *k, const char *v)
{
    memset(p, 0, sizeof *p);
    strcpy(p->key, k);
    strcpy(p->value, v);
}

struct qmsg {
    struct sk_reg_query m;
    struct sk_reg_prop terms[SK_REG_FILTER_TERMS + 1];
};

/* QUERY for a = 1 or b = 2 */
static uint32_t make_query(struct qmsg *q)
{
    memset(q, 0, sizeof *q);
    q->m.max = 4;
    q->m.filter.nterms = 2;
    q->m.filter.nnodes = 3;
    q->m.filter.nodes[0] = (struct sk_reg_node){SK_REG_F_EQUALS, 0, 0, 0};
    q->m.filter.nodes[1] = (struct sk_reg_node){SK_REG_F_EQUALS, 1, 0, 0};
    q->m.filter.nodes[2] = (struct sk_reg_node){SK_REG_F_OR, 0, 1, 0};
    prop(&q->terms[0], "a", "1");
    prop(&q->terms[1], "b", "2");
    uint32_t size = sizeof q->m + 2 * sizeof q->terms[0];
    q->m.head = (struct sk_msg_head){SK_REG_query, size};
    return size;
}

struct cmsg {
    struct sk_reg_create m;
    struct sk_reg_prop props[SK_REG_PROPS_MAX + 1];
};

static uint32_t make_create(struct cmsg *c, uint32_t n)
{
    memset(c, 0, sizeof *c);
    for (uint32_t i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%u", i);
        prop(&c->props[i], k, "v");
    }
    c->m.nprops = n;
    uint32_t size = sizeof c->m + n * sizeof c->props[0];
    c->m.head = (struct sk_msg_head){SK_REG_create, size};
    return size;
}

/* Check a copy of msg[0..len) in a block of exactly len bytes. */
static sk_error_t check_exact(const void *msg, uint32_t len)
{
    void *p = malloc(len ? len : 1);
    memcpy(p, msg, len);
    sk_error_t e = reg_check_request(p, len);
    reg_followups(p, len);
    free(p);
    return e;
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(reg_shapes)
{
    struct sk_reg_get g = {{SK_REG_get, sizeof g}, 5};
    ck_assert_int_eq(check_exact(&g, sizeof g), SK_OK);
    g.head.size = 24;
    ck_assert_int_eq(check_exact(&g, sizeof g), SK_ERR_INVALID); /* size is not what came */
    g.head = (struct sk_msg_head){SK_REG_get, 8};
    ck_assert_int_eq(check_exact(&g, 8), SK_ERR_INVALID); /* too short for the kind */
    ck_assert_int_eq(check_exact(&g, 4), SK_ERR_INVALID); /* shorter than a head */
    g.head = (struct sk_msg_head){SK_MSG_KIND(SK_PROTO_REGISTRY, 77), sizeof g};
    ck_assert_int_eq(check_exact(&g, sizeof g), SK_ERR_UNSUPPORTED);
    g.head = (struct sk_msg_head){SK_MSG_KIND(0x4242, 6), sizeof g};
    ck_assert_int_eq(check_exact(&g, sizeof g), SK_ERR_UNSUPPORTED);
    g = (struct sk_reg_get){{SK_REG_get, sizeof g}, 0};
    ck_assert_int_eq(check_exact(&g, sizeof g), SK_ERR_INVALID); /* id 0 names nothing */
    struct sk_reg_stats st = {{SK_REG_stats, sizeof st}};
    ck_assert_int_eq(check_exact(&st, sizeof st), SK_OK);
    struct sk_reg_open op = {{SK_REG_open, sizeof op}};
    ck_assert_int_eq(check_exact(&op, sizeof op), SK_OK);
}
END_TEST

START_TEST(reg_tails_and_counts)
{
    static struct cmsg c;
    uint32_t size = make_create(&c, 3);
    ck_assert_int_eq(check_exact(&c, size), SK_OK);
    size = make_create(&c, 0);
    ck_assert_int_eq(check_exact(&c, size), SK_OK);
    size = make_create(&c, SK_REG_PROPS_MAX);
    ck_assert_int_eq(check_exact(&c, size), SK_OK);
    size = make_create(&c, SK_REG_PROPS_MAX + 1);
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_TOO_BIG);
    size = make_create(&c, 3);
    c.m.nprops = 2; /* count and size disagree */
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_INVALID);
    c.m.nprops = 0xffffffffu;
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_TOO_BIG);
    size = make_create(&c, 3);
    ck_assert_int_eq(check_exact(&c, size - 1), SK_ERR_INVALID); /* (head.size too) */
}
END_TEST

START_TEST(reg_props_rules)
{
    static struct cmsg c;
    uint32_t size = make_create(&c, 3);
    c.props[1].key[0] = 0;
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_INVALID);
    make_create(&c, 3);
    memset(c.props[2].key, 'x', SK_REG_KEY_MAX);
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_INVALID);
    make_create(&c, 3);
    memset(c.props[2].value, 'x', SK_REG_VALUE_MAX);
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_INVALID);
    make_create(&c, 3);
    memset(c.props[2].value, 'x', SK_REG_VALUE_MAX - 1); /* the longest value */
    memset(c.props[2].key, 'y', SK_REG_KEY_MAX - 1);     /* the longest key */
    ck_assert_int_eq(check_exact(&c, size), SK_OK);
    make_create(&c, 3);
    strcpy(c.props[2].key, "k0");
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_INVALID); /* a key twice */
    make_create(&c, 3);
    strcpy(c.props[0].key + 3, "junk after the NUL is ignored");
    ck_assert_int_eq(check_exact(&c, size), SK_OK);
    make_create(&c, 3);
    c.m.flags = 2;
    ck_assert_int_eq(check_exact(&c, size), SK_ERR_INVALID);
    c.m.flags = SK_REG_CREATE_SERVICE;
    ck_assert_int_eq(check_exact(&c, size), SK_OK);
    ck_assert_uint_eq(reg_followups(&c, size), REG_FOLLOW_PULL_SERVICE);
    c.m.flags = 0;
    ck_assert_uint_eq(reg_followups(&c, size), 0);
    ck_assert_uint_eq(reg_followups(&c, 4), 0);
}
END_TEST

START_TEST(reg_filter_rules)
{
    static struct qmsg q;
    uint32_t size = make_query(&q);
    ck_assert_int_eq(check_exact(&q, size), SK_OK);
    q.m.reserved = 1;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.max = 0;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    q.m.max = SK_REG_QUERY_IDS_MAX + 1;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nodes[2].a = 2; /* itself */
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nodes[1].a = 2; /* a term that is not there */
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nodes[1].b = 1; /* unused field */
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nodes[0].reserved = 1;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nodes[2].op = 0;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nodes[SK_REG_FILTER_NODES - 1].b = 1; /* past nnodes */
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.m.filter.nnodes = SK_REG_FILTER_NODES + 1;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_TOO_BIG);
    make_query(&q);
    q.m.filter.nterms = SK_REG_FILTER_TERMS + 1;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_TOO_BIG);
    make_query(&q);
    memset(q.terms[1].key, 'k', SK_REG_KEY_MAX);
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    make_query(&q);
    q.terms[1].key[0] = 0;
    ck_assert_int_eq(check_exact(&q, size), SK_ERR_INVALID);
    /* the same filter rules for a watch, and its own fields */
    static uint8_t wbuf[sizeof(struct sk_reg_watch) + 2 * sizeof(struct sk_reg_prop)];
    struct sk_reg_watch *w = (struct sk_reg_watch *)wbuf;
    make_query(&q);
    memcpy(&w->filter, &q.m.filter, sizeof w->filter);
    memcpy(w->terms, q.terms, 2 * sizeof q.terms[0]);
    w->head = (struct sk_msg_head){SK_REG_watch, sizeof wbuf};
    w->max = 1;
    w->timeout_ms = 0;
    ck_assert_int_eq(check_exact(w, sizeof wbuf), SK_OK);
    ck_assert_uint_eq(reg_followups(w, sizeof wbuf), REG_FOLLOW_EXTRACT);
    w->timeout_ms = SK_REG_WATCH_TIMEOUT_MAX_MS + 1;
    ck_assert_int_eq(check_exact(w, sizeof wbuf), SK_ERR_INVALID);
    w->timeout_ms = 5;
    w->max = SK_REG_WATCH_EVENTS_MAX + 1;
    ck_assert_int_eq(check_exact(w, sizeof wbuf), SK_ERR_INVALID);
    w->max = 1;
    w->filter.nodes[2].op = 7;
    ck_assert_int_eq(check_exact(w, sizeof wbuf), SK_ERR_INVALID);
}
END_TEST

/* Every prefix and random flips of a valid message: an answer, never a read past the block. */
START_TEST(reg_truncations_and_flips)
{
    static struct qmsg q;
    static struct cmsg c;
    struct {
        const void *msg;
        uint32_t size;
    } valid[2] = {{&q, make_query(&q)}, {&c, make_create(&c, 4)}};
    srand(1234);
    for (int k = 0; k < 2; k++) {
        uint8_t *copy = malloc(valid[k].size);
        for (uint32_t len = 0; len < valid[k].size; len++) {
            memcpy(copy, valid[k].msg, valid[k].size);
            ((struct sk_msg_head *)copy)->size = len;
            ck_assert_int_ne(check_exact(copy, len), SK_OK);
        }
        for (int round = 0; round < 20000; round++) {
            memcpy(copy, valid[k].msg, valid[k].size);
            for (int f = 0; f < 1 + rand() % 4; f++)
                copy[rand() % valid[k].size] ^= (uint8_t)(1u << (rand() % 8));
            (void)check_exact(copy, valid[k].size);
        }
        free(copy);
    }
}
END_TEST

/* A property set by hand: kv = key, value, ..., NULL. */
static struct props *mkprops(const char *const *kv)
{
    uint32_t n = 0;
    while (kv[2 * n])
        n++;
    struct props *p = calloc(1, sizeof *p + n * sizeof p->kv[0]);
    p->n = n;
    for (uint32_t i = 0; i < n; i++)
        p->kv[i] = (struct prop_kv){kv[2 * i], kv[2 * i + 1]};
    return p;
}

START_TEST(reg_filter_eval)
{
    struct props *net = mkprops((const char *const[]){"class", "net", "vendor", "intel", NULL});
    struct props *blk = mkprops((const char *const[]){"class", "blk", "vendor", "amd", NULL});
    struct props *none = mkprops((const char *const[]){NULL});
    ck_assert_str_eq(props_get(net, "vendor"), "intel");
    ck_assert_ptr_null(props_get(net, "bus"));
    struct sk_reg_filter f;
    struct sk_reg_prop t[3];
    memset(&f, 0, sizeof f);
    ck_assert(reg_filter_match(&f, t, net) && reg_filter_match(&f, t, none)); /* empty: all */
    prop(&t[0], "class", "net");
    prop(&t[1], "vendor", "amd");
    prop(&t[2], "class", "blk");
    f.nterms = 3;
    f.nnodes = 1;
    f.nodes[0] = (struct sk_reg_node){SK_REG_F_EQUALS, 0, 0, 0};
    ck_assert_int_eq(reg_check_filter(&f, t), SK_OK);
    ck_assert(reg_filter_match(&f, t, net) && !reg_filter_match(&f, t, blk) &&
              !reg_filter_match(&f, t, none));
    /* net and amd: nobody */
    f.nnodes = 3;
    f.nodes[1] = (struct sk_reg_node){SK_REG_F_EQUALS, 1, 0, 0};
    f.nodes[2] = (struct sk_reg_node){SK_REG_F_AND, 0, 1, 0};
    ck_assert_int_eq(reg_check_filter(&f, t), SK_OK);
    ck_assert(!reg_filter_match(&f, t, net) && !reg_filter_match(&f, t, blk));
    /* net or amd: both */
    f.nodes[2].op = SK_REG_F_OR;
    ck_assert(reg_filter_match(&f, t, net) && reg_filter_match(&f, t, blk) &&
              !reg_filter_match(&f, t, none));
    /* (net or amd) and blk: blk */
    f.nnodes = 5;
    f.nodes[3] = (struct sk_reg_node){SK_REG_F_EQUALS, 2, 0, 0};
    f.nodes[4] = (struct sk_reg_node){SK_REG_F_AND, 2, 3, 0};
    ck_assert_int_eq(reg_check_filter(&f, t), SK_OK);
    ck_assert(!reg_filter_match(&f, t, net) && reg_filter_match(&f, t, blk));
    /* a deep chain of the widest shape is fine */
    memset(&f, 0, sizeof f);
    f.nterms = 1;
    f.nodes[0] = (struct sk_reg_node){SK_REG_F_EQUALS, 0, 0, 0};
    for (int i = 1; i < SK_REG_FILTER_NODES; i++)
        f.nodes[i] = (struct sk_reg_node){(uint16_t)(i % 2 ? SK_REG_F_AND : SK_REG_F_OR),
                                          (uint16_t)(i - 1), 0, 0};
    f.nnodes = SK_REG_FILTER_NODES;
    ck_assert_int_eq(reg_check_filter(&f, t), SK_OK);
    ck_assert(reg_filter_match(&f, t, net) && !reg_filter_match(&f, t, blk));
    free(net);
    free(blk);
    free(none);
}
END_TEST

START_TEST(proto_helpers)
{
    ck_assert(sk_msg_str_ok("abc", 4));
    ck_assert(!sk_msg_str_ok("abcd", 4));
    ck_assert(!sk_msg_str_ok("", 0));
    uint8_t z[16] = {0};
    ck_assert(sk_msg_zero(z, sizeof z));
    z[15] = 1;
    ck_assert(!sk_msg_zero(z, sizeof z));
    struct sk_reply_head r;
    sk_reply_error(&r, SK_REG_get, SK_ERR_NOT_FOUND);
    ck_assert_uint_eq(r.size, sizeof r);
    ck_assert_int_eq(r.status, SK_ERR_NOT_FOUND);
    ck_assert_uint_eq(SK_MSG_PROTO(SK_REG_watch), SK_PROTO_REGISTRY);
    ck_assert_uint_eq(SK_MSG_METHOD(SK_REG_watch), 7);
}
END_TEST

Suite *suite_registry(void)
{
    Suite *s = suite_create("registry");
    unit_add(s, reg_shapes);
    unit_add(s, reg_tails_and_counts);
    unit_add(s, reg_props_rules);
    unit_add(s, reg_filter_rules);
    unit_add(s, reg_truncations_and_flips);
    unit_add(s, reg_filter_eval);
    unit_add(s, proto_helpers);
    return s;
}
