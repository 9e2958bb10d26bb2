/*
 * Radix trees of 512-slot nodes (see k/radix.h). Inner slots hold node
 * pointers, the last level holds the values.
 */
#include <k/radix.h>
#include <stddef.h>

#define BITS 9

/* Levels needed for indexes [0, nslots) (at most 7: 63 bits of index). */
static unsigned levels_for(uint64_t nslots)
{
    unsigned levels = 1;
    while (levels < 7 && nslots > 1 && ((nslots - 1) >> (BITS * levels)))
        levels++;
    return levels;
}

void radix_init(struct radix *r, uint64_t nslots)
{
    r->root = NULL;
    r->levels = levels_for(nslots);
}

int radix_grow(struct radix *r, uint64_t nslots, void *(*alloc)(void *ctx), void *ctx)
{
    unsigned want = levels_for(nslots);
    if (want <= r->levels)
        return 0;
    if (!r->root) {
        r->levels = want;
        return 0;
    }
    /* one level at a time: after a failure the tree holds every value where it was, with
       room for fewer indexes than asked (a larger tree than before is harmless) */
    while (r->levels < want) {
        uint64_t *top = alloc(ctx);
        if (!top)
            return -1;
        top[0] = (uint64_t)(uintptr_t)r->root;
        r->root = top;
        r->levels++;
    }
    return 0;
}

static unsigned index_at(uint64_t i, unsigned level)
{
    return (unsigned)(i >> (BITS * level)) & (RADIX_FANOUT - 1);
}

uint64_t *radix_slot(struct radix *r, uint64_t i, void *(*alloc)(void *ctx), void *ctx)
{
    if (!r->root) {
        if (!alloc || !(r->root = alloc(ctx)))
            return NULL;
    }
    uint64_t *node = r->root;
    for (unsigned level = r->levels - 1; level > 0; level--) {
        uint64_t *slot = &node[index_at(i, level)];
        if (!*slot) {
            uint64_t *child = alloc ? alloc(ctx) : NULL;
            if (!child)
                return NULL;
            *slot = (uint64_t)(uintptr_t)child;
        }
        node = (uint64_t *)(uintptr_t)*slot;
    }
    return &node[index_at(i, 0)];
}

uint64_t radix_get(const struct radix *r, uint64_t i)
{
    uint64_t *slot = radix_slot((struct radix *)r, i, NULL, NULL);
    return slot ? *slot : 0;
}

static int walk(uint64_t *node, unsigned level, uint64_t base,
                int (*fn)(uint64_t i, uint64_t *slot, void *ctx), void *ctx)
{
    for (unsigned k = 0; k < RADIX_FANOUT; k++) {
        if (!node[k])
            continue;
        uint64_t i = base | ((uint64_t)k << (BITS * level));
        int rc = level ? walk((uint64_t *)(uintptr_t)node[k], level - 1, i, fn, ctx)
                       : fn(i, &node[k], ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int radix_walk(const struct radix *r, int (*fn)(uint64_t i, uint64_t *slot, void *ctx),
               void *ctx)
{
    return r->root ? walk(r->root, r->levels - 1, 0, fn, ctx) : 0;
}

static void destroy(uint64_t *node, unsigned level, void (*release)(void *node, void *ctx),
                    void *ctx)
{
    if (level)
        for (unsigned k = 0; k < RADIX_FANOUT; k++)
            if (node[k])
                destroy((uint64_t *)(uintptr_t)node[k], level - 1, release, ctx);
    release(node, ctx);
}

void radix_destroy(struct radix *r, void (*release)(void *node, void *ctx), void *ctx)
{
    if (r->root)
        destroy(r->root, r->levels - 1, release, ctx);
    r->root = NULL;
}
