/*
 * test-qcore: the queue protocol at the level of the raw ABI (include/skoll/queue.h),
 * without the runtime: rings, tags, errors as completions, timers, events,
 * cancellation, the in-flight limit and a lying cq_head.
 */
#include <sk/test.h>

struct rawq {
    sk_handle_t h;
    struct sk_queue_header *hdr;
    struct sk_sqe *sq;
    struct sk_cqe *cq;
};

static sk_error_t rawq_open(struct rawq *q, uint32_t sq, uint32_t cq)
{
    struct sk_queue_params p = {.sq_entries = sq, .cq_entries = cq};
    sk_error_t e = sk_queue_create(&p, &q->h);
    if (e)
        return e;
    uint64_t a;
    e = sk_space_map(SK_THIS_SPACE, p.memory, 0, 0, p.size, SK_PROT_READ | SK_PROT_WRITE, &a);
    sk_handle_close(p.memory);
    if (e)
        return e;
    q->hdr = (struct sk_queue_header *)a;
    q->sq = (struct sk_sqe *)(a + q->hdr->sq_offset);
    q->cq = (struct sk_cqe *)(a + q->hdr->cq_offset);
    return SK_OK;
}

static void put(struct rawq *q, uint32_t op, uint64_t tag, uint64_t a0, uint64_t a1)
{
    uint32_t t = q->hdr->sq_tail;
    struct sk_sqe *e = &q->sq[t & (q->hdr->sq_entries - 1)];
    *e = (struct sk_sqe){.opcode = op, .tag = tag, .args = {a0, a1}};
    __atomic_store_n(&q->hdr->sq_tail, t + 1, __ATOMIC_RELEASE);
}

/* Take the next completion if there is one. */
static int get(struct rawq *q, struct sk_cqe *out)
{
    uint32_t h = q->hdr->cq_head;
    if (h == __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_ACQUIRE))
        return 0;
    *out = q->cq[h & (q->hdr->cq_entries - 1)];
    __atomic_store_n(&q->hdr->cq_head, h + 1, __ATOMIC_RELEASE);
    return 1;
}

static uint64_t now(void)
{
    uint64_t t;
    sk_clock_get(&t);
    return t;
}

SK_TEST(nops_and_errors_complete_with_their_tags)
{
    struct rawq q;
    SK_ASSERT_OK(rawq_open(&q, 16, 16));
    put(&q, SK_OP_nop, 11, 0, 0);
    put(&q, 999, 12, 0, 0);                /* unknown opcode */
    put(&q, SK_OP_event_await, 13, 0x7777, 0); /* bad handle */
    uint64_t n;
    SK_ASSERT_OK(sk_queue_drive(q.h, 3, SK_TIMEOUT_NEVER, &n));
    SK_EXPECT_EQ(n, 3);
    struct sk_cqe c;
    SK_ASSERT(get(&q, &c));
    SK_EXPECT_EQ(c.tag, 11);
    SK_EXPECT_EQ(c.error, SK_OK);
    SK_ASSERT(get(&q, &c));
    SK_EXPECT_EQ(c.tag, 12);
    SK_EXPECT_EQ(c.error, SK_ERR_UNSUPPORTED);
    SK_ASSERT(get(&q, &c));
    SK_EXPECT_EQ(c.tag, 13);
    SK_EXPECT_EQ(c.error, SK_ERR_BAD_HANDLE);
    SK_EXPECT(!get(&q, &c));
    SK_EXPECT_OK(sk_handle_close(q.h));
}

SK_TEST(timers_events_cancel)
{
    struct rawq q;
    SK_ASSERT_OK(rawq_open(&q, 16, 16));
    sk_handle_t ev;
    SK_ASSERT_OK(sk_event_create(SK_EVENT_BITSET, &ev));
    uint64_t t0 = now();
    put(&q, SK_OP_clock_await, 1, t0 + 30000000, 0);
    put(&q, SK_OP_clock_await, 2, t0 + 10000000, 0);
    put(&q, SK_OP_event_await, 3, (uint64_t)ev, 0);
    put(&q, SK_OP_clock_await, 4, t0 + 3600000000000ull, 0); /* an hour: to be cancelled */
    SK_ASSERT_OK(sk_queue_drive(q.h, 0, 0, NULL));
    uint64_t armed = now(); /* the kernel has the timers */
    put(&q, SK_OP_cancel, 5, 4, 0);
    SK_ASSERT_OK(sk_event_raise(ev, 0x5));
    uint64_t order[5], vals[6] = {0};
    int errs[6] = {0}, got = 0;
    while (got < 5) { /* (a timer that never fires or a cancel that fails hangs here) */
        SK_ASSERT_OK(sk_queue_drive(q.h, 1, SK_TIMEOUT_NEVER, NULL));
        struct sk_cqe c;
        while (get(&q, &c)) {
            SK_ASSERT(c.tag >= 1 && c.tag <= 5);
            order[got++] = c.tag;
            vals[c.tag] = c.value;
            errs[c.tag] = c.error;
        }
    }
    /* The 10 ms timer before the 30 ms one, if it was still due when the kernel took it (a
       timer already due fires as it is armed, and the 30 ms one was armed first; the rest
       may interleave). Never early: the value is the kernel's clock when each fired. */
    int pos1 = -1, pos2 = -1;
    for (int i = 0; i < 5; i++) {
        if (order[i] == 1)
            pos1 = i;
        if (order[i] == 2)
            pos2 = i;
    }
    SK_EXPECT(pos1 >= 0 && pos2 >= 0);
    if (armed < t0 + 10000000)
        SK_EXPECT(pos1 > pos2);
    SK_EXPECT(vals[2] >= t0 + 10000000);
    SK_EXPECT(vals[1] >= t0 + 30000000);
    SK_EXPECT_EQ(errs[3], SK_OK);
    SK_EXPECT_EQ(vals[3], 1); /* count after one raise */
    SK_EXPECT_EQ(errs[4], SK_ERR_CANCELLED);
    SK_EXPECT_EQ(errs[5], SK_OK);
    SK_EXPECT_OK(sk_handle_close(ev));
    SK_EXPECT_OK(sk_handle_close(q.h));
}

SK_TEST(in_flight_limit_and_lying_cq_head)
{
    struct rawq q;
    SK_ASSERT_OK(rawq_open(&q, 8, 8));
    /* eight timers far away fill the in-flight limit; a ninth waits in the SQ */
    uint64_t far = now() + 60000000000ull;
    for (int i = 0; i < 8; i++)
        put(&q, SK_OP_clock_await, 100 + i, far, 0);
    uint64_t n;
    SK_ASSERT_OK(sk_queue_drive(q.h, 0, 0, &n));
    SK_EXPECT_EQ(n, 8);
    put(&q, SK_OP_nop, 200, 0, 0);
    SK_ASSERT_OK(sk_queue_drive(q.h, 0, 0, &n));
    SK_EXPECT_EQ(n, 0);
    SK_EXPECT(q.hdr->dropped > 0);
    /* a lying cq_head: the kernel takes the CQ for full and keeps completions back */
    q.hdr->cq_head = 0x80000000u;
    q.hdr->sq_tail = q.hdr->sq_tail + 1000; /* and a lying sq_tail: nothing is submitted */
    SK_EXPECT_OK(sk_queue_drive(q.h, 0, 0, &n));
    SK_EXPECT_EQ(n, 0);
    /* closing the queue cancels the timers and frees everything (checked by no_page_leak) */
    SK_EXPECT_OK(sk_handle_close(q.h));
}

SK_TEST(alert_wakes_a_drive)
{
    struct rawq q;
    SK_ASSERT_OK(rawq_open(&q, 4, 4));
    SK_EXPECT_OK(sk_queue_alert(q.h));
    /* no time limit: a drive the alert does not end waits for ever (the runner's timeout) */
    SK_EXPECT_ERR(sk_queue_drive(q.h, 1, SK_TIMEOUT_NEVER, NULL), SK_ERR_ALERTED);
    SK_EXPECT_ERR(sk_queue_drive(q.h, 1, 2000000, NULL), SK_ERR_TIMEOUT); /* (used up) */
    SK_EXPECT_OK(sk_handle_close(q.h));
}

/* The batching case: 10,000 operations handed over with one system call. */
SK_TEST(ten_thousand_nops_one_drive)
{
    enum { N = 10000 };
    struct rawq q;
    SK_ASSERT_OK(rawq_open(&q, 16384, 16384));
    for (uint64_t i = 0; i < N; i++)
        put(&q, SK_OP_nop, 0x5000000 + i, 0, 0);
    struct sk_thread_stats before, after;
    SK_ASSERT_OK(sk_thread_stats(SK_THIS_THREAD, &before));
    uint64_t n;
    SK_ASSERT_OK(sk_queue_drive(q.h, 0, 0, &n));
    SK_EXPECT_EQ(n, N);
    /* reading every completion costs no system call */
    struct sk_cqe c;
    uint64_t got = 0, bad = 0;
    while (get(&q, &c)) {
        bad += c.tag != 0x5000000 + got || c.error != SK_OK;
        got++;
    }
    SK_ASSERT_OK(sk_thread_stats(SK_THIS_THREAD, &after));
    SK_EXPECT_EQ(got, N);
    SK_EXPECT_EQ(bad, 0);
    SK_EXPECT_EQ(after.syscalls - before.syscalls, 2); /* the drive and the second stats call */
    SK_EXPECT_OK(sk_handle_close(q.h));
}

SK_TEST_MAIN()
