/* Helpers for host unit tests: one Check test case per test, so results carry the test's name. */
#pragma once
#include <check.h>

/* Add test t to suite s in a test case of its own, named after the test. */
static inline void unit_add(Suite *s, const TTest *t)
{
    TCase *tc = tcase_create(t->name);
    tcase_add_test(tc, t);
    suite_add_tcase(s, tc);
}
