/*
 * Thread observation (docs/observation.md): observed threads stop at faults,
 * breakpoints, supercalls and interrupt requests; the observe operation
 * (SK_OP_observe) reports stops; resume, interrupt and register access act on
 * stopped threads. The system call wrappers are in sys_observe.c, the register
 * layouts in kernel/arch/x86_64/regs.c.
 *
 * Locking: obs_lock (interrupts off) guards every thread's struct thread_obs,
 * the link between a thread and its pending observe operation (t->obs.op and
 * op->priv) and a stopped thread's registers. Nothing else is taken inside it;
 * it is never held while completing an operation, touching user memory or
 * dropping a reference. A pending operation holds a reference to its thread.
 *
 * Waking: a stopped thread sets THREAD_BLOCKED under obs_lock, so resume (which
 * clears stopped under the lock, then wakes) cannot be missed; a kill stores
 * t->kill before it looks at the state, and the thread looks at t->kill after
 * it set the state, with a full fence on both sides, so one of them sees the other.
 */
#include <k/hot.h>
#include <k/observe.h>
#include <k/ktrace.h>
#include <k/async.h>
#include <k/sched.h>
#include <k/clock.h>
#include <k/universe.h>
#include <k/futex.h>
#include <k/percpu.h>
#include <k/smp.h>
#include <k/panic.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <base/string.h>
#include <skoll/syscalls.h>

static KHOT struct spinlock obs_lock = SPINLOCK_INIT;

void observe_thread_init(struct thread *t, int observed, int foreign)
{
    t->obs.observed = observed != 0;
    t->obs.foreign = foreign != 0;
}

static int is_observed(struct thread *t)
{
    return thread_is_user(t) && __atomic_load_n(&t->obs.observed, __ATOMIC_ACQUIRE);
}

/* Detach t's pending observe op, if any. Caller holds obs_lock. */
static struct async_op *take_op(struct thread *t)
{
    struct async_op *op = t->obs.op;
    t->obs.op = NULL;
    if (op)
        op->priv = NULL;
    return op;
}

/* Complete a detached op with a stop and drop the reference it held on t. No locks held. */
static void deliver(struct async_op *op, struct thread *t, const struct sk_stop_info *info,
                    uint64_t detail)
{
    async_complete_data(op, SK_OK, info->reason, detail, info, sizeof *info);
    kobj_put(&t->obj);
}

/*
 * A stop that went to a waiting supervisor is often answered within microseconds (a Linux
 * system call the POSIX server answers at once). While nothing else wants this CPU, watch
 * for the resume for up to sched_idle_poll_ns (interrupts on) before blocking: the answer
 * then costs no switch to the idle thread and back, as drive_spin saves a server's drive.
 * It ends early for a kill, for a thread queued here (wakers take this CPU for an idle one
 * meanwhile, sched_watch_begin), and for a supervisor that needs the thread off the CPU
 * (lock_stopped sets hold). Reads without the lock are hints: stop's
 * loop looks again under it.
 */
static void stop_spin(struct thread *t, uint64_t f)
{
    if (!sched_idle_poll_ns)
        return;
    uint64_t until = clock_ns() + sched_idle_poll_ns;
    sched_watch_begin();
    irq_restore(f);
    unsigned turn = 0;
    while (__atomic_load_n(&t->obs.stopped, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&t->obs.hold, __ATOMIC_RELAXED) &&
           !__atomic_load_n(&t->kill, __ATOMIC_RELAXED) && !sched_others_waiting())
        if (cpu_relax_paced(&turn) && clock_ns() >= until)
            break;
    irq_save();
    sched_watch_end();
}

/*
 * Stop the current thread t: record the stop, report it to a pending observe
 * op, and sleep until resumed or killed. Any context a thread may block in;
 * no locks held.
 */
static void stop(struct thread *t, const struct sk_stop_info *info, uint64_t detail)
{
    uint64_t f = spin_lock_irqsave(&obs_lock);
    t->obs.info = *info;
    t->obs.detail = detail;
    t->obs.stopped = 1;
    t->obs.stop_request = 0; /* whatever stopped it answers an interrupt request too */
    t->obs.exact_return = 1;
    struct async_op *op = take_op(t);
    t->obs.reported = op != NULL;
    t->obs.hold = 0;
    spin_unlock(&obs_lock);
    if (op) {
        ktrace(KT_STOP, t->id, info->reason);
        deliver(op, t, info, detail);
        stop_spin(t, f);
    }

    spin_lock(&obs_lock);
    while (t->obs.stopped && !__atomic_load_n(&t->kill, __ATOMIC_RELAXED)) {
        ktrace(KT_STOP_BLOCK, t->id, 0);
        t->state = THREAD_BLOCKED;
        spin_unlock(&obs_lock);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with thread_kill */
        if (__atomic_load_n(&t->kill, __ATOMIC_RELAXED))
            sched_wake(t); /* undo the block ourselves; the loop then ends */
        sched_block();
        spin_lock(&obs_lock);
    }
    t->obs.stopped = 0;
    spin_unlock_irqrestore(&obs_lock, f);
    ktrace(KT_STOP_END, t->id, 0);
}

/* The register fields of a stop record. */
static void fill_from_frame(struct sk_stop_info *info, const struct trap_frame *tf)
{
    info->rip = tf->rip;
    info->rsp = tf->rsp;
}

int observe_fault(struct trap_frame *tf)
{
    struct thread *t = current_thread();
    unsigned v = (unsigned)tf->vector;
    /* NMI, double fault and machine check are not the thread's doing (and run on IST stacks) */
    if (v >= 32 || v == 2 || v == 8 || v == 18 || !is_observed(t))
        return 0;
    kassert(tf == arch_user_frame(t));
    struct sk_stop_info info;
    memset(&info, 0, sizeof info);
    fill_from_frame(&info, tf);
    info.reason = v == 3 ? SK_STOP_BREAKPOINT : SK_STOP_FAULT;
    info.vector = v;
    info.error = tf->error;
    if (v == 14)
        info.address = read_cr2();
    stop(t, &info, v | tf->error << 32);
    return 1;
}

int observe_supercall(struct trap_frame *tf)
{
    struct thread *t = current_thread();
    int foreign = t->obs.foreign; /* (implies observed: checked at creation) */
    if (!foreign && (tf->rax - SK_SUPERCALL_BASE >= SK_SUPERCALL_COUNT || !is_observed(t)))
        return 0;
    kassert(tf == arch_user_frame(t));
    struct sk_stop_info info;
    memset(&info, 0, sizeof info);
    fill_from_frame(&info, tf);
    info.reason = foreign ? SK_STOP_SYSCALL : SK_STOP_SUPERCALL;
    info.number = tf->rax;
    info.args[0] = tf->rdi;
    info.args[1] = tf->rsi;
    info.args[2] = tf->rdx;
    info.args[3] = tf->r10;
    info.args[4] = tf->r8;
    info.args[5] = tf->r9;
    stop(t, &info, tf->rax);
    return 1;
}

void observe_stop_requested(struct thread *t)
{
    struct sk_stop_info info;
    memset(&info, 0, sizeof info);
    fill_from_frame(&info, arch_user_frame(t));
    info.reason = SK_STOP_INTERRUPT;
    stop(t, &info, 0);
}

int observe_take_exact_return(struct thread *t)
{
    /* only the thread itself sets and clears this: no lock */
    if (!t->obs.exact_return)
        return 0;
    t->obs.exact_return = 0;
    return 1;
}

void observe_thread_exit(struct thread *t, uint64_t status)
{
    struct sk_stop_info info;
    memset(&info, 0, sizeof info);
    info.reason = SK_STOP_EXIT;
    info.number = status;
    uint64_t f = spin_lock_irqsave(&obs_lock);
    if (t->obs.exited) {
        spin_unlock_irqrestore(&obs_lock, f);
        return;
    }
    t->obs.exited = 1;
    t->obs.info = info;
    t->obs.detail = status;
    t->obs.stop_request = 0;
    struct async_op *op = take_op(t);
    spin_unlock_irqrestore(&obs_lock, f);
    if (op)
        deliver(op, t, &info, status);
}

int observe_thread_ended(struct thread *t)
{
    uint64_t f = spin_lock_irqsave(&obs_lock);
    int ended = t->obs.exited;
    spin_unlock_irqrestore(&obs_lock, f);
    return ended;
}

/* SK_OP_observe cancellation: complete with SK_ERR_CANCELLED unless a stop got there first. */
static void observe_cancel(struct async_op *op)
{
    uint64_t f = spin_lock_irqsave(&obs_lock);
    struct thread *t = op->priv;
    if (t && t->obs.op == op)
        take_op(t);
    else
        t = NULL;
    spin_unlock_irqrestore(&obs_lock, f);
    if (t) {
        async_complete(op, SK_ERR_CANCELLED, 0, 0);
        kobj_put(&t->obj);
    }
}

/*
 * SK_OP_observe: args[0] a thread handle with SK_RIGHT_MANAGE, args[1] flags
 * (SK_OBSERVE_RESUME, SK_OBSERVE_SET_RAX), args[2] the rax value for SET_RAX,
 * args[3..5] zero. With RESUME the thread must be stopped (SK_ERR_NOT_STOPPED,
 * SK_ERR_DEAD otherwise, and nothing changes): its stop ends, with rax set
 * first if asked, and the operation waits for the next stop. Completes with the
 * thread's next stop (value = SK_STOP_*, value2 = details, data = struct
 * sk_stop_info), at once if it is stopped and that stop has not been reported,
 * or if it has ended. Marks the thread observed.
 *
 * Writing rax does not wait for the thread to be switched out: a thread in a
 * stop has its user registers in its trap frame and touches none of them until
 * it returns to user mode, which it cannot do before stopped is cleared here
 * under obs_lock.
 */
sk_error_t async_submit_observe(struct async_op *op)
{
    uint64_t flags = op->args[1];
    if ((flags & ~(uint64_t)(SK_OBSERVE_RESUME | SK_OBSERVE_SET_RAX)) ||
        (flags == SK_OBSERVE_SET_RAX) || (!(flags & SK_OBSERVE_SET_RAX) && op->args[2]))
        return SK_ERR_INVALID;
    for (unsigned i = 3; i < 6; i++)
        if (op->args[i])
            return SK_ERR_INVALID;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)op->args[0], SK_OBJ_THREAD, SK_RIGHT_MANAGE, &o, NULL);
    if (err)
        return err;
    struct thread *t = (struct thread *)o;
    if (!thread_is_user(t)) {
        kobj_put(o);
        return SK_ERR_INVALID; /* kernel threads are not user business */
    }
    struct sk_stop_info info;
    uint64_t detail = 0;
    int now = 0, wake = 0;
    uint64_t f = spin_lock_irqsave(&obs_lock);
    if (t->obs.op) {
        err = SK_ERR_BUSY;
    } else if ((flags & SK_OBSERVE_RESUME) && t->obs.exited) {
        err = SK_ERR_DEAD;
    } else if ((flags & SK_OBSERVE_RESUME) && !t->obs.stopped) {
        err = SK_ERR_NOT_STOPPED;
    } else {
        t->obs.observed = 1;
        if (flags & SK_OBSERVE_RESUME) {
            if (flags & SK_OBSERVE_SET_RAX)
                arch_user_frame(t)->rax = op->args[2];
            t->obs.stopped = 0;
            wake = 1;
        }
        if (t->obs.exited || (t->obs.stopped && !t->obs.reported)) {
            now = 1;
            t->obs.reported = 1;
            info = t->obs.info;
            detail = t->obs.detail;
        } else {
            op->priv = t;
            op->cancel = observe_cancel;
            t->obs.op = op; /* keeps the reference from handle_get */
        }
    }
    spin_unlock_irqrestore(&obs_lock, f);
    if (wake)
        sched_wake(t);
    if (err || now) {
        if (now)
            async_complete_data(op, SK_OK, info.reason, detail, &info, sizeof info);
        kobj_put(o);
    }
    return err;
}

sk_error_t observe_interrupt(struct thread *t)
{
    sk_error_t err = SK_OK;
    int kick = 0;
    uint64_t f = spin_lock_irqsave(&obs_lock);
    if (t->obs.exited)
        err = SK_ERR_DEAD;
    else if (!t->obs.observed)
        err = SK_ERR_INVALID;
    else if (!t->obs.stopped)
        kick = 1;
    if (kick)
        __atomic_store_n(&t->obs.stop_request, 1, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&obs_lock, f);
    if (!kick)
        return err;
    /*
     * Make it reach the way back to user mode soon: end a futex wait (which must be
     * unlinked first), wake any other sleep (queue_drive, which then returns
     * SK_ERR_ALERTED; a stop, which goes back to sleep), or interrupt its CPU.
     */
    int state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
    if (state == THREAD_BLOCKED) {
        if (!futex_interrupt(t) && __atomic_load_n(&t->futex_bucket, __ATOMIC_ACQUIRE) < 0)
            sched_wake(t);
    } else if (state == THREAD_RUNNING && t != current_thread())
        smp_send_ipi((unsigned)__atomic_load_n(&t->cpu, __ATOMIC_RELAXED), VEC_IPI_RESCHED);
    return SK_OK;
}

sk_error_t observe_resume(struct thread *t)
{
    sk_error_t err = SK_OK;
    uint64_t f = spin_lock_irqsave(&obs_lock);
    if (t->obs.exited)
        err = SK_ERR_DEAD;
    else if (!t->obs.stopped)
        err = SK_ERR_NOT_STOPPED;
    else
        t->obs.stopped = 0;
    spin_unlock_irqrestore(&obs_lock, f);
    ktrace(KT_RESUME, t->id, err);
    if (!err)
        sched_wake(t);
    return err;
}

/*
 * Take obs_lock with t stopped and switched out (its registers are all in
 * memory). Returns SK_OK with the lock held and the saved flags in *flags, or
 * an error without it. Waits while t is on its way into or out of the stop.
 *
 * A thread killed while stopped is on its way out: SK_ERR_DEAD at once. It is
 * runnable then, maybe queued on this very CPU at a lower priority, which a yield
 * never lets run: waiting for it here used to spin for ever, with the caller
 * unkillable in the kernel (found by test-fuzz). Any other wait (a stopped thread
 * woken by a request that raced with its stop, and about to sleep again) yields a
 * few times, then sleeps, so that a thread of any priority gets the CPU; and the
 * caller leaves if it is killed meanwhile.
 */
static sk_error_t lock_stopped(struct thread *t, uint64_t *flags)
{
    for (unsigned tries = 0;; tries++) {
        uint64_t f = spin_lock_irqsave(&obs_lock);
        sk_error_t err;
        if (t->obs.exited || __atomic_load_n(&t->kill, __ATOMIC_ACQUIRE))
            err = SK_ERR_DEAD;
        else if (!t->obs.stopped)
            err = SK_ERR_NOT_STOPPED;
        else if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == THREAD_BLOCKED &&
                 !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
            *flags = f;
            return SK_OK;
        } else {
            err = SK_ERR_AGAIN;
            if (t->obs.stopped)
                __atomic_store_n(&t->obs.hold, 1, __ATOMIC_RELAXED); /* end its stop_spin */
        }
        spin_unlock_irqrestore(&obs_lock, f);
        if (err != SK_ERR_AGAIN)
            return err;
        if (__atomic_load_n(&current_thread()->kill, __ATOMIC_ACQUIRE))
            return SK_ERR_DEAD; /* the caller is being killed: it dies on its way out */
        if (tries < 8)
            sched_yield(); /* it may be queued on this very CPU */
        else
            sched_sleep_ns(20000);
    }
}

uint64_t observe_regs_size(uint32_t kind)
{
    return kind == SK_REGS_STOP ? sizeof(struct sk_stop_info) : arch_regs_size(kind);
}

sk_error_t observe_regs_get(struct thread *t, uint32_t kind, void *buf)
{
    uint64_t f;
    sk_error_t err = lock_stopped(t, &f);
    if (err)
        return err;
    if (kind == SK_REGS_STOP)
        memcpy(buf, &t->obs.info, sizeof t->obs.info);
    else
        arch_regs_get(t, kind, buf);
    spin_unlock_irqrestore(&obs_lock, f);
    return SK_OK;
}

sk_error_t observe_regs_set(struct thread *t, uint32_t kind, const void *buf)
{
    if (kind == SK_REGS_STOP)
        return SK_ERR_INVALID;
    uint64_t f;
    sk_error_t err = lock_stopped(t, &f);
    if (err)
        return err;
    arch_regs_set(t, kind, buf);
    spin_unlock_irqrestore(&obs_lock, f);
    return SK_OK;
}
