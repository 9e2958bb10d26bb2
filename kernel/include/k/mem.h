/* Memory bring-up: the one call kmain makes for the physical allocator, page tables and heap. */
#pragma once

/*
 * On the boot CPU, after the boot information is parsed: pmm_init, vm_init
 * (switches to the kernel page tables), heap_init, and one log line with the
 * amount of free memory. Panics if memory cannot be set up at all.
 */
void mem_init(void);
