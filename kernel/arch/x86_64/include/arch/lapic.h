/*
 * Local APIC: xAPIC through MMIO or x2APIC through MSRs (chosen once at boot),
 * EOI, inter-processor interrupts and the one-shot timer.
 */
#pragma once
#include <stdint.h>

/* Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

/* ICR delivery modes and flags (low 32 bits of the ICR). */
#define ICR_FIXED 0x000
#define ICR_NMI 0x400
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_ASSERT 0x4000
#define ICR_ALL_BUT_SELF 0xc0000

/*
 * Boot CPU, once: choose xAPIC or x2APIC, map the local APIC at phys (from the
 * MADT, 0 = from the MSR), switch it on so lapic_id() works, install irq_eoi.
 * lapic_init_cpu() must follow. Returns 0 or -1 (no APIC).
 */
int lapic_init_bsp(uint64_t phys);
/*
 * Enable and configure this CPU's local APIC (spurious vector, LVTs, NMI lines
 * from the MADT for this_cpu()->acpi_uid). Every CPU, once.
 */
void lapic_init_cpu(void);
/* Read / write a register of this CPU's local APIC (after lapic_init_bsp). */
uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);
/* This CPU's APIC ID (read from the hardware, usable before GS is set). */
uint32_t lapic_id(void);
/* True when running in x2APIC mode (APIC IDs above 254 reachable). */
int lapic_is_x2apic(void);
void lapic_eoi(void);
/*
 * Send an IPI: low = ICR low word (vector | ICR_* mode/flags), to apic_id
 * unless a shorthand is set in low. Waits for an xAPIC to accept it.
 * Returns 0, or -1 if the APIC never became idle. Safe with interrupts on or off.
 */
int lapic_send_ipi(uint32_t apic_id, uint32_t low);

/*
 * Measure the timer rate against clock_ns (needs the TSC calibrated) and
 * install the VEC_TIMER handler. Boot CPU, once. Returns ticks per ms.
 */
uint64_t lapic_timer_init_bsp(void);
/* Fire VEC_TIMER once after ns nanoseconds (clamped to the counter's range); 0 stops it. */
void lapic_timer_oneshot_ns(uint64_t ns);
