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
 * Lock order: registry_lock, then a cache's lock, then the PMM lock.
 */
#include <k/heap.h>
#include <k/slab.h>
#include <k/pmm.h>
#include <k/spinlock.h>
#include <k/panic.h>
#include <k/log.h>
#include <arch/layout.h>
#include <base/string.h>
#include <base/fmt.h>
#include <stdarg.h>

#define SLAB_MAX_ORDER 3
#define NCLASSES 9 /* 8 .. 2048 */
#define KEEP_EMPTY 1
/* How the heap asks the PMM for slabs and large blocks (see the top of the file). */
#define HEAP_PMM_FLAGS(tag) (PMM_ZERO | PMM_TAG(tag))

struct slab_cache {
    char name[24];
    struct spinlock lock;
    struct slab_layout layout;
    unsigned order; /* slabs are blocks of 2^order pages */
    struct slab *partial, *full, *empty;
    uint32_t nempty;
    uint64_t inuse; /* objects allocated */
    struct slab_cache *next; /* registry */
};

static struct spinlock registry_lock = SPINLOCK_INIT;
static struct slab_cache *registry;
static struct slab_cache classes[NCLASSES];

__attribute__((format(printf, 1, 2))) static void heap_bug(const char *fmt, ...);

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
    if (!c)
        return NULL;
    if (cache_setup(c, name, size, align) != 0) {
        kfree(c);
        return NULL;
    }
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

int slab_cache_destroy(struct slab_cache *c)
{
    if (!c || (c >= classes && c < classes + NCLASSES))
        return -1;
    uint64_t f = spin_lock_irqsave(&registry_lock);
    spin_lock(&c->lock);
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

void *slab_alloc(struct slab_cache *c)
{
    uint64_t f = spin_lock_irqsave(&c->lock);
    void *obj = NULL;
    struct slab *s = slab_with_room(c);
    if (s) {
        obj = slab_take(s);
        c->inuse++;
        if (s->inuse == s->capacity) {
            list_del(&c->partial, s);
            list_add(&c->full, s);
        }
    }
    spin_unlock_irqrestore(&c->lock, f);
    return obj;
}

/* Free obj into slab s of cache c. */
static void cache_free(struct slab_cache *c, struct slab *s, void *obj)
{
    uint64_t f = spin_lock_irqsave(&c->lock);
    int was_full = s->inuse == s->capacity;
    int rc = slab_put(s, obj);
    if (rc == SLAB_OK) {
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
    }
    spin_unlock_irqrestore(&c->lock, f);
    if (rc == SLAB_ERR_DOUBLE)
        heap_bug("double free of %p (cache %s)", obj, c->name);
    else if (rc != SLAB_OK)
        heap_bug("free of %p, not an object start (cache %s)", obj, c->name);
}

void slab_free(struct slab_cache *c, void *obj)
{
    if (!obj)
        return;
    uint64_t v = (uint64_t)obj;
    struct slab *s = (struct slab *)(v & ~((PAGE_SIZE << c->order) - 1));
    uint64_t head = 0;
    unsigned tag = 0;
    if (v < DIRECT_MAP_BASE || v - DIRECT_MAP_BASE >= pmm_phys_limit() ||
        pmm_block_of(virt_to_phys(s), &head, NULL, &tag) != 0 || head != virt_to_phys(s) ||
        tag != PMM_TAG_HEAP_SLAB || s->magic != SLAB_MAGIC || s->owner != c) {
        heap_bug("slab_free of %p: not from cache %s", obj, c->name);
        return;
    }
    cache_free(c, s, obj);
}

void *kmalloc(size_t size)
{
    if (!size)
        return NULL;
    if (size <= KMALLOC_MAX_SLAB) {
        unsigned i = 0;
        while ((8u << i) < size)
            i++;
        return slab_alloc(&classes[i]);
    }
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

uint64_t heap_reclaim(void)
{
    uint64_t pages = 0;
    uint64_t f = spin_lock_irqsave(&registry_lock);
    for (struct slab_cache *c = registry; c; c = c->next) {
        spin_lock(&c->lock);
        pages += trim_empty(c, 0);
        spin_unlock(&c->lock);
    }
    spin_unlock_irqrestore(&registry_lock, f);
    return pages;
}

static void heap_bug(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
#ifdef SKOLL_DEBUG
    panic("heap: %s", buf);
#else
    log_error("heap: %s; ignored", buf);
#endif
}
