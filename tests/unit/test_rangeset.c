/* Unit tests for kernel/lib/rangeset.c. */
#include "unit.h"
#include <k/rangeset.h>

static struct rangeset s;

#define RANGE(i, a, b) \
    do { \
        ck_assert_uint_eq(s.r[i].start, a); \
        ck_assert_uint_eq(s.r[i].end, b); \
    } while (0)

START_TEST(rangeset_add_merges)
{
    rangeset_init(&s);
    ck_assert_int_eq(rangeset_add(&s, 100, 200), 0);
    ck_assert_int_eq(rangeset_add(&s, 0, 50), 0);
    ck_assert_int_eq(rangeset_add(&s, 300, 400), 0);
    ck_assert_uint_eq(s.n, 3);
    RANGE(0, 0, 50);
    RANGE(1, 100, 200);
    RANGE(2, 300, 400);
    rangeset_add(&s, 150, 320); /* overlaps two */
    ck_assert_uint_eq(s.n, 2);
    RANGE(1, 100, 400);
    rangeset_add(&s, 50, 100); /* touches both sides */
    ck_assert_uint_eq(s.n, 1);
    RANGE(0, 0, 400);
    rangeset_add(&s, 10, 20); /* inside */
    rangeset_add(&s, 500, 500); /* empty */
    ck_assert_uint_eq(s.n, 1);
    ck_assert_uint_eq(rangeset_total(&s), 400);
}
END_TEST

START_TEST(rangeset_remove_splits)
{
    rangeset_init(&s);
    rangeset_add(&s, 0, 1000);
    rangeset_add(&s, 2000, 3000);
    ck_assert_int_eq(rangeset_remove(&s, 100, 200), 0);
    ck_assert_uint_eq(s.n, 3);
    RANGE(0, 0, 100);
    RANGE(1, 200, 1000);
    rangeset_remove(&s, 900, 2100); /* cuts the end of one and the start of another */
    RANGE(1, 200, 900);
    RANGE(2, 2100, 3000);
    rangeset_remove(&s, 0, 100); /* whole range */
    ck_assert_uint_eq(s.n, 2);
    rangeset_remove(&s, 0, UINT64_MAX);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(rangeset_full)
{
    rangeset_init(&s);
    for (uint64_t i = 0; i < RANGESET_MAX; i++)
        ck_assert_int_eq(rangeset_add(&s, i * 10, i * 10 + 5), 0);
    ck_assert_int_eq(rangeset_add(&s, 100000, 100001), -1);
    ck_assert_int_eq(rangeset_add(&s, 3, 12), 0); /* merge still works */
    ck_assert_uint_eq(s.n, RANGESET_MAX - 1);
    ck_assert_int_eq(rangeset_add(&s, 100000, 100001), 0);
    ck_assert_int_eq(rangeset_remove(&s, 21, 22), -1); /* split would overflow */
    ck_assert_uint_eq(s.r[1].start, 20);
    ck_assert_int_eq(rangeset_remove(&s, 20, 22), 0);  /* trim does not */
}
END_TEST

START_TEST(rangeset_queries)
{
    rangeset_init(&s);
    rangeset_add(&s, 0x1000, 0x5000);
    rangeset_add(&s, 0x9000, 0x20000);
    ck_assert(rangeset_contains(&s, 0x1000, 0x5000));
    ck_assert(!rangeset_contains(&s, 0x1000, 0x5001));
    ck_assert(!rangeset_contains(&s, 0x4000, 0xa000));
    ck_assert(!rangeset_contains(&s, 0x2000, 0x2000));
    ck_assert(rangeset_overlaps(&s, 0x4fff, 0x9001));
    ck_assert(!rangeset_overlaps(&s, 0x5000, 0x9000));
    uint64_t a = 0;
    ck_assert_int_eq(rangeset_find(&s, 0x4000, 0x1000, UINT64_MAX, &a), 0);
    ck_assert_uint_eq(a, 0x1000);
    ck_assert_int_eq(rangeset_find(&s, 0x4000, 0x10000, UINT64_MAX, &a), 0);
    ck_assert_uint_eq(a, 0x10000);
    ck_assert_int_eq(rangeset_find(&s, 0x5000, 0x1000, 0xe000, &a), 0);
    ck_assert_uint_eq(a, 0x9000);
    ck_assert_int_eq(rangeset_find(&s, 0x5000, 0x1000, 0xdfff, &a), -1);
    ck_assert_int_eq(rangeset_find(&s, 0x100000, 0x1000, UINT64_MAX, &a), -1);
}
END_TEST

START_TEST(rangeset_align)
{
    rangeset_init(&s);
    rangeset_add(&s, 0x10, 0x2010);
    rangeset_add(&s, 0x3001, 0x3fff); /* vanishes */
    rangeset_add(&s, UINT64_MAX - 5, UINT64_MAX); /* rounding up would overflow */
    rangeset_align_inward(&s, 0x1000);
    ck_assert_uint_eq(s.n, 1);
    RANGE(0, 0x1000, 0x2000);
}
END_TEST

Suite *suite_rangeset(void)
{
    Suite *s = suite_create("rangeset");
    unit_add(s, rangeset_add_merges);
    unit_add(s, rangeset_remove_splits);
    unit_add(s, rangeset_full);
    unit_add(s, rangeset_queries);
    unit_add(s, rangeset_align);
    return s;
}
