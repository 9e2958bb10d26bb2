/*
 * Host unit-test driver (Check). Every .c file in tests/unit defines one or more
 * "Suite *suite_<name>(void)"; the build lists them in suites.h. Each test case
 * prints "PASS suite.test" or "FAIL suite.test: message", then one summary line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define SUITE(name) Suite *suite_##name(void);
#include "suites.h"
#undef SUITE

int main(void)
{
    int npass = 0, nfail = 0;
    Suite *(*ctors[])(void) = {
#define SUITE(name) suite_##name,
#include "suites.h"
#undef SUITE
    };
    for (size_t i = 0; i < sizeof ctors / sizeof ctors[0]; i++) {
        Suite *s = ctors[i]();
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_SILENT);
        int n = srunner_ntests_run(sr);
        TestResult **res = srunner_results(sr);
        for (int k = 0; k < n; k++) {
            TestResult *r = res[k];
            if (tr_rtype(r) == CK_PASS) {
                printf("PASS unit.%s\n", tr_tcname(r));
                npass++;
            } else {
                printf("FAIL unit.%s: %s:%d: %s\n", tr_tcname(r), tr_lfile(r), tr_lno(r), tr_msg(r));
                nfail++;
            }
        }
        free(res);
        srunner_free(sr);
    }
    printf("unit: %d passed, %d failed\n", npass, nfail);
    return nfail ? 1 : 0;
}
