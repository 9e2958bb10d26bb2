/*
 * test-queue-fuzz: a child process (this program started with "child <seed>")
 * scribbles random values over its own queue's shared memory (indices, sizes,
 * offsets, SQ and CQ entries) and submits random opcodes and arguments, for
 * thousands of rounds, driving all the while and also using the dispatcher on
 * the same queue. The parent checks that each child ends by itself, that the
 * kernel is still there, and that its own queue works correctly throughout
 * (its timers and nops all come back with the right tags). Several seeds.
 */
#include <sk/test.h>
#include <sk/queue.h>
#include <sk/spawn.h>

#define MS 1000000ul
#define ROUNDS 10000

static uint64_t rng;
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

/* ---- the child --------------------------------------------------------------------- */

static uint8_t scratch[2 * SK_PAGE_SIZE] __attribute__((aligned(4096)));
static struct sk_op child_ops[64];
static uint64_t child_done;

static void child_cb(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
    child_done++;
}

/* A value for an argument: often meaningful, sometimes anything. */
static uint64_t arg(const sk_handle_t *handles, int nhandles)
{
    switch (rnd() % 8) {
    case 0:
        return 0;
    case 1:
    case 2:
        return (uint64_t)handles[rnd() % (uint64_t)nhandles];
    case 3:
        return now() + rnd() % (2 * MS);
    case 4:
        return (uint64_t)scratch + rnd() % sizeof scratch;
    case 5:
        return rnd() % 64;
    case 6:
        return 0xffffffff80000000ull + rnd() % 0x100000;
    default:
        return rnd();
    }
}

static int child(uint64_t seed)
{
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    struct sk_queue q;
    uint32_t sq = 1u << (rnd() % 7), cq = sq << (rnd() % 3);
    if (sk_queue_open(&q, sq, cq) != SK_OK)
        return 10;
    sk_handle_t ev, space, mem;
    if (sk_event_create(SK_EVENT_BITSET, &ev) || sk_space_create(&space) ||
        sk_memory_create(SK_PAGE_SIZE, 0, &mem))
        return 11;
    uint64_t remote;
    sk_space_map(space, mem, 0, 0x20000000, SK_PAGE_SIZE, SK_PROT_READ | SK_PROT_WRITE, &remote);
    /* never SK_THIS_SPACE or SK_THIS_THREAD: the child must not protect itself to death or
       stop itself (observe) */
    const sk_handle_t handles[] = {ev, space, mem, q.handle, q.memory, 12345};
    const int nh = sizeof handles / sizeof handles[0];
    uint32_t *words = (uint32_t *)q.hdr;
    uint64_t taken = 0;
    uint64_t qwords = q.size / 4;
    for (int round = 0; round < ROUNDS; round++) {
        int n = (int)(rnd() % 6);
        for (int i = 0; i < n; i++) {
            struct sk_sqe *e = &q.sq[(q.hdr->sq_tail + (uint32_t)i) & (q.sq_entries - 1)];
            e->opcode = rnd() % 4 ? (uint32_t)(rnd() % (SK_OP_COUNT + 2)) : (uint32_t)rnd();
            e->flags = rnd() % 8 ? 0 : (uint32_t)rnd();
            /* an op's address, something shaped like a dispatcher tag (sk/queue.h), or noise */
            uint64_t r = rnd() % 3;
            e->tag = r == 0   ? (uint64_t)(uintptr_t)&child_ops[rnd() % 64]
                     : r == 1 ? rnd() << 32 | SK_TAG_MARK | rnd() % (2 * q.limit)
                              : rnd();
            for (int k = 0; k < 6; k++)
                e->args[k] = arg(handles, nh);
            if (e->opcode == SK_OP_mem_read || e->opcode == SK_OP_mem_write ||
                e->opcode == SK_OP_mem_protect)
                e->args[0] = (uint64_t)(rnd() % 3 ? space : handles[rnd() % (uint64_t)nh]);
            if (e->opcode == SK_OP_mem_read || e->opcode == SK_OP_mem_write) {
                e->args[2] = (uint64_t)scratch + rnd() % SK_PAGE_SIZE; /* only into scratch */
                e->args[3] = rnd() % SK_PAGE_SIZE;
            }
        }
        if (rnd() % 3)
            q.hdr->sq_tail += (uint32_t)n;
        /* scribble: a header word, or anywhere in the rings */
        switch (rnd() % 6) {
        case 0:
            words[rnd() % 16] = (uint32_t)rnd();
            break;
        case 1:
            words[rnd() % 4] += (uint32_t)(rnd() % 16) - 8;
            break;
        case 2:
            words[rnd() % qwords] = (uint32_t)rnd();
            break;
        default:
            break;
        }
        /* often put plausible indices back, so the kernel keeps taking entries */
        if (rnd() % 3 == 0) {
            q.hdr->sq_tail = q.hdr->sq_head + (uint32_t)(rnd() % (q.sq_entries + 1u));
            q.hdr->cq_head = q.hdr->cq_tail - (uint32_t)(rnd() % (q.cq_entries + 1u));
        }
        if (rnd() % 64 == 0) { /* and the dispatcher's own view of them */
            q.sq_tail = q.hdr->sq_head;
            q.cq_head = q.hdr->cq_tail;
        }
        /* and use the dispatcher on the same queue */
        if (rnd() % 4 == 0) {
            struct sk_op *op = &child_ops[rnd() % 64];
            if (op->state == SK_OPSTATE_IDLE) {
                if (rnd() % 2)
                    sk_op_nop(&q, op, child_cb);
                else
                    sk_op_timer(&q, op, now() + rnd() % MS, child_cb);
            }
        }
        if (rnd() % 8 == 0)
            sk_event_raise(rnd() % 2 ? ev : handles[rnd() % (uint64_t)nh], rnd());
        if (rnd() % 16 == 0)
            sk_queue_alert(rnd() % 2 ? q.handle : handles[rnd() % (uint64_t)nh]);
        switch (rnd() % 4) {
        case 0:
            sk_queue_poll(&q);
            break;
        case 1:
            sk_queue_wait(&q, rnd() % (MS / 10));
            break;
        default: {
            uint64_t consumed = 0;
            sk_error_t e = sk_queue_drive(rnd() % 16 ? q.handle : handles[rnd() % (uint64_t)nh],
                                          rnd() % 3, rnd() % (MS / 10), &consumed);
            if (e == SK_OK)
                taken += consumed;
        }
        }
    }
    sk_printf("test-queue-fuzz: child %lu: %d rounds, the kernel took %lu raw entries, %lu ops "
              "completed through the dispatcher, %lu stray completions skipped\n",
              seed, ROUNDS, taken, child_done, q.stray);
    /* leave with operations in flight: the kernel must clean them up */
    return 0;
}

/* ---- the parent ---------------------------------------------------------------------- */

struct probe {
    struct sk_op op;
    uint64_t deadline;
    int ok;
};
static struct probe probes[32];
static uint64_t probe_good, probe_bad;

static void probe_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct probe *p = SK_OP_CONTAINER(op, struct probe, op);
    int good = cqe->tag == op->tag && cqe->error == SK_OK;
    if (op->opcode == SK_OP_clock_await && now() < p->deadline)
        good = 0;
    if (good)
        probe_good++;
    else
        probe_bad++;
}

/* Keep the parent's own queue busy until the child's exit word says it ended (no time limit:
   a child that never ends hangs the case, which the runner reports). */
static void exercise_until(struct sk_queue *q, const struct sk_process *p)
{
    while (!(sk_atomic_load(p->exit_word) & SK_EXIT_DONE)) {
        for (int i = 0; i < 32; i++) {
            struct probe *pr = &probes[i];
            if (pr->op.state != SK_OPSTATE_IDLE)
                continue;
            if (i % 2) {
                sk_op_nop(q, &pr->op, probe_done);
            } else {
                pr->deadline = now() + 1 * MS;
                sk_op_timer(q, &pr->op, pr->deadline, probe_done);
            }
        }
        /* until all are back: the timers make this sleep, leaving the CPU to the child */
        for (int k = 0; k < 100 && sk_queue_pending(q); k++)
            sk_queue_wait(q, 5 * MS);
    }
}

static uint32_t seeds_to_run(void)
{
    return 6;
}

SK_TEST(fuzz_children)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 64, 64));
    probe_good = probe_bad = 0;
    for (uint32_t seed = 1; seed <= seeds_to_run(); seed++) {
        char seedstr[16];
        sk_snprintf(seedstr, sizeof seedstr, "%u", seed * 7919);
        const char *argv[] = {"test-queue-fuzz", "child", seedstr};
        struct sk_spawn_args args = {.argc = 3, .argv = argv};
        struct sk_process p;
        SK_ASSERT_OK(sk_spawn_program("test-queue-fuzz", &args, &p));
        uint64_t t0 = now();
        exercise_until(&q, &p);
        uint64_t st = 0;
        SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
        char why[64];
        sk_exit_describe(st, why, sizeof why);
        sk_printf("test-queue-fuzz: seed %s: child %s after %lu ms; parent's probes %lu good, "
                  "%lu bad\n",
                  seedstr, why, (now() - t0) / MS, probe_good, probe_bad);
        SK_EXPECT_EQ(st, SK_EXIT_DONE);
        if (st != SK_EXIT_DONE)
            sk_thread_kill(p.thread);
        sk_process_release(&p);
    }
    SK_EXPECT_EQ(probe_bad, 0);
    SK_EXPECT(probe_good > 0);
    SK_EXPECT_EQ(q.stray, 0);
    /* the parent's queue still does its job afterwards */
    uint64_t before = probe_good;
    SK_ASSERT_OK(sk_op_nop(&q, &probes[1].op, probe_done));
    sk_queue_run(&q);
    SK_EXPECT(probe_good > before);
    sk_queue_close(&q);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 2 && strcmp(sk_argv(1), "child") == 0) {
        uint64_t seed = 0;
        for (const char *s = sk_argv(2); *s >= '0' && *s <= '9'; s++)
            seed = seed * 10 + (uint64_t)(*s - '0');
        return child(seed);
    }
    return sk_test_run();
}
