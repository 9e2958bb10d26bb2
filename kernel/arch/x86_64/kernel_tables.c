/*
 * Builds the kernel page tables at boot: the direct map of every region in
 * the memory map, the kernel image with per-section permissions, and the
 * (empty) MMIO window. Nothing is mapped in the lower half, so null pointer
 * dereferences fault. See docs/memory.md for the layout.
 */
#include <k/vm.h>
#include <k/pmm.h>
#include <k/bootinfo.h>
#include <k/panic.h>
#include <k/log.h>
#include <arch/paging.h>
#include <arch/pte.h>
#include <arch/layout.h>

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[];

struct rangeset vm_ram;

static int is_ram(uint32_t type)
{
    return type == BOOT_MEM_USABLE || type == BOOT_MEM_ACPI_RECLAIM || type == BOOT_MEM_ACPI_NVS;
}

static uint64_t region_end(const struct boot_mem_region *m)
{
    return m->base + m->len < m->base ? UINT64_MAX : m->base + m->len;
}

/* Map [start, end) of physical memory (rounded out to pages) into the direct map. */
static void map_direct(uint64_t start, uint64_t end, unsigned flags)
{
    start &= ~(PAGE_SIZE - 1);
    end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (end <= start || end > (1ull << 46)) /* the direct map holds 64 TiB */
        return;
    if (paging_map(DIRECT_MAP_BASE + start, start, end - start, paging_leaf_bits(flags, 1), 1))
        panic("vm: out of memory building the direct map");
}

/*
 * RAM types are mapped write-back. Other regions (firmware-reserved, which
 * may be device memory) are mapped uncached, so the direct map never gives a
 * device a cacheable alias; where a page holds both, RAM wins.
 */
static void build_direct_map(void)
{
    /* The direct-map alias of the kernel's code and constants is read-only and NX too.
       It is mapped first, and later mappings never replace a present entry. */
    map_direct((uint64_t)__text_start - KERNEL_VBASE, (uint64_t)__rodata_end - KERNEL_VBASE, 0);
    rangeset_init(&vm_ram);
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mem_region *m = &boot_info.mmap[i];
        if (is_ram(m->type) && rangeset_add(&vm_ram, m->base, region_end(m)))
            log_warn("vm: too many RAM ranges; 0x%lx not direct-mapped", m->base);
    }
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mem_region *m = &boot_info.mmap[i];
        if (!is_ram(m->type))
            rangeset_remove(&vm_ram, m->base, region_end(m));
    }
    for (size_t i = 0; i < vm_ram.n; i++)
        map_direct(vm_ram.r[i].start, vm_ram.r[i].end, VM_WRITE);
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mem_region *m = &boot_info.mmap[i];
        if (!is_ram(m->type))
            map_direct(m->base, region_end(m), VM_WRITE | VM_UNCACHED);
    }
}

static void map_image(const char *start, const char *end, unsigned flags)
{
    uint64_t v = (uint64_t)start;
    if (paging_map(v, v - KERNEL_VBASE, (uint64_t)(end - start), paging_leaf_bits(flags, 0), 0))
        panic("vm: out of memory mapping the kernel image");
}

void vm_init(void)
{
    paging_detect();
    vm_pml4 = pmm_alloc(0, PMM_LOW | PMM_ZERO);
    if (!vm_pml4)
        panic("vm: no memory for the kernel PML4");
    uint64_t *pml4 = phys_to_virt(vm_pml4);
    /* the upper-half slots that exist from the start: MMIO window and kernel image */
    uint64_t slots[] = {PT_INDEX(VM_MMIO_BASE, 3), PT_INDEX(KERNEL_VBASE, 3)};
    for (int i = 0; i < 2; i++) {
        uint64_t p = pmm_alloc(0, PMM_LOW | PMM_ZERO);
        if (!p)
            panic("vm: no memory for kernel page tables");
        pml4[slots[i]] = p | PTE_P | PTE_W;
    }
    build_direct_map();
    map_image(__text_start, __text_end, VM_EXEC);
    map_image(__rodata_start, __rodata_end, 0);
    map_image(__data_start, __kernel_end, VM_WRITE);
    /* Every upper-half slot gets its PDPT now (1 MiB at most) and keeps it: user
       address spaces copy these entries once, so a kernel mapping made later
       under any slot reaches every space. */
    for (int i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
        if (pml4[i])
            continue;
        uint64_t p = pmm_alloc(0, PMM_LOW | PMM_ZERO);
        if (!p)
            panic("vm: no memory for kernel page tables");
        pml4[i] = p | PTE_P | PTE_W;
    }
    vm_cpu_init();
    paging_set_live();
    log_debug("vm: kernel tables at 0x%lx, NX %s", vm_pml4, vm_nx_supported() ? "on" : "off");
}
