/* Kernel command line: space-separated words "key" or "key=value". */
#pragma once
#include <stddef.h>

/* True if the word "key" or "key=..." is present. */
int cmdline_has(const char *cmdline, const char *key);
/* Copy the value of "key=value" into out (NUL-terminated). Returns the value length or -1 if absent. */
int cmdline_get(const char *cmdline, const char *key, char *out, size_t outsz);
/* True if comma-separated list contains item. */
int cmdline_list_contains(const char *list, const char *item);
