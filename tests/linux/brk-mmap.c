/*
 * Memory a Linux program asks for: the program break moved with the raw brk system call (musl's
 * sbrk refuses to move it), malloc of small and large blocks (glibc and musl serve the large
 * ones with mmap), and anonymous mmap, mprotect and munmap. Every block is written and read
 * back; only results are printed, never addresses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

static int fill_check(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + seed))
            return 0;
    return 1;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static const char *ok(int c)
{
    return c ? "ok" : "FAILED";
}

int main(void)
{
    /* The break first, before stdio or malloc use it (and put back before they do). */
    uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t b1 = (uintptr_t)syscall(SYS_brk, b0 + 3 * PAGE);
    int grew = b1 == b0 + 3 * PAGE;
    int brk_data = grew && fill_check((unsigned char *)b0, 3 * PAGE, 1);
    uintptr_t b2 = (uintptr_t)syscall(SYS_brk, b0);
    int shrank = b2 == b0;
    printf("brk: grow by 3 pages %s, write and read %s, shrink back %s\n", ok(grew), ok(brk_data),
           ok(shrank));

    /* malloc: many small blocks, then large ones */
    enum { NSMALL = 200 };
    unsigned char *small[NSMALL];
    int small_ok = 1;
    for (int i = 0; i < NSMALL; i++) {
        size_t n = 8 + (size_t)i * 24;
        small[i] = malloc(n);
        small_ok &= small[i] != NULL && fill_check(small[i], n, (unsigned)i);
    }
    for (int i = 0; i < NSMALL; i++) {
        size_t n = 8 + (size_t)i * 24;
        for (size_t j = 0; j < n; j++)
            small_ok &= small[i][j] == (unsigned char)(j * 31 + (unsigned)i);
        free(small[i]);
    }
    printf("malloc: %d small blocks (8 to %d bytes) %s\n", NSMALL, 8 + (NSMALL - 1) * 24,
           ok(small_ok));
    static const size_t large[] = {128 << 10, 1 << 20, 8 << 20};
    for (int i = 0; i < 3; i++) {
        unsigned char *p = malloc(large[i]);
        printf("malloc: %zu KiB %s\n", large[i] >> 10, ok(p && fill_check(p, large[i], 7)));
        free(p);
    }
    unsigned char *z = calloc(1000, 1000);
    printf("calloc: 1000 x 1000 zeroed %s\n", ok(z && all_zero(z, 1000 * 1000)));
    unsigned char *r = malloc(100);
    int re = r && fill_check(r, 100, 3);
    r = re ? realloc(r, 100000) : NULL;
    for (int j = 0; r && j < 100; j++)
        re &= r[j] == (unsigned char)(j * 31 + 3);
    printf("realloc: 100 -> 100000 bytes keeps contents %s\n", ok(r && re));
    free(r);
    free(z);

    /* anonymous mmap, mprotect, munmap */
    unsigned char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            -1, 0);
    int mapped = m != MAP_FAILED;
    int zeroed = mapped && all_zero(m, 4 * PAGE);
    int written = mapped && fill_check(m, 4 * PAGE, 9);
    printf("mmap: 4 pages %s, zero-filled %s, write and read %s\n", ok(mapped), ok(zeroed),
           ok(written));
    if (mapped) {
        int pr = mprotect(m + PAGE, PAGE, PROT_READ);
        int still = 1;
        for (size_t j = PAGE; j < 2 * PAGE; j++)
            still &= m[j] == (unsigned char)(j * 31 + 9);
        printf("mprotect: page 1 read-only returned %d, contents kept %s\n", pr, ok(still));
        int un = munmap(m + 2 * PAGE, 2 * PAGE);
        printf("munmap: last 2 pages returned %d\n", un);
        printf("mprotect: page 1 read-write again returned %d\n",
               mprotect(m + PAGE, PAGE, PROT_READ | PROT_WRITE));
        printf("munmap: first 2 pages returned %d\n", munmap(m, 2 * PAGE));
    }
    size_t big = 16u << 20;
    unsigned char *g = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int gz = g != MAP_FAILED;
    for (size_t j = 0; gz && j < big; j += PAGE)
        gz &= g[j] == 0;
    for (size_t j = 0; gz && j < big; j += PAGE)
        g[j] = (unsigned char)(j / PAGE);
    for (size_t j = 0; gz && j < big; j += PAGE)
        gz &= g[j] == (unsigned char)(j / PAGE);
    printf("mmap: 16 MiB, every page zero then written %s\n", ok(gz));
    printf("munmap: 16 MiB returned %d\n", g != MAP_FAILED ? munmap(g, big) : -1);
    {
        void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("mmap: length 0 %s\n", bad == MAP_FAILED ? "fails" : "succeeded (unexpected)");
    }
    return 0;
}
