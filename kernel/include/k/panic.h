/*
 * Panics: print the fixed marker PANIC_MARKER, the reason, registers and a
 * symbolised backtrace to the serial console, stop the other CPUs, and
 * either halt or (with "qemu_exit" on the command line) leave QEMU with
 * the panic status.
 */
#pragma once
#include <stdint.h>

#define PANIC_MARKER "*** SKOLL PANIC ***"
#define PANIC_END_MARKER "*** END PANIC ***"

struct trap_frame;

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
__attribute__((noreturn)) void panic_trap(struct trap_frame *tf, const char *what);

/*
 * Print a backtrace from rip and frame pointer rbp (the caller's own when rbp == 0).
 * For a trap, pass the trapped rsp so a frameless leaf function's caller is shown too.
 */
void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp);

/* Set by the SMP code: stop every other CPU (NMI or IPI). */
extern void (*machine_stop_others)(void);

/*
 * Stop the machine for a panic, a power-off or a reset: the first CPU to get here returns with
 * interrupts off and every other CPU halted for good (their locks stay as they were: print only
 * with kprintf_unlocked afterwards); any CPU that gets here later halts for ever.
 */
void machine_stop(void);

#ifdef SKOLL_DEBUG
#define kassert(c) \
    do { \
        if (!(c)) \
            panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__); \
    } while (0)
#else
#define kassert(c) ((void)0)
#endif
