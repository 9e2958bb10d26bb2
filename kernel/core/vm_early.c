/* Early MMIO access through the boot direct map (first 4 GiB). Replaced by real paging. */
#include <k/vm.h>
#include <arch/layout.h>

void *vm_map_mmio(uint64_t phys, size_t size)
{
    if (phys + size < phys || phys + size > (4ull << 30))
        return NULL;
    return phys_to_virt(phys);
}
