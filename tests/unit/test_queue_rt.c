/*
 * Unit tests for the dispatcher (lib/sk/queue.c) and its tag table on the host. The dispatcher runs against a small model of the kernel's queue
 * (queue_create, queue_drive, queue_alert, event_create, event_raise) reached
 * through test_sk.c's model syscall; the model keeps its own indices like the
 * real kernel, holds timers and event waits, completes a timer when a drive
 * would sleep, and puts completions on an overflow list while the CQ is full.
 */
#include "unit.h"
#include <stdlib.h>
#include <string.h>
#include <sk/sk.h>
#include <sk/queue.h>

void sk_model_reset(void);
uint8_t *sk_model_memory(uint64_t h);

/* ---- the model -------------------------------------------------------------------- */

enum { QH = 7000, EH = 8000, MAXHELD = 8192, MAXEV = 8 };

static struct {
    int live;
    struct sk_queue_header *h;
    struct sk_sqe *sq;
    struct sk_cqe *cq;
    uint32_t sq_head, cq_tail; /* the kernel's own copies */
    struct sk_sqe held[MAXHELD];
    int nheld;
    struct sk_cqe *over;
    int nover;
    int alerted;
    uint64_t drives, dropped, max_inflight;
} MQ;
static struct { uint64_t count, bits; } EV[MAXEV];
static int nev;

static void mq_post(uint64_t tag, sk_error_t err, uint64_t value, uint64_t value2)
{
    struct sk_cqe c = {.tag = tag, .error = err, .value = value, .value2 = value2};
    if (MQ.nover == 0 && MQ.cq_tail - MQ.h->cq_head < MQ.h->cq_entries) {
        MQ.cq[MQ.cq_tail & (MQ.h->cq_entries - 1)] = c;
        MQ.h->cq_tail = ++MQ.cq_tail;
    } else {
        MQ.over[MQ.nover++] = c;
    }
}

static void mq_flush_overflow(void)
{
    int i = 0;
    while (i < MQ.nover && MQ.cq_tail - MQ.h->cq_head < MQ.h->cq_entries) {
        MQ.cq[MQ.cq_tail & (MQ.h->cq_entries - 1)] = MQ.over[i++];
        MQ.h->cq_tail = ++MQ.cq_tail;
    }
    memmove(MQ.over, MQ.over + i, (size_t)(MQ.nover - i) * sizeof *MQ.over);
    MQ.nover -= i;
}

static void mq_unhold(int i)
{
    MQ.held[i] = MQ.held[--MQ.nheld];
}

static void mq_submit(const struct sk_sqe *e)
{
    if ((uint64_t)MQ.nheld + MQ.nover >= MQ.h->cq_entries) { /* in flight: held or overflowed */
        MQ.dropped++;
        MQ.h->dropped = (uint32_t)MQ.dropped;
        return;
    }
    switch (e->opcode) {
    case SK_OP_nop:
        mq_post(e->tag, SK_OK, 0, 0);
        break;
    case SK_OP_clock_await:
        MQ.held[MQ.nheld++] = *e;
        break;
    case SK_OP_event_await: {
        uint64_t i = e->args[0] - EH;
        if (i >= (uint64_t)nev)
            mq_post(e->tag, SK_ERR_BAD_HANDLE, 0, 0);
        else if (EV[i].count > e->args[1])
            mq_post(e->tag, SK_OK, EV[i].count, EV[i].bits);
        else
            MQ.held[MQ.nheld++] = *e;
        break;
    }
    case SK_OP_cancel:
        for (int i = 0; i < MQ.nheld; i++)
            if (MQ.held[i].tag == e->args[0]) {
                mq_post(MQ.held[i].tag, SK_ERR_CANCELLED, 0, 0);
                mq_unhold(i);
                mq_post(e->tag, SK_OK, 0, 0);
                return;
            }
        mq_post(e->tag, SK_ERR_NOT_FOUND, 0, 0);
        break;
    default:
        mq_post(e->tag, SK_ERR_UNSUPPORTED, 0, 0);
    }
    if ((uint64_t)MQ.nheld + MQ.nover > MQ.max_inflight)
        MQ.max_inflight = (uint64_t)MQ.nheld + MQ.nover;
}

/* A drive that would sleep: the earliest timer fires. Returns 0 if there is none. */
static int mq_fire_timer(void)
{
    int best = -1;
    for (int i = 0; i < MQ.nheld; i++)
        if (MQ.held[i].opcode == SK_OP_clock_await &&
            (best < 0 || MQ.held[i].args[0] < MQ.held[best].args[0]))
            best = i;
    if (best < 0)
        return 0;
    mq_post(MQ.held[best].tag, SK_OK, 0, 0);
    mq_unhold(best);
    return 1;
}

sk_error_t model_queue_syscall(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *ret)
{
    (void)a2;
    switch (num) {
    case SK_SYS_queue_create: {
        struct sk_queue_params *p = (struct sk_queue_params *)a0;
        if (MQ.live)
            return SK_ERR_LIMIT;
        uint64_t size = 4096 + p->sq_entries * 64ull + p->cq_entries * 160ull;
        size = (size + 4095) & ~4095ull;
        sk_handle_t mem;
        ck_assert_int_eq(sk_memory_create(size, 0, &mem), SK_OK);
        uint8_t *b = sk_model_memory((uint64_t)mem);
        MQ.h = (struct sk_queue_header *)b;
        MQ.h->sq_entries = p->sq_entries;
        MQ.h->cq_entries = p->cq_entries;
        MQ.h->sq_offset = 4096;
        MQ.h->cq_offset = 4096 + p->sq_entries * 64;
        MQ.sq = (struct sk_sqe *)(b + MQ.h->sq_offset);
        MQ.cq = (struct sk_cqe *)(b + MQ.h->cq_offset);
        MQ.over = calloc(MAXHELD, sizeof *MQ.over);
        MQ.live = 1;
        p->memory = mem;
        p->size = size;
        *ret = QH;
        return SK_OK;
    }
    case SK_SYS_queue_drive:
        ck_assert_uint_eq(a0, QH);
        MQ.drives++;
        mq_flush_overflow();
        /* like the kernel: an sq_tail more than a ring ahead submits nothing */
        for (uint32_t tail = MQ.h->sq_tail;
             tail - MQ.sq_head <= MQ.h->sq_entries && MQ.sq_head != tail;) {
            struct sk_sqe e = MQ.sq[MQ.sq_head & (MQ.h->sq_entries - 1)];
            MQ.h->sq_head = ++MQ.sq_head;
            mq_submit(&e);
        }
        while (MQ.cq_tail - MQ.h->cq_head < a1) {
            if (MQ.alerted) {
                MQ.alerted = 0;
                return SK_ERR_ALERTED;
            }
            if (!mq_fire_timer())
                return SK_ERR_TIMEOUT;
        }
        return SK_OK;
    case SK_SYS_queue_alert:
        MQ.alerted = 1;
        return SK_OK;
    case SK_SYS_event_create:
        EV[nev].count = EV[nev].bits = 0;
        *ret = EH + (uint64_t)nev++;
        return SK_OK;
    case SK_SYS_event_raise: {
        uint64_t i = a0 - EH;
        EV[i].count++;
        EV[i].bits |= a1;
        for (int k = 0; k < MQ.nheld; k++)
            if (MQ.held[k].opcode == SK_OP_event_await && MQ.held[k].args[0] == a0 &&
                EV[i].count > MQ.held[k].args[1]) {
                mq_post(MQ.held[k].tag, SK_OK, EV[i].count, EV[i].bits);
                mq_unhold(k--);
            }
        return SK_OK;
    }
    default:
        return SK_ERR_UNSUPPORTED;
    }
}

static void reset(void)
{
    sk_model_reset();
    free(MQ.over);
    memset(&MQ, 0, sizeof MQ);
    nev = 0;
}

/* ---- dispatcher ------------------------------------------------------------------- */

static struct sk_op ops[20000];
static int order[20000], norder;

static void record(struct sk_op *op, const struct sk_cqe *cqe)
{
    ck_assert_uint_eq(cqe->tag, op->tag);
    order[norder++] = (int)(op - ops);
}

START_TEST(rt_nops_in_order_batched)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 64, 128), SK_OK);
    norder = 0;
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(sk_op_nop(&q, &ops[i], record), SK_OK);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(norder, 10000);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(order[i], i);
    ck_assert_uint_le(MQ.max_inflight, 128);
    ck_assert_uint_eq(MQ.dropped, 0);
    ck_assert_uint_eq(q.stray, 0);
    ck_assert_uint_eq(sk_queue_inflight(&q), 0);
    ck_assert_uint_eq(sk_queue_pending(&q), 0);
    /* 64 per drive at best */
    ck_assert_uint_le(q.drives, 10000 / 64 * 2 + 4);
    sk_queue_close(&q);
}
END_TEST

START_TEST(rt_one_drive_for_a_full_ring)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 256, 256), SK_OK);
    norder = 0;
    for (int i = 0; i < 256; i++)
        sk_op_nop(&q, &ops[i], record);
    ck_assert_uint_eq(MQ.drives, 0); /* submitting makes no system call */
    ck_assert_int_eq(sk_queue_wait(&q, SK_TIMEOUT_NEVER), SK_OK);
    ck_assert_uint_eq(MQ.drives, 1);
    ck_assert_int_eq(norder, 256);
    sk_queue_close(&q);
}
END_TEST

static uint64_t dl[2000];

static void shuffled_timers(struct sk_queue *q, int n)
{
    srand(3);
    for (int i = 0; i < n; i++)
        dl[i] = (uint64_t)i * 1000;
    for (int i = n - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        uint64_t t = dl[i];
        dl[i] = dl[j], dl[j] = t;
    }
    norder = 0;
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(sk_op_timer(q, &ops[i], dl[i], record), SK_OK);
}

START_TEST(rt_timers_in_deadline_order)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 1024, 1024), SK_OK);
    shuffled_timers(&q, 1000);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(norder, 1000);
    for (int i = 1; i < 1000; i++)
        ck_assert_uint_lt(dl[order[i - 1]], dl[order[i]]);
    sk_queue_close(&q);
}
END_TEST

/* More timers than the in-flight limit: the rest wait on the backlog, none is dropped. */
START_TEST(rt_backpressure)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 4, 8), SK_OK);
    shuffled_timers(&q, 500);
    ck_assert_uint_le(sk_queue_inflight(&q), 8);
    ck_assert_uint_eq(sk_queue_pending(&q), 500);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(norder, 500);
    ck_assert_uint_le(MQ.max_inflight, 8);
    ck_assert_uint_eq(MQ.dropped, 0);
    sk_queue_close(&q);
}
END_TEST

static sk_error_t last_err[4];
static void note_err(struct sk_op *op, const struct sk_cqe *cqe)
{
    last_err[op - ops] = cqe->error;
    order[norder++] = (int)(op - ops);
}

START_TEST(rt_cancel_in_kernel_and_on_backlog)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 2, 2), SK_OK);
    norder = 0;
    sk_op_timer(&q, &ops[0], 1000, note_err);  /* in the kernel */
    sk_op_timer(&q, &ops[1], 2000, note_err);  /* in the kernel: the limit is reached */
    sk_op_timer(&q, &ops[2], 3000, note_err);  /* backlog */
    ck_assert_uint_eq(ops[2].state, SK_OPSTATE_BACKLOG);
    ck_assert_int_eq(sk_op_cancel(&q, &ops[3], &ops[2], note_err), SK_OK);
    ck_assert_uint_eq(ops[2].state, SK_OPSTATE_LOCAL);
    ck_assert_int_eq(sk_queue_poll(&q), 2); /* no kernel involved */
    ck_assert_int_eq(last_err[2], SK_ERR_CANCELLED);
    ck_assert_int_eq(last_err[3], SK_OK);
    ck_assert_uint_eq(MQ.drives, 0);
    /* now cancel one the kernel holds */
    ck_assert_int_eq(sk_queue_flush(&q), SK_OK);
    ck_assert_int_eq(sk_op_cancel(&q, &ops[3], &ops[1], note_err), SK_OK);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(last_err[1], SK_ERR_CANCELLED);
    ck_assert_int_eq(last_err[3], SK_OK);
    ck_assert_int_eq(last_err[0], SK_OK);
    ck_assert_int_eq(sk_op_cancel(&q, &ops[3], &ops[1], note_err), SK_OK);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(last_err[3], SK_ERR_NOT_FOUND);
    sk_queue_close(&q);
}
END_TEST

START_TEST(rt_garbage_tags_are_skipped)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 8, 8), SK_OK);
    norder = 0;
    sk_op_timer(&q, &ops[0], 1000, record);
    sk_queue_flush(&q);
    mq_post(0xdeadbeefcafe0000ull, SK_OK, 0, 0);
    mq_post(0, SK_OK, 0, 0);
    mq_post((uint64_t)(uintptr_t)&ops[1], SK_OK, 0, 0); /* an op, but not a live one */
    ck_assert_int_eq(sk_queue_poll(&q), 3);
    ck_assert_uint_eq(q.stray, 3);
    ck_assert_int_eq(norder, 0);
    /* a cq_tail far ahead of cq_head: one ring's worth is read, all stray */
    MQ.h->cq_tail += 1000;
    sk_queue_poll(&q);
    ck_assert_uint_eq(sk_queue_inflight(&q), 1);
    sk_queue_close(&q);
}
END_TEST

/* Tags look like ours but are not live submissions: free entries, out of range, stale, repeated. */
START_TEST(rt_tags_checked_exactly)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 4, 4), SK_OK);
    norder = 0;
    ck_assert_int_eq(sk_op_timer(&q, &ops[0], 1000, record), SK_OK);
    ck_assert_int_eq(sk_queue_flush(&q), SK_OK);
    uint64_t live = ops[0].tag;
    ck_assert_uint_eq(live & SK_TAG_MARK, SK_TAG_MARK);
    ck_assert_uint_lt(SK_TAG_ENTRY(live), q.limit);
    mq_post(live ^ 1, SK_OK, 0, 0);                          /* the next entry: free */
    mq_post(live + 4, SK_OK, 0, 0);                          /* past the table */
    mq_post(live + (1ull << 32), SK_OK, 0, 0);               /* the right entry, wrong seq */
    mq_post(live & ~(uint64_t)SK_TAG_MARK, SK_OK, 0, 0);      /* no mark */
    ck_assert_int_eq(sk_queue_poll(&q), 4);
    ck_assert_uint_eq(q.stray, 4);
    ck_assert_int_eq(norder, 0);
    ck_assert_uint_eq(ops[0].state, SK_OPSTATE_KERNEL);
    /* the real completion (the model fires the timer when the drive would sleep), then a repeat */
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(norder, 1);
    ck_assert_uint_eq(sk_queue_inflight(&q), 0);
    mq_post(live, SK_OK, 0, 0);
    ck_assert_int_eq(sk_queue_poll(&q), 1);
    ck_assert_uint_eq(q.stray, 5);
    /* submitted again, the op gets a new tag; its old one stays dead */
    ck_assert_int_eq(sk_op_timer(&q, &ops[0], 1000, record), SK_OK);
    ck_assert_uint_ne(ops[0].tag, live);
    ck_assert_int_eq(sk_queue_flush(&q), SK_OK);
    mq_post(live, SK_OK, 0, 0);
    ck_assert_int_eq(sk_queue_poll(&q), 1);
    ck_assert_uint_eq(q.stray, 6);
    ck_assert_uint_eq(ops[0].state, SK_OPSTATE_KERNEL);
    /* every entry in use at once, each tag distinct, all come back */
    for (int i = 1; i < 4; i++)
        ck_assert_int_eq(sk_op_timer(&q, &ops[i], 1000 + (uint64_t)i, record), SK_OK);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(SK_TAG_ENTRY(ops[i].tag), SK_TAG_ENTRY(ops[j].tag));
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(norder, 5);
    ck_assert_uint_eq(q.stray, 6);
    ck_assert_uint_eq(sk_queue_inflight(&q), 0);
    sk_queue_close(&q);
}
END_TEST

/* A program that rewrites the dispatcher's own indices loses completions, never memory safety
   (ASan watches the tag table here). */
START_TEST(rt_rewritten_indices_stay_in_bounds)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 4, 4), SK_OK);
    norder = 0;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(sk_op_timer(&q, &ops[i], 1000, record), SK_OK);
    q.sq_tail -= 100; /* in-flight count and credit now mean nothing */
    for (int i = 2; i < 40; i++)
        ck_assert_int_eq(sk_op_nop(&q, &ops[i], record), SK_OK);
    for (int round = 0; round < 8; round++) {
        sk_queue_wait(&q, 0);
        q.cq_head += 3;
        sk_queue_poll(&q);
    }
    sk_queue_close(&q);
    for (int i = 0; i < 40; i++)
        ck_assert_uint_eq(ops[i].state, SK_OPSTATE_IDLE);
}
END_TEST

/* A busy op is refused without touching it; cancelling an op of another queue finds nothing. */
START_TEST(rt_busy_ops_untouched_and_foreign_cancel)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 4, 4), SK_OK);
    norder = 0;
    ck_assert_int_eq(sk_op_timer(&q, &ops[0], 1000, note_err), SK_OK);
    uint64_t tag = ops[0].tag;
    ck_assert_int_eq(sk_op_nop(&q, &ops[0], record), SK_ERR_BUSY);
    ck_assert_int_eq(sk_op_timer(&q, &ops[0], 5, record), SK_ERR_BUSY);
    ck_assert_int_eq(sk_op_submit(&q, &ops[0], SK_OP_nop, record, 1, 2, 3, 4), SK_ERR_BUSY);
    ck_assert_ptr_eq(ops[0].done, note_err);
    ck_assert_uint_eq(ops[0].opcode, SK_OP_clock_await);
    ck_assert_uint_eq(ops[0].args[0], 1000);
    ck_assert_uint_eq(ops[0].tag, tag);
    /* an op that was never submitted, or belongs to another queue, has no tag here */
    struct sk_queue other = {0};
    ops[1] = (struct sk_op){.queue = &other, .state = SK_OPSTATE_KERNEL, .tag = tag};
    ck_assert_int_eq(sk_op_cancel(&q, &ops[2], &ops[1], note_err), SK_OK);
    ck_assert_int_eq(sk_queue_flush(&q), SK_OK);
    ck_assert_int_eq(sk_queue_poll(&q), 1);
    ck_assert_int_eq(last_err[2], SK_ERR_NOT_FOUND);
    ck_assert_uint_eq(ops[0].state, SK_OPSTATE_KERNEL);
    ops[1] = (struct sk_op){0};
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(last_err[0], SK_OK);
    sk_queue_close(&q);
}
END_TEST

struct chain {
    struct sk_op op;
    int step;
    int trace[8];
};

static void chain_step(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct chain *c = SK_OP_CONTAINER(op, struct chain, op);
    ck_assert_int_eq(cqe->error, SK_OK);
    c->trace[c->step] = (int)op->opcode;
    switch (c->step++) {
    case 0:
        sk_op_timer(op->queue, op, 5000, chain_step);
        break;
    case 1:
        sk_op_nop(op->queue, op, chain_step);
        break;
    case 2:
        sk_op_sleep(op->queue, op, 100, chain_step);
        break;
    default:
        break; /* done */
    }
}

START_TEST(rt_chain_of_steps)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 0, 0), SK_OK);
    struct chain c = {.step = 0};
    sk_op_nop(&q, &c.op, chain_step);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(c.step, 4);
    ck_assert_int_eq(c.trace[0], SK_OP_nop);
    ck_assert_int_eq(c.trace[1], SK_OP_clock_await);
    ck_assert_int_eq(c.trace[2], SK_OP_nop);
    ck_assert_int_eq(c.trace[3], SK_OP_clock_await);
    sk_queue_close(&q);
}
END_TEST

static uint64_t seen_counts[16], seen_bits[16];
static sk_error_t seen_err[16];
static int nseen;

static void on_event(struct sk_event_watch *w, sk_error_t e, uint64_t count, uint64_t bits)
{
    (void)w;
    seen_err[nseen] = e, seen_counts[nseen] = count, seen_bits[nseen] = bits;
    nseen++;
}

START_TEST(rt_event_watch)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 0, 0), SK_OK);
    sk_handle_t ev;
    ck_assert_int_eq(sk_event_create(SK_EVENT_BITSET, &ev), SK_OK);
    struct sk_event_watch w;
    nseen = 0;
    ck_assert_int_eq(sk_event_watch_start(&q, &w, ev, 0, on_event), SK_OK);
    sk_queue_flush(&q);
    sk_event_raise(ev, 1);
    sk_event_raise(ev, 4);
    ck_assert_int_eq(sk_queue_wait(&q, 0), SK_OK);
    ck_assert_int_eq(nseen, 1); /* the first raise completed it; the re-armed wait sees the second */
    ck_assert_uint_eq(seen_counts[0], 1);
    ck_assert_uint_eq(seen_bits[0], 1);
    ck_assert_int_eq(sk_queue_wait(&q, 0), SK_OK);
    ck_assert_int_eq(nseen, 2);
    ck_assert_uint_eq(seen_counts[1], 2);
    ck_assert_uint_eq(seen_bits[1], 5);
    sk_queue_flush(&q);
    sk_event_raise(ev, 8);
    sk_queue_wait(&q, 0);
    ck_assert_int_eq(nseen, 3);
    ck_assert_uint_eq(seen_counts[2], 3);
    ck_assert_int_eq(sk_event_watch_stop(&w), SK_OK);
    ck_assert_int_eq(sk_queue_run(&q), SK_OK);
    ck_assert_int_eq(nseen, 4);
    ck_assert_int_eq(seen_err[3], SK_ERR_CANCELLED);
    ck_assert_int_eq(sk_event_watch_stop(&w), SK_ERR_NOT_FOUND);
    ck_assert_uint_eq(sk_queue_pending(&q), 0);
    sk_queue_close(&q);
}
END_TEST

START_TEST(rt_submit_busy_op_refused)
{
    reset();
    struct sk_queue q;
    ck_assert_int_eq(sk_queue_open(&q, 0, 0), SK_OK);
    sk_op_timer(&q, &ops[0], 10, record);
    ck_assert_int_eq(sk_queue_submit(&q, &ops[0]), SK_ERR_BUSY);
    norder = 0;
    sk_queue_run(&q);
    ck_assert_int_eq(norder, 1);
    sk_queue_close(&q);
}
END_TEST

Suite *suite_queue_rt(void)
{
    Suite *s = suite_create("queue_rt");
    unit_add(s, rt_nops_in_order_batched);
    unit_add(s, rt_one_drive_for_a_full_ring);
    unit_add(s, rt_timers_in_deadline_order);
    unit_add(s, rt_backpressure);
    unit_add(s, rt_cancel_in_kernel_and_on_backlog);
    unit_add(s, rt_garbage_tags_are_skipped);
    unit_add(s, rt_tags_checked_exactly);
    unit_add(s, rt_rewritten_indices_stay_in_bounds);
    unit_add(s, rt_busy_ops_untouched_and_foreign_cancel);
    unit_add(s, rt_chain_of_steps);
    unit_add(s, rt_event_watch);
    unit_add(s, rt_submit_busy_op_refused);
    return s;
}
