/* Helpers for host unit tests: one Check test case per test, so results carry the test's name. */
#pragma once
#include <check.h>

/* Add test t to suite s in a test case of its own, named after the test. No time limit
   (Check's default kills a test after 4 s, which a loaded host can exceed): a test that
   hangs is caught by the runner's liveness bound on the whole binary (tools/runner.py). */
static inline void unit_add(Suite *s, const TTest *t)
{
    TCase *tc = tcase_create(t->name);
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, t);
    suite_add_tcase(s, tc);
}
