/*
 * I/O port grants (docs/drivers.md). A universe that was granted ports has an
 * ioport_map: the x86 I/O permission bitmap for its threads (bit clear =
 * port allowed). Grants only ever add ports, and every change gets a new
 * stamp, so a CPU that loaded a map into its TSS knows by the stamp alone
 * whether its copy is current.
 */
#pragma once
#include <stdint.h>

#define IOPORT_BITMAP_BYTES 8192 /* 65536 ports */

struct ioport_map {
    volatile uint64_t stamp;           /* unique per version, never 0 */
    volatile uint32_t extent;          /* bytes of bits[] that may hold a clear bit */
    uint8_t bits[IOPORT_BITMAP_BYTES]; /* 1 = denied */
};

/*
 * Arch: load the I/O permissions of thread t (its universe's map, or none) into
 * this CPU's TSS; copies the bitmap only when this CPU holds another version.
 * Called at every switch and after a grant, with interrupts off.
 */
struct thread;
void arch_ioports_load(struct thread *t);
