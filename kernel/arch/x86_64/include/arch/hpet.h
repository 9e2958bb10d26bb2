/* HPET main counter: used to calibrate the TSC and as a reference in self tests. */
#pragma once
#include <stdint.h>

/* Map the HPET at phys and start its main counter. Returns 0 or -1 (unusable). */
int hpet_init(uint64_t phys);
/* True once hpet_init succeeded. */
int hpet_present(void);
/* The main counter (64-bit, or a 32-bit counter widened by the caller's short intervals). */
uint64_t hpet_counter(void);
/* Counter period in femtoseconds. */
uint64_t hpet_period_fs(void);
/* Ticks from an earlier hpet_counter() value to now (handles one wrap of a 32-bit counter). */
uint64_t hpet_ticks_since(uint64_t start);
