/* Unit tests for kernel/lib/urange.c: user range checks for usercopy and mapping calls. */
#include "unit.h"
#include <k/urange.h>

#define TOP SK_USER_TOP

START_TEST(urange_copy_ranges)
{
    ck_assert(urange_ok(0x1000, 16));
    ck_assert(urange_ok(0, 0));
    ck_assert(urange_ok(TOP, 0));
    ck_assert(urange_ok(TOP - 1, 1));
    ck_assert(!urange_ok(TOP - 1, 2));
    ck_assert(!urange_ok(TOP, 1));
    ck_assert(!urange_ok(TOP + 1, 0));
    ck_assert(!urange_ok(0x0000800000000000ull, 1));      /* first non-canonical */
    ck_assert(!urange_ok(0xffff800000000000ull, 16));     /* kernel half */
    ck_assert(!urange_ok(0xfffffffffffffff0ull, 0x20));   /* wraps to a small address */
    ck_assert(!urange_ok(0x1000, UINT64_MAX));            /* wraps */
    ck_assert(!urange_ok(0x1000, UINT64_MAX - 0xfff));    /* sums to exactly 0 */
    ck_assert(urange_ok(0, TOP));
    ck_assert(!urange_ok(1, TOP));
}
END_TEST

START_TEST(urange_prot_bits)
{
    ck_assert_int_eq(urange_check_prot(0, 0), SK_OK);
    ck_assert_int_eq(urange_check_prot(SK_PROT_READ, 0), SK_OK);
    ck_assert_int_eq(urange_check_prot(SK_PROT_READ | SK_PROT_WRITE | SK_PROT_EXEC, 0), SK_OK);
    ck_assert_int_eq(urange_check_prot(SK_PROT_WRITE, 0), SK_ERR_INVALID);
    ck_assert_int_eq(urange_check_prot(SK_PROT_EXEC, 0), SK_ERR_INVALID);
    ck_assert_int_eq(urange_check_prot(SK_PROT_READ | SK_MAP_FIXED, 0), SK_ERR_INVALID);
    ck_assert_int_eq(urange_check_prot(SK_PROT_READ | SK_MAP_FIXED | SK_MAP_PRIVATE, 1), SK_OK);
    ck_assert_int_eq(urange_check_prot(SK_PROT_READ | (1u << 20), 1), SK_ERR_INVALID);
}
END_TEST

START_TEST(urange_unmap_ranges)
{
    ck_assert_int_eq(urange_check_range(0x10000, 0x1000), SK_OK);
    ck_assert_int_eq(urange_check_range(0x10000, 0), SK_ERR_INVALID);
    ck_assert_int_eq(urange_check_range(0x10001, 0x1000), SK_ERR_ALIGNMENT);
    ck_assert_int_eq(urange_check_range(0x10000, 0x800), SK_ERR_ALIGNMENT);
    ck_assert_int_eq(urange_check_range(TOP - 0x1000, 0x1000), SK_OK);
    ck_assert_int_eq(urange_check_range(TOP, 0x1000), SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_range(0x1000, 0xfffffffffffff000ull), SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_range(0xffff800000000000ull, 0x1000), SK_ERR_OUT_OF_RANGE);
}
END_TEST

START_TEST(urange_map_args)
{
    const unsigned R = SK_PROT_READ, RW = SK_PROT_READ | SK_PROT_WRITE, F = SK_MAP_FIXED;
    const uint64_t size = 0x10000;
    ck_assert_int_eq(urange_check_map(size, 0, 0x100000, size, RW | F), SK_OK);
    ck_assert_int_eq(urange_check_map(size, 0x1000, 0x100000, size - 0x1000, R), SK_OK);
    ck_assert_int_eq(urange_check_map(size, 0, 0, size, R), SK_OK); /* hint 0 */
    /* flags */
    ck_assert_int_eq(urange_check_map(size, 0, 0x100000, size, SK_PROT_WRITE), SK_ERR_INVALID);
    ck_assert_int_eq(urange_check_map(size, 0, 0x100000, size, R | 0x80), SK_ERR_INVALID);
    /* size and alignment */
    ck_assert_int_eq(urange_check_map(size, 0, 0x100000, 0, R), SK_ERR_INVALID);
    ck_assert_int_eq(urange_check_map(size, 0, 0x100800, 0x1000, R | F), SK_ERR_ALIGNMENT);
    ck_assert_int_eq(urange_check_map(size, 0x800, 0x100000, 0x1000, R), SK_ERR_ALIGNMENT);
    ck_assert_int_eq(urange_check_map(size, 0, 0x100000, 0x1800, R), SK_ERR_ALIGNMENT);
    /* beyond the object, overflowing offset */
    ck_assert_int_eq(urange_check_map(size, 0, 0x100000, size + 0x1000, R), SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_map(size, size, 0x100000, 0x1000, R), SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_map(size, 0xfffffffffffff000ull, 0x100000, 0x2000, R),
                     SK_ERR_OUT_OF_RANGE);
    /* fixed address ranges */
    ck_assert_int_eq(urange_check_map(size, 0, 0, 0x1000, R | F), SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_map(size, 0, USER_MIN - 0x1000, 0x1000, R | F),
                     SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_map(size, 0, USER_MIN, 0x1000, R | F), SK_OK);
    ck_assert_int_eq(urange_check_map(size, 0, TOP - 0x1000, 0x1000, R | F), SK_OK);
    ck_assert_int_eq(urange_check_map(size, 0, TOP - 0x1000, 0x2000, R | F), SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_map(size, 0, 0xfffffffffffff000ull, 0x2000, R | F),
                     SK_ERR_OUT_OF_RANGE);
    ck_assert_int_eq(urange_check_map(size, 0, 0xffff800000000000ull, 0x1000, R | F),
                     SK_ERR_OUT_OF_RANGE);
    /* a hint outside user space is only a hint */
    ck_assert_int_eq(urange_check_map(size, 0, 0xffff800000000000ull, 0x1000, R), SK_OK);
    /* larger than the user range */
    ck_assert_int_eq(urange_check_map(UINT64_MAX & ~0xfffull, 0, 0, TOP, R), SK_ERR_OUT_OF_RANGE);
}
END_TEST

Suite *suite_urange(void)
{
    Suite *s = suite_create("urange");
    unit_add(s, urange_copy_ranges);
    unit_add(s, urange_prot_bits);
    unit_add(s, urange_unmap_ranges);
    unit_add(s, urange_map_args);
    return s;
}
