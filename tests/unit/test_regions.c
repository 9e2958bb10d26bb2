/* Unit tests for kernel/lib/regions.c: sorted region arrays of an address space. */
#include "unit.h"
#include <k/regions.h>
#include <stdlib.h>

static struct region_set s;
static struct region recs[64];

static struct region *add(int k, uint64_t start, uint64_t end)
{
    recs[k] = (struct region){start, end};
    ck_assert_int_eq(regions_reserve(&s, 1, malloc, free), 0);
    ck_assert(regions_range_free(&s, start, end));
    regions_insert(&s, &recs[k]);
    return &recs[k];
}

static void check_sorted(void)
{
    for (size_t i = 1; i < s.n; i++)
        ck_assert_uint_le(s.v[i - 1]->end, s.v[i]->start);
}

START_TEST(regions_insert_find)
{
    regions_init(&s);
    ck_assert_ptr_null(regions_find(&s, 0x1000));
    add(0, 0x5000, 0x6000);
    add(1, 0x1000, 0x3000);
    add(2, 0x8000, 0x9000);
    ck_assert_uint_eq(s.n, 3);
    check_sorted();
    ck_assert_ptr_eq(regions_find(&s, 0x1000), &recs[1]);
    ck_assert_ptr_eq(regions_find(&s, 0x2fff), &recs[1]);
    ck_assert_ptr_null(regions_find(&s, 0x3000));
    ck_assert_ptr_eq(regions_find(&s, 0x5800), &recs[0]);
    ck_assert_ptr_null(regions_find(&s, 0x9000));
    ck_assert(!regions_range_free(&s, 0x2000, 0x4000));
    ck_assert(regions_range_free(&s, 0x3000, 0x5000));
    ck_assert(!regions_range_free(&s, 0x4000, 0x5001));
    ck_assert(regions_range_free(&s, 0x6000, 0x8000));
    ck_assert(!regions_range_free(&s, 0, 0x10000));
    ck_assert_uint_eq(regions_lower_bound(&s, 0), 0);
    ck_assert_uint_eq(regions_lower_bound(&s, 0x3000), 1);
    ck_assert_uint_eq(regions_lower_bound(&s, 0x9000), 3);
    regions_remove_at(&s, 1);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_ptr_null(regions_find(&s, 0x5800));
    ck_assert_ptr_eq(regions_find(&s, 0x8000), &recs[2]);
    regions_release(&s, free);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(regions_gaps)
{
    uint64_t a;
    regions_init(&s);
    ck_assert_int_eq(regions_find_gap(&s, 0x1000, 0x1000, 0x10000, 0x20000, &a), 0);
    ck_assert_uint_eq(a, 0x10000);
    add(0, 0x10000, 0x12000);
    add(1, 0x13000, 0x14000);
    ck_assert_int_eq(regions_find_gap(&s, 0x1000, 0x1000, 0x10000, 0x20000, &a), 0);
    ck_assert_uint_eq(a, 0x12000);
    ck_assert_int_eq(regions_find_gap(&s, 0x2000, 0x1000, 0x10000, 0x20000, &a), 0);
    ck_assert_uint_eq(a, 0x14000);
    ck_assert_int_eq(regions_find_gap(&s, 0xc000, 0x1000, 0x10000, 0x20000, &a), 0);
    ck_assert_uint_eq(a, 0x14000);
    ck_assert_int_eq(regions_find_gap(&s, 0xd000, 0x1000, 0x10000, 0x20000, &a), -1);
    ck_assert_int_eq(regions_find_gap(&s, 0x1000, 0x10000, 0x10000, 0x40000, &a), 0);
    ck_assert_uint_eq(a, 0x20000);
    /* lo inside a region; lo unaligned */
    ck_assert_int_eq(regions_find_gap(&s, 0x1000, 0x1000, 0x11000, 0x20000, &a), 0);
    ck_assert_uint_eq(a, 0x12000);
    ck_assert_int_eq(regions_find_gap(&s, 0x1000, 0x1000, 0x12001, 0x20000, &a), 0);
    ck_assert_uint_eq(a, 0x14000);
    /* no wrap near the top of the address range */
    ck_assert_int_eq(regions_find_gap(&s, 0x2000, 0x1000, UINT64_MAX - 0x1000, UINT64_MAX, &a),
                     -1);
    ck_assert_int_eq(regions_find_gap(&s, 0, 0x1000, 0, 0x1000, &a), -1);
    regions_release(&s, free);
}
END_TEST

/* Random model: a bitmap of 64 pages against the region set. */
START_TEST(regions_random_model)
{
    unsigned char used[64] = {0};
    int slot_of[64];
    regions_init(&s);
    srand(7);
    int nrec = 0;
    for (int round = 0; round < 2000; round++) {
        uint64_t p = (uint64_t)(rand() % 64), len = 1 + (uint64_t)(rand() % 4);
        if (p + len > 64)
            len = 64 - p;
        int free_model = 1;
        for (uint64_t k = p; k < p + len; k++)
            free_model &= !used[k];
        ck_assert_int_eq(regions_range_free(&s, p << 12, (p + len) << 12), free_model);
        if (free_model && nrec < 64) {
            int k;
            for (k = 0; k < 64 && recs[k].end; k++)
                ;
            add(k, p << 12, (p + len) << 12);
            for (uint64_t q = p; q < p + len; q++)
                used[q] = 1, slot_of[q] = k;
            nrec++;
        } else if (!free_model && (rand() & 1)) {
            struct region *r = regions_find(&s, p << 12);
            if (r) {
                size_t i = regions_lower_bound(&s, r->start);
                ck_assert_ptr_eq(s.v[i], r);
                for (uint64_t q = r->start >> 12; q < r->end >> 12; q++)
                    used[q] = 0;
                regions_remove_at(&s, i);
                r->start = r->end = 0;
                nrec--;
            }
        }
        check_sorted();
        for (uint64_t q = 0; q < 64; q++) {
            struct region *r = regions_find(&s, (q << 12) + 5);
            if (used[q])
                ck_assert_ptr_eq(r, &recs[slot_of[q]]);
            else
                ck_assert_ptr_null(r);
        }
    }
    regions_release(&s, free);
    for (int k = 0; k < 64; k++)
        recs[k] = (struct region){0, 0};
}
END_TEST

Suite *suite_regions(void)
{
    Suite *s = suite_create("regions");
    unit_add(s, regions_insert_find);
    unit_add(s, regions_gaps);
    unit_add(s, regions_random_model);
    return s;
}
