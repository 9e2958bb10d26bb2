/* Self-test runner: walks the .selftests section, prints the plan, runs the selected tests, reports each. */
#include <k/selftest.h>
#include <k/log.h>
#include <k/cmdline.h>
#include <base/fmt.h>
#include <stdarg.h>

extern const struct selftest __selftests_start[], __selftests_end[];

static char fail_reason[256], skip_reason[256];
static int failed, skipped;

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

void st_skip(const char *fmt, ...)
{
    if (skipped)
        return;
    skipped = 1;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(skip_reason, sizeof skip_reason, fmt, ap);
    va_end(ap);
}

static int chosen(const struct selftest *t, const char *list, int all)
{
    return cmdline_list_contains(list, t->name) || (all && !(t->flags & SELFTEST_MANUAL));
}

int selftest_run(const char *list)
{
    int all = cmdline_list_contains(list, "all");
    int npass = 0, nfail = 0, nskip = 0;
    for (const struct selftest *t = __selftests_start; t < __selftests_end; t++)
        if (chosen(t, list, all))
            kprintf("PLAN %s\n", t->name);
    for (const struct selftest *t = __selftests_start; t < __selftests_end; t++) {
        if (!chosen(t, list, all))
            continue;
        failed = skipped = 0;
        fail_reason[0] = skip_reason[0] = '\0';
        log_info("selftest %s: start", t->name);
        t->fn();
        if (failed) {
            kprintf("FAIL %s: %s\n", t->name, fail_reason);
            nfail++;
        } else if (skipped) {
            kprintf("SKIP %s: %s\n", t->name, skip_reason);
            nskip++;
        } else {
            kprintf("PASS %s\n", t->name);
            npass++;
        }
    }
    kprintf("selftests: %d passed, %d failed, %d skipped\n", npass, nfail, nskip);
    return nfail;
}
