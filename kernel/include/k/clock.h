/* Monotonic clock in nanoseconds since boot (TSC based once calibrated, 0 before). */
#pragma once
#include <stdint.h>

uint64_t clock_ns(void);
/* Install the TSC frequency measured by timer calibration; the clock starts at the current TSC. */
void clock_set_tsc_khz(uint64_t khz);
uint64_t clock_tsc_khz(void);
