/*
 * The registry's client side (docs/registry.md): building requests, the calls
 * with their follow-up actions, and checking replies.
 *
 * sk_reg_call_start is the asynchronous form of every request; the other
 * functions are synchronous-style: they submit on the caller's queue and turn
 * it (sk_queue_wait) until the call is back, so other callbacks of that queue
 * may run meanwhile. They must not be called from a callback (no nested poll).
 * Each gives up after SK_REG_CALL_TIMEOUT_NS (a watch: after its own time plus
 * that) with SK_ERR_CANCELLED.
 *
 * Owner lanes: sk_reg_open returns one; entities created through it live until
 * sk_reg_remove or until the lane is closed (or its process ends).
 */
#pragma once
#include <sk/queue.h>
#include <sk/ipc.h>
#include <skoll/proto/registry.h>

#define SK_REG_CALL_TIMEOUT_NS (10ull * 1000000000)

/* ---- properties and filters ------------------------------------------------------------- */

/* Fill p with key (1..63 bytes) and value (0..255 bytes); the rest of the fields zeroed.
   SK_ERR_INVALID for an empty key, SK_ERR_TOO_BIG for a long one. */
sk_error_t sk_reg_prop_set(struct sk_reg_prop *p, const char *key, const char *value);
/* The value of key among props[0..n), or NULL. */
const char *sk_reg_prop_find(const struct sk_reg_prop *props, uint32_t n, const char *key);

/*
 * A filter being built. Nodes are added operands first; the last node added is
 * the root. Each builder returns the new node's index, or -1 when the filter is
 * full or an operand is -1 (then use of the filter fails with SK_ERR_INVALID).
 * A zeroed sk_reg_match (sk_reg_match_all) matches everything.
 */
struct sk_reg_match {
    struct sk_reg_filter filter;
    struct sk_reg_prop terms[SK_REG_FILTER_TERMS];
    int broken;
};
void sk_reg_match_all(struct sk_reg_match *m);
int sk_reg_match_eq(struct sk_reg_match *m, const char *key, const char *value);
int sk_reg_match_and(struct sk_reg_match *m, int a, int b);
int sk_reg_match_or(struct sk_reg_match *m, int a, int b);

/* ---- a call -------------------------------------------------------------------------------- */

#define SK_REG_CALL_IMBUE 1u /* imbue the calling thread's credentials after the pieces, push */
#define SK_REG_CALL_PULL 2u  /* pull a lane after the reply (CONNECT) */

struct sk_reg_call;
typedef void (*sk_reg_call_fn)(struct sk_reg_call *c);
struct sk_reg_call {
    struct sk_op op, timer, cancel, cancel_timer;
    struct sk_action acts[8];
    unsigned n, irecv, ipull;
    void *reply;
    uint32_t reply_max;
    uint32_t reply_len;   /* bytes received */
    sk_error_t error;     /* SK_OK: the reply arrived; else why not (the first failing action's
                             error, SK_ERR_CANCELLED after the timeout or sk_reg_call_cancel) */
    sk_handle_t pulled;   /* SK_REG_CALL_PULL: the lane pulled, or 0 (now the caller's) */
    int done, timed;
    sk_reg_call_fn fn;    /* may be NULL */
};

/*
 * Send the request msg[0..size) on lane (registry or owner lane): its first
 * min(size, SK_MSG_FIRST_MAX) bytes, then the rest; then push `push` keeping
 * push_rights (if not 0); then imbue (flag); receive the reply into
 * reply[0..reply_max); then pull a lane (flag). msg, reply and c must stay put
 * until the call is finished (sk_reg_call_finished). fn runs when the call is
 * back (the timer may still be on its way out).
 */
sk_error_t sk_reg_call_start(struct sk_queue *q, struct sk_reg_call *c, sk_handle_t lane,
                             const void *msg, uint32_t size, sk_handle_t push, uint32_t push_rights,
                             uint32_t flags, void *reply, uint32_t reply_max, uint64_t timeout_ns,
                             sk_reg_call_fn fn);
/* 1 once the call and its timer are both back: c may be reused or freed. */
int sk_reg_call_finished(const struct sk_reg_call *c);
/* Turn q until c is finished; returns c->error (or the queue's error). */
sk_error_t sk_reg_call_wait(struct sk_queue *q, struct sk_reg_call *c);
/* Give up on a call that is not back yet: it completes with SK_ERR_CANCELLED. */
void sk_reg_call_cancel(struct sk_queue *q, struct sk_reg_call *c);
/*
 * The outcome of a finished call whose request had kind: c->error, else the
 * reply's status after checking its head (kind, size = bytes received, at least
 * min_size when the status is SK_OK; else SK_ERR_INVALID).
 */
sk_error_t sk_reg_reply_status(const struct sk_reg_call *c, uint32_t kind, uint32_t min_size);

/* ---- synchronous-style requests ----------------------------------------------------------- */

struct sk_reg_stats_reply;
/* OPEN: a new owner lane in *owner. */
sk_error_t sk_reg_open(struct sk_queue *q, sk_handle_t reg, sk_handle_t *owner);
/* CREATE through owner: *id is the new entity. service (0: none) is pushed for CONNECT. */
sk_error_t sk_reg_create(struct sk_queue *q, sk_handle_t owner, const struct sk_reg_prop *props,
                         uint32_t n, sk_handle_t service, uint64_t *id);
/* UPDATE (flags: SK_REG_UPDATE_REPLACE) and REMOVE through the owner lane. */
sk_error_t sk_reg_update(struct sk_queue *q, sk_handle_t owner, uint64_t id, uint32_t flags,
                         const struct sk_reg_prop *props, uint32_t n);
sk_error_t sk_reg_remove(struct sk_queue *q, sk_handle_t owner, uint64_t id);
/* QUERY: ids (at most max <= SK_REG_QUERY_IDS_MAX) of entities with id >= cursor matching m
   (NULL: all); *next the cursor to continue from (0: done); *seq (may be NULL) the latest
   change. */
sk_error_t sk_reg_query(struct sk_queue *q, sk_handle_t reg, const struct sk_reg_match *m,
                        uint64_t cursor, uint64_t *ids, uint32_t max, uint32_t *count,
                        uint64_t *next, uint64_t *seq);
/* GET: up to max properties into props; *n the entity's count (may exceed max); *flags (may be
   NULL) SK_REG_ENTITY_*. */
sk_error_t sk_reg_get(struct sk_queue *q, sk_handle_t reg, uint64_t id, struct sk_reg_prop *props,
                      uint32_t max, uint32_t *n, uint32_t *flags);
/* WATCH: the changes after `after` matching m (NULL: all), waiting up to timeout_ms for one;
   *seq is the `after` of the next watch. */
sk_error_t sk_reg_watch(struct sk_queue *q, sk_handle_t reg, uint64_t after,
                        const struct sk_reg_match *m, uint32_t timeout_ms,
                        struct sk_reg_event *events, uint32_t max, uint32_t *count, uint64_t *seq);
/* CONNECT: a lane to the entity's owner in *lane. */
sk_error_t sk_reg_connect(struct sk_queue *q, sk_handle_t reg, uint64_t id, sk_handle_t *lane);
/* STATS */
sk_error_t sk_reg_stats(struct sk_queue *q, sk_handle_t reg, struct sk_reg_stats_reply *out);

/* ---- an asynchronous watch ------------------------------------------------------------------ */

struct sk_reg_watcher {
    struct sk_reg_call call;
    union {
        struct sk_reg_watch m;
        uint8_t bytes[sizeof(struct sk_reg_watch) +
                      SK_REG_FILTER_TERMS * sizeof(struct sk_reg_prop)];
    } msg;
    union {
        struct sk_reg_watch_reply r;
        uint8_t bytes[sizeof(struct sk_reg_watch_reply) +
                      SK_REG_WATCH_EVENTS_MAX * sizeof(struct sk_reg_event)];
    } reply;
};
/* Start a WATCH (as sk_reg_watch, up to SK_REG_WATCH_EVENTS_MAX events); fn runs when it is
   back. */
sk_error_t sk_reg_watch_start(struct sk_queue *q, struct sk_reg_watcher *w, sk_handle_t reg,
                              uint64_t after, const struct sk_reg_match *m, uint32_t timeout_ms,
                              sk_reg_call_fn fn);
/* The events of a watch that is back (checked); *events points into w. */
sk_error_t sk_reg_watch_result(const struct sk_reg_watcher *w, const struct sk_reg_event **events,
                               uint32_t *count, uint64_t *seq);
