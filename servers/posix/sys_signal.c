/*
 * The signal calls: rt_sigaction, rt_sigprocmask, rt_sigreturn, kill, tkill,
 * tgkill, sigaltstack, rt_sigpending, rt_sigsuspend, pause, alarm and
 * setitimer/getitimer(ITIMER_REAL). Delivery itself is signal.c.
 */
#include "posix.h"
#include "calls.h"

#define LX_ERESTARTNOHAND 514
#define UNBLOCKABLE (SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP))

/* ---- rt_sigaction: a[0] sig, a[1] new, a[2] old, a[3] sigsetsize ---- */

static sk_error_t sigaction_new_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    int sig = (int)t->a[0];
    struct lx_sigaction *nw = (struct lx_sigaction *)t->buf + 1;
    nw->mask &= ~UNBLOCKABLE;
    t->p->sig[sig - 1] = *nw;
    /* setting SIG_IGN (or the default of an ignoring signal) drops what is pending */
    if (nw->handler == LX_SIG_IGN ||
        (nw->handler == LX_SIG_DFL && (sig == LX_SIGCHLD || sig == LX_SIGURG || sig == LX_SIGWINCH))) {
        t->p->pending &= ~SIGBIT(sig);
        for (struct lthread *o = t->p->threads; o; o = o->next)
            o->pending &= ~SIGBIT(sig);
    }
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t sigaction_old_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    if (t->a[1])
        return call_copy_in(t, t->a[1], (struct lx_sigaction *)t->buf + 1, sizeof(struct lx_sigaction),
                            sigaction_new_read);
    (void)cqe;
    call_return(t, 0);
    return SK_OK;
}

long sys_rt_sigaction(struct lthread *t)
{
    int sig = (int)t->a[0];
    if (sig < 1 || sig > LX_NSIG || t->a[3] != 8)
        return -LX_EINVAL;
    if ((sig == LX_SIGKILL || sig == LX_SIGSTOP) && t->a[1])
        return -LX_EINVAL;
    t->buf = sk_malloc(2 * sizeof(struct lx_sigaction));
    if (!t->buf)
        return -LX_ENOMEM;
    struct lx_sigaction *old = t->buf;
    *old = t->p->sig[sig - 1];
    sk_error_t e;
    struct sk_cqe none = {0};
    if (t->a[2])
        e = call_copy_out(t, t->a[2], old, sizeof *old, sigaction_old_written);
    else
        e = sigaction_old_written(&t->req, SK_OK, &none);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- rt_sigprocmask: a[0] how, a[1] set, a[2] old, a[3] size ---- */

static sk_error_t mask_set_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    uint64_t set = ((uint64_t *)t->buf)[1] & ~UNBLOCKABLE;
    switch (t->a[0]) {
    case LX_SIG_BLOCK:
        t->sigmask |= set;
        break;
    case LX_SIG_UNBLOCK:
        t->sigmask &= ~set;
        break;
    default:
        t->sigmask = set;
        break;
    }
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t mask_old_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    if (t->a[1])
        return call_copy_in(t, t->a[1], (uint64_t *)t->buf + 1, 8, mask_set_read);
    (void)cqe;
    call_return(t, 0);
    return SK_OK;
}

long sys_rt_sigprocmask(struct lthread *t)
{
    if (t->a[3] != 8)
        return -LX_EINVAL;
    if (t->a[1] && t->a[0] > LX_SIG_SETMASK)
        return -LX_EINVAL;
    t->buf = sk_malloc(16);
    if (!t->buf)
        return -LX_ENOMEM;
    ((uint64_t *)t->buf)[0] = t->sigmask;
    struct sk_cqe none = {0};
    sk_error_t e = t->a[2] ? call_copy_out(t, t->a[2], t->buf, 8, mask_old_written)
                           : mask_old_written(&t->req, SK_OK, &none);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_rt_sigpending(struct lthread *t)
{
    if (t->a[1] > 8)
        return -LX_EINVAL;
    t->len = (t->pending | t->p->pending) & t->sigmask;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[0], &t->len, t->a[1], call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- rt_sigreturn: the frame is at rsp - 8 (the handler's ret took pretcode) ---- */

static sk_error_t sigreturn_fpu_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static void sigreturn_apply(struct lthread *t)
{
    struct lx_ucontext *uc = t->buf;
    struct lx_sigcontext *sc = &uc->uc_mcontext;
    struct sk_gregs g;
    if (sk_thread_get_regs(t->h, SK_REGS_GENERAL, &g, sizeof g) != SK_OK) {
        proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
        return;
    }
    g.r8 = sc->r8, g.r9 = sc->r9, g.r10 = sc->r10, g.r11 = sc->r11;
    g.r12 = sc->r12, g.r13 = sc->r13, g.r14 = sc->r14, g.r15 = sc->r15;
    g.rdi = sc->rdi, g.rsi = sc->rsi, g.rbp = sc->rbp, g.rbx = sc->rbx;
    g.rdx = sc->rdx, g.rax = sc->rax, g.rcx = sc->rcx, g.rsp = sc->rsp;
    g.rip = sc->rip, g.rflags = sc->eflags;
    t->sigmask = uc->uc_sigmask & ~UNBLOCKABLE;
    /* a restored context the kernel refuses (rip or rsp outside user space) is a SIGSEGV */
    if (sk_thread_set_regs(t->h, SK_REGS_GENERAL, &g, sizeof g) != SK_OK) {
        proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
        return;
    }
    t->in_call = 0;
    sk_req_finish(&t->req);
    call_cleanup_public(t);
    signal_deliver_and_resume(t, 0, 0);
}

static sk_error_t sigreturn_uc_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
        return SK_OK;
    }
    struct lx_ucontext *uc = t->buf;
    uint64_t fp = uc->uc_mcontext.fpstate;
    if (fp) {
        uint64_t fsz = 0;
        uint8_t *img;
        if (sk_thread_regs_size(t->h, SK_REGS_FPU, &fsz) != SK_OK || fsz < 512 ||
            !(img = sk_malloc(fsz))) {
            proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
            return SK_OK;
        }
        if (sk_thread_get_regs(t->h, SK_REGS_FPU, img, fsz) != SK_OK) {
            sk_free(img);
            proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
            return SK_OK;
        }
        t->fork_regs = img; /* (reused as the FPU image buffer) */
        t->fork_fpu_size = fsz;
        return call_copy_in(t, fp, img, 512, sigreturn_fpu_read);
    }
    sigreturn_apply(t);
    return SK_OK;
}

static sk_error_t sigreturn_fpu_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    uint8_t *img = t->fork_regs;
    t->fork_regs = NULL;
    /* the legacy area came from the frame; the rest of the image is the current one.
       An image the kernel refuses (a bad MXCSR) ends the process as Linux does */
    int bad = err || sk_thread_set_regs(t->h, SK_REGS_FPU, img, t->fork_fpu_size) != SK_OK;
    sk_free(img);
    if (bad) {
        proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
        return SK_OK;
    }
    sigreturn_apply(t);
    return SK_OK;
}

long sys_rt_sigreturn(struct lthread *t)
{
    t->restart_until = 0; /* a handler ran: restart_syscall has nothing to go on with (Linux) */
    t->buf = sk_malloc(sizeof(struct lx_ucontext));
    if (!t->buf) {
        proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
        return 0;
    }
    uint64_t frame = t->rsp - 8;
    sk_error_t e = call_copy_in(t, frame + __builtin_offsetof(struct lx_rt_sigframe, uc), t->buf,
                                sizeof(struct lx_ucontext), sigreturn_uc_read);
    if (e)
        proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
    return CALL_PENDING;
}

/* ---- sending ---- */

static int may_signal(struct proc *from, struct proc *to)
{
    return from->euid == 0 || from->uid == to->uid || from->euid == to->uid ||
           from->uid == to->suid || from->euid == to->suid;
}

long sys_kill(struct lthread *t)
{
    int pid = (int)t->a[0], sig = (int)t->a[1];
    if (sig < 0 || sig > LX_NSIG)
        return -LX_EINVAL;
    struct ksiginfo info = {.signo = sig, .code = LX_SI_USER, .pid = t->p->pid, .uid = t->p->uid};
    int found = 0, allowed = 0;
    /* collect first: sending may end processes (and the sender) */
    struct proc *targets[256];
    int n = 0;
    for (struct proc *q = procs; q; q = q->all_next) {
        if (q->state != PROC_LIVE)
            continue;
        int match = pid > 0 ? q->pid == pid
                    : pid == 0 ? q->pgid == t->p->pgid
                    : pid == -1 ? (q->pid != 1 && q != t->p)
                    : q->pgid == -pid;
        if (!match)
            continue;
        found = 1;
        if (!may_signal(t->p, q))
            continue;
        allowed = 1;
        if (sig && n < 256)
            targets[n++] = q;
    }
    if (!found)
        return -LX_ESRCH;
    if (!allowed)
        return -LX_EPERM;
    for (int i = 0; i < n; i++)
        signal_send_proc(targets[i], &info);
    return 0;
}

static long thread_kill(struct lthread *t, int tgid, int tid, int sig)
{
    if (sig < 0 || sig > LX_NSIG || tid <= 0)
        return -LX_EINVAL;
    for (struct proc *q = procs; q; q = q->all_next) {
        if (q->state != PROC_LIVE || (tgid > 0 && q->pid != tgid))
            continue;
        for (struct lthread *o = q->threads; o; o = o->next) {
            if (o->tid != tid)
                continue;
            if (!may_signal(t->p, q))
                return -LX_EPERM;
            if (sig) {
                struct ksiginfo info = {.signo = sig, .code = LX_SI_TKILL, .pid = t->p->pid, .uid = t->p->uid};
                signal_send_thread(o, &info);
            }
            return 0;
        }
    }
    return -LX_ESRCH;
}

long sys_tkill(struct lthread *t)
{
    return thread_kill(t, 0, (int)t->a[0], (int)t->a[1]);
}

long sys_tgkill(struct lthread *t)
{
    if ((int)t->a[0] <= 0)
        return -LX_EINVAL;
    return thread_kill(t, (int)t->a[0], (int)t->a[1], (int)t->a[2]);
}

/* ---- rt_sigqueueinfo(tgid, sig, info), rt_tgsigqueueinfo(tgid, tid, sig, info): a signal
   with the caller's siginfo (sigqueue's value). Only to itself may a caller claim a kernel or
   kill/tkill origin (si_code >= 0 or SI_TKILL), as Linux. ---- */

static long queue_one(struct lthread *t)
{
    int tg = t->nr == 297, sig = (int)t->a[tg ? 2 : 1];
    int pid = (int)t->a[0], tid = tg ? (int)t->a[1] : 0;
    const struct lx_siginfo *si = t->buf;
    if (tg && (pid <= 0 || tid <= 0))
        return -LX_EINVAL;
    if ((si->si_code >= 0 || si->si_code == LX_SI_TKILL) && (tg ? tid != t->tid : pid != t->p->pid))
        return -LX_EPERM;
    if (sig < 0 || sig > LX_NSIG)
        return -LX_EINVAL;
    struct ksiginfo info = {.signo = sig, .code = si->si_code, .pid = si->kill.pid,
                            .uid = si->kill.uid, .addr = si->kill.value};
    for (struct proc *q = procs; q; q = q->all_next) {
        if (q->state != PROC_LIVE || q->pid != pid)
            continue;
        struct lthread *o = q->threads;
        if (tg)
            while (o && o->tid != tid)
                o = o->next;
        if (!o)
            break;
        if (!may_signal(t->p, q))
            return -LX_EPERM;
        if (sig) {
            if (tg)
                signal_send_thread(o, &info);
            else
                signal_send_proc(q, &info);
        }
        return 0;
    }
    return -LX_ESRCH;
}

static sk_error_t queue_info_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    call_return(t, queue_one(t));
    return SK_OK;
}

long sys_rt_sigqueueinfo(struct lthread *t)
{
    t->buf = sk_calloc(1, sizeof(struct lx_siginfo));
    if (!t->buf)
        return -LX_ENOMEM;
    sk_error_t e = call_copy_in(t, t->a[t->nr == 297 ? 3 : 2], t->buf, sizeof(struct lx_siginfo),
                                queue_info_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_rt_tgsigqueueinfo(struct lthread *t)
{
    return sys_rt_sigqueueinfo(t);
}

/* ---- sigaltstack: a[0] new, a[1] old ---- */

static sk_error_t altstack_new_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct lx_stack *ns = (struct lx_stack *)t->buf + 1;
    uint64_t sp = t->rsp;
    if (t->altstack.ss_size && sp - t->altstack.ss_sp < t->altstack.ss_size) {
        call_return(t, -LX_EPERM); /* on it now */
        return SK_OK;
    }
    if (ns->ss_flags & ~(LX_SS_DISABLE | (int32_t)0x80000000 /* SS_AUTODISARM */)) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    if (ns->ss_flags & LX_SS_DISABLE) {
        t->altstack = (struct lx_stack){0, LX_SS_DISABLE, 0, 0};
    } else {
        if (ns->ss_size < LX_MINSIGSTKSZ) {
            call_return(t, -LX_ENOMEM);
            return SK_OK;
        }
        t->altstack = (struct lx_stack){ns->ss_sp, 0, 0, ns->ss_size};
    }
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t altstack_old_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    if (t->a[0])
        return call_copy_in(t, t->a[0], (struct lx_stack *)t->buf + 1, sizeof(struct lx_stack),
                            altstack_new_read);
    call_return(t, 0);
    return SK_OK;
}

long sys_sigaltstack(struct lthread *t)
{
    t->buf = sk_calloc(2, sizeof(struct lx_stack));
    if (!t->buf)
        return -LX_ENOMEM;
    struct lx_stack *old = t->buf;
    *old = t->altstack;
    if (!old->ss_size)
        old->ss_flags = LX_SS_DISABLE;
    else if (t->rsp - old->ss_sp < old->ss_size)
        old->ss_flags = LX_SS_ONSTACK;
    struct sk_cqe none = {0};
    sk_error_t e = t->a[1] ? call_copy_out(t, t->a[1], old, sizeof *old, altstack_old_written)
                           : altstack_old_written(&t->req, SK_OK, &none);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- waiting for signals ---- */

static sk_error_t suspend_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err == SK_OK) {
        sk_req_park(r, suspend_woken); /* nothing but a signal ends it */
        return SK_OK;
    }
    /* the handler runs with the temporary mask; rt_sigreturn restores the saved one */
    call_return(t, -LX_ERESTARTNOHAND);
    return SK_OK;
}

long sys_pause(struct lthread *t)
{
    if (signal_deliverable(t))
        return -LX_ERESTARTNOHAND;
    sk_req_park(&t->req, suspend_woken);
    return CALL_PENDING;
}

static sk_error_t suspend_mask_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    t->saved_mask = t->sigmask;
    t->restore_mask = 1;
    t->sigmask = t->len & ~UNBLOCKABLE;
    if (signal_deliverable(t)) {
        call_return(t, -LX_ERESTARTNOHAND);
        return SK_OK;
    }
    sk_req_park(r, suspend_woken);
    return SK_OK;
}

long sys_rt_sigsuspend(struct lthread *t)
{
    if (t->a[1] != 8)
        return -LX_EINVAL;
    sk_error_t e = call_copy_in(t, t->a[0], &t->len, 8, suspend_mask_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- alarm and ITIMER_REAL: one timer per process ---- */

/* A periodic timer is armed again only when its SIGALRM is taken (alarm_dequeued), as Linux
   does (kernel/signal.c, dequeue_signal): a tiny interval cannot flood the server with
   expiries, and an ignored or long-blocked SIGALRM stops the expiries until it is taken. */
static void alarm_fired(struct sk_timer *tm)
{
    struct proc *p = SK_OP_CONTAINER(tm, struct proc, alarm);
    if (p->state != PROC_LIVE)
        return;
    p->alarm_last = tm->at;
    struct ksiginfo info = {.signo = LX_SIGALRM, .code = LX_SI_KERNEL};
    signal_send_proc(p, &info);
}

void alarm_dequeued(struct proc *p)
{
    if (!p->alarm_interval || sk_timer_armed(&p->alarm) || p->state != PROC_LIVE)
        return;
    uint64_t now = 0;
    sk_clock_get(&now);
    /* the next expiry of the original schedule after now (hrtimer_forward) */
    uint64_t next = p->alarm_last + p->alarm_interval;
    if (next <= now)
        next = p->alarm_last + ((now - p->alarm_last) / p->alarm_interval + 1) * p->alarm_interval;
    sk_timer_start(&px.timers, &p->alarm, next, alarm_fired);
}

/* Remaining ns of p's alarm (0 if none). */
static uint64_t alarm_left(struct proc *p)
{
    if (!sk_timer_armed(&p->alarm))
        return 0;
    uint64_t now = 0;
    sk_clock_get(&now);
    return p->alarm.at > now ? p->alarm.at - now : 1;
}

static void alarm_set(struct proc *p, uint64_t ns, uint64_t interval)
{
    p->alarm_interval = interval;
    if (!ns) {
        sk_timer_stop(&px.timers, &p->alarm);
        return;
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    sk_timer_start(&px.timers, &p->alarm, now + ns, alarm_fired);
}

long sys_alarm(struct lthread *t)
{
    uint64_t left = alarm_left(t->p);
    uint64_t secs = t->a[0] & 0xffffffffull;
    alarm_set(t->p, secs * 1000000000ull, 0);
    return (long)((left + 999999999ull) / 1000000000ull);
}

/*
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time (the kernel's run time of its
 * threads; Skoll does not split it into user and system time, so both count all of it). The
 * kernel has no CPU-time timer: while any is armed, the server looks at the armed processes'
 * CPU time every CPU_TIMER_TICK_NS (Linux's resolution for them is its tick, 4 ms on Debian)
 * and sends SIGVTALRM / SIGPROF to those past their expiry, reloading periodic ones.
 */
#define CPU_TIMER_TICK_NS 4000000ull
static struct sk_timer cpu_tick;

static void cpu_tick_fired(struct sk_timer *tm)
{
    (void)tm;
    int armed = 0;
    for (struct proc *p = procs; p; p = p->all_next) {
        if (p->state != PROC_LIVE || !(p->cpu_timer_at[0] | p->cpu_timer_at[1]))
            continue;
        uint64_t now = proc_cpu_ns(p);
        for (int i = 0; i < 2; i++) {
            if (!p->cpu_timer_at[i])
                continue;
            if (now >= p->cpu_timer_at[i]) {
                p->cpu_timer_at[i] = p->cpu_timer_interval[i] ? p->cpu_timer_at[i] +
                                                                    p->cpu_timer_interval[i]
                                                              : 0;
                struct ksiginfo info = {.signo = i ? LX_SIGPROF : LX_SIGVTALRM,
                                        .code = LX_SI_KERNEL};
                signal_send_proc(p, &info);
            }
            armed |= p->cpu_timer_at[i] != 0;
        }
    }
    if (armed) {
        uint64_t now = 0;
        sk_clock_get(&now);
        sk_timer_start(&px.timers, &cpu_tick, now + CPU_TIMER_TICK_NS, cpu_tick_fired);
    }
}

static void cpu_timer_set(struct proc *p, int which, uint64_t ns, uint64_t interval)
{
    p->cpu_timer_interval[which] = interval;
    /* as Linux, a tick more than asked: never early for a tick's worth of lateness */
    p->cpu_timer_at[which] = ns ? proc_cpu_ns(p) + ns + CPU_TIMER_TICK_NS : 0;
    if (ns && !sk_timer_armed(&cpu_tick)) {
        uint64_t now = 0;
        sk_clock_get(&now);
        sk_timer_start(&px.timers, &cpu_tick, now + CPU_TIMER_TICK_NS, cpu_tick_fired);
    }
}

struct lx_itimerval {
    int64_t int_sec, int_usec, val_sec, val_usec;
};

/* which: 0 ITIMER_REAL, 1 ITIMER_VIRTUAL, 2 ITIMER_PROF */
static void itimer_fill(struct proc *p, int which, struct lx_itimerval *v)
{
    uint64_t left, interval;
    if (which == 0) {
        left = alarm_left(p);
        interval = p->alarm_interval;
    } else {
        uint64_t at = p->cpu_timer_at[which - 1], now = at ? proc_cpu_ns(p) : 0;
        left = !at ? 0 : at > now ? at - now : 1000; /* due: fires at the next look */
        interval = p->cpu_timer_interval[which - 1];
    }
    v->int_sec = (int64_t)(interval / 1000000000ull);
    v->int_usec = (int64_t)(interval % 1000000000ull / 1000);
    v->val_sec = (int64_t)(left / 1000000000ull);
    v->val_usec = (int64_t)((left % 1000000000ull + 999) / 1000);
    if (v->val_usec == 1000000) {
        v->val_sec++;
        v->val_usec = 0;
    }
}

long sys_getitimer(struct lthread *t)
{
    if (t->a[0] > 2)
        return -LX_EINVAL;
    struct lx_itimerval *v = sk_calloc(1, sizeof *v);
    if (!v)
        return -LX_ENOMEM;
    t->buf = v;
    itimer_fill(t->p, (int)t->a[0], v);
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[1], v, sizeof *v, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t setitimer_old_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t setitimer_new_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct lx_itimerval *nv = (struct lx_itimerval *)t->buf + 1, *old = t->buf;
    if (nv->int_usec < 0 || nv->int_usec >= 1000000 || nv->val_usec < 0 || nv->val_usec >= 1000000 ||
        nv->int_sec < 0 || nv->val_sec < 0) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    itimer_fill(t->p, (int)t->a[0], old);
    uint64_t ns = (uint64_t)nv->val_sec * 1000000000ull + (uint64_t)nv->val_usec * 1000,
             interval = (uint64_t)nv->int_sec * 1000000000ull + (uint64_t)nv->int_usec * 1000;
    if (t->a[0] == 0)
        alarm_set(t->p, ns, interval);
    else
        cpu_timer_set(t->p, (int)t->a[0] - 1, ns, interval);
    if (t->a[2])
        return call_copy_out(t, t->a[2], old, sizeof *old, setitimer_old_written);
    return setitimer_old_written(r, SK_OK, cqe);
}

long sys_setitimer(struct lthread *t)
{
    if (t->a[0] > 2)
        return -LX_EINVAL;
    t->buf = sk_calloc(2, sizeof(struct lx_itimerval));
    if (!t->buf)
        return -LX_ENOMEM;
    if (!t->a[1]) {
        struct lx_itimerval *v = (struct lx_itimerval *)t->buf + 1;
        memset(v, 0, sizeof *v);
        struct sk_cqe none = {0};
        sk_error_t e = setitimer_new_read(&t->req, SK_OK, &none);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    sk_error_t e = call_copy_in(t, t->a[1], (struct lx_itimerval *)t->buf + 1,
                                sizeof(struct lx_itimerval), setitimer_new_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- rt_sigtimedwait(set, info, timeout, size) ---- */

struct sigwait_state {
    uint64_t set;
    struct lx_timespec ts;
    uint64_t deadline; /* 0: for ever */
    struct lx_siginfo si;
};

static sk_error_t sigwait_look(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t sigwait_check(struct lthread *t)
{
    struct sigwait_state *ws = t->buf;
    struct ksiginfo info;
    int sig = signal_take(t, ws->set, &info);
    if (sig) {
        t->sigwait = 0;
        if (!t->a[1]) {
            call_return(t, sig);
            return SK_OK;
        }
        signal_fill_siginfo(&ws->si, &info);
        t->ret = sig;
        return call_copy_out(t, t->a[1], &ws->si, sizeof ws->si, call_done_step);
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    if (ws->deadline && now >= ws->deadline) {
        t->sigwait = 0;
        call_return(t, -LX_EAGAIN);
        return SK_OK;
    }
    t->sigwait = ws->set;
    sk_req_park(&t->req, sigwait_look);
    if (ws->deadline && !sk_timer_armed(&t->req.deadline))
        return sk_req_deadline(&t->req, ws->deadline);
    return SK_OK;
}

static sk_error_t sigwait_look(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err == SK_ERR_TIMEOUT) {
        t->req.abort = SK_OK;
        t->sigwait = 0;
        call_return(t, -LX_EAGAIN);
        return SK_OK;
    }
    if (err) {
        /* another signal, one it does not wait for, is to be handled */
        t->sigwait = 0;
        call_return(t, -LX_EINTR);
        return SK_OK;
    }
    return sigwait_check(t);
}

static sk_error_t sigwait_timeout_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct sigwait_state *ws = t->buf;
    if (ws->ts.tv_sec < 0 || ws->ts.tv_nsec < 0 || ws->ts.tv_nsec >= 1000000000) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    uint64_t ns = (uint64_t)ws->ts.tv_sec > 1000000000ull ? ~0ull / 4
                  : (uint64_t)ws->ts.tv_sec * 1000000000ull + (uint64_t)ws->ts.tv_nsec;
    ws->deadline = now + ns;
    if (!ws->deadline)
        ws->deadline = 1;
    return sigwait_check(t);
}

static sk_error_t sigwait_set_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct sigwait_state *ws = t->buf;
    ws->set &= ~UNBLOCKABLE;
    if (t->a[2])
        return call_copy_in(t, t->a[2], &ws->ts, sizeof ws->ts, sigwait_timeout_read);
    return sigwait_check(t);
}

long sys_rt_sigtimedwait(struct lthread *t)
{
    if (t->a[3] != 8)
        return -LX_EINVAL;
    t->buf = sk_calloc(1, sizeof(struct sigwait_state));
    if (!t->buf)
        return -LX_ENOMEM;
    struct sigwait_state *ws = t->buf;
    sk_error_t e = call_copy_in(t, t->a[0], &ws->set, 8, sigwait_set_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}
