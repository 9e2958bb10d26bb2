/*
 * Thread observation (docs/observation.md): an observed user thread stops,
 * instead of dying or running on, at faults, breakpoints, supercalls and
 * interrupt requests; a supervisor learns of each stop through an observe
 * operation on its queue, reads and writes the stopped thread's registers
 * and resumes it.
 *
 * A stopped thread sits in observe's wait loop, THREAD_BLOCKED (after a short watch for
 * a quick answer, stop_spin, while its CPU has nothing else to do), with its user
 * registers in the trap frame at the top of its kernel stack and its FPU state
 * saved in its save area once it is off the CPU. Every field below is guarded
 * by the one observation lock in kernel/core/observe.c, except stop_request,
 * which the thread reads without it on its way to user mode, and exact_return,
 * which only the thread itself touches.
 */
#pragma once
#include <stdint.h>
#include <skoll/errors.h>
#include <skoll/observe.h>

struct thread;
struct trap_frame;
struct async_op;

struct thread_obs {
    int observed;              /* stops instead of dying; never cleared */
    int foreign;               /* every syscall stops (SK_THREAD_FOREIGN); fixed at creation */
    int stopped;               /* in the stop loop (set by the thread, cleared by resume) */
    int reported;              /* the current stop has been delivered to an observe op */
    int exited;                /* the thread has ended (or was killed before it started) */
    volatile int stop_request; /* thread_interrupt: stop on the way to user mode */
    int exact_return;          /* stopped since its last return to user: leave by iret */
    int hold;                  /* a supervisor waits to find it off the CPU: no stop_spin */
    uint64_t detail;           /* value2 of the current stop's completion */
    struct sk_stop_info info;  /* the current stop (or the exit) */
    struct async_op *op;       /* the pending observe operation, holding a thread reference */
};

/* A new thread (not started yet): observed from birth if observed is non-zero. */
void observe_thread_init(struct thread *t, int observed, int foreign);

/*
 * The current user thread took exception tf->vector in user mode and nothing
 * resolved it. If the thread is observed, stop it and return 1 once it is
 * resumed (or killed: the way back to user mode ends it); 0 if the caller must
 * end the thread. Interrupts off; tf is the thread's user trap frame.
 */
int observe_fault(struct trap_frame *tf);
/*
 * The current thread made a system call with tf->rax in the supercall range.
 * If it is observed, stop it and return 1 when it is resumed or killed, with
 * tf holding what the supervisor wrote; 0 if the call is not a supercall or
 * the thread is not observed. Interrupts on or off.
 */
int observe_supercall(struct trap_frame *tf);
/* sched_return_to_user saw stop_request: stop (interrupts off) and return when resumed or killed. */
void observe_stop_requested(struct thread *t);
/* The thread has stopped since it last entered the kernel: clear that and return 1 if so. */
int observe_take_exact_return(struct thread *t);
/*
 * The thread ends with status: pending and later observe operations complete
 * with SK_STOP_EXIT. Called by the thread itself in thread_exit, or by
 * thread_kill for a thread that never started. No locks held.
 */
void observe_thread_exit(struct thread *t, uint64_t status);
/* 1 once t has ended (observe_thread_exit has run for it), else 0. No locks held. */
int observe_thread_ended(struct thread *t);

/*
 * The system calls' side (kernel/core/sys_observe.c; semantics in docs/abi.md).
 * interrupt: SK_OK, SK_ERR_DEAD, SK_ERR_INVALID (not observed); a stopped
 * thread is left as it is. resume: SK_OK, SK_ERR_DEAD, SK_ERR_NOT_STOPPED.
 * No locks held.
 */
sk_error_t observe_interrupt(struct thread *t);
sk_error_t observe_resume(struct thread *t);
/*
 * Copy register set kind of stopped thread t to or from buf (a kernel buffer
 * of observe_regs_size(kind) bytes; for set, already validated). SK_OK,
 * SK_ERR_NOT_STOPPED, SK_ERR_DEAD, SK_ERR_INVALID (set of a read-only kind).
 */
sk_error_t observe_regs_get(struct thread *t, uint32_t kind, void *buf);
sk_error_t observe_regs_set(struct thread *t, uint32_t kind, const void *buf);
/* Bytes of register set kind, 0 for an unknown kind. */
uint64_t observe_regs_size(uint32_t kind);

/* Architecture side (kernel/arch/x86_64/regs.c). The thread is stopped and off the CPU. */
struct trap_frame *arch_user_frame(struct thread *t);
uint64_t arch_regs_size(uint32_t kind);
/* Check a register set before it is written; no side effects. SK_OK or the error. */
sk_error_t arch_regs_check(uint32_t kind, const void *buf);
void arch_regs_get(struct thread *t, uint32_t kind, void *buf);
void arch_regs_set(struct thread *t, uint32_t kind, const void *buf);
