/* Memory bring-up order: physical allocator, kernel page tables, heap. */
#include <k/mem.h>
#include <k/pmm.h>
#include <k/vm.h>
#include <k/heap.h>
#include <k/log.h>
#include <k/uspace.h>

void mem_init(void)
{
    pmm_init();
    vm_init();
    heap_init();
    uspace_init();
    log_info("memory: %lu MiB free of %lu MiB usable (%lu KiB kept by the kernel)",
             pmm_free_count() >> (20 - PAGE_SHIFT), pmm_usable_bytes() >> 20,
             (pmm_usable_bytes() >> 10) - (pmm_free_count() << (PAGE_SHIFT - 10)));
}
