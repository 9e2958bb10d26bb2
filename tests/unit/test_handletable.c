/* Unit tests for the handle table (kernel/lib/handletable.c). */
#include "unit.h"
#include <stdlib.h>
#include <k/handletable.h>

static int64_t add(struct handle_table *t, void *o, uint32_t r)
{
    ck_assert_int_eq(handle_table_reserve(t, 1), 0);
    return handle_table_add(t, o, r);
}

/* An allocator that fails once `budget` allocations have been made (counting live blocks). */
static long budget = -1, blocks;
static void *test_alloc(size_t size)
{
    if (budget == 0)
        return NULL;
    if (budget > 0)
        budget--;
    blocks++;
    return malloc(size);
}
static void test_free(void *p)
{
    if (p)
        blocks--;
    free(p);
}

START_TEST(handles_never_reused)
{
    struct handle_table t;
    handle_table_init(&t, test_alloc, test_free);
    int obj[4];
    int64_t a = add(&t, &obj[0], 1), b = add(&t, &obj[1], 2);
    ck_assert_int_gt(a, 0);
    ck_assert_int_gt(b, a);
    ck_assert_ptr_eq(handle_table_remove(&t, a, NULL), &obj[0]);
    ck_assert_ptr_null(handle_table_remove(&t, a, NULL));
    ck_assert_ptr_null(handle_table_find(&t, a));
    int64_t c = add(&t, &obj[2], 3);
    ck_assert_int_gt(c, b);
    uint32_t r = 0;
    ck_assert_ptr_eq(handle_table_remove(&t, b, &r), &obj[1]);
    ck_assert_uint_eq(r, 2);
    ck_assert_ptr_null(handle_table_find(&t, 0));
    ck_assert_ptr_null(handle_table_find(&t, -1));
    ck_assert_ptr_null(handle_table_find(&t, c + 1));
    handle_table_release(&t);
    ck_assert_int_eq(blocks, 0);
}
END_TEST

/* Random adds and removes against a reference model, crossing growth and compaction. */
START_TEST(handles_random_model)
{
    enum { N = 5000 };
    static void *model[N + 1];
    static int64_t ids[N + 1];
    struct handle_table t;
    handle_table_init(&t, test_alloc, test_free);
    srand(7);
    int nids = 0, live = 0;
    for (int step = 0; step < 40000; step++) {
        if (nids < N && (live == 0 || rand() % 3)) {
            void *o = (void *)(uintptr_t)(step * 16 + 16);
            int64_t h = add(&t, o, (uint32_t)step);
            ck_assert_int_eq(h, nids + 1);
            ids[nids] = h;
            model[nids++] = o;
            live++;
        } else if (nids) {
            int i = rand() % nids;
            void *got = handle_table_remove(&t, ids[i], NULL);
            ck_assert_ptr_eq(got, model[i]);
            if (model[i])
                live--;
            model[i] = NULL;
        }
        if (nids) { /* a lookup at every step: the cache across growth and compaction */
            int i = rand() % nids;
            struct handle_entry *e = handle_table_find(&t, ids[i]);
            ck_assert_ptr_eq(e ? e->object : NULL, model[i]);
        }
        if (step % 997 == 0) {
            for (int i = 0; i < nids; i++) {
                struct handle_entry *e = handle_table_find(&t, ids[i]);
                ck_assert_ptr_eq(e ? e->object : NULL, model[i]);
            }
            ck_assert_uint_eq(t.live, (size_t)live);
        }
    }
    handle_table_release(&t);
    ck_assert_int_eq(blocks, 0);
}
END_TEST

/* Many handles in many chunks: all found, removed in a scattered order, the memory given back. */
START_TEST(handles_many_in_chunks)
{
    enum { N = 1 << 17 };
    struct handle_table t;
    handle_table_init(&t, test_alloc, test_free);
    ck_assert_int_eq(handle_table_reserve(&t, N), 0);
    for (uintptr_t i = 0; i < N; i++)
        ck_assert_int_eq(handle_table_add(&t, (void *)(i * 8 + 8), 0), (int64_t)i + 1);
    ck_assert_uint_eq(t.reserved, 0);
    for (uintptr_t i = 0; i < N; i += 4099)
        ck_assert_ptr_eq(handle_table_find(&t, (int64_t)i + 1)->object, (void *)(i * 8 + 8));
    for (uintptr_t k = 0; k < N; k++) {
        uintptr_t i = (k * 7919) % N; /* 7919 is prime: every index once */
        ck_assert_ptr_eq(handle_table_remove(&t, (int64_t)i + 1, NULL), (void *)(i * 8 + 8));
    }
    ck_assert_uint_eq(t.live, 0);
    ck_assert_uint_le(t.nchunks, 2);
    int64_t h = add(&t, &t, 1);
    ck_assert_int_eq(h, N + 1);
    ck_assert_ptr_eq(handle_table_find(&t, h)->object, &t);
    handle_table_release(&t);
    ck_assert_int_eq(blocks, 0);
}
END_TEST

/* A reservation that runs out of memory part way promises nothing; entries stay intact; a
   moved table keeps working. */
START_TEST(handles_reserve_fails_cleanly)
{
    struct handle_table t, m;
    handle_table_init(&t, test_alloc, test_free);
    int obj;
    for (int i = 0; i < 300; i++)
        add(&t, &obj, (uint32_t)i);
    for (long b = 0; b < 4; b++) {
        budget = b;
        ck_assert_int_eq(handle_table_reserve(&t, 10 * HT_CHUNK), -1);
        budget = -1;
        ck_assert_uint_eq(t.reserved, 0);
        for (int i = 0; i < 300; i++)
            ck_assert_uint_eq(handle_table_find(&t, i + 1)->rights, (uint32_t)i);
    }
    handle_table_move(&m, &t);
    ck_assert_uint_eq(t.live, 0);
    ck_assert_ptr_null(handle_table_find(&t, 5));
    ck_assert_int_gt(add(&t, &obj, 0), 300); /* values never reused, even in a moved-from table */
    ck_assert_uint_eq(handle_table_find(&m, 250)->rights, 249);
    ck_assert_int_eq(add(&m, &obj, 7), 301);
    handle_table_release(&t);
    handle_table_release(&m);
    ck_assert_int_eq(blocks, 0);
}
END_TEST

/* Lookups remembered in the cache stay right when chunk 0 is reallocated, when entries are
   compacted and when handles are removed (freed chunks would be a use after free under ASan). */
START_TEST(handles_cache_follows_moves)
{
    struct handle_table t;
    handle_table_init(&t, test_alloc, test_free);
    static int obj[200];
    int64_t h[200];
    for (int i = 0; i < 10; i++)
        h[i] = add(&t, &obj[i], (uint32_t)i);
    for (int i = 0; i < 10; i++)
        ck_assert_ptr_eq(handle_table_find(&t, h[i])->object, &obj[i]);
    for (int i = 10; i < 200; i++) /* chunk 0 grows (reallocated) several times */
        h[i] = add(&t, &obj[i], (uint32_t)i);
    for (int i = 0; i < 200; i++) {
        ck_assert_ptr_eq(handle_table_find(&t, h[i])->object, &obj[i]);
        ck_assert_uint_eq(handle_table_find(&t, h[i])->rights, (uint32_t)i);
    }
    /* a removed handle is not found from the cache */
    ck_assert_ptr_eq(handle_table_remove(&t, h[3], NULL), &obj[3]);
    ck_assert_ptr_null(handle_table_find(&t, h[3]));
    /* remove all but every 16th: compaction moves the survivors */
    for (int i = 0; i < 200; i++)
        if (i % 16 && i != 3)
            ck_assert_ptr_eq(handle_table_remove(&t, h[i], NULL), &obj[i]);
    ck_assert_uint_lt(t.used, 200);
    for (int i = 0; i < 200; i++) {
        struct handle_entry *e = handle_table_find(&t, h[i]);
        ck_assert_ptr_eq(e ? e->object : NULL, i % 16 ? NULL : &obj[i]);
    }
    /* a moved table answers from its own entries; the emptied one answers nothing */
    struct handle_table m;
    handle_table_move(&m, &t);
    ck_assert_ptr_null(handle_table_find(&t, h[16]));
    ck_assert_ptr_eq(handle_table_find(&m, h[16])->object, &obj[16]);
    handle_table_release(&t);
    handle_table_release(&m);
    ck_assert_int_eq(blocks, 0);
}
END_TEST

Suite *suite_handletable(void)
{
    Suite *s = suite_create("handletable");
    unit_add(s, handles_never_reused);
    unit_add(s, handles_random_model);
    unit_add(s, handles_many_in_chunks);
    unit_add(s, handles_reserve_fails_cleanly);
    unit_add(s, handles_cache_follows_moves);
    return s;
}
