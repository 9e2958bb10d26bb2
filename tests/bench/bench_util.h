/* What the benchmark programs share: the clock, medians and the `bench` line format. */
#pragma once
#include <sk/sk.h>

#define REPS 7

static inline uint64_t now(void)
{
    uint64_t t = 0;
    sk_clock_get(&t);
    return t;
}

/* Median of n values (sorts v in place). */
static inline uint64_t median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return v[n / 2];
}

/* A `bench <name> <value> ns` line for a value given in tenths of a nanosecond. */
static inline void report(const char *name, uint64_t tenths)
{
    sk_printf("bench %s %lu.%lu ns\n", name, tenths / 10, tenths % 10);
}
