/*
 * Address spaces: a set of regions (sorted array, k/regions.h), each mapping
 * part of a memory object with a protection, shared or private
 * (copy-on-write), over page tables of its own (k/upt.h). Mapping only
 * records the region; pages are entered on first fault (vm_fault.c).
 * Unmap and protect split regions at the range ends and shoot down the TLB
 * of every CPU that has the space loaded. Every call checks all of its
 * arguments and reserves all the memory it may need before changing
 * anything. Lock order: see k/uspace_impl.h.
 */
#include <k/uspace_impl.h>
#include <k/urange.h>
#include <k/heap.h>
#include <k/percpu.h>
#include <k/smp.h>
#include <k/pmm.h>
#include <arch/cpu.h>

static void leave_space(void *arg)
{
    struct cpu *c = this_cpu();
    if (c->space == arg || c->lazy_space == arg)
        vm_space_activate(NULL);
}

/* Drop a removed region's references and free it. No locks held. */
static void region_free(struct vm_region *r)
{
    kobj_put(&r->obj->kobj);
    if (r->shadow)
        kobj_put(&r->shadow->kobj);
    kfree(r);
}

static void vm_space_destroy(struct kobject *o)
{
    struct vm_space *s = (struct vm_space *)o;
    /* Nobody uses s any more, but CPUs may still have it in CR3. */
    uint64_t mask = __atomic_load_n(&s->pt.cpus, __ATOMIC_ACQUIRE);
    for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
        if (mask & (1ull << cpu))
            smp_call(cpu, leave_space, s, 1);
    for (size_t i = 0; i < s->regions.n; i++) {
        struct vm_region *r = (struct vm_region *)s->regions.v[i];
        uint64_t f = vm_spin_lock(&r->obj->lock);
        memobj_rmap_del(r->obj, r);
        vm_spin_unlock(&r->obj->lock, f);
        region_free(r);
    }
    regions_release(&s->regions, kfree);
    upt_fini(&s->pt);
    kfree(s);
}

sk_error_t vm_space_create(struct vm_space **out)
{
    struct vm_space *s = kzalloc(sizeof *s);
    if (!s)
        return SK_ERR_NO_MEMORY;
    if (upt_init(&s->pt) != 0) {
        kfree(s);
        return SK_ERR_NO_MEMORY;
    }
    kobj_init(&s->kobj, SK_OBJ_SPACE, vm_space_destroy);
    s->lock = (struct spinlock)SPINLOCK_INIT;
    regions_init(&s->regions);
    s->copy_va = 1;
    *out = s;
    return SK_OK;
}

void vm_space_activate(struct vm_space *s)
{
    uint64_t f = irq_save();
    struct cpu *c = this_cpu();
    struct vm_space *old = c->space ? c->space : c->lazy_space; /* the tables in CR3 */
    if (old != s || c->space != s) {
        if (old != s)
            upt_load(s ? &s->pt : NULL, old ? &old->pt : NULL);
        c->space = s;
        c->lazy_space = NULL;
    }
    irq_restore(f);
}

/* Choose where a non-fixed mapping of len bytes goes. Caller holds s->lock. */
static int place(struct vm_space *s, uint64_t hint, uint64_t len, uint64_t *out)
{
    if (hint >= USER_MIN && urange_ok(hint, len) && regions_range_free(&s->regions, hint, hint + len)) {
        *out = hint;
        return 0;
    }
    uint64_t from = hint >= USER_MIN && hint < SK_USER_TOP ? hint : VM_MAP_BASE;
    if (regions_find_gap(&s->regions, len, PAGE_SIZE, from, SK_USER_TOP, out) == 0)
        return 0;
    return regions_find_gap(&s->regions, len, PAGE_SIZE, USER_MIN, SK_USER_TOP, out);
}

sk_error_t vm_space_map_max(struct vm_space *s, struct memobj *m, uint64_t offset,
                            uint64_t *addr, uint64_t len, unsigned prot, unsigned maxprot)
{
    sk_error_t e = urange_check_map(memobj_map_limit(m), offset, *addr, len, prot);
    if (e != SK_OK)
        return e;
    int private = (prot & SK_MAP_PRIVATE) != 0;
    if (private && !m->direct)
        return SK_ERR_INVALID; /* device memory cannot be copied on write */
    unsigned p = prot & (SK_PROT_READ | SK_PROT_WRITE | SK_PROT_EXEC);
    if (p & ~maxprot)
        return SK_ERR_NO_RIGHTS;
    struct vm_region *r = kzalloc(sizeof *r);
    if (!r)
        return SK_ERR_NO_MEMORY;
    /* the shadow is indexed as the object: room for every page the region maps */
    uint64_t shadow_size = memobj_size(m) > offset + len ? memobj_size(m) : offset + len;
    if (private && (e = memobj_create_anon(shadow_size, 0, &r->shadow)) != SK_OK) {
        kfree(r);
        return e;
    }
    uint64_t f = vm_spin_lock(&s->lock);
    uint64_t at = *addr;
    if (regions_reserve(&s->regions, 1, kmalloc, kfree) != 0)
        e = SK_ERR_NO_MEMORY;
    else if (prot & SK_MAP_FIXED)
        e = regions_range_free(&s->regions, at, at + len) ? SK_OK : SK_ERR_BUSY;
    else if (place(s, at, len, &at) != 0)
        e = SK_ERR_NO_MEMORY;
    if (e == SK_OK) {
        r->r.start = at;
        r->r.end = at + len;
        r->offset = offset;
        r->obj = m;
        r->space = s;
        r->prot = p;
        r->maxprot = maxprot & (SK_PROT_READ | SK_PROT_WRITE | SK_PROT_EXEC);
        kobj_get(&m->kobj);
        uint64_t of = vm_spin_lock(&m->lock);
        memobj_rmap_add(m, r);
        vm_spin_unlock(&m->lock, of);
        regions_insert(&s->regions, &r->r);
    }
    vm_spin_unlock(&s->lock, f);
    if (e != SK_OK) {
        if (r->shadow)
            kobj_put(&r->shadow->kobj);
        kfree(r);
        return e;
    }
    *addr = at;
    return SK_OK;
}

sk_error_t vm_space_map(struct vm_space *s, struct memobj *m, uint64_t offset, uint64_t *addr,
                        uint64_t len, unsigned prot)
{
    return vm_space_map_max(s, m, offset, addr, len, prot,
                            SK_PROT_READ | SK_PROT_WRITE | SK_PROT_EXEC);
}

static struct vm_region *region_at(struct vm_space *s, size_t i)
{
    return (struct vm_region *)s->regions.v[i];
}

/*
 * Split region i at addr (strictly inside it) using the spare record n: i
 * keeps [start, addr), n takes [addr, end). Caller holds s->lock and has
 * reserved a slot.
 */
static void split(struct vm_space *s, size_t i, uint64_t addr, struct vm_region *n)
{
    struct vm_region *r = region_at(s, i);
    *n = *r;
    n->r.start = addr;
    n->offset = r->offset + (addr - r->r.start);
    kobj_get(&r->obj->kobj);
    if (r->shadow)
        kobj_get(&r->shadow->kobj);
    uint64_t f = vm_spin_lock(&r->obj->lock);
    r->r.end = addr;
    memobj_rmap_add(r->obj, n);
    vm_spin_unlock(&r->obj->lock, f);
    regions_insert(&s->regions, &n->r);
}

/* Regions that cross the ends of [a, b): how many splits cutting there takes. Caller holds s->lock. */
static int splits_needed(struct vm_space *s, uint64_t a, uint64_t b)
{
    struct region *ra = regions_find(&s->regions, a);
    struct region *rb = regions_find(&s->regions, b);
    return (ra && ra->start < a) + (rb && rb->start < b);
}

/* Cut at a and b so that [a, b) is made of whole regions; spares holds enough records. */
static void cut(struct vm_space *s, uint64_t a, uint64_t b, struct vm_region **spares)
{
    uint64_t at[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        size_t i = regions_lower_bound(&s->regions, at[k]);
        if (i < s->regions.n && region_at(s, i)->r.start < at[k])
            split(s, i, at[k], *spares++);
    }
}

sk_error_t vm_space_unmap(struct vm_space *s, uint64_t addr, uint64_t len)
{
    sk_error_t e = urange_check_range(addr, len);
    if (e != SK_OK)
        return e;
    uint64_t end = addr + len;
    struct vm_region *spare[2] = {kmalloc(sizeof **spare), kmalloc(sizeof **spare)};
    struct vm_region *dead = NULL; /* removed regions, linked through rnext */
    uint64_t f = vm_spin_lock(&s->lock);
    int need = splits_needed(s, addr, end);
    if (!spare[0] || !spare[1] || regions_reserve(&s->regions, (size_t)need, kmalloc, kfree)) {
        e = SK_ERR_NO_MEMORY;
    } else {
        cut(s, addr, end, spare);
        spare[0] = need > 0 ? NULL : spare[0];
        spare[1] = need > 1 ? NULL : spare[1];
        uint64_t pf = vm_spin_lock(&s->pt.lock);
        uint64_t n = upt_clear(&s->pt, addr, end);
        vm_spin_unlock(&s->pt.lock, pf);
        if (n)
            upt_flush(&s->pt, addr, end);
        size_t i = regions_lower_bound(&s->regions, addr);
        while (i < s->regions.n && region_at(s, i)->r.start < end) {
            struct vm_region *r = region_at(s, i);
            uint64_t of = vm_spin_lock(&r->obj->lock);
            memobj_rmap_del(r->obj, r);
            vm_spin_unlock(&r->obj->lock, of);
            regions_remove_at(&s->regions, i);
            r->rnext = dead;
            dead = r;
        }
    }
    vm_spin_unlock(&s->lock, f);
    while (dead) {
        struct vm_region *next = dead->rnext;
        region_free(dead);
        dead = next;
    }
    kfree(spare[0]);
    kfree(spare[1]);
    return e;
}

sk_error_t vm_space_protect(struct vm_space *s, uint64_t addr, uint64_t len, unsigned prot)
{
    sk_error_t e = urange_check_range(addr, len);
    if (e == SK_OK)
        e = urange_check_prot(prot, 0);
    if (e != SK_OK)
        return e;
    uint64_t end = addr + len;
    struct vm_region *spare[2] = {kmalloc(sizeof **spare), kmalloc(sizeof **spare)};
    uint64_t f = vm_spin_lock(&s->lock);
    /* every page of [addr, end) must be mapped, with rights for prot */
    uint64_t covered = addr;
    for (size_t i = regions_lower_bound(&s->regions, addr);
         i < s->regions.n && covered < end && e == SK_OK; i++) {
        struct vm_region *r = region_at(s, i);
        if (r->r.start > covered)
            break;
        if (prot & ~r->maxprot)
            e = SK_ERR_NO_RIGHTS;
        covered = r->r.end;
    }
    int need = splits_needed(s, addr, end);
    if (e == SK_OK && covered < end)
        e = SK_ERR_NOT_FOUND;
    else if (e == SK_OK &&
             (!spare[0] || !spare[1] || regions_reserve(&s->regions, (size_t)need, kmalloc, kfree)))
        e = SK_ERR_NO_MEMORY;
    if (e == SK_OK) {
        cut(s, addr, end, spare);
        spare[0] = need > 0 ? NULL : spare[0];
        spare[1] = need > 1 ? NULL : spare[1];
        for (size_t i = regions_lower_bound(&s->regions, addr);
             i < s->regions.n && region_at(s, i)->r.start < end; i++)
            region_at(s, i)->prot = prot;
        /* Narrow the entries now; wider rights are granted by the next fault. */
        uint64_t pf = vm_spin_lock(&s->pt.lock);
        uint64_t n = prot ? upt_restrict(&s->pt, addr, end,
                                         ((prot & SK_PROT_WRITE) ? UPT_WRITE : 0) |
                                         ((prot & SK_PROT_EXEC) ? UPT_EXEC : 0))
                          : upt_clear(&s->pt, addr, end);
        vm_spin_unlock(&s->pt.lock, pf);
        if (n)
            upt_flush(&s->pt, addr, end);
    }
    vm_spin_unlock(&s->lock, f);
    kfree(spare[0]);
    kfree(spare[1]);
    return e;
}

sk_error_t vm_space_resolve(struct vm_space *s, uint64_t uaddr, struct memobj **m, uint64_t *off)
{
    sk_error_t e = SK_ERR_FAULT;
    uint64_t f = vm_spin_lock(&s->lock);
    struct vm_region *r = (struct vm_region *)regions_find(&s->regions, uaddr);
    if (r) {
        *m = r->shadow ? r->shadow : r->obj;
        *off = r->offset + (uaddr - r->r.start);
        kobj_get(&(*m)->kobj);
        e = SK_OK;
    }
    vm_spin_unlock(&s->lock, f);
    return e;
}

uint64_t vm_space_region_count(struct vm_space *s)
{
    uint64_t f = vm_spin_lock(&s->lock);
    uint64_t n = s->regions.n;
    vm_spin_unlock(&s->lock, f);
    return n;
}

int vm_space_query(struct vm_space *s, uint64_t va, uint64_t *phys, unsigned *flags)
{
    uint64_t f = vm_spin_lock(&s->pt.lock);
    int rc = upt_query(&s->pt, va, phys, flags);
    vm_spin_unlock(&s->pt.lock, f);
    return rc;
}
