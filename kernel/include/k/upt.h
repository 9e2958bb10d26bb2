/*
 * User page tables: the architecture side of an address space (one PML4 per
 * space whose upper half is the kernel's), TLB shootdown to the CPUs that
 * have the space loaded, and the polling lock the user-memory code uses.
 * Implemented in kernel/arch/x86_64/upt.c. Only kernel/core/vm_*.c call it.
 *
 * Locks: struct upt.lock protects the page-table pages and entries of one
 * space. It is a leaf below the memory-object and space locks, above the PMM
 * lock. Leaf entries only ever point at frames owned by memory objects: the
 * page tables never own or free a mapped frame.
 */
#pragma once
#include <stdint.h>
#include <k/spinlock.h>
#include <k/smp.h>

struct upt {
    uint64_t pml4;          /* physical address */
    struct spinlock lock;
    volatile uint64_t cpus; /* bit i: CPU i has this PML4 in CR3 */
    volatile uint64_t gen;  /* changes whenever an entry may change (upt_map, upt_clear,
                               upt_restrict): what was read from the tables at one value
                               is still there while it has not moved */
};

/* Leaf flags for upt_map (readable and user-accessible always). */
#define UPT_WRITE 1u
#define UPT_EXEC 2u
#define UPT_WC 4u /* write-combining (PAT 1) */
#define UPT_UC 8u /* uncached (PAT 3) */

/*
 * Take a user-memory spinlock with interrupts off, serving cross-CPU calls
 * while waiting: a holder of these locks may be waiting for this CPU to
 * finish a TLB shootdown. Returns the saved flags for vm_spin_unlock.
 */
static inline uint64_t vm_spin_lock(struct spinlock *l)
{
    uint64_t f = irq_save();
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
        smp_call_poll();
        cpu_relax();
    }
    return f;
}

static inline void vm_spin_unlock(struct spinlock *l, uint64_t f)
{
    spin_unlock(l);
    irq_restore(f);
}

/* Allocate an empty PML4 sharing the kernel half. Returns 0, or -1 without memory. */
int upt_init(struct upt *pt);
/*
 * Free every lower-half page table and the PML4. The space must be loaded on
 * no CPU (pt->cpus == 0). Mapped frames are not touched.
 */
void upt_fini(struct upt *pt);
/*
 * Point the entry for user page va at phys with UPT_* flags, replacing what
 * was there; missing tables are allocated. Returns 0, or -1 when a table
 * cannot be allocated. Caller holds pt->lock and flushes if it replaced a
 * present entry with a more restrictive or different one.
 */
int upt_map(struct upt *pt, uint64_t va, uint64_t phys, unsigned flags);
/*
 * Read the entry for va: returns 0 and sets *phys and *flags (UPT_*), or -1
 * if not present. Caller holds pt->lock (tests may peek without it).
 */
int upt_query(struct upt *pt, uint64_t va, uint64_t *phys, unsigned *flags);
/*
 * Clear the present entries in [va, end). Returns how many were cleared.
 * Caller holds pt->lock, then calls upt_flush before anyone reuses the frames.
 */
uint64_t upt_clear(struct upt *pt, uint64_t va, uint64_t end);
/*
 * Remove write (unless keep has UPT_WRITE) and execute (unless UPT_EXEC)
 * permission from the present entries in [va, end). Returns how many
 * changed. Caller holds pt->lock, then calls upt_flush.
 */
uint64_t upt_restrict(struct upt *pt, uint64_t va, uint64_t end, unsigned keep);
/*
 * Flush [va, end) from the TLB of every CPU that has pt loaded, this one
 * included, and return when all have done so. May be called with interrupts
 * off and with user-memory locks held (waiters on those serve the request).
 * Never with other spinlocks held.
 */
void upt_flush(struct upt *pt, uint64_t va, uint64_t end);
/*
 * Load pt (NULL: the kernel tables) into CR3 on this CPU, in place of old
 * (NULL: the kernel tables), keeping the cpus masks right. Interrupts off.
 */
void upt_load(struct upt *pt, struct upt *old);
/* The physical range [phys, phys+size) is RAM of the direct map (1), no RAM (0), or both (-1). */
int upt_phys_is_ram(uint64_t phys, uint64_t size);
