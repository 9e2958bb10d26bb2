/* Leaving QEMU through the isa-debug-exit device (port 0xf4): status = (value << 1) | 1. */
#pragma once
#include <arch/cpu.h>

#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_PASS 0    /* QEMU status 1 */
#define QEMU_EXIT_FAIL 1    /* QEMU status 3 */
#define QEMU_EXIT_PANIC 2   /* QEMU status 5 */

__attribute__((noreturn)) static inline void qemu_exit(unsigned value)
{
    outl(QEMU_EXIT_PORT, value);
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}
