/*
 * Page faults in user address spaces: demand paging and copy-on-write.
 *
 * Shared mapping: the object's page (made on first touch for anonymous
 * memory) is entered; when its frame is shared with a fork, it is entered
 * read-only, and a write first gives the object its own copy
 * (memobj_unshare_locked, which removes every other mapping of the page).
 *
 * Private mapping (SK_MAP_PRIVATE): the region's shadow object holds the
 * pages written through it. A read enters the shadow's page if there is one,
 * else the object's page read-only; a write copies the object's page (or
 * zero-fills, if the anonymous object has none yet) into the shadow.
 *
 * A resizable object's mappings may reach past its size: a fault there is not resolved
 * (SK_ERR_FAULT, as for an unmapped address). When it shrinks (memobj_resize), the shadows
 * of its private mappings are marked (trim) and drop their stale copies at their next fault.
 *
 * The whole fault runs under the space's lock, so faults in one space are
 * serialised; faults in different spaces on one object serialise on the
 * object's lock, which also keeps a fork from sharing a frame halfway
 * through. Lock order: see k/uspace_impl.h.
 */
#include <k/uspace_impl.h>
#include <k/pmm.h>

#define PF_WRITE (1u << 1)
#define PF_RSVD (1u << 3)
#define PF_FETCH (1u << 4)

/* Enter va -> phys in s; flush when an entry for another frame was there. Caller holds s->lock. */
static sk_error_t enter(struct vm_space *s, uint64_t va, uint64_t phys, unsigned flags)
{
    uint64_t old;
    unsigned oflags;
    uint64_t f = vm_spin_lock(&s->pt.lock);
    int had = upt_query(&s->pt, va, &old, &oflags) == 0;
    int rc = upt_map(&s->pt, va, phys, flags);
    vm_spin_unlock(&s->pt.lock, f);
    if (rc != 0)
        return SK_ERR_NO_MEMORY;
    if (had && (old != phys || (oflags & ~flags)))
        upt_flush(&s->pt, va, va + PAGE_SIZE);
    return SK_OK;
}

static sk_error_t fault_shared(struct vm_space *s, struct vm_region *r, uint64_t va,
                               uint64_t idx, int write, unsigned flags)
{
    struct memobj *m = r->obj;
    uint64_t phys;
    uint64_t f = vm_spin_lock(&m->lock);
    sk_error_t e = memobj_page_locked(m, idx, 1, &phys);
    if (e == SK_OK && (flags & UPT_WRITE) && memobj_frame_shared(m, phys)) {
        if (write)
            e = memobj_unshare_locked(m, idx, &phys);
        else
            flags &= ~UPT_WRITE; /* the first write will copy */
    }
    if (e == SK_OK)
        e = enter(s, va, phys, flags | memobj_cache_flags(m));
    vm_spin_unlock(&m->lock, f);
    return e;
}

static sk_error_t fault_private(struct vm_space *s, struct vm_region *r, uint64_t va,
                                uint64_t idx, int write, unsigned flags)
{
    struct memobj *sh = r->shadow, *m = r->obj;
    uint64_t f = vm_spin_lock(&sh->lock);
    uint64_t of = vm_spin_lock(&m->lock);
    if (sh->trim != UINT64_MAX) { /* m shrank: the copies past its end then are stale */
        memobj_drop_locked(sh, sh->trim);
        sh->trim = UINT64_MAX;
    }
    uint64_t phys;
    sk_error_t e = SK_ERR_OUT_OF_RANGE;
    if (idx >= m->size / PAGE_SIZE)
        goto out; /* past the end of a resizable object */
    e = memobj_page_locked(sh, idx, 0, &phys);
    if (e == SK_OK) {
        e = enter(s, va, phys, flags); /* a private page: never shared */
        goto out;
    }
    if (write) {
        e = memobj_page_locked(m, idx, 0, &phys);
        if (e == SK_ERR_NOT_FOUND) { /* anonymous, never touched: zeros */
            phys = 0;
            e = SK_OK;
        }
        uint64_t copy = 0;
        if (e == SK_OK && !(copy = memobj_new_frame(phys, 0)))
            e = SK_ERR_NO_MEMORY;
        if (e == SK_OK && (e = memobj_insert_locked(sh, idx, copy)) != SK_OK)
            memobj_frame_put(copy);
        if (e == SK_OK)
            e = enter(s, va, copy, flags);
    } else {
        e = memobj_page_locked(m, idx, 1, &phys);
        if (e == SK_OK)
            e = enter(s, va, phys, (flags & ~UPT_WRITE) | memobj_cache_flags(m));
    }
out:
    vm_spin_unlock(&m->lock, of);
    vm_spin_unlock(&sh->lock, f);
    return e;
}

sk_error_t vm_space_fault(struct vm_space *s, uint64_t addr, uint64_t error)
{
    if (error & PF_RSVD)
        return SK_ERR_FAULT; /* a corrupt entry: nothing to resolve */
    int write = (error & PF_WRITE) != 0, fetch = (error & PF_FETCH) != 0;
    uint64_t va = addr & ~(PAGE_SIZE - 1);
    sk_error_t e = SK_ERR_FAULT;
    uint64_t f = vm_spin_lock(&s->lock);
    struct vm_region *r = (struct vm_region *)regions_find(&s->regions, addr);
    if (r && (r->prot & SK_PROT_READ) && (!write || (r->prot & SK_PROT_WRITE)) &&
        (!fetch || (r->prot & SK_PROT_EXEC))) {
        uint64_t idx = (r->offset + (va - r->r.start)) / PAGE_SIZE;
        unsigned flags = ((r->prot & SK_PROT_WRITE) ? UPT_WRITE : 0) |
                         ((r->prot & SK_PROT_EXEC) ? UPT_EXEC : 0);
        e = r->shadow ? fault_private(s, r, va, idx, write, flags)
                      : fault_shared(s, r, va, idx, write, flags);
        if (e == SK_ERR_OUT_OF_RANGE)
            e = SK_ERR_FAULT; /* past a resizable object's end: nothing there */
    }
    vm_spin_unlock(&s->lock, f);
    return e;
}
