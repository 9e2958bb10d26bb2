/* Kernel virtual memory: the direct map, MMIO mappings and kernel page tables. */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define VM_WRITE 1u    /* writable */
#define VM_EXEC 2u     /* executable (otherwise NX when the CPU supports it) */
#define VM_UNCACHED 4u /* strong uncached (MMIO) */

/*
 * Map a physical MMIO range uncached into kernel space and return its address
 * (RAM already in the direct map is returned through the direct map).
 * Returns NULL when the range cannot be mapped.
 */
void *vm_map_mmio(uint64_t phys, size_t size);

/* Map [virt, virt+size) to [phys, ...) in the kernel page tables. Returns 0 or -1. */
int vm_map_range(uint64_t virt, uint64_t phys, size_t size, unsigned flags);
/* Remove a mapping made by vm_map_range and flush this CPU's TLB for it. */
void vm_unmap_range(uint64_t virt, size_t size);

/* Per-CPU paging setup (EFER.NXE, PAT, CR3 = kernel tables). Every CPU calls it once. */
void vm_cpu_init(void);
/* Physical address of the kernel PML4 (always below 4 GiB, so 32-bit trampolines can load it). */
uint64_t vm_kernel_pml4_phys(void);
