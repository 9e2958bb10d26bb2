/*
 * The system-test harness behind sk/test.h: the plan, the cases in source
 * order, one PASS/FAIL/SKIP line each and the summary (docs/testing.md).
 */
#include <sk/test.h>
#include <base/fmt.h>

extern const struct sk_test_case __sk_tests_start[], __sk_tests_end[];

static volatile uint64_t failures;
static char reason[200];
static int skipped;
static char skip_why[200];

void sk_test_fail(const char *file, int line, const char *fmt, ...)
{
    /* The first failure of a case writes the reason; later ones only count. */
    if (sk_atomic_add(&failures, 1) != 1)
        return;
    const char *base = file;
    for (const char *p = file; *p; p++)
        if (*p == '/')
            base = p + 1;
    size_t n = fmt_snprintf(reason, sizeof reason, "%s:%d: ", base, line);
    if (n >= sizeof reason)
        return;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(reason + n, sizeof reason - n, fmt, ap);
    va_end(ap);
}

int sk_test_failures(void)
{
    return (int)sk_atomic_load(&failures);
}

void sk_test_skip(const char *fmt, ...)
{
    if (skipped)
        return;
    skipped = 1;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(skip_why, sizeof skip_why, fmt, ap);
    va_end(ap);
}

static int selected(const char *name)
{
    if (sk_argc() <= 1)
        return 1;
    for (int i = 1; i < sk_argc(); i++)
        if (strcmp(sk_argv(i), name) == 0)
            return 1;
    return 0;
}

/* The selected case defined first after source line `last`, or NULL. The linker's order is
   not the source order: take them by line (one file's cases). */
static const struct sk_test_case *next_case(int last)
{
    const struct sk_test_case *t = NULL;
    for (const struct sk_test_case *c = __sk_tests_start; c < __sk_tests_end; c++)
        if (c->line > last && selected(c->name) && (!t || c->line < t->line))
            t = c;
    return t;
}

static int npass, nfail, nskip, planned;

void sk_test_plan(const char *const *extra, int n)
{
    if (planned)
        return;
    planned = 1;
    for (int i = 0; i < n; i++)
        sk_printf("PLAN %s/%s\n", sk_progname(), extra[i]);
    for (const struct sk_test_case *t = next_case(-1); t; t = next_case(t->line))
        sk_printf("PLAN %s/%s\n", sk_progname(), t->name);
}

void sk_test_report(const char *name, int ok, const char *why)
{
    if (ok) {
        sk_printf("PASS %s/%s\n", sk_progname(), name);
        npass++;
    } else {
        sk_printf("FAIL %s/%s: %s\n", sk_progname(), name, why);
        nfail++;
    }
}

int sk_test_run(void)
{
    sk_test_plan(NULL, 0);
    for (const struct sk_test_case *t = next_case(-1); t; t = next_case(t->line)) {
        sk_atomic_store(&failures, 0);
        reason[0] = '\0';
        skipped = 0;
        t->fn();
        if (sk_atomic_load(&failures) != 0 || !skipped) {
            sk_test_report(t->name, sk_atomic_load(&failures) == 0, reason);
        } else {
            sk_printf("SKIP %s/%s: %s\n", sk_progname(), t->name, skip_why);
            nskip++;
        }
    }
    sk_printf("%s: %d passed, %d failed, %d skipped\n", sk_progname(), npass, nfail, nskip);
    return nfail;
}
