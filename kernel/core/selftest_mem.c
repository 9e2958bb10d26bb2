/*
 * Self tests of the memory foundation: the PMM handed out every page exactly
 * once and got them all back, contiguous blocks are aligned, the heap
 * returns all memory after a fill/free/reclaim cycle and zeroes what it takes
 * from the PMM, and the kernel page tables carry the intended permissions.
 * Each test checks a few words per page, not whole pages, to keep boot fast
 * under TCG.
 */
#include <k/selftest.h>
#include <k/pmm.h>
#include <k/heap.h>
#include <k/vm.h>
#include <k/log.h>
#include <k/bootinfo.h>
#include <arch/layout.h>
#include <arch/pte.h>
#include <arch/cpu.h>
#include <base/string.h>

#define PATTERN 0x5a5a1234c3c3f00dull

/* A sample of the boot modules' bytes (first and last word of each page): must not change. */
static uint64_t modules_sum(void)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < boot_info.module_count; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        for (uint64_t p = m->start; p + 8 <= m->end; p = (p | (PAGE_SIZE - 1)) + 1) {
            uint64_t last = (p | (PAGE_SIZE - 1)) - 7;
            sum = sum * 31 + *(const uint64_t *)phys_to_virt(p);
            if (last + 8 <= m->end)
                sum = sum * 31 + *(const uint64_t *)phys_to_virt(last);
        }
    }
    return sum;
}

extern char __kernel_phys_start[], __kernel_phys_end[];

/* Must never be handed out: the first MiB, the kernel image, the boot modules. */
static int page_reserved(uint64_t p)
{
    if (p < 0x100000 || (p < (uint64_t)__kernel_phys_end && p + PAGE_SIZE > (uint64_t)__kernel_phys_start))
        return 1;
    for (size_t i = 0; i < boot_info.module_count; i++)
        if (p < boot_info.modules[i].end && p + PAGE_SIZE > boot_info.modules[i].start)
            return 1;
    return 0;
}

/*
 * Allocate every free page, each holding a link to the previous one, its
 * sequence number and its address; then walk back, verify and free. A page
 * handed out twice carries the later number when the earlier one is checked.
 */
SELFTEST(mem_pmm_exhaust, 0)
{
    uint64_t start = pmm_free_count(), n = 0, head = 0, modsum = modules_sum(), reserved = 0;
    for (uint64_t p; (p = pmm_alloc_page()) != 0; n++) {
        if (page_reserved(p))
            reserved = p;
        uint64_t *w = phys_to_virt(p);
        w[0] = head;
        w[1] = p ^ n ^ PATTERN;
        w[511] = ~p;
        head = p;
    }
    uint64_t left = pmm_free_count();
    int more = pmm_alloc_page() != 0 || pmm_alloc_pages(3) != 0;
    uint64_t bad = 0, freed = 0;
    while (head && freed < n) {
        uint64_t *w = phys_to_virt(head);
        if (w[1] != (head ^ (n - 1 - freed) ^ PATTERN) || w[511] != ~head) {
            bad = head;
            break;
        }
        uint64_t next = w[0];
        pmm_free_page(head);
        freed++;
        head = next;
    }
    if (bad)
        st_fail("page 0x%lx was overwritten: handed out twice?", bad);
    if (reserved)
        st_fail("reserved page 0x%lx was handed out", reserved);
    ST_CHECK(modules_sum() == modsum);
    ST_CHECK(n == start);
    ST_CHECK(left == 0 && !more);
    ST_CHECK(freed == n);
    ST_CHECK(pmm_free_count() == start);
}

SELFTEST(mem_pmm_contiguous, 0)
{
    static const unsigned orders[] = {0, 1, 3, 5, 8, PMM_MAX_ORDER};
    uint64_t start = pmm_free_count(), blocks[6][2];
    ST_CHECK(pmm_alloc_pages(PMM_MAX_ORDER + 1) == 0);
    for (int i = 0; i < 6; i++) {
        unsigned o = orders[i];
        uint64_t bytes = PAGE_SIZE << o;
        blocks[i][0] = pmm_alloc_pages(o);
        blocks[i][1] = pmm_alloc(o, PMM_LOW | PMM_ZERO);
        for (int k = 0; k < 2; k++) {
            uint64_t p = blocks[i][k];
            if (!p || (p & (bytes - 1)))
                st_fail("order %u block 0x%lx missing or misaligned", o, p);
            if (p)
                for (uint64_t pg = 0; pg < bytes; pg += PAGE_SIZE)
                    *(uint64_t *)phys_to_virt(p + pg) = p + pg + k;
        }
        if (blocks[i][1] && blocks[i][1] + bytes > (4ull << 30))
            st_fail("PMM_LOW block 0x%lx above 4 GiB", blocks[i][1]);
    }
    for (int i = 0; i < 6; i++) {
        for (int k = 0; k < 2; k++) {
            uint64_t p = blocks[i][k];
            if (!p)
                continue;
            for (uint64_t pg = 0; pg < (PAGE_SIZE << orders[i]); pg += PAGE_SIZE)
                if (*(uint64_t *)phys_to_virt(p + pg) != p + pg + k)
                    st_fail("order %u block 0x%lx overlaps another", orders[i], p);
            pmm_free_pages(p, orders[i]);
        }
    }
    ST_CHECK(pmm_free_count() == start);
}

/* Offset of the first nonzero byte of [p, p + n), or -1 if all are zero. */
static long first_nonzero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return (long)i;
    return -1;
}

/*
 * The heap zeroes every block it takes from the PMM (kernel/core/heap.c): a
 * freed frame may hold another process's data, or code that QEMU TCG keeps
 * translated until every byte is rewritten, which made every store to a
 * kernel stack on such a frame take TCG's self-modifying-code check. Dirty
 * every free frame (the last word of each 256 bytes), then take a large block
 * and a new slab: wherever they come from, they were dirtied, and must be zero.
 */
SELFTEST(mem_heap_zeroes_frames, 0)
{
    heap_reclaim();
    uint64_t start = pmm_free_count(), head = 0;
    for (uint64_t p; (p = pmm_alloc_page()) != 0; head = p) {
        uint64_t *w = phys_to_virt(p);
        for (int i = 31; i < 512; i += 32)
            w[i] = PATTERN;
        w[0] = head;
    }
    while (head) {
        uint64_t next = *(uint64_t *)phys_to_virt(head);
        pmm_free_page(head);
        head = next;
    }
    const size_t big_size = 16 * 1024, obj_size = 256; /* a kernel stack; 256: holds a dirty word */
    uint8_t *big = kmalloc(big_size);
    struct slab_cache *c = slab_cache_create("selftest-zero", obj_size, 64);
    uint8_t *obj = c ? slab_alloc(c) : NULL;
    long at;
    if (!big || !obj)
        st_fail("out of memory");
    else if ((at = first_nonzero(big, big_size)) >= 0)
        st_fail("kmalloc(%zu) = %p: stale byte 0x%x at +0x%lx", big_size, big, big[at], at);
    else if ((at = first_nonzero(obj, obj_size)) >= 0)
        st_fail("object %p of a new slab: stale byte 0x%x at +0x%lx", obj, obj[at], at);
    kfree(big);
    if (c) {
        slab_free(c, obj);
        ST_CHECK(slab_cache_destroy(c) == 0);
    }
    heap_reclaim();
    ST_CHECK(pmm_free_count() == start);
}

struct node {
    struct node *next;
    size_t size;
    uint64_t from_cache;
    uint64_t check;
};

static uint64_t node_check(const struct node *n)
{
    return (uint64_t)n ^ n->size ^ n->from_cache ^ PATTERN;
}

/* Allocate one node of sz bytes (from c when c != NULL) onto *list. Returns 0 when memory ran out. */
static int push_node(struct node **list, struct slab_cache *c, size_t sz)
{
    struct node *n = c ? slab_alloc(c) : kmalloc(sz);
    if (!n)
        return 0;
    n->next = *list;
    n->size = sz;
    n->from_cache = c != NULL;
    n->check = node_check(n);
    ((uint64_t *)n)[sz / 8 - 1] = ~n->check;
    *list = n;
    return 1;
}

/* Fill most of RAM through kmalloc and a slab cache, verify, free, reclaim: no page lost. */
SELFTEST(mem_heap, 0)
{
    static const size_t sizes[] = {40, 48, 100, 200, 700, 1500, 2048, 3000, 5000, 40000, 300000};
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    heap_reclaim();
    uint64_t start = pmm_free_count();
    struct slab_cache *c = slab_cache_create("selftest-40", 40, 8);
    ST_CHECK(c != NULL);
    ST_CHECK(kmalloc(0) == NULL && kmalloc(64ull << 20) == NULL);
    kfree(NULL);

    /* the smallest classes, and alignment of each class */
    void *small[64];
    for (int i = 0; i < 64; i++) {
        size_t sz = (size_t)1 << (i % 13);
        small[i] = i % 2 ? kzalloc(sz) : kmalloc(sz);
        uint64_t a = (uint64_t)small[i];
        uint64_t want = sz > KMALLOC_MAX_SLAB ? PAGE_SIZE : sz >= 64 ? 64 : sz < 8 ? 8 : sz;
        if (!small[i] || (a & (want - 1)))
            st_fail("kmalloc(%zu) = %p misaligned", sz, small[i]);
        else if (i % 2 && ((uint8_t *)small[i])[sz - 1] != 0)
            st_fail("kzalloc(%zu) not zeroed", sz);
        else
            memset(small[i], i, sz);
    }

    struct node *list = NULL;
    uint64_t count = 0, bytes = 0;
    /* mixed sizes down to 1/16 of memory, then 2 KiB objects and cache objects until exhausted */
    while (pmm_free_count() > start / 16) {
        int cache = count % 4 == 1;
        size_t sz = cache ? 40 : sizes[count % nsizes];
        if (!push_node(&list, cache ? c : NULL, sz))
            break;
        count++;
        bytes += sz;
    }
    for (; push_node(&list, NULL, 2048); count++)
        bytes += 2048;
    for (; push_node(&list, c, 40); count++)
        bytes += 40;
    uint64_t low = pmm_free_count();
    uint64_t freed = 0;
    while (list) {
        struct node *n = list;
        if (n->check != node_check(n) || ((uint64_t *)n)[n->size / 8 - 1] != ~n->check) {
            st_fail("heap object %p (%zu bytes) corrupted", n, n->size);
            break; /* its link cannot be trusted: leak the rest */
        }
        list = n->next;
        if (n->from_cache)
            slab_free(c, n);
        else
            kfree(n);
        freed++;
    }
    for (int i = 0; i < 64; i++) {
        size_t sz = (size_t)1 << (i % 13);
        if (small[i] && (((uint8_t *)small[i])[0] != (uint8_t)i || ((uint8_t *)small[i])[sz - 1] != (uint8_t)i))
            st_fail("small object %d corrupted", i);
        kfree(small[i]);
    }
    ST_CHECK(slab_cache_destroy(c) == 0);
    heap_reclaim();
    log_debug("mem_heap: %lu objects, %lu MiB, free pages %lu -> %lu -> %lu", count, bytes >> 20,
              start, low, pmm_free_count());
    ST_CHECK(count > 100 && low == 0);
    ST_CHECK(freed == count);
    ST_CHECK(pmm_free_count() == start);
}
