/*
 * Range sets: sorted disjoint intervals in a fixed array. Every operation is
 * linear in the number of ranges, which stays small (one per memory-map entry).
 * Pure code, unit-tested on the host.
 */
#include <k/rangeset.h>
#include <base/string.h>

void rangeset_init(struct rangeset *s)
{
    s->n = 0;
}

static void remove_at(struct rangeset *s, size_t i, size_t count)
{
    memmove(&s->r[i], &s->r[i + count], (s->n - i - count) * sizeof s->r[0]);
    s->n -= count;
}

static void insert_at(struct rangeset *s, size_t i, uint64_t start, uint64_t end)
{
    memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof s->r[0]);
    s->r[i] = (struct range){start, end};
    s->n++;
}

int rangeset_add(struct rangeset *s, uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0;
    /* first range that ends at or after start (touching ranges merge) */
    size_t i = 0;
    while (i < s->n && s->r[i].end < start)
        i++;
    /* ranges [i, j) overlap or touch the new one */
    size_t j = i;
    while (j < s->n && s->r[j].start <= end)
        j++;
    if (i == j) {
        if (s->n == RANGESET_MAX)
            return -1;
        insert_at(s, i, start, end);
        return 0;
    }
    if (s->r[i].start < start)
        start = s->r[i].start;
    if (s->r[j - 1].end > end)
        end = s->r[j - 1].end;
    s->r[i] = (struct range){start, end};
    remove_at(s, i + 1, j - i - 1);
    return 0;
}

int rangeset_remove(struct rangeset *s, uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0;
    /* validate: a removal strictly inside one range splits it in two */
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].start < start && s->r[i].end > end && s->n == RANGESET_MAX)
            return -1;
    for (size_t i = 0; i < s->n;) {
        struct range *r = &s->r[i];
        if (r->end <= start || r->start >= end) {
            i++;
        } else if (r->start < start && r->end > end) {
            uint64_t old_end = r->end;
            r->end = start;
            insert_at(s, i + 1, end, old_end);
            return 0;
        } else if (r->start < start) {
            r->end = start;
            i++;
        } else if (r->end > end) {
            r->start = end;
            i++;
        } else {
            remove_at(s, i, 1);
        }
    }
    return 0;
}

int rangeset_contains(const struct rangeset *s, uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].start <= start && end <= s->r[i].end)
            return 1;
    return 0;
}

int rangeset_overlaps(const struct rangeset *s, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].start < end && start < s->r[i].end)
            return 1;
    return 0;
}

void rangeset_align_inward(struct rangeset *s, uint64_t align)
{
    for (size_t i = 0; i < s->n;) {
        struct range *r = &s->r[i];
        uint64_t a = r->start + (align - 1);
        a = a < r->start ? UINT64_MAX : a & ~(align - 1);
        uint64_t b = r->end & ~(align - 1);
        if (a >= b) {
            remove_at(s, i, 1);
        } else {
            r->start = a;
            r->end = b;
            i++;
        }
    }
}

uint64_t rangeset_total(const struct rangeset *s)
{
    uint64_t t = 0;
    for (size_t i = 0; i < s->n; i++)
        t += s->r[i].end - s->r[i].start;
    return t;
}

int rangeset_find(const struct rangeset *s, uint64_t size, uint64_t align, uint64_t limit,
                  uint64_t *out)
{
    for (size_t i = 0; i < s->n; i++) {
        uint64_t a = s->r[i].start + (align - 1);
        if (a < s->r[i].start)
            continue;
        a &= ~(align - 1);
        if (a + size < a || a + size > s->r[i].end || a + size > limit)
            continue;
        *out = a;
        return 0;
    }
    return -1;
}
