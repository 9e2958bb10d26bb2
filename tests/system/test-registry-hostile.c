/*
 * test-registry-hostile: clients the registry (docs/registry.md) must survive:
 * malformed messages of every kind answered with their errors while the server
 * keeps serving, a first piece too long, clients that hang up mid-watch or
 * mid-request or stall past the deadline, and the per-client limits on watches
 * and entities. STATS shows that nothing was left behind.
 */
#include "registry_util.h"

/* ---- hostile clients ---------------------------------------------------------------------- */

/* A QUERY message with room for terms. */
struct qmsg {
    struct sk_reg_query m;
    struct sk_reg_prop terms[SK_REG_FILTER_TERMS + 1];
};

static uint32_t qmsg_init(struct qmsg *q, uint32_t nterms)
{
    memset(q, 0, sizeof *q);
    uint32_t size = sizeof q->m + nterms * sizeof q->terms[0];
    q->m.head = (struct sk_msg_head){SK_REG_query, size};
    q->m.max = 4;
    q->m.filter.nterms = nterms;
    q->m.filter.nnodes = nterms ? 1 : 0;
    q->m.filter.nodes[0] = (struct sk_reg_node){nterms ? SK_REG_F_EQUALS : 0, 0, 0, 0};
    for (uint32_t i = 0; i < nterms; i++)
        sk_reg_prop_set(&q->terms[i], "k", "v");
    return size;
}

struct cmsg {
    struct sk_reg_create m;
    struct sk_reg_prop props[SK_REG_PROPS_MAX + 1];
};

static uint32_t cmsg_init(struct cmsg *c, uint32_t n)
{
    memset(c, 0, sizeof *c);
    uint32_t size = sizeof c->m + n * sizeof c->props[0];
    c->m.head = (struct sk_msg_head){SK_REG_create, size};
    c->m.nprops = n;
    for (uint32_t i = 0; i < n; i++) {
        char k[8];
        sk_snprintf(k, sizeof k, "k%u", i);
        sk_reg_prop_set(&c->props[i], k, "v");
    }
    return size;
}

SK_TEST(malformed_messages_get_error_replies)
{
    static struct qmsg q;
    static struct cmsg c;
    static uint8_t big[400];
    uint64_t rejected0 = stats().rejected;
    int expected = 0;
#define BAD(lane, msg, size, flags, want) \
    do { \
        SK_EXPECT_ERR(raw((lane), (msg), (size), (flags)), (want)); \
        expected++; \
    } while (0)
    /* unknown kinds */
    struct sk_msg_head h = {SK_MSG_KIND(SK_PROTO_REGISTRY, 99), 8};
    BAD(REG, &h, 8, 0, SK_ERR_UNSUPPORTED);
    h = (struct sk_msg_head){SK_MSG_KIND(0x1234, SK_MSG_METHOD(SK_REG_get)), 8};
    BAD(REG, &h, 8, 0, SK_ERR_UNSUPPORTED);
    /* sizes: the head's size is not what came, wrong for the kind, shorter than a head */
    struct sk_reg_get g = {{SK_REG_get, 24}, 1};
    BAD(REG, &g, sizeof g, 0, SK_ERR_INVALID);
    struct {
        struct sk_reg_get g;
        uint64_t extra;
    } g2 = {{{SK_REG_get, 24}, 1}, 0};
    BAD(REG, &g2, sizeof g2, 0, SK_ERR_INVALID);
    g = (struct sk_reg_get){{SK_REG_get, 4}, 1};
    BAD(REG, &g, 4, 0, SK_ERR_INVALID);
    /* a second piece shorter than the head says */
    uint32_t size = qmsg_init(&q, 1);
    q.m.head.size = size + 50;
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    /* a message over every bound: its second piece is refused unread */
    memset(big, 0, sizeof big);
    *(struct sk_msg_head *)big = (struct sk_msg_head){SK_REG_query, 70000};
    BAD(REG, big, sizeof big, 0, SK_ERR_TOO_BIG);
    /* strings not terminated in their fields */
    size = qmsg_init(&q, 1);
    memset(q.terms[0].key, 'x', SK_REG_KEY_MAX);
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    memset(q.terms[0].value, 'x', SK_REG_VALUE_MAX);
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.terms[0].key[0] = 0; /* empty key */
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    /* reserved fields, unknown ops, forward references, stray nodes, counts */
    size = qmsg_init(&q, 1);
    q.m.reserved = 1;
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.m.filter.nodes[0].reserved = 1;
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.m.filter.nodes[0].op = 9;
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.m.filter.nnodes = 2;
    q.m.filter.nodes[1] = (struct sk_reg_node){SK_REG_F_AND, 0, 1, 0}; /* refers to itself */
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.m.filter.nodes[0].a = 1; /* a term that is not there */
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.m.filter.nodes[5].op = SK_REG_F_EQUALS; /* past nnodes */
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 1);
    q.m.filter.nnodes = SK_REG_FILTER_NODES + 1;
    BAD(REG, &q, size, 0, SK_ERR_TOO_BIG);
    size = qmsg_init(&q, SK_REG_FILTER_TERMS + 1);
    BAD(REG, &q, size, 0, SK_ERR_TOO_BIG);
    size = qmsg_init(&q, 2);
    q.m.filter.nterms = 1; /* the count does not match the size */
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 0);
    q.m.max = 0;
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    size = qmsg_init(&q, 0);
    q.m.max = SK_REG_QUERY_IDS_MAX + 1;
    BAD(REG, &q, size, 0, SK_ERR_INVALID);
    /* a watch (with its imbue) asking for too long or nothing */
    static struct {
        struct sk_reg_watch m;
    } w;
    memset(&w, 0, sizeof w);
    w.m.head = (struct sk_msg_head){SK_REG_watch, sizeof w.m};
    w.m.max = 1;
    w.m.timeout_ms = SK_REG_WATCH_TIMEOUT_MAX_MS + 1;
    BAD(REG, &w, sizeof w, SK_REG_CALL_IMBUE, SK_ERR_INVALID);
    w.m.timeout_ms = 10;
    w.m.max = 0;
    BAD(REG, &w, sizeof w, SK_REG_CALL_IMBUE, SK_ERR_INVALID);
    /* creations that break the property rules, on an owner lane */
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    size = cmsg_init(&c, 2);
    c.props[1].key[0] = 0;
    BAD(o, &c, size, 0, SK_ERR_INVALID);
    size = cmsg_init(&c, 2);
    memcpy(c.props[1].key, c.props[0].key, SK_REG_KEY_MAX); /* the same key twice */
    BAD(o, &c, size, 0, SK_ERR_INVALID);
    size = cmsg_init(&c, 1);
    memset(c.props[0].value, 'v', SK_REG_VALUE_MAX);
    BAD(o, &c, size, 0, SK_ERR_INVALID);
    size = cmsg_init(&c, SK_REG_PROPS_MAX + 1);
    BAD(o, &c, size, 0, SK_ERR_TOO_BIG);
    size = cmsg_init(&c, 1);
    c.m.flags = 0x80;
    BAD(o, &c, size, 0, SK_ERR_INVALID);
    /* the service flag with no lane pushed: the registry's pull meets the reply's receive, so
       the client learns of it from the mismatch */
    size = cmsg_init(&c, 1);
    c.m.flags = SK_REG_CREATE_SERVICE;
    BAD(o, &c, size, 0, SK_ERR_MISMATCH);
#undef BAD
    /* each was counted, nothing was created, and the server still serves */
    /* (the registry may finish a refused conversation just after the client has its answer) */
    SK_EXPECT(WAIT_STATS(st.rejected - rejected0 == (uint64_t)expected && st.requests == 1));
    struct sk_reg_match m = eq("k0", "v");
    uint64_t ids[4];
    SK_EXPECT_EQ(query_all(&m, ids, 4, 4), 0);
    uint64_t e = MAKE(o, "t", "after-garbage");
    SK_EXPECT(e != 0);
    sk_handle_close(o);
}

SK_TEST(client_hangs_up_mid_watch)
{
    static struct sk_reg_watcher w;
    uint32_t w0 = stats().watches;
    uint64_t dropped0 = stats().dropped;
    struct sk_reg_match m = eq("t", "hangup");
    memset(&w, 0, sizeof w);
    SK_ASSERT_OK(sk_reg_watch_start(&Q, &w, REG, current_seq(), &m, SK_REG_WATCH_TIMEOUT_MAX_MS, NULL));
    SK_EXPECT(WAIT_STATS(st.watches == w0 + 1));
    sk_reg_call_cancel(&Q, &w.call);
    while (!sk_reg_call_finished(&w.call))
        sk_queue_wait(&Q, 5 * MS);
    SK_EXPECT_EQ(w.call.error, SK_ERR_CANCELLED);
    /* the registry finds out when it answers: the change comes, the answer has nobody to go to */
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    MAKE(o, "t", "hangup");
    SK_EXPECT(WAIT_STATS(st.watches == w0 && st.dropped > dropped0));
    sk_handle_close(o);
}

static struct sk_cqe raw_got;
static int raw_done;
static void raw_fin(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    raw_got = *cqe;
    raw_done = 1;
}

SK_TEST(client_hangs_up_mid_request)
{
    /* the first piece of a two-piece message, then silence; the client keeps its end */
    static struct qmsg q;
    uint32_t size = qmsg_init(&q, 2);
    (void)size;
    struct sk_action acts[2] = {
        SK_ACT_OFFER(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE),
        SK_ACT_SEND(0, &q, SK_MSG_FIRST_MAX),
    };
    struct sk_op op = {0};
    raw_done = 0;
    uint64_t dropped0 = stats().dropped;
    SK_ASSERT_OK(sk_op_ipc(&Q, &op, REG, acts, 2, raw_fin));
    while (!raw_done)
        sk_queue_wait(&Q, 5 * MS);
    SK_ASSERT(raw_done);
    SK_ASSERT_EQ(raw_got.error, SK_OK);
    sk_handle_t conv = sk_ipc_handle(sk_ipc_result(&raw_got, acts, 2, 0));
    SK_ASSERT(conv > 0);
    /* it waits for the rest (this STATS is the second request), unless the host was so slow
       that the request's deadline passed already */
    SK_EXPECT(WAIT_STATS(st.requests == 2 || st.dropped != dropped0));
    sk_handle_close(conv);
    SK_EXPECT(WAIT_STATS(st.requests == 1 && st.dropped == dropped0 + 1));
}

SK_TEST(first_piece_too_long_fails_the_send)
{
    /* a first piece over SK_MSG_FIRST_MAX does not fit the accept's receive: the client's own
       send says so, and the registry drops the conversation */
    static uint8_t msg[SK_MSG_FIRST_MAX + 8];
    static uint8_t reply[64];
    *(struct sk_msg_head *)msg = (struct sk_msg_head){SK_REG_stats, sizeof msg};
    struct sk_action acts[3] = {
        SK_ACT_OFFER(SK_ACTF_ANCILLARY),
        SK_ACT_SEND(SK_ACTF_CHAIN, msg, sizeof msg),
        SK_ACT_RECV(0, reply, sizeof reply),
    };
    uint64_t dropped0 = stats().dropped;
    struct sk_op op = {0};
    raw_done = 0;
    SK_ASSERT_OK(sk_op_ipc(&Q, &op, REG, acts, 3, raw_fin));
    while (!raw_done)
        sk_queue_wait(&Q, 5 * MS);
    SK_ASSERT(raw_done);
    const struct sk_ipc_result *r = sk_ipc_result(&raw_got, acts, 3, 1);
    SK_ASSERT(r != NULL);
    SK_EXPECT_EQ(r->error, SK_ERR_BUFFER_TOO_SMALL);
    SK_EXPECT_EQ(sk_ipc_result(&raw_got, acts, 3, 2)->error, SK_ERR_END_OF_LANE);
    SK_EXPECT(WAIT_STATS(st.dropped == dropped0 + 1 && st.requests == 1));
}

SK_TEST(watch_cap_per_client_answers_the_oldest_early)
{
    static struct sk_reg_watcher w[SK_REG_CLIENT_WATCHES_MAX + 1];
    struct sk_reg_match m = eq("t", "capped");
    uint32_t w0 = stats().watches;
    uint64_t s = current_seq();
    for (int i = 0; i < SK_REG_CLIENT_WATCHES_MAX; i++) {
        memset(&w[i], 0, sizeof w[i]);
        SK_ASSERT_OK(sk_reg_watch_start(&Q, &w[i], REG, s, &m, SK_REG_WATCH_TIMEOUT_MAX_MS, NULL));
        SK_ASSERT(WAIT_STATS(st.watches == w0 + (uint32_t)i + 1));
    }
    memset(&w[SK_REG_CLIENT_WATCHES_MAX], 0, sizeof w[0]);
    SK_ASSERT_OK(sk_reg_watch_start(&Q, &w[SK_REG_CLIENT_WATCHES_MAX], REG, s, &m, SK_REG_WATCH_TIMEOUT_MAX_MS, NULL));
    while (!sk_reg_call_finished(&w[0].call))
        sk_queue_wait(&Q, 5 * MS);
    const struct sk_reg_event *ev;
    uint32_t n = 99;
    uint64_t seq;
    SK_ASSERT(sk_reg_call_finished(&w[0].call));
    SK_EXPECT_OK(sk_reg_watch_result(&w[0], &ev, &n, &seq));
    SK_EXPECT_EQ(n, 0);
    SK_EXPECT(!w[1].call.done);
    SK_EXPECT(WAIT_STATS(st.watches == w0 + SK_REG_CLIENT_WATCHES_MAX));
    /* one change answers all the others */
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t e = MAKE(o, "t", "capped");
    for (int i = 1; i <= SK_REG_CLIENT_WATCHES_MAX; i++) {
        while (!sk_reg_call_finished(&w[i].call))
            sk_queue_wait(&Q, 5 * MS);
        SK_EXPECT_OK(sk_reg_watch_result(&w[i], &ev, &n, &seq));
        SK_EXPECT(n == 1 && ev[0].id == e && ev[0].change == SK_REG_CREATED);
    }
    SK_EXPECT(WAIT_STATS(st.watches == w0));
    sk_handle_close(o);
}

SK_TEST(owner_entity_limit)
{
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    struct sk_reg_prop p;
    sk_reg_prop_set(&p, "t", "many");
    uint64_t id;
    for (int i = 0; i < SK_REG_OWNER_ENTITIES_MAX; i++)
        SK_ASSERT_OK(sk_reg_create(&Q, o, &p, 1, 0, &id));
    SK_EXPECT_ERR(sk_reg_create(&Q, o, &p, 1, 0, &id), SK_ERR_LIMIT);
    SK_EXPECT_OK(sk_reg_remove(&Q, o, id));
    SK_EXPECT_OK(sk_reg_create(&Q, o, &p, 1, 0, &id));
    sk_handle_close(o);
    struct sk_reg_match m = eq("t", "many");
    uint64_t ids[4];
    while (query_all(&m, ids, 4, 4)) /* (the owner's entities go with its lane) */
        pause_ms(10);
    SK_EXPECT_EQ(query_all(&m, ids, 4, 4), 0);
}

SK_TEST(stalled_request_is_dropped_after_its_deadline)
{
    /* the client takes its conversation, sends the first piece of two, and never goes on */
    static struct qmsg q;
    qmsg_init(&q, 2);
    struct sk_action acts[2] = {
        SK_ACT_OFFER(SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE),
        SK_ACT_SEND(0, &q, SK_MSG_FIRST_MAX),
    };
    struct sk_op op = {0};
    raw_done = 0;
    uint64_t dropped0 = stats().dropped;
    uint64_t t0 = now(); /* before the registry has the request: its deadline is later */
    SK_ASSERT_OK(sk_op_ipc(&Q, &op, REG, acts, 2, raw_fin));
    while (!raw_done)
        sk_queue_wait(&Q, 5 * MS);
    SK_ASSERT(raw_done && raw_got.error == SK_OK);
    sk_handle_t conv = sk_ipc_handle(sk_ipc_result(&raw_got, acts, 2, 0));
    SK_EXPECT(WAIT_STATS(st.requests == 2 || st.dropped != dropped0)); /* (held, or gone) */
    SK_EXPECT(WAIT_STATS(st.requests == 1 && st.dropped == dropped0 + 1));
    SK_EXPECT(now() - t0 >= SK_REG_REQUEST_TIMEOUT_MS * MS); /* never early */
    sk_handle_close(conv);
}
int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_queue_open(&Q, 64, 128) != SK_OK)
        return 1;
    REG = sk_registry_lane();
    return sk_test_run();
}
