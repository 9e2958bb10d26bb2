/*
 * Kernel log: levelled, timestamped lines on the serial console. By default only
 * errors, warnings and notices print (a quiet console for `make run`); the command line's
 * loglevel=info or loglevel=debug turns the boot progress and the debug lines on.
 * Every line is written whole under the console lock.
 */
#pragma once
#include <stdarg.h>

/* NOTICE: rare lines that always print, but report nothing wrong (power off, reset). */
enum log_level { LOG_ERROR, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

/* Print one log line "[  seconds.micros] L message". Safe from any CPU; takes the console lock. */
void log_printf(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vprintf(enum log_level level, const char *fmt, va_list ap);
/* Raw console output without prefix (self-test result lines, panics). Takes the console lock. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Raw output that ignores the console lock: for panics only. */
void kprintf_unlocked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set the most verbose level printed (default LOG_NOTICE; "loglevel=..." on the command line). */
void log_set_level(enum log_level level);
/* The level named by a loglevel= value ("error", "warn", "notice", "info", "debug"), or -1. */
int log_level_named(const char *name);

#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
#define log_notice(...) log_printf(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
