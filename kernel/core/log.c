/* Kernel log: formats through lib/base/fmt into the serial console under one lock. */
#include <k/log.h>
#include <k/spinlock.h>
#include <k/clock.h>
#include <base/fmt.h>
#include <base/string.h>
#include <arch/serial.h>

static struct spinlock console_lock = SPINLOCK_INIT;
static enum log_level max_level = LOG_NOTICE;

static void serial_sink(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    serial_write(s, n);
}

void log_set_level(enum log_level level)
{
    max_level = level;
}

int log_level_named(const char *name)
{
    static const char *const names[] = {"error", "warn", "notice", "info", "debug"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void log_vprintf(enum log_level level, const char *fmt, va_list ap)
{
    static const char tags[] = "EWNID";
    if (level > max_level)
        return;
    uint64_t ns = clock_ns();
    uint64_t f = spin_lock_irqsave(&console_lock);
    fmt_format(serial_sink, NULL, "[%5lu.%06lu] %c ", (unsigned long)(ns / 1000000000),
               (unsigned long)(ns / 1000 % 1000000), tags[level]);
    fmt_vformat(serial_sink, NULL, fmt, ap);
    serial_write("\n", 1);
    spin_unlock_irqrestore(&console_lock, f);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(level, fmt, ap);
    va_end(ap);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uint64_t f = spin_lock_irqsave(&console_lock);
    fmt_vformat(serial_sink, NULL, fmt, ap);
    spin_unlock_irqrestore(&console_lock, f);
    va_end(ap);
}

void kprintf_unlocked(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(serial_sink, NULL, fmt, ap);
    va_end(ap);
}
