/* Unit tests for the handle table (kernel/lib/handletable.c). */
#include "unit.h"
#include <stdlib.h>
#include <k/handletable.h>

static void grow(struct handle_table *t)
{
    size_t cap = handle_table_want(t);
    struct handle_entry *e = malloc(cap * sizeof *e);
    struct handle_entry *old = t->e;
    handle_table_adopt(t, e, cap);
    free(old);
}

static int64_t add(struct handle_table *t, void *o, uint32_t r)
{
    if (handle_table_full(t))
        grow(t);
    return handle_table_add(t, o, r);
}

START_TEST(handles_never_reused)
{
    struct handle_table t;
    handle_table_init(&t);
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
    free(t.e);
}
END_TEST

/* Random adds and removes against a reference model, crossing growth and compaction. */
START_TEST(handles_random_model)
{
    enum { N = 5000 };
    static void *model[N + 1];
    static int64_t ids[N + 1];
    struct handle_table t;
    handle_table_init(&t);
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
        if (step % 997 == 0) {
            for (int i = 0; i < nids; i++) {
                struct handle_entry *e = handle_table_find(&t, ids[i]);
                ck_assert_ptr_eq(e ? e->object : NULL, model[i]);
            }
            ck_assert_uint_eq(t.live, (size_t)live);
        }
    }
    free(t.e);
}
END_TEST

Suite *suite_handletable(void)
{
    Suite *s = suite_create("handletable");
    unit_add(s, handles_never_reused);
    unit_add(s, handles_random_model);
    return s;
}
