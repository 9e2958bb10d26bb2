/*
 * test-queue-mem: the memory operations through the dispatcher: mem_read and
 * mem_write on another address space through its handle, mem_copy between any
 * two spaces, mem_protect,
 * mem_fork, and each with bad arguments (the error arrives as the op's
 * completion, never as a fault of the caller).
 */
#include <sk/test.h>
#include <sk/queue.h>

#define PAGE SK_PAGE_SIZE

struct result {
    struct sk_op op;
    sk_error_t error;
    uint64_t value;
    int done;
};

static void on_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct result *r = SK_OP_CONTAINER(op, struct result, op);
    r->error = cqe->error;
    r->value = cqe->value;
    r->done++;
}

/* Submit one op, run the loop until it is back; the result is in *r. */
static void run_op(struct sk_queue *q, struct result *r, uint32_t opcode, uint64_t a0, uint64_t a1,
                   uint64_t a2, uint64_t a3)
{
    r->done = 0;
    r->error = (sk_error_t)-1;
    sk_error_t e = sk_op_submit(q, &r->op, opcode, on_done, a0, a1, a2, a3);
    sk_error_t e2 = sk_queue_run(q);
    if (e != SK_OK || e2 != SK_OK || r->done != 1)
        sk_test_fail(__FILE__, __LINE__, "op %u (%lx): state %u, submit %s, run %s, done %d times",
                     opcode, a0, r->op.state, sk_error_name(e), sk_error_name(e2), r->done);
}

/* The same for an op with six arguments. */
static void run_op6(struct sk_queue *q, struct result *r, uint32_t opcode, const uint64_t a[6])
{
    r->done = 0;
    r->error = (sk_error_t)-1;
    sk_op_prep(&r->op, opcode, on_done);
    for (int i = 0; i < 6; i++)
        r->op.args[i] = a[i];
    sk_error_t e = sk_queue_submit(q, &r->op);
    sk_error_t e2 = sk_queue_run(q);
    if (e != SK_OK || e2 != SK_OK || r->done != 1)
        sk_test_fail(__FILE__, __LINE__, "op %u: state %u, submit %s, run %s, done %d times",
                     opcode, r->op.state, sk_error_name(e), sk_error_name(e2), r->done);
}

/* Another space with a 2-page object mapped in it at *remote, and here at *local. */
static void other_space(sk_handle_t *space, sk_handle_t *mem, uint64_t *remote, uint8_t **local)
{
    SK_ASSERT_OK(sk_space_create(space));
    SK_ASSERT_OK(sk_memory_create(2 * PAGE, 0, mem));
    SK_ASSERT_OK(sk_space_map(*space, *mem, 0, 0x20000000, 2 * PAGE, SK_PROT_READ | SK_PROT_WRITE,
                              remote));
    uint64_t a;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, *mem, 0, 0, 2 * PAGE, SK_PROT_READ | SK_PROT_WRITE, &a));
    *local = (uint8_t *)a;
}

SK_TEST(read_and_write_another_space)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t space, mem;
    uint64_t remote;
    uint8_t *view;
    other_space(&space, &mem, &remote, &view);
    static uint8_t buf[2 * PAGE], back[2 * PAGE];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    struct result r = {0};
    /* across the page boundary */
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, remote + 100, (uint64_t)buf, PAGE + 500);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(r.value, PAGE + 500);
    SK_EXPECT(memcmp(view + 100, buf, PAGE + 500) == 0);
    SK_EXPECT_EQ(view[99], 0);
    SK_EXPECT_EQ(view[100 + PAGE + 500], 0);
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote + 100, (uint64_t)back, PAGE + 500);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(r.value, PAGE + 500);
    SK_EXPECT(memcmp(back, buf, PAGE + 500) == 0);
    /* length 0 copies nothing */
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote, (uint64_t)back, 0);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(r.value, 0);
    sk_mem_unmap(view, 2 * PAGE);
    sk_handle_close(mem);
    sk_handle_close(space);
    sk_queue_close(&q);
}

/* Writes into another space respect its mappings: read-only refuses, private copies. */
SK_TEST(write_respects_the_remote_mapping)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t space, mem;
    uint64_t remote, ro_at, priv_at;
    uint8_t *view;
    other_space(&space, &mem, &remote, &view);
    view[0] = 11;
    SK_ASSERT_OK(sk_space_map(space, mem, 0, 0x21000000, PAGE, SK_PROT_READ, &ro_at));
    SK_ASSERT_OK(sk_space_map(space, mem, 0, 0x22000000, PAGE,
                              SK_PROT_READ | SK_PROT_WRITE | SK_MAP_PRIVATE, &priv_at));
    static uint8_t buf[64], back[64];
    memset(buf, 0x5c, sizeof buf);
    struct result r = {0};
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, ro_at, (uint64_t)buf, sizeof buf);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    SK_EXPECT_EQ(view[0], 11);
    /* private: the other space sees the bytes, the object (our view) does not */
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, priv_at, (uint64_t)back, 1);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(back[0], 11); /* read before the write: shares the object's page */
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, priv_at, (uint64_t)buf, sizeof buf);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(view[0], 11);
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, priv_at, (uint64_t)back, sizeof back);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT(memcmp(back, buf, sizeof buf) == 0);
    /* not yet touched pages of the shared mapping are faulted in by the write */
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, remote + PAGE + 8, (uint64_t)buf, 8);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT(memcmp(view + PAGE + 8, buf, 8) == 0);
    sk_mem_unmap(view, 2 * PAGE);
    sk_handle_close(mem);
    sk_handle_close(space);
    sk_queue_close(&q);
}

/* The kernel remembers the last page it reached in another space: a changed mapping there
   (unmapped and mapped again, write taken away) must be seen at once. */
SK_TEST(writes_follow_a_changed_remote_mapping)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t space, mem, mem2;
    uint64_t remote, again;
    uint8_t *view;
    other_space(&space, &mem, &remote, &view);
    static uint8_t a[16], b[16];
    memset(a, 0xa1, sizeof a);
    memset(b, 0xb2, sizeof b);
    struct result r = {0};
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, remote + 32, (uint64_t)a, sizeof a);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT(memcmp(view + 32, a, sizeof a) == 0);
    /* another object at the same address */
    SK_ASSERT_OK(sk_space_unmap(space, remote, 2 * PAGE));
    SK_ASSERT_OK(sk_memory_create(PAGE, 0, &mem2));
    SK_ASSERT_OK(sk_space_map(space, mem2, 0, remote, PAGE,
                              SK_PROT_READ | SK_PROT_WRITE | SK_MAP_FIXED, &again));
    SK_EXPECT_EQ(again, remote);
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, remote + 48, (uint64_t)b, sizeof b);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT(memcmp(view + 32, a, sizeof a) == 0); /* the old object is untouched */
    SK_EXPECT_EQ(view[48], 0);
    static uint8_t back[64];
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote + 32, (uint64_t)back, sizeof back);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(back[0], 0); /* the new object's page: only the second write */
    SK_EXPECT(memcmp(back + 16, b, sizeof b) == 0);
    /* write taken away after a write */
    SK_ASSERT_OK(sk_space_protect(space, remote, PAGE, SK_PROT_READ));
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, remote + 48, (uint64_t)a, sizeof a);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    /* unmapped after a read */
    SK_ASSERT_OK(sk_space_unmap(space, remote, PAGE));
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote + 32, (uint64_t)back, 16);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    sk_mem_unmap(view, 2 * PAGE);
    sk_handle_close(mem);
    sk_handle_close(mem2);
    sk_handle_close(space);
    sk_queue_close(&q);
}

SK_TEST(read_and_write_bad_arguments)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t space, mem, ro, ev;
    uint64_t remote;
    uint8_t *view;
    other_space(&space, &mem, &remote, &view);
    SK_ASSERT_OK(sk_handle_dup(space, SK_RIGHT_READ, &ro));
    SK_ASSERT_OK(sk_event_create(SK_EVENT_ONESHOT, &ev));
    static uint8_t buf[PAGE];
    struct result r = {0};
    run_op(&q, &r, SK_OP_mem_write, 0x7777, remote, (uint64_t)buf, 8);
    SK_EXPECT_ERR(r.error, SK_ERR_BAD_HANDLE);
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)ev, remote, (uint64_t)buf, 8);
    SK_EXPECT_ERR(r.error, SK_ERR_WRONG_TYPE);
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)ro, remote, (uint64_t)buf, 8);
    SK_EXPECT_ERR(r.error, SK_ERR_NO_RIGHTS);
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)ro, remote, (uint64_t)buf, 8); /* READ is enough */
    SK_EXPECT_ERR(r.error, SK_OK);
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote, (uint64_t)buf, (64ull << 20) + 1);
    SK_EXPECT_ERR(r.error, SK_ERR_TOO_BIG);
    /* unmapped remote: nothing copied */
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, 0x30000000, (uint64_t)buf, 8);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    SK_EXPECT_EQ(r.value, 0);
    /* running off the end of the remote mapping: the part that fit */
    run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote + PAGE, (uint64_t)buf, 2 * PAGE);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    SK_EXPECT(r.value <= PAGE);
    /* local addresses: kernel, non-canonical, unmapped, and our own read-only text */
    uint64_t bad_local[] = {0xffffffff80000000ull, 0x0000800000000000ull, 0x1000, (uint64_t)&on_done};
    for (unsigned i = 0; i < sizeof bad_local / sizeof bad_local[0]; i++) {
        run_op(&q, &r, SK_OP_mem_read, (uint64_t)space, remote, bad_local[i], 16);
        SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    }
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, remote, 0xffffffff80000000ull, 16);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)space, 0xffff800000000000ull, (uint64_t)buf, 16);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    sk_mem_unmap(view, 2 * PAGE);
    sk_handle_close(ev);
    sk_handle_close(ro);
    sk_handle_close(mem);
    sk_handle_close(space);
    sk_queue_close(&q);
}

SK_TEST(protect)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    void *p;
    SK_ASSERT_OK(sk_mem_map_anon(2 * PAGE, SK_PROT_READ | SK_PROT_WRITE, &p, NULL));
    uint64_t a = (uint64_t)p;
    ((volatile uint8_t *)p)[PAGE] = 1;
    static uint8_t buf[16] = {1, 2, 3};
    struct result r = {0};
    run_op(&q, &r, SK_OP_mem_protect, (uint64_t)SK_THIS_SPACE, a + PAGE, PAGE, SK_PROT_READ);
    SK_EXPECT_ERR(r.error, SK_OK);
    /* the kernel now refuses to write there on our behalf; the page is still readable */
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)SK_THIS_SPACE, a + PAGE, (uint64_t)buf, 16);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    SK_EXPECT_EQ(((volatile uint8_t *)p)[PAGE], 1);
    run_op(&q, &r, SK_OP_mem_write, (uint64_t)SK_THIS_SPACE, a, (uint64_t)buf, 16);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(((volatile uint8_t *)p)[2], 3);
    /* bad arguments */
    run_op(&q, &r, SK_OP_mem_protect, (uint64_t)SK_THIS_SPACE, a + 1, PAGE, SK_PROT_READ);
    SK_EXPECT_ERR(r.error, SK_ERR_ALIGNMENT);
    run_op(&q, &r, SK_OP_mem_protect, (uint64_t)SK_THIS_SPACE, a, PAGE, 0xff00);
    SK_EXPECT_ERR(r.error, SK_ERR_INVALID);
    run_op(&q, &r, SK_OP_mem_protect, 0x7777, a, PAGE, SK_PROT_READ);
    SK_EXPECT_ERR(r.error, SK_ERR_BAD_HANDLE);
    run_op(&q, &r, SK_OP_mem_protect, (uint64_t)SK_THIS_SPACE, 0xffffffff80000000ull, PAGE,
           SK_PROT_READ);
    SK_EXPECT(r.error != SK_OK);
    sk_mem_unmap(p, 2 * PAGE);
    sk_queue_close(&q);
}

SK_TEST(fork)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t mem;
    void *p;
    SK_ASSERT_OK(sk_mem_map_anon(PAGE, SK_PROT_READ | SK_PROT_WRITE, &p, &mem));
    volatile uint64_t *orig = p;
    orig[0] = 0x1234;
    struct result r = {0};
    run_op(&q, &r, SK_OP_mem_fork, (uint64_t)mem, 0, 0, 0);
    SK_ASSERT_ERR(r.error, SK_OK);
    sk_handle_t copy = (sk_handle_t)r.value;
    uint64_t a;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, copy, 0, 0, PAGE, SK_PROT_READ | SK_PROT_WRITE, &a));
    volatile uint64_t *c = (volatile uint64_t *)a;
    SK_EXPECT_EQ(c[0], 0x1234);
    c[0] = 0x5678;
    orig[1] = 9;
    SK_EXPECT_EQ(orig[0], 0x1234);
    SK_EXPECT_EQ(c[1], 0);
    sk_mem_unmap((void *)a, PAGE);
    sk_handle_close(copy);
    /* bad arguments */
    run_op(&q, &r, SK_OP_mem_fork, 0x7777, 0, 0, 0);
    SK_EXPECT_ERR(r.error, SK_ERR_BAD_HANDLE);
    run_op(&q, &r, SK_OP_mem_fork, (uint64_t)SK_THIS_SPACE, 0, 0, 0);
    SK_EXPECT_ERR(r.error, SK_ERR_WRONG_TYPE);
    sk_handle_t nored;
    SK_ASSERT_OK(sk_handle_dup(mem, SK_RIGHT_MAP, &nored));
    run_op(&q, &r, SK_OP_mem_fork, (uint64_t)nored, 0, 0, 0);
    SK_EXPECT_ERR(r.error, SK_ERR_NO_RIGHTS);
    sk_handle_close(nored);
    sk_mem_unmap(p, PAGE);
    sk_handle_close(mem);
    sk_queue_close(&q);
}

/* Many memory ops in one batch, mixed with nops: each completes once with its tag. */
SK_TEST(batch_of_mixed_ops)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 256, 256));
    sk_handle_t space, mem;
    uint64_t remote;
    uint8_t *view;
    other_space(&space, &mem, &remote, &view);
    static struct result r[200];
    static uint64_t words[200];
    for (int i = 0; i < 200; i++) {
        words[i] = 0xabc0000ull + (uint64_t)i;
        r[i].done = 0;
        if (i % 2)
            SK_ASSERT_OK(sk_op_nop(&q, &r[i].op, on_done));
        else
            SK_ASSERT_OK(sk_op_submit(&q, &r[i].op, SK_OP_mem_write, on_done, (uint64_t)space,
                                      remote + 8 * (uint64_t)i, (uint64_t)&words[i], 8));
    }
    SK_EXPECT_OK(sk_queue_run(&q));
    for (int i = 0; i < 200; i++) {
        SK_EXPECT_EQ(r[i].done, 1);
        SK_EXPECT_ERR(r[i].error, SK_OK);
        if (i % 2 == 0)
            SK_EXPECT_EQ(((uint64_t *)view)[i], 0xabc0000ull + (uint64_t)i);
    }
    sk_mem_unmap(view, 2 * PAGE);
    sk_handle_close(mem);
    sk_handle_close(space);
    sk_queue_close(&q);
}

/* mem_copy: from one other space to another, and between another and our own. */
SK_TEST(copy_between_two_other_spaces)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t s1, m1, s2, m2;
    uint64_t r1, r2;
    uint8_t *v1, *v2;
    other_space(&s1, &m1, &r1, &v1);
    other_space(&s2, &m2, &r2, &v2);
    for (unsigned i = 0; i < 2 * PAGE; i++)
        v1[i] = (uint8_t)(i * 13 + 5);
    struct result r = {0};
    /* across a page boundary on both sides, at different offsets in the page */
    uint64_t a[6] = {(uint64_t)s1, r1 + 300, (uint64_t)s2, r2 + 40, PAGE + 77, 0};
    run_op6(&q, &r, SK_OP_mem_copy, a);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(r.value, PAGE + 77);
    SK_EXPECT(memcmp(v2 + 40, v1 + 300, PAGE + 77) == 0);
    SK_EXPECT_EQ(v2[39], 0);
    SK_EXPECT_EQ(v2[40 + PAGE + 77], 0);
    /* from our own space to another, and back */
    static uint8_t buf[64], back[64];
    memset(buf, 0x6d, sizeof buf);
    uint64_t b[6] = {(uint64_t)SK_THIS_SPACE, (uint64_t)buf, (uint64_t)s2, r2 + 2 * PAGE - 32, 32, 0};
    run_op6(&q, &r, SK_OP_mem_copy, b);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(v2[2 * PAGE - 1], 0x6d);
    uint64_t c[6] = {(uint64_t)s2, r2 + 2 * PAGE - 32, (uint64_t)SK_THIS_SPACE, (uint64_t)back, 32, 0};
    run_op6(&q, &r, SK_OP_mem_copy, c);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT(memcmp(back, buf, 32) == 0);
    /* length 0 copies nothing */
    a[4] = 0;
    run_op6(&q, &r, SK_OP_mem_copy, a);
    SK_EXPECT_ERR(r.error, SK_OK);
    SK_EXPECT_EQ(r.value, 0);
    sk_mem_unmap(v1, 2 * PAGE);
    sk_mem_unmap(v2, 2 * PAGE);
    sk_handle_close(m1);
    sk_handle_close(s1);
    sk_handle_close(m2);
    sk_handle_close(s2);
    sk_queue_close(&q);
}

SK_TEST(copy_bad_arguments)
{
    struct sk_queue q;
    SK_ASSERT_OK(sk_queue_open(&q, 8, 8));
    sk_handle_t s1, m1, s2, m2, ro, wo, ev;
    uint64_t r1, r2, ro_at;
    uint8_t *v1, *v2;
    other_space(&s1, &m1, &r1, &v1);
    other_space(&s2, &m2, &r2, &v2);
    SK_ASSERT_OK(sk_handle_dup(s2, SK_RIGHT_READ, &ro));
    SK_ASSERT_OK(sk_handle_dup(s1, SK_RIGHT_WRITE, &wo));
    SK_ASSERT_OK(sk_event_create(SK_EVENT_ONESHOT, &ev));
    SK_ASSERT_OK(sk_space_map(s2, m2, 0, 0x21000000, PAGE, SK_PROT_READ, &ro_at));
    memset(v1, 0x42, 2 * PAGE);
    struct result r = {0};
    struct {
        uint64_t a[6];
        sk_error_t want;
    } cases[] = {
        {{0x7777, r1, (uint64_t)s2, r2, 8, 0}, SK_ERR_BAD_HANDLE},
        {{(uint64_t)s1, r1, 0x7777, r2, 8, 0}, SK_ERR_BAD_HANDLE},
        {{(uint64_t)ev, r1, (uint64_t)s2, r2, 8, 0}, SK_ERR_WRONG_TYPE},
        {{(uint64_t)s1, r1, (uint64_t)ev, r2, 8, 0}, SK_ERR_WRONG_TYPE},
        {{(uint64_t)wo, r1, (uint64_t)s2, r2, 8, 0}, SK_ERR_NO_RIGHTS},  /* source needs READ */
        {{(uint64_t)s1, r1, (uint64_t)ro, r2, 8, 0}, SK_ERR_NO_RIGHTS},  /* target needs WRITE */
        {{(uint64_t)s1, r1, (uint64_t)s2, r2, (64ull << 20) + 1, 0}, SK_ERR_TOO_BIG},
        {{(uint64_t)s1, 0x30000000, (uint64_t)s2, r2, 8, 0}, SK_ERR_FAULT},     /* unmapped */
        {{(uint64_t)s1, r1, (uint64_t)s2, 0x30000000, 8, 0}, SK_ERR_FAULT},
        {{(uint64_t)s1, r1, (uint64_t)s2, ro_at, 8, 0}, SK_ERR_FAULT},          /* read-only */
        {{(uint64_t)s1, 0xffffffff80000000ull, (uint64_t)s2, r2, 16, 0}, SK_ERR_FAULT},
        {{(uint64_t)s1, r1, (uint64_t)s2, 0xffff800000000000ull, 16, 0}, SK_ERR_FAULT},
        {{(uint64_t)s1, r1, (uint64_t)s2, 0x0000800000000000ull - 8, 16, 0}, SK_ERR_FAULT},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_op6(&q, &r, SK_OP_mem_copy, cases[i].a);
        SK_EXPECT_ERR(r.error, cases[i].want);
    }
    SK_EXPECT_EQ(v2[0], 0); /* none of them wrote */
    /* running off the end of the source mapping: the part that fit, and no more */
    uint64_t a[6] = {(uint64_t)s1, r1 + PAGE, (uint64_t)s2, r2, 2 * PAGE, 0};
    run_op6(&q, &r, SK_OP_mem_copy, a);
    SK_EXPECT_ERR(r.error, SK_ERR_FAULT);
    SK_EXPECT(r.value <= PAGE);
    SK_EXPECT_EQ(v2[PAGE], 0);
    sk_mem_unmap(v1, 2 * PAGE);
    sk_mem_unmap(v2, 2 * PAGE);
    sk_handle_close(ev);
    sk_handle_close(wo);
    sk_handle_close(ro);
    sk_handle_close(m1);
    sk_handle_close(s1);
    sk_handle_close(m2);
    sk_handle_close(s2);
    sk_queue_close(&q);
}

SK_TEST_MAIN()
