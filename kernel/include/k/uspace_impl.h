/*
 * User memory internals shared by kernel/core/{memobj,vm_space,vm_fault,
 * sys_memory}.c and their self tests: the layouts of memory objects, regions
 * and spaces, and the page-level operations on objects.
 *
 * Lock order (outermost first):
 *   space->lock      regions of one space; held across a whole fault (two spaces' locks
 *                    at once only in vm_copy's page_copy_two, lower address first)
 *   shadow->lock     private pages of a private mapping (only from faults)
 *   obj->lock        an object's pages, present count and mapping list (rmap)
 *   space->pt.lock   one space's page tables (leaf among these)
 *   PMM / heap locks
 * All are taken with vm_spin_lock (k/upt.h), so a CPU waiting for one keeps
 * serving TLB shootdowns. kobj_put is never called with any of them held.
 * A region's start, end, offset and rmap links change only with both its
 * space's lock and its object's lock held, so rmap walkers (which hold only
 * the object's lock) see them stable.
 */
#pragma once
#include <k/uspace.h>
#include <k/upt.h>
#include <k/radix.h>
#include <k/regions.h>

enum memobj_kind {
    MEMOBJ_ANON,   /* frames on demand, per-frame share counts, copy-on-write */
    MEMOBJ_CONTIG, /* one PMM block, allocated up front; never shared */
    MEMOBJ_PHYS,   /* a physical range; frames never owned or freed */
};

struct vm_region;

struct memobj {
    struct kobject kobj;
    struct spinlock lock;
    uint8_t kind;           /* enum memobj_kind */
    uint8_t cache;          /* SK_CACHE_* (PHYS; WRITEBACK otherwise) */
    uint8_t low;            /* ANON: frames below 4 GiB */
    uint8_t direct;         /* frames are RAM in the direct map (the kernel may copy them) */
    uint8_t resizable;      /* ANON made with SK_MEM_RESIZABLE: size changes (memobj_resize) */
    unsigned order;         /* CONTIG: block order */
    uint64_t size;          /* bytes, page multiple; changes only under lock (resizable) */
    uint64_t phys;          /* CONTIG, PHYS: first frame */
    struct radix pages;     /* ANON: frame of each present page (0 = not yet) */
    uint64_t present;       /* ANON: pages with a frame */
    struct vm_region *rmap; /* every region mapping this object */
    uint64_t trim;          /* a shadow (private pages of regions of obj): its pages at and
                               past this byte offset are stale (obj shrank below them), dropped
                               by the next fault; UINT64_MAX for none. Set under obj->lock,
                               applied under both locks (vm_fault.c) */
};

struct vm_region {
    struct region r;           /* [start, end); first, for the region set */
    uint64_t offset;           /* object offset mapped at r.start */
    struct memobj *obj;        /* reference */
    struct memobj *shadow;     /* SK_MAP_PRIVATE: private pages, indexed like obj (reference) */
    struct vm_space *space;
    unsigned prot, maxprot;    /* SK_PROT_* */
    struct vm_region *rnext, *rprev; /* obj->rmap, under obj->lock */
};

struct vm_space {
    struct kobject kobj;
    struct spinlock lock;
    struct region_set regions;
    struct upt pt;
    /* the last page vm_copy reached through the direct map (under lock; valid while pt.gen
       is copy_gen): its user address (copy_va, 1 for none), frame and UPT_* flags */
    uint64_t copy_gen, copy_va, copy_phys;
    unsigned copy_flags;
};

/* Where vm_space_map places a mapping given no usable hint. */
#define VM_MAP_BASE 0x100000000ull

/* Install the page-fault hook (usercopy.c). */
void usercopy_init(void);

/*
 * The frame of page idx of m; for ANON, with alloc, a zeroed frame is made
 * for an absent page. Returns SK_OK, SK_ERR_NOT_FOUND (absent, !alloc),
 * SK_ERR_OUT_OF_RANGE (idx at or past m's size) or SK_ERR_NO_MEMORY. Caller holds m->lock.
 */
sk_error_t memobj_page_locked(struct memobj *m, uint64_t idx, int alloc, uint64_t *phys);
/* True if frame phys of m is shared with another object (a write must copy). Caller holds m->lock. */
int memobj_frame_shared(struct memobj *m, uint64_t phys);
/*
 * Give page idx of ANON m a private copy of its shared frame: every mapping of
 * the page is removed (with TLB shootdown) and the old frame's share dropped.
 * Returns SK_OK and the new frame, or SK_ERR_NO_MEMORY. Caller holds m->lock.
 */
sk_error_t memobj_unshare_locked(struct memobj *m, uint64_t idx, uint64_t *phys);
/* Link / unlink r in r->obj's rmap. Caller holds r->obj->lock and the space's lock. */
void memobj_rmap_add(struct memobj *m, struct vm_region *r);
void memobj_rmap_del(struct memobj *m, struct vm_region *r);
/* A fresh frame (zeroed, or a copy of src's contents when src != 0) with share count 1; 0 without memory. */
uint64_t memobj_new_frame(uint64_t src, int low);
/* Insert frame phys as page idx of ANON m (absent now). SK_OK or SK_ERR_NO_MEMORY. Caller holds m->lock. */
sk_error_t memobj_insert_locked(struct memobj *m, uint64_t idx, uint64_t phys);
/* Drop ANON m's pages at and past byte offset from (no mapping may hold them: the caller
   cleared those). Caller holds m->lock. */
void memobj_drop_locked(struct memobj *m, uint64_t from);
/* Drop one share of an ANON frame, freeing it at zero. */
void memobj_frame_put(uint64_t phys);
/* UPT_* cache bits for mappings of m's own frames. */
unsigned memobj_cache_flags(const struct memobj *m);
