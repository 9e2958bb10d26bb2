/* printf-style formatting core used by the kernel log, panics and user-space libraries. */
#include <base/fmt.h>
#include <stdint.h>

struct spec {
    int left;      /* '-' */
    int zero;      /* '0' */
    int width;
    int prec;      /* -1 when absent */
};

static void pad(fmt_sink_fn sink, void *ctx, char c, int n, size_t *count)
{
    char buf[16];
    for (int i = 0; i < 16; i++)
        buf[i] = c;
    while (n > 0) {
        int k = n > 16 ? 16 : n;
        sink(ctx, buf, (size_t)k);
        *count += (size_t)k;
        n -= k;
    }
}

static void emit(fmt_sink_fn sink, void *ctx, const struct spec *sp, const char *prefix,
                 const char *s, size_t len, size_t *count)
{
    size_t plen = 0;
    while (prefix[plen])
        plen++;
    int fill = sp->width - (int)(len + plen);
    if (!sp->left && !sp->zero)
        pad(sink, ctx, ' ', fill, count);
    if (plen) {
        sink(ctx, prefix, plen);
        *count += plen;
    }
    if (!sp->left && sp->zero)
        pad(sink, ctx, '0', fill, count);
    if (len) {
        sink(ctx, s, len);
        *count += len;
    }
    if (sp->left)
        pad(sink, ctx, ' ', fill, count);
}

static size_t utoa(char *end, uint64_t v, unsigned base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    return (size_t)(end - p);
}

size_t fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
    size_t count = 0;
    while (*fmt) {
        if (*fmt != '%') {
            const char *start = fmt;
            while (*fmt && *fmt != '%')
                fmt++;
            sink(ctx, start, (size_t)(fmt - start));
            count += (size_t)(fmt - start);
            continue;
        }
        fmt++;
        struct spec sp = {0, 0, 0, -1};
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = 1;
            else if (*fmt == '0')
                sp.zero = 1;
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = 1;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.prec = 0;
            if (*fmt == '*') {
                sp.prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.prec = sp.prec * 10 + (*fmt++ - '0');
            }
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t */
        for (;;) {
            if (*fmt == 'l') {
                lng = lng == 1 ? 2 : 1;
                fmt++;
            } else if (*fmt == 'h') {
                lng = lng == -1 ? -2 : -1;
                fmt++;
            } else if (*fmt == 'z') {
                lng = 3;
                fmt++;
            } else {
                break;
            }
        }
        if (sp.left)
            sp.zero = 0;
        char buf[24];
        char *end = buf + sizeof buf;
        char c = *fmt ? *fmt++ : '\0';
        switch (c) {
        case 'd':
        case 'i': {
            int64_t v;
            if (lng == 1 || lng == 2 || lng == 3)
                v = va_arg(ap, long long);
            else
                v = va_arg(ap, int);
            if (lng == -1)
                v = (short)v;
            else if (lng == -2)
                v = (signed char)v;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            size_t n = utoa(end, mag, 10, 0);
            emit(sink, ctx, &sp, v < 0 ? "-" : "", end - n, n, &count);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            if (lng == 1 || lng == 2 || lng == 3)
                v = va_arg(ap, unsigned long long);
            else
                v = va_arg(ap, unsigned int);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng == -2)
                v = (unsigned char)v;
            unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            size_t n = utoa(end, v, base, c == 'X');
            emit(sink, ctx, &sp, "", end - n, n, &count);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            size_t n = utoa(end, v, 16, 0);
            emit(sink, ctx, &sp, "0x", end - n, n, &count);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = 0;
            while (s[n] && (sp.prec < 0 || n < (size_t)sp.prec))
                n++;
            sp.zero = 0;
            emit(sink, ctx, &sp, "", s, n, &count);
            break;
        }
        case 'c': {
            char ch = (char)va_arg(ap, int);
            sp.zero = 0;
            emit(sink, ctx, &sp, "", &ch, 1, &count);
            break;
        }
        case '%':
            sink(ctx, "%", 1);
            count++;
            break;
        case '\0':
            return count;
        default: /* unknown conversion: print it verbatim so the mistake is visible */
            sink(ctx, "%", 1);
            sink(ctx, &c, 1);
            count += 2;
            break;
        }
    }
    return count;
}

size_t fmt_format(fmt_sink_fn sink, void *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = fmt_vformat(sink, ctx, fmt, ap);
    va_end(ap);
    return n;
}

struct bufsink {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_put(void *ctx, const char *s, size_t n)
{
    struct bufsink *b = ctx;
    for (size_t i = 0; i < n; i++) {
        if (b->pos + 1 < b->size)
            b->buf[b->pos] = s[i];
        b->pos++;
    }
}

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct bufsink b = {buf, size, 0};
    size_t n = fmt_vformat(buf_put, &b, fmt, ap);
    if (size)
        buf[b.pos < size ? b.pos : size - 1] = '\0';
    return n;
}

size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
