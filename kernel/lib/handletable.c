/* Sorted handle table in chunks: append, binary search, lazy compaction. See k/handletable.h. */
#include <k/handletable.h>

/* Entries moved or freed: forget where lookups found them. */
static void cache_clear(struct handle_table *t)
{
    for (size_t i = 0; i < HT_CACHE; i++)
        t->cache[i] = NULL;
}

void handle_table_init(struct handle_table *t, void *(*alloc)(size_t), void (*free)(void *))
{
    *t = (struct handle_table){.dir = &t->one, .dir_cap = 1, .next = 1, .alloc = alloc,
                               .free = free};
}

void handle_table_move(struct handle_table *dst, struct handle_table *src)
{
    *dst = *src;
    if (src->dir == &src->one)
        dst->dir = &dst->one;
    cache_clear(dst); /* (the entries stay where they are, but be plain about it) */
    handle_table_init(src, src->alloc, src->free);
    src->next = dst->next; /* values are never reused */
}

void handle_table_release(struct handle_table *t)
{
    for (size_t i = 0; i < t->nchunks; i++)
        t->free(t->dir[i]);
    if (t->dir != &t->one)
        t->free(t->dir);
    int64_t next = t->next;
    handle_table_init(t, t->alloc, t->free);
    t->next = next;
}

static size_t capacity(const struct handle_table *t)
{
    return t->nchunks <= 1 ? (t->nchunks ? t->first_cap : 0) : t->nchunks * HT_CHUNK;
}

/* Chunk 0 with room for at least want entries (<= HT_CHUNK). */
static int grow_first(struct handle_table *t, size_t want)
{
    size_t cap = 16;
    while (cap < want)
        cap *= 2;
    if (cap > HT_CHUNK)
        cap = HT_CHUNK;
    struct handle_entry *e = t->alloc(cap * sizeof *e);
    if (!e)
        return -1;
    for (size_t i = 0; i < t->used; i++)
        e[i] = t->dir[0][i];
    if (t->nchunks)
        t->free(t->dir[0]);
    cache_clear(t);
    t->dir[0] = e;
    t->nchunks = 1;
    t->first_cap = cap;
    return 0;
}

int handle_table_reserve(struct handle_table *t, size_t n)
{
    size_t need = t->used + t->reserved + n;
    if (need < t->used || need > SIZE_MAX / 2)
        return -1;
    if (need > capacity(t)) {
        /* capacity may grow even when a later step fails: nothing a caller can see changes */
        if (t->nchunks <= 1 && (t->nchunks == 0 || t->first_cap < HT_CHUNK) &&
            grow_first(t, need) != 0)
            return -1;
        size_t chunks = (need + HT_CHUNK - 1) / HT_CHUNK;
        if (chunks > t->dir_cap) {
            size_t cap = t->dir_cap * 2;
            while (cap < chunks)
                cap *= 2;
            struct handle_entry **d = t->alloc(cap * sizeof *d);
            if (!d)
                return -1;
            for (size_t i = 0; i < t->nchunks; i++)
                d[i] = t->dir[i];
            if (t->dir != &t->one)
                t->free(t->dir);
            t->dir = d;
            t->dir_cap = cap;
        }
        while (t->nchunks < chunks) {
            struct handle_entry *e = t->alloc(HT_CHUNK * sizeof *e);
            if (!e)
                return -1;
            t->dir[t->nchunks++] = e;
        }
    }
    t->reserved += n;
    return 0;
}

void handle_table_unreserve(struct handle_table *t, size_t n)
{
    t->reserved -= n < t->reserved ? n : t->reserved;
}

int64_t handle_table_add(struct handle_table *t, void *object, uint32_t rights)
{
    int64_t h = t->next++;
    t->reserved--;
    *handle_table_at(t, t->used++) = (struct handle_entry){h, object, rights};
    t->live++;
    return h;
}

struct handle_entry *handle_table_find(struct handle_table *t, int64_t h)
{
    struct handle_entry **slot = &t->cache[(uint64_t)h % HT_CACHE];
    if (*slot && (*slot)->handle == h && (*slot)->object)
        return *slot;
    if (t->used == 0 || h < handle_table_at(t, 0)->handle || h >= t->next)
        return NULL;
    /* The entries hold distinct values in [e[0].handle, next), sorted: h's index is at most
       h - e[0].handle, and at least used - (next - h) (no more than next - h - 1 values lie
       above it). A recent handle is found among the last few entries. */
    size_t hi = (size_t)(h - handle_table_at(t, 0)->handle) + 1, above = (size_t)(t->next - h);
    size_t lo = t->used > above ? t->used - above : 0;
    hi = hi < t->used ? hi : t->used;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (handle_table_at(t, mid)->handle < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->used) {
        struct handle_entry *e = handle_table_at(t, lo);
        if (e->handle == h && e->object) {
            *slot = e;
            return e;
        }
    }
    return NULL;
}

/* Squeeze out the holes, then free whole chunks no longer needed (keeping one spare). */
static void compact(struct handle_table *t)
{
    cache_clear(t);
    size_t n = 0;
    for (size_t i = 0; i < t->used; i++) {
        struct handle_entry *e = handle_table_at(t, i);
        if (e->object)
            *handle_table_at(t, n++) = *e;
    }
    t->used = n;
    size_t keep = (t->used + t->reserved + HT_CHUNK - 1) / HT_CHUNK + 1;
    while (t->nchunks > 1 && t->nchunks > keep)
        t->free(t->dir[--t->nchunks]);
}

void *handle_table_remove(struct handle_table *t, int64_t h, uint32_t *rights)
{
    struct handle_entry *e = handle_table_find(t, h);
    if (!e)
        return NULL;
    void *o = e->object;
    if (rights)
        *rights = e->rights;
    e->object = NULL;
    t->live--;
    if (t->used > 32 && t->live < t->used / 4)
        compact(t);
    return o;
}
