/*
 * Binary buddy allocator over page-frame numbers. The caller supplies the
 * metadata array (one struct buddy_page per frame of the managed span) and
 * hands in the usable frames with buddy_add_range; everything else in the
 * span stays reserved. Free lists are linked through the metadata, never
 * through the free pages themselves, so the allocator never touches the
 * memory it manages. Blocks are naturally aligned to their size in absolute
 * frame numbers (base_pfn must be aligned to the largest block).
 *
 * Allocated blocks can carry a one-byte owner tag; every frame of a tagged
 * block records the tag and its block head, so the owner of any address can
 * be found (the heap uses this to check kfree pointers).
 *
 * Pure code, no locking: the caller serialises. Unit-tested on the host.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define BUDDY_MAX_ORDER 10 /* largest block: 2^10 frames (4 MiB) */
#define BUDDY_ORDERS (BUDDY_MAX_ORDER + 1)
#define BUDDY_NONE UINT64_MAX
#define BUDDY_NIL UINT32_MAX

enum buddy_state {
    BUDDY_RESERVED = 0, /* not managed (hole, firmware, kernel image ...) */
    BUDDY_FREE_HEAD,    /* first frame of a free block; in a free list */
    BUDDY_ALLOC_HEAD,   /* first frame of an allocated block */
    BUDDY_TAIL,         /* any other frame of a free or allocated block */
};

struct buddy_page {
    uint32_t next;  /* free head: next in list; tagged tail: index of its head */
    union {
        uint32_t prev;  /* free head: previous in list */
        uint32_t owner; /* allocated frame: free for the owner's use (see pmm_frame_word) */
    };
    uint8_t state;  /* enum buddy_state */
    uint8_t order;  /* heads: block order */
    uint8_t tag;    /* allocated frames: owner tag (0 = untagged) */
    uint8_t pad;
};

struct buddy {
    struct buddy_page *pages;
    uint64_t base_pfn;
    uint64_t npages;
    uint32_t free_head[BUDDY_ORDERS];
    uint64_t free_blocks[BUDDY_ORDERS];
    uint64_t free_pages;
    uint64_t total_pages;
};

/* Bytes of metadata needed for a span of npages frames. */
static inline size_t buddy_meta_bytes(uint64_t npages)
{
    return (size_t)npages * sizeof(struct buddy_page);
}

/*
 * Set up an allocator for frames [base_pfn, base_pfn + npages), all reserved.
 * base_pfn must be a multiple of 2^BUDDY_MAX_ORDER and npages < 2^32.
 * Returns 0, or -1 for bad arguments.
 */
int buddy_init(struct buddy *b, struct buddy_page *meta, uint64_t base_pfn, uint64_t npages);
/*
 * Hand the reserved frames [pfn, pfn + count) to the allocator as free.
 * Returns 0, or -1 (nothing changed) if the range leaves the span or any
 * frame in it is already managed.
 */
int buddy_add_range(struct buddy *b, uint64_t pfn, uint64_t count);
/*
 * Allocate a naturally aligned block of 2^order frames, tagged with tag.
 * Returns its first frame number, or BUDDY_NONE when no block is free.
 */
uint64_t buddy_alloc(struct buddy *b, unsigned order, uint8_t tag);
/*
 * Free the block of 2^order frames at pfn, coalescing with free buddies.
 * Returns 0, or -1 (nothing changed) if pfn is not the head of an allocated
 * block of that order (double free, wrong order, foreign frame).
 */
int buddy_free(struct buddy *b, uint64_t pfn, unsigned order);
/*
 * Look up the allocated block containing pfn. For a tagged block any frame
 * works; for an untagged block only its head. Returns 0 and fills *head,
 * *order and *tag (any may be NULL), or -1 if pfn is not found that way.
 */
int buddy_block_of(const struct buddy *b, uint64_t pfn, uint64_t *head, unsigned *order,
                   uint8_t *tag);
/* True if pfn is in the span and handed to the allocator (free or allocated). */
static inline int buddy_managed(const struct buddy *b, uint64_t pfn)
{
    return pfn >= b->base_pfn && pfn - b->base_pfn < b->npages &&
           b->pages[pfn - b->base_pfn].state != BUDDY_RESERVED;
}
/* True if pfn lies in the span (managed or not). */
static inline int buddy_spans(const struct buddy *b, uint64_t pfn)
{
    return pfn >= b->base_pfn && pfn - b->base_pfn < b->npages;
}
