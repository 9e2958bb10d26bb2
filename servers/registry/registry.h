/*
 * The registry server's internals (docs/registry.md). One thread, one queue:
 * every callback runs from the loop in main.c, so nothing here takes a lock.
 *
 *   main.c     start-up, the registry lane's accept loop, the loop, the timer heap
 *   conn.c     requests: receiving both pieces and the follow-ups, replies, error replies,
 *              drops; owner lanes and their accept
 *   store.c    entities, property sets, owners' entity lists, the change log
 *   handle.c   what each request does (validate, act, reply)
 *   watch.c    waiting watches: collecting events, answering, early answers and timeouts
 *   check.c    pure: request validation and filter evaluation (check.h)
 */
#pragma once
#include <sk/sk.h>
#include <sk/ipc.h>
#include <sk/req.h>
#include "check.h"

/* Every deadline of the registry (requests', watches'), behind one kernel timer. */
extern struct sk_timers reg_timers;

/* ---- owners (conn.c) ------------------------------------------------------------------ */

/* An owner lane: the registry's end of it, served by one accept. */
struct owner {
    sk_handle_t lane;
    uint8_t creds[SK_CREDENTIALS_SIZE]; /* who opened it */
    uint32_t refs;                      /* the owner list, and each request that came on it */
    int dead;                           /* its lane ended: its entities are gone */
    uint32_t nentities;
    struct entity *entities;            /* its entities (store.c) */
    struct owner *next, *prev;
    struct sk_req accept;               /* the accept, posted again after each request */
    struct sk_action acts[2];
};

/* ---- requests (conn.c) ------------------------------------------------------------------ */

/*
 * Where a request is; its fail function (conn.c) goes by it: while receiving, a
 * malformed message (reject) gets its error reply and anything else (a hang-up,
 * a stall past the deadline, no memory for the message) drops the conversation;
 * while at work, an error is the reply; a reply that fails drops it.
 */
enum req_stage {
    REQ_RECV,      /* the second piece, then the follow-ups (pulls / extract) */
    REQ_WORK,      /* handle.c acting on it */
    REQ_PARKED,    /* a watch waiting for a change (watch.c) */
    REQ_REPLY,     /* the reply being sent */
    REQ_DONE,      /* ended; freed once no operation of it is in flight */
};

/* One conversation: a lib/sk request (sk/req.h) whose steps are the stages above. */
struct req {
    struct sk_req sr;
    struct sk_action acts[3];
    enum req_stage stage;
    int rejected;              /* reject() refused it as malformed */
    sk_handle_t conv;          /* the conversation's lane */
    struct owner *via;         /* the owner lane it came on, or NULL: the registry lane */
    uint32_t kind, size, follow;
    uint8_t *msg;              /* size bytes */
    uint8_t *reply;            /* the reply being sent */
    sk_handle_t pulled;        /* a pushed lane, until handed to an owner or entity */
    sk_handle_t push;          /* CONNECT: the service lane pushed after the reply */
    uint8_t creds[SK_CREDENTIALS_SIZE];
    struct req *next, *prev;   /* the parked list (watch.c), or the graveyard (conn.c) */
    uint64_t after;            /* a watch: changes after this are wanted */
    struct sk_reply_head small; /* error replies need no allocation */
};
#define REQ_OF(s) SK_OP_CONTAINER(s, struct req, sr)

/* Counters STATS reports. */
struct reg_stats {
    uint32_t requests, watches, owners;
    uint64_t served, rejected, dropped;
};
extern struct reg_stats reg_stats;

/* A request's first piece arrived on conv (ours to close) through via (NULL: the registry lane). */
void conn_request(struct owner *via, sk_handle_t conv, const void *first, uint32_t len);
/* Send reply[0..len) (a heap block the request now owns, or r->small), then end the request. */
void conn_reply(struct req *r, void *reply, uint32_t len);
/* Reply with a plain head: an error, or SK_OK for requests whose reply is only that. */
void conn_status(struct req *r, sk_error_t status);
/* Count r as malformed; returns status, for its step to return (the fail function replies). */
sk_error_t reject(struct req *r, sk_error_t status);
/* Free the ended requests whose last operation (a deadline's cancel) is back (main.c's loop). */
void conn_sweep(void);
/* Serve a freshly pulled owner lane; NULL when out of memory (the lane is closed). */
struct owner *owner_start(sk_handle_t lane, const uint8_t creds[SK_CREDENTIALS_SIZE]);
uint32_t owners_with(const uint8_t creds[SK_CREDENTIALS_SIZE]);
/* clock_get nanoseconds (main.c). */
uint64_t reg_now(void);
/* The deadline of a request starting now: to send its pieces and follow-ups and take its reply. */
static inline uint64_t reg_request_deadline(void)
{
    return reg_now() + SK_REG_REQUEST_TIMEOUT_MS * 1000000ull;
}
/* Conversations the registry lane's accept loop dropped (a first piece that did not fit). */
uint64_t reg_accept_failures(void);

/* ---- store (store.c) ---------------------------------------------------------------------- */

struct entity {
    uint64_t id;
    struct owner *owner;
    struct props *props;
    sk_handle_t service;       /* lane CONNECT hands copies of, or 0 */
    struct entity *next, *prev; /* all entities, by id */
    struct entity *hnext;       /* hash chain */
    struct entity *onext;       /* the owner's list */
};

struct change {
    uint64_t seq, id;
    uint32_t kind;             /* SK_REG_CREATED / UPDATED / REMOVED */
    struct props *props;       /* after the change (removed: the last ones) */
    struct props *old;         /* UPDATED: before it */
};

extern struct entity *store_first;
extern uint32_t store_count;
extern uint64_t store_seq, store_next_id;

struct props *props_from_msg(const struct sk_reg_prop *p, uint32_t n);
/* base with props[0..n) set (or replaced entirely); NULL if out of memory or over the count
   (*err says which). */
struct props *props_update(const struct props *base, const struct sk_reg_prop *p, uint32_t n,
                           int replace, sk_error_t *err);
void props_put(struct props *p);

struct entity *store_find(uint64_t id);
/* Create an entity with props (the reference passes to it); logs CREATED. */
struct entity *store_create(struct owner *o, struct props *props, sk_handle_t service);
/* Give e new props (the reference passes to it); logs UPDATED. */
void store_update(struct entity *e, struct props *props);
/* Remove e (closes its service lane); logs REMOVED. */
void store_remove(struct entity *e);
/* The change with sequence number seq, or NULL if it has left the log. */
const struct change *store_change(uint64_t seq);
/* The oldest seq the log still holds (store_seq + 1 when empty). */
uint64_t store_oldest(void);

/* ---- requests' work (handle.c) and watches (watch.c) ------------------------------------- */

/*
 * A request with all its bytes and follow-ups in: validate it and act. Returns
 * SK_OK when its reply is under way (or it is a parked watch), or the error to
 * answer it with.
 */
sk_error_t handle_request(struct req *r);

/* A checked WATCH: answer at once if changes are there, else park it. Returns as handle_request. */
sk_error_t watch_start(struct req *r);
/* Changes were logged: answer the parked watches they match. */
void watch_notify(void);
