/* Kernel virtual memory: the direct map, MMIO mappings and kernel page tables. */
#pragma once
#include <stdint.h>
#include <stddef.h>

/*
 * Map a physical MMIO range uncached into kernel space and return its address.
 * Returns NULL when the range cannot be mapped.
 */
void *vm_map_mmio(uint64_t phys, size_t size);
