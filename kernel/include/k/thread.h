/*
 * Threads: kernel threads and user threads, each with its own kernel stack,
 * saved registers and FPU/vector state, scheduled preemptively on every CPU.
 * A user thread belongs to a universe (its handles) and an address space.
 */
#pragma once
#include <stdint.h>
#include <skoll/types.h>
#include <skoll/errors.h>
#include <k/object.h>
#include <k/percpu.h>

struct universe;
struct vm_space;
struct trap_frame;
struct thread;

/* The thread running on this CPU (the CPU's idle thread when nothing else runs). */
static inline struct thread *current_thread(void)
{
    return this_cpu()->current;
}
struct universe *thread_universe(struct thread *t);
struct vm_space *thread_space(struct thread *t);

/* Start a kernel thread running fn(arg) at priority prio. Returns it with a reference, or NULL. */
struct thread *kthread_create(void (*fn)(void *), void *arg, unsigned prio, const char *name);

/*
 * The current thread took an exception in user mode that nothing resolved:
 * report it on the console and end the thread (exit status SK_EXIT_FAULT).
 */
__attribute__((noreturn)) void thread_die_from_fault(struct trap_frame *tf);
/*
 * The same, except that an observed thread stops for its observer instead
 * (k/observe.h) and this returns once it is resumed: the return to user mode
 * then retries the instruction, or ends the thread if it was killed meanwhile.
 * Interrupts off.
 */
void thread_user_fault(struct trap_frame *tf);
