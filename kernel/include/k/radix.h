/*
 * Sparse arrays of 64-bit values indexed by page number (the pages of a
 * memory object): a radix tree of 512-slot nodes, as deep as the size needs
 * (one level up to 2 MiB of pages, four up to 2^36 pages). A zero value means
 * "absent". Nodes are allocated on demand by a caller-supplied function and
 * only freed by radix_destroy. Pure code, no locking (the owner serialises);
 * unit-tested on the host (tests/unit/test_radix.c).
 */
#pragma once
#include <stdint.h>

#define RADIX_FANOUT 512
#define RADIX_NODE_BYTES (RADIX_FANOUT * 8)

struct radix {
    uint64_t *root; /* NULL while empty */
    unsigned levels;
};

/* An empty tree for indexes [0, nslots). */
void radix_init(struct radix *r, uint64_t nslots);
/*
 * Room for indexes [0, nslots): levels are added on top (the old root becomes the new root's
 * first child), so every value keeps its index. Returns 0, or -1 when alloc fails (every value
 * still in place; room for fewer indexes than asked). Never shrinks.
 */
int radix_grow(struct radix *r, uint64_t nslots, void *(*alloc)(void *ctx), void *ctx);
/* The value at i, or 0. */
uint64_t radix_get(const struct radix *r, uint64_t i);
/*
 * The slot for i, creating missing nodes with alloc(ctx), which returns a
 * zeroed RADIX_NODE_BYTES node or NULL. Returns NULL when alloc fails (the
 * nodes already created stay, empty) or, with alloc NULL, when absent.
 */
uint64_t *radix_slot(struct radix *r, uint64_t i, void *(*alloc)(void *ctx), void *ctx);
/*
 * Call fn for every non-zero slot in increasing index order. fn may change
 * the value in *slot. A non-zero return from fn stops the walk and is
 * returned; otherwise 0.
 */
int radix_walk(const struct radix *r, int (*fn)(uint64_t i, uint64_t *slot, void *ctx),
               void *ctx);
/* Free every node with release(node, ctx); the tree is empty afterwards. */
void radix_destroy(struct radix *r, void (*release)(void *node, void *ctx), void *ctx);
