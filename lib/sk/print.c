/* Formatted output to the kernel log, through lib/base/fmt.c. */
#include <sk/sk.h>
#include <base/fmt.h>

struct logbuf {
    char buf[256];
    size_t n;
};

static void flush(struct logbuf *b)
{
    if (b->n)
        sk_log(b->buf, b->n);
    b->n = 0;
}

static void sink(void *ctx, const char *s, size_t n)
{
    struct logbuf *b = ctx;
    while (n) {
        if (b->n == sizeof b->buf)
            flush(b);
        size_t k = sizeof b->buf - b->n;
        if (k > n)
            k = n;
        memcpy(b->buf + b->n, s, k);
        b->n += k;
        s += k;
        n -= k;
    }
}

size_t sk_vprintf(const char *fmt, va_list ap)
{
    struct logbuf b;
    b.n = 0;
    size_t n = fmt_vformat(sink, &b, fmt, ap);
    flush(&b);
    return n;
}

size_t sk_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = sk_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

size_t sk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void sk_panic(const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sk_printf("%s: panic: %s\n", sk_progname(), msg);
    sk_thread_exit(127);
}

static const char *const vector_names[32] = {
    [0] = "#DE", [1] = "#DB", [3] = "#BP", [4] = "#OF", [5] = "#BR", [6] = "#UD", [7] = "#NM",
    [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF",
    [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
};

void sk_exit_describe(uint64_t status, char *buf, size_t size)
{
    if (!(status & SK_EXIT_DONE)) {
        fmt_snprintf(buf, size, "running");
    } else if (status & SK_EXIT_FAULT) {
        unsigned vec = (unsigned)(status >> 32) & 0xff;
        const char *name = vec < 32 && vector_names[vec] ? vector_names[vec] : "?";
        fmt_snprintf(buf, size, "fault: vector %u (%s)", vec, name);
    } else if (status & SK_EXIT_KILLED) {
        fmt_snprintf(buf, size, "killed");
    } else {
        fmt_snprintf(buf, size, "exit %u", (uint32_t)status);
    }
}
