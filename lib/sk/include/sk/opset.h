/*
 * A fixed-size set of pointers (open addressing, linear probing, deletion by
 * backward shift, so no tombstones). The dispatcher keeps its in-flight ops in
 * one to check that a completion's tag is a live op before following it. The
 * table has a power-of-two number of slots, at least twice the most entries it
 * will hold, so a probe sequence always ends at an empty slot. Pure code: the
 * host unit tests compile it too.
 */
#pragma once
#include <stdint.h>

struct sk_opset {
    void **slot;   /* mask + 1 slots; NULL is empty */
    uint32_t mask;
    uint32_t count;
};

/* Slots for a set that holds at most max entries: a power of two >= 2 * max, >= 8. */
uint32_t sk_opset_slots(uint32_t max);
/* Use slot[0 .. slots) (zeroed by the caller); slots a power of two. */
void sk_opset_init(struct sk_opset *s, void **slot, uint32_t slots);
/* Add p (not NULL, not present). Returns 0, or -1 if the set is full. */
int sk_opset_insert(struct sk_opset *s, const void *p);
/* Remove p; returns 1 if it was there, 0 if not. */
int sk_opset_remove(struct sk_opset *s, const void *p);
/* 1 if p is in the set. */
int sk_opset_contains(const struct sk_opset *s, const void *p);
