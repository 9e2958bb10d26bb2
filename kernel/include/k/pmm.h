/*
 * Physical memory manager: hands out page frames (4 KiB) and naturally
 * aligned blocks of 2^order frames from the usable RAM in the boot memory
 * map. Two zones: below 4 GiB (for 32-bit devices, trampolines and early page
 * tables) and above; ordinary requests use the upper zone first. Every
 * function is SMP-safe (one spinlock, taken with interrupts off) and never
 * panics on exhaustion: allocations return 0 instead. Physical address 0 is
 * never handed out (the first MiB is reserved).
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define PMM_MAX_ORDER 10 /* largest block: 4 MiB */

/* pmm_alloc flags */
#define PMM_LOW 0x1u  /* block must lie below 4 GiB */
#define PMM_ZERO 0x2u /* zero the block (through the direct map) */
/* Owner tag recorded on every frame of the block (1..255), for pmm_block_of. */
#define PMM_TAG(t) ((unsigned)(t) << 8)

/* Owner tags in use. */
#define PMM_TAG_HEAP_SLAB 1
#define PMM_TAG_HEAP_LARGE 2

/*
 * Build the allocator from boot_info.mmap. Call once on the boot CPU, before
 * the kernel page tables exist (it reaches its metadata through the boot
 * direct map of the first 4 GiB). Panics only if no memory is usable at all.
 */
void pmm_init(void);

/*
 * Allocate 2^order contiguous frames, aligned to their size. flags: PMM_LOW,
 * PMM_ZERO, PMM_TAG(t). Returns the physical address, or 0 if no block is
 * free. Takes the PMM lock.
 */
uint64_t pmm_alloc(unsigned order, unsigned flags);
/*
 * Free a block from pmm_alloc, with the same order. Freeing anything else
 * (double free, wrong order) is a kernel bug: it panics in debug builds and
 * is logged and ignored otherwise. Takes the PMM lock.
 */
void pmm_free(uint64_t phys, unsigned order);

/* One frame / 2^order frames; return 0 when exhausted. Take the PMM lock. */
uint64_t pmm_alloc_page(void);
void pmm_free_page(uint64_t phys);
uint64_t pmm_alloc_pages(unsigned order);
void pmm_free_pages(uint64_t phys, unsigned order);

/*
 * Find the allocated block holding phys (any frame of a tagged block, or the
 * first frame of an untagged one). Returns 0 and fills *head, *order, *tag
 * (each may be NULL), or -1 if phys is not in such a block. Takes no lock: the
 * answer is exact for a block the caller owns (nobody else changes an allocated
 * block's metadata), and for any other address a possibly stale snapshot, which
 * is what the heap's checks of kfree/slab_free pointers need (every kfree and
 * slab_free asks; a global lock there serialised all freeing).
 */
int pmm_block_of(uint64_t phys, uint64_t *head, unsigned *order, unsigned *tag);

/*
 * A 32-bit word of PMM metadata that the owner of an allocated frame may use
 * as it likes while the frame stays allocated (user memory keeps each frame's
 * share count there). The PMM overwrites it once the frame is freed.
 * Returns NULL if phys is outside the managed span. Lock-free: callers use
 * atomic operations on the word.
 */
uint32_t *pmm_frame_word(uint64_t phys);
/*
 * True if any frame of [phys, phys + size) is managed by the PMM (free or
 * allocated), i.e. is not firmware, kernel image, boot module or hole.
 * Lock-free (which frames are managed never changes after pmm_init).
 */
int pmm_manages(uint64_t phys, uint64_t size);

/*
 * Frames in allocated blocks by owner tag (0 untagged, then PMM_TAG_*; tags from
 * PMM_CENSUS_TAGS - 1 up counted together), for leak reports. Walks every frame without
 * the lock: exact only while nothing allocates or frees.
 */
#define PMM_CENSUS_TAGS 4
void pmm_census(uint64_t pages[PMM_CENSUS_TAGS]);
/* Free frames now / frames managed in total. Lock-free reads. */
uint64_t pmm_free_count(void);
uint64_t pmm_total_count(void);
/* Highest physical address (exclusive) of any usable RAM, for range checks. */
extern uint64_t pmm_limit;
static inline uint64_t pmm_phys_limit(void)
{
    return pmm_limit;
}
/* Bytes the memory map calls usable (before the kernel, metadata etc. are taken out). */
uint64_t pmm_usable_bytes(void);
