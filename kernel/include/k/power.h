/*
 * Power-off and reset: the platform_power system call and the kernel console's commands.
 * The core (kernel/core/power.c) stops the other CPUs; the arch code
 * (kernel/arch/x86_64/power.c) drives the machine's own mechanisms (docs/platform.md).
 */
#pragma once
#include <stddef.h>

/* Power the machine off. Logs a notice line, stops every other CPU, then uses the platform's
   mechanism; if the machine stays on, says so and halts. Call with no lock held. */
__attribute__((noreturn)) void power_off(void);
/* Reset the machine, the same way; the last resort (a triple fault) cannot fail. */
__attribute__((noreturn)) void power_reset(void);

/* Boot CPU, once, after the ACPI tables are parsed: map the registers power-off and reset
   write (nothing may map or lock once the other CPUs are stopped). */
void arch_power_init(void);
/* 1 if arch_power_off has a mechanism to try (ACPI S5 registers and \_S5_), else 0. */
int arch_power_off_possible(void);
/* What the action (SK_POWER_OFF, SK_POWER_RESET) will first try, as text in buf. */
const char *arch_power_method(unsigned action, char *buf, size_t size);
/* Interrupts off, other CPUs stopped. Enter S5; returns if the machine is still on. */
void arch_power_off(void);
/* Interrupts off, other CPUs stopped. Reset, trying each mechanism in turn. */
__attribute__((noreturn)) void arch_reset(void);
