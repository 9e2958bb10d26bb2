/*
 * Requests (docs/runtime.md, "Requests"): the one shape of work a server does
 * for a client. A request is a chain of steps; each step is a kernel operation
 * on the server's queue (an IPC action, a memory copy, an observe, a timer) or
 * a wait for something inside the server (parked), and every kind of step ends
 * the same way: the request's step function is called with an error code and
 * the completion record. A step function that returns an error ends the request
 * through its fail function, which sends the error reply, so no handler writes
 * one by hand. Deadlines live in a user-space timer heap behind one kernel
 * timer; a deadline that passes cancels whatever step is in flight, and the step
 * function sees SK_ERR_TIMEOUT. Cancelling works the same with any reason.
 *
 * Single-threaded: a request set belongs to the thread that runs its queue.
 */
#pragma once
#include <sk/queue.h>

/* ---- the timer heap ------------------------------------------------------------------ */

struct sk_timer;
typedef void (*sk_timer_fn)(struct sk_timer *t);

/* One deadline. Zeroed = not armed. */
struct sk_timer {
    uint64_t at;      /* clock_get nanoseconds */
    uint32_t slot;    /* index in the heap + 1; 0 when not armed */
    sk_timer_fn fire; /* called once at (or after) at, unless stopped first */
};

/* Every deadline of one queue, earliest first, behind one clock_await operation. */
struct sk_timers {
    struct sk_queue *q;
    struct sk_timer **heap;
    uint32_t count, cap;
    struct sk_op op;        /* the kernel timer for heap[0] */
    struct sk_op cancel_op; /* replaces it by an earlier one */
    uint64_t armed_at;      /* the deadline op waits for (0: none in flight) */
    uint64_t fired;         /* statistics */
};

void sk_timers_init(struct sk_timers *ts, struct sk_queue *q);
/* Arm (or move) t to fire at `at`. SK_ERR_NO_MEMORY if the heap cannot grow. */
sk_error_t sk_timer_start(struct sk_timers *ts, struct sk_timer *t, uint64_t at, sk_timer_fn fire);
/* Disarm t if armed. */
void sk_timer_stop(struct sk_timers *ts, struct sk_timer *t);
static inline int sk_timer_armed(const struct sk_timer *t)
{
    return t->slot != 0;
}

/* ---- requests ------------------------------------------------------------------------ */

struct sk_req;
/*
 * A step: err is the completion's error (or the reason the request was
 * cancelled: SK_ERR_TIMEOUT, SK_ERR_CANCELLED, ...), cqe its record (a
 * synthesised one for parked steps: value = what sk_req_wake passed). Returns
 * SK_OK when it has started the next step or finished the request, or an error
 * that ends the request through its fail function.
 */
typedef sk_error_t (*sk_req_fn)(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);
/* Ends a request that failed: sends the error reply and releases it. */
typedef void (*sk_req_fail_fn)(struct sk_req *r, sk_error_t err);

struct sk_req {
    struct sk_op op;          /* the kernel step in flight */
    struct sk_op cancel_op;   /* cancels it */
    sk_req_fn step;           /* runs when the step ends */
    sk_req_fail_fn fail;
    struct sk_timers *timers;
    struct sk_timer deadline;
    sk_error_t abort;         /* why it was cancelled (0: it was not) */
    uint8_t parked;           /* waiting inside the server, no kernel op */
};

/* Start a request (r zeroed or idle): its timers (and so its queue) and its fail function. */
void sk_req_init(struct sk_req *r, struct sk_timers *ts, sk_req_fail_fn fail);
/*
 * Next step: a kernel operation. step runs at its completion. A request that was
 * cancelled runs step at once with the reason, submitting nothing.
 */
sk_error_t sk_req_submit(struct sk_req *r, uint32_t opcode, sk_req_fn step, uint64_t a0,
                         uint64_t a1, uint64_t a2, uint64_t a3);
/* Like sk_req_submit with all six arguments. */
sk_error_t sk_req_submit6(struct sk_req *r, uint32_t opcode, sk_req_fn step, const uint64_t a[6]);
/* Next step: a wait inside the server, ended by sk_req_wake or a cancel. */
void sk_req_park(struct sk_req *r, sk_req_fn step);
/* End a parked step: its function runs now with SK_OK and cqe->value = value. */
void sk_req_wake(struct sk_req *r, uint64_t value);
/* A deadline for the whole request (clock_get ns; 0 removes it): at it, sk_req_cancel(TIMEOUT). */
sk_error_t sk_req_deadline(struct sk_req *r, uint64_t at);
/*
 * Cancel: a parked step ends now with `why`; a kernel step is cancelled and ends
 * with `why` when its completion arrives (or with its own result if it finished
 * first). Later steps start and end at once with `why`.
 */
void sk_req_cancel(struct sk_req *r, sk_error_t why);
/*
 * Run the fail function now (a step function may also just return the error).
 * The deadline stays, so an error reply the fail function sends is bounded by
 * it too; the fail function ends the request with sk_req_finish.
 */
void sk_req_fail(struct sk_req *r, sk_error_t err);
/*
 * The step that saw a cancel has dealt with it (a wait whose time was up, say)
 * and the request goes on: its later steps are submitted again, not ended at
 * once with the reason.
 */
static inline void sk_req_resume(struct sk_req *r)
{
    r->abort = SK_OK;
}
/* The request is over: its deadline goes. It may be freed once sk_req_idle. */
void sk_req_finish(struct sk_req *r);
/* No kernel operation of r is in flight (its memory may be freed). */
static inline int sk_req_idle(const struct sk_req *r)
{
    return r->op.state == SK_OPSTATE_IDLE && r->cancel_op.state == SK_OPSTATE_IDLE;
}
/* The request that embeds this op (for code holding only the op). */
#define SK_REQ_OF(opp) SK_OP_CONTAINER(opp, struct sk_req, op)
