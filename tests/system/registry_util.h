/*
 * Helpers shared by test-registry and test-registry-hostile: the program's
 * queue and registry lane, sleeping while the queue runs, STATS and waiting on
 * it, owners, entities, queries and raw requests.
 */
#pragma once
#include <sk/test.h>
#include <sk/registry.h>

#define MS 1000000ull

static struct sk_queue Q;
static sk_handle_t REG;

static inline uint64_t now(void)
{
    uint64_t t = 0;
    sk_clock_get(&t);
    return t;
}

/* Let the queue (and the world) run for about ms milliseconds. */
static inline void pause_ms(uint64_t ms)
{
    uint64_t end = now() + ms * MS;
    while (now() < end)
        sk_queue_wait(&Q, 5 * MS);
}

static inline struct sk_reg_stats_reply stats(void)
{
    struct sk_reg_stats_reply s = {0};
    sk_error_t e = sk_reg_stats(&Q, REG, &s);
    if (e != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "stats: %s", sk_error_name(e));
    return s;
}

/* Wait until the expression over struct sk_reg_stats_reply `st` holds (no time limit: what
   must happen and never does hangs the case, which the runner reports). */
#define WAIT_STATS(cond) \
    ({ \
        struct sk_reg_stats_reply st = stats(); \
        while (!(cond)) { \
            pause_ms(10); \
            st = stats(); \
        } \
        (cond); \
    })

static inline sk_handle_t open_owner(void)
{
    sk_handle_t o = 0;
    sk_error_t e = sk_reg_open(&Q, REG, &o);
    if (e != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "open: %s", sk_error_name(e));
    return o;
}

/* Create an entity with kv = {key, value, key, value, ..., NULL}. 0 on failure. */
static inline uint64_t make_svc(sk_handle_t owner, sk_handle_t service, const char *const *kv)
{
    struct sk_reg_prop p[SK_REG_PROPS_MAX];
    uint32_t n = 0;
    for (; kv[2 * n]; n++)
        sk_reg_prop_set(&p[n], kv[2 * n], kv[2 * n + 1]);
    uint64_t id = 0;
    sk_error_t e = sk_reg_create(&Q, owner, p, n, service, &id);
    if (e != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "create: %s", sk_error_name(e));
    return id;
}
#define MAKE(owner, ...) make_svc((owner), 0, (const char *const[]){__VA_ARGS__, NULL})

/* Every id matching m, following the continuation max at a time. */
static inline uint32_t query_all(const struct sk_reg_match *m, uint64_t *ids, uint32_t cap,
                                 uint32_t max)
{
    uint64_t cursor = 0, next;
    uint32_t total = 0;
    for (int guard = 0; guard < 1000; guard++) {
        uint64_t got[SK_REG_QUERY_IDS_MAX];
        uint32_t n = 0;
        sk_error_t e = sk_reg_query(&Q, REG, m, cursor, got, max, &n, &next, NULL);
        if (e != SK_OK) {
            sk_test_fail(__FILE__, __LINE__, "query: %s", sk_error_name(e));
            return total;
        }
        for (uint32_t i = 0; i < n && total < cap; i++)
            ids[total++] = got[i];
        if (!next)
            break;
        cursor = next;
    }
    return total;
}

static inline uint64_t current_seq(void)
{
    return stats().seq;
}

/* A filter key = value. */
static inline struct sk_reg_match eq(const char *k, const char *v)
{
    struct sk_reg_match m;
    sk_reg_match_all(&m);
    sk_reg_match_eq(&m, k, v);
    return m;
}


/* Send msg[0..size) raw on lane; returns the reply's status (or the call's error). */
static inline sk_error_t raw(sk_handle_t lane, const void *msg, uint32_t size, uint32_t flags)
{
    static uint8_t reply[SK_REG_REPLY_MAX];
    struct sk_reg_call c = {0};
    sk_error_t e = sk_reg_call_start(&Q, &c, lane, msg, size, 0, 0, flags, reply, sizeof reply,
                                     SK_REG_CALL_TIMEOUT_NS, NULL);
    if (e != SK_OK)
        return e;
    sk_reg_call_wait(&Q, &c);
    return sk_reg_reply_status(&c, ((const struct sk_msg_head *)msg)->kind, 16);
}
