/*
 * Self tests of the kernel page tables: section permissions of the kernel
 * image, an empty lower half, the direct map, vm_map_range/vm_unmap_range
 * on a trampoline-like page, and vm_map_mmio reuse. Also the manual tests
 * that must panic: heap misuse (double free, foreign pointer).
 */
#include <k/selftest.h>
#include <k/pmm.h>
#include <k/vm.h>
#include <k/heap.h>
#include <arch/layout.h>
#include <arch/pte.h>
#include <arch/cpu.h>

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[];
static uint64_t some_data = 1; /* in .data */
static uint64_t some_bss;      /* in .bss */
static const uint64_t some_rodata = 2;

static int lower_half_empty(void)
{
    const uint64_t *pml4 = phys_to_virt(vm_kernel_pml4_phys());
    for (int i = 0; i < 256; i++)
        if (pml4[i])
            return 0;
    return 1;
}

/* Check that va maps to want_phys with exactly the wanted write/exec rights. */
static void expect(const char *what, const volatile void *va, uint64_t want_phys, unsigned want)
{
    uint64_t phys;
    unsigned flags;
    if (vm_query((uint64_t)va, &phys, &flags) != 0) {
        st_fail("%s (%p) is not mapped", what, va);
        return;
    }
    if (!vm_nx_supported())
        want |= VM_EXEC;
    if (phys != want_phys || (flags & (VM_WRITE | VM_EXEC)) != want)
        st_fail("%s (%p): phys 0x%lx flags %x, want 0x%lx flags %x", what, va, phys, flags,
                want_phys, want);
}

SELFTEST(mem_paging, 0)
{
    uint64_t kv = KERNEL_VBASE;
    expect(".text", __text_start, (uint64_t)__text_start - kv, VM_EXEC);
    uint64_t text_last = (uint64_t)__text_end - 8;
    expect(".text end", (void *)text_last, text_last - kv, VM_EXEC);
    expect(".rodata", &some_rodata, (uint64_t)&some_rodata - kv, 0);
    expect(".rodata start", __rodata_start, (uint64_t)__rodata_start - kv, 0);
    expect(".data", &some_data, (uint64_t)&some_data - kv, VM_WRITE);
    expect(".bss", &some_bss, (uint64_t)&some_bss - kv, VM_WRITE);
    uint64_t page = pmm_alloc_page();
    ST_CHECK(page != 0);
    expect("direct map", phys_to_virt(page + 8), page + 8, VM_WRITE);
    expect(".text alias", phys_to_virt((uint64_t)__text_start - kv),
           (uint64_t)__text_start - kv, 0);
    expect(".rodata alias", phys_to_virt((uint64_t)&some_rodata - kv),
           (uint64_t)&some_rodata - kv, 0);
    uint64_t phys;
    unsigned flags;
    if (vm_query(0, &phys, &flags) == 0 || vm_query(0x100000, &phys, &flags) == 0)
        st_fail("the lower half is mapped");
    if (!lower_half_empty())
        st_fail("the kernel PML4 has lower-half entries");
    if (!(read_cr0() & CR0_WP))
        st_fail("CR0.WP is off");
    if (vm_nx_supported() && !(rdmsr(MSR_EFER) & EFER_NXE))
        st_fail("NX supported but EFER.NXE is off");
    if (vm_kernel_pml4_phys() >= (4ull << 30) || read_cr3() != vm_kernel_pml4_phys())
        st_fail("CR3 0x%lx is not the kernel PML4 below 4 GiB", read_cr3());

    /* a trampoline-style identity page, mapped and removed again */
    uint64_t free_before = pmm_free_count();
    if (vm_map_range(0x8001, page, PAGE_SIZE, VM_WRITE) == 0 ||
        vm_map_range((uint64_t)__text_start, page, PAGE_SIZE, VM_WRITE) == 0 ||
        vm_map_range(0x00007ffffffff000ull, page, 2 * PAGE_SIZE, VM_WRITE) == 0 ||
        vm_map_range(DIRECT_MAP_BASE + (1ull << 45), page, PAGE_SIZE, VM_WRITE) == 0 ||
        vm_map_range(VM_MMIO_BASE + (1ull << 38), page, PAGE_SIZE, VM_WRITE) == 0)
        st_fail("vm_map_range accepted a bad request");
    if (vm_map_range(0x8000, page, PAGE_SIZE, VM_WRITE | VM_EXEC) != 0) {
        st_fail("vm_map_range(0x8000) failed");
    } else {
        *(volatile uint64_t *)0x8000 = PAGE_SIZE ^ page;
        if (*(uint64_t *)phys_to_virt(page) != (PAGE_SIZE ^ page))
            st_fail("write through 0x8000 not seen in the direct map");
        expect("trampoline", (void *)0x8000, page, VM_WRITE | VM_EXEC);
        if (vm_map_range(0x8000, page, PAGE_SIZE, VM_WRITE) == 0)
            st_fail("vm_map_range mapped over an existing mapping");
        vm_unmap_range(0x8000, PAGE_SIZE);
        if (vm_query(0x8000, &phys, &flags) == 0)
            st_fail("0x8000 still mapped after vm_unmap_range");
    }
    if (!lower_half_empty() || pmm_free_count() != free_before)
        st_fail("unmapping did not free the lower-half page tables");

    /* MMIO: RAM comes back through the direct map, devices through the window, reused */
    ST_CHECK(vm_map_mmio(page + 16, 64) == phys_to_virt(page + 16));
    pmm_free_page(page);
    uint8_t *a = vm_map_mmio(0xfec00000, 0x20); /* IOAPIC */
    uint8_t *b = vm_map_mmio(0xfec00010, 4);
    ST_CHECK(a && b == a + 0x10);
    ST_CHECK((uint64_t)a >= VM_MMIO_BASE && (uint64_t)a < VM_MMIO_BASE + VM_MMIO_SIZE);
    ST_CHECK(vm_query((uint64_t)a, &phys, &flags) == 0 && phys == 0xfec00000);
    ST_CHECK((flags & VM_UNCACHED) && (flags & VM_WRITE));
    ST_CHECK(vm_map_mmio(0, 0) == NULL && vm_map_mmio(~0ull - 4, 16) == NULL);
}

/* Manual: must panic in every build ("heap: double free ..."). */
SELFTEST(mem_heap_double_free, SELFTEST_MANUAL)
{
    void *p = kmalloc(100);
    kfree(p);
    kfree(p);
    st_fail("double free was not caught");
}

/* Manual: must panic in every build ("kfree of ...: not allocated by the heap"). */
SELFTEST(mem_heap_foreign_free, SELFTEST_MANUAL)
{
    kfree(&some_data);
    st_fail("foreign free was not caught");
}
