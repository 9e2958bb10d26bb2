/*
 * Asynchronous operations: the kernel side of queues (include/skoll/queue.h,
 * docs/queue.md). A queue copies each submitted SQ entry into a struct
 * async_op and hands it to the provider of its opcode, which completes it
 * exactly once: at once, or later from any context (another thread, a timer,
 * an interrupt). Completions go to the queue's CQ ring or, while that is full,
 * to an overflow list; a queue never has more operations in flight than its CQ
 * has entries, so both are bounded.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <skoll/errors.h>
#include <skoll/queue.h>
#include <k/timer.h>

struct queue;
struct thread;

#define ASYNC_PROVIDER_BYTES 368

/* (submit_all sets or zeroes each field before data: a new field needs a line there) */
struct async_op {
    struct queue *queue;        /* holds a reference until the op is freed */
    struct thread *submitter;   /* the thread that submitted it (no reference; for context checks) */
    uint64_t tag;
    uint32_t opcode;
    uint32_t flags;
    uint64_t args[6];
    volatile int state;         /* internal: pending / completed */
    /*
     * Set by a provider whose op can be cancelled: called at most once, with no
     * locks held, from the thread that asked; it must make sure the op completes
     * soon (with SK_ERR_CANCELLED if it had not completed already).
     */
    void (*cancel)(struct async_op *op);
    void *priv;                 /* provider data */
    /* Optional: frees provider memory tied to the op when the op itself is freed (after
       its completion is posted and every canceller let go). Any context; only frees. */
    void (*release)(struct async_op *op);
    struct async_op *next;      /* provider lists */
    union {                     /* provider scratch space */
        struct timer timer;
        uint64_t words[8];
    } u;
    /* queue bookkeeping */
    struct async_op *qnext, *qprev; /* the queue's list of ops not yet posted */
    volatile uint32_t refs;     /* 1 until posted to the CQ, +1 while a canceller holds it */
    int posted_overflow;        /* waiting in the overflow list */
    /* the completion, filled by async_complete*() */
    int32_t error;
    uint32_t length;
    uint64_t value, value2;
    uint8_t data[SK_CQE_INLINE_MAX];
    /* provider memory that comes with the op, not zeroed (an ipc chain of a few actions
       lives here rather than in a heap object of its own) */
    uint8_t provider[ASYNC_PROVIDER_BYTES] __attribute__((aligned(16)));
};

/*
 * A provider's submit function, one per opcode (async_submit_<name>). Called in
 * the submitting thread's context (inside queue_drive), with interrupts on and
 * no locks held. It validates op->args and either starts the operation (and
 * returns SK_OK; it completes the op now or later) or returns an error, which
 * completes the op with that error.
 */
typedef sk_error_t (*async_submit_fn)(struct async_op *op);
#define ASYNC_DECLARE(name, code) sk_error_t async_submit_##name(struct async_op *op);
SK_OPS(ASYNC_DECLARE)
#undef ASYNC_DECLARE

/* Complete op with a result (and optionally inline data, at most SK_CQE_INLINE_MAX bytes).
   Exactly once per op; any context (interrupts included). Returns 0 if the op had
   already been completed (e.g. cancelled first), 1 otherwise. data may be op->data
   itself, filled in place by the provider (which must then have written all length bytes). */
int async_complete(struct async_op *op, sk_error_t error, uint64_t value, uint64_t value2);
int async_complete_data(struct async_op *op, sk_error_t error, uint64_t value, uint64_t value2,
                        const void *data, size_t length);

/* Operations allocated now, by opcode (counts[SK_OP_COUNT]: unknown opcodes), counted in
   debug builds only (all 0 otherwise): for the leak report. */
void async_census(uint64_t counts[SK_OP_COUNT + 1]);

/* Boot, once, after the heap: the operation cache. */
void queue_init(void);
