/*
 * User memory: memory objects, address spaces and the one door to user memory.
 * Memory objects and spaces are kernel objects (struct kobject first); the
 * create calls return them with one reference for the caller.
 *
 * Every function here may take user-memory spinlocks (k/uspace_impl.h has the
 * order) and may wait for other CPUs to flush their TLBs, so call them with
 * no spinlocks held, never from interrupt handlers (cross-CPU calls excepted,
 * as the self tests do). Errors are those listed for the system calls in
 * docs/abi.md; on an error nothing has changed.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <skoll/errors.h>
#include <skoll/syscalls.h>
#include <k/object.h>

struct memobj;
struct vm_space;

/* Install the page-fault hook (vector 14). Once, on the boot CPU, after heap_init. */
void uspace_init(void);
static inline struct kobject *memobj_kobj(struct memobj *m) { return (struct kobject *)m; }
static inline struct kobject *vm_space_kobj(struct vm_space *s) { return (struct kobject *)s; }

/*
 * Anonymous memory of size bytes (page multiple), SK_MEM_* flags; zero-filled
 * on demand (SK_MEM_CONTIGUOUS: one block now; SK_MEM_RESIZABLE: size may be 0
 * and changes with memobj_resize). SK_OK, SK_ERR_INVALID, SK_ERR_ALIGNMENT,
 * SK_ERR_TOO_BIG or SK_ERR_NO_MEMORY.
 */
sk_error_t memobj_create_anon(uint64_t size, unsigned flags, struct memobj **out);
/*
 * A physical range (page aligned) with an SK_CACHE_* mode; pages are never
 * freed. Refuses frames the PMM manages (SK_ERR_BUSY) and non-write-back
 * modes on RAM (SK_ERR_INVALID).
 */
sk_error_t memobj_create_phys(uint64_t phys, uint64_t size, unsigned cache, struct memobj **out);
/*
 * A copy-on-write copy of src: same contents now, independent afterwards.
 * Takes src's lock and makes its writable mappings read-only (with TLB
 * shootdown). SK_ERR_INVALID for physical objects, SK_ERR_NO_MEMORY.
 */
sk_error_t memobj_fork(struct memobj *src, struct memobj **out);
/* Size in bytes (no lock: a resizable object's may change right after). */
uint64_t memobj_size(const struct memobj *m);
/*
 * Change a resizable object's size (page multiple, at most SK_MEM_MAX_SIZE). Growing adds
 * zero pages; shrinking takes the pages at and past the new size out of every mapping (with
 * TLB shootdown), frees them, and drops what private mappings had copied of them. Mappings
 * stay: their pages past the size fault. SK_OK, SK_ERR_INVALID (not resizable),
 * SK_ERR_ALIGNMENT, SK_ERR_TOO_BIG or SK_ERR_NO_MEMORY (growing; nothing changed).
 */
sk_error_t memobj_resize(struct memobj *m, uint64_t size);
/* How far mappings of m may reach: its size, or SK_MEM_MAX_SIZE if resizable. */
uint64_t memobj_map_limit(const struct memobj *m);
/* First frame of a contiguous object (the kernel reaches it through the direct map), else 0. */
uint64_t memobj_contig_phys(const struct memobj *m);
/* Pages of an anonymous object that have a frame now (0 for physical ones); for tests. */
uint64_t memobj_pages_present(struct memobj *m);

/* A new empty address space (user half empty, kernel half shared). SK_OK or SK_ERR_NO_MEMORY. */
sk_error_t vm_space_create(struct vm_space **out);
/*
 * Make s the current CPU's address space (loads CR3); NULL for the kernel's
 * own tables. Takes no lock; the caller keeps a reference to s while it is
 * loaded (a destroyed space is first unloaded from every CPU still holding it).
 */
void vm_space_activate(struct vm_space *s);
/*
 * Map len bytes of m from offset at *addr (SK_MAP_FIXED: exactly there, which
 * must be free, else SK_ERR_BUSY; otherwise *addr is a hint) and return the
 * address in *addr. prot: SK_PROT_* | SK_MAP_*. Pages are entered on first
 * fault. Takes s's lock, then m's. The mapping holds a reference to m.
 */
sk_error_t vm_space_map(struct vm_space *s, struct memobj *m, uint64_t offset, uint64_t *addr,
                        uint64_t len, unsigned prot);
/*
 * vm_space_map with a ceiling: maxprot (SK_PROT_*) is the most that
 * vm_space_protect may later grant on this mapping (the rights of the handle
 * it was mapped through). prot beyond maxprot gives SK_ERR_NO_RIGHTS.
 */
sk_error_t vm_space_map_max(struct vm_space *s, struct memobj *m, uint64_t offset,
                            uint64_t *addr, uint64_t len, unsigned prot, unsigned maxprot);
/*
 * Remove the mappings in [addr, addr+len), cutting those that cross its ends;
 * on return no CPU can reach those pages. Nothing mapped there is fine.
 * Takes s's lock, then the objects' locks. SK_OK, SK_ERR_INVALID,
 * SK_ERR_ALIGNMENT, SK_ERR_OUT_OF_RANGE or SK_ERR_NO_MEMORY.
 */
sk_error_t vm_space_unmap(struct vm_space *s, uint64_t addr, uint64_t len);
/*
 * Set SK_PROT_* prot on [addr, addr+len), which must be mapped entirely
 * (SK_ERR_NOT_FOUND) within each mapping's maxprot (SK_ERR_NO_RIGHTS).
 * Narrowing takes effect on every CPU before return. Takes s's lock.
 */
sk_error_t vm_space_protect(struct vm_space *s, uint64_t addr, uint64_t len, unsigned prot);
/*
 * Resolve a fault at addr (error code as pushed by the CPU) in s: demand-zero,
 * copy-on-write. Returns SK_OK if the access may be retried, SK_ERR_FAULT if it
 * is a real fault. Called from the page-fault handler with interrupts enabled.
 */
sk_error_t vm_space_fault(struct vm_space *s, uint64_t addr, uint64_t error);
/*
 * The (memory object, offset) behind user address uaddr in s, for futex keys;
 * returns a new reference to the object. SK_ERR_FAULT if unmapped.
 */
sk_error_t vm_space_resolve(struct vm_space *s, uint64_t uaddr, struct memobj **m, uint64_t *off);

/* Number of mappings (regions) in s; for tests. Takes s's lock. */
uint64_t vm_space_region_count(struct vm_space *s);
/*
 * The page-table entry for va in s: returns 0 and the frame and UPT_* flags
 * (k/upt.h), or -1 if nothing is mapped there now; for tests.
 */
int vm_space_query(struct vm_space *s, uint64_t va, uint64_t *phys, unsigned *flags);

/*
 * The one door to user memory of the current address space: copy n bytes.
 * SK_OK, or SK_ERR_FAULT for a range that is not user memory or a page that
 * cannot be made present with the needed access (part may have been copied).
 * May fault pages in (taking the space's locks); call with no spinlocks held.
 */
sk_error_t copy_from_user(void *dst, uint64_t usrc, size_t n);
sk_error_t copy_to_user(uint64_t udst, const void *src, size_t n);
/*
 * The same for the user memory of any space s (the current one or not; the
 * caller holds a reference to s). Same errors. Thread context, no spinlocks.
 */
sk_error_t vm_copy_out(struct vm_space *s, uint64_t udst, const void *src, size_t n);
sk_error_t vm_copy_in(struct vm_space *s, void *dst, uint64_t usrc, size_t n);
/* Many small copies into s at once (an IPC chain's messages): p[i].err is what vm_copy_out
   of that piece would return. Pieces in mapped RAM pages share one hold of s's lock. */
struct vm_piece {
    uint64_t udst;
    const void *src;
    uint32_t len;
    sk_error_t err;
};
void vm_copy_out_pieces(struct vm_space *s, struct vm_piece *p, unsigned n);
/* Copy n bytes from src's user memory at saddr to dst's at daddr; *done = bytes copied.
   SK_OK, SK_ERR_FAULT (either side) or SK_ERR_NO_MEMORY. */
sk_error_t vm_copy_between(struct vm_space *dst, uint64_t daddr, struct vm_space *src,
                           uint64_t saddr, uint64_t n, uint64_t *done);
