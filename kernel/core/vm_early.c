/*
 * Early kernel VM on the boot page tables, which map the first 4 GiB at both
 * 0 and the direct map. Replaced by the real paging code.
 */
#include <k/vm.h>
#include <arch/layout.h>
#include <arch/cpu.h>

extern char boot_pml4[];

void *vm_map_mmio(uint64_t phys, size_t size)
{
    if (phys + size < phys || phys + size > (4ull << 30))
        return NULL;
    return phys_to_virt(phys);
}

int vm_map_range(uint64_t virt, uint64_t phys, size_t size, unsigned flags)
{
    (void)flags;
    return (virt == phys && phys + size <= (4ull << 30)) ? 0 : -1;
}

void vm_unmap_range(uint64_t virt, size_t size)
{
    (void)virt;
    (void)size;
}

void vm_cpu_init(void)
{
    write_cr3(vm_kernel_pml4_phys());
}

uint64_t vm_kernel_pml4_phys(void)
{
    return (uint64_t)boot_pml4;
}
