/* Unit tests for kernel/lib/slab.c: layout, take/put, misuse detection, random sequences. */
#include "unit.h"
#include <k/slab.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLAB_BYTES 16384

static struct slab *new_slab(size_t size, size_t align, struct slab_layout *l)
{
    ck_assert_int_eq(slab_layout(size, align, SLAB_BYTES, l), 0);
    struct slab *s = aligned_alloc(SLAB_BYTES, SLAB_BYTES);
    ck_assert_ptr_nonnull(s);
    slab_init(s, (void *)0x1234, l);
    return s;
}

START_TEST(slab_layout_rules)
{
    struct slab_layout l;
    ck_assert_int_eq(slab_layout(0, 8, 4096, &l), -1);
    ck_assert_int_eq(slab_layout(8, 3, 4096, &l), -1);
    ck_assert_int_eq(slab_layout(4096, 8, 4096, &l), -1); /* no room next to the header */
    ck_assert_int_eq(slab_layout(1, 1, 4096, &l), 0);
    ck_assert_uint_eq(l.obj_size, SLAB_MIN_OBJECT);
    ck_assert_uint_le(l.capacity, SLAB_MAX_OBJECTS);
    ck_assert_int_eq(slab_layout(40, 64, 4096, &l), 0);
    ck_assert_uint_eq(l.obj_size, 64);
    ck_assert_uint_eq(l.first % 64, 0);
    ck_assert_uint_ge(l.first, sizeof(struct slab));
    ck_assert_uint_eq(l.capacity, (4096 - l.first) / 64);
    ck_assert_uint_eq(slab_waste(&l, 4096), 4096 - l.capacity * 64);
    ck_assert_int_eq(slab_layout(100, 4096, 16384, &l), 0);
    ck_assert_uint_eq(l.first, 4096);
    ck_assert_uint_eq(l.capacity, 3);
}
END_TEST

START_TEST(slab_fill_and_empty)
{
    struct slab_layout l;
    struct slab *s = new_slab(48, 16, &l);
    void *objs[SLAB_MAX_OBJECTS];
    for (uint32_t i = 0; i < l.capacity; i++) {
        objs[i] = slab_take(s);
        ck_assert_ptr_nonnull(objs[i]);
        uintptr_t p = (uintptr_t)objs[i];
        ck_assert_uint_eq(p % 16, 0);
        ck_assert(p >= (uintptr_t)s + l.first && p + 48 <= (uintptr_t)s + SLAB_BYTES);
        for (uint32_t k = 0; k < i; k++)
            ck_assert_ptr_ne(objs[k], objs[i]);
        memset(objs[i], 0xee, 48); /* objects hold no allocator state */
    }
    ck_assert_uint_eq(s->inuse, l.capacity);
    ck_assert_ptr_null(slab_take(s));
    for (uint32_t i = 0; i < l.capacity; i++)
        ck_assert_int_eq(slab_put(s, objs[i]), SLAB_OK);
    ck_assert_uint_eq(s->inuse, 0);
    ck_assert_uint_eq(s->magic, SLAB_MAGIC);
    free(s);
}
END_TEST

START_TEST(slab_misuse)
{
    struct slab_layout l;
    struct slab *s = new_slab(64, 64, &l);
    char *a = slab_take(s);
    ck_assert_int_eq(slab_put(s, a + 8), SLAB_ERR_FOREIGN);     /* inside an object */
    ck_assert_int_eq(slab_put(s, (char *)s + 8), SLAB_ERR_FOREIGN); /* the header */
    ck_assert_int_eq(slab_put(s, (char *)s + SLAB_BYTES), SLAB_ERR_FOREIGN);
    ck_assert_int_eq(slab_put(s, a + 64), SLAB_ERR_DOUBLE);     /* never allocated */
    ck_assert(slab_object_used(s, a));
    ck_assert_int_eq(slab_put(s, a), SLAB_OK);
    ck_assert(!slab_object_used(s, a));
    ck_assert_int_eq(slab_put(s, a), SLAB_ERR_DOUBLE);
    ck_assert_uint_eq(s->inuse, 0);
    free(s);
}
END_TEST

/* Parking (a free into a per-CPU cache): a second free of a parked object is a double free. */
START_TEST(slab_park_detects_double_free)
{
    struct slab_layout l;
    struct slab *s = new_slab(64, 64, &l);
    char *a = slab_take(s), *b = slab_take(s);
    ck_assert_int_eq(slab_park(s, a + 8), SLAB_ERR_FOREIGN);
    ck_assert_int_eq(slab_park(s, b + 64), SLAB_ERR_DOUBLE); /* never allocated */
    ck_assert_int_eq(slab_park(s, a), SLAB_OK);
    ck_assert_int_eq(slab_park(s, a), SLAB_ERR_DOUBLE);
    ck_assert(slab_object_used(s, a));                         /* parked objects stay used */
    ck_assert_int_eq(slab_park(s, b), SLAB_OK);
    slab_unpark(s, a);                                         /* handed out again */
    ck_assert_int_eq(slab_park(s, a), SLAB_OK);
    slab_unpark(s, a);
    slab_unpark(s, b);
    ck_assert_int_eq(slab_put(s, a), SLAB_OK);
    ck_assert_int_eq(slab_park(s, a), SLAB_ERR_DOUBLE);        /* free in the bitmap */
    ck_assert_int_eq(slab_put(s, b), SLAB_OK);
    ck_assert_uint_eq(s->inuse, 0);
    free(s);
}
END_TEST

START_TEST(slab_random_model)
{
    struct slab_layout l;
    struct slab *s = new_slab(24, 8, &l);
    static void *live[SLAB_MAX_OBJECTS];
    static char taken[SLAB_MAX_OBJECTS]; /* model: which object indexes are out */
    memset(taken, 0, sizeof taken);
    uint32_t n = 0;
    srand(777);
    for (int step = 0; step < 20000; step++) {
        if ((rand() % 2 && n < l.capacity) || n == 0) {
            char *p = slab_take(s);
            ck_assert_ptr_nonnull(p);
            size_t idx = (size_t)(p - ((char *)s + l.first)) / l.obj_size;
            ck_assert_uint_lt(idx, l.capacity);
            ck_assert_msg(!taken[idx], "object handed out twice");
            taken[idx] = 1;
            live[n++] = p;
        } else {
            uint32_t j = (uint32_t)rand() % n;
            taken[((char *)live[j] - ((char *)s + l.first)) / l.obj_size] = 0;
            ck_assert_int_eq(slab_put(s, live[j]), SLAB_OK);
            live[j] = live[--n];
        }
        ck_assert_uint_eq(s->inuse, n);
        if (n == l.capacity)
            ck_assert_ptr_null(slab_take(s));
    }
    free(s);
}
END_TEST

Suite *suite_slab(void)
{
    Suite *s = suite_create("slab");
    unit_add(s, slab_layout_rules);
    unit_add(s, slab_fill_and_empty);
    unit_add(s, slab_misuse);
    unit_add(s, slab_park_detects_double_free);
    unit_add(s, slab_random_model);
    return s;
}
