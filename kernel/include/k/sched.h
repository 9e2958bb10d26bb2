/*
 * Threads and the scheduler (kernel-internal view; k/thread.h is the public one).
 *
 * Scheduling: per-CPU run queues with 16 priority levels (higher runs first),
 * round robin with a time slice within a level, idle CPUs steal work and halt
 * when there is none. The kernel itself is not preemptible: a thread is
 * switched out only when it blocks or yields in the kernel, or on its way back
 * to user mode (after a syscall or an interrupt that came from user mode).
 *
 * A thread runs only on the CPUs its affinity mask allows (among those online;
 * new threads may run anywhere). Its context is live on at most one CPU
 * (on_cpu): a waker waits for the switch-out to finish before queueing it, and
 * a thread still live on one CPU may sit on another's queue (moving away for
 * its mask) but no CPU takes it from there until it is switched out.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <k/object.h>
#include <k/thread.h>
#include <k/timer.h>
#include <k/spinlock.h>
#include <k/observe.h>

#define KSTACK_SIZE (16 * 1024)
#define SCHED_PRIOS 16
#define SCHED_SLICE_NS 4000000ull /* 4 ms */

enum thread_state {
    THREAD_NEW,      /* created, not started (or created stopped) */
    THREAD_RUNNABLE, /* on a run queue, or about to be put on one by its waker */
    THREAD_RUNNING,
    THREAD_BLOCKED,
    THREAD_DEAD,
};

struct thread {
    struct kobject obj;          /* SK_OBJ_THREAD */
    uint64_t saved_rsp;          /* kernel stack pointer while switched out */
    uint64_t kstack_top;
    void *kstack;                /* KSTACK_SIZE bytes */
    void *fpu;                   /* FPU/vector state (64-byte aligned, in the struct's own
                                    allocation, after it), NULL for kernel threads */
    uint64_t fs_base, gs_base;   /* user's FS base and (inactive) GS base */
    volatile int state;          /* enum thread_state */
    volatile int on_cpu;         /* context live on a CPU */
    int cpu;                     /* run queue it belongs to / last CPU */
    unsigned prio;
    uint64_t affinity;           /* CPUs it may run on: bit i = CPU i; ~0 = any */
    uint64_t id;
    uint8_t creds[16];           /* IPC credentials (k/ipc.h), fixed at creation */
    struct thread *rq_next;
    struct universe *universe;   /* a reference; NULL for kernel threads */
    struct thread *qwait_next;   /* a queue's list of threads sleeping in queue_drive */
    uint64_t syscalls;           /* native system calls made (thread_stats) */
    uint64_t switches;           /* times switched to */
    uint64_t run_ns;             /* time it ran on a CPU, up to its last switch away */
    uint64_t run_start;          /* when it was last switched to (clock_ns) */
    struct vm_space *space;      /* NULL for kernel threads */
    volatile int kill;           /* asked to die: acts on the way to user mode */
    int started;                 /* thread_start has been called (guarded by its lock) */
    uint64_t exit_word;          /* user address to receive the exit status, or 0 */
    uint64_t exit_status;
    void (*on_exit)(struct thread *t, uint64_t status); /* kernel hook, in the thread's context */
    /* blocking: futexes and timed sleeps. A wait ends with timer_cancel_sync on
       wait_timer: a thread woken otherwise while its timer fires on another CPU
       must not go on while that callback is in flight (the next wait's arm would
       fail, and the old callback, e.g. futex timed_out, might not wake the new
       wait; or it could run after the thread is freed). */
    struct timer wait_timer;
    volatile int wait_result;    /* SK_OK when woken, SK_ERR_TIMEOUT on timeout */
    struct thread *futex_next;
    const void *futex_key_obj;
    uint64_t futex_key_off;
    int futex_bucket;            /* -1 when not queued */
    struct thread_obs obs;       /* observation state (k/observe.h) */
    char name[16];
};

/* A user thread (kernel threads have no FPU area); true for its whole life, unlike t->space. */
static inline int thread_is_user(const struct thread *t)
{
    return t->fpu != NULL;
}

/* Per-CPU scheduler state lives in struct cpu (k/percpu.h): rq lock, queues, idle thread. */

/* Boot CPU: set up the scheduler's global state. Once, before any CPU calls sched_start_cpu. */
void sched_init(void);
/* Turn this CPU's boot context into its idle thread and enable scheduling here; returns. */
void sched_start_cpu(void);
/* This CPU's idle loop: run threads, halt when there are none. Never returns. */
__attribute__((noreturn)) void sched_idle_loop(void);

/* How long an idle CPU watches its queue before halting (boot option idle.poll_us=, 0: halt
   at once). */
extern uint64_t sched_idle_poll_ns;
/* Around a watch by the current thread that any other work should end (stop_spin): wakers
   treat this CPU as idle. Interrupts on or off; the caller looks at sched_others_waiting. */
void sched_watch_begin(void);
void sched_watch_end(void);

/* Give up the CPU; returns when this thread runs again. Interrupts may be on or off. */
void sched_yield(void);
/*
 * Block the current thread, whose state the caller set to THREAD_BLOCKED after
 * queueing it where a waker will find it. Returns when woken.
 */
void sched_block(void);
/*
 * The current thread set itself THREAD_BLOCKED, then found what it waits for already
 * there: make it RUNNING again. Never store RUNNING directly: a waker on another CPU
 * may have made it RUNNABLE meanwhile and will queue it once it is off its CPU, so
 * then it must get off (it is switched out and queued, and this returns when it runs).
 * Interrupts off.
 */
void sched_cancel_block(void);
/* A timer callback that wakes the thread in tm->arg (for timed sleeps). */
void sched_wake_timer(struct timer *tm);
/* Sleep for at least ns nanoseconds (kernel threads; uses the thread's wait timer). */
void sched_sleep_ns(uint64_t ns);
/* Make t runnable (from BLOCKED or NEW). Returns 1 if this call woke it. Any context. */
int sched_wake(struct thread *t);
/* Called on the way back to user mode with interrupts off: switch if asked, die if killed. */
void sched_return_to_user(void);
/* Ask this CPU to reschedule at the next opportunity. */
void sched_set_need_resched(void);
/* Something else wants this CPU: a thread in its queue, or a reschedule asked for. A hint
   (the caller may move meanwhile) for threads that spin before blocking. */
int sched_others_waiting(void);
/* The CPUs that schedule threads (bit i = CPU i). CPUs join once and never leave. */
uint64_t sched_cpu_mask(void);
/*
 * Let t run only on the CPUs in mask, which must name at least one CPU of
 * sched_cpu_mask(). On return t is on no other CPU's run queue; if t is the
 * caller, it runs on one of those CPUs (it may have switched to get there); if
 * it runs elsewhere, that CPU has been interrupted and moves it at its next
 * scheduling. Thread context, no locks held.
 */
void sched_set_affinity(struct thread *t, uint64_t mask);

/* Thread management (kernel/core/thread.c). */
/* Create a user thread in u and s, entering user mode at entry with rsp = stack, rdi = arg. */
sk_error_t thread_create_user(struct universe *u, struct vm_space *s, uint64_t entry,
                              uint64_t stack, uint64_t arg, unsigned prio, uint64_t exit_word,
                              struct thread **out);
/* A user thread from handle h with SK_RIGHT_MANAGE (a counted reference in *out), for the
   thread system calls; SK_ERR_INVALID for kernel threads, or handle_get's error. */
sk_error_t thread_get_managed(uint64_t h, struct thread **out);
/* Start a NEW thread. SK_ERR_BUSY if it was started before. */
sk_error_t thread_start(struct thread *t);
/* End the current thread with status (SK_EXIT_* bits). */
__attribute__((noreturn)) void thread_exit(uint64_t status);
/* Ask t to die; it does on its way to user mode (blocked threads are woken for it). */
void thread_kill(struct thread *t);
/* Called by the scheduler after a switch away from a dead thread: drop its last references. */
void thread_reap(struct thread *t);
/* Number of threads that exist (for leak checks in tests). */
uint64_t thread_count(void);

/* Architecture (kernel/arch/x86_64): */
/* Switch stacks: save callee-saved registers and rsp into *prev_rsp, load next_rsp. Returns prev. */
struct thread *context_switch(uint64_t *prev_rsp, uint64_t next_rsp, struct thread *prev);
/* Prepare a new thread's kernel stack so the first switch to it runs fn(arg) (kernel) or enters user mode. */
void arch_thread_init_kernel(struct thread *t, void (*fn)(void *), void *arg);
void arch_thread_init_user(struct thread *t, uint64_t entry, uint64_t stack, uint64_t arg);
/* Per-switch architecture state: kernel stack for traps and syscalls, FS/GS bases, FPU. */
void arch_switch_to(struct thread *prev, struct thread *next);
/* FPU state (kernel/arch/x86_64/fpu.c). */
void fpu_init_cpu(void);
uint64_t fpu_state_size(void);
void fpu_init_state(void *area);
/*
 * A save image from user space (fpu_state_size bytes): SK_OK if restoring it
 * cannot fault (MXCSR reserved bits clear; with XSAVE, a header naming only
 * enabled components in the standard format), else SK_ERR_INVALID.
 */
sk_error_t fpu_image_check(const void *img);
/*
 * Make every component in an XSAVE image explicit (a component in its initial
 * state gets its initial values and its XSTATE_BV bit), so that editing any
 * register of the image takes effect when it is restored. No-op with FXSAVE.
 */
void fpu_image_normalise(void *img);
/* syscall/sysret MSRs on this CPU. */
void syscall_init_cpu(void);
