/*
 * Queue operations that need no object of their own: waiting for a clock
 * deadline, and the memory operations that can take time (protect, reading or
 * writing another address space, forking a memory object). The memory
 * operations run in the submitting thread during queue_drive, so their copies
 * happen in the right address space.
 */
#include <k/async.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/sched.h>
#include <k/clock.h>
#include <k/heap.h>
#include <arch/cpu.h>

/* ---- clock_await(deadline_ns) ---- */

static void clock_fired(struct timer *t)
{
    async_complete(t->arg, SK_OK, clock_ns(), 0);
}

/*
 * The provider makes the op cancellable just before it arms the timer (after, the timer
 * could fire and the op be freed first), so a canceller on another CPU may come in between:
 * it then waits for the arming, or for the completion, rather than finding no timer and
 * leaving the op to wait for its deadline, for ever if that is far (found by test-fuzz).
 * The canceller's reference keeps the op. On the provider's own CPU nothing comes between.
 */
static void clock_cancel(struct async_op *op)
{
    while (!timer_cancel(&op->u.timer)) {
        if (__atomic_load_n(&op->state, __ATOMIC_ACQUIRE) != 0)
            return; /* fired (or is firing: its callback completes it) */
        cpu_relax();
    }
    async_complete(op, SK_ERR_CANCELLED, 0, 0);
}

/*
 * Even a deadline already past goes through the timer queue (which fires it at
 * the next timer interrupt): completing it on the spot could overtake timers
 * with earlier deadlines whose interrupt is still on its way, and a queue's
 * timers must complete in deadline order.
 */
sk_error_t async_submit_clock_await(struct async_op *op)
{
    op->cancel = clock_cancel;
    timer_arm(&op->u.timer, op->args[0], clock_fired, op);
    return SK_OK;
}

/* ---- memory ---- */

/* mem_protect(space, addr, len, prot): as space_protect. */
sk_error_t async_submit_mem_protect(struct async_op *op)
{
    uint64_t ret = 0;
    sk_error_t err = sys_space_protect(op->args[0], op->args[1], op->args[2], op->args[3], 0, 0,
                                       &ret);
    if (!err)
        async_complete(op, SK_OK, 0, 0);
    return err;
}

/* mem_fork(memory) -> a handle to a copy-on-write copy (value), as memory_fork. */
sk_error_t async_submit_mem_fork(struct async_op *op)
{
    uint64_t ret = 0;
    sk_error_t err = sys_memory_fork(op->args[0], 0, 0, 0, 0, 0, &ret);
    if (!err)
        async_complete(op, SK_OK, ret, 0);
    return err;
}

#define XFER_MAX (64ull << 20)

/* mem_read(space, remote_addr, local_addr, len) / mem_write(space, remote_addr, local_addr, len).
   value = bytes copied; on a fault part way, the error and how far it got. */
static sk_error_t submit_transfer(struct async_op *op, int to_remote)
{
    if (op->args[3] > XFER_MAX)
        return SK_ERR_TOO_BIG;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)op->args[0], SK_OBJ_SPACE,
                                to_remote ? SK_RIGHT_WRITE : SK_RIGHT_READ, &o, NULL);
    if (err)
        return err;
    uint64_t done = 0;
    struct vm_space *local = thread_space(current_thread()), *remote = (struct vm_space *)o;
    if (to_remote)
        err = vm_copy_between(remote, op->args[1], local, op->args[2], op->args[3], &done);
    else
        err = vm_copy_between(local, op->args[2], remote, op->args[1], op->args[3], &done);
    kobj_put(o);
    async_complete(op, err, done, 0);
    return SK_OK;
}

sk_error_t async_submit_mem_read(struct async_op *op)
{
    return submit_transfer(op, 0);
}

sk_error_t async_submit_mem_write(struct async_op *op)
{
    return submit_transfer(op, 1);
}

/* mem_copy(src space, src addr, dst space, dst addr, len): between any two spaces (a server
   handing one client's bytes straight to another). value = bytes copied; on a fault part
   way, the error and how far it got. */
sk_error_t async_submit_mem_copy(struct async_op *op)
{
    if (op->args[4] > XFER_MAX)
        return SK_ERR_TOO_BIG;
    struct kobject *src, *dst;
    sk_error_t err = handle_get((sk_handle_t)op->args[0], SK_OBJ_SPACE, SK_RIGHT_READ, &src, NULL);
    if (err)
        return err;
    err = handle_get((sk_handle_t)op->args[2], SK_OBJ_SPACE, SK_RIGHT_WRITE, &dst, NULL);
    if (err) {
        kobj_put(src);
        return err;
    }
    uint64_t done = 0;
    err = vm_copy_between((struct vm_space *)dst, op->args[3], (struct vm_space *)src,
                          op->args[1], op->args[4], &done);
    kobj_put(dst);
    kobj_put(src);
    async_complete(op, err, done, 0);
    return SK_OK;
}

/* thread_stats(thread, stats*) */
SYSCALL_DEFINE(thread_stats)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_THREAD, SK_RIGHT_READ, &o, NULL);
    if (err)
        return err;
    struct thread *t = (struct thread *)o;
    /* the time it has run, with the slice it is running now */
    uint64_t run = __atomic_load_n(&t->run_ns, __ATOMIC_RELAXED);
    if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) && t->state == THREAD_RUNNING) {
        uint64_t start = __atomic_load_n(&t->run_start, __ATOMIC_RELAXED), now = clock_ns();
        if (now > start)
            run += now - start;
    }
    struct sk_thread_stats st = {t->syscalls, t->switches, (uint64_t)t->cpu, run};
    kobj_put(o);
    return copy_to_user(a1, &st, sizeof st);
}
