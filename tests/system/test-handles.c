/*
 * test-handles: handle lifetime (docs/processes.md, "When a universe ends").
 * Loops of handles among universes, built every way the ABI allows and
 * abandoned many times, must end: each universe's end is seen through a lane
 * it held (our end of the stream sees end-of-lane), by SK_ERR_DEAD on inserting
 * into it, and by memory: every loop also holds touched pages, so a leak runs
 * the 128 MiB machine out of memory (and the kernel's page-leak check after the
 * user tests sees any that remain). Also: the 2^20 handle limit, calls that
 * reserve before they publish, and a drive asleep on a queue that closes.
 * Child modes (argv[1]): selfhold, pair-a, pair-b, limit.
 */
#include <sk/sk.h>
#include <sk/test.h>
#include <sk/queue.h>
#include <sk/ipc.h>
#include <sk/mem.h>
#include <sk/spawn.h>
#include <sk/thread.h>
#include <base/string.h>

#define PG 4096u
#define HANDLES_MAX (1u << 20)

static struct sk_queue Q;

/* ---- helpers ----------------------------------------------------------------------------- */

struct sub {
    struct sk_op op;
    struct sk_action acts[2];
    int done;
    struct sk_cqe cqe;
};

static void sub_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct sub *s = SK_OP_CONTAINER(op, struct sub, op);
    s->cqe = *cqe;
    s->done = 1;
}

/* Post acts[0..n) of s on lane through q. */
static sk_error_t post(struct sk_queue *q, struct sub *s, sk_handle_t lane, unsigned n)
{
    s->done = 0;
    sk_error_t e = sk_op_ipc(q, &s->op, lane, s->acts, n, sub_done);
    if (e == SK_OK)
        e = sk_queue_flush(q);
    return e;
}

/* Turn the loop until s completed; 0 only if it was never submitted. No time limit: an end
   that never comes hangs the case, which the runner reports (docs/testing.md). */
static int settle(struct sub *s)
{
    while (!s->done && s->op.state != SK_OPSTATE_IDLE)
        sk_queue_wait(&Q, SK_TIMEOUT_NEVER);
    return s->done;
}

/* A memory object of size bytes whose pages were all written (so it holds that much RAM). */
static sk_error_t touched_memory(uint64_t size, sk_handle_t *out)
{
    void *p;
    sk_error_t e = sk_mem_map_anon(size, SK_PROT_READ | SK_PROT_WRITE, &p, out);
    if (e != SK_OK)
        return e;
    for (uint64_t off = 0; off < size; off += PG)
        ((volatile char *)p)[off] = 1;
    return sk_mem_unmap(p, size);
}

/* Keep inserting into u until it refuses: its end can trail its thread's exit word by the
   reaping, which a loaded host may hold up for any time (so no limit: yield at first, then
   sleep a millisecond between tries, far from filling the table). Returns the error that
   ended it (SK_ERR_DEAD once ended). */
static sk_error_t insert_until_refused(sk_handle_t u)
{
    static volatile uint64_t never;
    sk_error_t e = SK_OK;
    for (int i = 0; e == SK_OK; i++) {
        sk_handle_t h;
        e = sk_handle_transfer(u, SK_THIS_SPACE, SK_RIGHT_READ, &h);
        if (e == SK_OK && i < 1000)
            sk_thread_yield();
        else if (e == SK_OK)
            sk_futex_wait(&never, 0, 1000000);
    }
    return e;
}

/* ---- universes under construction -------------------------------------------------------- */

/* A NEW universe holding itself (transfer u into u, twice) and a lane and memory: closing our
   handle ends it, which ends the lane. */
SK_TEST(new_universe_holding_itself_ends)
{
    for (int i = 0; i < 1000; i++) {
        sk_handle_t u, l[2], m, h;
        SK_ASSERT_OK(sk_universe_create(&u));
        SK_ASSERT_OK(sk_stream_create(0, 0, l));
        SK_ASSERT_OK(touched_memory(16 * PG, &m));
        SK_ASSERT_OK(sk_handle_transfer(u, u, SK_RIGHTS_ALL, &h));
        SK_ASSERT_OK(sk_handle_transfer(u, u, SK_RIGHT_READ | SK_RIGHT_TRANSFER, &h));
        SK_ASSERT_OK(sk_handle_transfer(u, m, SK_RIGHTS_ALL, &h));
        SK_ASSERT_OK(sk_handle_transfer(u, l[1], SK_RIGHTS_ALL, &h));
        SK_ASSERT_OK(sk_handle_close(m));
        SK_ASSERT_OK(sk_handle_close(l[1]));
        static struct sub r;
        r.acts[0] = SK_ACT_RECV_INLINE(0, 8);
        SK_ASSERT_OK(post(&Q, &r, l[0], 1));
        SK_ASSERT_OK(sk_handle_close(u));
        SK_ASSERT(settle(&r));
        SK_ASSERT_ERR(r.cqe.error, SK_ERR_END_OF_LANE);
        SK_ASSERT_OK(sk_handle_close(l[0]));
    }
}

/* Two NEW universes holding each other: closing ours ends both. */
SK_TEST(new_universes_holding_each_other_end)
{
    for (int i = 0; i < 500; i++) {
        sk_handle_t u[2], l[2][2], m, h;
        static struct sub r[2];
        for (int k = 0; k < 2; k++) {
            SK_ASSERT_OK(sk_universe_create(&u[k]));
            SK_ASSERT_OK(sk_stream_create(0, 0, l[k]));
        }
        for (int k = 0; k < 2; k++) {
            SK_ASSERT_OK(sk_handle_transfer(u[k], u[1 - k], SK_RIGHTS_ALL, &h));
            SK_ASSERT_OK(sk_handle_transfer(u[k], l[k][1], SK_RIGHTS_ALL, &h));
            SK_ASSERT_OK(touched_memory(16 * PG, &m));
            SK_ASSERT_OK(sk_handle_transfer(u[k], m, SK_RIGHTS_ALL, &h));
            SK_ASSERT_OK(sk_handle_close(m));
            SK_ASSERT_OK(sk_handle_close(l[k][1]));
            r[k].acts[0] = SK_ACT_RECV_INLINE(0, 8);
            SK_ASSERT_OK(post(&Q, &r[k], l[k][0], 1));
        }
        /* closing ours ends u[1] (u[0] holds it, but u[0] runs nothing) and only u[1] */
        SK_ASSERT_OK(sk_handle_close(u[1]));
        SK_ASSERT(settle(&r[1]));
        SK_EXPECT_ERR(r[1].cqe.error, SK_ERR_END_OF_LANE);
        sk_queue_poll(&Q);
        SK_EXPECT(!r[0].done);
        SK_ASSERT_OK(sk_handle_close(u[0]));
        SK_ASSERT(settle(&r[0]));
        SK_EXPECT_ERR(r[0].cqe.error, SK_ERR_END_OF_LANE);
        for (int k = 0; k < 2; k++)
            SK_ASSERT_OK(sk_handle_close(l[k][0]));
    }
}

/* A NEW universe holding both ends of a stream on which a push of that universe waits for a
   partner that can never come: the push holds only memory, so the universe ends, the stream
   with it, and the push completes. */
SK_TEST(new_universe_carried_by_its_own_lane_ends)
{
    for (int i = 0; i < 500; i++) {
        sk_handle_t u, l[2], h;
        static struct sub p;
        SK_ASSERT_OK(sk_universe_create(&u));
        SK_ASSERT_OK(sk_stream_create(0, 0, l));
        p.acts[0] = sk_act_push(0, u, SK_RIGHTS_ALL);
        SK_ASSERT_OK(post(&Q, &p, l[0], 1));
        for (int k = 0; k < 2; k++) {
            SK_ASSERT_OK(sk_handle_transfer(u, l[k], SK_RIGHTS_ALL, &h));
            SK_ASSERT_OK(sk_handle_close(l[k]));
        }
        sk_queue_poll(&Q);
        SK_EXPECT(!p.done);
        SK_ASSERT_OK(sk_handle_close(u));
        SK_ASSERT(settle(&p));
        SK_EXPECT_ERR(p.cqe.error, SK_ERR_END_OF_LANE);
    }
}

/* The same loop closed through a queue: a second queue holds the waiting push of u, and only
   u holds that queue and both lanes. Only the page-leak check can see this one end. */
SK_TEST(new_universe_carried_by_a_queue_it_holds_ends)
{
    for (int i = 0; i < 200; i++) {
        struct sk_queue q2;
        sk_handle_t u, l[2], h;
        static struct sub p;
        SK_ASSERT_OK(sk_queue_open(&q2, 4, 8));
        SK_ASSERT_OK(sk_universe_create(&u));
        SK_ASSERT_OK(sk_stream_create(0, 0, l));
        p.acts[0] = sk_act_push(0, u, SK_RIGHTS_ALL);
        SK_ASSERT_OK(post(&q2, &p, l[0], 1));
        SK_ASSERT_OK(sk_handle_transfer(u, q2.handle, SK_RIGHTS_ALL, &h));
        for (int k = 0; k < 2; k++) {
            SK_ASSERT_OK(sk_handle_transfer(u, l[k], SK_RIGHTS_ALL, &h));
            SK_ASSERT_OK(sk_handle_close(l[k]));
        }
        sk_queue_close(&q2);
        SK_ASSERT_OK(sk_handle_close(u));
    }
}

/* ---- running processes ------------------------------------------------------------------- */

/* Spawn this program in mode `mode`, passing lane on (in the registry slot). */
static sk_error_t spawn_self(const char *mode, sk_handle_t lane, struct sk_process *p)
{
    const char *argv[] = {"test-handles", mode};
    struct sk_spawn_args args = {.argc = 2, .argv = argv, .registry = lane};
    return sk_spawn_program("test-handles", &args, p);
}

/* Child: hold its own universe three ways (dup, a push pulled back, and the lane it got),
   write 4 MiB, exit. */
static int child_selfhold(void)
{
    sk_handle_t h, m, l[2];
    if (sk_queue_open(&Q, 8, 16) != SK_OK)
        return 1;
    if (sk_handle_dup(SK_THIS_UNIVERSE, SK_RIGHTS_ALL, &h) != SK_OK)
        return 2;
    if (sk_stream_create(0, 0, l) != SK_OK)
        return 3;
    static struct sub push, pull;
    push.acts[0] = sk_act_push(0, SK_THIS_UNIVERSE, SK_RIGHTS_ALL);
    pull.acts[0] = sk_act_pull(0, 0);
    if (post(&Q, &push, l[0], 1) != SK_OK || post(&Q, &pull, l[1], 1) != SK_OK)
        return 4;
    if (!settle(&push) || !settle(&pull) || push.cqe.error || pull.cqe.error)
        return 5;
    if (touched_memory(1024 * PG, &m) != SK_OK)
        return 6;
    return 0; /* everything goes with the process */
}

/* Run the selfhold child; its end is seen on the lane and by SK_ERR_DEAD. */
SK_TEST(running_universe_holding_itself_ends_with_its_thread)
{
    for (int i = 0; i < 40; i++) {
        sk_handle_t l[2];
        SK_ASSERT_OK(sk_stream_create(0, 0, l));
        struct sk_process p;
        SK_ASSERT_OK(spawn_self("selfhold", l[1], &p));
        SK_ASSERT_OK(sk_handle_close(l[1]));
        static struct sub r;
        r.acts[0] = SK_ACT_RECV_INLINE(0, 8);
        SK_ASSERT_OK(post(&Q, &r, l[0], 1));
        uint64_t st = 0;
        SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
        SK_EXPECT_EQ(st, SK_EXIT_DONE);
        SK_EXPECT_ERR(insert_until_refused(p.universe), SK_ERR_DEAD);
        SK_ASSERT(settle(&r));
        SK_EXPECT_ERR(r.cqe.error, SK_ERR_END_OF_LANE);
        sk_process_release(&p);
        SK_ASSERT_OK(sk_handle_close(l[0]));
        if (sk_test_failures())
            return;
    }
}

/* Child of a pair: send its universe to its partner and take the partner's (a: push then
   pull; b: pull then push), write 2 MiB, exit. */
static int child_pair(int first_push)
{
    sk_handle_t lane = sk_registry_lane(), m;
    if (!lane || sk_queue_open(&Q, 8, 16) != SK_OK)
        return 1;
    static struct sub s;
    s.acts[first_push ? 0 : 1] = sk_act_push(SK_ACTF_CHAIN, SK_THIS_UNIVERSE, SK_RIGHTS_ALL);
    s.acts[first_push ? 1 : 0] = sk_act_pull(SK_ACTF_CHAIN, 0);
    s.acts[1].flags &= (uint16_t)~SK_ACTF_CHAIN;
    if (post(&Q, &s, lane, 2) != SK_OK || !settle(&s) || s.cqe.error)
        return 2;
    if (touched_memory(512 * PG, &m) != SK_OK)
        return 3;
    return 0;
}

/* Two running processes holding each other's universe end with their threads. */
SK_TEST(running_universes_holding_each_other_end)
{
    for (int i = 0; i < 20; i++) {
        sk_handle_t l[2];
        SK_ASSERT_OK(sk_stream_create(0, 0, l));
        struct sk_process a, b;
        SK_ASSERT_OK(spawn_self("pair-a", l[0], &a));
        SK_ASSERT_OK(spawn_self("pair-b", l[1], &b));
        SK_ASSERT_OK(sk_handle_close(l[0]));
        SK_ASSERT_OK(sk_handle_close(l[1]));
        uint64_t st = 0;
        SK_EXPECT_OK(sk_process_wait(&a, SK_TIMEOUT_NEVER, &st));
        SK_EXPECT_EQ(st, SK_EXIT_DONE);
        SK_EXPECT_OK(sk_process_wait(&b, SK_TIMEOUT_NEVER, &st));
        SK_EXPECT_EQ(st, SK_EXIT_DONE);
        SK_EXPECT_ERR(insert_until_refused(a.universe), SK_ERR_DEAD);
        SK_EXPECT_ERR(insert_until_refused(b.universe), SK_ERR_DEAD);
        sk_process_release(&a);
        sk_process_release(&b);
        if (sk_test_failures())
            return;
    }
}

/* ---- the handle limit -------------------------------------------------------------------- */

/* Child: fill its universe to the limit; calls that need room change nothing at it. Exit code:
   0, or the number of the check that failed. */
static int child_limit(void)
{
    sk_handle_t m, h = 0, first = 0;
    if (sk_memory_create(PG, 0, &m) != SK_OK)
        return 1;
    uint64_t made = 0;
    sk_error_t e;
    while ((e = sk_handle_dup(m, SK_RIGHTS_ALL, &h)) == SK_OK) {
        if (!first)
            first = h;
        made++;
    }
    if (e != SK_ERR_LIMIT)
        return 2;
    /* the program itself holds a few handles (queue, archive, registry, ...) */
    if (made > HANDLES_MAX || made < HANDLES_MAX - 64)
        return 3;
    /* one free entry: calls that need two refuse and leave it free */
    if (sk_handle_close(first) != SK_OK)
        return 4;
    sk_handle_t l[2] = {0, 0};
    if (sk_stream_create(0, 0, l) != SK_ERR_LIMIT || l[0] || l[1])
        return 5;
    struct sk_queue_params qp = {.sq_entries = 4, .cq_entries = 8};
    sk_handle_t qh = 0;
    if (sk_queue_create(&qp, &qh) != SK_ERR_LIMIT || qh)
        return 6;
    if (sk_handle_dup(m, SK_RIGHTS_ALL, &h) != SK_OK)
        return 7;
    /* full again: thread_create cannot publish its handle, so it creates nothing */
    struct sk_thread_create tc = {.entry = 0x400000, .stack = 0x500000,
                                  .flags = SK_THREAD_START_STOPPED};
    sk_handle_t th = 0;
    if (sk_thread_create(SK_THIS_UNIVERSE, SK_THIS_SPACE, &tc, &th) != SK_ERR_LIMIT || th)
        return 8;
    if (sk_handle_dup(m, SK_RIGHTS_ALL, &h) != SK_ERR_LIMIT)
        return 9;
    return 0; /* a million handles go with the universe */
}

SK_TEST(a_universe_holds_two_to_the_twenty_handles)
{
    struct sk_process p;
    SK_ASSERT_OK(spawn_self("limit", 0, &p));
    uint64_t st = 0;
    SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_EQ(st, SK_EXIT_DONE);
    sk_process_release(&p);
}

/* ---- a queue closing under a sleeping drive ---------------------------------------------- */

static volatile int drive_started;
static sk_handle_t drive_queue;

static int drive_forever(void *arg)
{
    (void)arg;
    sk_atomic_store(&drive_started, 1);
    return (int)sk_queue_drive(drive_queue, 1, SK_TIMEOUT_NEVER, NULL);
}

SK_TEST(a_drive_returns_when_its_queue_closes)
{
    struct sk_queue_params qp = {.sq_entries = 4, .cq_entries = 8};
    SK_ASSERT_OK(sk_queue_create(&qp, &drive_queue));
    SK_ASSERT_OK(sk_handle_close(qp.memory));
    drive_started = 0;
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(drive_forever, NULL, 0, &t));
    while (!sk_atomic_load(&drive_started))
        sk_thread_yield();
    for (int i = 0; i < 100; i++)
        sk_thread_yield(); /* most likely asleep in the drive by now; either way it must end */
    SK_ASSERT_OK(sk_handle_close(drive_queue));
    uint64_t st = sk_thread_join(t);
    /* SK_ERR_DEAD if it slept in the drive; BAD_HANDLE only if it had not reached it yet */
    int code = (int)(st & 0xffffffffu);
    SK_EXPECT(code == SK_ERR_DEAD || code == SK_ERR_BAD_HANDLE);
}

int main(const struct sk_start_info *si)
{
    (void)si;
    const char *mode = sk_argc() > 1 ? sk_argv(1) : NULL;
    if (mode && strcmp(mode, "selfhold") == 0)
        return child_selfhold();
    if (mode && strcmp(mode, "pair-a") == 0)
        return child_pair(1);
    if (mode && strcmp(mode, "pair-b") == 0)
        return child_pair(0);
    if (mode && strcmp(mode, "limit") == 0)
        return child_limit();
    if (sk_queue_open(&Q, 64, 128) != SK_OK)
        return 1;
    return sk_test_run();
}
