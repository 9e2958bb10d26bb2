/* Platform bring-up: ACPI, interrupt controllers, time, other CPUs. */
#pragma once
#include <k/acpi.h>

/* The parsed ACPI tables (zero when there are none). */
extern struct acpi_info acpi_tables;

/*
 * Boot CPU, once, after the memory manager: parse ACPI, mask the PICs, set up
 * the local and I/O APICs, calibrate the clock and timers, start the other
 * CPUs. Interrupts are enabled on return.
 */
void platform_init(void);
/* Find and parse the ACPI tables into acpi_tables. Returns 0 or -1 (no usable tables). */
int acpi_init(void);
/* Log what acpi_init found. */
void acpi_log(void);
