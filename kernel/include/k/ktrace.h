/*
 * A developer's event trace (docs/testing.md, "Tracing"): with the boot option
 * ktrace=SKIP the kernel records, after the first SKIP events, the next
 * KTRACE_N events (TSC, CPU, event, two arguments) and prints them when a test
 * run ends. Off by default: each trace point is then one load and a branch.
 */
#pragma once
#include <stdint.h>

enum ktrace_event {
    KT_STOP = 1,     /* a stop reported to a waiting supervisor: thread id, reason */
    KT_STOP_BLOCK,   /* a stopped thread gives up watching and blocks: id */
    KT_STOP_END,     /* a stopped thread leaves its stop: id */
    KT_RESUME,       /* a supervisor resumes a thread: id */
    KT_SWITCH,       /* a CPU switches threads: from id, to id */
    KT_DRIVE_IN,     /* queue_drive has submitted: caller id, entries taken */
    KT_DRIVE_BLOCK,  /* queue_drive sleeps: caller id */
    KT_DRIVE_OUT,    /* queue_drive returns: caller id, completions unread */
    KT_IPI,          /* an IPI sent: target CPU, vector */
    KT_TIMER_IRQ,    /* the timer interrupt: the first deadline, now */
    KT_TIMER,        /* a timer fires: its function */
    KT_SCHEDULE,     /* schedule() entered: current id, return address */
    KT_CR3,          /* CR3 written: caller, bytes flushed (0: a switch) */
    KT_OP,           /* an operation submitted: opcode */
    KT_DRIVE_ENTER,  /* queue_drive called: caller id */
};

extern int ktrace_on;
void ktrace_init(const char *cmdline);
void ktrace_rec(uint32_t ev, uint64_t a, uint64_t b);
void ktrace_dump(void);

static inline void ktrace(uint32_t ev, uint64_t a, uint64_t b)
{
    if (__builtin_expect(ktrace_on, 0))
        ktrace_rec(ev, a, b);
}
