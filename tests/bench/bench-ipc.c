/*
 * bench-ipc: IPC request/reply and bandwidth (docs/bench.md), at -smp 2.
 *
 *   ipc_roundtrip_1cpu_ns   one call at a time (16-byte request, 16-byte reply, both
 *                           inline), client and server pinned to CPU 0
 *   ipc_roundtrip_2cpu_ns   the same, server on CPU 1
 *   ipc_inflight64_ns       64 calls kept in flight; per call (client CPU 0, server CPU 1)
 *   ipc_bandwidth_4k_mbps   a stream of 4 KiB sends into receive buffers, 8 of each
 *   ipc_bandwidth_1m_mbps   in flight (the receiver on the other CPU); MB/s (10^6 bytes)
 *
 * The server is a thread of this process with a queue of its own (the request/reply rows
 * use the runtime's server loop, calls and replies: sk/ipc.h).
 */
#include "bench_util.h"
#include <sk/ipc.h>

#define MS 1000000ul

static int pin(int cpu)
{
    return sk_thread_set_affinity(SK_THIS_THREAD, cpu < 0 ? ~0ull : 1ull << cpu) == SK_OK;
}

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
    volatile int ready, stop;
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

static int server_main(void *arg)
{
    (void)arg;
    pin(S.cpu);
    if (sk_queue_open(&S.q, 256, 512) != SK_OK ||
        sk_ipc_server_start(&S.q, &S.srv, S.lane, 16, 8, on_request) != SK_OK)
        return 1;
    S.ready = 1;
    while (!S.srv.error && !S.stop)
        sk_queue_wait(&S.q, S.stop ? 0 : SK_TIMEOUT_NEVER);
    sk_ipc_server_stop(&S.srv);
    for (int i = 0; i < 50 && sk_queue_pending(&S.q); i++)
        sk_queue_wait(&S.q, 10 * MS);
    sk_queue_close(&S.q);
    return 0;
}

static struct sk_thread *server_start(sk_handle_t l[2], int cpu)
{
    memset(&S, 0, sizeof S);
    if (sk_stream_create(0, 0, l) != SK_OK)
        return NULL;
    S.lane = l[1];
    S.cpu = cpu;
    struct sk_thread *t;
    if (sk_thread_spawn(server_main, NULL, 0, &t) != SK_OK)
        return NULL;
    while (!S.ready)
        sk_thread_yield();
    return t;
}

static void server_end(struct sk_thread *t, sk_handle_t l[2])
{
    S.stop = 1;
    sk_handle_close(l[0]);
    sk_thread_join(t);
    sk_handle_close(l[1]);
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
static uint64_t run_calls(uint64_t n, unsigned depth)
{
    done_calls = failed_calls = 0;
    to_start = n - depth;
    uint64_t t0 = now();
    for (unsigned i = 0; i < depth; i++)
        sk_ipc_call(&Q, &calls[i], client_lane, reqs[i], 16, 16, 0, call_done);
    while (done_calls < n && !failed_calls)
        sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
    uint64_t t1 = now();
    return failed_calls ? 0 : (t1 - t0) * 10 / n;
}

static void calls_row(const char *name, int server_cpu, unsigned depth, uint64_t n)
{
    sk_handle_t l[2];
    pin(0);
    struct sk_thread *t = server_start(l, server_cpu);
    if (!t) {
        sk_printf("# %s: no server\n", name);
        return;
    }
    client_lane = l[0];
    uint64_t v[REPS];
    run_calls(n / 4, depth); /* warm up */
    for (int r = 0; r < REPS; r++)
        v[r] = run_calls(n, depth);
    server_end(t, l);
    pin(-1);
    if (failed_calls) {
        sk_printf("# %s: a call failed\n", name);
        return;
    }
    uint64_t lo = v[0], hi = v[0];
    for (int r = 0; r < REPS; r++)
        lo = v[r] < lo ? v[r] : lo, hi = v[r] > hi ? v[r] : hi;
    report(name, median(v, REPS));
    sk_printf("#   median of %d runs of %lu calls, %u in flight; min %lu.%lu, max %lu.%lu ns\n",
              REPS, n, depth, lo / 10, lo % 10, hi / 10, hi % 10);
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
static struct {
    sk_handle_t lane;
    uint64_t size, count;
    unsigned depth;
    volatile int ready;
    volatile uint64_t received, failed;
} B;

struct xfer {
    struct sk_op op;
    struct sk_action act;
};

static void recv_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    if (cqe->error != SK_OK)
        B.failed++;
    B.received++;
}

static uint8_t *rbuf, *sbuf;

static int receiver_main(void *arg)
{
    (void)arg;
    pin(1);
    struct sk_queue q;
    if (sk_queue_open(&q, 64, 128) != SK_OK)
        return 1;
    static struct xfer x[DEPTH];
    memset(x, 0, sizeof x);
    uint64_t posted = 0;
    B.ready = 1;
    while (B.received < B.count && !B.failed) {
        for (unsigned i = 0; i < B.depth && posted < B.count; i++) {
            if (x[i].op.state != SK_OPSTATE_IDLE)
                continue;
            x[i].act = SK_ACT_RECV(0, rbuf + (uint64_t)i * B.size, B.size);
            sk_op_ipc(&q, &x[i].op, B.lane, &x[i].act, 1, recv_done);
            posted++;
        }
        sk_queue_wait(&q, 1000 * MS);
    }
    sk_queue_close(&q);
    return 0;
}

static void send_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    if (cqe->error != SK_OK)
        send_failed++;
    sent++;
}

/* MB/s (in tenths) for count sends of size bytes. */
static uint64_t run_bandwidth(uint64_t size, uint64_t count, unsigned depth)
{
    B.depth = depth;
    sk_handle_t l[2];
    if (sk_stream_create(0, 0, l) != SK_OK)
        return 0;
    B.lane = l[1];
    B.size = size;
    B.count = count;
    B.received = B.failed = 0;
    B.ready = 0;
    sent = send_failed = 0;
    struct sk_thread *t;
    if (sk_thread_spawn(receiver_main, NULL, 0, &t) != SK_OK)
        return 0;
    while (!B.ready)
        sk_thread_yield();
    static struct xfer x[DEPTH];
    memset(x, 0, sizeof x);
    uint64_t posted = 0, t0 = now();
    while (sent < count && !send_failed) {
        for (unsigned i = 0; i < B.depth && posted < count; i++) {
            if (x[i].op.state != SK_OPSTATE_IDLE)
                continue;
            x[i].act = SK_ACT_SEND(0, sbuf + (uint64_t)i * size, size);
            sk_op_ipc(&Q, &x[i].op, l[0], &x[i].act, 1, send_done);
            posted++;
        }
        sk_queue_wait(&Q, 1000 * MS);
    }
    uint64_t t1 = now();
    sk_thread_join(t);
    sk_handle_close(l[0]);
    sk_handle_close(l[1]);
    if (send_failed || B.failed || t1 == t0)
        return 0;
    /* bytes/ns = GB/s; x 1000 = MB/s; x 10 for tenths */
    return size * count * 10000 / (t1 - t0);
}

static void bandwidth_row(const char *name, uint64_t size, uint64_t count, unsigned depth)
{
    pin(0);
    uint64_t v[REPS];
    run_bandwidth(size, count / 4 ? count / 4 : 1, depth);
    for (int r = 0; r < REPS; r++)
        v[r] = run_bandwidth(size, count, depth);
    pin(-1);
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

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_queue_open(&Q, 256, 512) != SK_OK)
        return 1;
    if (!pin(1)) {
        sk_printf("# bench-ipc needs two CPUs\n");
        return 1;
    }
    pin(-1);
    pair_row();
    calls_row("ipc_roundtrip_1cpu_ns", 0, 1, 2000);
    calls_row("ipc_roundtrip_2cpu_ns", 1, 1, 2000);
    calls_row("ipc_inflight64_ns", 1, 64, 8000);
    uint64_t top = 8 * (1ull << 20);
    sbuf = sk_malloc(top);
    rbuf = sk_malloc(top);
    if (!sbuf || !rbuf)
        return 1;
    memset(sbuf, 0x5a, top);
    memset(rbuf, 0, top);
    bandwidth_row("ipc_bandwidth_4k_mbps", 4096, 4000, 32);
    bandwidth_row("ipc_bandwidth_1m_mbps", 1 << 20, 48, 8);
    return 0;
}
