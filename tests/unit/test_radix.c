/* Unit tests for kernel/lib/radix.c: sparse page arrays of memory objects. */
#include "unit.h"
#include <k/radix.h>
#include <stdlib.h>

static int nodes;

static void *node_alloc(void *ctx)
{
    (void)ctx;
    nodes++;
    return calloc(RADIX_FANOUT, 8);
}

static void *node_alloc_fail(void *ctx)
{
    int *budget = ctx;
    if (*budget == 0)
        return NULL;
    (*budget)--;
    return node_alloc(NULL);
}

static void node_free(void *node, void *ctx)
{
    (void)ctx;
    nodes--;
    free(node);
}

START_TEST(radix_levels)
{
    struct radix r;
    radix_init(&r, 0);
    ck_assert_uint_eq(r.levels, 1);
    radix_init(&r, 1);
    ck_assert_uint_eq(r.levels, 1);
    radix_init(&r, 512);
    ck_assert_uint_eq(r.levels, 1);
    radix_init(&r, 513);
    ck_assert_uint_eq(r.levels, 2);
    radix_init(&r, 512 * 512);
    ck_assert_uint_eq(r.levels, 2);
    radix_init(&r, (1ull << 40) >> 12); /* SK_MEM_MAX_SIZE in pages */
    ck_assert_uint_eq(r.levels, 4);
}
END_TEST

/* Growing keeps every value at its index; a failed growth keeps them too. */
START_TEST(radix_grow_keeps_values)
{
    struct radix r;
    radix_init(&r, 4);
    ck_assert_uint_eq(radix_grow(&r, 512, node_alloc, NULL), 0);
    ck_assert_uint_eq(r.levels, 1);
    ck_assert_uint_eq(radix_grow(&r, 1ull << 20, node_alloc, NULL), 0);
    ck_assert_uint_eq(r.levels, 3);
    ck_assert_ptr_null(r.root); /* empty: only the shape changed */
    radix_init(&r, 4);
    for (uint64_t i = 0; i < 4; i++)
        *radix_slot(&r, i, node_alloc, NULL) = 100 + i;
    ck_assert_uint_eq(radix_grow(&r, 1ull << 28, node_alloc, NULL), 0);
    ck_assert_uint_eq(r.levels, 4);
    for (uint64_t i = 0; i < 4; i++)
        ck_assert_uint_eq(radix_get(&r, i), 100 + i);
    *radix_slot(&r, (1ull << 28) - 1, node_alloc, NULL) = 7;
    ck_assert_uint_eq(radix_get(&r, (1ull << 28) - 1), 7);
    ck_assert_uint_eq(radix_get(&r, 3), 103);
    radix_destroy(&r, node_free, NULL);
    ck_assert_int_eq(nodes, 0);

    radix_init(&r, 4);
    *radix_slot(&r, 2, node_alloc, NULL) = 42;
    int budget = 1; /* one new level of the two needed */
    ck_assert_int_eq(radix_grow(&r, 1ull << 20, node_alloc_fail, &budget), -1);
    ck_assert_uint_eq(r.levels, 2);
    ck_assert_uint_eq(radix_get(&r, 2), 42);
    ck_assert_uint_eq(radix_grow(&r, 1ull << 20, node_alloc, NULL), 0);
    ck_assert_uint_eq(radix_get(&r, 2), 42);
    radix_destroy(&r, node_free, NULL);
    ck_assert_int_eq(nodes, 0);
}
END_TEST

static int sum_walk(uint64_t i, uint64_t *slot, void *ctx)
{
    uint64_t *acc = ctx;
    ck_assert_uint_eq(*slot, i * 3 + 1);
    ck_assert_uint_ge(i, acc[1]); /* increasing order */
    acc[1] = i;
    acc[0]++;
    return i == 0x3ffff ? 7 : 0;
}

START_TEST(radix_set_get_walk)
{
    struct radix r;
    nodes = 0;
    radix_init(&r, 1u << 20);
    ck_assert_uint_eq(r.levels, 3);
    ck_assert_uint_eq(radix_get(&r, 5), 0);
    ck_assert_ptr_null(radix_slot(&r, 5, NULL, NULL));
    uint64_t idx[] = {0, 1, 511, 512, 0x3ffff, 0xfffff};
    for (int k = 0; k < 6; k++) {
        uint64_t *slot = radix_slot(&r, idx[k], node_alloc, NULL);
        ck_assert_ptr_nonnull(slot);
        *slot = idx[k] * 3 + 1;
    }
    for (int k = 0; k < 6; k++)
        ck_assert_uint_eq(radix_get(&r, idx[k]), idx[k] * 3 + 1);
    ck_assert_uint_eq(radix_get(&r, 2), 0);
    ck_assert_uint_eq(radix_get(&r, 0x80000), 0);
    uint64_t acc[2] = {0, 0};
    ck_assert_int_eq(radix_walk(&r, sum_walk, acc), 7); /* stopped at 0x3ffff */
    ck_assert_uint_eq(acc[0], 5);
    radix_destroy(&r, node_free, NULL);
    ck_assert_int_eq(nodes, 0);
    ck_assert_uint_eq(radix_get(&r, 0), 0);
}
END_TEST

START_TEST(radix_alloc_failure)
{
    struct radix r;
    nodes = 0;
    radix_init(&r, 1u << 20);
    int budget = 2;
    ck_assert_ptr_null(radix_slot(&r, 12345, node_alloc_fail, &budget));
    ck_assert_int_eq(nodes, 2);
    budget = 1;
    ck_assert_ptr_nonnull(radix_slot(&r, 12345, node_alloc_fail, &budget));
    radix_destroy(&r, node_free, NULL);
    ck_assert_int_eq(nodes, 0);
}
END_TEST

Suite *suite_radix(void)
{
    Suite *s = suite_create("radix");
    unit_add(s, radix_levels);
    unit_add(s, radix_grow_keeps_values);
    unit_add(s, radix_set_get_walk);
    unit_add(s, radix_alloc_failure);
    return s;
}
