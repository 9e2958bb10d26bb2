/*
 * IPC's internals, shared by its three files and nothing else (docs/ipc.md,
 * "Inside the kernel"): kernel/core/ipc.c owns chains (submission, completion,
 * cancellation, release), ipc_post.c posting and matching (pairs performed in
 * place, the direct path, the end of a lane), ipc_ring.c receive rings.
 *
 * Action states: NEW (not posted), PENDING (on a stream's FIFO), TAKEN (off
 * it, owned by whoever completes it), DONE. PENDING -> TAKEN happens only
 * under the stream's lock, by a matcher, a canceller, or the end of a lane.
 * Lock order: a stream lock is a leaf, except that kobj_get is called under
 * it; kobj_put, copies and completions happen with no lock held.
 */
#pragma once
#include <k/ipc.h>
#include <k/async.h>
#include <base/string.h>

struct memobj;

enum { ACT_NEW, ACT_PENDING, ACT_TAKEN, ACT_DONE };
/* How ipc_post_list took an action: matched into a pair, taken by a ring as a record, or a ring
   whose posting ended. */
enum { FATE_PAIR, FATE_FED, FATE_END };

struct ipc_chain;

struct ipc_action {
    struct ipc_chain *chain;
    struct ipc_action *next, *prev; /* the stream's FIFO while PENDING */
    struct stream *volatile stream; /* where it was posted (the chain holds a memory ref) */
    union {
        struct sk_action ua;        /* as submitted (copied whole) ... */
        struct {                    /* ... and its fields; send_sg: len becomes the total */
            uint16_t type, flags;
            uint32_t rights;
            uint64_t buf, len;
            sk_handle_t handle;
        };
    };
    int16_t child, sibling;         /* nested list / next of this list; -1 none */
    uint16_t result_off;            /* its record in the results (the op's data) */
    uint8_t state, side, holds_lane;
    uint8_t niov;
    uint8_t staged;                 /* a send's bytes were copied at submission: stage */
    uint8_t fate;                   /* how ipc_post_list took it (FATE_*) */
    int16_t ring_err;               /* FATE_FED, FATE_END: its result */
    union {
        uint8_t *stage;             /* a small send's bytes */
        struct sk_iovec *iov;       /* a large send's buffers */
    };
    union {
        struct {
            struct kobject *obj;    /* push: the object (a reference until the chain ends;
                                       for a universe that keeps its memory, not its life:
                                       docs/processes.md); recv_ring: the ring's memory
                                       object (a reference) */
            union {
                struct {
                    uint32_t obj_rights;
                };
                struct {            /* recv_ring (stage: the data area, len: its size) */
                    uint32_t ring_head;  /* the next record's offset (ours, not the user's) */
                    uint32_t ring_count; /* records written in this posting */
                };
            };
        };
        uint8_t creds[SK_CREDENTIALS_SIZE]; /* imbue */
    };
};

struct ipc_chain {
    struct async_op *op;
    volatile uint32_t remaining;    /* actions not DONE */
    volatile int cancelled;
    uint16_t n, results_len;
    uint16_t first_failed;          /* index of the first action that failed (n: none yet) */
    uint8_t in_op : 1;              /* lives in the op's provider area (else kmalloc'd) */
    uint8_t holds_objs : 1;         /* has push or recv_ring actions (whose objects it may hold) */
    uint8_t flat : 1;               /* one list, no nested ones */
    uint8_t blocks;                 /* kmalloc'd: its size in 64-byte units (for kfree_sized) */
    struct universe *universe;      /* a weak reference when handles may be inserted (a strong
                                       one would keep the process's handles, and so maybe
                                       the lanes this chain waits on, alive) */
    struct vm_space *space;         /* a reference when user buffers are used */
    struct ipc_action acts[];       /* then the iovec arrays and staged bytes */
};

/* A call (offer, send of up to 16 bytes, recv_inline) needs no heap object but its op. */
_Static_assert(sizeof(struct ipc_chain) + 3 * sizeof(struct ipc_action) + 16 <=
                   ASYNC_PROVIDER_BYTES, "the canonical call fits in the op");

/* The result records are written where the CQE's inline data waits: the op's data. */
static uint8_t *results(struct ipc_chain *c)
{
    return c->op->data;
}

/* Whether an action of type t sends (needs WRITE on its lane; the other side of a pair). */
static inline int ipc_is_sender(unsigned t)
{
    return ((1u << SK_ACT_offer | 1u << SK_ACT_send | 1u << SK_ACT_send_sg | 1u << SK_ACT_push |
             1u << SK_ACT_imbue) >> t) & 1;
}

static inline void record(struct ipc_chain *c, struct ipc_action *a, sk_error_t err,
                          uint32_t length)
{
    struct sk_ipc_result r = {.error = err, .length = length};
    memcpy(results(c) + a->result_off, &r, sizeof r);
}

/* The chain's last action is done: post the CQE and let go of what it held (ipc.c). */
void ipc_chain_finish(struct ipc_chain *c);
/* Every action of the list from `first` (and their nested lists) fails with err, unposted. */
void ipc_fail_list(struct ipc_chain *c, int first, sk_error_t err);

/*
 * Action a is complete with err (and length bytes received), except for its
 * chain's count of actions not done, which the caller lowers (chain_sub): a
 * poster that completes many actions of one chain lowers it once. A failed
 * offer or accept takes its nested list down with it. Drops a's hold on its
 * lane. No locks held.
 */
static inline __attribute__((always_inline)) void act_settle(struct ipc_action *a, sk_error_t err,
                                                             uint32_t length)
{
    struct ipc_chain *c = a->chain;
    a->state = ACT_DONE;
    if (err != SK_OK || length) /* (a record is all zero until written: SK_OK, 0 bytes) */
        record(c, a, err, length);
    if (err != SK_OK) {
        /* the completion's error is the first failed action's, in array order */
        uint16_t i = (uint16_t)(a - c->acts), cur = __atomic_load_n(&c->first_failed,
                                                                    __ATOMIC_RELAXED);
        while (i < cur && !__atomic_compare_exchange_n(&c->first_failed, &cur, i, 0,
                                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        if (a->child >= 0)
            ipc_fail_list(c, a->child, err);
    }
    if (a->holds_lane) {
        a->holds_lane = 0;
        kobj_put(&a->stream->lanes[a->side].obj);
    }
}

/* k more actions of c are done (settled); the last one finishes the chain, which may free c. */
static inline __attribute__((always_inline)) void chain_sub(struct ipc_chain *c, uint32_t k)
{
    if (__atomic_sub_fetch(&c->remaining, k, __ATOMIC_ACQ_REL) == 0)
        ipc_chain_finish(c);
}

static inline __attribute__((always_inline)) void act_done(struct ipc_action *a, sk_error_t err,
                                                           uint32_t length)
{
    act_settle(a, err, length);
    chain_sub(a->chain, 1);
}

/* The payload slot after a's result record (received bytes, a handle, credentials). */
static inline uint8_t *payload(struct ipc_action *a)
{
    return results(a->chain) + a->result_off + sizeof(struct sk_ipc_result);
}

static inline void put_handle(struct ipc_action *a, sk_handle_t h)
{
    memcpy(payload(a), &h, sizeof h);
}

/* ---- posting (ipc_post.c) ---------------------------------------------------------- */

/* Post c's list from `first` to side `side` of s: each action is matched or waits. The
   caller keeps the lane alive for the call. No locks held. */
void ipc_post_list(struct stream *s, int side, struct ipc_chain *c, int first);
/* The direct path for a flat list of small sends and receives (see ipc_post.c): 1 with *err
   the submission's result if it was done, 0 with nothing changed. The caller holds the lane. */
int ipc_post_direct(struct async_op *op, struct stream *s, int side, const struct sk_action *ua,
                    unsigned n, const uint16_t *roff, uint32_t rec_bytes, uint32_t ring_bytes,
                    sk_error_t *err);
/* The waiting actions before b (n of them, just matched) leave s's FIFO. Lock held. */
void ipc_cut_head(struct stream *s, struct ipc_action *b, uint32_t n);

/* ---- receive rings (ipc_ring.c) ---------------------------------------------------- */

/* What happened when a partner met a ring (ipc_ring_take). */
enum { RING_TAKEN, RING_FULL, RING_BAD, RING_FAIL };

/* The ring of recv_ring action r (its memory object m): checked and as it is now. */
sk_error_t ipc_ring_open(struct ipc_action *r, struct memobj *m);
/* Partner x meets ring r (lock held): RING_* and x's result in *err. */
int ipc_ring_take(struct ipc_action *r, struct ipc_action *x, sk_error_t *err);
/* Publish r's records; 1 if its posting ends now (it wrote, and the user asked). Lock held. */
int ipc_ring_publish(struct ipc_action *r);
/* n small sends (their bytes at stage[], `bytes` their records) into ring r if all fit. */
int ipc_ring_direct(struct ipc_action *r, const struct sk_action *ua, unsigned n,
                    const uint8_t *const *stage, uint32_t bytes);
/* n sends of op went into ring r at the head of s (lock held, flags f): publish, unlock,
   complete op. */
void ipc_ring_done(struct async_op *op, struct stream *s, int side, struct ipc_action *r,
                   unsigned n, uint32_t rec_bytes, uint64_t f);
/* n small sends straight from the sender's memory into the ring at the head of s; 1 if done
   (op completed), 0 with nothing changed. The caller holds the lane. */
int ipc_ring_from_user(struct async_op *op, struct stream *s, int side,
                       const struct sk_action *ua, unsigned n, uint32_t rec_bytes,
                       uint32_t bytes);

