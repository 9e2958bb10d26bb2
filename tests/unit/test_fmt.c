/* Unit tests for lib/base/fmt.c. */
#include "unit.h"
#include <stdint.h>
#include <string.h>
#include <base/fmt.h>

/* These tests feed deliberately odd formats. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"

static char buf[128];

#define EXPECT(want, ...) \
    do { \
        size_t n_ = fmt_snprintf(buf, sizeof buf, __VA_ARGS__); \
        ck_assert_str_eq(buf, want); \
        ck_assert_uint_eq(n_, strlen(want)); \
    } while (0)

START_TEST(fmt_integers)
{
    EXPECT("42", "%d", 42);
    EXPECT("-42", "%d", -42);
    EXPECT("-9223372036854775808", "%ld", (long)INT64_MIN);
    EXPECT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
    EXPECT("ff", "%x", 255);
    EXPECT("FF", "%X", 255);
    EXPECT("17", "%o", 15);
    EXPECT("0", "%u", 0);
    EXPECT("-1", "%hhd", 255);
    EXPECT("65535", "%hu", 0xffff);
}
END_TEST

START_TEST(fmt_width_and_flags)
{
    EXPECT("   42", "%5d", 42);
    EXPECT("00042", "%05d", 42);
    EXPECT("-0042", "%05d", -42);
    EXPECT("42   |", "%-5d|", 42);
    EXPECT("0x00000000deadbeef", "0x%016lx", 0xdeadbeefUL);
    EXPECT("  ab", "%*s", 4, "ab");
    EXPECT("ab  |", "%-*s|", 4, "ab");
    EXPECT("abc", "%.3s", "abcdef");
    EXPECT("(null)", "%s", (char *)NULL);
    EXPECT("x%", "%c%%", 'x');
}
END_TEST

START_TEST(fmt_pointer_and_size)
{
    EXPECT("0x1000", "%p", (void *)0x1000);
    EXPECT("123", "%zu", (size_t)123);
}
END_TEST

START_TEST(fmt_truncation)
{
    char small[4];
    size_t n = fmt_snprintf(small, sizeof small, "%s", "abcdef");
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(small, "abc");
    n = fmt_snprintf(small, 0, "%d", 12345);
    ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(fmt_unknown_conversion_visible)
{
    EXPECT("%q", "%q");
    EXPECT("50", "%d%", 50);
}
END_TEST

Suite *suite_fmt(void)
{
    Suite *s = suite_create("fmt");
    unit_add(s, fmt_integers);
    unit_add(s, fmt_width_and_flags);
    unit_add(s, fmt_pointer_and_size);
    unit_add(s, fmt_truncation);
    unit_add(s, fmt_unknown_conversion_visible);
    return s;
}
