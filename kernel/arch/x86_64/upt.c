/*
 * User page tables (see k/upt.h): 4-level tables for the lower half of a
 * space, the kernel half copied from the kernel PML4 (every upper slot has
 * its PDPT from boot, so the copies never go stale), and TLB shootdown by
 * cross-CPU call to the CPUs whose bit is set in the space's mask.
 */
#include <k/ktrace.h>
#include <k/upt.h>
#include <k/vm.h>
#include <k/pmm.h>
#include <k/percpu.h>
#include <base/string.h>
#include <arch/paging.h>
#include <arch/pte.h>
#include <arch/layout.h>
#include <arch/cpu.h>

#define TABLE_BITS (PTE_P | PTE_W | PTE_U)
/* Above this many pages a full flush is cheaper than invlpg per page. */
#define FLUSH_PAGES_MAX 32

static uint64_t *table_of(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

int upt_init(struct upt *pt)
{
    uint64_t p = pmm_alloc(0, PMM_ZERO);
    if (!p)
        return -1;
    const uint64_t *kernel = phys_to_virt(vm_kernel_pml4_phys());
    uint64_t *pml4 = phys_to_virt(p);
    memcpy(&pml4[PT_ENTRIES / 2], &kernel[PT_ENTRIES / 2], PT_ENTRIES / 2 * sizeof *pml4);
    pt->pml4 = p;
    pt->lock = (struct spinlock)SPINLOCK_INIT;
    pt->cpus = 0;
    pt->gen = 0;
    return 0;
}

static void free_table(uint64_t entry, int level)
{
    uint64_t *t = table_of(entry);
    if (level > 0)
        for (int i = 0; i < PT_ENTRIES; i++)
            if (t[i] & PTE_P)
                free_table(t[i], level - 1);
    pmm_free_page(entry & PTE_ADDR);
}

void upt_fini(struct upt *pt)
{
    uint64_t *pml4 = phys_to_virt(pt->pml4);
    for (int i = 0; i < PT_ENTRIES / 2; i++)
        if (pml4[i] & PTE_P)
            free_table(pml4[i], 2); /* PDPT, PD, then PT (whose entries are leaves) */
    pmm_free_page(pt->pml4);
    pt->pml4 = 0;
}

/* The PT entry for va, allocating missing tables when create; NULL if absent or no memory. */
static uint64_t *pte_of(struct upt *pt, uint64_t va, int create)
{
    uint64_t *t = phys_to_virt(pt->pml4);
    for (int level = 3; level > 0; level--) {
        uint64_t *e = &t[PT_INDEX(va, level)];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t p = pmm_alloc(0, PMM_ZERO);
            if (!p)
                return NULL;
            *e = p | TABLE_BITS;
        }
        t = table_of(*e);
    }
    return &t[PT_INDEX(va, 0)];
}

int upt_map(struct upt *pt, uint64_t va, uint64_t phys, unsigned flags)
{
    uint64_t *e = pte_of(pt, va, 1);
    if (!e)
        return -1;
    uint64_t v = (phys & PTE_ADDR) | PTE_P | PTE_U;
    if (flags & UPT_WRITE)
        v |= PTE_W;
    if (!(flags & UPT_EXEC) && vm_nx_supported())
        v |= PTE_NX;
    if (flags & UPT_UC)
        v |= PTE_CACHE_UC;
    else if (flags & UPT_WC)
        v |= PTE_PWT; /* PAT index 1: write-combining (PAT_VALUE) */
    __atomic_store_n(e, v, __ATOMIC_RELEASE);
    __atomic_add_fetch(&pt->gen, 1, __ATOMIC_RELEASE);
    return 0;
}

int upt_query(struct upt *pt, uint64_t va, uint64_t *phys, unsigned *flags)
{
    uint64_t *e = pte_of(pt, va, 0);
    if (!e || !(*e & PTE_P))
        return -1;
    uint64_t v = *e;
    *phys = v & PTE_ADDR;
    *flags = ((v & PTE_W) ? UPT_WRITE : 0) | ((v & PTE_NX) || !vm_nx_supported() ? 0 : UPT_EXEC);
    if ((v & PTE_CACHE_UC) == PTE_CACHE_UC)
        *flags |= UPT_UC;
    else if (v & PTE_PWT)
        *flags |= UPT_WC;
    return 0;
}

/*
 * Apply fn to each present leaf in [va, end), skipping absent tables a whole
 * table at a time. Returns the number of leaves fn changed.
 */
static uint64_t for_leaves(struct upt *pt, uint64_t va, uint64_t end,
                           int (*fn)(uint64_t *e, unsigned arg), unsigned arg)
{
    uint64_t changed = 0;
    while (va < end) {
        uint64_t *t = phys_to_virt(pt->pml4);
        int level;
        for (level = 3; level > 0; level--) {
            uint64_t e = t[PT_INDEX(va, level)];
            if (!(e & PTE_P))
                break;
            t = table_of(e);
        }
        if (level > 0) { /* no table below level: skip what it would cover */
            uint64_t span = 1ull << PT_SHIFT(level);
            uint64_t next = (va & ~(span - 1)) + span;
            if (next <= va)
                break;
            va = next;
            continue;
        }
        uint64_t *e = &t[PT_INDEX(va, 0)];
        if ((*e & PTE_P) && fn(e, arg))
            changed++;
        va += PAGE_SIZE;
    }
    return changed;
}

static int clear_leaf(uint64_t *e, unsigned arg)
{
    (void)arg;
    __atomic_store_n(e, 0, __ATOMIC_RELEASE);
    return 1;
}

static int restrict_leaf(uint64_t *e, unsigned keep)
{
    uint64_t v = *e, n = v;
    if (!(keep & UPT_WRITE))
        n &= ~PTE_W;
    if (!(keep & UPT_EXEC) && vm_nx_supported())
        n |= PTE_NX;
    if (n == v)
        return 0;
    __atomic_store_n(e, n, __ATOMIC_RELEASE);
    return 1;
}

uint64_t upt_clear(struct upt *pt, uint64_t va, uint64_t end)
{
    __atomic_add_fetch(&pt->gen, 1, __ATOMIC_RELEASE);
    return for_leaves(pt, va, end, clear_leaf, 0);
}

uint64_t upt_restrict(struct upt *pt, uint64_t va, uint64_t end, unsigned keep)
{
    __atomic_add_fetch(&pt->gen, 1, __ATOMIC_RELEASE);
    return for_leaves(pt, va, end, restrict_leaf, keep);
}

struct flush_req {
    struct upt *pt;
    uint64_t va, end;
    volatile uint32_t pending;
};

static void flush_here(struct upt *pt, uint64_t va, uint64_t end)
{
    if (read_cr3() != pt->pml4)
        return; /* switched away since: loading another CR3 flushed it */
    if ((end - va) / PAGE_SIZE > FLUSH_PAGES_MAX) {
        ktrace(KT_CR3, (uint64_t)__builtin_return_address(0), end - va);
        write_cr3(pt->pml4);
        return;
    }
    for (; va < end; va += PAGE_SIZE)
        invlpg(va);
}

static void flush_call(void *arg)
{
    struct flush_req *r = arg;
    flush_here(r->pt, r->va, r->end);
    __atomic_fetch_sub(&r->pending, 1, __ATOMIC_RELEASE);
}

void upt_flush(struct upt *pt, uint64_t va, uint64_t end)
{
    uint64_t f = irq_save();
    /* Entries were changed before this point; a CPU that sets its bit after this
       load also loads CR3 after it, and so sees the new entries. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t mask = __atomic_load_n(&pt->cpus, __ATOMIC_ACQUIRE);
    unsigned me = this_cpu()->id;
    struct flush_req req = {pt, va, end, 0};
    for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
        if (!(mask & (1ull << cpu)) || cpu == me)
            continue;
        __atomic_fetch_add(&req.pending, 1, __ATOMIC_RELAXED);
        if (smp_call(cpu, flush_call, &req, 0) != 0)
            __atomic_fetch_sub(&req.pending, 1, __ATOMIC_RELAXED);
    }
    if (mask & (1ull << me))
        flush_here(pt, va, end);
    while (__atomic_load_n(&req.pending, __ATOMIC_ACQUIRE)) {
        smp_call_poll();
        cpu_relax();
    }
    irq_restore(f);
}

void upt_load(struct upt *pt, struct upt *old)
{
    uint64_t bit = 1ull << this_cpu()->id;
    if (pt)
        __atomic_fetch_or(&pt->cpus, bit, __ATOMIC_SEQ_CST);
    ktrace(KT_CR3, (uint64_t)__builtin_return_address(0), 0);
    write_cr3(pt ? pt->pml4 : vm_kernel_pml4_phys());
    if (old)
        __atomic_fetch_and(&old->cpus, ~bit, __ATOMIC_SEQ_CST);
}

int upt_phys_is_ram(uint64_t phys, uint64_t size)
{
    if (rangeset_contains(&vm_ram, phys, phys + size))
        return 1;
    return rangeset_overlaps(&vm_ram, phys, phys + size) ? -1 : 0;
}
