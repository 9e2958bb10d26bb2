/* Unit tests for kernel/lib/buddy.c, including random sequences checked against a model. */
#include "unit.h"
#include <k/buddy.h>
#include <stdlib.h>
#include <string.h>

#define SPAN 4096 /* frames in the test span (4 max-order blocks) */
#define BASE 0x400 /* aligned to the largest block */

static struct buddy b;
static struct buddy_page meta[SPAN];

static void setup_all_free(void)
{
    ck_assert_int_eq(buddy_init(&b, meta, BASE, SPAN), 0);
    ck_assert_int_eq(buddy_add_range(&b, BASE, SPAN), 0);
}

START_TEST(buddy_init_checks)
{
    ck_assert_int_eq(buddy_init(&b, meta, BASE + 1, SPAN), -1);
    ck_assert_int_eq(buddy_init(&b, meta, BASE, SPAN), 0);
    ck_assert_uint_eq(b.free_pages, 0);
    ck_assert_uint_eq(buddy_alloc(&b, 0, 0), BUDDY_NONE);
    ck_assert_int_eq(buddy_add_range(&b, BASE - 1, 2), -1);
    ck_assert_int_eq(buddy_add_range(&b, BASE + SPAN - 1, 2), -1);
    ck_assert_int_eq(buddy_add_range(&b, BASE + 10, 20), 0);
    ck_assert_int_eq(buddy_add_range(&b, BASE + 29, 2), -1); /* overlaps managed frames */
    ck_assert_uint_eq(b.free_pages, 20);
    ck_assert_uint_eq(b.total_pages, 20);
}
END_TEST

START_TEST(buddy_add_builds_largest_blocks)
{
    setup_all_free();
    ck_assert_uint_eq(b.free_pages, SPAN);
    ck_assert_uint_eq(b.free_blocks[BUDDY_MAX_ORDER], SPAN >> BUDDY_MAX_ORDER);
    for (unsigned o = 0; o < BUDDY_MAX_ORDER; o++)
        ck_assert_uint_eq(b.free_blocks[o], 0);
    /* two halves added separately coalesce */
    buddy_init(&b, meta, BASE, SPAN);
    buddy_add_range(&b, BASE + 512, 512);
    buddy_add_range(&b, BASE, 512);
    ck_assert_uint_eq(b.free_blocks[BUDDY_MAX_ORDER], 1);
    /* an odd range is cut into aligned blocks */
    buddy_init(&b, meta, BASE, SPAN);
    buddy_add_range(&b, BASE + 3, 10); /* 3, 4-7, 8-11, 12 */
    ck_assert_uint_eq(b.free_blocks[0], 2);
    ck_assert_uint_eq(b.free_blocks[2], 2);
}
END_TEST

START_TEST(buddy_alloc_orders_aligned)
{
    setup_all_free();
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
        uint64_t p = buddy_alloc(&b, o, 0);
        ck_assert_uint_ne(p, BUDDY_NONE);
        ck_assert_uint_eq(p & ((1u << o) - 1), 0);
        ck_assert(p >= BASE && p + (1u << o) <= BASE + SPAN);
    }
    ck_assert_uint_eq(b.free_pages, SPAN - ((2u << BUDDY_MAX_ORDER) - 1));
    ck_assert_uint_eq(buddy_alloc(&b, BUDDY_MAX_ORDER + 1, 0), BUDDY_NONE);
}
END_TEST

START_TEST(buddy_coalesce_on_free)
{
    setup_all_free();
    uint64_t p[8];
    for (int i = 0; i < 8; i++)
        p[i] = buddy_alloc(&b, 0, 0);
    ck_assert_uint_eq(b.free_pages, SPAN - 8);
    for (int i = 7; i >= 0; i--)
        ck_assert_int_eq(buddy_free(&b, p[i], 0), 0);
    ck_assert_uint_eq(b.free_pages, SPAN);
    ck_assert_uint_eq(b.free_blocks[BUDDY_MAX_ORDER], SPAN >> BUDDY_MAX_ORDER);
}
END_TEST

START_TEST(buddy_bad_frees)
{
    setup_all_free();
    uint64_t p = buddy_alloc(&b, 2, 0);
    ck_assert_int_eq(buddy_free(&b, p, 1), -1);     /* wrong order */
    ck_assert_int_eq(buddy_free(&b, p + 1, 0), -1); /* not a head */
    ck_assert_int_eq(buddy_free(&b, BASE + SPAN, 0), -1);
    ck_assert_int_eq(buddy_free(&b, p, 2), 0);
    ck_assert_int_eq(buddy_free(&b, p, 2), -1);     /* double free */
    ck_assert_uint_eq(b.free_pages, SPAN);
}
END_TEST

START_TEST(buddy_exhaustion)
{
    ck_assert_int_eq(buddy_init(&b, meta, BASE, SPAN), 0);
    buddy_add_range(&b, BASE + 100, 300);
    uint64_t n = 0;
    while (buddy_alloc(&b, 0, 0) != BUDDY_NONE)
        n++;
    ck_assert_uint_eq(n, 300);
    ck_assert_uint_eq(b.free_pages, 0);
    ck_assert_uint_eq(buddy_alloc(&b, 0, 0), BUDDY_NONE);
    ck_assert_uint_eq(buddy_alloc(&b, 3, 0), BUDDY_NONE);
}
END_TEST

START_TEST(buddy_tags)
{
    setup_all_free();
    uint64_t p = buddy_alloc(&b, 3, 7), head = 0;
    unsigned order = 0;
    uint8_t tag = 0;
    ck_assert_int_eq(buddy_block_of(&b, p + 5, &head, &order, &tag), 0);
    ck_assert_uint_eq(head, p);
    ck_assert_uint_eq(order, 3);
    ck_assert_uint_eq(tag, 7);
    ck_assert_int_eq(buddy_block_of(&b, p + 8, NULL, NULL, NULL), -1);
    uint64_t q = buddy_alloc(&b, 2, 0);
    ck_assert_int_eq(buddy_block_of(&b, q, &head, &order, &tag), 0);
    ck_assert_uint_eq(tag, 0);
    ck_assert_int_eq(buddy_block_of(&b, q + 1, NULL, NULL, NULL), -1); /* untagged tail */
    buddy_free(&b, p, 3);
    ck_assert_int_eq(buddy_block_of(&b, p + 5, NULL, NULL, NULL), -1);
    ck_assert_int_eq(buddy_block_of(&b, p, NULL, NULL, NULL), -1);
}
END_TEST

/* Random allocations and frees checked against a per-frame ownership model. */
START_TEST(buddy_random_model)
{
    static int owner[SPAN]; /* 0 = free or reserved, else allocation id */
    static char usable[SPAN];
    struct blk { uint64_t pfn; unsigned order; int tag; } live[2048];
    int nlive = 0, next_id = 1;
    srand(12345);
    buddy_init(&b, meta, BASE, SPAN);
    memset(owner, 0, sizeof owner);
    memset(usable, 0, sizeof usable);
    /* a few usable ranges with holes, added in a scrambled order */
    uint64_t ranges[][2] = {{2000, 4000}, {1, 700}, {900, 1500}, {1500, 1990}};
    for (int r = 0; r < 4; r++) {
        ck_assert_int_eq(buddy_add_range(&b, BASE + ranges[r][0], ranges[r][1] - ranges[r][0]), 0);
        for (uint64_t i = ranges[r][0]; i < ranges[r][1]; i++)
            usable[i] = 1;
    }
    uint64_t total = b.total_pages, model_free = total;
    ck_assert_uint_eq(total, 3789);
    for (int step = 0; step < 20000; step++) {
        if (nlive < 2048 && (rand() % 3 != 0 || nlive == 0)) {
            unsigned order = (unsigned)(rand() % 100 < 80 ? rand() % 3 : rand() % (BUDDY_MAX_ORDER + 1));
            int tag = rand() % 2;
            uint64_t p = buddy_alloc(&b, order, (uint8_t)tag);
            if (p == BUDDY_NONE)
                continue;
            uint64_t i = p - BASE;
            ck_assert_uint_eq(p & ((1u << order) - 1), 0);
            ck_assert(i + (1u << order) <= SPAN);
            for (uint64_t k = i; k < i + (1u << order); k++) {
                if (!usable[k])
                    ck_abort_msg("handed out reserved frame %lu", (unsigned long)k);
                if (owner[k])
                    ck_abort_msg("frame %lu handed out twice", (unsigned long)k);
                owner[k] = next_id;
            }
            next_id++;
            model_free -= 1u << order;
            live[nlive++] = (struct blk){p, order, tag};
        } else {
            int j = rand() % nlive;
            struct blk x = live[j];
            live[j] = live[--nlive];
            if (x.tag) {
                uint64_t head = 0;
                ck_assert_int_eq(buddy_block_of(&b, x.pfn + (1u << x.order) - 1, &head, NULL, NULL), 0);
                ck_assert_uint_eq(head, x.pfn);
            }
            ck_assert_int_eq(buddy_free(&b, x.pfn, x.order), 0);
            for (uint64_t k = x.pfn - BASE; k < x.pfn - BASE + (1u << x.order); k++)
                owner[k] = 0;
            model_free += 1u << x.order;
        }
        ck_assert_uint_eq(b.free_pages, model_free);
    }
    while (nlive) {
        nlive--;
        ck_assert_int_eq(buddy_free(&b, live[nlive].pfn, live[nlive].order), 0);
    }
    ck_assert_uint_eq(b.free_pages, total);
    /* fully coalesced again: the block [2048, 3072) is whole */
    uint64_t big = 0, got;
    while ((got = buddy_alloc(&b, BUDDY_MAX_ORDER, 0)) != BUDDY_NONE)
        big++;
    ck_assert_uint_eq(big, 1);
}
END_TEST

Suite *suite_buddy(void)
{
    Suite *s = suite_create("buddy");
    unit_add(s, buddy_init_checks);
    unit_add(s, buddy_add_builds_largest_blocks);
    unit_add(s, buddy_alloc_orders_aligned);
    unit_add(s, buddy_coalesce_on_free);
    unit_add(s, buddy_bad_frees);
    unit_add(s, buddy_exhaustion);
    unit_add(s, buddy_tags);
    unit_add(s, buddy_random_model);
    return s;
}
