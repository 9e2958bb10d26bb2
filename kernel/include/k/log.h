/* Kernel log: levelled, timestamped lines on the serial console. */
#pragma once
#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Print one log line "[  seconds.micros] L message". Safe from any CPU; takes the console lock. */
void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vprintf(enum log_level level, const char *fmt, va_list ap);
/* Raw console output without prefix (self-test result lines, panics). Takes the console lock. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Raw output that ignores the console lock: for panics only. */
void kprintf_unlocked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set the most verbose level printed (default LOG_INFO, "loglevel=debug" on the command line). */
void log_set_level(enum log_level level);

#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
