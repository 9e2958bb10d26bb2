/*
 * test-vm: map, unmap and protect semantics in this space. Accesses that must
 * fault are made by a helper thread, which the kernel kills (its exit word gets
 * SK_EXIT_FAULT with vector 14) while this process carries on.
 */
#include <sk/test.h>

#define RW (SK_PROT_READ | SK_PROT_WRITE)
#define PF_STATUS (SK_EXIT_DONE | SK_EXIT_FAULT | (14ull << 32))

enum access { READ, WRITE, EXEC };
struct probe {
    uint64_t addr;
    enum access how;
};

static int prober(void *arg)
{
    struct probe *p = arg;
    volatile uint8_t *b = (volatile uint8_t *)p->addr;
    switch (p->how) {
    case READ:
        (void)*b;
        break;
    case WRITE:
        *b = 0x5a;
        break;
    case EXEC:
        ((int (*)(void))p->addr)();
        break;
    }
    return 0;
}

/* The exit word of a helper thread that made one access (SK_EXIT_DONE if it survived). */
static uint64_t probe(uint64_t addr, enum access how)
{
    struct probe p = {addr, how};
    struct sk_thread *t;
    if (sk_thread_spawn(prober, &p, 0, &t) != SK_OK)
        return 0;
    return sk_thread_join(t);
}

/*
 * Map fresh memory at an address of this test's own, far above where placement
 * searches, so that a hole a test punches is never filled by someone else's
 * mapping (a probe thread's stack, say) before the test looks at it.
 */
static uint64_t map_new(uint64_t size, uint32_t prot, sk_handle_t *mem)
{
    static uint64_t next = 0x600000000000ull;
    uint64_t a = 0;
    if (sk_memory_create(size, 0, mem) != SK_OK)
        return 0;
    if (sk_space_map(SK_THIS_SPACE, *mem, 0, next, size, prot | SK_MAP_FIXED, &a) != SK_OK)
        return 0;
    next += size + (1ull << 30);
    return a;
}

SK_TEST(map_demand_zero)
{
    sk_handle_t m;
    uint64_t size = 4ull << 20;
    uint64_t a = map_new(size, RW, &m);
    SK_ASSERT(a != 0);
    SK_EXPECT((a & (SK_PAGE_SIZE - 1)) == 0);
    SK_EXPECT(a + size <= SK_USER_TOP);
    for (uint64_t off = 0; off < size; off += SK_PAGE_SIZE) {
        volatile uint64_t *w = (volatile uint64_t *)(a + off);
        if (*w != 0 || w[511] != 0)
            SK_EXPECT(!"fresh page not zero");
        *w = off;
    }
    for (uint64_t off = 0; off < size; off += SK_PAGE_SIZE)
        if (*(volatile uint64_t *)(a + off) != off)
            SK_EXPECT(!"page lost its contents");
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, size));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST(two_mappings_share)
{
    sk_handle_t m;
    uint64_t a = map_new(3 * SK_PAGE_SIZE, RW, &m), b, c;
    SK_ASSERT(a != 0);
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, 0, 0, 3 * SK_PAGE_SIZE, RW, &b));
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, SK_PAGE_SIZE, 0, SK_PAGE_SIZE, SK_PROT_READ, &c));
    SK_EXPECT(a != b && b != c);
    *(volatile uint32_t *)(a + SK_PAGE_SIZE + 8) = 0xfeedf00d;
    SK_EXPECT_EQ(*(volatile uint32_t *)(b + SK_PAGE_SIZE + 8), 0xfeedf00d);
    SK_EXPECT_EQ(*(volatile uint32_t *)(c + 8), 0xfeedf00d); /* offset one page */
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, 3 * SK_PAGE_SIZE));
    SK_EXPECT_EQ(*(volatile uint32_t *)(b + SK_PAGE_SIZE + 8), 0xfeedf00d);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, b, 3 * SK_PAGE_SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, c, SK_PAGE_SIZE));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST(fixed_mapping)
{
    sk_handle_t m;
    SK_ASSERT_OK(sk_memory_create(2 * SK_PAGE_SIZE, 0, &m));
    const uint64_t want = 0x500000000000ull, len = 2 * SK_PAGE_SIZE;
    uint64_t got = 0;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, 0, want, len, RW | SK_MAP_FIXED, &got));
    SK_EXPECT_EQ(got, want);
    *(volatile uint64_t *)want = 1;
    /* Occupied: a fixed mapping does not replace what is there. */
    SK_EXPECT_ERR(sk_space_map(SK_THIS_SPACE, m, 0, want + SK_PAGE_SIZE, len, RW | SK_MAP_FIXED, &got),
                  SK_ERR_BUSY);
    SK_EXPECT_EQ(*(volatile uint64_t *)want, 1);
    /* A hint at an occupied address is only a hint. */
    SK_EXPECT_OK(sk_space_map(SK_THIS_SPACE, m, 0, want, len, RW, &got));
    SK_EXPECT(got != want);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, got, len));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, want, len));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST(unmapped_access_kills_thread)
{
    sk_handle_t m;
    uint64_t a = map_new(3 * SK_PAGE_SIZE, RW, &m);
    SK_ASSERT(a != 0);
    *(volatile uint8_t *)(a + 2 * SK_PAGE_SIZE) = 3;
    SK_EXPECT_EQ(probe(a, WRITE), SK_EXIT_DONE);
    SK_ASSERT_OK(sk_space_unmap(SK_THIS_SPACE, a + SK_PAGE_SIZE, SK_PAGE_SIZE)); /* the middle */
    SK_EXPECT_EQ(probe(a + SK_PAGE_SIZE, READ), PF_STATUS);
    SK_EXPECT_EQ(probe(a + SK_PAGE_SIZE + 100, WRITE), PF_STATUS);
    SK_EXPECT_EQ(probe(a, READ), SK_EXIT_DONE);
    SK_EXPECT_EQ(*(volatile uint8_t *)(a + 2 * SK_PAGE_SIZE), 3);
    SK_EXPECT_EQ(*(volatile uint8_t *)a, 0x5a);
    SK_EXPECT_EQ(probe(0, READ), PF_STATUS);                 /* null */
    SK_EXPECT_EQ(probe(0xffff800000000000ull, READ), PF_STATUS); /* kernel half */
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, SK_PAGE_SIZE));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a + 2 * SK_PAGE_SIZE, SK_PAGE_SIZE));
    SK_EXPECT_EQ(probe(a + 2 * SK_PAGE_SIZE, READ), PF_STATUS);
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST(protect)
{
    sk_handle_t m;
    uint64_t a = map_new(2 * SK_PAGE_SIZE, RW, &m);
    SK_ASSERT(a != 0);
    *(volatile uint8_t *)a = 7;
    SK_ASSERT_OK(sk_space_protect(SK_THIS_SPACE, a, SK_PAGE_SIZE, SK_PROT_READ));
    SK_EXPECT_EQ(probe(a, READ), SK_EXIT_DONE);
    SK_EXPECT_EQ(probe(a, WRITE), PF_STATUS);
    SK_EXPECT_EQ(*(volatile uint8_t *)a, 7);
    SK_EXPECT_EQ(probe(a + SK_PAGE_SIZE, WRITE), SK_EXIT_DONE); /* the other page is still RW */
    SK_ASSERT_OK(sk_space_protect(SK_THIS_SPACE, a, SK_PAGE_SIZE, 0));
    SK_EXPECT_EQ(probe(a, READ), PF_STATUS);
    SK_ASSERT_OK(sk_space_protect(SK_THIS_SPACE, a, 2 * SK_PAGE_SIZE, RW));
    SK_EXPECT_EQ(probe(a, WRITE), SK_EXIT_DONE);
    SK_EXPECT_EQ(*(volatile uint8_t *)a, 0x5a);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, 2 * SK_PAGE_SIZE));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST(execute)
{
    static const uint8_t code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; /* mov $42, %eax; ret */
    sk_handle_t m;
    uint64_t a = map_new(SK_PAGE_SIZE, RW, &m);
    SK_ASSERT(a != 0);
    memcpy((void *)a, code, sizeof code);
    SK_EXPECT_EQ(probe(a, EXEC), PF_STATUS); /* writable data is not executable */
    SK_ASSERT_OK(sk_space_protect(SK_THIS_SPACE, a, SK_PAGE_SIZE, SK_PROT_READ | SK_PROT_EXEC));
    int (*fn)(void) = (int (*)(void))a;
    SK_EXPECT_EQ(fn(), 42);
    SK_EXPECT_EQ(probe(a, WRITE), PF_STATUS);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, SK_PAGE_SIZE));
    SK_EXPECT_OK(sk_handle_close(m));
}

/* Our own image: text is not writable, rodata neither, and data is not executable. */
void sk_start(const struct sk_start_info *si); /* lib/sk/start.c: a function of our text */
static const char rodata_probe[] = "constant";
static char data_probe[64] = "data";

SK_TEST(image_protections)
{
    SK_EXPECT_EQ(probe((uint64_t)sk_start, WRITE), PF_STATUS);
    SK_EXPECT_EQ(probe((uint64_t)rodata_probe, WRITE), PF_STATUS);
    SK_EXPECT_EQ(probe((uint64_t)data_probe, EXEC), PF_STATUS);
    SK_EXPECT_EQ(probe((uint64_t)data_probe, WRITE), SK_EXIT_DONE);
}

/*
 * A resizable object (a file's pages): mappings reach past its size and fault there; growing
 * shows new zero pages in every mapping; shrinking takes the pages away from every mapping,
 * private copies included, so growing again shows zeros.
 */
SK_TEST(resizable_object)
{
    const uint64_t PG = SK_PAGE_SIZE;
    sk_handle_t m;
    SK_ASSERT_OK(sk_memory_create(0, SK_MEM_RESIZABLE, &m));
    uint64_t size = 1;
    SK_EXPECT_OK(sk_memory_size(m, &size));
    SK_EXPECT_EQ(size, 0);
    uint64_t s = 0, s2 = 0, p = 0;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, 0, 0, 4 * PG, RW, &s));
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, PG, 0, 3 * PG, RW, &s2));
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, 0, 0, 4 * PG, RW | SK_MAP_PRIVATE, &p));
    SK_EXPECT_EQ(probe(s, READ), PF_STATUS);
    SK_EXPECT_EQ(probe(p, WRITE), PF_STATUS);

    SK_ASSERT_OK(sk_memory_resize(m, 2 * PG));
    SK_EXPECT_OK(sk_memory_size(m, &size));
    SK_EXPECT_EQ(size, 2 * PG);
    volatile uint64_t *S = (volatile uint64_t *)s, *S2 = (volatile uint64_t *)s2,
                      *P = (volatile uint64_t *)p;
    const uint64_t W = PG / 8; /* words per page */
    S[0] = 1;
    S[W] = 2;
    SK_EXPECT_EQ(S2[0], 2);
    SK_EXPECT_EQ(P[0], 1); /* a private mapping reads the object's page until it writes */
    P[W] = 9;              /* its own copy */
    SK_EXPECT_EQ(S[W], 2);
    SK_EXPECT_EQ(probe(s + 2 * PG, READ), PF_STATUS);
    SK_EXPECT_EQ(probe(s2 + PG, WRITE), PF_STATUS);

    SK_ASSERT_OK(sk_memory_resize(m, 4 * PG));
    SK_EXPECT_EQ(S[3 * W], 0);
    S[3 * W] = 7;
    SK_EXPECT_EQ(P[3 * W], 7);
    SK_EXPECT_EQ(S2[2 * W], 7);

    SK_ASSERT_OK(sk_memory_resize(m, PG)); /* shrink: pages 1..3 leave every mapping */
    SK_EXPECT_EQ(S[0], 1);
    SK_EXPECT_EQ(probe(s + PG, READ), PF_STATUS);
    SK_EXPECT_EQ(probe(s2, READ), PF_STATUS);
    SK_EXPECT_EQ(probe(p + PG, READ), PF_STATUS); /* its private copy too */
    SK_EXPECT_EQ(probe(p + 3 * PG, READ), PF_STATUS);

    SK_ASSERT_OK(sk_memory_resize(m, 4 * PG)); /* zeros everywhere, nothing stale */
    SK_EXPECT_EQ(S[W], 0);
    SK_EXPECT_EQ(S2[0], 0);
    SK_EXPECT_EQ(P[W], 0);
    SK_EXPECT_EQ(P[3 * W], 0);
    SK_EXPECT_EQ(S[3 * W], 0);
    SK_EXPECT_EQ(P[0], 1);

    /* a fork has the size its source had, and is resized on its own */
    sk_handle_t f;
    SK_ASSERT_OK(sk_memory_fork(m, &f));
    SK_EXPECT_OK(sk_memory_size(f, &size));
    SK_EXPECT_EQ(size, 4 * PG);
    SK_EXPECT_OK(sk_memory_resize(f, PG));
    SK_EXPECT_OK(sk_memory_size(m, &size));
    SK_EXPECT_EQ(size, 4 * PG);
    SK_EXPECT_EQ(S[0], 1);
    SK_EXPECT_EQ(S[3 * W], 0);
    SK_EXPECT_OK(sk_handle_close(f));

    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, s, 4 * PG));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, s2, 3 * PG));
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, p, 4 * PG));
    SK_EXPECT_OK(sk_handle_close(m));
}

/* Shrinking frees the pages at once: the machine's free pages come back while still mapped. */
SK_TEST(resizable_shrink_frees)
{
    const uint64_t PG = SK_PAGE_SIZE, N = 4096; /* 16 MiB */
    sk_handle_t m;
    uint64_t a = 0;
    SK_ASSERT_OK(sk_memory_create(N * PG, SK_MEM_RESIZABLE, &m));
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, m, 0, 0, N * PG, RW, &a));
    struct sk_memory_info before, full, after;
    SK_ASSERT_OK(sk_memory_info(&before));
    for (uint64_t i = 0; i < N; i++)
        *(volatile uint64_t *)(a + i * PG) = i + 1;
    SK_ASSERT_OK(sk_memory_info(&full));
    SK_EXPECT(full.free_pages + N <= before.free_pages + 64);
    SK_ASSERT_OK(sk_memory_resize(m, 0));
    SK_ASSERT_OK(sk_memory_info(&after));
    SK_EXPECT(after.free_pages + 64 >= before.free_pages);
    SK_EXPECT_EQ(probe(a, READ), PF_STATUS);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, N * PG));
    SK_EXPECT_OK(sk_handle_close(m));
}

SK_TEST_MAIN()
