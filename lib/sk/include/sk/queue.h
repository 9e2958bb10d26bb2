/*
 * The asynchronous runtime: a dispatcher over one kernel queue (skoll/queue.h,
 * docs/runtime.md "Dispatcher").
 *
 * An operation is a struct sk_op, usually embedded in a bigger struct that
 * holds a request's state (SK_OP_CONTAINER gets back to it). Submitting writes
 * an SQ entry and no system call; the loop hands the batch to the kernel with
 * one queue_drive, reads completions straight out of the shared ring with no
 * system call while any are there, and sleeps in queue_drive(min_complete = 1)
 * only when none are.
 *
 * Tags: each submission takes an entry of the queue's tag table, and its SQE
 * tag names that entry and the submission (SK_TAG_* below). A completion's tag
 * is checked in O(1) - entry in range, entry holds an op, the op's current tag
 * is this one - before the op is followed, so a tag that is not a live
 * submission (garbage in the ring, a stale or repeated completion) is counted
 * and skipped, never followed.
 *
 * A chain of steps is an explicit state machine: a step's callback submits the
 * op again (or another) with the next callback. There are no fibres.
 *
 * Threads: a struct sk_queue belongs to one thread, the one running its loop
 * (submit, poll, wait, run, cancel). Only sk_queue_wake and sk_queue_stop may
 * be called from other threads.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/errors.h>
#include <skoll/queue.h>
#include <skoll/types.h>

struct sk_op;
struct sk_queue;

/* Called once per submission with its completion. cqe is valid only during the call. */
typedef void (*sk_op_fn)(struct sk_op *op, const struct sk_cqe *cqe);

/* Where an op is (sk_op.state). Only an idle op may be submitted or freed. */
enum sk_op_state {
    SK_OPSTATE_IDLE = 0,  /* not submitted, or completed (its callback is running or ran) */
    SK_OPSTATE_BACKLOG,   /* waiting in user space for room in the SQ / the in-flight limit */
    SK_OPSTATE_KERNEL,    /* in the SQ or in the kernel; its tag is live */
    SK_OPSTATE_LOCAL,     /* completed in user space (cancelled before it was submitted) */
};

struct sk_op {
    sk_op_fn done;          /* the callback */
    struct sk_queue *queue; /* set by submit */
    struct sk_op *next;     /* runtime: backlog and local-completion lists */
    uint32_t opcode;        /* SK_OP_* */
    uint32_t state;         /* enum sk_op_state (runtime) */
    uint64_t args[6];       /* the SQE arguments (sk_op_nop leaves them alone) */
    uint64_t tag;           /* runtime: the SQE tag of the op's latest submission */
};

/*
 * An SQE tag the dispatcher writes: bits 0-30 the op's entry in the tag table,
 * bit 31 set, bits 32-63 the SQ index the entry was written at (so two
 * submissions of one op have different tags for 2^32 submissions).
 */
#define SK_TAG_MARK 0x80000000u
#define SK_TAG_ENTRY(tag) ((uint32_t)(tag) - SK_TAG_MARK) /* >= the table size if not ours */
#define SK_TAG_NONE 0xffffffffu /* sk_queue.free when every entry is in use */
#define SK_TAG_FORGET 0x7fffffffu /* the tag of sk_op_submit_forget's SQEs (no table entry) */

/* The struct that embeds op as member. */
#define SK_OP_CONTAINER(op, type, member) ((type *)((char *)(op) - offsetof(type, member)))

struct sk_queue {
    sk_handle_t handle;            /* the kernel queue */
    sk_handle_t memory;            /* its shared memory object */
    struct sk_queue_header *hdr;   /* the mapping */
    struct sk_sqe *sq;
    struct sk_cqe *cq;
    uint64_t size;                 /* bytes mapped */
    uint32_t sq_entries, cq_entries;
    uint32_t sq_tail;              /* SQ entries written (published at the next drive) */
    uint32_t cq_head;              /* CQ entries consumed (published after each poll) */
    uint32_t retired;              /* SQ entries whose ops have completed: sq_tail - retired
                                      are in flight (sk_queue_inflight) */
    uint32_t limit;                /* at most this many in flight: cq_entries */
    uint32_t credit_end;           /* submissions go straight into the SQ until sq_tail reaches
                                      this, before its room and the limit are looked at again */
    uint32_t free;                 /* first free entry of tags[] (SK_TAG_NONE: none) */
    uintptr_t *tags;               /* the tag table, limit entries: an in-flight op, or
                                      (next free entry << 1 | 1) */
    struct sk_op *backlog, *backlog_tail;
    struct sk_op *local, *local_tail;
    int polling;                   /* inside sk_queue_poll (no nesting) */
    volatile int stop;             /* sk_queue_stop was called */
    /* statistics */
    uint64_t drives;               /* queue_drive calls made */
    uint64_t completed;            /* callbacks run */
    uint64_t stray;                /* completions whose tag was not a live submission */
    /* sk_op_submit_forget */
    struct sk_op *forgotten, *forgotten_tail; /* in the SQ, not yet taken by the kernel */
    uint32_t forget_inflight;      /* submitted and not known finished */
    uint32_t skipped_seen;         /* the header's `skipped` when last read */
    uint64_t forget_failures;      /* forgotten ops that failed (statistics) */
};

/*
 * Create a kernel queue with sq_entries / cq_entries (powers of two, cq >= sq,
 * at most SK_QUEUE_MAX_ENTRIES; 0 picks 64 and 2 x sq) and map its memory.
 * Returns SK_OK or the error of queue_create / space_map / the heap.
 */
sk_error_t sk_queue_open(struct sk_queue *q, uint32_t sq_entries, uint32_t cq_entries);
/* Unmap and close. Ops still in flight are forgotten: idle again, their callbacks never run. */
void sk_queue_close(struct sk_queue *q);

/* Fill op (opcode, args zeroed, callback); does not submit. */
void sk_op_prep(struct sk_op *op, uint32_t opcode, sk_op_fn done);
/*
 * Submit an idle, prepared op. It goes into the SQ (no system call), or when
 * the SQ is full after one drive, or the in-flight limit is reached, onto a
 * backlog that the loop feeds in as room appears. SK_ERR_BUSY if op is not idle.
 */
sk_error_t sk_queue_submit(struct sk_queue *q, struct sk_op *op);
/* Hand the SQ's entries to the kernel now (one queue_drive, min_complete 0). */
sk_error_t sk_queue_flush(struct sk_queue *q);
/* Run the callbacks of every completion present, with no system call. Returns how many. */
uint32_t sk_queue_poll(struct sk_queue *q);
/*
 * One turn of the loop: submit what is queued; if no completion is present,
 * sleep in queue_drive(min_complete = 1) at most timeout_ns (relative;
 * SK_TIMEOUT_NEVER); then poll. Returns SK_OK (some callbacks may have run),
 * SK_ERR_TIMEOUT, SK_ERR_ALERTED (sk_queue_wake) or queue_drive's error.
 */
sk_error_t sk_queue_wait(struct sk_queue *q, uint64_t timeout_ns);
/*
 * Turn the loop until nothing is in flight or queued, or sk_queue_stop is
 * called (forgotten ops are handed to the kernel, not waited for). Returns
 * SK_OK, or the first unexpected queue_drive error.
 */
sk_error_t sk_queue_run(struct sk_queue *q);
/* Any thread: wake the queue's loop if it sleeps in queue_drive (queue_alert). */
sk_error_t sk_queue_wake(struct sk_queue *q);
/* Any thread: make sk_queue_run return after the callbacks it is running. */
void sk_queue_stop(struct sk_queue *q);
/* Ops in the SQ or the kernel whose completions have not been read. */
static inline uint32_t sk_queue_inflight(const struct sk_queue *q)
{
    return q->sq_tail - q->retired;
}
/* Ops waiting in user space (backlog and local completions) plus ops in flight. */
uint32_t sk_queue_pending(const struct sk_queue *q);

/* Helpers: prepare and submit one op. Deadlines are clock_get nanoseconds. */
/* Completes at deadline (absolute) or later. */
sk_error_t sk_op_timer(struct sk_queue *q, struct sk_op *op, uint64_t deadline, sk_op_fn done);
/* Completes ns from now (reads the clock: one system call). */
sk_error_t sk_op_sleep(struct sk_queue *q, struct sk_op *op, uint64_t ns, sk_op_fn done);
/* Completes once event's count exceeds seq; value = the new count, value2 = the bits. */
sk_error_t sk_op_event(struct sk_queue *q, struct sk_op *op, sk_handle_t event, uint64_t seq,
                       sk_op_fn done);
/*
 * Cancel target (submitted on q): target then completes with SK_ERR_CANCELLED,
 * unless it completed first. op completes with the cancel's own result. A target
 * still on the backlog is taken off and both complete without the kernel.
 */
sk_error_t sk_op_cancel(struct sk_queue *q, struct sk_op *op, struct sk_op *target, sk_op_fn done);
/* Any opcode with up to six arguments (mem_* ops and the like). */
sk_error_t sk_op_submit(struct sk_queue *q, struct sk_op *op, uint32_t opcode, sk_op_fn done,
                        uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
/*
 * Submit and forget: no callback, and no completion at all if the operation succeeds
 * (SK_SQE_SKIP_SUCCESS); a failure only counts in q->forget_failures. op (and whatever
 * its arguments point to) is in use until the kernel has taken the SQE, i.e. until
 * op->state is idle again after the next drive. For operations whose effect needs no
 * answer, such as a small reply that also closes its lane. When the SQ has no room at
 * once, the op takes the ordinary path (a completion, no callback) and stays busy until then.
 */
sk_error_t sk_op_submit_forget(struct sk_queue *q, struct sk_op *op, uint32_t opcode,
                               uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
/* The same with six arguments (mem_copy). */
sk_error_t sk_op_submit_forget6(struct sk_queue *q, struct sk_op *op, uint32_t opcode,
                                const uint64_t a[6]);

/* ---- the submit fast path, inline (lib/sk/queue.c uses it too) --------------------- */

/*
 * Runtime internal: write op's SQ entry (opcode, flags 0, a fresh tag, its first
 * nargs arguments; the rest of the entry is left as it was) and make it in
 * flight. The caller has checked sk_queue_fast_ok.
 */
static inline __attribute__((always_inline)) void sk_queue_push_sqe(struct sk_queue *q,
                                                                    struct sk_op *op, int nargs)
{
    uint32_t tail = q->sq_tail, entry = q->free;
    uintptr_t *slot = &q->tags[entry];
    q->free = (uint32_t)(*slot >> 1);
    *slot = (uintptr_t)op;
    uint64_t tag = (uint64_t)tail << 32 | SK_TAG_MARK | entry;
    op->tag = tag;
    op->state = SK_OPSTATE_KERNEL;
    struct sk_sqe *e = &q->sq[tail & (q->sq_entries - 1)];
    uint64_t opcode_flags = op->opcode; /* opcode and flags (0) side by side: one store */
    __builtin_memcpy(&e->opcode, &opcode_flags, sizeof opcode_flags);
    e->tag = tag;
    for (int i = 0; i < nargs; i++)
        e->args[i] = op->args[i];
    q->sq_tail = tail + 1;
}

/*
 * Runtime internal: may an op go straight into the SQ? Yes while the credit lasts (room in
 * the SQ and under the in-flight limit) and the tag table has a free entry. The second test
 * is implied by the first unless the program has rewritten q->sq_tail; it costs no memory
 * access, and keeps the table safe even then.
 */
static inline int sk_queue_fast_ok(const struct sk_queue *q)
{
    return q->sq_tail != q->credit_end && q->free != SK_TAG_NONE;
}
/* Runtime internal: submit an idle op when sk_queue_fast_ok says no (room is looked at
   again, or the op goes on the backlog). */
sk_error_t sk_queue_submit_slow(struct sk_queue *q, struct sk_op *op);

/* Helper: a nop, which completes at once with value 0 (inline: no call while the credit lasts). */
static inline sk_error_t sk_op_nop(struct sk_queue *q, struct sk_op *op, sk_op_fn done)
{
    if (op->state != SK_OPSTATE_IDLE)
        return SK_ERR_BUSY;
    op->done = done;
    op->opcode = SK_OP_nop;
    if (!sk_queue_fast_ok(q))
        return sk_queue_submit_slow(q, op);
    op->queue = q;
    sk_queue_push_sqe(q, op, 0); /* a nop has no arguments: neither op->args nor the SQE's */
    return SK_OK;
}

/*
 * A repeating event watch: calls fn once per newer count of event (not once per
 * raise: raises between two completions are seen together, their bits ORed).
 * It re-arms itself until sk_event_watch_stop; then fn is called once more with
 * error SK_ERR_CANCELLED.
 */
struct sk_event_watch;
typedef void (*sk_event_fn)(struct sk_event_watch *w, sk_error_t error, uint64_t count,
                            uint64_t bits);
struct sk_event_watch {
    struct sk_op op;
    struct sk_op cancel_op;
    sk_handle_t event;
    uint64_t seq;        /* the last count seen */
    sk_event_fn fn;
    int stopping;
};
sk_error_t sk_event_watch_start(struct sk_queue *q, struct sk_event_watch *w, sk_handle_t event,
                                uint64_t seq, sk_event_fn fn);
sk_error_t sk_event_watch_stop(struct sk_event_watch *w);
