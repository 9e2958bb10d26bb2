/*
 * test-ipc: streams and actions (docs/ipc.md) against the real kernel, within
 * one process: every compatible pair and every mismatch, size limits on each
 * path (inline, buffer, multi-page, scatter-gather, result budget), malformed
 * chains, rights, hang-up and shutdown at each phase of a request, nested
 * ancillary chains, a memory object pushed, pulled, mapped and written
 * through, credentials, and cancellation. Many concurrent requests and the
 * hostile client are in test-ipc-load.
 */
#include <sk/test.h>
#include <sk/ipc.h>
#include <sk/spawn.h>

static struct sk_queue Q;

/* One submission and its completion. */
struct sub {
    struct sk_op op;
    struct sk_action acts[SK_IPC_MAX_ACTIONS];
    unsigned n;
    int done;
    struct sk_cqe cqe;
};

static void sub_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sub *s = SK_OP_CONTAINER(op, struct sub, op);
    s->cqe = *cqe;
    s->done = 1;
}

static void post(struct sub *s, sk_handle_t lane)
{
    s->done = 0;
    sk_error_t e = sk_op_ipc(&Q, &s->op, lane, s->acts, s->n, sub_done);
    if (e != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "sk_op_ipc: %s", sk_error_name(e));
    sk_queue_flush(&Q);
}

/*
 * Drive the queue until s has completed; 0 only if it was never submitted. No time limit:
 * a completion that never comes hangs the test, which the runner reports (a loaded host may
 * stall the guest for any length of time, so no limit would tell a hang from slowness).
 */
static int settle(struct sub *s)
{
    while (!s->done && s->op.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
    return s->done;
}

/* Let the queue run briefly: whatever completes, completes. A check after it that something
   completed relies on the completion being posted by the submitting call itself (both sides
   in this process, the peer waiting), not on the wait; one that nothing completed is only
   the stronger for a longer wait. */
static void spin(void)
{
    for (int i = 0; i < 4; i++)
        sk_queue_wait(&Q, 1000000);
}

static sk_error_t res(struct sub *s, unsigned i)
{
    const struct sk_ipc_result *r = sk_ipc_result(&s->cqe, s->acts, s->n, i);
    return r ? (sk_error_t)r->error : (sk_error_t)-1;
}

static const struct sk_ipc_result *rec(struct sub *s, unsigned i)
{
    return sk_ipc_result(&s->cqe, s->acts, s->n, i);
}

static void stream(sk_handle_t l[2])
{
    if (sk_stream_create(0, 0, l) != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "stream_create");
}

static void closes(sk_handle_t l[2])
{
    sk_handle_close(l[0]);
    sk_handle_close(l[1]);
}

#define ONE(s, act) ((s).acts[0] = (act), (s).n = 1)

/* ---- pairs ----------------------------------------------------------------------- */

SK_TEST(send_recv_inline_both_orders)
{
    for (int order = 0; order < 2; order++) {
        sk_handle_t l[2];
        stream(l);
        static const char msg[] = "hello, lane";
        struct sub a = {0}, b = {0};
        ONE(a, SK_ACT_SEND(0, msg, sizeof msg));
        ONE(b, SK_ACT_RECV_INLINE(0, 64));
        if (order) {
            post(&b, l[1]);
            post(&a, l[0]);
        } else {
            post(&a, l[0]);
            post(&b, l[1]);
        }
        SK_ASSERT(settle(&a) && settle(&b));
        SK_EXPECT_EQ(a.cqe.error, SK_OK);
        SK_EXPECT_EQ(b.cqe.error, SK_OK);
        SK_EXPECT_EQ(b.cqe.value, 1);
        const struct sk_ipc_result *r = rec(&b, 0);
        SK_ASSERT(r != NULL);
        SK_EXPECT_EQ(r->length, sizeof msg);
        SK_EXPECT(memcmp(sk_ipc_payload(r), msg, sizeof msg) == 0);
        closes(l);
    }
}

SK_TEST(send_recv_buffer_sizes_and_orders)
{
    static uint8_t src[3 * 4096 + 123], dst[3 * 4096 + 124];
    static const uint64_t sizes[] = {0, 1, 100, 128, 129, 4096, 4097, sizeof src};
    for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int order = 0; order < 2; order++) {
            uint64_t n = sizes[k];
            for (uint64_t i = 0; i < n; i++)
                src[i] = (uint8_t)(i * 7 + k + order);
            memset(dst, 0xee, sizeof dst);
            sk_handle_t l[2];
            stream(l);
            struct sub a = {0}, b = {0};
            ONE(a, SK_ACT_SEND(0, src, n));
            ONE(b, SK_ACT_RECV(0, dst, sizeof src));
            if (order) {
                post(&b, l[1]);
                post(&a, l[0]);
            } else {
                post(&a, l[0]);
                post(&b, l[1]);
            }
            SK_ASSERT(settle(&a) && settle(&b));
            SK_EXPECT_EQ(res(&a, 0), SK_OK);
            SK_EXPECT_EQ(res(&b, 0), SK_OK);
            SK_EXPECT_EQ(rec(&b, 0)->length, n);
            SK_EXPECT(memcmp(src, dst, n) == 0);
            SK_EXPECT_EQ(dst[n], 0xee);
            closes(l);
        }
    }
}

SK_TEST(send_sg_gathers)
{
    static uint8_t big[5000], out[8192];
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ 0x5a);
    static const char p1[] = "abc", p2[] = "defgh";
    struct sk_iovec small[3] = {{(uint64_t)p1, 3}, {0, 0}, {(uint64_t)p2, 5}};
    struct sk_iovec large[3] = {{(uint64_t)p1, 3}, {(uint64_t)big, sizeof big}, {(uint64_t)p2, 5}};
    /* small total: into the completion record */
    sk_handle_t l[2];
    stream(l);
    struct sub a = {0}, b = {0};
    ONE(a, SK_ACT_SEND_SG(0, small, 3));
    ONE(b, SK_ACT_RECV_INLINE(0, 8));
    post(&a, l[0]);
    post(&b, l[1]);
    SK_ASSERT(settle(&a) && settle(&b));
    SK_EXPECT_EQ(res(&b, 0), SK_OK);
    SK_EXPECT_EQ(rec(&b, 0)->length, 8);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&b, 0)), "abcdefgh", 8) == 0);
    /* large total: into a buffer, receiver first */
    ONE(a, SK_ACT_SEND_SG(0, large, 3));
    ONE(b, SK_ACT_RECV(0, out, sizeof out));
    post(&b, l[1]);
    post(&a, l[0]);
    SK_ASSERT(settle(&a) && settle(&b));
    SK_EXPECT_EQ(res(&a, 0), SK_OK);
    SK_EXPECT_EQ(res(&b, 0), SK_OK);
    SK_EXPECT_EQ(rec(&b, 0)->length, 3 + sizeof big + 5);
    SK_EXPECT(memcmp(out, "abc", 3) == 0 && memcmp(out + 3, big, sizeof big) == 0 &&
              memcmp(out + 3 + sizeof big, "defgh", 5) == 0);
    closes(l);
}

SK_TEST(offer_accept_with_lanes)
{
    sk_handle_t l[2];
    stream(l);
    struct sub a = {0}, b = {0};
    ONE(a, SK_ACT_OFFER(SK_ACTF_WANT_LANE));
    ONE(b, SK_ACT_ACCEPT(SK_ACTF_WANT_LANE));
    post(&a, l[0]);
    post(&b, l[1]);
    SK_ASSERT(settle(&a) && settle(&b));
    sk_handle_t x = sk_ipc_handle(rec(&a, 0)), y = sk_ipc_handle(rec(&b, 0));
    SK_ASSERT(x > 0 && y > 0 && x != y);
    /* the new stream works, in both directions */
    struct sub c = {0}, d = {0};
    ONE(c, SK_ACT_SEND(0, "ping", 4));
    ONE(d, SK_ACT_RECV_INLINE(0, 8));
    post(&c, y);
    post(&d, x);
    SK_ASSERT(settle(&c) && settle(&d));
    SK_EXPECT_EQ(res(&d, 0), SK_OK);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&d, 0)), "ping", 4) == 0);
    sk_handle_close(x);
    sk_handle_close(y);
    closes(l);
}

SK_TEST(push_pull_memory_mapped_and_written)
{
    sk_handle_t l[2], mem, got;
    stream(l);
    SK_ASSERT_OK(sk_memory_create(4096, 0, &mem));
    struct sub a = {0}, b = {0};
    uint32_t keep = SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP;
    ONE(a, sk_act_push(0, mem, keep | SK_RIGHT_DUPLICATE));
    ONE(b, sk_act_pull(0, keep));
    post(&a, l[0]);
    post(&b, l[1]);
    SK_ASSERT(settle(&a) && settle(&b));
    SK_EXPECT_EQ(res(&a, 0), SK_OK);
    SK_ASSERT(res(&b, 0) == SK_OK);
    got = sk_ipc_handle(rec(&b, 0));
    SK_ASSERT(got > 0 && got != mem);
    uint64_t info = 0;
    SK_ASSERT_OK(sk_handle_info(got, &info));
    SK_EXPECT_EQ(info >> 32, keep | SK_RIGHT_DUPLICATE);
    SK_EXPECT_EQ((uint32_t)info, SK_OBJ_MEMORY);
    uint64_t p = 0, q = 0;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, got, 0, 0, 4096, SK_PROT_READ | SK_PROT_WRITE, &p));
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, mem, 0, 0, 4096, SK_PROT_READ, &q));
    *(volatile uint64_t *)p = 0x1234abcd;
    SK_EXPECT_EQ(*(volatile uint64_t *)q, 0x1234abcd);
    sk_space_unmap(SK_THIS_SPACE, p, 4096);
    sk_space_unmap(SK_THIS_SPACE, q, 4096);
    sk_handle_close(got);
    /* rights only shrink: a pull that needs more than was pushed fails both */
    ONE(a, sk_act_push(0, mem, SK_RIGHT_READ | SK_RIGHT_MAP));
    ONE(b, sk_act_pull(0, SK_RIGHT_WRITE));
    post(&a, l[0]);
    post(&b, l[1]);
    SK_ASSERT(settle(&a) && settle(&b));
    SK_EXPECT_EQ(res(&a, 0), SK_ERR_NO_RIGHTS);
    SK_EXPECT_EQ(res(&b, 0), SK_ERR_NO_RIGHTS);
    /* a handle without TRANSFER cannot be pushed: the submission fails as a whole */
    sk_handle_t nt;
    SK_ASSERT_OK(sk_handle_dup(mem, SK_RIGHT_READ, &nt));
    ONE(a, sk_act_push(0, nt, SK_RIGHTS_ALL));
    post(&a, l[0]);
    SK_ASSERT(settle(&a));
    SK_EXPECT_EQ(a.cqe.error, SK_ERR_NO_RIGHTS);
    SK_EXPECT_EQ(a.cqe.value, 0);
    sk_handle_close(nt);
    sk_handle_close(mem);
    closes(l);
}

/* ---- credentials -------------------------------------------------------------------- */

static sk_handle_t cred_lane;
static volatile int cred_status;

static void imbued(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    cred_status = cqe->error;
}

static int imbuer(void *arg)
{
    (void)arg;
    struct sk_queue q;
    if (sk_queue_open(&q, 4, 8) != SK_OK)
        return 1;
    struct sk_action act = sk_act_imbue(0, 0);
    struct sk_op op = {0};
    sk_op_ipc(&q, &op, cred_lane, &act, 1, imbued);
    while (cred_status == -2 && op.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&q, SK_TIMEOUT_NEVER);
    sk_queue_close(&q);
    return 0;
}

SK_TEST(credentials_identify_the_sender)
{
    sk_handle_t l[2];
    stream(l);
    cred_lane = l[0];
    struct sk_thread *t;
    cred_status = -2;
    struct sub b = {0};
    ONE(b, SK_ACT_EXTRACT(0));
    post(&b, l[1]);
    SK_ASSERT_OK(sk_thread_spawn(imbuer, NULL, 0, &t));
    SK_ASSERT(settle(&b));
    uint8_t want[16], mine[16];
    SK_ASSERT_OK(sk_credentials_get(sk_thread_handle(t), want));
    SK_ASSERT_OK(sk_credentials_get(SK_THIS_THREAD, mine));
    sk_thread_join(t);
    SK_EXPECT_EQ(cred_status, SK_OK);
    SK_ASSERT(res(&b, 0) == SK_OK);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&b, 0)), want, 16) == 0);
    SK_EXPECT(memcmp(want, mine, 16) != 0);
    /* a token's credentials */
    sk_handle_t tok;
    uint8_t tc[16];
    SK_ASSERT_OK(sk_token_create(&tok));
    SK_ASSERT_OK(sk_credentials_get(tok, tc));
    SK_EXPECT(memcmp(tc, mine, 16) != 0);
    struct sub a = {0};
    ONE(a, sk_act_imbue(0, tok));
    post(&a, l[0]);
    post(&b, l[1]);
    SK_ASSERT(settle(&a) && settle(&b));
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&b, 0)), tc, 16) == 0);
    closes(l);
    /* a stream that carries credentials sends them whoever imbues, offered streams too */
    SK_ASSERT_OK(sk_stream_create(SK_STREAM_CREDENTIALS, tok, l));
    struct sub c = {0}, d = {0};
    c.acts[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c.acts[1] = sk_act_imbue(0, 0);
    c.n = 2;
    d.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY);
    d.acts[1] = SK_ACT_EXTRACT(0);
    d.n = 2;
    post(&c, l[0]);
    post(&d, l[1]);
    SK_ASSERT(settle(&c) && settle(&d));
    SK_ASSERT(res(&d, 1) == SK_OK);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&d, 1)), tc, 16) == 0);
    sk_handle_close(tok);
    closes(l);
}

/* ---- dismiss and mismatches ------------------------------------------------------------ */

static struct sk_action make(unsigned type, void *buf, sk_handle_t h)
{
    switch (type) {
    case SK_ACT_send:
        return SK_ACT_SEND(0, buf, 8);
    case SK_ACT_send_sg:
        return SK_ACT_SEND_SG(0, NULL, 0);
    case SK_ACT_recv:
        return SK_ACT_RECV(0, buf, 64);
    case SK_ACT_recv_inline:
        return SK_ACT_RECV_INLINE(0, 16);
    case SK_ACT_push:
        return sk_act_push(0, h, SK_RIGHTS_ALL);
    case SK_ACT_pull:
        return sk_act_pull(0, 0);
    case SK_ACT_imbue:
        return sk_act_imbue(0, 0);
    default:
        return sk_act((uint16_t)type, 0, NULL, 0);
    }
}

static int compatible(unsigned a, unsigned b)
{
#define PAIR(x, y) ((a == SK_ACT_##x && b == SK_ACT_##y) || (a == SK_ACT_##y && b == SK_ACT_##x))
    return PAIR(offer, accept) || PAIR(send, recv) || PAIR(send, recv_inline) ||
           PAIR(send_sg, recv) || PAIR(send_sg, recv_inline) || PAIR(push, pull) ||
           PAIR(imbue, extract);
#undef PAIR
}

SK_TEST(every_pair_matches_or_mismatches)
{
    static uint8_t buf1[64], buf2[64];
    sk_handle_t mem;
    SK_ASSERT_OK(sk_memory_create(4096, 0, &mem));
    unsigned checked = 0;
    for (unsigned x = 1; x < SK_ACT_LIMIT; x++) {
        for (unsigned y = 1; y < SK_ACT_LIMIT; y++) {
            if (x == SK_ACT_recv_ring || y == SK_ACT_recv_ring) {
                checked++; /* (a ring stands: ring_takes_each_partner_as_a_record) */
                continue;
            }
            sk_handle_t l[2];
            stream(l);
            struct sub a = {0}, b = {0};
            ONE(a, make(x, buf1, mem));
            ONE(b, make(y, buf2, mem));
            post(&a, l[0]);
            post(&b, l[1]);
            if (!settle(&a) || !settle(&b)) {
                sk_test_fail(__FILE__, __LINE__, "actions %u/%u did not complete", x, y);
                return;
            }
            sk_error_t ea = res(&a, 0), eb = res(&b, 0), wa, wb;
            if (x == SK_ACT_dismiss || y == SK_ACT_dismiss) {
                wa = x == SK_ACT_dismiss ? SK_OK : SK_ERR_DISMISSED;
                wb = y == SK_ACT_dismiss ? SK_OK : SK_ERR_DISMISSED;
            } else {
                wa = wb = compatible(x, y) ? SK_OK : SK_ERR_MISMATCH;
            }
            if (ea != wa || eb != wb)
                sk_test_fail(__FILE__, __LINE__, "actions %u/%u gave %s/%s, want %s/%s", x, y,
                             sk_error_name(ea), sk_error_name(eb), sk_error_name(wa),
                             sk_error_name(wb));
            if (x == SK_ACT_pull && ea == SK_OK)
                sk_handle_close(sk_ipc_handle(rec(&a, 0)));
            if (y == SK_ACT_pull && eb == SK_OK)
                sk_handle_close(sk_ipc_handle(rec(&b, 0)));
            closes(l);
            checked++;
        }
    }
    SK_EXPECT_EQ(checked, (SK_ACT_LIMIT - 1) * (SK_ACT_LIMIT - 1));
    sk_handle_close(mem);
}

/* ---- receive rings ---------------------------------------------------------------------- */

static void ignore(struct sk_op *op, const struct sk_cqe *cqe);

static void ring_post(struct sub *s, struct sk_ring *r, sk_handle_t lane)
{
    ONE(*s, sk_act_recv_ring(0, r));
    post(s, lane);
}

static void cancel_sub(struct sub *s)
{
    static struct sk_op cancel;
    spin(); /* (an earlier cancel's own completion) */
    if (sk_op_cancel(&Q, &cancel, &s->op, ignore) != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "sk_op_cancel");
}

/* The record sk_ring_next finds next must be (err, the len bytes of want); consume it. */
static int ring_expect(struct sk_ring *r, sk_error_t err, const void *want, uint32_t len)
{
    const struct sk_ipc_result *rec = sk_ring_next(r);
    if (!rec || rec->error != (int32_t)err || rec->length != len ||
        (len && memcmp(sk_ipc_payload(rec), want, len) != 0))
        return 0;
    sk_ring_consume(r, rec);
    return 1;
}

/*
 * A ring against every action, both orders: a small send becomes a record with its
 * bytes (the send succeeds, the ring stands), a dismiss ends the ring, anything else
 * fails both with a mismatch (no record); a cancel ends a ring that stands.
 */
SK_TEST(ring_takes_each_partner_as_a_record)
{
    static uint8_t buf2[64] = "ring message";
    sk_handle_t mem;
    SK_ASSERT_OK(sk_memory_create(4096, 0, &mem));
    struct sk_ring ring, ring2;
    SK_ASSERT_OK(sk_ring_create(&ring, 8192));
    SK_ASSERT_OK(sk_ring_create(&ring2, 4096));
    for (unsigned y = 1; y < SK_ACT_LIMIT; y++) {
        for (int order = 0; order < 2; order++) {
            sk_handle_t l[2];
            stream(l);
            struct sub r = {0}, p = {0};
            if (y == SK_ACT_recv_ring)
                ONE(p, sk_act_recv_ring(0, &ring2));
            else
                ONE(p, make(y, buf2, mem));
            if (order) {
                post(&p, l[0]);
                ring_post(&r, &ring, l[1]);
            } else {
                ring_post(&r, &ring, l[1]);
                post(&p, l[0]);
            }
            spin();
            if (y == SK_ACT_dismiss) {
                SK_EXPECT(r.done && p.done);
                SK_EXPECT_EQ(res(&r, 0), SK_ERR_DISMISSED);
                SK_EXPECT_EQ(res(&p, 0), SK_OK);
            } else if (y == SK_ACT_send || y == SK_ACT_send_sg) {
                SK_EXPECT(p.done && !r.done);
                SK_EXPECT_EQ(res(&p, 0), SK_OK);
                SK_EXPECT(y == SK_ACT_send ? ring_expect(&ring, SK_OK, buf2, 8)
                                           : ring_expect(&ring, SK_OK, NULL, 0));
            } else {
                SK_EXPECT(p.done && r.done);
                SK_EXPECT_EQ(res(&p, 0), SK_ERR_MISMATCH);
                SK_EXPECT_EQ(res(&r, 0), SK_ERR_MISMATCH);
            }
            SK_EXPECT(sk_ring_next(&ring) == NULL && sk_ring_next(&ring2) == NULL);
            if (!r.done) {
                cancel_sub(&r);
                SK_ASSERT(settle(&r));
                SK_EXPECT_EQ(res(&r, 0), SK_ERR_CANCELLED);
            }
            if (y == SK_ACT_pull && res(&p, 0) == SK_OK)
                sk_handle_close(sk_ipc_handle(rec(&p, 0)));
            closes(l);
        }
    }
    sk_ring_destroy(&ring);
    sk_ring_destroy(&ring2);
    sk_handle_close(mem);
}

/*
 * A full ring ends its posting (SK_OK, the records it wrote) and the sends that do not
 * fit wait; read and posted again, it takes them, wrapping round the data area. 30-byte
 * messages make 40-byte records: 100 fit in a 4 KiB ring (4,032 data bytes, 8 kept free).
 */
SK_TEST(ring_full_ends_the_posting_and_sends_wait)
{
    enum { CHAINS = 9, PER = 16, LEN = 30 };
    static uint8_t msg[CHAINS * PER][LEN];
    static struct sub snd[CHAINS];
    struct sk_ring ring;
    SK_ASSERT_OK(sk_ring_create(&ring, 4096));
    sk_handle_t l[2];
    stream(l);
    struct sub r = {0};
    ring_post(&r, &ring, l[1]);
    for (unsigned c = 0; c < CHAINS; c++) {
        snd[c] = (struct sub){0};
        for (unsigned k = 0; k < PER; k++) {
            uint8_t *m = msg[c * PER + k];
            for (unsigned b = 0; b < LEN; b++)
                m[b] = (uint8_t)(c * PER + k + b * 3);
            snd[c].acts[k] = SK_ACT_SEND(k + 1 < PER ? SK_ACTF_CHAIN : 0, m, LEN);
        }
        snd[c].n = PER;
        post(&snd[c], l[0]);
    }
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_OK);
    SK_EXPECT_EQ(rec(&r, 0)->length, 100);
    spin();
    unsigned got = 0, posts = 1;
    while (got < CHAINS * PER && posts < 10) {
        for (const struct sk_ipc_result *x; (x = sk_ring_next(&ring)); got++) {
            if (x->error != SK_OK || x->length != LEN ||
                memcmp(sk_ipc_payload(x), msg[got], LEN) != 0) {
                sk_test_fail(__FILE__, __LINE__, "record %u is wrong", got);
                return;
            }
            sk_ring_consume(&ring, x);
        }
        if (r.done && got < CHAINS * PER) { /* read: post it again */
            ring_post(&r, &ring, l[1]);
            posts++;
            spin();
        }
    }
    SK_EXPECT_EQ(got, CHAINS * PER);
    SK_EXPECT_EQ(posts, 2);
    for (unsigned c = 0; c < CHAINS; c++) {
        SK_EXPECT(settle(&snd[c]));
        SK_EXPECT_EQ(snd[c].cqe.error, SK_OK);
    }
    SK_EXPECT(!r.done); /* 44 records after a wrap: it stands */
    cancel_sub(&r);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_CANCELLED);
    closes(l);
    sk_ring_destroy(&ring);
}

/* Armed, a ring ends at its next record; posted armed with sends waiting, it takes them all
   and ends at once; arming a ring that has records says so. */
SK_TEST(ring_notify_ends_at_the_next_record)
{
    struct sk_ring ring;
    SK_ASSERT_OK(sk_ring_create(&ring, 4096));
    sk_handle_t l[2];
    stream(l);
    struct sub r = {0}, s = {0};
    ring_post(&r, &ring, l[1]);
    ONE(s, SK_ACT_SEND(0, "one", 3));
    post(&s, l[0]);
    SK_ASSERT(settle(&s));
    spin();
    SK_EXPECT(!r.done);
    SK_EXPECT_EQ(sk_ring_arm(&ring), 0); /* a record is there */
    SK_EXPECT(ring_expect(&ring, SK_OK, "one", 3));
    SK_EXPECT_EQ(sk_ring_arm(&ring), 1);
    spin();
    SK_EXPECT(!r.done); /* (armed, but no new record) */
    post(&s, l[0]);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_OK);
    SK_EXPECT_EQ(rec(&r, 0)->length, 2); /* (the records of the whole posting) */
    SK_EXPECT(ring_expect(&ring, SK_OK, "one", 3));
    /* three sends wait; the armed ring takes them and ends in its own submission */
    for (int i = 0; i < 3; i++) {
        static struct sub w[3];
        w[i] = (struct sub){0};
        ONE(w[i], SK_ACT_SEND(0, "wait", 4));
        post(&w[i], l[0]);
    }
    spin();
    ring_post(&r, &ring, l[1]);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(rec(&r, 0)->length, 3);
    for (int i = 0; i < 3; i++)
        SK_EXPECT(ring_expect(&ring, SK_OK, "wait", 4));
    sk_ring_disarm(&ring);
    closes(l);
    sk_ring_destroy(&ring);
}

/*
 * What a ring refuses: objects that are not contiguous memory, too big, or lack a right;
 * a header with garbage offsets; a send larger than a record carries (both fail). A tail the user scribbled over ends the posting with
 * SK_ERR_INVALID and the send waits. The ring's memory unmapped and its handle closed while
 * it stands: records still land in the object the action holds. The peer's lane gone:
 * end of lane.
 */
SK_TEST(ring_refuses_bad_objects_and_survives_garbage)
{
    sk_handle_t l[2], plain, big, ro;
    stream(l);
    struct sub r = {0}, s = {0};
    SK_ASSERT_OK(sk_memory_create(8192, 0, &plain));
    SK_ASSERT_OK(sk_memory_create(2u << 20, SK_MEM_CONTIGUOUS, &big));
    struct sk_ring ring;
    SK_ASSERT_OK(sk_ring_create(&ring, 4096));
    SK_ASSERT_OK(sk_handle_dup(ring.mem, SK_RIGHT_READ, &ro));
    static const struct {
        int which;
        sk_error_t want;
    } bad[] = {{0, SK_ERR_INVALID}, {1, SK_ERR_INVALID}, {2, SK_ERR_NO_RIGHTS},
               {3, SK_ERR_WRONG_TYPE}};
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        sk_handle_t h = bad[k].which == 0 ? plain : bad[k].which == 1 ? big
                        : bad[k].which == 2 ? ro : l[0];
        r.acts[0] = (struct sk_action){.type = SK_ACT_recv_ring, .handle = h};
        r.n = 1;
        post(&r, l[1]);
        SK_ASSERT(settle(&r));
        SK_EXPECT_EQ(r.cqe.error, bad[k].want);
    }
    ring.hdr->head = 3;
    ring_post(&r, &ring, l[1]);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(r.cqe.error, SK_ERR_INVALID);
    ring.hdr->head = 0;
    /* too big for a record: both fail, as with a receive too small */
    static uint8_t large[SK_IPC_RING_MSG_MAX + 8];
    ring_post(&r, &ring, l[1]);
    ONE(s, SK_ACT_SEND(0, large, sizeof large));
    post(&s, l[0]);
    SK_ASSERT(settle(&s) && settle(&r));
    SK_EXPECT_EQ(res(&s, 0), SK_ERR_BUFFER_TOO_SMALL);
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_BUFFER_TOO_SMALL);
    SK_EXPECT(sk_ring_next(&ring) == NULL);
    /* a scribbled tail: the posting ends, the send waits for the next one */
    ring_post(&r, &ring, l[1]);
    ring.hdr->tail = 4;
    ONE(s, SK_ACT_SEND(0, "x", 1));
    post(&s, l[0]);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_INVALID);
    spin();
    SK_EXPECT(!s.done);
    ring.hdr->tail = ring.tail;
    ring_post(&r, &ring, l[1]);
    SK_ASSERT(settle(&s));
    SK_EXPECT_EQ(res(&s, 0), SK_OK);
    SK_EXPECT(ring_expect(&ring, SK_OK, "x", 1));
    /* sends from a page not present in this mapping yet (the object written through another:
       the copy under the stream's lock fails and the staged way faults it in) and from no
       memory at all (refused) */
    void *fresh, *other;
    sk_handle_t obj;
    SK_ASSERT_OK(sk_mem_map_anon(4096, SK_PROT_READ | SK_PROT_WRITE, &other, &obj));
    static uint8_t pattern[16];
    for (int i = 0; i < 16; i++)
        pattern[i] = ((uint8_t *)other)[4000 + i] = (uint8_t)(0xa0 + i);
    uint64_t fa = 0;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, obj, 0, 0, 4096, SK_PROT_READ, &fa));
    fresh = (void *)fa;
    sk_handle_close(obj);
    sk_mem_unmap(other, 4096);
    struct sub two = {0};
    two.acts[0] = SK_ACT_SEND(SK_ACTF_CHAIN, "y", 1);
    two.acts[1] = SK_ACT_SEND(0, (uint8_t *)fresh + 4000, 16);
    two.n = 2;
    post(&two, l[0]);
    SK_ASSERT(settle(&two));
    SK_EXPECT_EQ(two.cqe.error, SK_OK);
    SK_EXPECT(ring_expect(&ring, SK_OK, "y", 1));
    SK_EXPECT(ring_expect(&ring, SK_OK, pattern, 16));
    sk_mem_unmap(fresh, 4096);
    two.acts[1] = SK_ACT_SEND(0, (uint8_t *)fresh + 4000, 16);
    post(&two, l[0]);
    SK_ASSERT(settle(&two));
    SK_EXPECT_EQ(two.cqe.error, SK_ERR_FAULT);
    SK_EXPECT(sk_ring_next(&ring) == NULL && !r.done);
    /* unmapped and closed while it stands */
    sk_ring_destroy(&ring);
    for (int i = 0; i < 300 && !r.done; i++) { /* (more than fit: the posting ends full) */
        post(&s, l[0]);
        while (!s.done && !r.done)
            sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
    }
    SK_EXPECT(r.done);
    SK_EXPECT_EQ(res(&r, 0), SK_OK);
    SK_EXPECT(!s.done); /* (the send that did not fit) */
    /* the peer's lane goes: end of lane */
    SK_ASSERT_OK(sk_ring_create(&ring, 4096));
    ring_post(&r, &ring, l[1]);
    SK_EXPECT(settle(&s));
    SK_EXPECT(ring_expect(&ring, SK_OK, "x", 1));
    sk_handle_close(l[0]);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_END_OF_LANE);
    sk_handle_close(l[1]);
    sk_ring_destroy(&ring);
    sk_handle_close(plain);
    sk_handle_close(big);
    sk_handle_close(ro);
}

/* ---- size limits and malformed submissions -------------------------------------------- */

SK_TEST(receive_smaller_than_send_fails_both)
{
    static uint8_t big[3 * 4096], small[4096];
    struct {
        struct sk_action s, r;
    } cases[] = {
        {SK_ACT_SEND(0, big, 17), SK_ACT_RECV_INLINE(0, 16)},
        {SK_ACT_SEND(0, big, 200), SK_ACT_RECV_INLINE(0, 96)},
        {SK_ACT_SEND(0, big, 2), SK_ACT_RECV(0, small, 1)},
        {SK_ACT_SEND(0, big, 4097), SK_ACT_RECV(0, small, 4096)},
        {SK_ACT_SEND(0, big, sizeof big), SK_ACT_RECV(0, small, sizeof small)},
        {SK_ACT_SEND(0, big, 1), SK_ACT_RECV_INLINE(0, 0)},
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int order = 0; order < 2; order++) {
            sk_handle_t l[2];
            stream(l);
            struct sub a = {0}, b = {0};
            ONE(a, cases[k].s);
            ONE(b, cases[k].r);
            if (order) {
                post(&b, l[1]);
                post(&a, l[0]);
            } else {
                post(&a, l[0]);
                post(&b, l[1]);
            }
            SK_ASSERT(settle(&a) && settle(&b));
            if (res(&a, 0) != SK_ERR_BUFFER_TOO_SMALL || res(&b, 0) != SK_ERR_BUFFER_TOO_SMALL)
                sk_test_fail(__FILE__, __LINE__, "case %u order %d: %s/%s", k, order,
                             sk_error_name(res(&a, 0)), sk_error_name(res(&b, 0)));
            closes(l);
        }
    }
}

/* A page of this space mapped read-only (a receive buffer there faults); *mem names it. */
static uint64_t read_only_page(sk_handle_t *mem)
{
    uint64_t ro = 0;
    if (sk_memory_create(4096, 0, mem) != SK_OK ||
        sk_space_map(SK_THIS_SPACE, *mem, 0, 0, 4096, SK_PROT_READ, &ro) != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "read-only page");
    return ro;
}

static void read_only_page_drop(sk_handle_t mem, uint64_t ro)
{
    sk_space_unmap(SK_THIS_SPACE, ro, 4096);
    sk_handle_close(mem);
}

/*
 * One chain of sends meeting three waiting chains of receives of every kind: each pair gets
 * its own result, in order, whatever its neighbours' (the kernel completes runs of matched
 * sends and receives together, copying the messages into one space at once, and takes
 * other pairs one by one between them).
 */
SK_TEST(a_chain_meets_mixed_waiting_chains)
{
    static uint8_t msgs[7][16], inbuf[3][16], small[4];
    sk_handle_t mem;
    uint64_t ro = read_only_page(&mem);
    for (unsigned k = 0; k < 7; k++)
        memset(msgs[k], 'a' + (int)k, 16);
    memset(inbuf, 0, sizeof inbuf);
    sk_handle_t l[2];
    stream(l);
    struct sub r1 = {0}, r2 = {0}, r3 = {0}, snd = {0};
    r1.acts[0] = SK_ACT_RECV(SK_ACTF_CHAIN, inbuf[0], 16);
    r1.acts[1] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 16);
    r1.acts[2] = SK_ACT_RECV(0, (void *)(ro + 32), 16); /* read-only: FAULT */
    r1.n = 3;
    r2.acts[0] = SK_ACT_RECV(SK_ACTF_CHAIN, inbuf[1], 16);
    r2.acts[1] = SK_ACT_EXTRACT(SK_ACTF_CHAIN); /* a send meets it: MISMATCH */
    r2.acts[2] = SK_ACT_RECV(0, inbuf[2], 16);
    r2.n = 3;
    r3.acts[0] = SK_ACT_RECV(0, small, sizeof small); /* too small */
    r3.n = 1;
    post(&r1, l[1]);
    post(&r2, l[1]);
    post(&r3, l[1]);
    spin();
    SK_EXPECT(!r1.done && !r2.done && !r3.done);
    for (unsigned k = 0; k < 7; k++)
        snd.acts[k] = SK_ACT_SEND(k + 1 < 7 ? SK_ACTF_CHAIN : 0, msgs[k], 16);
    snd.n = 7;
    post(&snd, l[0]);
    SK_ASSERT(settle(&snd) && settle(&r1) && settle(&r2) && settle(&r3));
    static const sk_error_t want_snd[7] = {SK_OK, SK_OK, SK_ERR_FAULT, SK_OK, SK_ERR_MISMATCH,
                                           SK_OK, SK_ERR_BUFFER_TOO_SMALL};
    for (unsigned k = 0; k < 7; k++)
        if (res(&snd, k) != want_snd[k])
            sk_test_fail(__FILE__, __LINE__, "send %u: %s", k, sk_error_name(res(&snd, k)));
    SK_EXPECT_EQ(snd.cqe.error, SK_ERR_FAULT); /* the first failure in array order */
    SK_EXPECT_EQ(res(&r1, 0), SK_OK);
    SK_EXPECT_EQ(rec(&r1, 0)->length, 16);
    SK_EXPECT(inbuf[0][0] == 'a' && inbuf[0][15] == 'a');
    SK_EXPECT_EQ(res(&r1, 1), SK_OK);
    SK_EXPECT_EQ(rec(&r1, 1)->length, 16);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&r1, 1)), msgs[1], 16) == 0);
    SK_EXPECT_EQ(res(&r1, 2), SK_ERR_FAULT);
    SK_EXPECT_EQ(r1.cqe.error, SK_ERR_FAULT);
    SK_EXPECT_EQ(res(&r2, 0), SK_OK);
    SK_EXPECT(inbuf[1][0] == 'd' && inbuf[1][15] == 'd');
    SK_EXPECT_EQ(res(&r2, 1), SK_ERR_MISMATCH);
    SK_EXPECT_EQ(res(&r2, 2), SK_OK);
    SK_EXPECT(inbuf[2][0] == 'f' && inbuf[2][15] == 'f');
    SK_EXPECT_EQ(r2.cqe.error, SK_ERR_MISMATCH);
    SK_EXPECT_EQ(res(&r3, 0), SK_ERR_BUFFER_TOO_SMALL);
    SK_EXPECT_EQ(rec(&r3, 0)->length, 0);
    closes(l);
    read_only_page_drop(mem, ro);
}

/* A fresh stream for one round: three single-action submissions w and one chain, cleared. */
static void round_start(sk_handle_t l[2], struct sub w[3], struct sub *chain)
{
    stream(l);
    memset(w, 0, 3 * sizeof *w);
    memset(chain, 0, sizeof *chain);
}

/*
 * A chain whose every action finds a compatible waiting partner completes at once (the
 * kernel's direct path: no state kept for it): each pair still gets its own result, a fault
 * in one receiver's memory fails that pair only, both ways round.
 */
SK_TEST(a_chain_matched_at_once_completes_each_pair)
{
    static uint8_t out[4][16], in[4][16];
    static struct sub w[3], chain;
    sk_handle_t mem;
    uint64_t ro = read_only_page(&mem);
    for (unsigned k = 0; k < 4; k++)
        memset(out[k], 'p' + (int)k, 16);
    for (int way = 0; way < 2; way++) {
        /* way 0: three waiting send chains, then one chain of receives meets them;
           way 1: three waiting receive chains, then one chain of sends */
        sk_handle_t l[2];
        memset(in, 0, sizeof in);
        round_start(l, w, &chain);
        struct sk_action recvs[3] = {SK_ACT_RECV(0, in[0], 16), SK_ACT_RECV_INLINE(0, 16),
                                     SK_ACT_RECV(0, (void *)(ro + 64), 16)};
        for (unsigned k = 0; k < 3; k++) {
            w[k].acts[0] = way == 0 ? SK_ACT_SEND(0, out[k], 16 - k) : recvs[k];
            w[k].n = 1;
            post(&w[k], l[1]);
            chain.acts[k] = way == 0 ? recvs[k] : SK_ACT_SEND(0, out[k], 16 - k);
            chain.acts[k].flags = k < 2 ? SK_ACTF_CHAIN : 0;
        }
        chain.n = 3;
        spin();
        SK_EXPECT(!w[0].done && !w[1].done && !w[2].done);
        post(&chain, l[0]);
        SK_ASSERT(settle(&chain) && settle(&w[0]) && settle(&w[1]) && settle(&w[2]));
        struct sub *rx = way == 0 ? &chain : NULL;
        for (unsigned k = 0; k < 3; k++) {
            sk_error_t want = k == 2 ? SK_ERR_FAULT : SK_OK;
            struct sub *r = rx ? rx : &w[k];
            unsigned ri = rx ? k : 0;
            SK_EXPECT_EQ(res(&chain, k), want);
            SK_EXPECT_EQ(res(&w[k], 0), want);
            SK_EXPECT_EQ(rec(r, ri)->length, k == 2 ? 0 : 16 - k);
        }
        SK_EXPECT_EQ(chain.cqe.error, SK_ERR_FAULT);
        SK_EXPECT(in[0][0] == 'p' && in[0][15] == 'p');
        struct sub *r1 = rx ? rx : &w[1];
        SK_EXPECT(memcmp(sk_ipc_payload(rec(r1, rx ? 1 : 0)), out[1], 15) == 0);
        closes(l);
    }
    /* fewer partners waiting than the chain has actions: the first match, the rest wait */
    for (int way = 0; way < 2; way++) {
        sk_handle_t l[2];
        memset(in, 0, sizeof in);
        round_start(l, w, &chain);
        for (unsigned k = 0; k < 3; k++) {
            struct sk_action snd = SK_ACT_SEND(0, out[k], 16), rcv = SK_ACT_RECV(0, in[k], 16);
            w[k].acts[0] = way == 0 ? snd : rcv;
            w[k].n = 1;
            chain.acts[k] = way == 0 ? rcv : snd;
            chain.acts[k].flags = k < 2 ? SK_ACTF_CHAIN : 0;
        }
        chain.n = 3;
        post(&w[0], l[1]);
        post(&w[1], l[1]);
        spin();
        post(&chain, l[0]);
        spin();
        SK_EXPECT(w[0].done && w[1].done && !chain.done);
        post(&w[2], l[1]);
        SK_ASSERT(settle(&chain) && settle(&w[2]));
        SK_EXPECT_EQ(chain.cqe.error, SK_OK);
        for (unsigned k = 0; k < 3; k++) {
            SK_EXPECT_EQ(res(&w[k], 0), SK_OK);
            SK_EXPECT(in[k][0] == 'p' + k && in[k][15] == 'p' + k);
        }
        closes(l);
    }
    read_only_page_drop(mem, ro);
}

/* Submit acts on a fresh stream's lane 0 and return the submission's error. */
static sk_error_t submit_error(const struct sk_action *acts, unsigned n, sk_handle_t lane)
{
    sk_handle_t l[2] = {0, 0};
    if (!lane) {
        stream(l);
        lane = l[0];
    }
    struct sub s = {0};
    memcpy(s.acts, acts, n * sizeof *acts);
    s.n = n;
    s.done = 0;
    sk_op_ipc(&Q, &s.op, lane, s.acts, n, sub_done);
    sk_queue_flush(&Q);
    if (l[0])
        closes(l); /* whatever waited ends now */
    if (!settle(&s))
        return (sk_error_t)-1;
    return s.cqe.value == 0 ? (sk_error_t)s.cqe.error : SK_OK;
}

SK_TEST(malformed_submissions_are_refused)
{
    static uint8_t buf[64];
    struct sk_action a[SK_IPC_MAX_ACTIONS + 1];
    /* too many actions */
    for (int i = 0; i <= SK_IPC_MAX_ACTIONS; i++)
        a[i] = SK_ACT_SEND(i < SK_IPC_MAX_ACTIONS ? SK_ACTF_CHAIN : 0, buf, 1);
    SK_EXPECT_EQ(submit_error(a, SK_IPC_MAX_ACTIONS + 1, 0), SK_ERR_TOO_BIG);
    SK_EXPECT_EQ(submit_error(a, 0, 0), SK_ERR_INVALID);
    /* a chain flag on the last action, or actions after the list ends */
    a[0] = SK_ACT_SEND(SK_ACTF_CHAIN, buf, 1);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    a[0] = SK_ACT_SEND(0, buf, 1);
    a[1] = SK_ACT_SEND(0, buf, 1);
    SK_EXPECT_EQ(submit_error(a, 2, 0), SK_ERR_INVALID);
    /* ancillary on something that is not an offer or accept; an offer with nothing after */
    a[0] = SK_ACT_SEND(SK_ACTF_ANCILLARY, buf, 1);
    SK_EXPECT_EQ(submit_error(a, 2, 0), SK_ERR_INVALID);
    a[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    /* nesting deeper than allowed */
    for (int i = 0; i <= SK_IPC_MAX_DEPTH; i++)
        a[i] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    a[SK_IPC_MAX_DEPTH + 1] = SK_ACT_SEND(0, buf, 1);
    SK_EXPECT_EQ(submit_error(a, SK_IPC_MAX_DEPTH + 2, 0), SK_ERR_TOO_BIG);
    /* unknown type and flags, fields that must be 0 */
    a[0] = sk_act(0, 0, NULL, 0);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    a[0] = sk_act(SK_ACT_LIMIT, 0, NULL, 0);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    a[0] = sk_act(SK_ACT_extract, 0x80, NULL, 0);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    a[0] = SK_ACT_RECV_INLINE(0, 8);
    a[0].buf = (uint64_t)buf;
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    a[0] = SK_ACT_SEND(0, buf, 8);
    a[0].handle = 5;
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_INVALID);
    /* sizes */
    a[0] = SK_ACT_SEND(0, buf, SK_IPC_MAX_TRANSFER + 1);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_TOO_BIG);
    a[0] = SK_ACT_RECV(0, buf, SK_IPC_MAX_TRANSFER + 1);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_TOO_BIG);
    a[0] = SK_ACT_SEND_SG(0, buf, SK_IPC_MAX_SG + 1);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_TOO_BIG);
    static struct sk_iovec iov[2];
    iov[0] = (struct sk_iovec){(uint64_t)buf, SK_IPC_MAX_TRANSFER};
    iov[1] = (struct sk_iovec){(uint64_t)buf, 1};
    a[0] = SK_ACT_SEND_SG(0, iov, 2);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_TOO_BIG);
    iov[1] = (struct sk_iovec){(uint64_t)buf, ~0ull};
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_TOO_BIG);
    a[0] = SK_ACT_RECV_INLINE(0, 121); /* 8 + 128 > 128 */
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_TOO_BIG);
    a[0] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 64);
    a[1] = SK_ACT_RECV_INLINE(0, 64);
    SK_EXPECT_EQ(submit_error(a, 2, 0), SK_ERR_TOO_BIG);
    a[0] = SK_ACT_RECV_INLINE(0, 120);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_OK);
    /* bad memory */
    a[0] = SK_ACT_SEND(0, (void *)0xffff800000000000ull, 8);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_FAULT);
    a[0] = SK_ACT_SEND(0, (void *)8, 8);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_FAULT);
    a[0] = SK_ACT_RECV(0, (void *)0xffff800000000000ull, 8);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_FAULT);
    a[0] = SK_ACT_SEND_SG(0, (void *)16, 2);
    SK_EXPECT_EQ(submit_error(a, 1, 0), SK_ERR_FAULT);
    /* the actions array itself, handles and rights */
    struct sub s = {0};
    sk_handle_t l[2], ro;
    stream(l);
    sk_op_submit(&Q, &s.op, SK_OP_ipc, sub_done, (uint64_t)l[0], 0xffff800000000000ull, 1, 0);
    sk_queue_flush(&Q);
    SK_ASSERT(settle(&s));
    SK_EXPECT_EQ(s.cqe.error, SK_ERR_FAULT);
    a[0] = SK_ACT_SEND(0, buf, 1);
    SK_EXPECT_EQ(submit_error(a, 1, 12345678), SK_ERR_BAD_HANDLE);
    SK_ASSERT_OK(sk_handle_dup(l[0], SK_RIGHT_READ, &ro));
    SK_EXPECT_EQ(submit_error(a, 1, ro), SK_ERR_NO_RIGHTS);
    a[0] = SK_ACT_RECV_INLINE(0, 8);
    sk_handle_close(ro);
    SK_ASSERT_OK(sk_handle_dup(l[0], SK_RIGHT_WRITE, &ro));
    SK_EXPECT_EQ(submit_error(a, 1, ro), SK_ERR_NO_RIGHTS);
    /* one action of a flat list lacking its right refuses the whole chain */
    a[0] = SK_ACT_SEND(SK_ACTF_CHAIN, buf, 1);
    a[1] = SK_ACT_RECV_INLINE(0, 8);
    SK_EXPECT_EQ(submit_error(a, 2, ro), SK_ERR_NO_RIGHTS);
    /* a nested list goes onto the new stream: only the offer needs this lane's write right */
    struct sub c = {0}, srv = {0};
    c.acts[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c.acts[1] = SK_ACT_RECV_INLINE(0, 8);
    c.n = 2;
    srv.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY);
    srv.acts[1] = SK_ACT_SEND(0, "hi", 2);
    srv.n = 2;
    post(&c, ro);
    post(&srv, l[1]);
    SK_ASSERT(settle(&c) && settle(&srv));
    SK_EXPECT_EQ(c.cqe.error, SK_OK);
    SK_EXPECT_EQ(srv.cqe.error, SK_OK);
    sk_handle_close(ro);
    /* dismiss needs either right */
    SK_ASSERT_OK(sk_handle_dup(l[0], SK_RIGHT_TRANSFER, &ro));
    a[0] = SK_ACT_DISMISS(0);
    SK_EXPECT_EQ(submit_error(a, 1, ro), SK_ERR_NO_RIGHTS);
    sk_handle_close(ro);
    a[0] = SK_ACT_RECV_INLINE(0, 8);
    SK_EXPECT_EQ(submit_error(a, 1, SK_THIS_THREAD), SK_ERR_WRONG_TYPE);
    closes(l);
}

static void ignore(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

/* ---- hang-up, shutdown, cancellation --------------------------------------------------- */

/* The canonical request, client side: offer { send, recv_inline }. */
static void client_chain(struct sub *c)
{
    c->acts[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c->acts[1] = SK_ACT_SEND(SK_ACTF_CHAIN, "req", 3);
    c->acts[2] = SK_ACT_RECV_INLINE(0, 16);
    c->n = 3;
}

/* A canonical request on l[0] (client_chain into c) answered by an accept on l[1] (into s):
   both must succeed. */
static void serve_one_request(struct sub *c, struct sub *s, sk_handle_t l[2])
{
    client_chain(c);
    post(c, l[0]);
    s->acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY);
    s->acts[1] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 16);
    s->acts[2] = SK_ACT_SEND(0, "ok", 2);
    s->n = 3;
    post(s, l[1]);
    SK_ASSERT(settle(s) && settle(c));
    SK_EXPECT_EQ(c->cqe.error, SK_OK);
    SK_EXPECT_EQ(s->cqe.error, SK_OK);
}

SK_TEST(hangup_at_every_phase)
{
    /* 1: the server's lane is gone before the request */
    sk_handle_t l[2];
    stream(l);
    sk_handle_close(l[1]);
    struct sub c = {0}, s = {0};
    client_chain(&c);
    post(&c, l[0]);
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(c.cqe.error, SK_ERR_END_OF_LANE);
    for (int i = 0; i < 3; i++)
        SK_EXPECT_EQ(res(&c, i), SK_ERR_END_OF_LANE);
    sk_handle_close(l[0]);
    /* 2: the request waits, then the server's lane goes */
    stream(l);
    client_chain(&c);
    post(&c, l[0]);
    spin();
    SK_EXPECT(!c.done);
    sk_handle_close(l[1]);
    SK_ASSERT(settle(&c));
    for (int i = 0; i < 3; i++)
        SK_EXPECT_EQ(res(&c, i), SK_ERR_END_OF_LANE);
    sk_handle_close(l[0]);
    /* 3: accepted (the server takes the conversation's lane) but dropped unanswered */
    stream(l);
    client_chain(&c);
    post(&c, l[0]);
    ONE(s, SK_ACT_ACCEPT(SK_ACTF_WANT_LANE));
    post(&s, l[1]);
    SK_ASSERT(settle(&s));
    SK_EXPECT(!c.done);
    sk_handle_t conv = sk_ipc_handle(rec(&s, 0));
    SK_ASSERT(conv > 0);
    spin();
    SK_EXPECT(!c.done);
    sk_handle_close(conv);
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(res(&c, 0), SK_OK);
    SK_EXPECT_EQ(res(&c, 1), SK_ERR_END_OF_LANE);
    SK_EXPECT_EQ(res(&c, 2), SK_ERR_END_OF_LANE);
    SK_EXPECT_EQ(c.cqe.error, SK_ERR_END_OF_LANE);
    /* 4: request received, reply never sent */
    client_chain(&c);
    post(&c, l[0]);
    s.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    s.acts[1] = SK_ACT_RECV_INLINE(0, 16);
    s.n = 2;
    post(&s, l[1]);
    SK_ASSERT(settle(&s));
    SK_EXPECT_EQ(res(&s, 1), SK_OK);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&s, 1)), "req", 3) == 0);
    conv = sk_ipc_handle(rec(&s, 0));
    spin();
    SK_EXPECT(!c.done);
    sk_handle_close(conv);
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(res(&c, 1), SK_OK);
    SK_EXPECT_EQ(res(&c, 2), SK_ERR_END_OF_LANE);
    /* 5: answered */
    client_chain(&c);
    post(&c, l[0]);
    post(&s, l[1]);
    SK_ASSERT(settle(&s));
    conv = sk_ipc_handle(rec(&s, 0));
    struct sub r = {0};
    ONE(r, SK_ACT_SEND(0, "reply", 5));
    post(&r, conv);
    sk_handle_close(conv); /* the pending reply keeps the lane until it is matched */
    SK_ASSERT(settle(&c) && settle(&r));
    SK_EXPECT_EQ(c.cqe.error, SK_OK);
    SK_EXPECT_EQ(rec(&c, 2)->length, 5);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&c, 2)), "reply", 5) == 0);
    /* 6: a client that hangs up on its own conversation lane before the server answers */
    c.acts[0] = SK_ACT_OFFER(SK_ACTF_WANT_LANE);
    c.n = 1;
    post(&c, l[0]);
    post(&s, l[1]);
    SK_ASSERT(settle(&c));
    spin();
    SK_EXPECT(!s.done);
    sk_handle_close(sk_ipc_handle(rec(&c, 0)));
    SK_ASSERT(settle(&s));
    conv = sk_ipc_handle(rec(&s, 0));
    SK_EXPECT_EQ(res(&s, 1), SK_ERR_END_OF_LANE);
    ONE(r, SK_ACT_SEND(0, "late", 4));
    post(&r, conv);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_END_OF_LANE);
    sk_handle_close(conv);
    closes(l);
}

SK_TEST(shutdown_at_every_phase)
{
    sk_handle_t l[2];
    struct sub c = {0}, s = {0};
    /* 1: the service lane shut down before the request: everything fails at once */
    stream(l);
    SK_ASSERT_OK(sk_lane_shutdown(l[1]));
    client_chain(&c);
    post(&c, l[0]);
    SK_ASSERT(settle(&c));
    for (int i = 0; i < 3; i++)
        SK_EXPECT_EQ(res(&c, i), SK_ERR_END_OF_LANE);
    closes(l);
    /* 2: the request waits; the client shuts its own lane down */
    stream(l);
    client_chain(&c);
    post(&c, l[0]);
    spin();
    SK_EXPECT(!c.done);
    SK_ASSERT_OK(sk_lane_shutdown(l[0]));
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(res(&c, 0), SK_ERR_END_OF_LANE);
    SK_EXPECT_EQ(res(&c, 2), SK_ERR_END_OF_LANE);
    closes(l);
    /* 3: accepted, the request head received, then the server shuts the conversation down:
       the client's receive ends, and the service lane itself goes on */
    stream(l);
    client_chain(&c);
    post(&c, l[0]);
    s.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    s.acts[1] = SK_ACT_RECV_INLINE(0, 16);
    s.n = 2;
    post(&s, l[1]);
    SK_ASSERT(settle(&s));
    sk_handle_t conv = sk_ipc_handle(rec(&s, 0));
    SK_ASSERT_OK(sk_lane_shutdown(conv));
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(res(&c, 0), SK_OK);
    SK_EXPECT_EQ(res(&c, 1), SK_OK);
    SK_EXPECT_EQ(res(&c, 2), SK_ERR_END_OF_LANE);
    struct sub r = {0};
    ONE(r, SK_ACT_SEND(0, "late", 4));
    post(&r, conv);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_END_OF_LANE);
    sk_handle_close(conv);
    /* 4: the next request on the same service lane is served normally */
    serve_one_request(&c, &s, l);
    closes(l);
}

SK_TEST(shutdown_ends_both_sides)
{
    sk_handle_t l[2];
    stream(l);
    struct sub a = {0}, b = {0};
    a.acts[0] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 8);
    a.acts[1] = SK_ACT_RECV_INLINE(0, 8);
    a.n = 2;
    post(&a, l[0]);
    spin();
    SK_EXPECT(!a.done);
    SK_ASSERT_OK(sk_lane_shutdown(l[1]));
    SK_ASSERT(settle(&a));
    SK_EXPECT_EQ(res(&a, 0), SK_ERR_END_OF_LANE);
    SK_EXPECT_EQ(res(&a, 1), SK_ERR_END_OF_LANE);
    ONE(b, SK_ACT_SEND(0, "x", 1));
    post(&b, l[1]);
    SK_ASSERT(settle(&b));
    SK_EXPECT_EQ(res(&b, 0), SK_ERR_END_OF_LANE);
    post(&a, l[0]);
    SK_ASSERT(settle(&a));
    SK_EXPECT_EQ(res(&a, 0), SK_ERR_END_OF_LANE);
    closes(l);
}

SK_TEST(cancel_pending_chain)
{
    sk_handle_t l[2];
    stream(l);
    struct sub c = {0}, s = {0};
    client_chain(&c);
    post(&c, l[0]);
    spin();
    struct sk_op cancel = {0};
    SK_ASSERT_OK(sk_op_cancel(&Q, &cancel, &c.op, ignore));
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(c.cqe.error, SK_ERR_CANCELLED);
    for (int i = 0; i < 3; i++)
        SK_EXPECT_EQ(res(&c, i), SK_ERR_CANCELLED);
    spin();
    /* the cancelled offer is off the lane: the next one is matched */
    serve_one_request(&c, &s, l);
    /* a request matched halfway: cancelling it ends the pending receive only */
    client_chain(&c);
    post(&c, l[0]);
    s.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    s.acts[1] = SK_ACT_RECV_INLINE(0, 16);
    s.n = 2;
    post(&s, l[1]);
    SK_ASSERT(settle(&s));
    spin(); /* (the first cancel's own completion) */
    SK_ASSERT_OK(sk_op_cancel(&Q, &cancel, &c.op, ignore));
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(res(&c, 0), SK_OK);
    SK_EXPECT_EQ(res(&c, 1), SK_OK);
    SK_EXPECT_EQ(res(&c, 2), SK_ERR_CANCELLED);
    struct sub r = {0};
    ONE(r, SK_ACT_SEND(0, "late", 4));
    sk_handle_t conv = sk_ipc_handle(rec(&s, 0));
    post(&r, conv);
    SK_ASSERT(settle(&r));
    SK_EXPECT_EQ(res(&r, 0), SK_ERR_END_OF_LANE);
    sk_handle_close(conv);
    closes(l);
}

/* ---- nesting -------------------------------------------------------------------------------- */

/* Post s on lane with ipc flags. */
static void post_flags(struct sub *s, sk_handle_t lane, uint64_t flags)
{
    s->done = 0;
    sk_error_t e = sk_op_submit(&Q, &s->op, SK_OP_ipc, sub_done, lane, (uint64_t)s->acts, s->n,
                                flags);
    if (e != SK_OK)
        sk_test_fail(__FILE__, __LINE__, "sk_op_submit: %s", sk_error_name(e));
    sk_queue_flush(&Q);
}

/*
 * SK_IPC_CLOSE: the lane handle goes once the chain is posted; a pending action keeps the
 * lane until it completes, then the lane ends. A refused submission (a malformed chain, a
 * count of 0, a handle that is no lane, an unknown flag) changes nothing: the handle stays.
 */
SK_TEST(close_flag_consumes_the_lane_handle)
{
    static const char msg[] = "last words";
    sk_handle_t l[2];
    stream(l);
    struct sub r = {0}, s = {0}, t = {0};
    ONE(r, SK_ACT_RECV_INLINE(0, 32));
    post_flags(&r, l[1], SK_IPC_CLOSE);
    SK_EXPECT_ERR(sk_handle_close(l[1]), SK_ERR_BAD_HANDLE); /* gone already */
    SK_EXPECT(!r.done);
    ONE(s, SK_ACT_SEND(0, msg, sizeof msg));
    post(&s, l[0]);
    SK_ASSERT(settle(&r) && settle(&s));
    SK_EXPECT_ERR(r.cqe.error, SK_OK);
    SK_EXPECT_ERR(s.cqe.error, SK_OK);
    SK_EXPECT_EQ(rec(&r, 0)->length, sizeof msg);
    /* the receiving lane is gone with its last action: the peer's next send ends */
    ONE(t, SK_ACT_SEND(0, msg, sizeof msg));
    post(&t, l[0]);
    SK_ASSERT(settle(&t));
    SK_EXPECT_ERR(t.cqe.error, SK_ERR_END_OF_LANE);
    sk_handle_close(l[0]);

    /* refused (a malformed action): the handle stays */
    stream(l);
    struct sub bad = {0};
    ONE(bad, SK_ACT_SEND(SK_ACTF_CHAIN, msg, 4));
    post_flags(&bad, l[0], SK_IPC_CLOSE);
    SK_ASSERT(settle(&bad));
    SK_EXPECT_ERR(bad.cqe.error, SK_ERR_INVALID);
    SK_EXPECT_EQ(bad.cqe.length, 0); /* no records: refused, not posted */
    /* a count of 0: refused, the handle stays */
    struct sub none = {0};
    ONE(none, SK_ACT_SEND(0, msg, 4));
    none.n = 0;
    post_flags(&none, l[0], SK_IPC_CLOSE);
    SK_ASSERT(settle(&none));
    SK_EXPECT_ERR(none.cqe.error, SK_ERR_INVALID);
    /* a handle that is no lane (an event): refused with WRONG_TYPE, and not closed */
    sk_handle_t ev;
    SK_ASSERT_OK(sk_event_create(SK_EVENT_ONESHOT, &ev));
    struct sub wrong = {0};
    ONE(wrong, SK_ACT_SEND(0, msg, 4));
    post_flags(&wrong, ev, SK_IPC_CLOSE);
    SK_ASSERT(settle(&wrong));
    SK_EXPECT_ERR(wrong.cqe.error, SK_ERR_WRONG_TYPE);
    SK_EXPECT_OK(sk_handle_close(ev));
    SK_EXPECT_OK(sk_handle_close(l[0]));
    /* an unknown flag: refused, the handle stays */
    struct sub odd = {0};
    ONE(odd, SK_ACT_SEND(0, msg, 4));
    post_flags(&odd, l[1], 0x80);
    SK_ASSERT(settle(&odd));
    SK_EXPECT_ERR(odd.cqe.error, SK_ERR_INVALID);
    SK_EXPECT_OK(sk_handle_close(l[1]));
}

/* sk_ipc_reply without a callback: forgotten (no completion), and the lane is closed. */
SK_TEST(forgotten_reply_arrives_and_closes)
{
    sk_handle_t l[2];
    stream(l);
    struct sub r = {0};
    ONE(r, SK_ACT_RECV_INLINE(0, 32));
    post(&r, l[0]);
    static struct sk_ipc_reply rep;
    static const char answer[] = "forty-two";
    uint64_t completed = Q.completed;
    SK_ASSERT_OK(sk_ipc_reply(&Q, &rep, l[1], answer, sizeof answer, NULL));
    SK_ASSERT(settle(&r));
    SK_EXPECT_ERR(r.cqe.error, SK_OK);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&r, 0)), answer, sizeof answer) == 0);
    SK_EXPECT_EQ(rep.op.state, SK_OPSTATE_IDLE);
    SK_EXPECT_EQ(Q.completed, completed + 1); /* the receive's completion only */
    SK_EXPECT_ERR(sk_handle_close(l[1]), SK_ERR_BAD_HANDLE);
    /* a forgotten reply that fails (the peer is gone) counts as a failure */
    uint64_t failures = Q.forget_failures;
    sk_handle_t m[2];
    stream(m);
    sk_handle_close(m[0]);
    SK_ASSERT_OK(sk_ipc_reply(&Q, &rep, m[1], answer, sizeof answer, NULL));
    while (Q.forget_failures == failures) /* (the failure's completion must come) */
        sk_queue_wait(&Q, 2000000);
    SK_EXPECT_EQ(Q.forget_failures, failures + 1);
    SK_EXPECT_ERR(sk_handle_close(m[1]), SK_ERR_BAD_HANDLE);
    sk_handle_close(l[0]);
}

SK_TEST(nested_ancillary_chains)
{
    sk_handle_t l[2];
    stream(l);
    struct sub c = {0}, s = {0};
    /* client: offer { send "outer", offer { send "inner", recv_inline }, recv_inline } */
    c.acts[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c.acts[1] = SK_ACT_SEND(SK_ACTF_CHAIN, "outer", 5);
    c.acts[2] = SK_ACT_OFFER(SK_ACTF_ANCILLARY | SK_ACTF_CHAIN);
    c.acts[3] = SK_ACT_SEND(SK_ACTF_CHAIN, "inner", 5);
    c.acts[4] = SK_ACT_RECV_INLINE(0, 8);
    c.acts[5] = SK_ACT_RECV_INLINE(0, 8);
    c.n = 6;
    /* server: accept { recv_inline, accept { recv_inline, send "IN" }, send "OUT" } */
    s.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY);
    s.acts[1] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 8);
    s.acts[2] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_CHAIN);
    s.acts[3] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 8);
    s.acts[4] = SK_ACT_SEND(0, "IN", 2);
    s.acts[5] = SK_ACT_SEND(0, "OUT", 3);
    s.n = 6;
    post(&s, l[1]);
    post(&c, l[0]);
    SK_ASSERT(settle(&c) && settle(&s));
    SK_EXPECT_EQ(c.cqe.error, SK_OK);
    SK_EXPECT_EQ(s.cqe.error, SK_OK);
    SK_EXPECT_EQ(c.cqe.value, 6);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&s, 1)), "outer", 5) == 0);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&s, 3)), "inner", 5) == 0);
    SK_EXPECT(rec(&c, 4)->length == 2 && memcmp(sk_ipc_payload(rec(&c, 4)), "IN", 2) == 0);
    SK_EXPECT(rec(&c, 5)->length == 3 && memcmp(sk_ipc_payload(rec(&c, 5)), "OUT", 3) == 0);
    /* every record in one pass: the same as one at a time; none from a garbled completion */
    const struct sk_ipc_result *all[6];
    SK_EXPECT_EQ(sk_ipc_results(&c.cqe, c.acts, 6, all), 6);
    for (unsigned i = 0; i < 6; i++)
        SK_EXPECT(all[i] == rec(&c, i));
    struct sk_cqe bad = c.cqe;
    bad.length = 20; /* (records of 8 + 0, 8 + 0, ... : cuts into the third) */
    SK_EXPECT_EQ(sk_ipc_results(&bad, c.acts, 6, all), 2);
    SK_EXPECT(all[1] == (const void *)(bad.data + 8) && all[2] == NULL && all[5] == NULL);
    bad.value = 5;
    SK_EXPECT_EQ(sk_ipc_results(&bad, c.acts, 6, all), 0);
    /* a nested offer that meets a receive: it and its list fail, the rest goes on */
    s.acts[2] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 8);
    s.acts[3] = SK_ACT_SEND(0, "OUT", 3);
    s.n = 4;
    post(&s, l[1]);
    post(&c, l[0]);
    SK_ASSERT(settle(&c) && settle(&s));
    SK_EXPECT_EQ(res(&c, 2), SK_ERR_MISMATCH);
    SK_EXPECT_EQ(res(&c, 3), SK_ERR_MISMATCH);
    SK_EXPECT_EQ(res(&c, 4), SK_ERR_MISMATCH);
    SK_EXPECT_EQ(res(&c, 5), SK_OK);
    SK_EXPECT_EQ(res(&s, 2), SK_ERR_MISMATCH);
    SK_EXPECT_EQ(c.cqe.error, SK_ERR_MISMATCH);
    closes(l);
}

/* ---- the runtime's call timeout ---------------------------------------------------------- */

static sk_error_t call_error = (sk_error_t)-1;
static uint64_t call_at;

static void call_back(struct sk_ipc_call *c, sk_error_t e, const void *reply, uint32_t len)
{
    (void)c, (void)reply, (void)len;
    call_error = e;
    sk_clock_get(&call_at);
}

SK_TEST(call_timeout_cancels_the_call)
{
    sk_handle_t l[2];
    stream(l); /* nobody serves l[1] */
    static struct sk_ipc_call c;
    uint64_t t0 = 0;
    sk_clock_get(&t0);
    SK_ASSERT_OK(sk_ipc_call(&Q, &c, l[0], "hi", 2, 16, 30000000, call_back));
    while (call_error == (sk_error_t)-1) /* (the timeout must end it: no limit here) */
        sk_queue_wait(&Q, 10000000);
    SK_EXPECT_EQ(call_error, SK_ERR_CANCELLED);
    SK_EXPECT(call_at - t0 >= 30000000); /* never early */
    while (c.op.state != SK_OPSTATE_IDLE || c.timer.state != SK_OPSTATE_IDLE ||
           c.cancel.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&Q, 10000000); /* every part of the call ends */
    /* answered before the deadline (an hour: only the answer can come first while the test
       runs): the timer goes away and the reply arrives */
    call_error = (sk_error_t)-1;
    SK_ASSERT_OK(sk_ipc_call(&Q, &c, l[0], "hi", 2, 16, 3600000000000ull, call_back));
    struct sub s = {0};
    s.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY);
    s.acts[1] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 16);
    s.acts[2] = SK_ACT_SEND(0, "ho", 2);
    s.n = 3;
    post(&s, l[1]);
    SK_ASSERT(settle(&s));
    while (call_error == (sk_error_t)-1)
        sk_queue_wait(&Q, 10000000);
    SK_EXPECT_EQ(call_error, SK_OK);
    while (c.timer.state != SK_OPSTATE_IDLE) /* (a timer left behind would wait an hour) */
        sk_queue_wait(&Q, 10000000);
    SK_EXPECT(c.timer.state == SK_OPSTATE_IDLE);
    closes(l);
}

/* ---- another process ------------------------------------------------------------------------ */

/* Spawn this program as "test-ipc <mode>" with lane as its start-up (registry) lane. */
static sk_error_t spawn_child(const char *mode, sk_handle_t lane, struct sk_process *p)
{
    const char *argv[] = {"test-ipc", mode};
    struct sk_spawn_args args = {.argc = 2, .argv = argv, .registry = lane};
    return sk_spawn_program("test-ipc", &args, p);
}

/* The child: pull a memory object, map it, write through it, answer with its credentials. */
static int child_mem(void)
{
    sk_handle_t lane = sk_registry_lane();
    struct sub s = {0}, r = {0};
    s.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    s.acts[1] = sk_act_pull(0, SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP);
    s.n = 2;
    post(&s, lane);
    if (!settle(&s) || s.cqe.error != SK_OK)
        return 2;
    sk_handle_t conv = sk_ipc_handle(rec(&s, 0)), mem = sk_ipc_handle(rec(&s, 1));
    uint64_t p = 0;
    if (sk_space_map(SK_THIS_SPACE, mem, 0, 0, 4096, SK_PROT_READ | SK_PROT_WRITE, &p) != SK_OK)
        return 3;
    for (int i = 0; i < 512; i++)
        ((volatile uint64_t *)p)[i] = 0xc0ffee00u + (uint64_t)i;
    r.acts[0] = sk_act_imbue(SK_ACTF_CHAIN, 0);
    r.acts[1] = SK_ACT_SEND(0, "written", 8);
    r.n = 2;
    post(&r, conv);
    if (!settle(&r) || r.cqe.error != SK_OK)
        return 4;
    return 0;
}

SK_TEST(another_process_maps_a_pushed_memory_object)
{
    sk_handle_t l[2], mem;
    stream(l);
    struct sk_process proc;
    SK_ASSERT_OK(spawn_child("child-mem", l[1], &proc));
    SK_ASSERT_OK(sk_memory_create(4096, 0, &mem));
    uint64_t p = 0;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, mem, 0, 0, 4096, SK_PROT_READ, &p));
    struct sub c = {0};
    c.acts[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY);
    c.acts[1] = sk_act_push(SK_ACTF_CHAIN, mem, SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP);
    c.acts[2] = SK_ACT_EXTRACT(SK_ACTF_CHAIN);
    c.acts[3] = SK_ACT_RECV_INLINE(0, 8);
    c.n = 4;
    post(&c, l[0]);
    SK_ASSERT(settle(&c));
    SK_EXPECT_EQ(c.cqe.error, SK_OK);
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&c, 3)), "written", 8) == 0);
    for (int i = 0; i < 512; i++)
        if (((volatile uint64_t *)p)[i] != 0xc0ffee00u + (uint64_t)i) {
            sk_test_fail(__FILE__, __LINE__, "word %d not written through", i);
            break;
        }
    uint8_t want[16];
    SK_EXPECT_OK(sk_credentials_get(proc.thread, want));
    SK_EXPECT(memcmp(sk_ipc_payload(rec(&c, 2)), want, 16) == 0);
    uint64_t st = 0;
    SK_EXPECT_OK(sk_process_wait(&proc, SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_EQ(st, SK_EXIT_DONE);
    sk_process_release(&proc);
    sk_space_unmap(SK_THIS_SPACE, p, 4096);
    sk_handle_close(mem);
    closes(l);
}

/* ---- large sends between two processes, pages present or not ------------------------------ */

#define BIG (3 * 4096 + 100) /* bytes per large send, from offset 50: four pages touched */
#define BIG_MAP (5 * 4096)

/* A mapping of fresh memory none of whose pages is present yet. */
static uint8_t *fresh_map(void)
{
    void *p = NULL;
    if (sk_mem_map_anon(BIG_MAP, SK_PROT_READ | SK_PROT_WRITE, &p, NULL) != SK_OK)
        return NULL;
    return p;
}

static int settled_ok(struct sub *s)
{
    return settle(s) && s->cqe.error == SK_OK;
}

/*
 * The child of large_sends_between_processes: data on its start-up lane, a control lane
 * pulled from there. It receives two large sends into fresh memory (first posting after the
 * parent's send waits, then before it), then sends both back (first posting before the
 * parent's receive, then after it).
 */
static int child_echo(void)
{
    sk_handle_t d = sk_registry_lane();
    struct sub s = {0}, r = {0}, g = {0};
    ONE(s, sk_act_pull(0, SK_RIGHT_READ | SK_RIGHT_WRITE));
    post(&s, d);
    if (!settled_ok(&s))
        return 2;
    sk_handle_t c = sk_ipc_handle(rec(&s, 0));
    uint8_t *buf[2] = {fresh_map(), fresh_map()};
    if (!buf[0] || !buf[1])
        return 3;
    for (int pass = 0; pass < 2; pass++) { /* (the second with every page present) */
        /* 1: the parent's send waits ("go" says so); our receive meets it */
        ONE(g, SK_ACT_RECV_INLINE(0, 8));
        post(&g, c);
        if (!settled_ok(&g))
            return 4;
        ONE(r, SK_ACT_RECV(0, buf[0] + 50, BIG));
        post(&r, d);
        if (!settled_ok(&r) || rec(&r, 0)->length != BIG)
            return 5;
        /* 2: our receive waits, then "ready"; the parent's send meets it */
        ONE(r, SK_ACT_RECV(0, buf[1] + 50, BIG));
        post(&r, d);
        ONE(g, SK_ACT_SEND(0, "ready", 6));
        post(&g, c);
        if (!settled_ok(&r) || rec(&r, 0)->length != BIG || !settled_ok(&g))
            return 6;
        /* 3: our send of the first back waits, then "sent"; the parent's receive meets it */
        ONE(r, SK_ACT_SEND(0, buf[0] + 50, BIG));
        post(&r, d);
        ONE(g, SK_ACT_SEND(0, "sent", 5));
        post(&g, c);
        if (!settled_ok(&g) || !settled_ok(&r))
            return 7;
        /* 4: the parent's receive waits ("go"); our send of the second meets it */
        ONE(g, SK_ACT_RECV_INLINE(0, 8));
        post(&g, c);
        if (!settled_ok(&g))
            return 8;
        ONE(r, SK_ACT_SEND(0, buf[1] + 50, BIG));
        post(&r, d);
        if (!settled_ok(&r))
            return 9;
    }
    return 0;
}

/*
 * Large sends between two processes take every way a copy between two spaces can go: the
 * sender or the receiver completing the match, each side's pages present or not (fresh
 * memory; a source whose object was written through another mapping): the bytes arrive
 * whole, there and back.
 */
SK_TEST(large_sends_between_processes_fault_pages_in)
{
    sk_handle_t d[2], c[2], obj;
    stream(d);
    stream(c);
    struct sk_process proc;
    SK_ASSERT_OK(spawn_child("child-echo", d[1], &proc));
    struct sub s = {0}, g = {0}, r = {0};
    ONE(s, sk_act_push(0, c[1], SK_RIGHT_READ | SK_RIGHT_WRITE));
    post(&s, d[0]);
    SK_ASSERT(settled_ok(&s));
    /* the bytes: written through one mapping, sent from two others not yet present */
    void *w = NULL;
    SK_ASSERT_OK(sk_mem_map_anon(BIG_MAP, SK_PROT_READ | SK_PROT_WRITE, &w, &obj));
    for (unsigned i = 0; i < BIG; i++)
        ((uint8_t *)w)[50 + i] = (uint8_t)(i * 13 + i / 4096);
    uint64_t src[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, obj, 0, 0, BIG_MAP, SK_PROT_READ, &src[k]));
    uint8_t *back[2] = {fresh_map(), fresh_map()};
    SK_ASSERT(back[0] && back[1]);
    for (int pass = 0; pass < 2; pass++) { /* (the second with every page present) */
        if (pass) {
            for (unsigned i = 0; i < BIG; i++)
                ((uint8_t *)w)[50 + i] = (uint8_t)(i * 7 + 1);
            memset(back[0], 0, BIG_MAP);
            memset(back[1], 0, BIG_MAP);
        }
        /* 1: our send waits, then "go" */
        ONE(s, SK_ACT_SEND(0, (uint8_t *)src[0] + 50, BIG));
        post(&s, d[0]);
        spin();
        ONE(g, SK_ACT_SEND(0, "go", 3));
        post(&g, c[0]);
        SK_ASSERT(settled_ok(&g) && settled_ok(&s));
        /* 2: the child's receive waits ("ready"); our send meets it */
        ONE(g, SK_ACT_RECV_INLINE(0, 8));
        post(&g, c[0]);
        SK_ASSERT(settled_ok(&g));
        ONE(s, SK_ACT_SEND(0, (uint8_t *)src[1] + 50, BIG));
        post(&s, d[0]);
        SK_ASSERT(settled_ok(&s));
        /* 3: the child's send waits ("sent"); our receive (into fresh memory at first) meets it */
        ONE(g, SK_ACT_RECV_INLINE(0, 8));
        post(&g, c[0]);
        SK_ASSERT(settled_ok(&g));
        ONE(r, SK_ACT_RECV(0, back[0] + 50, BIG));
        post(&r, d[0]);
        SK_ASSERT(settled_ok(&r));
        SK_EXPECT_EQ(rec(&r, 0)->length, BIG);
        /* 4: our receive waits, then "go"; the child's send meets it */
        ONE(r, SK_ACT_RECV(0, back[1] + 50, BIG));
        post(&r, d[0]);
        spin();
        ONE(g, SK_ACT_SEND(0, "go", 3));
        post(&g, c[0]);
        SK_ASSERT(settled_ok(&g) && settled_ok(&r));
        SK_EXPECT_EQ(rec(&r, 0)->length, BIG);
        for (int k = 0; k < 2; k++)
            SK_EXPECT(memcmp(back[k] + 50, (uint8_t *)w + 50, BIG) == 0);
    }
    uint64_t st = 1;
    SK_EXPECT_OK(sk_process_wait(&proc, SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_EQ(st, SK_EXIT_DONE);
    sk_process_release(&proc);
    for (int k = 0; k < 2; k++) {
        sk_mem_unmap(back[k], BIG_MAP);
        sk_space_unmap(SK_THIS_SPACE, src[k], BIG_MAP);
    }
    sk_mem_unmap(w, BIG_MAP);
    sk_handle_close(obj);
    closes(c);
    closes(d);
}

/* ---- the runtime's server loop against clients that never send their head ------------- */

static struct sk_ipc_server srv;
static unsigned served;

static void serve_one(struct sk_ipc_server *s, sk_handle_t lane, const void *req, uint32_t len)
{
    static struct sk_ipc_reply replies[4];
    static uint8_t answer[8];
    memcpy(answer, req, len < 8 ? len : 8);
    sk_ipc_reply(s->q, &replies[served++ % 4], lane, answer, len < 8 ? len : 8, NULL);
}

SK_TEST(server_survives_clients_that_never_send)
{
    sk_handle_t l[2];
    stream(l);
    served = 0;
    SK_ASSERT_OK(sk_ipc_server_start(&Q, &srv, l[1], 8, 2, serve_one));
    /* two clients take both accepts and keep their conversations open without a word */
    static struct sub idle[2];
    for (int i = 0; i < 2; i++) {
        ONE(idle[i], SK_ACT_OFFER(SK_ACTF_WANT_LANE));
        post(&idle[i], l[0]);
        SK_ASSERT(settle(&idle[i]));
    }
    /* a good client is still answered: the stalled accepts are given up and posted again */
    call_error = (sk_error_t)-1;
    static struct sk_ipc_call c;
    SK_ASSERT_OK(sk_ipc_call(&Q, &c, l[0], "ping", 4, 8, 0, call_back));
    while (call_error == (sk_error_t)-1) /* (the stall sweep must free an accept for it) */
        sk_queue_wait(&Q, 10000000);
    SK_EXPECT_EQ(call_error, SK_OK);
    SK_EXPECT_EQ(served, 1);
    SK_EXPECT(srv.stalls >= 1);
    sk_ipc_server_stop(&srv);
    for (int i = 0; i < 2; i++)
        sk_handle_close(sk_ipc_handle(rec(&idle[i], 0)));
    while (srv.live || srv.sweep.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&Q, 10000000);
    SK_EXPECT_EQ(srv.live, 0);
    closes(l);
}

/* Left pending on purpose: the process's exit must clean up (the kernel's leak check). */
SK_TEST(zz_exit_with_pending_chains)
{
    static sk_handle_t l[2];
    static struct sub c;
    static struct sub e, f;
    stream(l);
    client_chain(&c);
    post(&c, l[0]);
    spin();
    SK_EXPECT(!c.done);
    stream(l);
    e.acts[0] = SK_ACT_OFFER(SK_ACTF_WANT_LANE);
    e.n = 1;
    f.acts[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE);
    f.acts[1] = SK_ACT_RECV_INLINE(0, 16);
    f.n = 2;
    post(&e, l[0]);
    post(&f, l[1]);
    SK_EXPECT(settle(&e));
    spin();
    SK_EXPECT(!f.done);
    /* the process's own universe pushed and never pulled: no cycle keeps it alive */
    static struct sub g;
    stream(l);
    g.acts[0] = sk_act_push(0, SK_THIS_UNIVERSE, SK_RIGHTS_ALL);
    g.n = 1;
    post(&g, l[0]);
    spin();
    SK_EXPECT(!g.done);
    /* a standing ring with a record, its memory unmapped and its handle closed: the action's
       reference is the last one, let go when the process goes (the page-leak check after
       the tests sees its pages come back) */
    static struct sub h, k;
    static struct sk_ring ring;
    stream(l);
    SK_ASSERT_OK(sk_ring_create(&ring, 8192));
    ring_post(&h, &ring, l[1]);
    ONE(k, SK_ACT_SEND(0, "bye", 3));
    post(&k, l[0]);
    SK_EXPECT(settle(&k));
    SK_EXPECT(ring_expect(&ring, SK_OK, "bye", 3));
    sk_ring_destroy(&ring);
    spin();
    SK_EXPECT(!h.done);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_queue_open(&Q, 64, 128) != SK_OK)
        return 1;
    if (sk_argc() > 1 && strcmp(sk_argv(1), "child-mem") == 0)
        return child_mem();
    if (sk_argc() > 1 && strcmp(sk_argv(1), "child-echo") == 0)
        return child_echo();
    return sk_test_run();
}
