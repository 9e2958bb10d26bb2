/*
 * IPC in the runtime (docs/ipc.md, docs/runtime.md): building action lists,
 * reading result records, and the three shapes most code needs - a server's
 * accept loop, a client's request/reply call with an optional timeout, and a
 * server's reply. All of them are dispatcher ops (sk/queue.h): callbacks run
 * from sk_queue_poll on the queue's thread.
 *
 * An action list (and every buffer it names) must stay untouched until the op
 * completes: the kernel reads the list when it consumes the SQ entry, and the
 * result records are found through it.
 */
#pragma once
#include <sk/queue.h>
#include <sk/req.h>
#include <skoll/ipc.h>

/* Action builders. */
static inline struct sk_action sk_act(uint16_t type, uint16_t flags, const void *buf, uint64_t len)
{
    return (struct sk_action){.type = type, .flags = flags, .buf = (uint64_t)buf, .len = len};
}
#define SK_ACT_OFFER(flags) sk_act(SK_ACT_offer, (flags), NULL, 0)
#define SK_ACT_ACCEPT(flags) sk_act(SK_ACT_accept, (flags), NULL, 0)
#define SK_ACT_SEND(flags, buf, len) sk_act(SK_ACT_send, (flags), (buf), (len))
#define SK_ACT_SEND_SG(flags, iov, n) sk_act(SK_ACT_send_sg, (flags), (iov), (n))
#define SK_ACT_RECV(flags, buf, len) sk_act(SK_ACT_recv, (flags), (buf), (len))
#define SK_ACT_RECV_INLINE(flags, max) sk_act(SK_ACT_recv_inline, (flags), NULL, (max))
#define SK_ACT_EXTRACT(flags) sk_act(SK_ACT_extract, (flags), NULL, 0)
#define SK_ACT_DISMISS(flags) sk_act(SK_ACT_dismiss, (flags), NULL, 0)
static inline struct sk_action sk_act_push(uint16_t flags, sk_handle_t h, uint32_t keep_rights)
{
    return (struct sk_action){.type = SK_ACT_push, .flags = flags, .rights = keep_rights, .handle = h};
}
static inline struct sk_action sk_act_pull(uint16_t flags, uint32_t need_rights)
{
    return (struct sk_action){.type = SK_ACT_pull, .flags = flags, .rights = need_rights};
}
static inline struct sk_action sk_act_imbue(uint16_t flags, sk_handle_t from)
{
    return (struct sk_action){.type = SK_ACT_imbue, .flags = flags, .handle = from};
}

/* ---- receive rings (docs/ipc.md "Receive rings") ------------------------------------- */

/* A receive ring mapped in this process, and the memory object recv_ring actions name. */
struct sk_ring {
    struct sk_ipc_ring *hdr;
    uint8_t *data;
    uint32_t size;  /* bytes of the data area */
    uint32_t tail;  /* our copy of hdr->tail */
    sk_handle_t mem;
    uint64_t bytes; /* the object's size */
};
/* A ring of `bytes` (a page multiple, SK_IPC_RING_MIN..SK_IPC_RING_MAX), empty, mapped. */
sk_error_t sk_ring_create(struct sk_ring *r, uint64_t bytes);
/* Unmap it and close the handle (a standing action keeps the memory until it ends). */
void sk_ring_destroy(struct sk_ring *r);
static inline struct sk_action sk_act_recv_ring(uint16_t flags, const struct sk_ring *r)
{
    return (struct sk_action){.type = SK_ACT_recv_ring, .flags = flags, .handle = r->mem};
}
/* The next unread record (wrap markers skipped), or NULL when the ring is empty. Its bytes
   follow it (sk_ipc_payload); it stays valid until sk_ring_consume. */
static inline const struct sk_ipc_result *sk_ring_next(struct sk_ring *r)
{
    uint32_t head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
    while (r->tail != head) {
        const struct sk_ipc_result *rec = (const struct sk_ipc_result *)(r->data + r->tail);
        if (rec->length != SK_IPC_RING_WRAP)
            return rec;
        r->tail = 0;
        __atomic_store_n(&r->hdr->tail, 0, __ATOMIC_RELEASE);
    }
    return (const struct sk_ipc_result *)0;
}
/* The record sk_ring_next returned is read: its space goes back to the kernel. */
static inline void sk_ring_consume(struct sk_ring *r, const struct sk_ipc_result *rec)
{
    uint32_t t = (uint32_t)((const uint8_t *)rec - r->data) + sk_ipc_ring_record_size(rec->length);
    r->tail = t == r->size ? 0 : t;
    __atomic_store_n(&r->hdr->tail, r->tail, __ATOMIC_RELEASE);
}
/*
 * Before sleeping on an empty ring: ask the standing action to end (complete) at its
 * next record. Returns 1 if the ring is still empty (the action's completion will
 * come when a record does), 0 if records arrived meanwhile (read them; the action
 * may have ended already). sk_ring_disarm takes the request back (before posting
 * the action again, so that it stands while records are read).
 */
int sk_ring_arm(struct sk_ring *r);
static inline void sk_ring_disarm(struct sk_ring *r)
{
    r->hdr->notify = 0;
}

/*
 * The result record of action i of the n actions acts in an ipc completion, or
 * NULL if the completion does not hold it (a submission refused as a whole, or
 * garbage). The payload (bytes, handle, credentials) follows the record.
 */
const struct sk_ipc_result *sk_ipc_result(const struct sk_cqe *cqe, const struct sk_action *acts,
                                          unsigned n, unsigned i);
/*
 * Every record at once: out[i] = sk_ipc_result(cqe, acts, n, i) for i < n, in one pass.
 * Returns how many are non-NULL (n, or 0 when the completion holds none).
 */
unsigned sk_ipc_results(const struct sk_cqe *cqe, const struct sk_action *acts, unsigned n,
                        const struct sk_ipc_result **out);
static inline const void *sk_ipc_payload(const struct sk_ipc_result *r)
{
    return r + 1;
}
/* The handle in a pull / WANT_LANE record (0 if r is NULL or failed). */
sk_handle_t sk_ipc_handle(const struct sk_ipc_result *r);

/* Submit an ipc op: post acts[0..n) to lane. */
sk_error_t sk_op_ipc(struct sk_queue *q, struct sk_op *op, sk_handle_t lane,
                     const struct sk_action *acts, unsigned n, sk_op_fn done);
/* The same as the next step of request r (sk/req.h): step runs at its completion. */
sk_error_t sk_req_ipc(struct sk_req *r, sk_handle_t lane, const struct sk_action *acts,
                      unsigned n, sk_req_fn step);

/* ---- a server's accept loop ------------------------------------------------------- */

struct sk_ipc_server;
/*
 * A request arrived: lane is the conversation's own lane (the caller owns the
 * handle and must close it, usually through sk_ipc_reply), req/len its head
 * (at most the server's head_max bytes, received inline).
 */
typedef void (*sk_ipc_request_fn)(struct sk_ipc_server *s, sk_handle_t lane, const void *req,
                                  uint32_t len);
struct sk_ipc_accept {
    struct sk_op op, cancel;
    struct sk_action acts[2];
    struct sk_ipc_server *server;
    uint64_t posted;             /* the server's sweep count when it was posted */
    int swept;                   /* cancelled by the sweep: post it again */
};
#define SK_IPC_SERVER_MAX_ACCEPTS 64
#define SK_IPC_SERVER_FIRST_ACCEPTS 4 /* posted at the start; more as requests queue up */
#define SK_IPC_SERVER_STALL_NS 1000000000ull /* an accept in flight this long is re-posted */
struct sk_ipc_server {
    struct sk_queue *q;
    sk_handle_t lane;
    uint32_t head_max;
    sk_ipc_request_fn fn;
    int stopping;
    sk_error_t error;            /* why the loop ended (SK_OK while it runs) */
    unsigned naccepts, live;     /* accept slots in use (posted or being handled), posted */
    unsigned max_accepts;
    uint64_t epoch, batch;       /* the drive whose completions are being handled, and how many
                                    accepts completed in it */
    uint64_t requests, failures; /* statistics */
    uint64_t stalls;             /* accepts given up on by the sweep */
    uint64_t sweeps;
    struct sk_op sweep, sweep_cancel;
    struct sk_ipc_accept accepts[SK_IPC_SERVER_MAX_ACCEPTS];
};
/*
 * Serve lane: keep accept + receive-head actions posted, and call fn per request.
 * It starts with SK_IPC_SERVER_FIRST_ACCEPTS (or `accepts`, if fewer) and doubles
 * them, up to `accepts` (1..SK_IPC_SERVER_MAX_ACCEPTS), whenever every posted
 * accept completed with a client in one drive (requests are queueing up; idle
 * accepts the stall sweep below takes back do not count): a server with little
 * concurrency keeps its working set small, a busy one takes whole batches. An accept matched by a client that
 * never sends its head (it keeps its side of the conversation open and idle)
 * would hold that accept for good: a timer every SK_IPC_SERVER_STALL_NS cancels
 * accepts in flight since before the previous tick and posts them again (a
 * canonical client sends its head in the same submission as its offer, so it is
 * never caught). The loop ends when the lane ends (s->error = SK_ERR_END_OF_LANE)
 * or on sk_ipc_server_stop.
 */
sk_error_t sk_ipc_server_start(struct sk_queue *q, struct sk_ipc_server *s, sk_handle_t lane,
                               uint32_t head_max, unsigned accepts, sk_ipc_request_fn fn);
void sk_ipc_server_stop(struct sk_ipc_server *s);

/* ---- replies ----------------------------------------------------------------------- */

struct sk_ipc_reply {
    struct sk_op op;
    struct sk_action act;
    sk_handle_t lane;
    void (*done)(struct sk_ipc_reply *r, sk_error_t error); /* may be NULL */
};
/*
 * Send buf/len on a conversation's lane and close the lane: the handle is consumed, even
 * on error (the ipc op's SK_IPC_CLOSE: no system call of its own). r and buf are in use
 * until r->op.state is idle again. With done, that is when done has run. Without done
 * and with len <= SK_IPC_STAGE_MAX (the kernel copies the bytes when it takes the SQ
 * entry), the reply is forgotten (sk_op_submit_forget): no completion unless it fails,
 * and r is free again after the next drive.
 */
sk_error_t sk_ipc_reply(struct sk_queue *q, struct sk_ipc_reply *r, sk_handle_t lane,
                        const void *buf, uint32_t len,
                        void (*done)(struct sk_ipc_reply *r, sk_error_t error));

/* ---- a client's call ------------------------------------------------------------------ */

struct sk_ipc_call;
/* The reply (or the error: the first failing action's, SK_ERR_CANCELLED on timeout). */
typedef void (*sk_ipc_reply_fn)(struct sk_ipc_call *c, sk_error_t error, const void *reply,
                                uint32_t len);
struct sk_ipc_call {
    struct sk_op op;
    struct sk_op timer, cancel;
    struct sk_action acts[3];
    sk_ipc_reply_fn fn;
    uint8_t timed, done;
};
/*
 * Offer on lane, send req/len, and receive a reply of at most reply_max bytes
 * inline (reply_max <= 104: a reply that fits the completion record). With
 * timeout_ns (relative; 0 = none) the call is cancelled when it passes.
 */
sk_error_t sk_ipc_call(struct sk_queue *q, struct sk_ipc_call *c, sk_handle_t lane,
                       const void *req, uint32_t len, uint32_t reply_max, uint64_t timeout_ns,
                       sk_ipc_reply_fn fn);
#define SK_IPC_CALL_INLINE_MAX 104
