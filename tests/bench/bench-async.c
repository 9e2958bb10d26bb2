/*
 * bench-async: the asynchronous runtime (lib/sk/queue.c) over the kernel queue.
 *   async_nop_<N>_ns      per nop, N nops per drive: submit N through the
 *                         dispatcher, one sk_queue_wait (one queue_drive), read
 *                         the N completions and run their callbacks.
 *   async_nop_raw_<N>_ns  the same work through the raw ABI, no dispatcher: N SQEs
 *                         written into the ring by hand, one queue_drive, the N
 *                         CQEs read straight out (what the kernel and the ring
 *                         protocol cost, without the runtime's bookkeeping).
 *   drive_wait_wakeup_ns  two threads, each asleep in queue_drive on its own
 *                         queue waiting for an event; each wakes the other by
 *                         raising the other's event; per hand-off (half a round
 *                         trip). The threads are pinned to CPUs 0 and 1 (run with
 *                         -smp 2), as Linux's eventfd ping-pong is.
 *   thread_switch_2cpu_ns the futex hand-off of bench-core's thread_switch_ns with
 *                         the two threads pinned to CPUs 0 and 1: a cross-CPU
 *                         wake-up and a block per hand-off (Linux: the futex
 *                         ping-pong on two CPUs).
 *   timer_lateness_ns     how late a timer completes: 200 clock_await timers with
 *                         deadlines spread over 300 ms, submitted together; per
 *                         run the median of (the kernel's clock when each fired -
 *                         its deadline). test-queue checks only their order and
 *                         that none is early: lateness depends on the host.
 * Each figure is the median of REPS runs, printed as "bench <name> <value> ns".
 */
#include <sk/sk.h>
#include <sk/queue.h>

#include "bench_util.h"

/* The median of v (tenths of ns) as a bench line, then a # line with the spread. */
static void report_spread(const char *name, uint64_t *v, int n)
{
    report(name, median(v, n)); /* (sorts v) */
    sk_printf("#   %s: median of %d runs; min %lu.%lu, max %lu.%lu\n", name, n, v[0] / 10,
              v[0] % 10, v[n - 1] / 10, v[n - 1] % 10);
}

static struct sk_op ops[128];
static uint64_t completed;

static void nop_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
    completed++;
}

static void bench_async_nop(struct sk_queue *q, uint32_t batch, const char *name)
{
    const uint64_t total = 128 * 1024; /* nops per repetition */
    uint64_t r[REPS];
    for (int k = 0; k < REPS; k++) {
        completed = 0;
        uint64_t t0 = now();
        for (uint64_t done = 0; done < total; done += batch) {
            for (uint32_t i = 0; i < batch; i++)
                sk_op_nop(q, &ops[i], nop_done);
            sk_queue_wait(q, SK_TIMEOUT_NEVER);
        }
        r[k] = (now() - t0) * 10 / total;
        if (completed != total)
            sk_printf("bench-async: %lu of %lu nops completed\n", completed, total);
    }
    report_spread(name, r, REPS);
    /* where the time goes: submitting, the drive, reading (one more repetition, split up) */
    uint64_t ts = 0, td = 0, tp = 0;
    for (uint64_t done = 0; done < total; done += batch) {
        uint64_t t0 = now();
        for (uint32_t i = 0; i < batch; i++)
            sk_op_nop(q, &ops[i], nop_done);
        uint64_t t1 = now();
        sk_queue_flush(q);
        uint64_t t2 = now();
        sk_queue_poll(q);
        uint64_t t3 = now();
        ts += t1 - t0, td += t2 - t1, tp += t3 - t2;
    }
    sk_printf("#   %s: submit %lu, drive %lu, read %lu ns per nop (with 3 clock reads per batch)\n",
              name, ts / total, td / total, tp / total);
}

/* The raw ABI: no dispatcher, no callbacks, no tag checks; the floor under async_nop_<N>. */
static void bench_raw_nop(uint32_t batch, const char *name)
{
    const uint64_t total = 128 * 1024;
    struct sk_queue_params p = {.sq_entries = batch, .cq_entries = batch};
    sk_handle_t h;
    uint64_t addr = 0;
    if (sk_queue_create(&p, &h) != SK_OK ||
        sk_space_map(SK_THIS_SPACE, p.memory, 0, 0, p.size, SK_PROT_READ | SK_PROT_WRITE,
                     &addr) != SK_OK) {
        sk_printf("bench-async: cannot set up the raw queue\n");
        return;
    }
    struct sk_queue_header *hdr = (struct sk_queue_header *)addr;
    struct sk_sqe *sq = (struct sk_sqe *)(addr + hdr->sq_offset);
    const struct sk_cqe *cq = (const struct sk_cqe *)(addr + hdr->cq_offset);
    uint32_t mask = batch - 1, tail = 0, head = 0;
    uint64_t r[REPS], bad = 0;
    for (int k = 0; k < REPS; k++) {
        uint64_t t0 = now(), seen = 0;
        for (uint64_t done = 0; done < total; done += batch) {
            for (uint32_t i = 0; i < batch; i++) {
                struct sk_sqe *e = &sq[(tail + i) & mask];
                e->opcode = SK_OP_nop;
                e->flags = 0;
                e->tag = done + i;
            }
            tail += batch;
            __atomic_store_n(&hdr->sq_tail, tail, __ATOMIC_RELEASE);
            sk_queue_drive(h, batch, SK_TIMEOUT_NEVER, NULL);
            uint32_t end = __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE);
            for (uint64_t i = 0; head != end; head++, i++) {
                const struct sk_cqe *c = &cq[head & mask];
                bad += c->error != SK_OK || c->tag != done + i;
                seen++;
            }
            __atomic_store_n(&hdr->cq_head, head, __ATOMIC_RELEASE);
        }
        r[k] = (now() - t0) * 10 / total;
        if (seen != total || bad)
            sk_printf("bench-async: raw: %lu of %lu nops completed, %lu wrong\n", seen, total, bad);
    }
    report_spread(name, r, REPS);
    sk_space_unmap(SK_THIS_SPACE, addr, p.size);
    sk_handle_close(p.memory);
    sk_handle_close(h);
}

/* ---- cross-thread wake-up ------------------------------------------------------------ */

#define ROUNDS 2000

struct side {
    struct sk_queue q;
    struct sk_op op;
    sk_handle_t mine, other; /* wait on mine, raise other */
    uint64_t seen;           /* the count of mine last seen */
    uint64_t cpu;
};

static void woken(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct side *s = SK_OP_CONTAINER(op, struct side, op);
    if (cqe->error == SK_OK)
        s->seen = cqe->value;
}

/* Wait in queue_drive until mine's count passes seq. */
static void await(struct side *s, uint64_t seq)
{
    while (s->seen <= seq) {
        if (s->op.state == SK_OPSTATE_IDLE)
            sk_op_event(&s->q, &s->op, s->mine, s->seen, woken);
        sk_queue_wait(&s->q, SK_TIMEOUT_NEVER);
    }
}

static void note_cpu(struct side *s)
{
    struct sk_thread_stats st;
    if (sk_thread_stats(SK_THIS_THREAD, &st) == SK_OK)
        s->cpu = st.cpu;
}

static int partner(void *arg)
{
    struct side *s = arg;
    bench_pin(1);
    for (uint64_t i = 0; i < (uint64_t)(REPS + 1) * ROUNDS; i++) {
        await(s, i);
        sk_event_raise(s->other, 0);
    }
    note_cpu(s);
    return 0;
}

static void bench_drive_wakeup(void)
{
    static struct side a, b;
    sk_handle_t ea, eb;
    if (sk_event_create(SK_EVENT_BITSET, &ea) || sk_event_create(SK_EVENT_BITSET, &eb) ||
        sk_queue_open(&a.q, 8, 8) || sk_queue_open(&b.q, 8, 8)) {
        sk_printf("bench-async: cannot set up the wake-up benchmark\n");
        return;
    }
    a.mine = ea, a.other = eb;
    b.mine = eb, b.other = ea;
    struct sk_thread *t;
    bench_pin(0);
    if (sk_thread_spawn(partner, &b, 0, &t) != SK_OK)
        return;
    uint64_t r[REPS], i = 0;
    for (int k = -1; k < REPS; k++) { /* k = -1: warm-up */
        uint64_t t0 = now();
        for (int j = 0; j < ROUNDS; j++, i++) {
            sk_event_raise(a.other, 0);
            await(&a, i);
        }
        if (k >= 0)
            r[k] = (now() - t0) * 10 / (2 * ROUNDS);
    }
    note_cpu(&a);
    sk_thread_join(t);
    bench_pin(-1);
    report("drive_wait_wakeup_ns", median(r, REPS));
    sk_printf("#   drive_wait_wakeup_ns: threads last ran on cpus %lu and %lu\n", a.cpu, b.cpu);
    sk_queue_close(&a.q);
    sk_queue_close(&b.q);
    sk_handle_close(ea);
    sk_handle_close(eb);
}

/* ---- thread_switch_2cpu_ns ---------------------------------------------------------- */

static void bench_thread_switch_2cpu(void)
{
    uint64_t r[REPS];
    if (futex_handoffs(0, 1, ROUNDS, r) != 0) {
        sk_printf("bench-async: cannot start a thread\n");
        return;
    }
    report_spread("thread_switch_2cpu_ns", r, REPS);
}

/* ---- timer_lateness_ns ---------------------------------------------------------------- */

#define NTIMERS 200
static struct sk_op timer_ops[NTIMERS];
static uint64_t timer_late[NTIMERS];
static int timers_fired, timers_bad;

static void timer_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    uint64_t deadline = op->args[0];
    if (cqe->error != SK_OK || cqe->value < deadline)
        timers_bad++;
    else
        timer_late[timers_fired++] = cqe->value - deadline;
}

static void bench_timer_lateness(void)
{
    struct sk_queue q;
    if (sk_queue_open(&q, 256, 256) != SK_OK) {
        sk_printf("bench-async: cannot open a queue for the timers\n");
        return;
    }
    uint64_t r[REPS], worst = 0, x = 12345;
    for (int k = 0; k < REPS; k++) {
        timers_fired = timers_bad = 0;
        uint64_t t0 = now() + 50000000ull;
        for (int i = 0; i < NTIMERS; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            sk_op_timer(&q, &timer_ops[i], t0 + (x >> 33) % 300000000ull, timer_done);
        }
        sk_queue_run(&q);
        if (timers_bad || timers_fired != NTIMERS)
            sk_printf("bench-async: timers: %d fired, %d early or failed\n", timers_fired,
                      timers_bad);
        if (timers_fired == 0)
            return;
        uint64_t m = median(timer_late, timers_fired); /* (sorts them) */
        if (timer_late[timers_fired - 1] > worst)
            worst = timer_late[timers_fired - 1];
        r[k] = m * 10;
    }
    sk_queue_close(&q);
    report_spread("timer_lateness_ns", r, REPS);
    sk_printf("#   timer_lateness_ns: the latest of %d timers: %lu ns\n", REPS * NTIMERS, worst);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    struct sk_queue q;
    if (sk_queue_open(&q, 128, 128) != SK_OK) {
        sk_printf("bench-async: cannot open a queue\n");
        return 1;
    }
    bench_async_nop(&q, 1, "async_nop_1_ns");
    bench_async_nop(&q, 16, "async_nop_16_ns");
    bench_async_nop(&q, 128, "async_nop_128_ns");
    sk_queue_close(&q);
    bench_raw_nop(128, "async_nop_raw_128_ns");
    bench_drive_wakeup();
    bench_thread_switch_2cpu();
    bench_timer_lateness();
    return 0;
}
