/*
 * Signals. So far: a CPU fault ends the process with the matching signal
 * (SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP; core-dumping signals carry the core
 * bit in the wait status, as Linux reports them without a core file written),
 * and a stop requested by the server (a fork child's first stop) gets its
 * registers. Handlers, masks and delivery to running or waiting threads are the
 * next part (docs/posix.md, "Signals and calls in flight").
 */
#include "posix.h"
#include "calls.h"

static int fault_signal(const struct sk_stop_info *si)
{
    if (si->reason == SK_STOP_BREAKPOINT)
        return LX_SIGTRAP;
    switch (si->vector) {
    case 0:  /* #DE */
    case 16: /* #MF */
    case 19: /* #XM */
        return LX_SIGFPE;
    case 1:  /* #DB */
    case 3:
        return LX_SIGTRAP;
    case 6:  /* #UD */
        return LX_SIGILL;
    case 17: /* #AC */
        return LX_SIGBUS;
    default: /* #PF, #GP, #SS, #NP, ... */
        return LX_SIGSEGV;
    }
}

void signal_fault(struct lthread *t, const struct sk_stop_info *si)
{
    int sig = fault_signal(si);
    if (px.verbose)
        sk_printf("posix: pid %d (%s): signal %d at rip 0x%lx address 0x%lx\n", t->p->pid,
                  t->p->comm, sig, (unsigned long)si->rip, (unsigned long)si->address);
    /* every one of these signals dumps core by default */
    proc_exit(t->p, sig | 0x80);
}

void signal_interrupted(struct lthread *t)
{
    if (t->fork_regs) {
        uint8_t *r = t->fork_regs;
        t->fork_regs = NULL;
        int ok = sk_thread_set_regs(t->h, SK_REGS_GENERAL, r, sizeof(struct sk_gregs)) == SK_OK &&
                 sk_thread_set_regs(t->h, SK_REGS_BASES, r + sizeof(struct sk_gregs),
                                    sizeof(struct sk_base_regs)) == SK_OK &&
                 sk_thread_set_regs(t->h, SK_REGS_FPU,
                                    r + sizeof(struct sk_gregs) + sizeof(struct sk_base_regs),
                                    t->fork_fpu_size) == SK_OK;
        sk_free(r);
        if (!ok) {
            proc_exit(t->p, LX_SIGKILL);
            return;
        }
    }
    call_resume(t);
}

long sys_rt_sigaction(struct lthread *t)
{
    int sig = (int)t->a[0];
    if (sig < 1 || sig > 64 || t->a[3] != 8 || ((sig == LX_SIGKILL || sig == 19) && t->a[1]))
        return -LX_EINVAL;
    if (t->a[2]) {
        /* no handler recorded yet: the default action, nothing blocked */
        t->buf = sk_calloc(1, 32);
        if (!t->buf)
            return -LX_ENOMEM;
        t->ret = 0;
        sk_error_t e = call_copy_out(t, t->a[2], t->buf, 32, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    return 0;
}

long sys_rt_sigprocmask(struct lthread *t)
{
    if (t->a[3] != 8 || t->a[0] > 2)
        return -LX_EINVAL;
    if (t->a[2]) {
        t->buf = sk_calloc(1, 8);
        if (!t->buf)
            return -LX_ENOMEM;
        t->ret = 0;
        sk_error_t e = call_copy_out(t, t->a[2], t->buf, 8, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    return 0;
}
