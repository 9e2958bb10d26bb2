/*
 * Physical memory manager: builds two buddy allocators (below / above 4 GiB)
 * from the boot memory map and serialises them under one spinlock.
 *
 * What stays reserved, and why:
 *   - every map entry that is not BOOT_MEM_USABLE (a frame claimed by both a
 *     usable and a reserved entry counts as reserved);
 *   - the first MiB: real-mode firmware data, and the SMP trampoline at 0x8000;
 *   - the kernel image [__kernel_phys_start, __kernel_phys_end);
 *   - boot modules (the initial RAM file system);
 *   - the buddy metadata itself (placed below 4 GiB so it is reachable through
 *     the boot page tables while the kernel tables are built).
 */
#include <k/hot.h>
#include <k/pmm.h>
#include <k/buddy.h>
#include <k/rangeset.h>
#include <k/memmap.h>
#include <k/bootinfo.h>
#include <k/spinlock.h>
#include <k/panic.h>
#include <k/log.h>
#include <arch/layout.h>
#include <base/string.h>

#define LOW_LIMIT (4ull << 30)
#define ZONE_LOW 0
#define ZONE_HIGH 1

extern char __kernel_phys_start[], __kernel_phys_end[];

_Static_assert(PMM_MAX_ORDER == BUDDY_MAX_ORDER, "PMM and buddy orders differ");
_Static_assert(PAGE_SIZE == (1ull << PAGE_SHIFT), "page size");

static struct spinlock pmm_lock = SPINLOCK_INIT;
static struct buddy zones[2];
static uint64_t usable_bytes;
KHOT uint64_t pmm_limit;
#define phys_limit pmm_limit

/* The usable RAM left after taking out everything reserved (see the file comment). */
static void collect_free_ranges(struct rangeset *s)
{
    struct range reserved[2 + BOOT_MODULES_MAX] = {
        {0, 0x100000},
        {(uint64_t)__kernel_phys_start, (uint64_t)__kernel_phys_end},
    };
    size_t nres = 2;
    for (size_t i = 0; i < boot_info.module_count; i++)
        reserved[nres++] = (struct range){boot_info.modules[i].start, boot_info.modules[i].end};
    for (size_t i = 0; i < boot_info.mmap_count; i++)
        log_debug("pmm: map 0x%lx-0x%lx type %u", boot_info.mmap[i].base,
                  boot_info.mmap[i].base + boot_info.mmap[i].len, boot_info.mmap[i].type);
    if (memmap_free_ranges(boot_info.mmap, boot_info.mmap_count, reserved, nres, PAGE_SIZE, s,
                           &usable_bytes) != 0)
        log_warn("pmm: memory map too fragmented; some memory is not used");
}

/* Frame span [*base, *end) of the ranges within [lo, hi), base aligned for the buddy. */
static void zone_span(const struct rangeset *s, uint64_t lo, uint64_t hi, uint64_t *base,
                      uint64_t *end)
{
    *base = *end = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t a = s->r[i].start < lo ? lo : s->r[i].start;
        uint64_t b = s->r[i].end > hi ? hi : s->r[i].end;
        if (a >= b)
            continue;
        if (*end == 0)
            *base = (a >> PAGE_SHIFT) & ~((1ull << BUDDY_MAX_ORDER) - 1);
        *end = b >> PAGE_SHIFT;
    }
}

void pmm_init(void)
{
    static struct rangeset free_ranges;
    collect_free_ranges(&free_ranges);
    struct rangeset *s = &free_ranges;
    if (s->n == 0)
        panic("pmm: no usable memory in the boot memory map");

    uint64_t base[2], end[2];
    zone_span(s, 0, LOW_LIMIT, &base[ZONE_LOW], &end[ZONE_LOW]);
    zone_span(s, LOW_LIMIT, UINT64_MAX, &base[ZONE_HIGH], &end[ZONE_HIGH]);
    uint64_t n[2] = {end[0] - base[0], end[1] - base[1]};
    if (n[0] >= BUDDY_NIL || n[1] >= BUDDY_NIL)
        panic("pmm: memory span too large (%lu, %lu frames)", n[0], n[1]);
    uint64_t low_bytes = (buddy_meta_bytes(n[0]) + 63) & ~63ull;
    uint64_t meta_bytes = (low_bytes + buddy_meta_bytes(n[1]) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t meta = 0;
    if (rangeset_find(s, meta_bytes, PAGE_SIZE, LOW_LIMIT, &meta) != 0)
        panic("pmm: no room below 4 GiB for %lu KiB of page metadata", meta_bytes >> 10);
    rangeset_remove(s, meta, meta + meta_bytes); /* trims one range: cannot fail */

    buddy_init(&zones[ZONE_LOW], phys_to_virt(meta), base[0], n[0]);
    buddy_init(&zones[ZONE_HIGH], phys_to_virt(meta + low_bytes), base[1], n[1]);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t a = s->r[i].start, b = s->r[i].end;
        if (a < LOW_LIMIT) {
            uint64_t e = b < LOW_LIMIT ? b : LOW_LIMIT;
            buddy_add_range(&zones[ZONE_LOW], a >> PAGE_SHIFT, (e - a) >> PAGE_SHIFT);
        }
        if (b > LOW_LIMIT) {
            uint64_t f = a > LOW_LIMIT ? a : LOW_LIMIT;
            buddy_add_range(&zones[ZONE_HIGH], f >> PAGE_SHIFT, (b - f) >> PAGE_SHIFT);
        }
        log_debug("pmm: free 0x%lx-0x%lx", a, b);
    }
    phys_limit = s->r[s->n - 1].end;
    log_debug("pmm: %lu KiB of metadata at 0x%lx", meta_bytes >> 10, meta);
}

uint64_t pmm_alloc(unsigned order, unsigned flags)
{
    if (order > PMM_MAX_ORDER)
        return 0;
    uint8_t tag = (uint8_t)(flags >> 8);
    uint64_t pfn = BUDDY_NONE;
    uint64_t f = spin_lock_irqsave(&pmm_lock);
    if (!(flags & PMM_LOW))
        pfn = buddy_alloc(&zones[ZONE_HIGH], order, tag);
    if (pfn == BUDDY_NONE)
        pfn = buddy_alloc(&zones[ZONE_LOW], order, tag);
    spin_unlock_irqrestore(&pmm_lock, f);
    if (pfn == BUDDY_NONE)
        return 0;
    uint64_t phys = pfn << PAGE_SHIFT;
    if (flags & PMM_ZERO)
        memset(phys_to_virt(phys), 0, PAGE_SIZE << order);
    return phys;
}

void pmm_free(uint64_t phys, unsigned order)
{
    uint64_t pfn = phys >> PAGE_SHIFT;
    int rc = -1;
    uint64_t f = spin_lock_irqsave(&pmm_lock);
    if (!(phys & (PAGE_SIZE - 1))) {
        struct buddy *z = buddy_spans(&zones[ZONE_HIGH], pfn) ? &zones[ZONE_HIGH] : &zones[ZONE_LOW];
        rc = buddy_free(z, pfn, order);
    }
    spin_unlock_irqrestore(&pmm_lock, f);
    if (rc != 0) {
#ifdef SKOLL_DEBUG
        panic("pmm_free: 0x%lx order %u is not an allocated block (double free?)", phys, order);
#else
        log_error("pmm_free: 0x%lx order %u is not an allocated block; ignored", phys, order);
#endif
    }
}

uint64_t pmm_alloc_page(void)
{
    return pmm_alloc(0, 0);
}

void pmm_free_page(uint64_t phys)
{
    pmm_free(phys, 0);
}

uint64_t pmm_alloc_pages(unsigned order)
{
    return pmm_alloc(order, 0);
}

void pmm_free_pages(uint64_t phys, unsigned order)
{
    pmm_free(phys, order);
}

int pmm_block_of(uint64_t phys, uint64_t *head, unsigned *order, unsigned *tag)
{
    uint64_t pfn = phys >> PAGE_SHIFT, h = 0;
    uint8_t t = 0;
    struct buddy *z = buddy_spans(&zones[ZONE_HIGH], pfn) ? &zones[ZONE_HIGH] : &zones[ZONE_LOW];
    /* the common case first (every kfree asks): the head frame of an allocated block */
    uint64_t i = pfn - z->base_pfn;
    if (i < z->npages) {
        const volatile struct buddy_page *p = &z->pages[i];
        if (p->state == BUDDY_ALLOC_HEAD) {
            if (head)
                *head = phys & ~(uint64_t)(PAGE_SIZE - 1);
            if (order)
                *order = p->order;
            if (tag)
                *tag = p->tag;
            return 0;
        }
    }
    int rc = buddy_block_of(z, pfn, &h, order, &t);
    if (rc == 0 && head)
        *head = h << PAGE_SHIFT;
    if (rc == 0 && tag)
        *tag = t;
    return rc;
}

static struct buddy *zone_of(uint64_t pfn)
{
    return buddy_spans(&zones[ZONE_HIGH], pfn) ? &zones[ZONE_HIGH] : &zones[ZONE_LOW];
}

uint32_t *pmm_frame_word(uint64_t phys)
{
    uint64_t pfn = phys >> PAGE_SHIFT;
    struct buddy *z = zone_of(pfn);
    if (!buddy_spans(z, pfn))
        return NULL;
    return &z->pages[pfn - z->base_pfn].owner;
}

int pmm_manages(uint64_t phys, uint64_t size)
{
    uint64_t first = phys >> PAGE_SHIFT;
    uint64_t last = (phys + size - 1) >> PAGE_SHIFT;
    if (size == 0 || phys + size < phys)
        return 0;
    for (int k = 0; k < 2; k++) {
        const struct buddy *z = &zones[k];
        uint64_t a = first > z->base_pfn ? first : z->base_pfn;
        uint64_t b = last < z->base_pfn + z->npages - 1 ? last : z->base_pfn + z->npages - 1;
        for (uint64_t pfn = a; z->npages && pfn <= b; pfn++)
            if (buddy_managed(z, pfn))
                return 1;
    }
    return 0;
}

void pmm_census(uint64_t pages[PMM_CENSUS_TAGS])
{
    for (unsigned t = 0; t < PMM_CENSUS_TAGS; t++)
        pages[t] = 0;
    for (int k = 0; k < 2; k++) {
        const struct buddy *z = &zones[k];
        for (uint64_t i = 0; i < z->npages; i++) {
            const volatile struct buddy_page *p = &z->pages[i];
            if (p->state == BUDDY_ALLOC_HEAD)
                pages[p->tag < PMM_CENSUS_TAGS ? p->tag : PMM_CENSUS_TAGS - 1] += 1ull << p->order;
        }
    }
}

uint64_t pmm_free_count(void)
{
    return __atomic_load_n(&zones[ZONE_LOW].free_pages, __ATOMIC_RELAXED) +
           __atomic_load_n(&zones[ZONE_HIGH].free_pages, __ATOMIC_RELAXED);
}

uint64_t pmm_total_count(void)
{
    return zones[ZONE_LOW].total_pages + zones[ZONE_HIGH].total_pages;
}

uint64_t pmm_usable_bytes(void)
{
    return usable_bytes;
}

