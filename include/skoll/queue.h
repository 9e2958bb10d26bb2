/*
 * Queues: how asynchronous operations are submitted and complete (docs/queue.md).
 *
 * A queue's memory is one memory object shared by the kernel and the process:
 *   [struct sk_queue_header][SQ: sq_entries x struct sk_sqe][CQ: cq_entries x struct sk_cqe]
 * at the offsets the header gives. User space fills SQ entries and advances
 * sq_tail; one queue_drive call hands the whole batch to the kernel. The kernel
 * writes CQ entries and advances cq_tail; user space reads them with no system
 * call and advances cq_head. Every index is a free-running 32-bit counter; a
 * slot is counter & (entries - 1).
 *
 * The kernel treats this memory as hostile: it keeps its own copy of every index
 * it owns, reads each user-written value once, checks it, and copies an SQ entry
 * before looking at it. Garbage becomes an error completion, never a crash.
 */
#pragma once
#include <stdint.h>
#include <skoll/types.h>

#define SK_QUEUE_MAX_ENTRIES 16384 /* per ring; powers of two from 1 */
#define SK_CQE_INLINE_MAX 128     /* bytes of data a completion can carry */

/* The operations, listed once: X(name, opcode). Arguments per op in docs/queue.md. */
#define SK_OPS(X) \
    X(nop, 0) \
    X(clock_await, 1) \
    X(event_await, 2) \
    X(cancel, 3) \
    X(mem_protect, 4) \
    X(mem_read, 5) \
    X(mem_write, 6) \
    X(mem_fork, 7) \
    X(observe, 8) \
    X(irq_await, 9) \
    X(ipc, 10) \
    X(mem_copy, 11)

enum sk_opcode { /* (not "enum sk_op": the runtime's struct sk_op has that tag) */
#define SK_OP_ENUM(name, code) SK_OP_##name = code,
    SK_OPS(SK_OP_ENUM)
#undef SK_OP_ENUM
    SK_OP_COUNT
};

struct sk_queue_header {
    volatile uint32_t sq_head;  /* kernel: SQ entries consumed so far */
    volatile uint32_t sq_tail;  /* user: SQ entries written so far */
    volatile uint32_t cq_head;  /* user: CQ entries consumed so far */
    volatile uint32_t cq_tail;  /* kernel: CQ entries written so far */
    uint32_t sq_entries;        /* copies of the sizes, for user space (the kernel keeps its own) */
    uint32_t cq_entries;
    uint32_t sq_offset;         /* byte offsets of the rings in the memory object */
    uint32_t cq_offset;
    volatile uint32_t dropped;  /* kernel: SQ entries refused because too many were in flight */
    volatile uint32_t skipped;  /* kernel: operations with SK_SQE_SKIP_SUCCESS that succeeded
                                   (they posted no completion, and are no longer in flight) */
    uint32_t reserved[6];
};
_Static_assert(sizeof(struct sk_queue_header) == 64, "queue header layout");

struct sk_sqe {
    uint32_t opcode;   /* SK_OP_* */
    uint32_t flags;    /* SK_SQE_*; other bits must be 0 */
    uint64_t tag;      /* returned in the completion; the runtime uses the op's address */
    uint64_t args[6];
};
_Static_assert(sizeof(struct sk_sqe) == 64, "sqe layout");

/* SQE flags */
#define SK_SQE_SKIP_SUCCESS 0x1u /* post a completion only if the operation fails; a success
                                    counts in the header's `skipped` instead */
#define SK_SQE_FLAGS_ALL 0x1u

struct sk_cqe {
    uint64_t tag;
    int32_t error;     /* sk_error_t */
    uint32_t length;   /* bytes of data[] that are valid */
    uint64_t value;    /* the operation's result, if it has one */
    uint64_t value2;
    uint8_t data[SK_CQE_INLINE_MAX];
};
_Static_assert(sizeof(struct sk_cqe) == 160, "cqe layout");
_Static_assert(__builtin_offsetof(struct sk_cqe, length) == __builtin_offsetof(struct sk_cqe, error) + 4,
               "cqe layout: length follows error");

/* queue_create parameters (in) and results (out). */
struct sk_queue_params {
    uint32_t sq_entries;     /* in: power of two, 1..SK_QUEUE_MAX_ENTRIES */
    uint32_t cq_entries;     /* in: power of two, >= sq_entries, <= SK_QUEUE_MAX_ENTRIES */
    sk_handle_t memory;      /* out: the shared memory object (READ WRITE MAP) */
    uint64_t size;           /* out: its size in bytes */
};
_Static_assert(sizeof(struct sk_queue_params) == 24, "queue params layout");

/* event_create kinds */
#define SK_EVENT_ONESHOT 0 /* raised once, for good */
#define SK_EVENT_BITSET 1  /* raise ORs bits in and counts; await waits for a newer count */

/* Why an observed thread stopped: sk_cqe.value of an observe completion. */
#define SK_STOP_FAULT 1      /* CPU exception; value2 = vector | error code << 32 */
#define SK_STOP_BREAKPOINT 2 /* int3 */
#define SK_STOP_SUPERCALL 3  /* syscall with a number from SK_SUPERCALL_BASE; value2 = the number */
#define SK_STOP_INTERRUPT 4  /* thread_interrupt */
#define SK_STOP_EXIT 5       /* the thread ended; value2 = its exit status */
#define SK_STOP_SYSCALL 6    /* a foreign thread's syscall (SK_THREAD_FOREIGN), any number; value2 = it */

/* observe args[1] flags: end the current stop first, so that one operation answers a stop and
   waits for the next (docs/observation.md). args[2] is the rax value for SK_OBSERVE_SET_RAX. */
#define SK_OBSERVE_RESUME (1u << 0)  /* resume the stopped thread, then observe its next stop */
#define SK_OBSERVE_SET_RAX (1u << 1) /* with RESUME: write args[2] into rax before resuming */
