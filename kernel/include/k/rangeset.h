/*
 * Sets of physical address ranges: a small sorted array of disjoint,
 * non-adjacent half-open intervals [start, end). The PMM and the paging code
 * use it to turn the loader's memory map (unsorted, possibly overlapping) into
 * clean lists. Pure code, unit-tested on the host.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define RANGESET_MAX 256

struct range {
    uint64_t start;
    uint64_t end; /* exclusive */
};

struct rangeset {
    size_t n;
    struct range r[RANGESET_MAX];
};

/* Make the set empty. */
void rangeset_init(struct rangeset *s);
/*
 * Add [start, end), merging with overlapping or touching ranges. An empty
 * range (end <= start) is ignored. Returns 0, or -1 (set unchanged) if the
 * set is full.
 */
int rangeset_add(struct rangeset *s, uint64_t start, uint64_t end);
/*
 * Remove [start, end) from the set. Returns 0, or -1 (set unchanged) if
 * splitting a range would overflow the set.
 */
int rangeset_remove(struct rangeset *s, uint64_t start, uint64_t end);
/* True if [start, end) lies entirely inside one range of the set (empty ranges: false). */
int rangeset_contains(const struct rangeset *s, uint64_t start, uint64_t end);
/* True if [start, end) overlaps any range of the set. */
int rangeset_overlaps(const struct rangeset *s, uint64_t start, uint64_t end);
/* Shrink every range inward to multiples of align (a power of two); drop what vanishes. */
void rangeset_align_inward(struct rangeset *s, uint64_t align);
/* Total bytes covered. */
uint64_t rangeset_total(const struct rangeset *s);
/*
 * Find the lowest address a, aligned to align (a power of two), with
 * [a, a+size) inside one range and a+size <= limit. Returns 0 and sets *out,
 * or -1 if there is none.
 */
int rangeset_find(const struct rangeset *s, uint64_t size, uint64_t align, uint64_t limit,
                  uint64_t *out);
