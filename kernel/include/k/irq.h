/*
 * Routing of device interrupts (I/O APIC inputs, "GSIs") to a vector on a CPU.
 * Vectors for devices are VEC_DEVICE_FIRST..VEC_DEVICE_LAST (arch/idt.h); the
 * caller picks one and installs its handler with idt_set_handler before routing.
 */
#pragma once
#include <stdint.h>

#define IRQ_ACTIVE_LOW 1u /* default: active high */
#define IRQ_LEVEL 2u      /* default: edge triggered */

/* Set up the I/O APICs from the ACPI tables, every input masked. Boot CPU, once. */
void irq_init(void);

/*
 * Route gsi to vector on logical CPU cpu with the given IRQ_* flags, and unmask it.
 * Returns 0, or -1 if the GSI belongs to no I/O APIC, the vector is not a device
 * vector or the CPU does not exist. Takes the I/O APIC lock (irq-safe).
 */
int irq_route_gsi(uint32_t gsi, unsigned vector, unsigned cpu, unsigned flags);
/*
 * Route ISA IRQ isa_irq (0-15) through the ACPI interrupt source overrides
 * (GSI, polarity, trigger) to vector on cpu, and unmask it. Returns 0 or -1 as
 * irq_route_gsi. Example: irq_route_isa(4, 48, 0) for COM1.
 */
int irq_route_isa(unsigned isa_irq, unsigned vector, unsigned cpu);
/* GSI, IRQ_LEVEL and IRQ_ACTIVE_LOW of an ISA IRQ after the overrides. 0, or -1 for isa_irq > 15. */
int irq_isa_lookup(unsigned isa_irq, uint32_t *gsi, unsigned *flags);
/* 1 if an I/O APIC serves gsi. */
int irq_gsi_exists(uint32_t gsi);
/* The GSI an ISA IRQ arrives on (after overrides), or -1 for isa_irq > 15. */
int irq_isa_to_gsi(unsigned isa_irq);
/* Mask / unmask a routed GSI. Return 0 or -1 for an unknown GSI. Take the I/O APIC lock. */
int irq_mask(uint32_t gsi);
int irq_unmask(uint32_t gsi);
