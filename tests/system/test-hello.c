/* test-hello: the first user-mode program. Start info, argv, the log and the heap. */
#include <sk/test.h>

SK_TEST(start_info)
{
    const struct sk_start_info *si = sk_start_info();
    SK_ASSERT(si != NULL);
    SK_EXPECT_EQ(si->magic, SK_START_MAGIC);
    SK_ASSERT(si->argc >= 1);
    SK_EXPECT(strcmp(sk_progname(), "test-hello") == 0);
    SK_EXPECT(sk_argv((int)si->argc) == NULL);
    /* The start info and argv live in user memory below the kernel half. */
    SK_EXPECT((uint64_t)si < SK_USER_TOP && si->argv < SK_USER_TOP);
    SK_EXPECT(((uint64_t)si & 7) == 0);
}

SK_TEST(log)
{
    static const char msg[] = "hello from user mode\n";
    SK_EXPECT_OK(sk_log(msg, sizeof msg - 1));
    SK_EXPECT_OK(sk_log(msg, 0));
    SK_EXPECT(sk_printf("test-hello: printf %d %s 0x%lx\n", 42, "works", 0xabcdefUL) > 0);
}

/* init passes the boot archive on with READ | MAP, and no hardware access. */
SK_TEST(handles_passed)
{
    const struct sk_start_info *si = sk_start_info();
    SK_ASSERT(si != NULL);
    SK_EXPECT_EQ(si->hw_access, 0);
    if (si->initrd == 0)
        return; /* started by something other than init */
    uint64_t info, size;
    SK_ASSERT_OK(sk_handle_info(si->initrd, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_MEMORY);
    SK_EXPECT(SK_INFO_RIGHTS(info) & SK_RIGHT_READ);
    SK_EXPECT(!(SK_INFO_RIGHTS(info) & SK_RIGHT_WRITE));
    SK_ASSERT_OK(sk_memory_size(si->initrd, &size));
    SK_EXPECT(size >= si->initrd_size);
    uint64_t addr;
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, sk_page_round_up(si->initrd_size),
                              SK_PROT_READ, &addr));
    SK_EXPECT(memcmp((const void *)addr, "07070", 5) == 0); /* a cpio newc archive */
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, addr, sk_page_round_up(si->initrd_size)));
}

SK_TEST(clock_advances)
{
    uint64_t a, b;
    SK_ASSERT_OK(sk_clock_get(&a));
    for (int i = 0; i < 1000; i++)
        sk_nop();
    SK_ASSERT_OK(sk_clock_get(&b));
    SK_EXPECT(b >= a);
    SK_EXPECT(a > 0);
}

SK_TEST(heap)
{
    void *p[64];
    for (int i = 0; i < 64; i++) {
        size_t n = (size_t)16 << (i % 12); /* up to 32 KiB: both small and big blocks */
        p[i] = sk_malloc(n);
        SK_ASSERT(p[i] != NULL);
        SK_EXPECT(((uint64_t)p[i] & 15) == 0);
        memset(p[i], i, n);
    }
    for (int i = 0; i < 64; i++) {
        size_t n = (size_t)16 << (i % 12);
        SK_EXPECT(((uint8_t *)p[i])[n - 1] == (uint8_t)i);
        sk_free(p[i]);
    }
    uint8_t *z = sk_calloc(100, 100);
    SK_ASSERT(z != NULL);
    SK_EXPECT(z[0] == 0 && z[9999] == 0);
    sk_free(z);
}

SK_TEST_MAIN()
