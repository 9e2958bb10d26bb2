/* The system-test harness behind sk/test.h. */
#include <sk/test.h>
#include <base/fmt.h>

extern const struct sk_test_case __sk_tests_start[], __sk_tests_end[];

static volatile uint64_t failures;
static char reason[200];

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

static int selected(const char *name)
{
    if (sk_argc() <= 1)
        return 1;
    for (int i = 1; i < sk_argc(); i++)
        if (strcmp(sk_argv(i), name) == 0)
            return 1;
    return 0;
}

static int npass, nfail;

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
    const char *prog = sk_progname();
    /* the linker's order is not the source order: take them by line (one file's cases) */
    for (int last = -1;;) {
        const struct sk_test_case *t = NULL;
        for (const struct sk_test_case *c = __sk_tests_start; c < __sk_tests_end; c++)
            if (c->line > last && (!t || c->line < t->line))
                t = c;
        if (!t)
            break;
        last = t->line;
        if (!selected(t->name))
            continue;
        sk_atomic_store(&failures, 0);
        reason[0] = '\0';
        t->fn();
        sk_test_report(t->name, sk_atomic_load(&failures) == 0, reason);
    }
    sk_printf("%s: %d passed, %d failed\n", prog, npass, nfail);
    return nfail;
}
