/* Sorted handle table: append, binary search, lazy compaction. See k/handletable.h. */
#include <k/handletable.h>

void handle_table_init(struct handle_table *t)
{
    t->e = NULL;
    t->used = t->cap = t->live = 0;
    t->next = 1;
}

int handle_table_full(const struct handle_table *t)
{
    return t->used == t->cap;
}

size_t handle_table_want(const struct handle_table *t)
{
    size_t want = t->live * 2;
    return want < 16 ? 16 : want;
}

void handle_table_adopt(struct handle_table *t, struct handle_entry *e, size_t cap)
{
    /* copy only live entries: adopting compacts */
    size_t n = 0;
    for (size_t i = 0; i < t->used; i++)
        if (t->e[i].object)
            e[n++] = t->e[i];
    t->e = e;
    t->used = n;
    t->cap = cap;
}

int64_t handle_table_add(struct handle_table *t, void *object, uint32_t rights)
{
    int64_t h = t->next++;
    t->e[t->used++] = (struct handle_entry){h, object, rights};
    t->live++;
    return h;
}

struct handle_entry *handle_table_find(struct handle_table *t, int64_t h)
{
    if (t->used == 0 || h < t->e[0].handle || h >= t->next)
        return NULL;
    /* The entries hold distinct values in [e[0].handle, next), sorted: h's index is at most
       h - e[0].handle, and at least used - (next - h) (no more than next - h - 1 values lie
       above it). A recent handle is found among the last few entries. */
    size_t hi = (size_t)(h - t->e[0].handle) + 1, above = (size_t)(t->next - h);
    size_t lo = t->used > above ? t->used - above : 0;
    hi = hi < t->used ? hi : t->used;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->e[mid].handle < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->used && t->e[lo].handle == h && t->e[lo].object)
        return &t->e[lo];
    return NULL;
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
    if (t->used > 32 && t->live < t->used / 4) {
        size_t n = 0;
        for (size_t i = 0; i < t->used; i++)
            if (t->e[i].object)
                t->e[n++] = t->e[i];
        t->used = n;
    }
    return o;
}
