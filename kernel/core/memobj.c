/*
 * Memory objects: anonymous memory (frames on first touch, zero-filled),
 * physically contiguous blocks, physical ranges with a caching mode, and
 * copy-on-write forks. An anonymous object's frames carry a share count in
 * the PMM's per-frame word (pmm_frame_word): a fork shares every present
 * frame, and a write through either side copies the frame first
 * (memobj_unshare_locked). A frame is freed when its last sharer lets go.
 * Lock order: see k/uspace_impl.h.
 */
#include <k/uspace_impl.h>
#include <k/pmm.h>
#include <k/heap.h>
#include <k/panic.h>
#include <base/string.h>
#include <arch/layout.h>

static uint32_t *share_word(uint64_t phys)
{
    uint32_t *w = pmm_frame_word(phys);
    kassert(w != NULL);
    return w;
}

static void frame_get(uint64_t phys)
{
    __atomic_fetch_add(share_word(phys), 1, __ATOMIC_RELAXED);
}

void memobj_frame_put(uint64_t phys)
{
    if (__atomic_fetch_sub(share_word(phys), 1, __ATOMIC_ACQ_REL) == 1)
        pmm_free_page(phys);
}

uint64_t memobj_new_frame(uint64_t src, int low)
{
    uint64_t p = pmm_alloc(0, (src ? 0 : PMM_ZERO) | (low ? PMM_LOW : 0));
    if (!p)
        return 0;
    if (src)
        memcpy(phys_to_virt(p), phys_to_virt(src), PAGE_SIZE);
    __atomic_store_n(share_word(p), 1, __ATOMIC_RELEASE);
    return p;
}

static void *node_alloc(void *ctx)
{
    (void)ctx;
    uint64_t p = pmm_alloc(0, PMM_ZERO);
    return p ? phys_to_virt(p) : NULL;
}

static void node_free(void *node, void *ctx)
{
    (void)ctx;
    pmm_free_page(virt_to_phys(node));
}

static int put_page(uint64_t i, uint64_t *slot, void *ctx)
{
    (void)i, (void)ctx;
    memobj_frame_put(*slot);
    return 0;
}

static void memobj_destroy(struct kobject *o)
{
    struct memobj *m = (struct memobj *)o;
    kassert(m->rmap == NULL); /* every mapping holds a reference */
    if (m->kind == MEMOBJ_ANON) {
        radix_walk(&m->pages, put_page, NULL);
        radix_destroy(&m->pages, node_free, NULL);
    } else if (m->kind == MEMOBJ_CONTIG) {
        pmm_free(m->phys, m->order);
    }
    kfree(m);
}

static struct memobj *memobj_new(unsigned kind, uint64_t size)
{
    struct memobj *m = kzalloc(sizeof *m);
    if (!m)
        return NULL;
    kobj_init(&m->kobj, SK_OBJ_MEMORY, memobj_destroy);
    m->lock = (struct spinlock)SPINLOCK_INIT;
    m->kind = (uint8_t)kind;
    m->size = size;
    m->cache = SK_CACHE_WRITEBACK;
    m->direct = 1;
    m->trim = UINT64_MAX;
    radix_init(&m->pages, size / PAGE_SIZE);
    return m;
}

sk_error_t memobj_create_anon(uint64_t size, unsigned flags, struct memobj **out)
{
    if (flags & ~(SK_MEM_CONTIGUOUS | SK_MEM_BELOW_4G | SK_MEM_RESIZABLE))
        return SK_ERR_INVALID;
    if ((flags & SK_MEM_CONTIGUOUS) && (flags & SK_MEM_RESIZABLE))
        return SK_ERR_INVALID; /* a block cannot grow where it is */
    if (size == 0 && !(flags & SK_MEM_RESIZABLE))
        return SK_ERR_INVALID;
    if (size & (PAGE_SIZE - 1))
        return SK_ERR_ALIGNMENT;
    if (size > SK_MEM_MAX_SIZE)
        return SK_ERR_TOO_BIG;
    unsigned order = 0;
    if (flags & SK_MEM_CONTIGUOUS) {
        while (order < PMM_MAX_ORDER && (PAGE_SIZE << order) < size)
            order++;
        if ((PAGE_SIZE << order) < size)
            return SK_ERR_TOO_BIG;
    }
    struct memobj *m = memobj_new((flags & SK_MEM_CONTIGUOUS) ? MEMOBJ_CONTIG : MEMOBJ_ANON, size);
    if (!m)
        return SK_ERR_NO_MEMORY;
    m->low = (flags & SK_MEM_BELOW_4G) != 0;
    m->resizable = (flags & SK_MEM_RESIZABLE) != 0;
    if (flags & SK_MEM_CONTIGUOUS) {
        m->order = order;
        m->phys = pmm_alloc(order, PMM_ZERO | (m->low ? PMM_LOW : 0));
        if (!m->phys) {
            kfree(m);
            return SK_ERR_NO_MEMORY;
        }
    }
    *out = m;
    return SK_OK;
}

sk_error_t memobj_create_phys(uint64_t phys, uint64_t size, unsigned cache, struct memobj **out)
{
    if (cache > SK_CACHE_WRITECOMBINE || size == 0)
        return SK_ERR_INVALID;
    if ((phys | size) & (PAGE_SIZE - 1))
        return SK_ERR_ALIGNMENT;
    if (phys + size < phys || phys + size > (1ull << 52) || size > SK_MEM_MAX_SIZE)
        return SK_ERR_OUT_OF_RANGE;
    if (pmm_manages(phys, size))
        return SK_ERR_BUSY; /* the allocator's RAM: handing it out would corrupt the kernel */
    int ram = upt_phys_is_ram(phys, size);
    /* RAM is mapped write-back in the direct map; another type for it would alias. */
    if (ram < 0 || (ram && cache != SK_CACHE_WRITEBACK))
        return SK_ERR_INVALID;
    struct memobj *m = memobj_new(MEMOBJ_PHYS, size);
    if (!m)
        return SK_ERR_NO_MEMORY;
    m->phys = phys;
    m->cache = (uint8_t)cache;
    m->direct = ram == 1;
    *out = m;
    return SK_OK;
}

uint64_t memobj_size(const struct memobj *m)
{
    return __atomic_load_n(&m->size, __ATOMIC_RELAXED);
}

uint64_t memobj_map_limit(const struct memobj *m)
{
    return m->resizable ? SK_MEM_MAX_SIZE : m->size;
}

uint64_t memobj_pages_present(struct memobj *m)
{
    return __atomic_load_n(&m->present, __ATOMIC_RELAXED);
}

unsigned memobj_cache_flags(const struct memobj *m)
{
    if (m->kind != MEMOBJ_PHYS || m->cache == SK_CACHE_WRITEBACK)
        return 0;
    return m->cache == SK_CACHE_UNCACHED ? UPT_UC : UPT_WC;
}

sk_error_t memobj_insert_locked(struct memobj *m, uint64_t idx, uint64_t phys)
{
    if (idx >= m->size / PAGE_SIZE)
        return SK_ERR_OUT_OF_RANGE;
    uint64_t *slot = radix_slot(&m->pages, idx, node_alloc, NULL);
    if (!slot)
        return SK_ERR_NO_MEMORY;
    *slot = phys;
    m->present++;
    return SK_OK;
}

sk_error_t memobj_page_locked(struct memobj *m, uint64_t idx, int alloc, uint64_t *phys)
{
    if (m->kind != MEMOBJ_ANON) {
        *phys = m->phys + idx * PAGE_SIZE;
        return SK_OK;
    }
    if (idx >= m->size / PAGE_SIZE)
        return SK_ERR_OUT_OF_RANGE; /* (a resizable object's mappings reach past its size) */
    uint64_t *slot = radix_slot(&m->pages, idx, alloc ? node_alloc : NULL, NULL);
    if (slot && *slot) {
        *phys = *slot;
        return SK_OK;
    }
    if (!alloc)
        return SK_ERR_NOT_FOUND;
    if (!slot)
        return SK_ERR_NO_MEMORY;
    uint64_t p = memobj_new_frame(0, m->low);
    if (!p)
        return SK_ERR_NO_MEMORY;
    *slot = p;
    m->present++;
    *phys = p;
    return SK_OK;
}

int memobj_frame_shared(struct memobj *m, uint64_t phys)
{
    return m->kind == MEMOBJ_ANON && __atomic_load_n(share_word(phys), __ATOMIC_ACQUIRE) > 1;
}

void memobj_rmap_add(struct memobj *m, struct vm_region *r)
{
    r->rprev = NULL;
    r->rnext = m->rmap;
    if (m->rmap)
        m->rmap->rprev = r;
    m->rmap = r;
}

void memobj_rmap_del(struct memobj *m, struct vm_region *r)
{
    if (r->rprev)
        r->rprev->rnext = r->rnext;
    else
        m->rmap = r->rnext;
    if (r->rnext)
        r->rnext->rprev = r->rprev;
    r->rnext = r->rprev = NULL;
}

/* Remove every mapping of page idx of m (all spaces), with TLB shootdown. Caller holds m->lock. */
static void zap_page(struct memobj *m, uint64_t idx)
{
    uint64_t off = idx * PAGE_SIZE;
    for (struct vm_region *r = m->rmap; r; r = r->rnext) {
        if (off < r->offset || off - r->offset >= r->r.end - r->r.start)
            continue;
        uint64_t va = r->r.start + (off - r->offset);
        struct upt *pt = &r->space->pt;
        uint64_t f = vm_spin_lock(&pt->lock);
        uint64_t n = upt_clear(pt, va, va + PAGE_SIZE);
        vm_spin_unlock(&pt->lock, f);
        if (n)
            upt_flush(pt, va, va + PAGE_SIZE);
    }
}

/* Clear every mapping of m's object range [from, to) (all spaces), with TLB shootdown; mark
   private mappings' copies there stale (vm_region.trim). Caller holds m->lock. */
static void zap_range(struct memobj *m, uint64_t from, uint64_t to)
{
    for (struct vm_region *r = m->rmap; r; r = r->rnext) {
        uint64_t len = r->r.end - r->r.start;
        uint64_t lo = from > r->offset ? from : r->offset;
        uint64_t hi = to < r->offset + len ? to : r->offset + len;
        if (r->shadow && lo < r->offset + len && from < r->shadow->trim)
            r->shadow->trim = from;
        if (lo >= hi)
            continue;
        uint64_t va = r->r.start + (lo - r->offset), end = va + (hi - lo);
        struct upt *pt = &r->space->pt;
        uint64_t f = vm_spin_lock(&pt->lock);
        uint64_t n = upt_clear(pt, va, end);
        vm_spin_unlock(&pt->lock, f);
        if (n)
            upt_flush(pt, va, end);
    }
}

struct drop_ctx {
    struct memobj *m;
    uint64_t first; /* page index */
};

static int drop_from(uint64_t i, uint64_t *slot, void *arg)
{
    struct drop_ctx *c = arg;
    struct memobj *m = c->m;
    if (i >= c->first) {
        memobj_frame_put(*slot);
        *slot = 0;
        m->present--;
    }
    return 0;
}

void memobj_drop_locked(struct memobj *m, uint64_t from)
{
    struct drop_ctx c = {m, (from + PAGE_SIZE - 1) / PAGE_SIZE};
    radix_walk(&m->pages, drop_from, &c);
}

sk_error_t memobj_resize(struct memobj *m, uint64_t size)
{
    if (!m->resizable)
        return SK_ERR_INVALID;
    if (size & (PAGE_SIZE - 1))
        return SK_ERR_ALIGNMENT;
    if (size > SK_MEM_MAX_SIZE)
        return SK_ERR_TOO_BIG;
    sk_error_t e = SK_OK;
    uint64_t f = vm_spin_lock(&m->lock);
    uint64_t old = m->size;
    if (size > old) {
        if (radix_grow(&m->pages, size / PAGE_SIZE, node_alloc, NULL) != 0)
            e = SK_ERR_NO_MEMORY;
        else
            __atomic_store_n(&m->size, size, __ATOMIC_RELAXED);
    } else if (size < old) {
        /* faults look at the size under this lock: none enters a page past it from now on */
        __atomic_store_n(&m->size, size, __ATOMIC_RELAXED);
        zap_range(m, size, old);
        memobj_drop_locked(m, size);
    }
    vm_spin_unlock(&m->lock, f);
    return e;
}

sk_error_t memobj_unshare_locked(struct memobj *m, uint64_t idx, uint64_t *phys)
{
    uint64_t *slot = radix_slot(&m->pages, idx, NULL, NULL);
    kassert(slot && *slot);
    uint64_t old = *slot;
    /* Shared frames have no writable mapping anywhere, so the copy is stable. */
    uint64_t p = memobj_new_frame(old, m->low);
    if (!p)
        return SK_ERR_NO_MEMORY;
    *slot = p;
    zap_page(m, idx);
    memobj_frame_put(old);
    *phys = p;
    return SK_OK;
}

struct fork_ctx {
    struct memobj *dst;
    sk_error_t err;
};

static int share_page(uint64_t i, uint64_t *slot, void *arg)
{
    struct fork_ctx *c = arg;
    if (memobj_insert_locked(c->dst, i, *slot) != SK_OK) {
        c->err = SK_ERR_NO_MEMORY;
        return 1;
    }
    frame_get(*slot);
    return 0;
}

/* Copy a contiguous object page by page into anonymous dst (nobody else sees dst yet). */
static sk_error_t fork_copy(struct memobj *src, struct memobj *dst)
{
    for (uint64_t i = 0; i < src->size / PAGE_SIZE; i++) {
        uint64_t p = memobj_new_frame(src->phys + i * PAGE_SIZE, 0);
        if (!p)
            return SK_ERR_NO_MEMORY;
        if (memobj_insert_locked(dst, i, p) != SK_OK) {
            memobj_frame_put(p);
            return SK_ERR_NO_MEMORY;
        }
    }
    return SK_OK;
}

sk_error_t memobj_fork(struct memobj *src, struct memobj **out)
{
    if (src->kind == MEMOBJ_PHYS)
        return SK_ERR_INVALID;
    struct memobj *dst = memobj_new(MEMOBJ_ANON, src->size);
    if (!dst)
        return SK_ERR_NO_MEMORY;
    dst->low = src->low;
    dst->resizable = src->resizable;
    sk_error_t err;
    if (src->kind == MEMOBJ_CONTIG) {
        /* Its frames must stay where they are (devices may hold their addresses),
           so a write could not move them: copy now instead of sharing. */
        err = fork_copy(src, dst);
    } else {
        struct fork_ctx c = {dst, SK_OK};
        uint64_t f = vm_spin_lock(&src->lock);
        if (src->size > dst->size) { /* (a resizable src grew since dst was made) */
            if (radix_grow(&dst->pages, src->size / PAGE_SIZE, node_alloc, NULL) == 0)
                dst->size = src->size;
            else
                c.err = SK_ERR_NO_MEMORY;
        }
        if (c.err == SK_OK)
            radix_walk(&src->pages, share_page, &c);
        err = c.err;
        if (err == SK_OK) {
            /* From now on a write through any mapping of src must copy: make every
               entry read-only before anyone can write a shared frame. */
            for (struct vm_region *r = src->rmap; r; r = r->rnext) {
                if (r->shadow)
                    continue; /* private mappings map src's frames read-only already */
                struct upt *pt = &r->space->pt;
                uint64_t pf = vm_spin_lock(&pt->lock);
                uint64_t n = upt_restrict(pt, r->r.start, r->r.end, UPT_EXEC);
                vm_spin_unlock(&pt->lock, pf);
                if (n)
                    upt_flush(pt, r->r.start, r->r.end);
            }
        }
        vm_spin_unlock(&src->lock, f);
    }
    if (err != SK_OK) {
        kobj_put(&dst->kobj);
        return err;
    }
    *out = dst;
    return SK_OK;
}

void uspace_init(void)
{
    usercopy_init();
}

uint64_t memobj_contig_phys(const struct memobj *m)
{
    return m->kind == MEMOBJ_CONTIG ? m->phys : 0;
}
