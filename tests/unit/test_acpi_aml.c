/*
 * Unit tests for kernel/lib/acpi_aml.c: the \_S5_ package found in AML streams written by
 * hand, good and malformed. Each stream is copied into a heap block of exactly its length,
 * so AddressSanitizer reports any read past the end.
 */
#include "unit.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <k/acpi.h>

static uint8_t typ_a, typ_b;

/* acpi_aml_find_s5 on an exact-size copy of the n bytes at p. */
static int find(const uint8_t *p, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, p, n);
    typ_a = typ_b = 0xee;
    int rc = acpi_aml_find_s5(copy, n, &typ_a, &typ_b);
    free(copy);
    return rc;
}
#define FIND(arr) find(arr, sizeof arr)

/* What QEMU's DSDT has: Name (_S5, Package (0x04) {Zero, Zero, Zero, Zero}). */
static const uint8_t qemu_s5[] = {0x10, 0x05, '\\', 0x00, 0x00, /* a Scope before it */
                                  0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
                                  0x00, 0x00, 0x00, 0x00};

START_TEST(aml_s5_zero_ops)
{
    ck_assert_int_eq(FIND(qemu_s5), 0);
    ck_assert_uint_eq(typ_a, 0);
    ck_assert_uint_eq(typ_b, 0);
}
END_TEST

START_TEST(aml_s5_root_prefix_and_byte_constants)
{
    /* Name (\_S5, Package () {0x07, 0x05, Zero, Zero}) */
    static const uint8_t aml[] = {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                  0x0a, 0x07, 0x0a, 0x05, 0x00, 0x00};
    ck_assert_int_eq(FIND(aml), 0);
    ck_assert_uint_eq(typ_a, 7);
    ck_assert_uint_eq(typ_b, 5);
    /* One, and a word and dword constant: values are cut to their 3 bits */
    static const uint8_t aml2[] = {0x08, '_', 'S', '5', '_', 0x12, 0x09, 0x02,
                                   0x01, 0x0c, 0x0e, 0x00, 0x00, 0x00, 0x00};
    ck_assert_int_eq(FIND(aml2), 0);
    ck_assert_uint_eq(typ_a, 1);
    ck_assert_uint_eq(typ_b, 6);
    static const uint8_t aml3[] = {0x08, '^', '_', 'S', '5', '_', 0x12, 0x06, 0x02,
                                   0x0b, 0x03, 0x00, 0x01};
    ck_assert_int_eq(FIND(aml3), 0);
    ck_assert_uint_eq(typ_a, 3);
    ck_assert_uint_eq(typ_b, 1);
}
END_TEST

START_TEST(aml_s5_one_element_holds_both)
{
    /* ACPI 1.0 style: Package () {0x0705}: SLP_TYPa in bits 0-2, SLP_TYPb in bits 8-10 */
    static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x05, 0x07};
    ck_assert_int_eq(FIND(aml), 0);
    ck_assert_uint_eq(typ_a, 5);
    ck_assert_uint_eq(typ_b, 7);
}
END_TEST

START_TEST(aml_s5_two_byte_pkglength)
{
    /* PkgLength 0x49 0x00: one more byte follows, length 9 */
    static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x49, 0x00, 0x04,
                                  0x0a, 0x03, 0x0a, 0x04, 0x00, 0x00};
    ck_assert_int_eq(FIND(aml), 0);
    ck_assert_uint_eq(typ_a, 3);
    ck_assert_uint_eq(typ_b, 4);
}
END_TEST

START_TEST(aml_s5_other_uses_passed_over)
{
    /* "_S5_" in a string, a Method named _S5_, a Name whose value is no package, then the
       real one */
    static const uint8_t aml[] = {0x0d, 'x', '_', 'S', '5', '_', 0x00,          /* String */
                                  0x14, 0x06, '_', 'S', '5', '_', 0x00, 0xa4,   /* Method */
                                  0x08, '_', 'S', '5', '_', 0x0a, 0x05,         /* Name = 5 */
                                  0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00};
    ck_assert_int_eq(FIND(aml), 0);
    ck_assert_uint_eq(typ_a, 1);
    ck_assert_uint_eq(typ_b, 0);
}
END_TEST

START_TEST(aml_s5_absent)
{
    static const uint8_t none[] = {0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x02, 0x01, 0x00};
    ck_assert_int_eq(FIND(none), -1);
    ck_assert_int_eq(find(none, 0), -1);
    ck_assert_int_eq(acpi_aml_find_s5(NULL, 100, &typ_a, &typ_b), -1);
    /* the name at the very start: no room for a NameOp before it */
    static const uint8_t at_start[] = {'_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00};
    ck_assert_int_eq(FIND(at_start), -1);
    static const uint8_t prefix_at_start[] = {'\\', '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00};
    ck_assert_int_eq(FIND(prefix_at_start), -1);
    /* the name with nothing after it */
    static const uint8_t name_only[] = {0x08, '_', 'S', '5', '_'};
    ck_assert_int_eq(FIND(name_only), -1);
}
END_TEST

START_TEST(aml_s5_truncated_package)
{
    /* the stream ends inside the package: every prefix of a good stream is refused */
    for (size_t n = 0; n < sizeof qemu_s5; n++)
        ck_assert_int_eq(find(qemu_s5, n), -1);
    static const uint8_t words[] = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x02,
                                    0x0c, 0x01, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00};
    ck_assert_int_eq(FIND(words), -1); /* PkgLength 8 ends inside the word constant */
    for (size_t n = 0; n < sizeof words; n++)
        ck_assert_int_eq(find(words, n), -1);
    /* NumElements says 2 but the package holds one element */
    static const uint8_t short_pkg[] = {0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0x00, 0x00};
    ck_assert_int_eq(FIND(short_pkg), -1);
    /* NumElements 0 */
    static const uint8_t empty[] = {0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00, 0x00};
    ck_assert_int_eq(FIND(empty), -1);
}
END_TEST

START_TEST(aml_s5_bogus_pkglength)
{
    /* longer than the stream */
    static const uint8_t too_long[] = {0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x02, 0x00, 0x00};
    ck_assert_int_eq(FIND(too_long), -1);
    /* four bytes of length, far beyond anything */
    static const uint8_t huge[] = {0x08, '_', 'S', '5', '_', 0x12, 0xc0, 0xff, 0xff, 0xff,
                                   0x02, 0x00, 0x00};
    ck_assert_int_eq(FIND(huge), -1);
    /* its following bytes cut off by the end of the stream */
    static const uint8_t cut[] = {0x08, '_', 'S', '5', '_', 0x12, 0xc4, 0x00};
    ck_assert_int_eq(FIND(cut), -1);
    /* reserved bits 4-5 set in a multi-byte lead */
    static const uint8_t reserved[] = {0x08, '_', 'S', '5', '_', 0x12, 0x75, 0x00, 0x02,
                                       0x00, 0x00};
    ck_assert_int_eq(FIND(reserved), -1);
    /* too short to hold even the element count: 0 and 1 */
    static const uint8_t zero[] = {0x08, '_', 'S', '5', '_', 0x12, 0x00, 0x02, 0x00, 0x00};
    ck_assert_int_eq(FIND(zero), -1);
    static const uint8_t one[] = {0x08, '_', 'S', '5', '_', 0x12, 0x01, 0x02, 0x00, 0x00};
    ck_assert_int_eq(FIND(one), -1);
}
END_TEST

START_TEST(aml_s5_non_constant_elements)
{
    /* a name and a buffer where the integers should be */
    static const uint8_t name[] = {0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x02,
                                   'A', 'B', 'C', 'D', 0x00};
    ck_assert_int_eq(FIND(name), -1);
    static const uint8_t second[] = {0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02,
                                     0x00, 0x11, 0x02, 0x00};
    ck_assert_int_eq(FIND(second), -1);
}
END_TEST

START_TEST(aml_s5_random_streams)
{
    /* random bytes around a planted "\x08_S5_\x12": nothing may be read out of bounds, and a
       value found is a 3-bit one */
    srand(12345);
    for (int round = 0; round < 20000; round++) {
        uint8_t buf[48];
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        if (n >= 7 && rand() % 2) {
            size_t at = (size_t)rand() % (n - 6);
            memcpy(buf + at, "\x08_S5_\x12", 6);
        }
        if (find(buf, n) == 0) {
            ck_assert_uint_le(typ_a, 7);
            ck_assert_uint_le(typ_b, 7);
        }
    }
}
END_TEST

Suite *suite_acpi_aml(void)
{
    Suite *s = suite_create("acpi_aml");
    unit_add(s, aml_s5_zero_ops);
    unit_add(s, aml_s5_root_prefix_and_byte_constants);
    unit_add(s, aml_s5_one_element_holds_both);
    unit_add(s, aml_s5_two_byte_pkglength);
    unit_add(s, aml_s5_other_uses_passed_over);
    unit_add(s, aml_s5_absent);
    unit_add(s, aml_s5_truncated_package);
    unit_add(s, aml_s5_bogus_pkglength);
    unit_add(s, aml_s5_non_constant_elements);
    unit_add(s, aml_s5_random_streams);
    return s;
}
