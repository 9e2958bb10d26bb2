/*
 * Internals shared by the x86-64 paging files (paging.c, kernel_tables.c,
 * mmio.c). Not for use outside arch/x86_64: everyone else goes through k/vm.h.
 */
#pragma once
#include <stdint.h>
#include <k/spinlock.h>
#include <k/rangeset.h>

/* Protects the kernel page tables and the MMIO window. Taken before the PMM lock. */
extern struct spinlock vm_lock;
/* Physical ranges of RAM types (usable, ACPI), direct-mapped write-back. */
extern struct rangeset vm_ram;
/* Physical address of the kernel PML4. */
extern uint64_t vm_pml4;

/* Leaf entry bits for VM_* flags (large: 2 MiB page). */
uint64_t paging_leaf_bits(unsigned flags, int large);
/*
 * Map [virt, virt+size) to phys with the given leaf bits, using 2 MiB pages
 * where allow_large and both addresses are aligned. Pages already mapped are
 * left alone. Returns 0 or -1 when a page table cannot be allocated (the
 * pages mapped so far stay). Caller holds vm_lock or is the only CPU.
 */
int paging_map(uint64_t virt, uint64_t phys, uint64_t size, uint64_t bits, int allow_large);
/* True if any page of [virt, virt+size) is mapped. Caller holds vm_lock. */
int paging_any_mapped(uint64_t virt, uint64_t size);
/* Unmap the 4 KiB pages of [virt, virt+size), flush them here, free empty tables. Caller holds vm_lock. */
void paging_unmap(uint64_t virt, uint64_t size);
/* Set once the kernel tables are live: page tables may then come from any zone. */
void paging_set_live(void);
/* Probe NX and PAT support (boot CPU, before building tables). */
void paging_detect(void);
