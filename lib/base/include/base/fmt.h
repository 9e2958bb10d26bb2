/* printf-style formatting into a sink; freestanding, shared by kernel and user space. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/* A sink receives formatted output in pieces. */
typedef void (*fmt_sink_fn)(void *ctx, const char *s, size_t n);

/*
 * Format to a sink. Supports %d %i %u %x %X %o %p %s %c %% with flags '-', '0',
 * a width (number or '*'), a precision for %s, and length modifiers hh h l ll z.
 * Returns the number of characters produced.
 */
size_t fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap);
size_t fmt_format(fmt_sink_fn sink, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* snprintf equivalents: always NUL-terminate when size > 0; return the untruncated length. */
size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
