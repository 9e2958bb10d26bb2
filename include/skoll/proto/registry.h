/*
 * The registry protocol (docs/registry.md): entities with string properties,
 * queries with filters, long-poll watches, and lanes to an entity's owner.
 *
 * Two kinds of lane carry it. Every process started at boot holds a *registry
 * lane* (sk_start_info.registry): OPEN, QUERY, GET, WATCH, CONNECT, STATS go
 * there. OPEN hands the registry one end of a fresh stream, the *owner lane*;
 * CREATE, UPDATE and REMOVE go on the other end, which the owner keeps. The
 * entities created through an owner lane are that owner's: the lane is the
 * capability, and when it ends (the owner closed it or exited) they are removed.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/proto/proto.h>

/* The methods, listed once: X(name, number). */
#define SK_REG_METHODS(X) \
    X(open, 1) \
    X(create, 2) \
    X(update, 3) \
    X(remove, 4) \
    X(query, 5) \
    X(get, 6) \
    X(watch, 7) \
    X(connect, 8) \
    X(stats, 9)

enum sk_reg_kind {
#define SK_REG_KIND_ENUM(name, n) SK_REG_##name = SK_MSG_KIND(SK_PROTO_REGISTRY, n),
    SK_REG_METHODS(SK_REG_KIND_ENUM)
#undef SK_REG_KIND_ENUM
};

/* ---- bounds (docs/registry.md "Limits") ---------------------------------------------- */

#define SK_REG_KEY_MAX 64          /* bytes of a key field, NUL included: keys are 1..63 chars */
#define SK_REG_VALUE_MAX 256       /* bytes of a value field, NUL included: 0..255 chars */
#define SK_REG_PROPS_MAX 32        /* properties of one entity */
#define SK_REG_FILTER_NODES 16     /* nodes of a filter */
#define SK_REG_FILTER_TERMS 16     /* equals terms of a filter */
#define SK_REG_QUERY_IDS_MAX 128   /* ids in one query reply */
#define SK_REG_WATCH_EVENTS_MAX 32 /* events in one watch reply */
#define SK_REG_WATCH_TIMEOUT_MAX_MS 60000u /* longest watch; 0 asks for the default */
#define SK_REG_WATCH_TIMEOUT_DEFAULT_MS 10000u
#define SK_REG_LOG_SIZE 256        /* changes kept for watches that look back */
/* What the server holds at most. Over a limit, a request fails with SK_ERR_LIMIT. */
#define SK_REG_OWNER_ENTITIES_MAX 64   /* entities of one owner lane */
#define SK_REG_ENTITIES_MAX 4096       /* entities in all */
#define SK_REG_OWNERS_MAX 256          /* owner lanes in all ... */
#define SK_REG_CLIENT_OWNERS_MAX 16    /* ... and opened by one sender's credentials */
#define SK_REG_WATCHES_MAX 128         /* waiting watches in all ... */
#define SK_REG_CLIENT_WATCHES_MAX 8    /* ... and of one sender's credentials (over: the oldest
                                          is answered early, empty) */
#define SK_REG_REQUESTS_MAX 128        /* requests being received or answered (over: dropped) */
#define SK_REG_REQUEST_TIMEOUT_MS 5000u /* a request stalled longer than this is dropped */

/* ---- common parts ------------------------------------------------------------------------ */

/* One property; also one equals term of a filter. Both strings NUL-terminated in their field;
   the key not empty. Bytes after the NUL are ignored. */
struct sk_reg_prop {
    char key[SK_REG_KEY_MAX];
    char value[SK_REG_VALUE_MAX];
};
_Static_assert(sizeof(struct sk_reg_prop) == 320, "sk_reg_prop layout");

/*
 * A filter: nodes[0..nnodes) in postfix order, the root is the last one;
 * nnodes = 0 matches every entity. EQUALS: a = index of a term (the entity has
 * property term.key with value term.value); AND / OR: a, b = indexes of earlier
 * nodes. Fields a node does not use, its reserved field and nodes past nnodes are 0.
 * The nterms terms follow the message's fixed part.
 */
#define SK_REG_F_EQUALS 1
#define SK_REG_F_AND 2
#define SK_REG_F_OR 3
struct sk_reg_node {
    uint16_t op;
    uint16_t a;
    uint16_t b;
    uint16_t reserved;
};
_Static_assert(sizeof(struct sk_reg_node) == 8, "sk_reg_node layout");
struct sk_reg_filter {
    uint32_t nnodes; /* 0..SK_REG_FILTER_NODES */
    uint32_t nterms; /* 0..SK_REG_FILTER_TERMS */
    struct sk_reg_node nodes[SK_REG_FILTER_NODES];
};
_Static_assert(sizeof(struct sk_reg_filter) == 136, "sk_reg_filter layout");

/* Changes, as watches report them. */
#define SK_REG_CREATED 1
#define SK_REG_UPDATED 2
#define SK_REG_REMOVED 3
struct sk_reg_event {
    uint64_t seq;    /* the change's sequence number (the first change is 1) */
    uint64_t id;     /* the entity */
    uint32_t change; /* SK_REG_CREATED / UPDATED / REMOVED */
    uint32_t reserved;
};
_Static_assert(sizeof(struct sk_reg_event) == 24, "sk_reg_event layout");

/* ---- registry lane ----------------------------------------------------------------------- */

/* OPEN; follow-up: push of the owner lane's registry end (READ | WRITE), then imbue. */
struct sk_reg_open {
    struct sk_msg_head head;
};
_Static_assert(sizeof(struct sk_reg_open) == 8, "sk_reg_open layout");

/* QUERY: ids of entities with id >= cursor that match, ascending, at most max. */
struct sk_reg_query {
    struct sk_msg_head head;
    uint64_t cursor;
    uint32_t max;      /* 1..SK_REG_QUERY_IDS_MAX */
    uint32_t reserved;
    struct sk_reg_filter filter;
    struct sk_reg_prop terms[]; /* filter.nterms */
};
_Static_assert(sizeof(struct sk_reg_query) == 160, "sk_reg_query layout");
_Static_assert(offsetof(struct sk_reg_query, filter) == 24, "sk_reg_query layout");
struct sk_reg_query_reply {
    struct sk_reply_head head;
    uint64_t seq;   /* the latest change when the query ran: WATCH from here */
    uint64_t next;  /* the cursor to continue with, 0 if no entity is left */
    uint32_t count;
    uint32_t reserved;
    uint64_t ids[]; /* count */
};
_Static_assert(sizeof(struct sk_reg_query_reply) == 40, "sk_reg_query_reply layout");

/* GET: an entity's properties. */
struct sk_reg_get {
    struct sk_msg_head head;
    uint64_t id;
};
_Static_assert(sizeof(struct sk_reg_get) == 16, "sk_reg_get layout");
#define SK_REG_ENTITY_SERVICE 1u /* sk_reg_get_reply.flags: the owner gave a service lane */
struct sk_reg_get_reply {
    struct sk_reply_head head;
    uint64_t id;
    uint32_t flags;
    uint32_t nprops;
    struct sk_reg_prop props[]; /* nprops */
};
_Static_assert(sizeof(struct sk_reg_get_reply) == 32, "sk_reg_get_reply layout");

/* WATCH: the changes after sequence number `after` that match; waits for one if there is none.
   Follow-up: imbue. */
struct sk_reg_watch {
    struct sk_msg_head head;
    uint64_t after;
    uint32_t timeout_ms; /* 0: SK_REG_WATCH_TIMEOUT_DEFAULT_MS; at most ..._MAX_MS */
    uint32_t max;        /* events wanted, 1..SK_REG_WATCH_EVENTS_MAX */
    struct sk_reg_filter filter;
    struct sk_reg_prop terms[]; /* filter.nterms */
};
_Static_assert(sizeof(struct sk_reg_watch) == 160, "sk_reg_watch layout");
_Static_assert(offsetof(struct sk_reg_watch, filter) == 24, "sk_reg_watch layout");
struct sk_reg_watch_reply {
    struct sk_reply_head head;
    uint64_t seq;   /* pass as `after` next time */
    uint32_t count; /* 0: the watch timed out or was answered early */
    uint32_t reserved;
    struct sk_reg_event events[]; /* count */
};
_Static_assert(sizeof(struct sk_reg_watch_reply) == 32, "sk_reg_watch_reply layout");

/* CONNECT: a lane to the entity's owner. Follow-up after the reply: push of the service lane
   (WRITE | TRANSFER | DUPLICATE) if status is SK_OK, else dismiss. */
struct sk_reg_connect {
    struct sk_msg_head head;
    uint64_t id;
};
_Static_assert(sizeof(struct sk_reg_connect) == 16, "sk_reg_connect layout");

/* STATS: the server's counters. */
struct sk_reg_stats {
    struct sk_msg_head head;
};
struct sk_reg_stats_reply {
    struct sk_reply_head head;
    uint64_t seq;          /* the latest change */
    uint64_t next_id;      /* the id the next entity gets */
    uint32_t entities;
    uint32_t owners;
    uint32_t watches;      /* waiting */
    uint32_t requests;     /* being received or answered, this one included */
    uint64_t served;       /* requests answered */
    uint64_t rejected;     /* requests refused as malformed or unknown */
    uint64_t dropped;      /* conversations dropped: hung up, stalled, over the limit */
};
_Static_assert(sizeof(struct sk_reg_stats_reply) == 72, "sk_reg_stats_reply layout");

/* The reply of OPEN, CONNECT (before the push) and of every error. */
typedef struct sk_reply_head sk_reg_plain_reply;

/* ---- owner lane -------------------------------------------------------------------------- */

/* CREATE: a new entity owned by this lane. With SK_REG_CREATE_SERVICE a push of the service
   lane (WRITE | TRANSFER | DUPLICATE) follows: CONNECT hands copies of it out. */
#define SK_REG_CREATE_SERVICE 1u
struct sk_reg_create {
    struct sk_msg_head head;
    uint32_t flags;
    uint32_t nprops; /* 0..SK_REG_PROPS_MAX */
    struct sk_reg_prop props[];
};
_Static_assert(sizeof(struct sk_reg_create) == 16, "sk_reg_create layout");
_Static_assert(offsetof(struct sk_reg_create, nprops) == 12, "sk_reg_create layout");
struct sk_reg_create_reply {
    struct sk_reply_head head;
    uint64_t id;
    uint64_t seq;
};
_Static_assert(sizeof(struct sk_reg_create_reply) == 32, "sk_reg_create_reply layout");

/* UPDATE: set properties (keys not given keep their values), or with SK_REG_UPDATE_REPLACE
   replace them all. */
#define SK_REG_UPDATE_REPLACE 1u
struct sk_reg_update {
    struct sk_msg_head head;
    uint64_t id;
    uint32_t flags;
    uint32_t nprops;
    struct sk_reg_prop props[];
};
_Static_assert(sizeof(struct sk_reg_update) == 24, "sk_reg_update layout");
_Static_assert(offsetof(struct sk_reg_update, nprops) == 20, "sk_reg_update layout");

/* REMOVE */
struct sk_reg_remove {
    struct sk_msg_head head;
    uint64_t id;
};
_Static_assert(sizeof(struct sk_reg_remove) == 16, "sk_reg_remove layout");

/* The reply of UPDATE and REMOVE. */
struct sk_reg_change_reply {
    struct sk_reply_head head;
    uint64_t seq;
};
_Static_assert(sizeof(struct sk_reg_change_reply) == 24, "sk_reg_change_reply layout");

/* Largest messages. */
#define SK_REG_REQUEST_MAX \
    (sizeof(struct sk_reg_update) + SK_REG_PROPS_MAX * sizeof(struct sk_reg_prop))
#define SK_REG_REPLY_MAX \
    (sizeof(struct sk_reg_get_reply) + SK_REG_PROPS_MAX * sizeof(struct sk_reg_prop))
_Static_assert(SK_REG_REQUEST_MAX <= SK_MSG_MAX && SK_REG_REPLY_MAX <= SK_MSG_MAX, "bounds");
_Static_assert(sizeof(struct sk_reg_query) + SK_REG_FILTER_TERMS * sizeof(struct sk_reg_prop) <=
                   SK_REG_REQUEST_MAX, "bounds");
