/*
 * x86-64 4-level page tables for the kernel address space: walking,
 * mapping, unmapping and querying entries, and the per-CPU paging setup.
 * The tables themselves are built in kernel_tables.c. Page-table pages come
 * from the PMM (below 4 GiB until the kernel tables are live, since until
 * then only the boot direct map of the first 4 GiB reaches them).
 * Lock order: vm_lock, then the PMM lock.
 */
#include <k/hot.h>
#include <k/vm.h>
#include <k/pmm.h>
#include <k/log.h>
#include <arch/paging.h>
#include <arch/pte.h>
#include <arch/layout.h>
#include <arch/cpu.h>

KHOT struct spinlock vm_lock = SPINLOCK_INIT;
uint64_t vm_pml4;
static KHOT int nx_ok, pat_ok, smep_ok, tables_live;
int vm_smap_on;
#define smap_ok vm_smap_on

static uint64_t *table(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

void paging_set_live(void)
{
    tables_live = 1;
}

/* Why a walk stopped. */
enum { WALK_OK, WALK_NOMEM, WALK_LARGE, WALK_ABSENT };

/*
 * Entry for virt at level (0 = PT ... 2 = PDPT) or NULL; with create, missing
 * tables are allocated. *why says why NULL came back.
 */
static uint64_t *walk(uint64_t virt, int level, int create, int *why)
{
    uint64_t *t = phys_to_virt(vm_pml4);
    for (int l = 3; l > level; l--) {
        uint64_t *e = &t[PT_INDEX(virt, l)];
        if (!(*e & PTE_P)) {
            if (!create) {
                *why = WALK_ABSENT;
                return NULL;
            }
            uint64_t p = pmm_alloc(0, PMM_ZERO | (tables_live ? 0 : PMM_LOW));
            if (!p) {
                *why = WALK_NOMEM;
                return NULL;
            }
            *e = p | PTE_P | PTE_W;
        } else if (*e & PTE_PS) {
            *why = WALK_LARGE;
            return NULL;
        }
        t = table(*e);
    }
    *why = WALK_OK;
    return &t[PT_INDEX(virt, level)];
}

/* The present leaf entry mapping virt, and its level; NULL if none. */
static uint64_t *leaf(uint64_t virt, int *level)
{
    uint64_t *t = phys_to_virt(vm_pml4);
    for (int l = 3; l >= 0; l--) {
        uint64_t *e = &t[PT_INDEX(virt, l)];
        if (!(*e & PTE_P))
            return NULL;
        if (l == 0 || (*e & PTE_PS)) {
            *level = l;
            return e;
        }
        t = table(*e);
    }
    return NULL;
}

uint64_t paging_leaf_bits(unsigned flags, int large)
{
    uint64_t b = PTE_P;
    if (flags & VM_WRITE)
        b |= PTE_W;
    if (!(flags & VM_EXEC) && nx_ok)
        b |= PTE_NX;
    if (flags & VM_UNCACHED)
        b |= PTE_CACHE_UC; /* the same PAT index in 4 KiB and 2 MiB entries */
    if (large)
        b |= PTE_PS;
    return b;
}

int paging_map(uint64_t virt, uint64_t phys, uint64_t size, uint64_t bits, int allow_large)
{
    const uint64_t big = 2ull << 20;
    int why;
    uint64_t off = 0;
    while (off < size) {
        uint64_t va = virt + off, pa = phys + off;
        if (allow_large && !(va & (big - 1)) && !(pa & (big - 1)) && size - off >= big) {
            uint64_t *pde = walk(va, 1, 1, &why);
            if (!pde && why == WALK_NOMEM)
                return -1;
            if (pde && *pde == 0) {
                *pde = pa | bits | PTE_PS;
                off += big;
                continue;
            }
        }
        uint64_t *pte = walk(va, 0, 1, &why);
        if (!pte && why == WALK_NOMEM)
            return -1;
        if (pte && !(*pte & PTE_P))
            *pte = pa | (bits & ~PTE_PS);
        off += PAGE_SIZE;
    }
    return 0;
}

int paging_any_mapped(uint64_t virt, uint64_t size)
{
    int level;
    for (uint64_t off = 0; off < size; off += PAGE_SIZE)
        if (leaf(virt + off, &level))
            return 1;
    return 0;
}

/* Free the table an entry points to if it is all zero; returns 1 if it did. */
static int free_if_empty(uint64_t *entry)
{
    uint64_t *t = table(*entry);
    for (int i = 0; i < PT_ENTRIES; i++)
        if (t[i])
            return 0;
    uint64_t p = *entry & PTE_ADDR;
    *entry = 0;
    pmm_free_page(p);
    return 1;
}

/*
 * After unmapping around va: free its PT and PD if they are empty; PDPTs only
 * in the lower half, since the upper half's PML4 entries are meant to be
 * shared by every address space.
 */
static void prune(uint64_t va)
{
    int why;
    uint64_t *pde = walk(va, 1, 0, &why);
    if (!pde || !(*pde & PTE_P) || (*pde & PTE_PS) || !free_if_empty(pde))
        return;
    uint64_t *pdpte = walk(va, 2, 0, &why);
    if (!pdpte || !free_if_empty(pdpte) || va >= DIRECT_MAP_BASE)
        return;
    uint64_t *pml4e = &((uint64_t *)phys_to_virt(vm_pml4))[PT_INDEX(va, 3)];
    free_if_empty(pml4e);
}

void paging_unmap(uint64_t virt, uint64_t size)
{
    const uint64_t big = 2ull << 20;
    int level;
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        uint64_t *e = leaf(virt + off, &level);
        if (!e)
            continue;
        if (level != 0) {
            log_warn("vm: not unmapping large page at 0x%lx", virt + off);
            continue;
        }
        *e = 0;
        invlpg(virt + off);
    }
    uint64_t first = virt & ~(big - 1);
    for (uint64_t va = first; va >= first && va < virt + size; va += big)
        prune(va);
}

/* Size of the direct-map region (PML4 slots 256..383). */
#define DIRECT_MAP_SIZE (64ull << 40)

/*
 * A page-aligned, canonical range with both ends in the same half, outside
 * the regions vm_init and vm_map_mmio manage (direct map, MMIO window).
 */
static int range_ok(uint64_t virt, uint64_t size)
{
    uint64_t end = virt + size;
    if (!size || end < virt || ((virt | size) & (PAGE_SIZE - 1)))
        return 0;
    if (end <= 0x0000800000000000ull)
        return 1;
    if (virt < DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
        return 0;
    return end <= VM_MMIO_BASE || virt >= VM_MMIO_BASE + VM_MMIO_SIZE;
}

int vm_map_range(uint64_t virt, uint64_t phys, size_t size, unsigned flags)
{
    if (!range_ok(virt, size) || (phys & (PAGE_SIZE - 1)) || phys + size < phys)
        return -1;
    uint64_t f = spin_lock_irqsave(&vm_lock);
    int rc = -1;
    if (!paging_any_mapped(virt, size)) {
        rc = paging_map(virt, phys, size, paging_leaf_bits(flags, 0), 0);
        if (rc != 0)
            paging_unmap(virt, size);
    }
    spin_unlock_irqrestore(&vm_lock, f);
    return rc;
}

void vm_unmap_range(uint64_t virt, size_t size)
{
    if (!range_ok(virt, size))
        return;
    uint64_t f = spin_lock_irqsave(&vm_lock);
    paging_unmap(virt, size);
    spin_unlock_irqrestore(&vm_lock, f);
}

int vm_query(uint64_t virt, uint64_t *phys, unsigned *flags)
{
    int level;
    uint64_t f = spin_lock_irqsave(&vm_lock);
    uint64_t *e = leaf(virt, &level);
    uint64_t v = e ? *e : 0;
    spin_unlock_irqrestore(&vm_lock, f);
    if (!e)
        return -1;
    uint64_t mask = (1ull << PT_SHIFT(level)) - 1;
    *phys = ((level ? v & PTE_ADDR_2M : v & PTE_ADDR) & ~mask) | (virt & mask);
    *flags = ((v & PTE_W) ? VM_WRITE : 0) | ((v & PTE_NX) ? 0 : VM_EXEC) |
             ((v & PTE_PCD) ? VM_UNCACHED : 0);
    return 0;
}

/* Probe CPU features once, on the boot CPU. */
void paging_detect(void)
{
    uint32_t a, b, c, d;
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a >= 0x80000001) {
        cpuid(0x80000001, 0, &a, &b, &c, &d);
        nx_ok = (d >> 20) & 1;
    }
    cpuid(1, 0, &a, &b, &c, &d);
    pat_ok = (d >> 16) & 1;
    cpuid(0, 0, &a, &b, &c, &d);
    if (a >= 7) {
        cpuid(7, 0, &a, &b, &c, &d);
        smep_ok = (b >> 7) & 1;
        smap_ok = (b >> 20) & 1;
    }
}

void vm_cpu_init(void)
{
    if (nx_ok)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    if (pat_ok) {
        __asm__ volatile("wbinvd" ::: "memory");
        wrmsr(MSR_PAT, PAT_VALUE);
    }
    write_cr0(read_cr0() | CR0_WP);
    /* The kernel never runs user pages (SMEP) and reads or writes them only
       inside copy_from_user / copy_to_user, between stac and clac (SMAP). */
    uint64_t cr4 = read_cr4();
    if (smep_ok)
        cr4 |= CR4_SMEP;
    if (smap_ok)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    write_cr3(vm_pml4);
}

int vm_smep_enabled(void)
{
    return smep_ok;
}

uint64_t vm_kernel_pml4_phys(void)
{
    return vm_pml4;
}

int vm_nx_supported(void)
{
    return nx_ok;
}
