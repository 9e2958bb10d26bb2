/*
 * test-ipc-load: IPC under load and abuse, through the runtime's server loop
 * and calls (sk/ipc.h). 10,000 requests from one client thread in flight at
 * once to one server thread, which answers none until it holds all of them
 * (and prints its memory per request in flight); client and server pinned to
 * different CPUs; hostile clients posting random chains, sizes, pointers and
 * hanging up or dying at random for thousands of rounds while a well-behaved
 * client is served correctly throughout; a receive ring fed at full speed
 * while its owner scribbles over its header.
 */
#include <sk/test.h>
#include <sk/ipc.h>
#include <sk/spawn.h>

#define MS 1000000ul

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t now(void)
{
    uint64_t t = 0;
    sk_clock_get(&t);
    return t;
}

static int ncpus(void)
{
    int n = 0;
    for (int c = 0; c < 64; c++)
        if (sk_thread_set_affinity(SK_THIS_THREAD, 1ull << c) == SK_OK)
            n = c + 1;
    sk_thread_set_affinity(SK_THIS_THREAD, ~0ull);
    return n;
}

/* ---- the server: echoes each request's 8-byte number + 1 ------------------------------ */

struct held {
    sk_handle_t lane;
    uint64_t value;
    struct sk_ipc_reply reply;
    struct sk_op cancel; /* gives up a reply the client never takes */
};

static void ignored(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

#define MANY 10000
#define RING 1024 /* replies in flight before the oldest is given up */
static struct {
    struct sk_queue q;
    struct sk_ipc_server srv;
    sk_handle_t lane;
    unsigned hold;              /* answer nothing until this many are held (0: at once) */
    unsigned nheld, replied, bad, gave_up;
    volatile int stop, ready;
    struct held *held;          /* hold entries */
    struct held one[RING];      /* ring for immediate replies */
    unsigned next_one;
    int cpu;                    /* pin here (-1: anywhere) */
    uint64_t cpu_seen;
} S;

static void replied(struct sk_ipc_reply *r, sk_error_t e)
{
    (void)r;
    if (e == SK_OK)
        S.replied++;
}

static void answer(struct held *h)
{
    h->value++;
    sk_ipc_reply(&S.q, &h->reply, h->lane, &h->value, sizeof h->value, replied);
}

static void on_request(struct sk_ipc_server *s, sk_handle_t lane, const void *req, uint32_t len)
{
    (void)s;
    if (len != 8) {
        S.bad++;
        sk_handle_close(lane);
        return;
    }
    struct held *h;
    if (S.hold) {
        if (S.nheld >= S.hold) {
            S.bad++;
            sk_handle_close(lane);
            return;
        }
        h = &S.held[S.nheld++];
    } else {
        /* a free reply slot; a client that keeps its side of the conversation open and never
           receives (a hostile one) holds its slot until the server gives the reply up */
        h = NULL;
        for (unsigned k = 0; k < RING && !h; k++) {
            struct held *x = &S.one[(S.next_one + k) % RING];
            if (x->reply.op.state == SK_OPSTATE_IDLE)
                h = x;
        }
        struct held *oldest = &S.one[S.next_one++ % RING];
        if (!h) {
            if (oldest->cancel.state == SK_OPSTATE_IDLE &&
                sk_op_cancel(&S.q, &oldest->cancel, &oldest->reply.op, ignored) == SK_OK)
                S.gave_up++;
            S.bad++;
            sk_handle_close(lane);
            return;
        }
        if (h != oldest && oldest->reply.op.state != SK_OPSTATE_IDLE &&
            oldest->cancel.state == SK_OPSTATE_IDLE &&
            sk_op_cancel(&S.q, &oldest->cancel, &oldest->reply.op, ignored) == SK_OK)
            S.gave_up++; /* RING requests old */
    }
    h->lane = lane;
    memcpy(&h->value, req, 8);
    if (!S.hold) {
        answer(h);
    } else if (S.nheld == S.hold) {
        for (unsigned i = 0; i < S.hold; i++)
            answer(&S.held[i]);
    }
}

static int server_main(void *arg)
{
    (void)arg;
    if (S.cpu >= 0 && sk_thread_set_affinity(SK_THIS_THREAD, 1ull << S.cpu) != SK_OK)
        return 2;
    if (sk_queue_open(&S.q, 1024, 16384) != SK_OK)
        return 1;
    if (sk_ipc_server_start(&S.q, &S.srv, S.lane, 8, 16, on_request) != SK_OK)
        return 1;
    S.ready = 1;
    while (!S.stop && !S.srv.error)
        sk_queue_wait(&S.q, 20 * MS);
    struct sk_thread_stats st = {0};
    sk_thread_stats(SK_THIS_THREAD, &st);
    S.cpu_seen = st.cpu;
    sk_ipc_server_stop(&S.srv);
    for (int i = 0; i < 100 && sk_queue_pending(&S.q); i++)
        sk_queue_wait(&S.q, 10 * MS);
    sk_queue_close(&S.q);
    return 0;
}

/* Start the server thread on lanes[1]; the caller keeps lanes[0]. */
static struct sk_thread *server_start(sk_handle_t lanes[2], unsigned hold, int cpu)
{
    memset(&S, 0, sizeof S);
    if (sk_stream_create(0, 0, lanes) != SK_OK)
        return NULL;
    S.lane = lanes[1];
    S.hold = hold;
    S.cpu = cpu;
    if (hold && !(S.held = sk_malloc(hold * sizeof *S.held)))
        return NULL;
    struct sk_thread *t = NULL;
    if (sk_thread_spawn(server_main, NULL, 0, &t) != SK_OK)
        return NULL;
    for (int i = 0; i < 2000 && !S.ready; i++)
        sk_thread_yield();
    return t;
}

static void server_end(struct sk_thread *t, sk_handle_t lanes[2])
{
    S.stop = 1;
    sk_handle_close(lanes[0]); /* the server's lane ends: its loop stops */
    sk_thread_join(t);
    sk_handle_close(lanes[1]);
    sk_free(S.held);
}

/* ---- a well-behaved client ---------------------------------------------------------------- */

struct call {
    struct sk_ipc_call c;
    uint64_t value;
};
static struct call calls[MANY];
static unsigned answered, wrong;

static void got_reply(struct sk_ipc_call *c, sk_error_t e, const void *reply, uint32_t len)
{
    struct call *k = (struct call *)c;
    uint64_t v = 0;
    if (e == SK_OK && len == 8)
        memcpy(&v, reply, 8);
    if (e == SK_OK && v == k->value + 1)
        answered++;
    else
        wrong++;
}

/* Make n calls at once on lane from a queue of this thread; returns when all are answered
   (1 if every answer was right). No time limit: a call never answered hangs the test, which
   the runner reports; a loaded host may be slow for any length of time. */
static int call_many(sk_handle_t lane, unsigned n)
{
    struct sk_queue q;
    if (sk_queue_open(&q, 1024, 16384) != SK_OK)
        return 0;
    answered = wrong = 0;
    for (unsigned i = 0; i < n; i++) {
        memset(&calls[i], 0, sizeof calls[i]);
        calls[i].value = i * 3 + 1;
        if (sk_ipc_call(&q, &calls[i].c, lane, &calls[i].value, 8, 8, 0, got_reply) != SK_OK)
            wrong++;
    }
    while (answered + wrong < n)
        sk_queue_wait(&q, 50 * MS);
    sk_queue_close(&q);
    return answered == n && wrong == 0;
}

SK_TEST(ten_thousand_requests_in_flight)
{
    sk_handle_t l[2];
    struct sk_thread *t = server_start(l, MANY, -1);
    SK_ASSERT(t != NULL);
    uint64_t t0 = now();
    int ok = call_many(l[0], MANY);
    uint64_t t1 = now();
    SK_EXPECT(ok);
    SK_EXPECT_EQ(answered, MANY);
    SK_EXPECT_EQ(wrong, 0);
    SK_EXPECT_EQ(S.nheld, MANY); /* the server held every one before answering any */
    SK_EXPECT_EQ(S.bad, 0);
    sk_printf("# 10000 requests in flight at once: %lu ms; server memory per request in flight: "
              "%lu bytes (its own state; the kernel holds one waiting chain each)\n",
              (t1 - t0) / MS, (uint64_t)sizeof(struct held));
    SK_EXPECT_EQ(S.srv.naccepts, 16); /* grew to its limit: requests queued up */
    server_end(t, l);
    SK_EXPECT_EQ(S.replied, MANY);
}

/* The server posts more accepts only while requests queue up: one at a time keeps it small. */
SK_TEST(accepts_grow_only_when_requests_queue_up)
{
    sk_handle_t l[2];
    struct sk_thread *t = server_start(l, 0, -1);
    SK_ASSERT(t != NULL);
    for (int i = 0; i < 50; i++)
        SK_ASSERT(call_many(l[0], 1));
    SK_EXPECT_EQ(S.srv.naccepts, SK_IPC_SERVER_FIRST_ACCEPTS);
    SK_ASSERT(call_many(l[0], 200));
    SK_EXPECT(S.srv.naccepts > SK_IPC_SERVER_FIRST_ACCEPTS);
    SK_EXPECT(S.srv.naccepts <= 16);
    SK_EXPECT_EQ(S.srv.live, S.srv.naccepts);
    server_end(t, l);
}

SK_TEST(client_and_server_on_different_cpus)
{
    if (ncpus() < 2)
        SK_SKIP("one CPU");
    sk_handle_t l[2];
    struct sk_thread *t = server_start(l, 0, 1);
    SK_ASSERT(t != NULL);
    SK_ASSERT_OK(sk_thread_set_affinity(SK_THIS_THREAD, 1));
    int ok = call_many(l[0], 2000);
    struct sk_thread_stats st = {0};
    sk_thread_stats(SK_THIS_THREAD, &st);
    server_end(t, l);
    sk_thread_set_affinity(SK_THIS_THREAD, ~0ull);
    SK_EXPECT(ok);
    SK_EXPECT_EQ(st.cpu, 0);
    SK_EXPECT_EQ(S.cpu_seen, 1);
}

/* ---- hostile clients ------------------------------------------------------------------------ */

static uint8_t junk[3 * 4096] __attribute__((aligned(4096)));

static uint64_t any_buf(void)
{
    switch (rnd() % 6) {
    case 0:
        return 0;
    case 1:
        return 0xffff800000001000ull;
    case 2:
        return rnd();
    default:
        return (uint64_t)junk + rnd() % 4096;
    }
}

static uint64_t any_len(void)
{
    static const uint64_t lens[] = {0, 1, 7, 8, 9, 100, 104, 120, 128, 129, 4096, 8192, 12288,
                                    1u << 20, SK_IPC_MAX_TRANSFER, SK_IPC_MAX_TRANSFER + 1};
    return rnd() % 8 ? lens[rnd() % (sizeof lens / sizeof lens[0])] : rnd();
}

static struct sk_iovec junk_iov[SK_IPC_MAX_SG];

/* A random chain: sometimes well formed, mostly not quite. */
static unsigned random_chain(struct sk_action *a, sk_handle_t *handles, int nh)
{
    unsigned n = 1 + (unsigned)(rnd() % 6);
    for (unsigned i = 0; i < n; i++) {
        unsigned type = rnd() % 16 ? 1 + (unsigned)(rnd() % (SK_ACT_LIMIT - 1)) : (unsigned)rnd();
        uint16_t flags = (uint16_t)(rnd() % 8 ? rnd() % 8 : rnd());
        a[i] = (struct sk_action){.type = (uint16_t)type, .flags = flags};
        if (rnd() % 4 == 0) { /* the well-formed request shape */
            a[i].flags = i + 1 < n ? SK_ACTF_CHAIN : 0;
            if (i == 0) {
                a[i].type = SK_ACT_offer;
                a[i].flags = SK_ACTF_ANCILLARY;
            }
        }
        switch (a[i].type) {
        case SK_ACT_send:
        case SK_ACT_recv:
            a[i].buf = any_buf();
            a[i].len = any_len();
            break;
        case SK_ACT_send_sg:
            for (int k = 0; k < SK_IPC_MAX_SG; k++)
                junk_iov[k] = (struct sk_iovec){any_buf(), any_len()};
            a[i].buf = rnd() % 4 ? (uint64_t)junk_iov : any_buf();
            a[i].len = rnd() % (SK_IPC_MAX_SG + 2);
            break;
        case SK_ACT_recv_inline:
            a[i].len = rnd() % 140;
            break;
        case SK_ACT_push:
        case SK_ACT_imbue:
        case SK_ACT_recv_ring:
            a[i].handle = rnd() % 3 ? handles[rnd() % (uint64_t)nh] : (sk_handle_t)rnd();
            a[i].rights = (uint32_t)rnd();
            break;
        case SK_ACT_pull:
            a[i].rights = (uint32_t)(rnd() % 0x200);
            break;
        }
        if (rnd() % 32 == 0) { /* fields that must be 0 */
            a[i].buf = rnd();
            a[i].handle = (sk_handle_t)rnd();
        }
    }
    return n;
}

static sk_handle_t hostile_lane;
static uint64_t child_mode; /* a hostile child process: rounds before it dies */
static volatile int hostile_stop;
static volatile uint64_t hostile_rounds, hostile_seed;

struct hop {
    struct sk_op op;
    struct sk_action acts[8];
};

static void hop_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

/* One hostile thread: a queue of its own, random chains, hang-ups, cancels; sometimes it
   closes its queue with everything in flight, or is killed by the test. */
static int hostile_main(void *arg)
{
    uint64_t seed = (uint64_t)arg;
    uint64_t r = seed | 1;
    struct sk_queue q;
    if (sk_queue_open(&q, 64, 128) != SK_OK)
        return 1;
    static struct hop hops[2][32];
    struct hop *mine = hops[seed & 1];
    memset(mine, 0, sizeof hops[0]); /* a killed predecessor's ops are nobody's now */
    sk_handle_t lanes[4];
    int nl = 0;
    sk_handle_t h;
    if (sk_handle_dup(hostile_lane, SK_RIGHTS_ALL, &h) == SK_OK)
        lanes[nl++] = h;
    sk_handle_t mem, ringmem = 0;
    sk_memory_create(4096, 0, &mem);
    lanes[nl++] = mem;
    lanes[nl++] = SK_THIS_UNIVERSE;
    /* a ring (recv_ring actions may name it) whose header this thread scribbles over */
    uint64_t ringmap = 0;
    if (sk_memory_create(4096, SK_MEM_CONTIGUOUS, &ringmem) == SK_OK) {
        lanes[nl++] = ringmem;
        if (sk_space_map(SK_THIS_SPACE, ringmem, 0, 0, 4096, SK_PROT_READ | SK_PROT_WRITE,
                         &ringmap) != SK_OK)
            ringmap = 0;
    }
    while (!hostile_stop) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        struct hop *hp = &mine[r % 32];
        if (hp->op.state == SK_OPSTATE_IDLE) {
            unsigned n = random_chain(hp->acts, lanes, nl);
            sk_handle_t lane = r % 16 ? lanes[0] : (sk_handle_t)(r >> 8);
            sk_op_ipc(&q, &hp->op, lane, hp->acts, n, hop_done);
        } else if (r % 8 == 0) {
            static struct sk_op cancels[2][32];
            struct sk_op *c = &cancels[seed & 1][r % 32];
            if (c->state == SK_OPSTATE_IDLE)
                sk_op_cancel(&q, c, &hp->op, hop_done);
        }
        if (r % 16 == 1 && ringmap) /* head, tail, notify or size: 0, small or anything */
            ((volatile uint32_t *)ringmap)[(r >> 4) % 4] =
                (r >> 8) % 3 == 0 ? 0 : (r >> 8) % 3 == 1 ? (uint32_t)(r >> 16) % 4096 & ~7u
                                                         : (uint32_t)(r >> 32);
        if (r % 64 == 0 && nl > 0) { /* hang up on our lane and take a fresh one */
            sk_handle_close(lanes[0]);
            if (sk_handle_dup(hostile_lane, SK_RIGHTS_ALL, &h) == SK_OK)
                lanes[0] = h;
        }
        if (r % 512 == 0 && !child_mode)
            break; /* leave with everything in flight */
        if (child_mode && hostile_rounds >= child_mode) {
            if (r & 1) {
                static volatile int *volatile nowhere = (volatile int *)16;
                *nowhere = 1; /* die of a fault, everything in flight */
            }
            sk_thread_exit(0);           /* or just stop */
        }
        sk_queue_wait(&q, (r >> 20) % 3 ? 0 : MS);
        hostile_rounds++;
    }
    sk_queue_close(&q);
    sk_handle_close(lanes[0]);
    sk_handle_close(mem);
    if (ringmap)
        sk_space_unmap(SK_THIS_SPACE, ringmap, 4096);
    if (ringmem)
        sk_handle_close(ringmem);
    return 0;
}

SK_TEST(hostile_clients_do_not_disturb_a_good_one)
{
    sk_handle_t l[2];
    struct sk_thread *t = server_start(l, 0, -1);
    SK_ASSERT(t != NULL);
    hostile_lane = l[0];
    hostile_stop = 0;
    hostile_rounds = 0;
    struct sk_thread *evil[2] = {NULL, NULL};
    unsigned good_rounds = 0, bad = 0, spawned = 0, killed = 0;
    uint64_t seed = 1;
    /* until the good client made 400 rounds and the hostile threads 1000 (however the host
       shares its time among them), or the hostile threads 6000 */
    while (hostile_rounds < 6000 && (good_rounds < 400 || hostile_rounds < 1000)) {
        for (int i = 0; i < 2; i++) {
            if (evil[i] && *sk_thread_exit_word(evil[i])) {
                sk_thread_join(evil[i]);
                evil[i] = NULL;
            }
            if (!evil[i]) {
                if (sk_thread_spawn(hostile_main, (void *)(seed++ * 2 + (uint64_t)i), 0,
                                    &evil[i]) == SK_OK)
                    spawned++;
            } else if (rnd() % 16 == 0) { /* die with everything in flight */
                sk_thread_kill(sk_thread_handle(evil[i]));
                sk_thread_join(evil[i]);
                evil[i] = NULL;
                killed++;
            }
        }
        if (call_many(l[0], 4))
            good_rounds++;
        else
            bad++;
    }
    hostile_stop = 1;
    for (int i = 0; i < 2; i++)
        if (evil[i])
            sk_thread_join(evil[i]);
    sk_printf("# %lu hostile rounds (%u threads, %u killed), %u good calls x4, server: %lu "
              "requests, %lu failed accepts, %lu stalled accepts re-posted, %u bad heads or no reply slot, "
              "%u replies given up\n",
              (uint64_t)hostile_rounds, spawned, killed, good_rounds, S.srv.requests,
              S.srv.failures, S.srv.stalls, S.bad, S.gave_up);
    SK_EXPECT_EQ(bad, 0);
    SK_EXPECT(hostile_rounds >= 1000);
    SK_EXPECT(S.srv.error == SK_OK);
    /* and the server still answers */
    SK_EXPECT(call_many(l[0], 16));
    server_end(t, l);
}

/* Spawn this program as a hostile child on lane (its start-up "registry" lane). */
static sk_error_t spawn_hostile(sk_handle_t lane, uint64_t seed, struct sk_process *p)
{
    char seedstr[24];
    sk_snprintf(seedstr, sizeof seedstr, "%lu", seed);
    const char *argv[] = {"test-ipc-load", "hostile", seedstr};
    struct sk_spawn_args args = {.argc = 3, .argv = argv, .registry = lane};
    return sk_spawn_program("test-ipc-load", &args, p);
}

SK_TEST(hostile_processes_that_die_mid_flight)
{
    sk_handle_t l[2];
    struct sk_thread *t = server_start(l, 0, -1);
    SK_ASSERT(t != NULL);
    unsigned good = 0, faulted = 0, exited = 0;
    for (uint64_t k = 0; k < 12; k++) {
        struct sk_process p;
        SK_ASSERT_OK(spawn_hostile(l[0], k + 100, &p));
        SK_EXPECT(call_many(l[0], 4)); /* served while the child rages */
        good++;
        uint64_t st = 0;
        SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
        if (st & SK_EXIT_FAULT)
            faulted++;
        else if (st == SK_EXIT_DONE)
            exited++;
        sk_process_release(&p);
    }
    sk_printf("# 12 hostile processes: %u died of a fault, %u exited, all mid-flight; %u good "
              "rounds of 4 calls\n", faulted, exited, good);
    SK_EXPECT(faulted > 0 && exited > 0);
    SK_EXPECT(call_many(l[0], 16));
    SK_EXPECT(S.srv.error == SK_OK);
    server_end(t, l);
}

/* ---- a receive ring whose owner scribbles over its header ---------------------------- */

static struct {
    sk_handle_t lane;
    volatile int stop;
    uint64_t chains, ok, failed; /* the sender's chains and their results */
} RS;

/* How the ring's postings ended: SK_OK (full), SK_ERR_INVALID (garbage found while it stood
   or refused at posting), anything else. */
static unsigned ring_ends[3];
static void ring_ended(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    ring_ends[cqe->error == SK_OK ? 0 : cqe->error == SK_ERR_INVALID ? 1 : 2]++;
}

/* The sender: chains of 1..16 small sends into the ring's lane, as fast as they complete. */
static int ring_sender(void *arg)
{
    (void)arg;
    struct sk_queue q;
    if (sk_queue_open(&q, 64, 128) != SK_OK)
        return 1;
    static struct sk_op ops[8];
    static struct sk_action acts[8][16];
    static uint8_t msg[128];
    unsigned next = 0;
    uint64_t r = 7;
    while (!RS.stop) {
        struct sk_op *op = &ops[next];
        if (op->state == SK_OPSTATE_IDLE) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            unsigned n = 1 + (unsigned)(r % 16);
            for (unsigned k = 0; k < n; k++)
                acts[next][k] = SK_ACT_SEND(k + 1 < n ? SK_ACTF_CHAIN : 0, msg, (r >> 8) % 129);
            if (sk_op_ipc(&q, op, RS.lane, acts[next], n, hop_done) == SK_OK)
                RS.chains++;
        }
        next = (next + 1) % 8;
        sk_queue_wait(&q, MS);
    }
    /* (what is still in flight ends with the lane) */
    sk_queue_close(&q);
    return 0;
}

/*
 * One thread sends chains of small messages as fast as it can while the ring's owner
 * writes garbage into head, tail, notify and size, posts the ring again whenever it
 * ends, and never reads a record: the kernel refuses the garbage (postings that end with
 * SK_ERR_INVALID, postings refused), writes only inside the ring, and a clean ring
 * afterwards carries messages correctly.
 */
SK_TEST(ring_survives_an_owner_scribbling_its_header)
{
    static struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 64, 128));
    sk_handle_t l[2];
    SK_ASSERT_OK(sk_stream_create(0, 0, l));
    struct sk_ring ring;
    SK_ASSERT_OK(sk_ring_create(&ring, 4096));
    RS.lane = l[0];
    RS.stop = 0;
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(ring_sender, NULL, 0, &t));
    static struct sk_op op;
    static struct sk_action act;
    /* at least 1.5 s, and until each outcome has been seen (however slow the host) */
    unsigned posted = 0;
    uint64_t t0 = now();
    while (now() - t0 < 1500 * MS || posted <= 10 || RS.chains <= 10 || !ring_ends[0] ||
           !ring_ends[1]) {
        uint64_t x = rnd();
        volatile uint32_t *w = &ring.hdr->head;
        w[x % 4] = x % 3 == 0 ? 0 : x % 3 == 1 ? (uint32_t)(x >> 16) % 4096 & ~7u
                                              : (uint32_t)(x >> 32);
        if (op.state == SK_OPSTATE_IDLE) {
            act = sk_act_recv_ring(0, &ring);
            if (sk_op_ipc(&q, &op, l[1], &act, 1, ring_ended) == SK_OK)
                posted++;
        }
        sk_queue_wait(&q, x % 4 ? 0 : MS);
    }
    RS.stop = 1;
    sk_thread_join(t);
    /* cancel a posting that may stand, then a clean ring carries messages */
    static struct sk_op cancel;
    if (op.state != SK_OPSTATE_IDLE)
        sk_op_cancel(&q, &cancel, &op, hop_done);
    while (op.state != SK_OPSTATE_IDLE || cancel.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&q, MS);
    sk_printf("# %u postings of the ring while %lu chains were sent: %u ended full, %u found "
              "or were refused garbage, %u otherwise\n", posted, RS.chains, ring_ends[0],
              ring_ends[1], ring_ends[2]);
    SK_EXPECT(posted > 10 && RS.chains > 10 && ring_ends[0] > 0 && ring_ends[1] > 0);
    sk_handle_close(l[0]);
    sk_handle_close(l[1]);
    SK_ASSERT_OK(sk_stream_create(0, 0, l));
    ring.hdr->head = ring.hdr->tail = ring.hdr->notify = 0;
    ring.tail = 0;
    act = sk_act_recv_ring(0, &ring);
    SK_ASSERT_OK(sk_op_ipc(&q, &op, l[1], &act, 1, ring_ended));
    static struct sk_op sop;
    static struct sk_action sact;
    sact = SK_ACT_SEND(0, "clean", 5);
    SK_ASSERT_OK(sk_op_ipc(&q, &sop, l[0], &sact, 1, hop_done));
    while (sop.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&q, MS);
    const struct sk_ipc_result *rec = sk_ring_next(&ring);
    SK_ASSERT(rec != NULL);
    SK_EXPECT(rec->error == SK_OK && rec->length == 5 &&
              memcmp(sk_ipc_payload(rec), "clean", 5) == 0);
    sk_handle_close(l[0]);
    sk_handle_close(l[1]);
    while (op.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&q, MS);
    sk_ring_destroy(&ring);
    sk_queue_close(&q);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 2 && strcmp(sk_argv(1), "hostile") == 0) {
        uint64_t seed = 0;
        for (const char *c = sk_argv(2); *c >= '0' && *c <= '9'; c++)
            seed = seed * 10 + (uint64_t)(*c - '0');
        hostile_lane = sk_registry_lane();
        rng ^= seed * 0x9e3779b97f4a7c15ull;
        child_mode = 300 + rnd() % 700;
        return hostile_main((void *)(seed * 2 + 1));
    }
    return sk_test_run();
}
