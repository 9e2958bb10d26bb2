/*
 * bench-ipc: IPC request/reply and bandwidth (docs/bench.md), at -smp 2.
 *
 *   ipc_roundtrip_1cpu_ns   one call at a time (16-byte request, 16-byte reply, both
 *                           inline), client and server pinned to CPU 0
 *   ipc_roundtrip_2cpu_ns   the same, server on CPU 1
 *   ipc_inflight64_ns       64 calls kept in flight; per call (client CPU 0, server CPU 1)
 *   ipc_stream_roundtrip_1cpu_ns, _2cpu_ns, ipc_stream_inflight64_ns
 *                           the same over one established stream, as Linux's pipe pair is one
 *                           established channel: the client posts send(request) + recv_inline
 *                           as one chain, the server answers each request with one chain
 *                           send(reply) + recv_inline(next request); the stream pairs them in
 *                           order (ipc_stream_inflight64_ns: requests on one stream and
 *                           replies on another, like the pipe pair, so that each side keeps
 *                           64 receives posted and sends without waiting for an answer)
 *   ipc_batch_inflight64_ns the same two streams, requests and replies sent and received in
 *                           chains of 16 actions: one submission and one completion per 16
 *   ipc_ring_inflight64_ns  the same two streams, requests and replies sent in chains and
 *                           received as records of receive rings (one standing recv_ring each)
 *   ipc_bandwidth_4k_mbps   a stream of 4 KiB sends into receive buffers, 8 of each
 *   ipc_bandwidth_1m_mbps   in flight (the receiver on the other CPU); MB/s (10^6 bytes)
 *
 * "bench-ipc only <row> [cpu]" runs one row, its server on that CPU (0: both sides on one
 * CPU, as a deterministic profile wants); init passes it with bench-ipc.args=only,<row>,<cpu>.
 *
 * The server and the receiver are other processes (this program started as "bench-ipc
 * server <cpu>" / "sink <cpu> <size> <depth>", with the lane as their registry lane), as
 * Linux's pipe and socket references are. The request/reply rows use the runtime's server
 * loop, calls and replies (sk/ipc.h). ipc_pair_ns, the floor, is one thread alone.
 */
#include "bench_util.h"
#include <sk/ipc.h>
#include <sk/spawn.h>

/* Start this program as a child ("bench-ipc <mode> <a> <b> <c>") on lane. */
static sk_error_t spawn_peer(sk_handle_t lane, const char *mode, uint64_t a, uint64_t b,
                             uint64_t c, struct sk_process *p)
{
    char sa[24], sb[24], sc[24];
    sk_snprintf(sa, sizeof sa, "%lu", a);
    sk_snprintf(sb, sizeof sb, "%lu", b);
    sk_snprintf(sc, sizeof sc, "%lu", c);
    const char *argv[] = {"bench-ipc", mode, sa, sb, sc};
    struct sk_spawn_args args = {.argc = 5, .argv = argv, .registry = lane};
    return sk_spawn_program("bench-ipc", &args, p);
}

static uint64_t num_arg(int i)
{
    uint64_t v = 0;
    for (const char *c = sk_argc() > i ? sk_argv(i) : ""; *c >= '0' && *c <= '9'; c++)
        v = v * 10 + (uint64_t)(*c - '0');
    return v;
}

#define MS 1000000ul

/* Where row() and pair_streams_row() put the server for their 2-CPU rows: CPU 1, or what
   "only <row> <cpu>" says (0: both sides on one CPU, for a deterministic profile). */
static int peer_cpu = 1;


/* ---- the echo server ------------------------------------------------------------------ */

struct job {
    struct sk_ipc_reply reply;
    uint8_t answer[16];
};

static struct {
    struct sk_queue q;
    struct sk_ipc_server srv;
    sk_handle_t lane;
    int cpu;
    struct job jobs[128];
    unsigned next;
} S;

static void on_request(struct sk_ipc_server *s, sk_handle_t lane, const void *req, uint32_t len)
{
    (void)s;
    struct job *j = &S.jobs[S.next++ % 128];
    if (j->reply.op.state != SK_OPSTATE_IDLE || len > sizeof j->answer) {
        sk_handle_close(lane);
        return;
    }
    memcpy(j->answer, req, len);
    j->answer[0]++;
    sk_ipc_reply(&S.q, &j->reply, lane, j->answer, len, NULL);
}

/* The server process: echo until the lane ends. */
static int server_main(void)
{
    bench_pin(S.cpu);
    if (sk_queue_open(&S.q, 256, 512) != SK_OK ||
        sk_ipc_server_start(&S.q, &S.srv, S.lane, 16, 64, on_request) != SK_OK)
        return 1;
    while (!S.srv.error)
        sk_queue_wait(&S.q, SK_TIMEOUT_NEVER);
    return 0;
}

static void server_end(struct sk_process *p, sk_handle_t l[2])
{
    sk_handle_close(l[0]); /* the server's accepts end: so does it */
    sk_handle_close(l[1]);
    uint64_t st;
    sk_process_wait(p, SK_TIMEOUT_NEVER, &st);
    sk_process_release(p);
}

/* ---- the echo server on an established stream --------------------------------------------- */

static struct {
    struct sk_queue q;
    sk_handle_t lane;
    struct sk_op op;
    struct sk_action act[2];
    unsigned nact;
    uint8_t out[16];
    int ended;
} E;

static void echo_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    const struct sk_ipc_result *r = sk_ipc_result(cqe, E.act, E.nact, E.nact - 1);
    if (cqe->error != SK_OK || !r || r->length > sizeof E.out || r->length == 0) {
        E.ended = 1; /* the client hung up (or sent nonsense) */
        return;
    }
    memcpy(E.out, sk_ipc_payload(r), r->length);
    E.out[0]++;
    /* the reply and the next request's receive, one chain (the reply's bytes are copied now) */
    E.act[0] = SK_ACT_SEND(SK_ACTF_CHAIN, E.out, r->length);
    E.act[1] = SK_ACT_RECV_INLINE(0, sizeof E.out);
    E.nact = 2;
    if (sk_op_ipc(&E.q, &E.op, E.lane, E.act, 2, echo_done) != SK_OK)
        E.ended = 1;
}

static int echo_main(int cpu)
{
    bench_pin(cpu);
    E.lane = sk_registry_lane();
    if (sk_queue_open(&E.q, 64, 128) != SK_OK)
        return 1;
    E.act[0] = SK_ACT_RECV_INLINE(0, sizeof E.out);
    E.nact = 1;
    if (sk_op_ipc(&E.q, &E.op, E.lane, E.act, 1, echo_done) != SK_OK)
        return 1;
    while (!E.ended)
        sk_queue_wait(&E.q, SK_TIMEOUT_NEVER);
    return 0;
}

/* The pipe-pair echo server: requests on its start-up lane, replies on a lane it pulls from
   there first; 64 receives kept posted, each answered with a forgotten send. */
#define PAIR_DEPTH 64
static struct {
    struct sk_queue q;
    sk_handle_t in, out;
    struct pslot {
        struct sk_op op, reply;
        struct sk_action act, ract;
        uint8_t out[16];
    } slot[PAIR_DEPTH];
    int ended;
} P;

static void pair_recv_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct pslot *s = SK_OP_CONTAINER(op, struct pslot, op);
    const struct sk_ipc_result *r = sk_ipc_result(cqe, &s->act, 1, 0);
    if (cqe->error != SK_OK || !r || r->length == 0 || r->length > sizeof s->out ||
        s->reply.state != SK_OPSTATE_IDLE) {
        P.ended = 1;
        return;
    }
    memcpy(s->out, sk_ipc_payload(r), r->length);
    s->out[0]++;
    s->ract = SK_ACT_SEND(0, s->out, r->length);
    if (sk_op_submit_forget(&P.q, &s->reply, SK_OP_ipc, P.out, (uint64_t)&s->ract, 1, 0) != SK_OK ||
        sk_op_ipc(&P.q, &s->op, P.in, &s->act, 1, pair_recv_done) != SK_OK)
        P.ended = 1;
}

static void pulled(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct pslot *s = SK_OP_CONTAINER(op, struct pslot, op);
    const struct sk_ipc_result *r = sk_ipc_result(cqe, &s->act, 1, 0);
    if (cqe->error != SK_OK || !r)
        P.ended = 1;
    else
        P.out = sk_ipc_handle(r);
}

/* A server on two streams: requests on the start-up lane, replies on a lane pulled from it
   first; post_receives keeps its receives posted. */
static int two_streams_server(int cpu, void (*post_receives)(void))
{
    bench_pin(cpu);
    P.in = sk_registry_lane();
    if (sk_queue_open(&P.q, 256, 512) != SK_OK)
        return 1;
    P.slot[0].act = sk_act_pull(0, SK_RIGHT_WRITE);
    if (sk_op_ipc(&P.q, &P.slot[0].op, P.in, &P.slot[0].act, 1, pulled) != SK_OK)
        return 1;
    while (!P.out && !P.ended)
        sk_queue_wait(&P.q, SK_TIMEOUT_NEVER);
    if (!P.ended)
        post_receives();
    while (!P.ended)
        sk_queue_wait(&P.q, SK_TIMEOUT_NEVER);
    return 0;
}

static void pair_receives(void)
{
    for (unsigned i = 0; i < PAIR_DEPTH && !P.ended; i++) {
        P.slot[i].act = SK_ACT_RECV_INLINE(0, sizeof P.slot[i].out);
        if (sk_op_ipc(&P.q, &P.slot[i].op, P.in, &P.slot[i].act, 1, pair_recv_done) != SK_OK)
            P.ended = 1;
    }
}

/* The batching echo server: as the pair server, but requests are received and replies sent
   in chains of BATCH actions (one submission and one completion per BATCH requests). */
#define BATCH 16
#define BATCHES (PAIR_DEPTH / BATCH)
static struct bslot {
    struct sk_op op, reply;
    struct sk_action act[BATCH], ract[BATCH];
    uint8_t in[BATCH][16], out[BATCH][16];
} B[BATCHES];

static void batch_post_recv(struct bslot *s, sk_op_fn done)
{
    for (unsigned k = 0; k < BATCH; k++)
        s->act[k] = SK_ACT_RECV(k + 1 < BATCH ? SK_ACTF_CHAIN : 0, s->in[k], 16);
    if (sk_op_ipc(&P.q, &s->op, P.in, s->act, BATCH, done) != SK_OK)
        P.ended = 1;
}

static void batch_recv_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct bslot *s = SK_OP_CONTAINER(op, struct bslot, op);
    if (cqe->error != SK_OK || s->reply.state != SK_OPSTATE_IDLE) {
        P.ended = 1;
        return;
    }
    for (unsigned k = 0; k < BATCH; k++) {
        memcpy(s->out[k], s->in[k], 16);
        s->out[k][0]++;
        s->ract[k] = SK_ACT_SEND(k + 1 < BATCH ? SK_ACTF_CHAIN : 0, s->out[k], 16);
    }
    if (sk_op_submit_forget(&P.q, &s->reply, SK_OP_ipc, P.out, (uint64_t)s->ract, BATCH, 0) !=
        SK_OK)
        P.ended = 1;
    batch_post_recv(s, batch_recv_done);
}

static void batch_receives(void)
{
    for (unsigned b = 0; b < BATCHES && !P.ended; b++)
        batch_post_recv(&B[b], batch_recv_done);
}

/* The ring echo server: requests arrive as records in a receive ring (one standing recv_ring
   on the request lane, posted again when it ends); each run of up to BATCH read at once is
   answered by one chain of sends, submitted and forgotten. */
#define RING_BYTES 16384
static struct sk_ring PR;
static struct sk_op pring_op;
static struct sk_action pring_act;
static struct rreply {
    struct sk_op op;
    struct sk_action act[BATCH];
    uint8_t out[BATCH][16];
} RR[8];

static void pring_ended(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    sk_ring_disarm(&PR);
    pring_act = sk_act_recv_ring(0, &PR);
    if (cqe->error != SK_OK || sk_op_ipc(&P.q, &pring_op, P.in, &pring_act, 1, pring_ended))
        P.ended = 1;
}

static void ring_serve(void)
{
    if (sk_ring_create(&PR, RING_BYTES) != SK_OK) {
        P.ended = 1;
        return;
    }
    pring_act = sk_act_recv_ring(0, &PR);
    if (sk_op_ipc(&P.q, &pring_op, P.in, &pring_act, 1, pring_ended) != SK_OK)
        P.ended = 1;
    unsigned next = 0, unflushed = 0;
    while (!P.ended) {
        struct rreply *rr = &RR[next];
        unsigned n = 0;
        const struct sk_ipc_result *x;
        while (rr->op.state == SK_OPSTATE_IDLE && n < BATCH && (x = sk_ring_next(&PR))) {
            if (x->error != SK_OK || x->length != 16) {
                P.ended = 1;
                return;
            }
            memcpy(rr->out[n], sk_ipc_payload(x), 16);
            sk_ring_consume(&PR, x);
            rr->out[n][0]++;
            rr->act[n] = SK_ACT_SEND(SK_ACTF_CHAIN, rr->out[n], 16);
            n++;
        }
        if (n) {
            rr->act[n - 1].flags = 0;
            if (sk_op_submit_forget(&P.q, &rr->op, SK_OP_ipc, P.out, (uint64_t)rr->act, n, 0) !=
                SK_OK)
                P.ended = 1;
            next = (next + 1) % 8;
            if (n == BATCH && ++unflushed < 4)
                continue; /* (up to 4 full chains go in one drive) */
            sk_queue_flush(&P.q);
            unflushed = 0;
            continue;
        }
        sk_queue_flush(&P.q);
        unflushed = 0;
        sk_queue_poll(&P.q); /* (the ring's end, a forgotten send's failure) */
        if (rr->op.state == SK_OPSTATE_IDLE && !sk_ring_next(&PR) && sk_ring_arm(&PR))
            sk_queue_wait(&P.q, SK_TIMEOUT_NEVER);
        else if (rr->op.state != SK_OPSTATE_IDLE)
            sk_queue_wait(&P.q, 0);
    }
}

/* ---- calls ---------------------------------------------------------------------------- */

static struct sk_queue Q;
static struct sk_ipc_call calls[64];
static uint8_t reqs[64][16];
static uint64_t done_calls, failed_calls;
static sk_handle_t client_lane;
static uint64_t to_start;

static void call_done(struct sk_ipc_call *c, sk_error_t e, const void *reply, uint32_t len)
{
    unsigned i = (unsigned)(c - calls);
    if (e != SK_OK || len != 16 || ((const uint8_t *)reply)[0] != (uint8_t)(reqs[i][0] + 1))
        failed_calls++;
    done_calls++;
    if (to_start) {
        to_start--;
        reqs[i][0]++;
        sk_ipc_call(&Q, c, client_lane, reqs[i], 16, 16, 0, call_done);
    }
}

/* n calls with `depth` in flight; returns ns per call. */
/* Replies seen in this run (the request streams answer in order). */
static uint64_t replies_seen;

/*
 * n requests: start(depth) sends the first `depth`, and each reply sends the next until n were
 * sent (to_start). Returns ns (in tenths) per request, 0 if one failed.
 */
static uint64_t timed_requests(uint64_t n, unsigned depth, void (*start)(unsigned depth))
{
    done_calls = failed_calls = 0;
    replies_seen = 0;
    to_start = n - depth;
    uint64_t t0 = now();
    start(depth);
    while (done_calls < n && !failed_calls)
        sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
    uint64_t t1 = now();
    return failed_calls ? 0 : (t1 - t0) * 10 / n;
}

static void start_calls(unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        sk_ipc_call(&Q, &calls[i], client_lane, reqs[i], 16, 16, 0, call_done);
}

/* ---- requests on an established stream --------------------------------------------------- */

static struct msg {
    struct sk_op op;
    struct sk_action act[2];
    uint8_t req[16];
} msgs[64];

/* A reply (record r) to the request whose first byte is *req0 came: count it, and say whether
   to send another request (then *req0 is the next request's). ok: the caller's own checks. */
static int reply_seen(const struct sk_cqe *cqe, const struct sk_ipc_result *r, uint8_t *req0,
                      int ok)
{
    if (!ok || cqe->error != SK_OK || !r || r->length != 16 ||
        ((const uint8_t *)sk_ipc_payload(r))[0] != (uint8_t)(*req0 + 1))
        failed_calls++;
    done_calls++;
    if (!to_start)
        return 0;
    to_start--;
    (*req0)++;
    return 1;
}

static void msg_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct msg *m = SK_OP_CONTAINER(op, struct msg, op);
    if (reply_seen(cqe, sk_ipc_result(cqe, m->act, 2, 1), &m->req[0], 1)) {
        m->act[0] = SK_ACT_SEND(SK_ACTF_CHAIN, m->req, 16);
        m->act[1] = SK_ACT_RECV_INLINE(0, 16);
        sk_op_ipc(&Q, &m->op, client_lane, m->act, 2, msg_done);
    }
}

/* n requests with `depth` in flight on the stream; returns ns (in tenths) per request. */
static void start_msgs(unsigned depth)
{
    for (unsigned i = 0; i < depth; i++) {
        msgs[i].act[0] = SK_ACT_SEND(SK_ACTF_CHAIN, msgs[i].req, 16);
        msgs[i].act[1] = SK_ACT_RECV_INLINE(0, 16);
        sk_op_ipc(&Q, &msgs[i].op, client_lane, msgs[i].act, 2, msg_done);
    }
}

/*
 * A request/reply row: start this program as `mode` (the call server or the stream echo
 * server) on a new stream, time n requests with `depth` in flight (started by `start`) once
 * to warm up and REPS times, and report the median per request.
 */
static void row(const char *name, const char *mode, int server_cpu, unsigned depth, uint64_t n,
                void (*start)(unsigned depth))
{
    sk_handle_t l[2];
    struct sk_process proc;
    bench_pin(0);
    if (sk_stream_create(0, 0, l) != SK_OK ||
        spawn_peer(l[1], mode, (uint64_t)server_cpu, 0, 0, &proc) != SK_OK) {
        sk_printf("# %s: no server\n", name);
        return;
    }
    client_lane = l[0];
    uint64_t v[REPS];
    timed_requests(n / 4, depth, start); /* warm up */
    for (int r = 0; r < REPS; r++)
        v[r] = timed_requests(n, depth, start);
    server_end(&proc, l);
    bench_pin(-1);
    if (failed_calls) {
        sk_printf("# %s: a request failed\n", name);
        return;
    }
    uint64_t lo = v[0], hi = v[0];
    for (int r = 0; r < REPS; r++)
        lo = v[r] < lo ? v[r] : lo, hi = v[r] > hi ? v[r] : hi;
    report(name, median(v, REPS));
    sk_printf("#   median of %d runs of %lu requests (bench-ipc %s), %u in flight; min %lu.%lu, "
              "max %lu.%lu ns\n", REPS, n, mode, depth, lo / 10, lo % 10, hi / 10, hi % 10);
}

static void ignore_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

/* Requests on one stream, replies on another (the pipe pair): per slot a forgotten send of the
   request and a receive of its reply, 64 slots in flight. */
static struct pmsg {
    struct sk_op send, recv;
    struct sk_action sact, ract;
    uint8_t req[16];
} pmsgs[PAIR_DEPTH];
static sk_handle_t reply_lane;
static void pmsg_done(struct sk_op *op, const struct sk_cqe *cqe);

static void pmsg_post(struct pmsg *m)
{
    m->sact = SK_ACT_SEND(0, m->req, 16);
    m->ract = SK_ACT_RECV_INLINE(0, 16);
    if (sk_op_ipc(&Q, &m->recv, reply_lane, &m->ract, 1, pmsg_done) != SK_OK ||
        sk_op_submit_forget(&Q, &m->send, SK_OP_ipc, client_lane, (uint64_t)&m->sact, 1, 0) !=
            SK_OK)
        failed_calls++;
}

/* Replies come in the order of the requests: the k-th reply answers the k-th request. */
static void pmsg_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct pmsg *m = SK_OP_CONTAINER(op, struct pmsg, recv);
    struct pmsg *asked = &pmsgs[replies_seen++ % PAIR_DEPTH];
    if (reply_seen(cqe, sk_ipc_result(cqe, &m->ract, 1, 0), &m->req[0], m == asked))
        pmsg_post(m);
}

static void start_pair(unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        pmsg_post(&pmsgs[i]);
}

/* Requests sent and replies received in chains of BATCH: BATCHES chains of each in flight. */
static struct cbatch {
    struct sk_op send, recv;
    struct sk_action sact[BATCH], ract[BATCH];
    uint8_t req[BATCH][16], rep[BATCH][16];
} CB[BATCHES];
static void cbatch_done(struct sk_op *op, const struct sk_cqe *cqe);

static void cbatch_post(struct cbatch *c)
{
    for (unsigned k = 0; k < BATCH; k++) {
        uint16_t f = k + 1 < BATCH ? SK_ACTF_CHAIN : 0;
        c->sact[k] = SK_ACT_SEND(f, c->req[k], 16);
        c->ract[k] = SK_ACT_RECV(f, c->rep[k], 16);
    }
    if (sk_op_ipc(&Q, &c->recv, reply_lane, c->ract, BATCH, cbatch_done) != SK_OK ||
        sk_op_submit_forget(&Q, &c->send, SK_OP_ipc, client_lane, (uint64_t)c->sact, BATCH, 0) !=
            SK_OK)
        failed_calls++;
}

static void cbatch_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct cbatch *c = SK_OP_CONTAINER(op, struct cbatch, recv);
    struct cbatch *asked = &CB[replies_seen++ % BATCHES];
    const struct sk_ipc_result *res[BATCH];
    sk_ipc_results(cqe, c->ract, BATCH, res);
    for (unsigned k = 0; k < BATCH; k++) {
        const struct sk_ipc_result *r = res[k];
        if (c != asked || cqe->error != SK_OK || !r || r->length != 16 ||
            c->rep[k][0] != (uint8_t)(c->req[k][0] + 1))
            failed_calls++;
        done_calls++;
    }
    if (to_start >= BATCH) { /* (n and the depth are multiples of BATCH) */
        to_start -= BATCH;
        for (unsigned k = 0; k < BATCH; k++)
            c->req[k][0]++;
        cbatch_post(c);
    }
}

static void start_batch(unsigned depth)
{
    for (unsigned b = 0; b < depth / BATCH; b++)
        cbatch_post(&CB[b]);
}

/* Requests sent in chains (forgotten), replies read from a receive ring: each run of
   replies read sends as many new requests, in one chain. Request i carries i; its reply the
   same with the low byte one more. */
static struct sk_ring CR;
static struct sk_op cring_op;
static struct sk_action cring_act;
static int cring_ready;
static uint64_t next_seq, expect_seq;
static struct creq {
    struct sk_op op;
    struct sk_action act[BATCH];
    uint64_t req[BATCH][2];
} CRQ[8];
static unsigned crq_next;
static uint64_t ring_chains, ring_posts, ring_sleeps; /* (the client's, for the row's comment) */

static void cring_ended(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    if (cqe->error != SK_OK)
        return; /* (the row is over: the server's lane went) */
    sk_ring_disarm(&CR);
    ring_posts++;
    cring_act = sk_act_recv_ring(0, &CR);
    if (sk_op_ipc(&Q, &cring_op, reply_lane, &cring_act, 1, cring_ended) != SK_OK)
        failed_calls++;
}

/* Send k requests, in chains of at most BATCH. */
static void ring_send(uint64_t k)
{
    while (k) {
        struct creq *c = &CRQ[crq_next];
        while (c->op.state != SK_OPSTATE_IDLE && !failed_calls)
            sk_queue_wait(&Q, 0);
        unsigned n = k < BATCH ? (unsigned)k : BATCH;
        for (unsigned i = 0; i < n; i++) {
            c->req[i][0] = next_seq++;
            c->act[i] = SK_ACT_SEND(i + 1 < n ? SK_ACTF_CHAIN : 0, c->req[i], 16);
        }
        if (sk_op_submit_forget(&Q, &c->op, SK_OP_ipc, client_lane, (uint64_t)c->act, n, 0) !=
            SK_OK)
            failed_calls++;
        ring_chains++;
        crq_next = (crq_next + 1) % 8;
        k -= n;
    }
    sk_queue_flush(&Q); /* (one drive for them all) */
}

static uint64_t ring_requests(uint64_t n)
{
    if (!cring_ready) {
        if (sk_ring_create(&CR, RING_BYTES) != SK_OK)
            return 0;
        cring_act = sk_act_recv_ring(0, &CR);
        if (sk_op_ipc(&Q, &cring_op, reply_lane, &cring_act, 1, cring_ended) != SK_OK)
            return 0;
        cring_ready = 1;
    }
    done_calls = failed_calls = 0;
    uint64_t t0 = now();
    to_start = n - PAIR_DEPTH;
    ring_send(PAIR_DEPTH);
    while (done_calls < n && !failed_calls) {
        uint64_t got = 0;
        for (const struct sk_ipc_result *x; (x = sk_ring_next(&CR)); got++) {
            uint64_t want = (expect_seq & ~0xffull) | ((expect_seq + 1) & 0xff), v;
            memcpy(&v, sk_ipc_payload(x), 8);
            if (x->error != SK_OK || x->length != 16 || v != want)
                failed_calls++;
            expect_seq++;
            sk_ring_consume(&CR, x);
        }
        done_calls += got;
        if (got) {
            uint64_t k = got < to_start ? got : to_start;
            to_start -= k;
            ring_send(k);
            continue;
        }
        sk_queue_poll(&Q); /* (the ring's end) */
        if (!sk_ring_next(&CR) && sk_ring_arm(&CR)) {
            ring_sleeps++;
            sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
        }
    }
    return failed_calls ? 0 : (now() - t0) * 10 / n;
}

static uint64_t pair_requests(uint64_t n) { return timed_requests(n, PAIR_DEPTH, start_pair); }
static uint64_t batch_requests(uint64_t n) { return timed_requests(n, PAIR_DEPTH, start_batch); }

static void pair_streams_row(const char *name, const char *mode, uint64_t n,
                             uint64_t (*timed)(uint64_t n), const char *how)
{
    sk_handle_t a[2], b[2];
    struct sk_process proc;
    bench_pin(0);
    if (sk_stream_create(0, 0, a) != SK_OK || sk_stream_create(0, 0, b) != SK_OK ||
        spawn_peer(a[1], mode, (uint64_t)peer_cpu, 0, 0, &proc) != SK_OK) {
        sk_printf("# %s: no server\n", name);
        return;
    }
    /* hand the server its reply lane over the request stream */
    static struct sk_op push;
    static struct sk_action pact;
    pact = sk_act_push(0, b[1], SK_RIGHT_WRITE);
    int pushed = 0;
    sk_op_ipc(&Q, &push, a[0], &pact, 1, ignore_done);
    for (int i = 0; i < 1000 && push.state != SK_OPSTATE_IDLE; i++)
        sk_queue_wait(&Q, 10 * MS);
    pushed = push.state == SK_OPSTATE_IDLE;
    sk_handle_close(b[1]);
    client_lane = a[0];
    reply_lane = b[0];
    uint64_t v[REPS];
    if (pushed) {
        timed(n / 4); /* warm up */
        for (int r = 0; r < REPS; r++)
            v[r] = timed(n);
    }
    sk_handle_close(b[0]);
    server_end(&proc, a);
    bench_pin(-1);
    if (!pushed || failed_calls) {
        sk_printf("# %s: a request failed\n", name);
        return;
    }
    report(name, median(v, REPS));
    sk_printf("#   median of %d runs of %lu requests, %u in flight, requests on one stream and "
              "replies on another, %s\n", REPS, n, PAIR_DEPTH, how);
}

static uint64_t sent, send_failed;
static void send_done(struct sk_op *op, const struct sk_cqe *cqe);

/* ---- the floor: a send and a receive matched in one thread ------------------------------- */

static void pair_row(void)
{
    sk_handle_t l[2];
    if (sk_stream_create(0, 0, l) != SK_OK)
        return;
    static struct {
        struct sk_op op;
        struct sk_action act;
    } a[64], b[64];
    static uint8_t msg[16];
    uint64_t v[REPS];
    for (int r = -1; r < REPS; r++) {
        uint64_t t0 = now();
        for (int it = 0; it < 16; it++) {
            sent = 0;
            for (int i = 0; i < 64; i++) {
                b[i].act = SK_ACT_RECV_INLINE(0, 16);
                sk_op_ipc(&Q, &b[i].op, l[1], &b[i].act, 1, send_done);
                a[i].act = SK_ACT_SEND(0, msg, 16);
                sk_op_ipc(&Q, &a[i].op, l[0], &a[i].act, 1, send_done);
            }
            while (sent < 128)
                sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
        }
        if (r >= 0)
            v[r] = (now() - t0) * 10 / (16 * 64);
    }
    sk_handle_close(l[0]);
    sk_handle_close(l[1]);
    report("ipc_pair_ns", median(v, REPS));
    sk_printf("#   a 16-byte send and a receive-inline matched on one stream by one thread, 64 pairs "
              "per drive: the kernel's and the runtime's cost of two actions, no switch\n");
}

/* ---- bandwidth: sends on one lane, receives on the other ---------------------------------- */

#define DEPTH 32 /* most in flight each way */

struct xfer {
    struct sk_op op;
    struct sk_action act;
};

static volatile int sink_ended;
static void recv_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    if (cqe->error != SK_OK)
        sink_ended = 1;
}

static uint8_t *rbuf, *sbuf;

/* The receiving process: keep `depth` receives of `size` posted until the lane ends. */
static int sink_main(int cpu, uint64_t size, unsigned depth)
{
    bench_pin(cpu);
    struct sk_queue q;
    if (depth > DEPTH || sk_queue_open(&q, 64, 128) != SK_OK)
        return 1;
    if (!(rbuf = sk_malloc(size * depth)))
        return 1;
    sk_handle_t lane = sk_registry_lane();
    static struct xfer x[DEPTH];
    while (!sink_ended) {
        for (unsigned i = 0; i < depth && !sink_ended; i++) {
            if (x[i].op.state != SK_OPSTATE_IDLE)
                continue;
            x[i].act = SK_ACT_RECV(0, rbuf + (uint64_t)i * size, size);
            sk_op_ipc(&q, &x[i].op, lane, &x[i].act, 1, recv_done);
        }
        sk_queue_wait(&q, SK_TIMEOUT_NEVER);
    }
    return 0;
}

static void send_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    if (cqe->error != SK_OK)
        send_failed++;
    sent++;
}

/* MB/s (in tenths) for count sends of size bytes on lane, depth in flight. */
static uint64_t run_bandwidth(sk_handle_t lane, uint64_t size, uint64_t count, unsigned depth)
{
    sent = send_failed = 0;
    static struct xfer x[DEPTH];
    memset(x, 0, sizeof x);
    uint64_t posted = 0, t0 = now();
    while (sent < count && !send_failed) {
        for (unsigned i = 0; i < depth && posted < count; i++) {
            if (x[i].op.state != SK_OPSTATE_IDLE)
                continue;
            x[i].act = SK_ACT_SEND(0, sbuf + (uint64_t)i * size, size);
            sk_op_ipc(&Q, &x[i].op, lane, &x[i].act, 1, send_done);
            posted++;
        }
        sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
    }
    uint64_t t1 = now();
    if (send_failed || t1 == t0)
        return 0;
    /* bytes/ns = GB/s; x 1000 = MB/s; x 10 for tenths */
    return size * count * 10000 / (t1 - t0);
}

static void bandwidth_row(const char *name, uint64_t size, uint64_t count, unsigned depth)
{
    sk_handle_t l[2];
    struct sk_process proc;
    if (sk_stream_create(0, 0, l) != SK_OK || spawn_peer(l[1], "sink", 1, size, depth, &proc)) {
        sk_printf("# %s: no receiver\n", name);
        return;
    }
    bench_pin(0);
    uint64_t v[REPS];
    run_bandwidth(l[0], size, count / 4 ? count / 4 : 1, depth);
    for (int r = 0; r < REPS; r++)
        v[r] = run_bandwidth(l[0], size, count, depth);
    bench_pin(-1);
    sk_handle_close(l[0]);
    sk_handle_close(l[1]);
    uint64_t st;
    sk_process_wait(&proc, SK_TIMEOUT_NEVER, &st);
    sk_process_release(&proc);
    uint64_t m = median(v, REPS);
    if (!m) {
        sk_printf("# %s: a transfer failed\n", name);
        return;
    }
    sk_printf("bench %s %lu.%lu MB/s\n", name, m / 10, m % 10);
    uint64_t lo = v[0], hi = v[REPS - 1]; /* (sorted by median) */
    sk_printf("#   median of %d runs of %lu sends of %lu bytes, %u in flight each way; min %lu.%lu, "
              "max %lu.%lu MB/s\n", REPS, count, size, depth, lo / 10, lo % 10, hi / 10, hi % 10);
}

/* ---- the rows ------------------------------------------------------------------------ */

static void run_pair(void) { pair_row(); }
static void run_rt1(void) { row("ipc_roundtrip_1cpu_ns", "server", 0, 1, 2000, start_calls); }
static void run_rt2(void) { row("ipc_roundtrip_2cpu_ns", "server", peer_cpu, 1, 2000, start_calls); }
static void run_calls64(void) { row("ipc_inflight64_ns", "server", peer_cpu, 64, 8000, start_calls); }
static void run_srt1(void) { row("ipc_stream_roundtrip_1cpu_ns", "echo", 0, 1, 2000, start_msgs); }
static void run_srt2(void) { row("ipc_stream_roundtrip_2cpu_ns", "echo", peer_cpu, 1, 2000, start_msgs); }
static void run_stream64(void)
{
    pair_streams_row("ipc_stream_inflight64_ns", "pair", 8000, pair_requests,
                     "a submission per request and per reply");
}
static void run_batch64(void)
{
    pair_streams_row("ipc_batch_inflight64_ns", "batch", 8000, batch_requests,
                     "sent and received in chains of 16");
}
static void run_ring64(void)
{
    pair_streams_row("ipc_ring_inflight64_ns", "ring", 8000, ring_requests,
                     "sent in chains of up to 16, received through receive rings");
    uint64_t n = 8000 / 4 + REPS * 8000;
    sk_printf("#   the client per 1,000 requests: %lu request chains, %lu ring postings, %lu "
              "sleeps\n", ring_chains * 1000 / n, ring_posts * 1000 / n, ring_sleeps * 1000 / n);
}
static void run_bw4k(void) { bandwidth_row("ipc_bandwidth_4k_mbps", 4096, 4000, 32); }
static void run_bw1m(void) { bandwidth_row("ipc_bandwidth_1m_mbps", 1 << 20, 48, 8); }

static const struct {
    const char *name;
    void (*run)(void);
} rows[] = {
    {"ipc_pair_ns", run_pair},
    {"ipc_roundtrip_1cpu_ns", run_rt1},
    {"ipc_roundtrip_2cpu_ns", run_rt2},
    {"ipc_inflight64_ns", run_calls64},
    {"ipc_stream_roundtrip_1cpu_ns", run_srt1},
    {"ipc_stream_roundtrip_2cpu_ns", run_srt2},
    {"ipc_stream_inflight64_ns", run_stream64},
    {"ipc_batch_inflight64_ns", run_batch64},
    {"ipc_ring_inflight64_ns", run_ring64},
    {"ipc_bandwidth_4k_mbps", run_bw4k},
    {"ipc_bandwidth_1m_mbps", run_bw1m},
};

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 1 && strcmp(sk_argv(1), "server") == 0) {
        S.lane = sk_registry_lane();
        S.cpu = (int)num_arg(2);
        return server_main();
    }
    if (sk_argc() > 1 && strcmp(sk_argv(1), "batch") == 0)
        return two_streams_server((int)num_arg(2), batch_receives);
    if (sk_argc() > 1 && strcmp(sk_argv(1), "ring") == 0)
        return two_streams_server((int)num_arg(2), ring_serve);
    if (sk_argc() > 1 && strcmp(sk_argv(1), "pair") == 0)
        return two_streams_server((int)num_arg(2), pair_receives);
    if (sk_argc() > 1 && strcmp(sk_argv(1), "echo") == 0)
        return echo_main((int)num_arg(2));
    if (sk_argc() > 1 && strcmp(sk_argv(1), "sink") == 0)
        return sink_main((int)num_arg(2), num_arg(3), (unsigned)num_arg(4));
    if (sk_queue_open(&Q, 256, 512) != SK_OK)
        return 1;
    if (!bench_pin(1)) {
        sk_printf("# bench-ipc needs two CPUs\n");
        return 1;
    }
    bench_pin(-1);
    if (!(sbuf = sk_malloc(8ull << 20)))
        return 1;
    memset(sbuf, 0x5a, 8ull << 20);
    /* "bench-ipc only <row> [server cpu]" (init: bench-ipc.args=only,<row>,0) runs one row */
    const char *only = sk_argc() > 2 && strcmp(sk_argv(1), "only") == 0 ? sk_argv(2) : NULL;
    if (only && sk_argc() > 3)
        peer_cpu = (int)num_arg(3);
    int ran = 0;
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (!only || strcmp(only, rows[i].name) == 0) {
            rows[i].run();
            ran++;
        }
    if (!ran)
        sk_printf("# bench-ipc: no row named %s\n", only);
    return ran ? 0 : 1;
}
