/*
 * One-shot kernel timers, kept sorted per CPU. The local APIC timer is
 * programmed for the earliest deadline of the CPU a timer was armed on.
 * Callbacks run in interrupt context on that CPU, never before the deadline,
 * in deadline order (ties: arming order), with the queue lock released, so a
 * callback may re-arm its own timer.
 */
#pragma once
#include <stdint.h>

struct timer {
    struct timer *next;
    uint64_t deadline; /* clock_ns() value */
    void (*fn)(struct timer *t);
    void *arg; /* for the callback */
    int cpu;   /* queue it is on */
    volatile int armed; /* 0 idle, 1 queued, 2 expired and about to fire */
};

/*
 * Arm t on this CPU to call fn(t) once clock_ns() >= deadline_ns.
 * Returns 0, or -1 if t is already armed or firing, or fn is NULL (nothing
 * changes). A timer struct must not be armed from two CPUs at once.
 * Takes this CPU's timer lock with interrupts off.
 */
int timer_arm(struct timer *t, uint64_t deadline_ns, void (*fn)(struct timer *), void *arg);
/*
 * Disarm t (from any CPU). Returns 1 if it was pending and will not fire,
 * 0 if it was not armed (it may have fired, or be firing on its CPU right now).
 * Takes the owning CPU's timer lock.
 */
int timer_cancel(struct timer *t);
/*
 * timer_cancel, and if t's callback is running (or about to) on another CPU,
 * wait until it has returned: afterwards t is idle, may be re-armed and no call
 * of the old callback is still coming. For timers whose callback does not re-arm
 * them; the caller must hold nothing the callback takes (it may spin on it).
 */
int timer_cancel_sync(struct timer *t);
/* Set up this CPU's timer queue. Every CPU, once, before arming timers. */
void timer_init_cpu(void);
/* Timer interrupt: run the expired timers of this CPU and reprogram. Interrupt context. */
void timer_interrupt(void);

/* Provided by arch: fire timer_interrupt on this CPU at deadline_ns (TIMER_NEVER = stop). */
#define TIMER_NEVER UINT64_MAX
void arch_timer_program(uint64_t deadline_ns);
