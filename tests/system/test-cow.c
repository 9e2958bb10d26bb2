/*
 * test-cow: memory_fork gives an independent copy-on-write copy; SK_MAP_PRIVATE
 * mappings keep their writes to themselves. Checked page by page with patterns.
 */
#include <sk/test.h>

#define PAGES 8
#define SIZE (PAGES * SK_PAGE_SIZE)
#define RW (SK_PROT_READ | SK_PROT_WRITE)

static void fill(uint8_t *p, unsigned page, uint8_t v)
{
    memset(p + page * SK_PAGE_SIZE, v, SK_PAGE_SIZE);
}

/* 1 if every byte of the page equals v. */
static int page_is(const uint8_t *p, unsigned page, uint8_t v)
{
    const uint8_t *q = p + page * SK_PAGE_SIZE;
    for (unsigned i = 0; i < SK_PAGE_SIZE; i++)
        if (q[i] != v)
            return 0;
    return 1;
}

static uint8_t *map(sk_handle_t mem, uint32_t prot)
{
    uint64_t a = 0;
    if (sk_space_map(SK_THIS_SPACE, mem, 0, 0, SIZE, prot, &a) != SK_OK)
        return NULL;
    return (uint8_t *)a;
}

SK_TEST(fork_copies_then_diverges)
{
    sk_handle_t m, f;
    SK_ASSERT_OK(sk_memory_create(SIZE, 0, &m));
    uint8_t *pm = map(m, RW);
    SK_ASSERT(pm != NULL);
    for (unsigned i = 0; i < PAGES - 2; i++) /* the last two pages stay untouched (zero) */
        fill(pm, i, (uint8_t)(0x10 + i));
    SK_ASSERT_OK(sk_memory_fork(m, &f));
    uint64_t size;
    SK_EXPECT_OK(sk_memory_size(f, &size));
    SK_EXPECT_EQ(size, SIZE);
    uint8_t *pf = map(f, RW);
    SK_ASSERT(pf != NULL);
    for (unsigned i = 0; i < PAGES - 2; i++)
        SK_EXPECT(page_is(pf, i, (uint8_t)(0x10 + i)));
    SK_EXPECT(page_is(pf, PAGES - 2, 0) && page_is(pf, PAGES - 1, 0));

    fill(pf, 0, 0xaa);          /* write to the copy */
    fill(pm, 1, 0xbb);          /* write to the original */
    fill(pm, PAGES - 1, 0xcc);  /* first touch of a zero page in the original */
    fill(pf, PAGES - 2, 0xdd);  /* first touch of a zero page in the copy */
    SK_EXPECT(page_is(pm, 0, 0x10) && page_is(pf, 0, 0xaa));
    SK_EXPECT(page_is(pm, 1, 0xbb) && page_is(pf, 1, 0x11));
    SK_EXPECT(page_is(pm, PAGES - 1, 0xcc) && page_is(pf, PAGES - 1, 0));
    SK_EXPECT(page_is(pm, PAGES - 2, 0) && page_is(pf, PAGES - 2, 0xdd));
    for (unsigned i = 2; i < PAGES - 2; i++)
        SK_EXPECT(page_is(pm, i, (uint8_t)(0x10 + i)) && page_is(pf, i, (uint8_t)(0x10 + i)));

    /* The copy outlives the original's handle and mapping. */
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)pm, SIZE));
    SK_EXPECT_OK(sk_handle_close(m));
    SK_EXPECT(page_is(pf, 3, 0x13));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)pf, SIZE));
    SK_EXPECT_OK(sk_handle_close(f));
}

SK_TEST(fork_chain)
{
    sk_handle_t m[4];
    uint8_t *p[4];
    SK_ASSERT_OK(sk_memory_create(SIZE, 0, &m[0]));
    SK_ASSERT((p[0] = map(m[0], RW)) != NULL);
    fill(p[0], 0, 1);
    for (int g = 1; g < 4; g++) {
        SK_ASSERT_OK(sk_memory_fork(m[g - 1], &m[g]));
        SK_ASSERT((p[g] = map(m[g], RW)) != NULL);
        fill(p[g], 0, (uint8_t)(g + 1)); /* each generation overwrites page 0 after forking */
        fill(p[g], (unsigned)g, (uint8_t)(0x40 + g));
    }
    for (int g = 0; g < 4; g++) {
        SK_EXPECT(page_is(p[g], 0, (uint8_t)(g + 1)));
        for (int h = 1; h < 4; h++) /* page h was written by generation h and inherited later */
            SK_EXPECT(page_is(p[g], (unsigned)h, g >= h ? (uint8_t)(0x40 + h) : 0));
    }
    for (int g = 0; g < 4; g++) {
        SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)p[g], SIZE));
        SK_EXPECT_OK(sk_handle_close(m[g]));
    }
}

/* A writer thread keeps writing while the main thread forks; after it stops the copy is exact. */
static volatile uint64_t stop;
static int writer(void *arg)
{
    volatile uint64_t *w = arg;
    uint64_t n = 0;
    while (!sk_atomic_load(&stop))
        for (unsigned i = 0; i < SIZE / 8; i += 512)
            w[i] = ++n;
    return 0;
}

SK_TEST(fork_under_concurrent_writes)
{
    sk_handle_t m, f;
    SK_ASSERT_OK(sk_memory_create(SIZE, 0, &m));
    uint8_t *pm = map(m, RW);
    SK_ASSERT(pm != NULL);
    struct sk_thread *t;
    stop = 0;
    SK_ASSERT_OK(sk_thread_spawn(writer, pm, 0, &t));
    for (int i = 0; i < 50; i++) {
        SK_ASSERT_OK(sk_memory_fork(m, &f));
        /* A snapshot: per page the word must be one the writer wrote (monotonic across pages
           is not promised), and it must not change afterwards. */
        uint8_t *pf = map(f, SK_PROT_READ);
        SK_ASSERT(pf != NULL);
        uint64_t first = ((volatile uint64_t *)pf)[0];
        sk_thread_yield();
        SK_EXPECT_EQ(((volatile uint64_t *)pf)[0], first);
        SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)pf, SIZE));
        SK_EXPECT_OK(sk_handle_close(f));
    }
    sk_atomic_store(&stop, 1);
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE);
    SK_ASSERT_OK(sk_memory_fork(m, &f));
    uint8_t *pf = map(f, SK_PROT_READ);
    SK_ASSERT(pf != NULL);
    SK_EXPECT(memcmp(pf, pm, SIZE) == 0);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)pf, SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)pm, SIZE));
    SK_EXPECT_OK(sk_handle_close(f));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST(private_mapping_keeps_writes)
{
    sk_handle_t m;
    SK_ASSERT_OK(sk_memory_create(SIZE, 0, &m));
    uint8_t *shared = map(m, RW);
    SK_ASSERT(shared != NULL);
    fill(shared, 0, 0x11);
    fill(shared, 1, 0x22);
    uint8_t *priv = map(m, RW | SK_MAP_PRIVATE);
    SK_ASSERT(priv != NULL);
    SK_EXPECT(page_is(priv, 0, 0x11) && page_is(priv, 1, 0x22)); /* reads see the object */
    fill(priv, 0, 0x99);
    fill(priv, 5, 0x55);
    SK_EXPECT(page_is(priv, 0, 0x99) && page_is(priv, 5, 0x55));
    SK_EXPECT(page_is(shared, 0, 0x11) && page_is(shared, 5, 0)); /* the object is untouched */
    /* A second private mapping does not see the first one's writes. */
    uint8_t *priv2 = map(m, RW | SK_MAP_PRIVATE);
    SK_ASSERT(priv2 != NULL);
    SK_EXPECT(page_is(priv2, 0, 0x11) && page_is(priv2, 5, 0));
    /* A fork of the object does not contain private writes either. */
    sk_handle_t f;
    SK_ASSERT_OK(sk_memory_fork(m, &f));
    uint8_t *pf = map(f, SK_PROT_READ);
    SK_ASSERT(pf != NULL);
    SK_EXPECT(page_is(pf, 0, 0x11) && page_is(pf, 5, 0));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)pf, SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)priv2, SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)priv, SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)shared, SIZE));
    SK_EXPECT_OK(sk_handle_close(f));
    SK_EXPECT_OK(sk_handle_close(m));
}

/* A read-only object can still be mapped privately writable: writes go to private copies. */
SK_TEST(private_mapping_of_read_only_handle)
{
    sk_handle_t m, ro;
    SK_ASSERT_OK(sk_memory_create(SIZE, 0, &m));
    SK_ASSERT_OK(sk_handle_dup(m, SK_RIGHT_READ | SK_RIGHT_MAP, &ro));
    uint8_t *priv = map(ro, RW | SK_MAP_PRIVATE);
    SK_ASSERT(priv != NULL);
    fill(priv, 2, 0x77);
    uint8_t *shared = map(m, SK_PROT_READ);
    SK_ASSERT(shared != NULL);
    SK_EXPECT(page_is(shared, 2, 0));
    SK_EXPECT(map(ro, RW) == NULL); /* a shared writable mapping needs WRITE */
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)priv, SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, (uint64_t)shared, SIZE));
    SK_EXPECT_OK(sk_handle_close(ro));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST_MAIN()
