/*
 * Sorted region arrays (see k/regions.h). The array grows by doubling and
 * never shrinks until regions_release.
 */
#include <k/regions.h>
#include <base/string.h>

void regions_init(struct region_set *s)
{
    s->v = NULL;
    s->n = s->cap = 0;
}

size_t regions_lower_bound(const struct region_set *s, uint64_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid]->end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

struct region *regions_find(const struct region_set *s, uint64_t addr)
{
    size_t i = regions_lower_bound(s, addr);
    return i < s->n && s->v[i]->start <= addr ? s->v[i] : NULL;
}

int regions_range_free(const struct region_set *s, uint64_t start, uint64_t end)
{
    size_t i = regions_lower_bound(s, start);
    return i == s->n || s->v[i]->start >= end;
}

int regions_find_gap(const struct region_set *s, uint64_t len, uint64_t align, uint64_t lo,
                     uint64_t hi, uint64_t *out)
{
    uint64_t a = (lo + align - 1) & ~(align - 1);
    if (a < lo || len == 0)
        return -1;
    for (size_t i = regions_lower_bound(s, a);; i++) {
        if (a > hi || len > hi - a)
            return -1;
        if (i == s->n || a + len <= s->v[i]->start) {
            *out = a;
            return 0;
        }
        uint64_t next = (s->v[i]->end + align - 1) & ~(align - 1);
        if (next < s->v[i]->end)
            return -1;
        if (next > a)
            a = next;
    }
}

int regions_reserve(struct region_set *s, size_t extra, void *(*alloc)(size_t),
                    void (*release)(void *))
{
    if (s->n + extra <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 8;
    while (cap < s->n + extra)
        cap *= 2;
    struct region **v = alloc(cap * sizeof *v);
    if (!v)
        return -1;
    if (s->n)
        memcpy(v, s->v, s->n * sizeof *v);
    if (s->v)
        release(s->v);
    s->v = v;
    s->cap = cap;
    return 0;
}

size_t regions_insert(struct region_set *s, struct region *r)
{
    size_t i = regions_lower_bound(s, r->start);
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof s->v[0]);
    s->v[i] = r;
    s->n++;
    return i;
}

void regions_remove_at(struct region_set *s, size_t i)
{
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof s->v[0]);
    s->n--;
}

void regions_release(struct region_set *s, void (*release)(void *))
{
    if (s->v)
        release(s->v);
    regions_init(s);
}
