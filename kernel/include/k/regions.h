/*
 * Region sets: the mappings of one address space as a sorted array of
 * pointers to disjoint half-open intervals [start, end). Users embed struct
 * region first in their own record (the payload), so the array only moves
 * pointers and records never move. Lookups are binary searches; insert and
 * remove shift the array. Pure code, no locking (the owner serialises);
 * unit-tested on the host (tests/unit/test_regions.c).
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

struct region {
    uint64_t start;
    uint64_t end; /* exclusive */
};

struct region_set {
    struct region **v;
    size_t n;   /* regions in use, sorted by start */
    size_t cap; /* slots in v */
};

/* Make the set empty (no memory held). */
void regions_init(struct region_set *s);
/* Index of the first region with end > addr (n if none). */
size_t regions_lower_bound(const struct region_set *s, uint64_t addr);
/* The region containing addr, or NULL. */
struct region *regions_find(const struct region_set *s, uint64_t addr);
/* True if no region overlaps [start, end). */
int regions_range_free(const struct region_set *s, uint64_t start, uint64_t end);
/*
 * Lowest start a >= lo, a multiple of align (a power of two), with
 * [a, a+len) free and a + len <= hi. Returns 0 and sets *out, or -1.
 */
int regions_find_gap(const struct region_set *s, uint64_t len, uint64_t align, uint64_t lo,
                     uint64_t hi, uint64_t *out);
/*
 * Make room for extra more regions without further allocation, growing the
 * array with alloc/release (kmalloc/kfree in the kernel). Returns 0, or -1
 * (set unchanged) when alloc fails.
 */
int regions_reserve(struct region_set *s, size_t extra, void *(*alloc)(size_t),
                    void (*release)(void *));
/*
 * Insert r in order. The caller has reserved room and checked that r is
 * non-empty and overlaps nothing; returns r's index.
 */
size_t regions_insert(struct region_set *s, struct region *r);
/* Remove the region at index i (the record itself is the caller's). */
void regions_remove_at(struct region_set *s, size_t i);
/* Give the array back (records are the caller's); the set is empty afterwards. */
void regions_release(struct region_set *s, void (*release)(void *));
