/*
 * Weak stand-ins for the thread and universe functions user memory calls,
 * so this code links before threads and universes exist. The real
 * definitions (kernel/core/thread*.c, universe.c) replace them at link time;
 * delete this file once they are in the tree.
 */
#include <stddef.h>
#include <k/thread.h>
#include <k/universe.h>
#include <k/panic.h>
#include <arch/idt.h>

__attribute__((weak, noreturn)) void thread_die_from_fault(struct trap_frame *tf)
{
    panic("user fault at rip 0x%lx with no thread support", tf->rip);
}

__attribute__((weak)) struct thread *current_thread(void)
{
    return NULL;
}

__attribute__((weak)) struct universe *thread_universe(struct thread *t)
{
    (void)t;
    return NULL;
}

__attribute__((weak)) sk_error_t handle_get(sk_handle_t h, uint32_t type, uint32_t need,
                                            struct kobject **out, uint32_t *rights)
{
    (void)h, (void)type, (void)need, (void)out, (void)rights;
    return SK_ERR_BAD_HANDLE;
}

__attribute__((weak)) sk_error_t universe_insert(struct universe *u, struct kobject *o,
                                                 uint32_t rights, sk_handle_t *out)
{
    (void)u, (void)o, (void)rights, (void)out;
    return SK_ERR_NO_MEMORY;
}
