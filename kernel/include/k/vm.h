/*
 * Kernel virtual memory: the kernel page tables (shared by every CPU), the
 * direct map of physical memory at DIRECT_MAP_BASE, MMIO mappings and
 * page-granular mappings for special uses (the SMP trampoline). Layout in
 * docs/memory.md. All functions are SMP-safe (the VM lock, then the PMM lock).
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define VM_WRITE 1u    /* writable */
#define VM_EXEC 2u     /* executable (otherwise NX when the CPU supports it) */
#define VM_UNCACHED 4u /* strong uncached (MMIO) */

/* Start and size of the window vm_map_mmio maps into (PML4 slot 510). */
#define VM_MMIO_BASE 0xffffff0000000000ull
#define VM_MMIO_SIZE (512ull << 30)

/*
 * Build the kernel page tables from boot_info.mmap and switch this (the boot)
 * CPU to them with vm_cpu_init. Needs pmm_init first. Panics if the tables
 * cannot be built (out of memory this early is fatal).
 */
void vm_init(void);

/*
 * Map a physical MMIO range uncached into kernel space and return its address
 * (RAM already in the direct map is returned through the direct map; a range
 * inside one mapped before is returned through that mapping).
 * Returns NULL when the range cannot be mapped.
 */
void *vm_map_mmio(uint64_t phys, size_t size);

/*
 * Map [virt, virt+size) to [phys, ...) in the kernel page tables with 4 KiB
 * pages. All three must be page aligned, and nothing may be mapped there yet.
 * Returns 0, or -1 (nothing changed) for bad arguments, an existing mapping
 * or no memory for page tables.
 */
int vm_map_range(uint64_t virt, uint64_t phys, size_t size, unsigned flags);
/*
 * Remove a mapping made by vm_map_range and flush this CPU's TLB for it;
 * page tables left empty are freed. Unmapped pages in the range are skipped.
 */
void vm_unmap_range(uint64_t virt, size_t size);

/*
 * Look up virt in the kernel page tables. Returns 0 and sets *phys and
 * *flags (VM_WRITE, VM_EXEC, VM_UNCACHED as the entry grants them; VM_EXEC is
 * always set when the CPU has no NX), or -1 if virt is not mapped.
 */
int vm_query(uint64_t virt, uint64_t *phys, unsigned *flags);

/*
 * Per-CPU paging setup (EFER.NXE, PAT, CR0.WP, CR4.SMEP/SMAP when the CPU
 * has them, CR3 = kernel tables). Every
 * CPU calls it once; a trampoline that loads the kernel PML4 itself must set
 * EFER.NXE first when vm_nx_supported() says so.
 */
void vm_cpu_init(void);
/* Physical address of the kernel PML4 (always below 4 GiB, so 32-bit trampolines can load it). */
uint64_t vm_kernel_pml4_phys(void);
/* True if every CPU runs with SMAP / SMEP on (the CPU supports them). */
extern int vm_smap_on;
static inline int vm_smap_enabled(void)
{
    return vm_smap_on;
}
int vm_smep_enabled(void);
/* True if page tables use the NX bit (the CPU supports it). */
int vm_nx_supported(void);
