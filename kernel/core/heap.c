/*
 * Kernel heap: slab caches (lists of partial, full and empty slabs under a
 * per-cache lock) and kmalloc on top of power-of-two caches. Slabs are PMM
 * blocks tagged PMM_TAG_HEAP_SLAB, large allocations blocks tagged
 * PMM_TAG_HEAP_LARGE, so kfree finds what any pointer belongs to through
 * pmm_block_of without a size. A cache keeps at most one empty slab; the rest
 * go back to the PMM at once, and heap_reclaim returns the last ones.
 *
 * Every block the heap takes from the PMM is zeroed first (HEAP_PMM_FLAGS),
 * because a freed frame may have held another process's memory. That keeps
 * user data out of kernel objects, and under QEMU TCG (where Skoll is tested
 * and benchmarked) it also drops the translations TCG kept of a frame that
 * held user code: until every translated byte is rewritten, each store to the
 * frame takes TCG's self-modifying-code check. A kernel stack on such a frame
 * writes only its top, so every push stayed slow for the thread's life (a
 * null syscall took 30 us instead of 0.15 in a bench-core after bench-async).
 *
 * Each cache has a small per-CPU stack of free objects ("magazine") in front of
 * its slabs: most allocations and frees touch only it, with interrupts off and
 * no lock. Objects in a magazine stay allocated in their slab's bitmap and are
 * marked parked (slab_park), so a double free is still caught at once. Behind
 * the magazines each cache keeps a small depot of full magazines' worth of
 * objects: a CPU whose magazine is full hands its contents to the depot and one
 * whose magazine is empty takes a full one from it, one copy under the cache
 * lock instead of an object at a time into and out of the slabs. That is what
 * objects allocated on one CPU and freed on another (an IPC request and its
 * answer) go through. Only when the depot is full or empty do objects go back to
 * or come from the slabs, half a magazine at a time. heap_reclaim and
 * slab_cache_destroy first empty every CPU's magazines (each CPU its own,
 * through a cross-CPU call), then the depot.
 *
 * Lock order: registry_lock, then a cache's lock, then the PMM lock.
 */
#include <k/hot.h>
#include <k/heap.h>
#include <k/slab.h>
#include <k/pmm.h>
#include <k/spinlock.h>
#include <k/panic.h>
#include <k/log.h>
#include <k/percpu.h>
#include <k/smp.h>
#include <arch/layout.h>
#include <base/string.h>
#include <base/fmt.h>
#include <stdarg.h>

#define SLAB_MAX_ORDER 3
#define NCLASSES 9 /* 8 .. 2048 */
#define KEEP_EMPTY 1
/* How the heap asks the PMM for slabs and large blocks (see the top of the file). */
#define HEAP_PMM_FLAGS(tag) (PMM_ZERO | PMM_TAG(tag))

#define MAG_SIZE 15
#define DEPOT_MAGS 8             /* full magazines a depot holds at most ... */
#define DEPOT_BYTES (64 * 1024)  /* ... and at most about this many bytes of objects */

/* A CPU's free objects of one cache (touched only by that CPU, interrupts off). */
struct heap_mag {
    uint32_t n;
    void *obj[MAG_SIZE];
} __attribute__((aligned(64)));

struct slab_cache {
    char name[24];
    struct spinlock lock;
    struct slab_layout layout;
    unsigned order; /* slabs are blocks of 2^order pages */
    struct slab *partial, *full, *empty;
    uint32_t nempty;
    uint64_t inuse; /* objects allocated */
    struct slab_cache *next; /* registry */
    struct heap_mag *mags;   /* [MAX_CPUS] */
    uint32_t depot_n, depot_max;     /* full magazines in the depot (under lock), limit */
    void *depot[DEPOT_MAGS][MAG_SIZE];
};

static struct spinlock registry_lock = SPINLOCK_INIT;
static KHOT struct slab_cache *registry;
static struct slab_cache classes[NCLASSES];
static struct heap_mag class_mags[NCLASSES][MAX_CPUS];

__attribute__((format(printf, 1, 2), noreturn)) static void heap_bug(const char *fmt, ...);

static void list_add(struct slab **head, struct slab *s)
{
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
}

static void list_del(struct slab **head, struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

/* Choose the smallest slab order that wastes less than 1/8 (else the least wasteful). */
static int cache_setup(struct slab_cache *c, const char *name, size_t size, size_t align)
{
    size_t best_waste = SIZE_MAX;
    int found = 0;
    for (unsigned o = 0; o <= SLAB_MAX_ORDER; o++) {
        struct slab_layout l;
        size_t bytes = PAGE_SIZE << o;
        if (slab_layout(size, align, bytes, &l) != 0)
            continue;
        size_t waste = slab_waste(&l, bytes) * 8 / bytes; /* in eighths */
        if (!found || waste < best_waste) {
            c->layout = l;
            c->order = o;
            best_waste = waste;
            found = 1;
        }
        if (waste == 0)
            break;
    }
    if (!found)
        return -1;
    size_t per_mag = (size_t)c->layout.obj_size * MAG_SIZE;
    c->depot_max = DEPOT_BYTES / per_mag < DEPOT_MAGS ? (uint32_t)(DEPOT_BYTES / per_mag)
                                                      : DEPOT_MAGS;
    size_t n = strnlen(name, sizeof c->name - 1);
    memcpy(c->name, name, n);
    c->name[n] = '\0';
    c->lock = (struct spinlock)SPINLOCK_INIT;
    return 0;
}

static void registry_add(struct slab_cache *c)
{
    uint64_t f = spin_lock_irqsave(&registry_lock);
    c->next = registry;
    registry = c;
    spin_unlock_irqrestore(&registry_lock, f);
}

void heap_init(void)
{
    static const char *names[NCLASSES] = {"kmalloc-8",   "kmalloc-16",  "kmalloc-32",
                                          "kmalloc-64",  "kmalloc-128", "kmalloc-256",
                                          "kmalloc-512", "kmalloc-1024", "kmalloc-2048"};
    for (unsigned i = 0; i < NCLASSES; i++) {
        size_t size = 8u << i;
        if (cache_setup(&classes[i], names[i], size, size < 64 ? size : 64) != 0)
            panic("heap: cannot lay out %s", names[i]);
        classes[i].mags = class_mags[i];
        registry_add(&classes[i]);
    }
}

struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align)
{
    if (align == 0)
        align = 8;
    if (!name || !size || size > SLAB_CACHE_MAX_SIZE || (align & (align - 1)) || align > PAGE_SIZE)
        return NULL;
    struct slab_cache *c = kzalloc(sizeof *c);
    struct heap_mag *mags = kzalloc(sizeof *mags * MAX_CPUS);
    if (!c || !mags || cache_setup(c, name, size, align) != 0) {
        kfree(c);
        kfree(mags);
        return NULL;
    }
    c->mags = mags;
    registry_add(c);
    return c;
}

/* Give the empty slabs beyond keep back to the PMM. Caller holds c->lock. */
static uint64_t trim_empty(struct slab_cache *c, uint32_t keep)
{
    uint64_t pages = 0;
    while (c->nempty > keep) {
        struct slab *s = c->empty;
        list_del(&c->empty, s);
        c->nempty--;
        s->magic = 0;
        pmm_free(virt_to_phys(s), c->order);
        pages += 1u << c->order;
    }
    return pages;
}

static void drain_everywhere(struct slab_cache *only);
static void depot_flush_locked(struct slab_cache *c);

int slab_cache_destroy(struct slab_cache *c)
{
    if (!c || (c >= classes && c < classes + NCLASSES))
        return -1;
    drain_everywhere(c);
    uint64_t f = spin_lock_irqsave(&registry_lock);
    spin_lock(&c->lock);
    depot_flush_locked(c);
    int busy = c->inuse != 0;
    if (!busy) {
        trim_empty(c, 0);
        struct slab_cache **p = &registry;
        while (*p != c)
            p = &(*p)->next;
        *p = c->next;
    }
    spin_unlock(&c->lock);
    spin_unlock_irqrestore(&registry_lock, f);
    if (busy)
        return -1;
    kfree(c->mags);
    kfree(c);
    return 0;
}

/* A slab with a free object, growing the cache if needed. Caller holds c->lock. */
static struct slab *slab_with_room(struct slab_cache *c)
{
    if (c->partial)
        return c->partial;
    struct slab *s = c->empty;
    if (s) {
        list_del(&c->empty, s);
        c->nempty--;
    } else {
        uint64_t phys = pmm_alloc(c->order, HEAP_PMM_FLAGS(PMM_TAG_HEAP_SLAB));
        if (!phys)
            return NULL;
        s = phys_to_virt(phys);
        slab_init(s, c, &c->layout);
    }
    list_add(&c->partial, s);
    return s;
}

/* The slab holding obj, an object of c. */
static struct slab *slab_of(struct slab_cache *c, void *obj)
{
    return (struct slab *)((uint64_t)obj & ~((PAGE_SIZE << c->order) - 1));
}

/* Take one object from the slabs. c->lock held. */
static void *take_locked(struct slab_cache *c)
{
    struct slab *s = slab_with_room(c);
    if (!s)
        return NULL;
    void *obj = slab_take(s);
    c->inuse++;
    if (s->inuse == s->capacity) {
        list_del(&c->partial, s);
        list_add(&c->full, s);
    }
    return obj;
}

/* Give obj (not parked) back to its slab s. c->lock held. Returns slab_put's result. */
static int put_locked(struct slab_cache *c, struct slab *s, void *obj)
{
    int was_full = s->inuse == s->capacity;
    int rc = slab_put(s, obj);
    if (rc != SLAB_OK)
        return rc;
    c->inuse--;
    if (was_full) {
        list_del(&c->full, s);
        list_add(&c->partial, s);
    }
    if (s->inuse == 0) {
        list_del(&c->partial, s);
        list_add(&c->empty, s);
        c->nempty++;
        trim_empty(c, KEEP_EMPTY);
    }
    return SLAB_OK;
}

/* Move the newest n objects of magazine m back to their slabs. c->lock held. */
static void flush_locked(struct slab_cache *c, struct heap_mag *m, uint32_t n)
{
    while (n-- && m->n) {
        void *obj = m->obj[--m->n];
        struct slab *s = slab_of(c, obj);
        slab_unpark(s, obj);
        put_locked(c, s, obj); /* (checked when it was parked) */
    }
}

/* Give every object of the depot back to the slabs. c->lock held. */
static void depot_flush_locked(struct slab_cache *c)
{
    while (c->depot_n) {
        struct heap_mag m;
        m.n = MAG_SIZE;
        memcpy(m.obj, c->depot[--c->depot_n], sizeof m.obj);
        flush_locked(c, &m, MAG_SIZE);
    }
}

void *slab_alloc(struct slab_cache *c)
{
    uint64_t f = irq_save();
    struct heap_mag *m = &c->mags[this_cpu()->id];
    void *obj;
    if (m->n) {
        obj = m->obj[--m->n];
        irq_restore(f);
        slab_unpark(slab_of(c, obj), obj);
        return obj;
    }
    spin_lock(&c->lock);
    if (c->depot_n) {
        /* a full magazine from the depot */
        memcpy(m->obj, c->depot[--c->depot_n], sizeof m->obj);
        spin_unlock(&c->lock);
        obj = m->obj[MAG_SIZE - 1];
        m->n = MAG_SIZE - 1;
        irq_restore(f);
        slab_unpark(slab_of(c, obj), obj);
        return obj;
    }
    /* refill half the magazine from the slabs, and take one more for the caller */
    obj = take_locked(c);
    for (void *o; obj && m->n < MAG_SIZE / 2 && (o = take_locked(c)); m->n++) {
        slab_park(slab_of(c, o), o);
        m->obj[m->n] = o;
    }
    spin_unlock(&c->lock);
    irq_restore(f);
    return obj;
}

/* Free obj into slab s of cache c (s checked to be a slab of c). */
static void cache_free(struct slab_cache *c, struct slab *s, void *obj)
{
    int rc = slab_park(s, obj);
    if (rc == SLAB_ERR_DOUBLE) {
        heap_bug("double free of %p (cache %s)", obj, c->name);
        return;
    }
    if (rc != SLAB_OK) {
        heap_bug("free of %p, not an object start (cache %s)", obj, c->name);
        return;
    }
    uint64_t f = irq_save();
    struct heap_mag *m = &c->mags[this_cpu()->id];
    if (m->n == MAG_SIZE) {
        spin_lock(&c->lock);
        if (c->depot_n < c->depot_max) {
            memcpy(c->depot[c->depot_n++], m->obj, sizeof m->obj); /* to the depot, whole */
            m->n = 0;
        } else {
            flush_locked(c, m, MAG_SIZE / 2 + 1);
        }
        spin_unlock(&c->lock);
    }
    m->obj[m->n++] = obj;
    irq_restore(f);
}

/* Empty this CPU's magazines: of cache `only`, or of every cache if NULL. Interrupts off. */
static void drain_here(void *only)
{
    unsigned cpu = this_cpu()->id;
    spin_lock(&registry_lock);
    for (struct slab_cache *c = registry; c; c = c->next) {
        if (only && c != only)
            continue;
        spin_lock(&c->lock);
        flush_locked(c, &c->mags[cpu], MAG_SIZE);
        spin_unlock(&c->lock);
    }
    spin_unlock(&registry_lock);
}

/* Empty every online CPU's magazines (of `only`, or all). No locks held. */
static void drain_everywhere(struct slab_cache *only)
{
    for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
        if (cpus[cpu].online || cpu == this_cpu()->id)
            smp_call(cpu, drain_here, only, 1);
}

void slab_free(struct slab_cache *c, void *obj)
{
    if (!obj)
        return;
    uint64_t v = (uint64_t)obj;
    struct slab *s = (struct slab *)(v & ~((PAGE_SIZE << c->order) - 1));
    /* (no PMM lookup: c's slabs are blocks aligned to their size whose header names c, and a
       block that stops being one loses its magic first; slab_park checks the object) */
    if (v < DIRECT_MAP_BASE || v - DIRECT_MAP_BASE >= pmm_phys_limit() ||
        s->magic != SLAB_MAGIC || s->owner != c) {
        heap_bug("slab_free of %p: not from cache %s", obj, c->name);
        return;
    }
    cache_free(c, s, obj);
}

/* The kmalloc class of size bytes (1 .. KMALLOC_MAX_SLAB): 8 << i bytes, i = bits(size - 1) - 3
   from 9 bytes. */
static unsigned class_of(size_t size)
{
    return size <= 8 ? 0 : 61 - (unsigned)__builtin_clzll(size - 1);
}

void *kmalloc(size_t size)
{
    if (!size)
        return NULL;
    if (size <= KMALLOC_MAX_SLAB)
        return slab_alloc(&classes[class_of(size)]);
    uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    if (size > (PAGE_SIZE << PMM_MAX_ORDER))
        return NULL;
    unsigned order = 0;
    while ((1ull << order) < pages)
        order++;
    uint64_t phys = pmm_alloc(order, HEAP_PMM_FLAGS(PMM_TAG_HEAP_LARGE));
    return phys ? phys_to_virt(phys) : NULL;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    uint64_t v = (uint64_t)ptr, head;
    unsigned order, tag;
    if (v < DIRECT_MAP_BASE || v - DIRECT_MAP_BASE >= pmm_phys_limit() ||
        pmm_block_of(v - DIRECT_MAP_BASE, &head, &order, &tag) != 0) {
        heap_bug("kfree of %p: not allocated by the heap (or already freed)", ptr);
        return;
    }
    if (tag == PMM_TAG_HEAP_LARGE) {
        if (head != v - DIRECT_MAP_BASE)
            heap_bug("kfree of %p: inside a large allocation", ptr);
        else
            pmm_free(head, order);
        return;
    }
    struct slab *s = phys_to_virt(head);
    if (tag != PMM_TAG_HEAP_SLAB || s->magic != SLAB_MAGIC) {
        heap_bug("kfree of %p: not allocated by the heap", ptr);
        return;
    }
    cache_free(s->owner, s, ptr);
}

void kfree_sized(void *ptr, size_t size)
{
    if (ptr && size && size <= KMALLOC_MAX_SLAB)
        slab_free(&classes[class_of(size)], ptr);
    else
        kfree(ptr);
}

uint64_t heap_reclaim(void)
{
    drain_everywhere(NULL);
    uint64_t pages = 0;
    uint64_t f = spin_lock_irqsave(&registry_lock);
    for (struct slab_cache *c = registry; c; c = c->next) {
        spin_lock(&c->lock);
        depot_flush_locked(c);
        pages += trim_empty(c, 0);
        spin_unlock(&c->lock);
    }
    spin_unlock_irqrestore(&registry_lock, f);
    return pages;
}

void heap_census(void (*fn)(const char *name, uint64_t inuse, void *arg), void *arg)
{
    uint64_t f = spin_lock_irqsave(&registry_lock);
    for (struct slab_cache *c = registry; c; c = c->next)
        fn(c->name, __atomic_load_n(&c->inuse, __ATOMIC_RELAXED), arg);
    spin_unlock_irqrestore(&registry_lock, f);
}

static void heap_bug(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* in every build: a heap that was freed into twice or given a stray pointer is
       corrupt, and going on would hand one object to two owners */
    panic("heap: %s", buf);
}
