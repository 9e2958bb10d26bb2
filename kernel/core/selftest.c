/* Self-test runner: walks the .selftests section, runs the selected tests, reports each. */
#include <k/selftest.h>
#include <k/log.h>
#include <k/cmdline.h>
#include <base/fmt.h>
#include <stdarg.h>

extern const struct selftest __selftests_start[], __selftests_end[];

static char fail_reason[256];
static int failed;

void st_fail(const char *fmt, ...)
{
    if (failed)
        return;
    failed = 1;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(fail_reason, sizeof fail_reason, fmt, ap);
    va_end(ap);
}

int st_failed(void)
{
    return failed;
}

int selftest_run(const char *list)
{
    int all = cmdline_list_contains(list, "all");
    int npass = 0, nfail = 0;
    for (const struct selftest *t = __selftests_start; t < __selftests_end; t++) {
        int chosen = cmdline_list_contains(list, t->name) ||
                     (all && !(t->flags & SELFTEST_MANUAL));
        if (!chosen)
            continue;
        failed = 0;
        fail_reason[0] = '\0';
        log_info("selftest %s: start", t->name);
        t->fn();
        if (failed) {
            kprintf("FAIL %s: %s\n", t->name, fail_reason);
            nfail++;
        } else {
            kprintf("PASS %s\n", t->name);
            npass++;
        }
    }
    kprintf("selftests: %d passed, %d failed\n", npass, nfail);
    return nfail;
}
