/*
 * IPC: streams, lanes and actions (docs/ipc.md).
 *
 * A stream has two lanes. An `ipc` queue operation (SK_OP_ipc: lane, actions,
 * count, flags SK_IPC_*) posts a list of actions to a lane; the n-th action posted on one lane
 * is matched with the n-th action posted on the other, and both complete
 * together. An offer matched with an accept creates a new ("ancillary") stream;
 * the actions nested under them go onto its lanes. The whole submission
 * completes as one CQE whose data holds one result record per action, in the
 * order of the actions array.
 */
#pragma once
#include <stdint.h>
#include <skoll/types.h>

/* The actions, listed once: X(name, code). */
#define SK_ACTIONS(X) \
    X(offer, 1) \
    X(accept, 2) \
    X(send, 3) \
    X(send_sg, 4) \
    X(recv_inline, 5) \
    X(recv, 6) \
    X(push, 7) \
    X(pull, 8) \
    X(imbue, 9) \
    X(extract, 10) \
    X(dismiss, 11) \
    X(recv_ring, 12)

enum sk_action_type {
#define SK_ACTION_ENUM(name, code) SK_ACT_##name = code,
    SK_ACTIONS(SK_ACTION_ENUM)
#undef SK_ACTION_ENUM
    SK_ACT_LIMIT
};

/* sk_action.flags */
#define SK_ACTF_CHAIN (1u << 0)     /* the next action is the next one of this list */
#define SK_ACTF_ANCILLARY (1u << 1) /* offer/accept: the next action begins the list that goes
                                       onto this side of the new stream */
#define SK_ACTF_WANT_LANE (1u << 2) /* offer/accept: the result carries a handle to this side's
                                       lane of the new stream */
#define SK_ACTF_ALL 0x7u

#define SK_IPC_MAX_ACTIONS 16           /* actions in one submission */
#define SK_IPC_MAX_DEPTH 4              /* offer/accept lists nested this deep */
#define SK_IPC_MAX_SG 16                /* buffers in one send_sg */
#define SK_IPC_MAX_TRANSFER (64ull << 20) /* bytes in one send */
#define SK_IPC_STAGE_MAX 128            /* sends up to this size are copied at submission */
#define SK_IPC_RESULTS_MAX 128          /* bytes of result records: SK_CQE_INLINE_MAX */

/* ipc operation flags (its fourth argument) */
#define SK_IPC_CLOSE 0x1u /* close the lane handle once the chain is posted (a refused
                             submission closes nothing); pending actions keep the lane */
#define SK_IPC_FLAGS_ALL 0x1u

/*
 * One action. Fields an action does not use must be 0.
 *   offer, accept     flags may add ANCILLARY, WANT_LANE
 *   send              buf, len: the bytes (len <= SK_IPC_MAX_TRANSFER)
 *   send_sg           buf: array of len struct sk_iovec (len <= SK_IPC_MAX_SG)
 *   recv_inline       len: most bytes taken (they land in the result record)
 *   recv              buf, len: where the bytes land, and the most taken
 *   push              handle (needs TRANSFER); rights: the rights it keeps (ANDed)
 *   pull              rights: the rights the pulled handle must have
 *   imbue             handle: a token or thread (READ) whose credentials are sent;
 *                     SK_HANDLE_NULL sends the calling thread's
 *   extract, dismiss  nothing
 *   recv_ring         handle: a contiguous memory object (READ WRITE), the ring (below);
 *                     stands and takes many sends, each as a record in the ring
 */
struct sk_action {
    uint16_t type;      /* SK_ACT_* */
    uint16_t flags;     /* SK_ACTF_* */
    uint32_t rights;
    uint64_t buf;
    uint64_t len;
    sk_handle_t handle;
};
_Static_assert(sizeof(struct sk_action) == 32, "sk_action layout");

struct sk_iovec {
    uint64_t base;
    uint64_t len;
};
_Static_assert(sizeof(struct sk_iovec) == 16, "sk_iovec layout");

/*
 * A result record in the CQE data: this header, then the action's payload slot
 * (sk_ipc_payload_size bytes, whether the action succeeded or not):
 *   recv_inline              the bytes received (length says how many)
 *   pull, offer/accept with  an sk_handle_t (valid when error is SK_OK)
 *     WANT_LANE
 *   extract                  16 bytes of credentials
 * length is the bytes received for recv_inline and recv, else 0.
 * The CQE: error = SK_OK if every action succeeded, else the first failing
 * action's error; value = the number of records; length = their total size.
 */
struct sk_ipc_result {
    int32_t error;      /* sk_error_t */
    uint32_t length;
};
_Static_assert(sizeof(struct sk_ipc_result) == 8, "sk_ipc_result layout");

#define SK_CREDENTIALS_SIZE 16

/*
 * A receive ring (docs/ipc.md, "Receive rings"): a contiguous memory object of
 * SK_IPC_RING_MIN..SK_IPC_RING_MAX bytes (a page multiple) that a recv_ring
 * action names. It begins with this header; the rest (size - 64 bytes) is the
 * data area. Each send the standing action takes becomes a record at `head`:
 * a struct sk_ipc_result (error SK_OK, the bytes' count) and the bytes, padded
 * to 8. A record never wraps: a header with length SK_IPC_RING_WRAP
 * says the next record is at offset 0. head == tail: empty; the kernel keeps
 * 8 bytes free, so a full ring never looks empty.
 */
struct sk_ipc_ring {
    volatile uint32_t head;   /* kernel: data offset of the next record written */
    volatile uint32_t tail;   /* user: data offset of the next record unread */
    volatile uint32_t notify; /* user: nonzero ends the posting once it wrote a record */
    volatile uint32_t size;   /* kernel: bytes of the data area (written at posting) */
    uint32_t reserved[12];
};
_Static_assert(sizeof(struct sk_ipc_ring) == 64, "sk_ipc_ring layout");

#define SK_IPC_RING_MIN 4096u
#define SK_IPC_RING_MAX (1u << 20)
#define SK_IPC_RING_WRAP 0xffffffffu /* a record's length: skip to offset 0 */
#define SK_IPC_RING_MSG_MAX SK_IPC_STAGE_MAX /* bytes a ring record carries */

/* Bytes a record of len message bytes takes in a ring's data area. */
static inline uint32_t sk_ipc_ring_record_size(uint32_t len)
{
    return 8 + ((len + 7) & ~7u);
}

/* Bytes of payload that follow an action's result record (a multiple of 8). */
static inline uint32_t sk_ipc_payload_size(const struct sk_action *a)
{
    switch (a->type) {
    case SK_ACT_recv_inline:
        return a->len <= SK_IPC_RESULTS_MAX ? (uint32_t)((a->len + 7) & ~7ull) : SK_IPC_RESULTS_MAX + 8;
    case SK_ACT_pull:
        return 8;
    case SK_ACT_offer:
    case SK_ACT_accept:
        return (a->flags & SK_ACTF_WANT_LANE) ? 8 : 0;
    case SK_ACT_extract:
        return SK_CREDENTIALS_SIZE;
    default:
        return 0;
    }
}

/* stream_create flags */
#define SK_STREAM_CREDENTIALS (1u << 0) /* the stream carries the credentials of the handle given:
                                           every imbue on it (and on streams offered from it)
                                           sends those */
