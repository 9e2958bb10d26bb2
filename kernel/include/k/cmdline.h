/* Kernel command line: space-separated words "key" or "key=value". */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* True if the word "key" or "key=..." is present. */
int cmdline_has(const char *cmdline, const char *key);
/* Copy the value of "key=value" into out (NUL-terminated). Returns the value length or -1 if absent. */
int cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz);
/* The value of "key=N" as a decimal number no larger than max: 1 and *out set, 0 if key is
   absent, -1 if its value is not such a number. */
int cmdline_get_num(const char *cmdline, const char *key, uint64_t max, uint64_t *out);
/* True if comma-separated list contains item. */
int cmdline_list_contains(const char *list, const char *item);
