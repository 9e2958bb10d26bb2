/*
 * System calls of thread observation: thread_interrupt, thread_resume,
 * thread_get_regs, thread_set_regs (docs/abi.md, docs/observation.md). They
 * check handles, kinds, sizes and values, move register sets through a kernel
 * buffer, and leave the work to kernel/core/observe.c.
 */
#include <k/syscall.h>
#include <k/universe.h>
#include <k/sched.h>
#include <k/heap.h>
#include <k/uspace.h>

#define SMALL_REGS 256 /* register sets up to this size go through the stack */

/* thread_interrupt(thread): an observed thread stops at its next return to user mode. */
SYSCALL_DEFINE(thread_interrupt)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = thread_get_managed(a0, &t);
    if (err)
        return err;
    err = observe_interrupt(t);
    kobj_put(&t->obj);
    return err;
}

/* thread_resume(thread): a stopped thread runs on with the registers it has now. */
SYSCALL_DEFINE(thread_resume)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = thread_get_managed(a0, &t);
    if (err)
        return err;
    err = observe_resume(t);
    kobj_put(&t->obj);
    return err;
}

/*
 * thread_get_regs(thread, kind, buf, size) -> bytes. size 0 asks for the size
 * of the set; otherwise size must be exactly that.
 */
SYSCALL_DEFINE(thread_get_regs)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = thread_get_managed(a0, &t);
    if (err)
        return err;
    uint64_t n = a1 < SK_REGS_KINDS ? observe_regs_size((uint32_t)a1) : 0;
    if (n == 0 || (a3 != 0 && a3 != n)) {
        kobj_put(&t->obj);
        return SK_ERR_INVALID;
    }
    if (a3 == 0) {
        kobj_put(&t->obj);
        *ret = n;
        return SK_OK;
    }
    uint8_t small[SMALL_REGS] __attribute__((aligned(16)));
    void *buf = n <= sizeof small ? small : kmalloc(n);
    if (!buf) {
        kobj_put(&t->obj);
        return SK_ERR_NO_MEMORY;
    }
    err = observe_regs_get(t, (uint32_t)a1, buf);
    kobj_put(&t->obj);
    if (!err)
        err = copy_to_user(a2, buf, n);
    if (buf != small)
        kfree(buf);
    if (!err)
        *ret = n;
    return err;
}

/* thread_set_regs(thread, kind, buf, size): size must be exactly the set's size. */
SYSCALL_DEFINE(thread_set_regs)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = thread_get_managed(a0, &t);
    if (err)
        return err;
    uint64_t n = a1 < SK_REGS_KINDS ? observe_regs_size((uint32_t)a1) : 0;
    if (n == 0 || a3 != n || a1 == SK_REGS_STOP) {
        kobj_put(&t->obj);
        return SK_ERR_INVALID;
    }
    uint8_t small[SMALL_REGS] __attribute__((aligned(16)));
    void *buf = n <= sizeof small ? small : kmalloc(n);
    if (!buf) {
        kobj_put(&t->obj);
        return SK_ERR_NO_MEMORY;
    }
    err = copy_from_user(buf, a2, n);
    if (!err)
        err = arch_regs_check((uint32_t)a1, buf);
    if (!err)
        err = observe_regs_set(t, (uint32_t)a1, buf);
    kobj_put(&t->obj);
    if (buf != small)
        kfree(buf);
    return err;
}
