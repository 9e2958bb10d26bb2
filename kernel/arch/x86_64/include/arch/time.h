/* x86 time sources: TSC calibration (HPET or PIT) and short busy waits. */
#pragma once
#include <stdint.h>

/*
 * Measure the TSC rate against the HPET if present (and not disabled with
 * "nohpet"), else PIT channel 2, and start the monotonic clock with it.
 * Returns the rate in kHz.
 */
uint64_t tsc_calibrate(void);
/* Busy-wait at least us microseconds (needs the clock running). */
void udelay(uint64_t us);
