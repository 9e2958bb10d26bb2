/*
 * The heap: power-of-two size classes (16 B .. 4 KiB) carved from 256 KiB
 * arenas with a free list per class; bigger blocks get a mapping of their own.
 * Each block has a 16-byte header, so data stays 16-byte aligned. One mutex.
 * Freed big blocks are kept (up to BIG_CACHE of them) for the next request of
 * the same size: servers take and free the same large buffers call after call,
 * and a fresh mapping costs a page fault per page and a TLB flush when it goes.
 */
#include <sk/sk.h>

#define HDR 16u
#define MIN_SHIFT 4
#define NCLASSES 9 /* 16 .. 4096 */
#define ARENA (256u * 1024)
#define MAGIC 0x48454150u /* "HEAP" */
#define BIG 0xffu
#define BIG_CACHE 8

struct header {
    uint32_t magic;
    uint32_t cls;   /* size class, or BIG */
    uint64_t size;  /* BIG: the whole mapping's size */
};
_Static_assert(sizeof(struct header) == HDR, "header keeps data 16-byte aligned");

struct free_block {
    struct free_block *next;
};

static SK_HOT_DATA struct sk_mutex lock;
static SK_HOT_DATA struct free_block *free_list[NCLASSES];
static SK_HOT_DATA uint8_t *arena_cur, *arena_end;
static SK_HOT_DATA struct sk_heap_stats stats; /* under lock */
static struct header *big_cache[BIG_CACHE]; /* freed big blocks, still mapped */

static unsigned size_class(size_t size)
{
    unsigned c = 0;
    while (((size_t)1 << (c + MIN_SHIFT)) < size)
        c++;
    return c;
}

static void *big_alloc(size_t size)
{
    if (size > SK_MEM_MAX_SIZE)
        return NULL;
    void *a = NULL;
    uint64_t total = sk_page_round_up(size + HDR);
    sk_mutex_lock(&lock);
    for (int i = 0; i < BIG_CACHE; i++)
        if (big_cache[i] && big_cache[i]->size == total) {
            a = big_cache[i];
            big_cache[i] = NULL;
            stats.mapped -= total; /* counted again below */
            break;
        }
    sk_mutex_unlock(&lock);
    if (!a && sk_mem_map_anon(total, SK_PROT_READ | SK_PROT_WRITE, &a, NULL) != SK_OK)
        return NULL;
    struct header *h = a;
    h->magic = MAGIC;
    h->cls = BIG;
    h->size = total;
    sk_mutex_lock(&lock);
    stats.blocks++;
    stats.bytes += total;
    stats.mapped += total;
    sk_mutex_unlock(&lock);
    return (uint8_t *)a + HDR;
}

void *sk_malloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size > ((size_t)1 << (MIN_SHIFT + NCLASSES - 1)))
        return big_alloc(size);
    unsigned c = size_class(size);
    size_t block = HDR + ((size_t)1 << (c + MIN_SHIFT));
    struct header *h = NULL;
    sk_mutex_lock(&lock);
    if (free_list[c]) {
        h = (struct header *)((uint8_t *)free_list[c] - HDR);
        free_list[c] = free_list[c]->next;
    } else {
        if ((size_t)(arena_end - arena_cur) < block) {
            void *a;
            if (sk_mem_map_anon(ARENA, SK_PROT_READ | SK_PROT_WRITE, &a, NULL) != SK_OK) {
                sk_mutex_unlock(&lock);
                return NULL;
            }
            arena_cur = a; /* the old arena's tail is left unused */
            arena_end = arena_cur + ARENA;
            stats.mapped += ARENA;
        }
        h = (struct header *)arena_cur;
        arena_cur += block;
    }
    stats.blocks++;
    stats.bytes += block;
    sk_mutex_unlock(&lock);
    h->magic = MAGIC;
    h->cls = c;
    h->size = 0;
    return (uint8_t *)h + HDR;
}

void *sk_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = sk_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void sk_free(void *p)
{
    if (!p)
        return;
    struct header *h = (struct header *)((uint8_t *)p - HDR);
    if (h->magic != MAGIC || (h->cls >= NCLASSES && h->cls != BIG))
        sk_panic("sk_free: bad block %p (freed from %p)", p, __builtin_return_address(0));
    if (h->cls == BIG) {
        h->magic = 0;
        sk_mutex_lock(&lock);
        stats.blocks--;
        stats.bytes -= h->size;
        for (int i = 0; i < BIG_CACHE; i++)
            if (!big_cache[i]) {
                big_cache[i] = h; /* kept mapped: still in stats.mapped */
                sk_mutex_unlock(&lock);
                return;
            }
        stats.mapped -= h->size;
        sk_mutex_unlock(&lock);
        sk_mem_unmap(h, h->size);
        return;
    }
    h->magic = 0;
    struct free_block *f = p;
    sk_mutex_lock(&lock);
    stats.blocks--;
    stats.bytes -= HDR + ((size_t)1 << (h->cls + MIN_SHIFT));
    f->next = free_list[h->cls];
    free_list[h->cls] = f;
    sk_mutex_unlock(&lock);
}

void sk_heap_stats(struct sk_heap_stats *out)
{
    sk_mutex_lock(&lock);
    *out = stats;
    sk_mutex_unlock(&lock);
}
