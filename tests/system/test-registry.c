/*
 * test-registry: the registry server (docs/registry.md) through the lane init
 * gives every program: entities and their properties, queries with equals /
 * and / or filters and continuation, updates, removal and owner-only checks,
 * watches (at once for an old sequence number, from another thread, timeouts),
 * CONNECT to an owner's service lane, an owner lane closed and an owner process
 * that exits (its entities vanish and a watcher sees it: this program
 * re-spawned as `test-registry child-owner`). Hostile clients are in
 * test-registry-hostile.
 */
#include <sk/spawn.h>
#include "registry_util.h"
/* ---- entities --------------------------------------------------------------------------- */

SK_TEST(lane_given_and_server_answers)
{
    SK_ASSERT(REG != 0);
    uint64_t info = 0;
    SK_ASSERT_OK(sk_handle_info(REG, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_LANE);
    SK_EXPECT_EQ(SK_INFO_RIGHTS(info), SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE);
    struct sk_reg_stats_reply s;
    SK_ASSERT_OK(sk_reg_stats(&Q, REG, &s));
    SK_EXPECT_EQ(s.requests, 1); /* this one */
    SK_EXPECT(s.next_id >= 1);
}

SK_TEST(create_and_get)
{
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t a = MAKE(o, "test", "get", "name", "alpha", "empty", "");
    uint64_t b = MAKE(o, "test", "get", "name", "beta");
    SK_ASSERT(a && b);
    SK_EXPECT(b > a);
    struct sk_reg_prop p[SK_REG_PROPS_MAX];
    uint32_t n = 0, flags = 99;
    SK_ASSERT_OK(sk_reg_get(&Q, REG, a, p, SK_REG_PROPS_MAX, &n, &flags));
    SK_EXPECT_EQ(n, 3);
    SK_EXPECT_EQ(flags, 0);
    const char *v = sk_reg_prop_find(p, n, "name");
    SK_EXPECT(v && strcmp(v, "alpha") == 0);
    v = sk_reg_prop_find(p, n, "empty");
    SK_EXPECT(v && v[0] == 0);
    SK_EXPECT(sk_reg_prop_find(p, n, "nothing") == NULL);
    /* fewer slots than properties: the first ones, and the real count */
    SK_ASSERT_OK(sk_reg_get(&Q, REG, a, p, 1, &n, NULL));
    SK_EXPECT_EQ(n, 3);
    SK_EXPECT(strcmp(p[0].key, "test") == 0);
    SK_EXPECT_ERR(sk_reg_get(&Q, REG, stats().next_id + 100, p, 1, &n, NULL), SK_ERR_NOT_FOUND);
    SK_EXPECT_ERR(sk_reg_get(&Q, REG, 0, p, 1, &n, NULL), SK_ERR_INVALID);
    /* the longest key and value fit; longer ones do not even leave the client */
    char key[SK_REG_KEY_MAX], val[SK_REG_VALUE_MAX];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    memset(val, 'v', sizeof val - 1);
    val[sizeof val - 1] = 0;
    uint64_t c = MAKE(o, key, val);
    SK_ASSERT(c);
    SK_ASSERT_OK(sk_reg_get(&Q, REG, c, p, SK_REG_PROPS_MAX, &n, NULL));
    SK_EXPECT(n == 1 && strcmp(p[0].key, key) == 0 && strcmp(p[0].value, val) == 0);
    SK_EXPECT_ERR(sk_reg_prop_set(&p[0], "", "x"), SK_ERR_INVALID);
    char longkey[SK_REG_KEY_MAX + 1];
    memset(longkey, 'k', SK_REG_KEY_MAX);
    longkey[SK_REG_KEY_MAX] = 0;
    SK_EXPECT_ERR(sk_reg_prop_set(&p[0], longkey, "x"), SK_ERR_TOO_BIG);
    sk_handle_close(o);
}

static void check_ids(const char *what, const struct sk_reg_match *m, const uint64_t *want,
                      uint32_t nwant)
{
    uint64_t got[64];
    uint32_t n = query_all(m, got, 64, 3);
    int ok = n == nwant;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = got[i] == want[i];
    if (!ok)
        sk_test_fail(__FILE__, __LINE__, "%s: %u ids, want %u (first %lu, want %lu)", what, n,
                     nwant, n ? got[0] : 0, nwant ? want[0] : 0);
}

SK_TEST(query_equals_and_or)
{
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t e1 = MAKE(o, "t", "q", "class", "net", "vendor", "intel");
    uint64_t e2 = MAKE(o, "t", "q", "class", "net", "vendor", "amd");
    uint64_t e3 = MAKE(o, "t", "q", "class", "blk", "vendor", "intel");
    uint64_t e4 = MAKE(o, "t", "q", "class", "blk", "vendor", "virtio");
    uint64_t e5 = MAKE(o, "t", "q", "class", "gpu", "vendor", "amd");
    SK_ASSERT(e1 && e2 && e3 && e4 && e5);
    struct sk_reg_match m = eq("t", "q");
    check_ids("t=q", &m, (uint64_t[]){e1, e2, e3, e4, e5}, 5);
    m = eq("class", "net");
    check_ids("class=net", &m, (uint64_t[]){e1, e2}, 2);
    /* and */
    sk_reg_match_all(&m);
    sk_reg_match_and(&m, sk_reg_match_eq(&m, "class", "net"), sk_reg_match_eq(&m, "vendor", "amd"));
    check_ids("net and amd", &m, (uint64_t[]){e2}, 1);
    /* or */
    sk_reg_match_all(&m);
    sk_reg_match_or(&m, sk_reg_match_eq(&m, "class", "blk"), sk_reg_match_eq(&m, "vendor", "amd"));
    check_ids("blk or amd", &m, (uint64_t[]){e2, e3, e4, e5}, 4);
    /* nested: t=q and (vendor=intel or class=gpu) */
    sk_reg_match_all(&m);
    int t = sk_reg_match_eq(&m, "t", "q");
    int i = sk_reg_match_eq(&m, "vendor", "intel");
    int g = sk_reg_match_eq(&m, "class", "gpu");
    sk_reg_match_and(&m, t, sk_reg_match_or(&m, i, g));
    check_ids("q and (intel or gpu)", &m, (uint64_t[]){e1, e3, e5}, 3);
    /* nothing matches; a value is compared whole */
    m = eq("class", "sound");
    check_ids("class=sound", &m, NULL, 0);
    m = eq("class", "ne");
    check_ids("class=ne", &m, NULL, 0);
    /* no filter: everything, ours among it, in id order */
    uint64_t all[256];
    uint32_t n = query_all(NULL, all, 256, SK_REG_QUERY_IDS_MAX);
    uint32_t ours = 0;
    for (uint32_t k = 0; k < n; k++) {
        ours += all[k] == e1 || all[k] == e2 || all[k] == e3 || all[k] == e4 || all[k] == e5;
        if (k)
            SK_EXPECT(all[k] > all[k - 1]);
    }
    SK_EXPECT_EQ(ours, 5);
    /* continuation by hand: two at a time */
    m = eq("t", "q");
    uint64_t ids[2], next = 0, seq = 0;
    uint32_t c = 0;
    SK_ASSERT_OK(sk_reg_query(&Q, REG, &m, 0, ids, 2, &c, &next, &seq));
    SK_EXPECT(c == 2 && ids[0] == e1 && ids[1] == e2 && next == e3);
    SK_EXPECT_EQ(seq, current_seq());
    SK_ASSERT_OK(sk_reg_query(&Q, REG, &m, next, ids, 2, &c, &next, NULL));
    SK_EXPECT(c == 2 && ids[0] == e3 && ids[1] == e4 && next == e5);
    SK_ASSERT_OK(sk_reg_query(&Q, REG, &m, next, ids, 2, &c, &next, NULL));
    SK_EXPECT(c == 1 && ids[0] == e5 && next == 0);
    /* a filter that does not build is refused before it is sent */
    sk_reg_match_all(&m);
    SK_EXPECT_EQ(sk_reg_match_and(&m, 0, -1), -1);
    SK_EXPECT_ERR(sk_reg_query(&Q, REG, &m, 0, ids, 2, &c, &next, NULL), SK_ERR_INVALID);
    sk_handle_close(o);
}

SK_TEST(update_merges_or_replaces)
{
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t e = MAKE(o, "t", "u", "a", "1", "b", "2");
    SK_ASSERT(e);
    struct sk_reg_prop p[SK_REG_PROPS_MAX + 1];
    sk_reg_prop_set(&p[0], "b", "3");
    sk_reg_prop_set(&p[1], "c", "4");
    uint64_t before = current_seq();
    SK_ASSERT_OK(sk_reg_update(&Q, o, e, 0, p, 2));
    SK_EXPECT_EQ(current_seq(), before + 1);
    struct sk_reg_prop g[SK_REG_PROPS_MAX];
    uint32_t n = 0;
    SK_ASSERT_OK(sk_reg_get(&Q, REG, e, g, SK_REG_PROPS_MAX, &n, NULL));
    SK_EXPECT_EQ(n, 4);
    SK_EXPECT(strcmp(sk_reg_prop_find(g, n, "a"), "1") == 0);
    SK_EXPECT(strcmp(sk_reg_prop_find(g, n, "b"), "3") == 0);
    SK_EXPECT(strcmp(sk_reg_prop_find(g, n, "c"), "4") == 0);
    sk_reg_prop_set(&p[0], "z", "9");
    SK_ASSERT_OK(sk_reg_update(&Q, o, e, SK_REG_UPDATE_REPLACE, p, 1));
    SK_ASSERT_OK(sk_reg_get(&Q, REG, e, g, SK_REG_PROPS_MAX, &n, NULL));
    SK_EXPECT(n == 1 && strcmp(g[0].key, "z") == 0 && strcmp(g[0].value, "9") == 0);
    /* a merge past the property bound is refused and changes nothing */
    for (int i = 0; i < SK_REG_PROPS_MAX; i++) {
        char k[16];
        sk_snprintf(k, sizeof k, "k%d", i);
        sk_reg_prop_set(&p[i], k, "v");
    }
    SK_EXPECT_ERR(sk_reg_update(&Q, o, e, 0, p, SK_REG_PROPS_MAX), SK_ERR_TOO_BIG);
    SK_EXPECT_OK(sk_reg_update(&Q, o, e, SK_REG_UPDATE_REPLACE, p, SK_REG_PROPS_MAX));
    SK_ASSERT_OK(sk_reg_get(&Q, REG, e, g, SK_REG_PROPS_MAX, &n, NULL));
    SK_EXPECT_EQ(n, SK_REG_PROPS_MAX);
    SK_EXPECT_ERR(sk_reg_update(&Q, o, e, 0, p, SK_REG_PROPS_MAX + 1), SK_ERR_TOO_BIG);
    SK_EXPECT_ERR(sk_reg_update(&Q, o, stats().next_id + 5, 0, p, 1), SK_ERR_NOT_FOUND);
    sk_handle_close(o);
}


SK_TEST(owner_only)
{
    sk_handle_t a = open_owner(), b = open_owner();
    SK_ASSERT(a && b);
    uint64_t e = MAKE(a, "t", "own");
    SK_ASSERT(e);
    struct sk_reg_prop p;
    sk_reg_prop_set(&p, "t", "stolen");
    /* another owner can neither change nor remove it */
    SK_EXPECT_ERR(sk_reg_update(&Q, b, e, 0, &p, 1), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_reg_remove(&Q, b, e), SK_ERR_NO_RIGHTS);
    /* and owner requests on the registry lane are refused */
    SK_EXPECT_ERR(sk_reg_update(&Q, REG, e, 0, &p, 1), SK_ERR_UNSUPPORTED);
    SK_EXPECT_ERR(sk_reg_remove(&Q, REG, e), SK_ERR_UNSUPPORTED);
    uint64_t id;
    SK_EXPECT_ERR(sk_reg_create(&Q, REG, &p, 1, 0, &id), SK_ERR_UNSUPPORTED);
    /* as are registry-lane requests on an owner lane */
    struct sk_reg_get g = {{SK_REG_get, sizeof g}, e};
    SK_EXPECT_ERR(raw(a, &g, sizeof g, 0), SK_ERR_UNSUPPORTED);
    uint32_t n;
    struct sk_reg_prop got[4];
    SK_ASSERT_OK(sk_reg_get(&Q, REG, e, got, 4, &n, NULL));
    SK_EXPECT(n == 1 && strcmp(got[0].value, "own") == 0);
    /* the owner can */
    uint64_t before = current_seq();
    SK_EXPECT_OK(sk_reg_remove(&Q, a, e));
    SK_EXPECT_EQ(current_seq(), before + 1);
    SK_EXPECT_ERR(sk_reg_get(&Q, REG, e, got, 4, &n, NULL), SK_ERR_NOT_FOUND);
    SK_EXPECT_ERR(sk_reg_remove(&Q, a, e), SK_ERR_NOT_FOUND);
    /* ids are never reused */
    uint64_t e2 = MAKE(a, "t", "own");
    SK_EXPECT(e2 > e);
    sk_handle_close(a);
    sk_handle_close(b);
}

/* ---- watches ------------------------------------------------------------------------------ */

SK_TEST(watch_of_an_old_sequence_returns_at_once)
{
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t s0 = current_seq();
    uint64_t e = MAKE(o, "t", "old");
    MAKE(o, "t", "other");
    SK_EXPECT_OK(sk_reg_remove(&Q, o, e));
    struct sk_reg_match m = eq("t", "old");
    struct sk_reg_event ev[8];
    uint32_t n = 0;
    /* answered with what happened, not parked until its time is up: with the longest time a
       watch may ask for, the answer must come before it */
    uint64_t seq = 0, t0 = now();
    SK_ASSERT_OK(sk_reg_watch(&Q, REG, s0, &m, SK_REG_WATCH_TIMEOUT_MAX_MS, ev, 8, &n, &seq));
    SK_EXPECT(now() - t0 < SK_REG_WATCH_TIMEOUT_MAX_MS * MS);
    SK_ASSERT_EQ(n, 2);
    SK_EXPECT(ev[0].id == e && ev[0].change == SK_REG_CREATED && ev[0].seq == s0 + 1);
    SK_EXPECT(ev[1].id == e && ev[1].change == SK_REG_REMOVED && ev[1].seq == s0 + 3);
    SK_EXPECT_EQ(seq, s0 + 3);
    /* max 1: one event, and seq says where to go on */
    SK_ASSERT_OK(sk_reg_watch(&Q, REG, s0, &m, SK_REG_WATCH_TIMEOUT_MAX_MS, ev, 1, &n, &seq));
    SK_EXPECT(n == 1 && ev[0].seq == s0 + 1 && seq == s0 + 1);
    /* a sequence number from the future is refused */
    SK_EXPECT_ERR(sk_reg_watch(&Q, REG, current_seq() + 10, &m, 100, ev, 8, &n, &seq),
                  SK_ERR_INVALID);
    sk_handle_close(o);
}

SK_TEST(watch_times_out_empty)
{
    struct sk_reg_match m = eq("t", "never-set");
    struct sk_reg_event ev[4];
    uint32_t n = 99;
    uint64_t seq = 0, s0 = current_seq(), t0 = now();
    SK_ASSERT_OK(sk_reg_watch(&Q, REG, s0, &m, 300, ev, 4, &n, &seq));
    uint64_t took = now() - t0;
    SK_EXPECT_EQ(n, 0);
    SK_EXPECT(seq >= s0);
    SK_EXPECT(took >= 300 * MS); /* never early (how late depends on the host) */
    SK_EXPECT(WAIT_STATS(st.watches == 0));
}

static struct {
    uint64_t after;
    volatile int parked_go;
    sk_error_t error;
    struct sk_reg_event ev[8];
    uint32_t n;
    uint64_t seq;
} w1;

static int watcher_thread(void *arg)
{
    (void)arg;
    struct sk_queue q;
    if (sk_queue_open(&q, 16, 32) != SK_OK)
        return 1;
    struct sk_reg_match m = eq("t", "watched");
    w1.error = sk_reg_watch(&q, REG, w1.after, &m, SK_REG_WATCH_TIMEOUT_MAX_MS, w1.ev, 8, &w1.n,
                            &w1.seq);
    sk_queue_close(&q);
    return 0;
}

SK_TEST(watcher_thread_sees_an_update)
{
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t e = MAKE(o, "t", "watched", "state", "down");
    SK_ASSERT(e);
    uint32_t w0 = stats().watches;
    w1.after = current_seq();
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(watcher_thread, NULL, 0, &t));
    SK_EXPECT(WAIT_STATS(st.watches == w0 + 1)); /* parked */
    struct sk_reg_prop p;
    sk_reg_prop_set(&p, "state", "up");
    SK_ASSERT_OK(sk_reg_update(&Q, o, e, 0, &p, 1));
    sk_thread_join(t);
    SK_ASSERT_OK(w1.error);
    SK_ASSERT_EQ(w1.n, 1);
    SK_EXPECT(w1.ev[0].id == e && w1.ev[0].change == SK_REG_UPDATED);
    SK_EXPECT_EQ(w1.ev[0].seq, w1.after + 1);
    /* an update that takes an entity out of the filter is still seen by its watchers */
    w1.after = w1.seq;
    SK_ASSERT_OK(sk_thread_spawn(watcher_thread, NULL, 0, &t));
    SK_EXPECT(WAIT_STATS(st.watches == w0 + 1));
    sk_reg_prop_set(&p, "t", "elsewhere");
    SK_ASSERT_OK(sk_reg_update(&Q, o, e, SK_REG_UPDATE_REPLACE, &p, 1));
    sk_thread_join(t);
    SK_ASSERT_OK(w1.error);
    SK_EXPECT(w1.n == 1 && w1.ev[0].id == e && w1.ev[0].change == SK_REG_UPDATED);
    sk_handle_close(o);
}

/* Watch from `after` until `want` REMOVED events matching m arrive (no time limit). Counts
   CREATED events into *created. */
static uint32_t watch_removals(const struct sk_reg_match *m, uint64_t after, uint32_t want,
                               uint32_t *created)
{
    uint32_t removed = 0;
    while (removed < want) {
        struct sk_reg_event ev[SK_REG_WATCH_EVENTS_MAX];
        uint32_t n = 0;
        sk_error_t e =
            sk_reg_watch(&Q, REG, after, m, 1000, ev, SK_REG_WATCH_EVENTS_MAX, &n, &after);
        if (e != SK_OK) {
            sk_test_fail(__FILE__, __LINE__, "watch: %s", sk_error_name(e));
            break;
        }
        for (uint32_t i = 0; i < n; i++) {
            removed += ev[i].change == SK_REG_REMOVED;
            if (created)
                *created += ev[i].change == SK_REG_CREATED;
        }
    }
    return removed;
}

SK_TEST(closing_the_owner_lane_removes_its_entities)
{
    uint32_t owners0 = stats().owners;
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    SK_EXPECT_EQ(stats().owners, owners0 + 1);
    uint64_t s0 = current_seq();
    for (int i = 0; i < 3; i++)
        MAKE(o, "t", "closed");
    struct sk_reg_match m = eq("t", "closed");
    uint64_t ids[8];
    SK_EXPECT_EQ(query_all(&m, ids, 8, 8), 3);
    sk_handle_close(o);
    uint32_t created = 0;
    SK_EXPECT_EQ(watch_removals(&m, s0, 3, &created), 3);
    SK_EXPECT_EQ(created, 3);
    SK_EXPECT_EQ(query_all(&m, ids, 8, 8), 0);
    SK_EXPECT(WAIT_STATS(st.owners == owners0));
}

/* The child: own three entities, hold its own universe, then exit without a word. */
static int child_owner(void)
{
    if (sk_queue_open(&Q, 16, 32) != SK_OK)
        return 1;
    REG = sk_registry_lane();
    sk_handle_t o = 0, self;
    if (!REG || sk_reg_open(&Q, REG, &o) != SK_OK)
        return 2;
    /* a handle to its own universe must not keep the process, and so its owner lane, alive */
    if (sk_handle_dup(SK_THIS_UNIVERSE, SK_RIGHTS_ALL, &self) != SK_OK)
        return 4;
    for (int i = 0; i < 3; i++) {
        char n[8];
        sk_snprintf(n, sizeof n, "%d", i);
        struct sk_reg_prop p[2];
        sk_reg_prop_set(&p[0], "t", "vanish");
        sk_reg_prop_set(&p[1], "n", n);
        uint64_t id;
        if (sk_reg_create(&Q, o, p, 2, 0, &id) != SK_OK)
            return 3;
    }
    return 0; /* the owner lane and the queue go with the process */
}

/* Spawn this program again with argument `mode`, passing the registry lane on. */
static sk_error_t spawn_self(const char *mode, struct sk_process *p)
{
    const char *argv[] = {"test-registry", mode};
    struct sk_spawn_args args = {.argc = 2, .argv = argv, .registry = REG};
    return sk_spawn_program("test-registry", &args, p);
}

SK_TEST(vanished_owner_process)
{
    uint32_t owners0 = stats().owners;
    uint64_t s0 = current_seq();
    struct sk_process p;
    SK_ASSERT_OK(spawn_self("child-owner", &p));
    uint64_t st = 0;
    SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_EQ(st, SK_EXIT_DONE);
    if (st != SK_EXIT_DONE)
        sk_thread_kill(p.thread);
    sk_process_release(&p);
    struct sk_reg_match m = eq("t", "vanish");
    uint32_t created = 0;
    SK_EXPECT_EQ(watch_removals(&m, s0, 3, &created), 3);
    SK_EXPECT_EQ(created, 3);
    uint64_t ids[8];
    SK_EXPECT_EQ(query_all(&m, ids, 8, 8), 0);
    SK_EXPECT(WAIT_STATS(st.owners == owners0));
}

/* ---- connections -------------------------------------------------------------------------- */

static void pong(struct sk_ipc_server *s, sk_handle_t lane, const void *req, uint32_t len)
{
    static struct sk_ipc_reply r;
    static char buf[40];
    (void)s;
    int n = sk_snprintf(buf, sizeof buf, "pong:%.*s", (int)len, (const char *)req);
    sk_ipc_reply(&Q, &r, lane, buf, (uint32_t)n, NULL);
}

static int call_got;
static char call_reply[64];
static void call_back(struct sk_ipc_call *c, sk_error_t e, const void *reply, uint32_t len)
{
    (void)c;
    call_got = e == SK_OK ? 1 : -1;
    if (e == SK_OK && len < sizeof call_reply) {
        memcpy(call_reply, reply, len);
        call_reply[len] = 0;
    }
}

SK_TEST(connect_reaches_the_owner)
{
    sk_handle_t svc[2];
    SK_ASSERT_OK(sk_stream_create(0, 0, svc));
    static struct sk_ipc_server server;
    SK_ASSERT_OK(sk_ipc_server_start(&Q, &server, svc[1], 32, 2, pong));
    sk_handle_t o = open_owner();
    SK_ASSERT(o);
    uint64_t e = make_svc(o, svc[0], (const char *const[]){"t", "svc", NULL});
    uint64_t plain = MAKE(o, "t", "plain");
    SK_ASSERT(e && plain);
    sk_handle_close(svc[0]); /* the registry holds its copy */
    uint32_t n, flags = 0;
    struct sk_reg_prop pr[2];
    SK_ASSERT_OK(sk_reg_get(&Q, REG, e, pr, 2, &n, &flags));
    SK_EXPECT_EQ(flags, SK_REG_ENTITY_SERVICE);
    sk_handle_t lane = 0;
    SK_ASSERT_OK(sk_reg_connect(&Q, REG, e, &lane));
    SK_ASSERT(lane > 0);
    uint64_t info = 0;
    SK_ASSERT_OK(sk_handle_info(lane, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_LANE);
    SK_EXPECT_EQ(SK_INFO_RIGHTS(info), SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE);
    /* the lane reaches the owner's accept loop */
    static struct sk_ipc_call c;
    call_got = 0;
    SK_ASSERT_OK(sk_ipc_call(&Q, &c, lane, "ping", 4, 32, 0, call_back));
    while (!call_got)
        sk_queue_wait(&Q, 5 * MS);
    SK_EXPECT_EQ(call_got, 1);
    SK_EXPECT(strcmp(call_reply, "pong:ping") == 0);
    sk_handle_close(lane);
    /* no service, no entity */
    SK_EXPECT_ERR(sk_reg_connect(&Q, REG, plain, &lane), SK_ERR_UNSUPPORTED);
    SK_EXPECT_ERR(sk_reg_connect(&Q, REG, stats().next_id + 7, &lane), SK_ERR_NOT_FOUND);
    /* the entity's removal closes the registry's copy: the service lane then ends */
    sk_handle_close(o);
    while (server.live)
        sk_queue_wait(&Q, 5 * MS);
    SK_EXPECT_EQ(server.live, 0);
    SK_EXPECT_EQ(server.error, SK_ERR_END_OF_LANE);
    sk_handle_close(svc[1]);
}


int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 1 && strcmp(sk_argv(1), "child-owner") == 0)
        return child_owner();
    if (sk_queue_open(&Q, 64, 128) != SK_OK)
        return 1;
    REG = sk_registry_lane();
    return sk_test_run();
}
