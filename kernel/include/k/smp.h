/*
 * Other CPUs: bring-up, inter-processor interrupts and cross-CPU calls.
 * CPUs are named by logical index (struct cpu.id, 0 = boot CPU).
 */
#pragma once
#include <stdint.h>

/*
 * Start every enabled CPU of the MADT (boot CPU only, once). A CPU that does not
 * answer in time is logged and skipped. Fills cpus[], cpu_count, cpus_online,
 * and logs "smp: N CPUs online". Needs smp_call_init first.
 */
void smp_boot(void);
/* Send vector to one online CPU. Returns 0 or -1 (no such CPU). */
int smp_send_ipi(unsigned cpu, unsigned vector);
/* Send vector to every other CPU. */
void smp_send_ipi_others(unsigned vector);
/*
 * Run fn(arg) on CPU cpu in interrupt context (directly, with interrupts off,
 * if cpu is this CPU). With wait, return only after fn returned. Safe with
 * interrupts disabled: while waiting, this CPU serves calls aimed at it.
 * Returns 0, or -1 if cpu is not online (fn is then not run).
 */
int smp_call(unsigned cpu, void (*fn)(void *), void *arg, int wait);
/*
 * Run the cross-CPU calls queued for this CPU now. Interrupts must be off.
 * For spin-waits with interrupts disabled on a lock whose holder may itself
 * be waiting for this CPU to run a call (TLB shootdown under the VM locks).
 */
void smp_call_poll(void);
/*
 * Boot CPU, once, before smp_boot: install the call IPI handler, the NMI hook
 * that halts a CPU while another stops the machine, and machine_stop_others.
 */
void smp_call_init(void);
