/*
 * Wait queues: threads whose call waits for something inside the server (pipe
 * data or room, a child's exit) park their request on one. A wake runs every
 * parked thread's step (after the round's answers: waitq_run_ready), which looks
 * again and parks again if it must; a cancel
 * (a signal, the process ending) takes the thread off the queue before its step
 * sees the reason.
 */
#include "posix.h"

static void unlink_from(struct waitq *wq, struct lthread *t)
{
    for (struct lthread **pp = &wq->head; *pp; pp = &(*pp)->wait_next)
        if (*pp == t) {
            *pp = t->wait_next;
            break;
        }
    t->wait_next = NULL;
    t->waiting_on = NULL;
}

SK_HOT static sk_error_t waitq_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    struct lthread *t = call_thread(r);
    if (t->waiting_on)
        unlink_from(t->waiting_on, t);
    sk_req_fn step = t->wait_step;
    t->wait_step = NULL;
    return step(r, err, cqe);
}

SK_HOT void waitq_park(struct waitq *wq, struct lthread *t, sk_req_fn step)
{
    t->wait_step = step;
    t->waiting_on = wq;
    t->wait_next = wq->head;
    wq->head = t;
    sk_req_park(&t->req, waitq_step);
}

void waitq_park_tail(struct waitq *wq, struct lthread *t, sk_req_fn step)
{
    t->wait_step = step;
    t->waiting_on = wq;
    t->wait_next = NULL;
    struct lthread **pp = &wq->head;
    while (*pp)
        pp = &(*pp)->wait_next;
    *pp = t;
    sk_req_park(&t->req, waitq_step);
}

void waitq_move_tail(struct waitq *from, struct waitq *to, struct lthread *t)
{
    unlink_from(from, t);
    t->waiting_on = to;
    struct lthread **pp = &to->head;
    while (*pp)
        pp = &(*pp)->wait_next;
    *pp = t;
}

/* Woken threads wait here, still parked, until waitq_run_ready: the loop runs them after
   the completions of a round, so the answer to the call that woke them leaves first. (The
   caller is usually watching for its answer on its CPU; a woken thread placed there first
   would end that watch and cost two address-space switches.) A cancel takes a thread off
   this queue like any other. */
static SK_HOT_DATA struct waitq ready;

SK_HOT void waitq_wake_all(struct waitq *wq)
{
    struct lthread *w = wq->head;
    if (!w)
        return;
    wq->head = NULL;
    struct lthread **tail = &ready.head;
    while (*tail)
        tail = &(*tail)->wait_next;
    *tail = w; /* in the order they were on wq */
    for (; w; w = w->wait_next)
        w->waiting_on = &ready;
}

void waitq_wake_one(struct waitq *wq, struct lthread *t)
{
    unlink_from(wq, t);
    struct lthread **tail = &ready.head;
    while (*tail)
        tail = &(*tail)->wait_next;
    *tail = t;
    t->waiting_on = &ready;
}

SK_HOT int waitq_run_ready(void)
{
    int ran = 0;
    while (ready.head) {
        /* detach the list first: a woken step may park again, or wake others */
        struct lthread *w = ready.head;
        ready.head = NULL;
        while (w) {
            struct lthread *n = w->wait_next;
            w->wait_next = NULL;
            w->waiting_on = NULL;
            sk_req_wake(&w->req, 0);
            ran++;
            w = n;
        }
    }
    return ran;
}

/* Every poll, select and ppoll in progress waits here; any change of a file's readiness
   wakes them all to look again (simple and exact; a waiter per file is the refinement). */
SK_HOT_DATA struct waitq poll_waitq;

void poll_notify(void)
{
    if (poll_waitq.head)
        waitq_wake_all(&poll_waitq);
}
