/* System calls on threads and futexes. */
#include <k/syscall.h>
#include <k/universe.h>
#include <k/sched.h>
#include <k/futex.h>
#include <k/uspace.h>
#include <k/percpu.h>
#include <arch/cpu.h>

static int user_addr_ok(uint64_t a)
{
    return a < SK_USER_TOP;
}

/*
 * thread_create(universe, space, const struct sk_thread_create *args) -> thread handle.
 * The universe needs SK_RIGHT_MANAGE, the space SK_RIGHT_MANAGE.
 * SK_THREAD_OBSERVED: the thread is observed from birth (docs/observation.md).
 */
SYSCALL_DEFINE(thread_create)
{
    SYSCALL_UNUSED_ARGS;
    struct sk_thread_create args;
    sk_error_t err = copy_from_user(&args, a2, sizeof args);
    if (err)
        return err;
    if (!user_addr_ok(args.entry) || !user_addr_ok(args.stack) ||
        (args.exit_word && !user_addr_ok(args.exit_word)))
        return SK_ERR_OUT_OF_RANGE;
    if (args.exit_word & 7)
        return SK_ERR_ALIGNMENT;
    if (args.priority > SK_THREAD_PRIO_MAX ||
        (args.flags & ~(SK_THREAD_START_STOPPED | SK_THREAD_OBSERVED | SK_THREAD_FOREIGN)) ||
        ((args.flags & SK_THREAD_FOREIGN) && !(args.flags & SK_THREAD_OBSERVED)))
        return SK_ERR_INVALID;
    struct kobject *u, *s;
    err = handle_get((sk_handle_t)a0, SK_OBJ_UNIVERSE, SK_RIGHT_MANAGE, &u, NULL);
    if (err)
        return err;
    err = handle_get((sk_handle_t)a1, SK_OBJ_SPACE, SK_RIGHT_MANAGE, &s, NULL);
    if (err) {
        kobj_put(u);
        return err;
    }
    /* everything that can fail before anything exists: the universe, the handle's room */
    struct universe *mine = thread_universe(current_thread());
    err = universe_ended((struct universe *)u) ? SK_ERR_DEAD : universe_reserve(mine, 1);
    struct thread *t = NULL;
    if (!err) {
        err = thread_create_user((struct universe *)u, (struct vm_space *)s, args.entry,
                                 args.stack, args.arg, args.priority, args.exit_word, &t);
        if (err)
            universe_unreserve(mine, 1);
    }
    kobj_put(s);
    kobj_put(u);
    if (err)
        return err;
    observe_thread_init(t, args.flags & SK_THREAD_OBSERVED, args.flags & SK_THREAD_FOREIGN);
    sk_handle_t h;
    universe_insert_reserved(mine, &t->obj, SK_RIGHTS_ALL, &h); /* (our own: cannot fail) */
    /* (a universe that ended meanwhile: the thread never runs, as if killed at once) */
    if (!(args.flags & SK_THREAD_START_STOPPED))
        thread_start(t);
    kobj_put(&t->obj);
    *ret = (uint64_t)h;
    return SK_OK;
}

/*
 * A user thread, alive or not, from a handle with SK_RIGHT_MANAGE: a counted
 * reference in *out. Kernel threads are SK_ERR_INVALID (not user business).
 */
sk_error_t thread_get_managed(uint64_t h, struct thread **out)
{
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)h, SK_OBJ_THREAD, SK_RIGHT_MANAGE, &o, NULL);
    if (err)
        return err;
    struct thread *t = (struct thread *)o;
    if (!thread_is_user(t)) {
        kobj_put(o);
        return SK_ERR_INVALID;
    }
    *out = t;
    return SK_OK;
}

/*
 * A thread that runs (or ran) in user space, from a handle with SK_RIGHT_MANAGE:
 * a counted reference in *out. Kernel threads, and user threads already reaped,
 * have no space and are SK_ERR_INVALID.
 */
static sk_error_t get_managed_thread(uint64_t h, struct thread **out)
{
    struct thread *t;
    sk_error_t err = thread_get_managed(h, &t);
    if (err)
        return err;
    if (!t->space) {
        kobj_put(&t->obj);
        return SK_ERR_INVALID;
    }
    *out = t;
    return SK_OK;
}

/* thread_start(thread): start a thread created with SK_THREAD_START_STOPPED. */
SYSCALL_DEFINE(thread_start)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = get_managed_thread(a0, &t);
    if (err)
        return err;
    err = thread_start(t);
    kobj_put(&t->obj);
    return err;
}

/* thread_exit(code): end the calling thread. */
SYSCALL_DEFINE(thread_exit)
{
    SYSCALL_UNUSED_ARGS;
    thread_exit(SK_EXIT_DONE | (uint32_t)a0);
}

SYSCALL_DEFINE(thread_yield)
{
    SYSCALL_UNUSED_ARGS;
    sched_yield();
    return SK_OK;
}

/* thread_set_priority(thread, prio): takes effect at its next scheduling. */
SYSCALL_DEFINE(thread_set_priority)
{
    SYSCALL_UNUSED_ARGS;
    if (a1 > SK_THREAD_PRIO_MAX)
        return SK_ERR_INVALID;
    struct thread *t;
    sk_error_t err = get_managed_thread(a0, &t);
    if (err)
        return err;
    __atomic_store_n(&t->prio, (unsigned)a1, __ATOMIC_RELAXED);
    kobj_put(&t->obj);
    return SK_OK;
}

/* thread_set_base(which, value): the calling thread's FS or GS base. */
SYSCALL_DEFINE(thread_set_base)
{
    SYSCALL_UNUSED_ARGS;
    if (a0 != SK_BASE_FS && a0 != SK_BASE_GS)
        return SK_ERR_INVALID;
    if (!user_addr_ok(a1))
        return SK_ERR_OUT_OF_RANGE;
    struct thread *t = current_thread();
    uint64_t f = irq_save();
    if (a0 == SK_BASE_FS) {
        t->fs_base = a1;
        wrmsr(MSR_FS_BASE, a1);
    } else {
        t->gs_base = a1; /* the user's GS base sits in KERNEL_GS_BASE until swapgs */
        wrmsr(MSR_KERNEL_GS_BASE, a1);
    }
    irq_restore(f);
    return SK_OK;
}

/* futex_wait(addr, expected, timeout_ns) */
SYSCALL_DEFINE(futex_wait)
{
    SYSCALL_UNUSED_ARGS;
    if (!user_addr_ok(a0))
        return SK_ERR_FAULT;
    return futex_wait_user(a0, a1, a2);
}

/* futex_wake(addr, count) -> number woken */
SYSCALL_DEFINE(futex_wake)
{
    SYSCALL_UNUSED_ARGS;
    if (a0 & 7)
        return SK_ERR_ALIGNMENT;
    if (!user_addr_ok(a0))
        return SK_ERR_FAULT;
    uint32_t n;
    sk_error_t err = futex_wake_user(a0, a1 > UINT32_MAX ? UINT32_MAX : (uint32_t)a1, &n);
    *ret = n;
    return err;
}

/* thread_kill(thread): the thread ends (SK_EXIT_KILLED) at its next return to user mode. */
SYSCALL_DEFINE(thread_kill)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = get_managed_thread(a0, &t);
    if (err)
        return err;
    thread_kill(t);
    kobj_put(&t->obj);
    return SK_OK;
}

/*
 * thread_set_affinity(thread, mask): the thread runs only on the CPUs in mask
 * from now on (bits of CPUs that are not online are ignored). Checked in this
 * order: handle, mask (SK_ERR_INVALID if it names no online CPU), thread ended
 * (SK_ERR_DEAD).
 */
SYSCALL_DEFINE(thread_set_affinity)
{
    SYSCALL_UNUSED_ARGS;
    struct thread *t;
    sk_error_t err = thread_get_managed(a0, &t);
    if (err)
        return err;
    if (!(a1 & sched_cpu_mask()))
        err = SK_ERR_INVALID;
    else if (observe_thread_ended(t))
        err = SK_ERR_DEAD;
    else
        sched_set_affinity(t, a1);
    kobj_put(&t->obj);
    return err;
}
