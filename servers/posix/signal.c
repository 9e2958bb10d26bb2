/*
 * Signals (docs/posix.md, "Signals and calls in flight"). A signal is queued on
 * a thread or its process; the thread is told: interrupted if it runs user code
 * (thread_interrupt: it stops), its call cancelled if it waits inside the server
 * (the call ends with -ERESTARTSYS, or -ERESTARTNOHAND for the calls Linux does
 * not restart after a handler), or nothing if it is inside a call that is about
 * to answer. Every return to user mode looks at the pending signals first:
 * defaults act (terminate, core, stop, continue, ignore), a handler gets Linux's
 * x86-64 rt_sigframe on the thread's stack (or alternate stack) and
 * rt_sigreturn takes it back. An interrupted call is restarted (rip back over
 * the syscall instruction, rax = its number) when no handler ran or the handler
 * has SA_RESTART and the call allows it.
 */
#include "posix.h"
#include "calls.h"

#define SYSCALL_INSN_LEN 2
#define LX_ERESTARTNOHAND 514
#define LX_ERESTART_RESTARTBLOCK 516
#define FPSTATE_SIZE 512
#define UNBLOCKABLE (SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP))

enum { DFL_TERM, DFL_CORE, DFL_STOP, DFL_CONT, DFL_IGN };

static int default_action(int sig)
{
    switch (sig) {
    case LX_SIGQUIT: case LX_SIGILL: case LX_SIGTRAP: case LX_SIGABRT: case LX_SIGBUS:
    case LX_SIGFPE: case LX_SIGSEGV: case 24 /* XCPU */: case 25 /* XFSZ */: case 31 /* SYS */:
        return DFL_CORE;
    case LX_SIGSTOP: case LX_SIGTSTP: case LX_SIGTTIN: case LX_SIGTTOU:
        return DFL_STOP;
    case LX_SIGCONT:
        return DFL_CONT;
    case LX_SIGCHLD: case LX_SIGURG: case LX_SIGWINCH:
        return DFL_IGN;
    default:
        return DFL_TERM;
    }
}

static int ignored(struct proc *p, int sig)
{
    uint64_t h = p->sig[sig - 1].handler;
    return h == LX_SIG_IGN || (h == LX_SIG_DFL && default_action(sig) == DFL_IGN);
}

/* ---- queueing ---- */

static void pend_add(struct sigpend **list, uint64_t *bits, const struct ksiginfo *info)
{
    int sig = info->signo;
    if (sig < 32 && (*bits & SIGBIT(sig)))
        return; /* standard signals do not queue twice */
    struct sigpend *n = sk_malloc(sizeof *n);
    if (!n) {
        *bits |= SIGBIT(sig); /* delivered with a bare siginfo */
        return;
    }
    n->info = *info;
    n->next = NULL;
    while (*list)
        list = &(*list)->next;
    *list = n;
    *bits |= SIGBIT(sig);
}

/* Take sig's first info off list (a bare one if none was kept); update bits. */
static void pend_take(struct sigpend **list, uint64_t *bits, int sig, struct ksiginfo *out)
{
    memset(out, 0, sizeof *out);
    out->signo = sig;
    int found = 0, more = 0;
    for (struct sigpend **pp = list; *pp;) {
        struct sigpend *n = *pp;
        if (n->info.signo == sig) {
            if (!found) {
                *out = n->info;
                *pp = n->next;
                sk_free(n);
                found = 1;
                continue;
            }
            more = 1;
        }
        pp = &n->next;
    }
    if (!more)
        *bits &= ~SIGBIT(sig);
}

void signal_drop_pending(struct sigpend **list)
{
    while (*list) {
        struct sigpend *n = *list;
        *list = n->next;
        sk_free(n);
    }
}

/* A thread in rt_sigtimedwait for this signal: its wait ends and it looks again. */
static void sigwait_wake(struct lthread *t)
{
    if (t->in_call && t->req.parked)
        sk_req_wake(&t->req, 0);
}

/* The signal Linux's next_signal picks of ready: a synchronous one (a fault's) first, else
   the lowest number. */
static int pick(uint64_t ready)
{
    uint64_t sync = SIGBIT(LX_SIGSEGV) | SIGBIT(LX_SIGBUS) | SIGBIT(LX_SIGILL) |
                    SIGBIT(LX_SIGTRAP) | SIGBIT(LX_SIGFPE) | SIGBIT(31 /* SIGSYS */);
    if (ready & sync)
        ready &= sync;
    return __builtin_ctzll(ready) + 1;
}

int signal_take(struct lthread *t, uint64_t set, struct ksiginfo *info)
{
    /* the thread's own signals before the process's, as Linux's dequeue_signal */
    if (t->pending & set) {
        int sig = pick(t->pending & set);
        pend_take(&t->pend, &t->pending, sig, info);
        if (info->code == LX_SI_TIMER)
            ptimer_dequeued(t->p, info);
        return sig;
    }
    if (!(t->p->pending & set))
        return 0;
    int sig = pick(t->p->pending & set);
    pend_take(&t->p->pend, &t->p->pending, sig, info);
    if (info->code == LX_SI_TIMER)
        ptimer_dequeued(t->p, info);
    else if (sig == LX_SIGALRM)
        alarm_dequeued(t->p); /* (from the process's queue, where the timer's signal goes) */
    return sig;
}

void signal_recheck_later(struct lthread *t)
{
    if (t->on_recheck)
        return;
    t->on_recheck = 1;
    t->recheck_next = px.recheck;
    px.recheck = t;
}

/*
 * After each round of completions (posix_sweep): a thread a signal reached while its call was
 * between steps, or that began a call with a signal already deliverable (the kernel's
 * interrupt request then waits behind the call), has its wait ended if the call parked, as
 * Linux's blocking calls look at pending signals before they sleep. A call still between
 * steps stays on the list; one that answered has looked at the signals itself.
 */
SK_HOT void signal_recheck(void)
{
    struct lthread *list = px.recheck, *keep = NULL;
    px.recheck = NULL;
    while (list) {
        struct lthread *t = list;
        list = t->recheck_next;
        t->recheck_next = NULL;
        t->on_recheck = 0;
        if (t->dead || !t->in_call)
            continue;
        if (!t->req.parked) {
            t->on_recheck = 1;
            t->recheck_next = keep;
            keep = t;
            continue;
        }
        if (!t->uninterruptible && signal_deliverable(t))
            sk_req_cancel(&t->req, SK_ERR_CANCELLED);
    }
    px.recheck = keep;
}

/* Tell t a signal waits: interrupt it or cancel its waiting call. */
static void notify(struct lthread *t)
{
    if (t->dead || t->jobstopped)
        return;
    if (t->in_call) {
        if (t->req.parked && !t->uninterruptible)
            sk_req_cancel(&t->req, SK_ERR_CANCELLED);
        else
            signal_recheck_later(t); /* it answers with a look at signals, or parks: then */
        return;
    }
    if (t->h)
        sk_thread_interrupt(t->h);
}

static void job_continue(struct proc *p);

/* What every signal does at once, whatever the mask: KILL ends, CONT continues. */
static int immediate(struct proc *p, int sig)
{
    if (sig == LX_SIGKILL) {
        proc_exit(p, LX_SIGKILL);
        return 1;
    }
    if (sig == LX_SIGCONT) {
        /* pending stop signals are dropped, the process continues */
        uint64_t stops = SIGBIT(LX_SIGSTOP) | SIGBIT(LX_SIGTSTP) | SIGBIT(LX_SIGTTIN) | SIGBIT(LX_SIGTTOU);
        p->pending &= ~stops;
        for (struct lthread *t = p->threads; t; t = t->next)
            t->pending &= ~stops;
        job_continue(p);
    } else if (default_action(sig) == DFL_STOP) {
        p->pending &= ~SIGBIT(LX_SIGCONT);
        for (struct lthread *t = p->threads; t; t = t->next)
            t->pending &= ~SIGBIT(LX_SIGCONT);
    }
    return 0;
}

int signal_send_proc(struct proc *p, const struct ksiginfo *info)
{
    int sig = info->signo;
    if (p->state != PROC_LIVE || sig < 1 || sig > LX_NSIG)
        return 0;
    if (immediate(p, sig))
        return 1;
    /* an ignored signal is dropped when sent, unless it is blocked (Linux queues a blocked
       signal whatever its disposition: it may change before it is unblocked) */
    int blocked = p->threads && (p->threads->sigmask & SIGBIT(sig));
    if (ignored(p, sig) && sig != LX_SIGCONT && !blocked)
        return 0;
    pend_add(&p->pend, &p->pending, info);
    signalfd_queued(sig);
    for (struct lthread *t = p->threads; t; t = t->next)
        if (t->sigwait & SIGBIT(sig)) {
            sigwait_wake(t);
            return 1;
        }
    for (struct lthread *t = p->threads; t; t = t->next)
        if (!(t->sigmask & SIGBIT(sig)) || (SIGBIT(sig) & UNBLOCKABLE)) {
            notify(t);
            return 1;
        }
    return 1;
}

int signal_send_thread(struct lthread *t, const struct ksiginfo *info)
{
    int sig = info->signo;
    struct proc *p = t->p;
    if (p->state != PROC_LIVE || t->dead || sig < 1 || sig > LX_NSIG)
        return 0;
    if (immediate(p, sig))
        return 1;
    if (ignored(p, sig) && sig != LX_SIGCONT && !(t->sigmask & SIGBIT(sig)))
        return 0;
    pend_add(&t->pend, &t->pending, info);
    signalfd_queued(sig);
    if (t->sigwait & SIGBIT(sig))
        sigwait_wake(t);
    else if (!(t->sigmask & SIGBIT(sig)))
        notify(t);
    return 1;
}

SK_HOT int signal_deliverable(struct lthread *t)
{
    return ((t->pending | t->p->pending) & ~t->sigmask) != 0;
}

/* ---- job control ---- */

void signal_child_changed(struct proc *c, int code)
{
    struct proc *parent = c->parent;
    if (!parent || parent->state != PROC_LIVE)
        return;
    struct lx_sigaction *act = &parent->sig[LX_SIGCHLD - 1];
    if ((code == LX_CLD_STOPPED || code == LX_CLD_CONTINUED) && (act->flags & LX_SA_NOCLDSTOP))
        ;
    else {
        struct ksiginfo ci = {.signo = LX_SIGCHLD, .code = code, .pid = c->pid, .uid = c->uid};
        if (code == LX_CLD_EXITED)
            ci.status = (c->wstatus >> 8) & 0xff;
        else if (code == LX_CLD_STOPPED)
            ci.status = c->report_sig;
        else if (code == LX_CLD_CONTINUED)
            ci.status = LX_SIGCONT;
        else
            ci.status = c->wstatus & 0x7f;
        signal_send_proc(parent, &ci);
    }
    waitq_wake_all(&parent->child_exit);
}

static void job_stop(struct proc *p, int sig)
{
    if (p->jobstop)
        return;
    p->jobstop = 1;
    p->report = LX_CLD_STOPPED;
    p->report_sig = sig;
    for (struct lthread *t = p->threads; t; t = t->next)
        if (!t->in_call && !t->jobstopped && t->h)
            sk_thread_interrupt(t->h); /* it holds at its stop */
    signal_child_changed(p, LX_CLD_STOPPED);
}

static void job_continue(struct proc *p)
{
    if (!p->jobstop)
        return;
    p->jobstop = 0;
    p->report = LX_CLD_CONTINUED;
    for (struct lthread *t = p->threads; t; t = t->next)
        if (t->jobstopped) {
            t->jobstopped = 0;
            signal_deliver_and_resume(t, t->held_has_result, t->held_result);
        }
    signal_child_changed(p, LX_CLD_CONTINUED);
}

/* ---- delivery ---- */

/* Resume t as it is, or with rax = result. */
static void plain_resume(struct lthread *t, int has_result, long result)
{
    if (has_result)
        call_answer(t, result);
    else
        call_resume(t);
}

/* The next signal to act on (not blocked), taken off its queue; 0 if none. */
static int next_signal(struct lthread *t, struct ksiginfo *info)
{
    return signal_take(t, ~t->sigmask, info);
}

struct deliver_state {
    struct sk_gregs g;
    uint8_t *fpu;
    uint64_t fpu_size;
    uint8_t *image;      /* the frame and the FXSAVE area as written to the stack */
    uint64_t image_size, image_addr;
};

static int restartable_result(long r)
{
    return r == -LX_ERESTARTSYS || r == -LX_ERESTARTNOHAND || r == -LX_ERESTART_RESTARTBLOCK;
}

/* Back to the syscall instruction: the same call again, or (ERESTART_RESTARTBLOCK: a sleep
   that goes on where it stopped) restart_syscall, which continues from t->restart_until. */
static void rewind_for_restart(struct lthread *t, struct sk_gregs *g, long result)
{
    g->rip -= SYSCALL_INSN_LEN;
    g->rax = result == -LX_ERESTART_RESTARTBLOCK ? 219 /* restart_syscall */ : t->nr;
}

static sk_error_t frame_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

void signal_fill_siginfo(struct lx_siginfo *si, const struct ksiginfo *k)
{
    memset(si, 0, sizeof *si);
    si->si_signo = k->signo;
    si->si_code = k->code;
    /* the signal's own layout only for the kernel's codes (Linux's siginfo_layout): a
       kill, sigqueue or timer of any signal has the pid/uid/value one (a timer's id and
       overrun stand where pid and uid do) */
    int kernel = k->code > 0 && k->code < LX_SI_KERNEL;
    if (kernel && k->signo == LX_SIGCHLD) {
        si->child.pid = k->pid;
        si->child.uid = k->uid;
        si->child.status = k->status;
    } else if (kernel && (k->signo == LX_SIGSEGV || k->signo == LX_SIGBUS || k->signo == LX_SIGILL ||
                          k->signo == LX_SIGFPE || k->signo == LX_SIGTRAP)) {
        si->addr = k->addr;
    } else {
        si->kill.pid = k->pid;
        si->kill.uid = k->uid;
        si->kill.value = k->addr;
    }
}

/* Build the handler's frame for sig on t (registers read now) and write it. */
static int setup_frame(struct lthread *t, int sig, const struct ksiginfo *info, int has_result,
                       long result)
{
    struct proc *p = t->p;
    struct lx_sigaction *act = &p->sig[sig - 1];
    struct deliver_state *ds = sk_calloc(1, sizeof *ds);
    if (!ds)
        return -1;
    uint64_t fsz = 0;
    if (sk_thread_get_regs(t->h, SK_REGS_GENERAL, &ds->g, sizeof ds->g) != SK_OK ||
        sk_thread_regs_size(t->h, SK_REGS_FPU, &fsz) != SK_OK || fsz < FPSTATE_SIZE ||
        !(ds->fpu = sk_malloc(fsz)) ||
        sk_thread_get_regs(t->h, SK_REGS_FPU, ds->fpu, fsz) != SK_OK) {
        sk_free(ds->fpu);
        sk_free(ds);
        return -1;
    }
    ds->fpu_size = fsz;
    if (has_result) {
        ds->g.rax = (uint64_t)result;
        if (restartable_result(result)) {
            if (result == -LX_ERESTARTSYS && (act->flags & LX_SA_RESTART))
                rewind_for_restart(t, &ds->g, result);
            else
                ds->g.rax = (uint64_t)-LX_EINTR;
        }
    }
    /* the stack: the alternate one if asked for and not already on it */
    uint64_t sp = ds->g.rsp;
    int on_alt = t->altstack.ss_size && sp - t->altstack.ss_sp < t->altstack.ss_size;
    if ((act->flags & LX_SA_ONSTACK) && t->altstack.ss_size && !(t->altstack.ss_flags & LX_SS_DISABLE) && !on_alt)
        sp = t->altstack.ss_sp + t->altstack.ss_size;
    else
        sp -= 128; /* the red zone */
    uint64_t fpstate = (sp - FPSTATE_SIZE) & ~63ull;
    uint64_t frame = ((fpstate - sizeof(struct lx_rt_sigframe)) & ~15ull) - 8;
    ds->image_addr = frame;
    ds->image_size = fpstate + FPSTATE_SIZE - frame;
    ds->image = sk_calloc(1, ds->image_size);
    if (!ds->image || !(act->flags & LX_SA_RESTORER)) {
        sk_free(ds->image);
        sk_free(ds->fpu);
        sk_free(ds);
        return -1; /* x86-64 handlers return through sa_restorer; without it: SIGSEGV */
    }
    struct lx_rt_sigframe *f = (struct lx_rt_sigframe *)ds->image;
    f->pretcode = act->restorer;
    f->uc.uc_flags = LX_UC_SIGCONTEXT_SS | LX_UC_STRICT_RESTORE_SS;
    f->uc.uc_stack = t->altstack;
    f->uc.uc_stack.ss_flags = t->altstack.ss_size ? (on_alt ? LX_SS_ONSTACK : 0) : LX_SS_DISABLE;
    struct lx_sigcontext *sc = &f->uc.uc_mcontext;
    const struct sk_gregs *g = &ds->g;
    sc->r8 = g->r8, sc->r9 = g->r9, sc->r10 = g->r10, sc->r11 = g->r11;
    sc->r12 = g->r12, sc->r13 = g->r13, sc->r14 = g->r14, sc->r15 = g->r15;
    sc->rdi = g->rdi, sc->rsi = g->rsi, sc->rbp = g->rbp, sc->rbx = g->rbx;
    sc->rdx = g->rdx, sc->rax = g->rax, sc->rcx = g->rcx, sc->rsp = g->rsp;
    sc->rip = g->rip, sc->eflags = g->rflags;
    sc->cs = (uint16_t)g->cs, sc->ss = (uint16_t)g->ss;
    sc->oldmask = t->sigmask;
    sc->cr2 = info->addr;
    sc->fpstate = fpstate;
    f->uc.uc_sigmask = t->sigmask;
    if (t->restore_mask) {
        /* rt_sigsuspend: the handler runs with its mask, sigreturn restores the saved one */
        f->uc.uc_sigmask = sc->oldmask = t->saved_mask;
        t->restore_mask = 0;
    }
    signal_fill_siginfo(&f->info, info);
    memcpy(ds->image + (fpstate - frame), ds->fpu, FPSTATE_SIZE);
    /* the handler's registers */
    ds->g.rip = act->handler;
    ds->g.rsp = frame;
    ds->g.rdi = (uint64_t)sig;
    ds->g.rsi = frame + __builtin_offsetof(struct lx_rt_sigframe, info);
    ds->g.rdx = frame + __builtin_offsetof(struct lx_rt_sigframe, uc);
    ds->g.rax = 0;
    ds->g.rflags &= ~(uint64_t)(0x100 | 0x400 | 0x40000); /* TF, DF, AC */
    /* the mask while it runs */
    t->sigmask |= act->mask & ~UNBLOCKABLE;
    if (!(act->flags & LX_SA_NODEFER))
        t->sigmask |= SIGBIT(sig);
    if (act->flags & LX_SA_RESETHAND)
        act->handler = LX_SIG_DFL, act->flags &= ~LX_SA_SIGINFO;
    t->deliver = ds;
    t->in_call = 1; /* the frame is being written: signals wait for the answer */
    sk_req_submit(&t->req, SK_OP_mem_write, frame_written, p->mm->space, frame,
                  (uint64_t)ds->image, ds->image_size);
    return 0;
}

static void deliver_free(struct lthread *t)
{
    struct deliver_state *ds = t->deliver;
    if (!ds)
        return;
    t->deliver = NULL;
    sk_free(ds->image);
    sk_free(ds->fpu);
    sk_free(ds);
}

static void force_segv(struct lthread *t)
{
    proc_exit(t->p, CORE_STATUS(LX_SIGSEGV));
}

static sk_error_t frame_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct deliver_state *ds = t->deliver;
    t->in_call = 0;
    if (t->dead) {
        deliver_free(t);
        return SK_OK;
    }
    if (err || sk_thread_set_regs(t->h, SK_REGS_GENERAL, &ds->g, sizeof ds->g) != SK_OK) {
        deliver_free(t);
        force_segv(t);
        return SK_OK;
    }
    deliver_free(t);
    /* another signal may be ready (it then nests on this frame, as on Linux) */
    signal_deliver_and_resume(t, 0, 0);
    return SK_OK;
}

/* The registers were changed for a restart with no handler: write them and go on. */
static void restart_no_handler(struct lthread *t, long result)
{
    struct sk_gregs g;
    if (sk_thread_get_regs(t->h, SK_REGS_GENERAL, &g, sizeof g) != SK_OK) {
        call_resume(t);
        return;
    }
    rewind_for_restart(t, &g, result);
    if (sk_thread_set_regs(t->h, SK_REGS_GENERAL, &g, sizeof g) != SK_OK) {
        force_segv(t);
        return;
    }
    call_resume(t);
}

void signal_deliver_and_resume(struct lthread *t, int has_result, long result)
{
    struct proc *p = t->p;
    if (t->dead)
        return;
    for (;;) {
        if (p->jobstop) {
            t->jobstopped = 1;
            t->held_has_result = has_result;
            t->held_result = result;
            return;
        }
        struct ksiginfo info;
        int sig = next_signal(t, &info);
        if (!sig)
            break;
        struct lx_sigaction *act = &p->sig[sig - 1];
        if (act->handler == LX_SIG_IGN)
            continue;
        if (act->handler == LX_SIG_DFL) {
            switch (default_action(sig)) {
            case DFL_IGN:
            case DFL_CONT:
                continue;
            case DFL_STOP:
                /* an orphaned group's members ignore the terminal stop signals (POSIX) */
                if (sig != LX_SIGSTOP && proc_pgrp_orphaned(p->pgid))
                    continue;
                job_stop(p, sig);
                continue;
            case DFL_CORE:
                proc_exit(p, CORE_STATUS(sig));
                return;
            default:
                proc_exit(p, sig);
                return;
            }
        }
        if (setup_frame(t, sig, &info, has_result, result) == 0)
            return;
        force_segv(t);
        return;
    }
    if (t->restore_mask) {
        t->sigmask = t->saved_mask;
        t->restore_mask = 0;
    }
    if (has_result && restartable_result(result)) {
        restart_no_handler(t, result);
        return;
    }
    plain_resume(t, has_result, result);
}

/* ---- stops that are not calls ---- */

/* A touch of a file mapping's page past the end of the file (the object was resized below
   it, or the mapping always reached past it): SIGBUS with BUS_ADRERR, as on Linux. */
static int past_file_end(struct lthread *t, uint64_t addr, uint64_t error)
{
    uint32_t need = (error & 2) ? LX_PROT_WRITE : (error & 16) ? LX_PROT_EXEC : 0;
    struct vma *v = mm_vma_at(t->p->mm, addr);
    return v && v->obj && v->obj->resizable && v->prot && (v->prot & need) == need &&
           v->offset + ((addr & ~(LX_PAGE - 1)) - v->start) >= v->obj->size;
}

static int fault_signal(struct lthread *t, const struct sk_stop_info *si, int *code)
{
    *code = LX_SI_KERNEL;
    if (si->reason == SK_STOP_BREAKPOINT)
        return LX_SIGTRAP;
    switch (si->vector) {
    case 0:  /* #DE */
        *code = 1; /* FPE_INTDIV */
        return LX_SIGFPE;
    case 16: /* #MF */
    case 19: /* #XM */
        return LX_SIGFPE;
    case 1:  /* #DB */
    case 3:
        *code = 2; /* TRAP_TRACE */
        return LX_SIGTRAP;
    case 6:  /* #UD */
        *code = 2; /* ILL_ILLOPN */
        return LX_SIGILL;
    case 17: /* #AC */
        *code = 1; /* BUS_ADRALN */
        return LX_SIGBUS;
    case 14: /* #PF: mapped but not allowed, or nothing there */
        if (!(si->error & 1) && past_file_end(t, si->address, si->error)) {
            *code = 2; /* BUS_ADRERR */
            return LX_SIGBUS;
        }
        *code = (si->error & 1) ? LX_SEGV_ACCERR : LX_SEGV_MAPERR;
        return LX_SIGSEGV;
    default: /* #GP, #SS, #NP */
        return LX_SIGSEGV;
    }
}

void signal_fault(struct lthread *t, const struct sk_stop_info *si)
{
    int code;
    int sig = fault_signal(t, si, &code);
    if (px.verbose)
        plog("pid %d (%s): signal %d at rip 0x%lx address 0x%lx\n", t->p->pid,
                  t->p->comm, sig, (unsigned long)si->rip, (unsigned long)si->address);
    struct lx_sigaction *act = &t->p->sig[sig - 1];
    /* a blocked or ignored fault signal cannot be delivered: the process dies of it */
    if ((t->sigmask & SIGBIT(sig)) || act->handler == LX_SIG_IGN || act->handler == LX_SIG_DFL) {
        proc_exit(t->p, CORE_STATUS(sig));
        return;
    }
    struct ksiginfo info = {.signo = sig, .code = code, .addr = si->vector == 14 ? si->address : si->rip};
    /* first in line: the fault's signal goes ahead of anything pending */
    struct sigpend *n = sk_malloc(sizeof *n);
    if (!n) {
        proc_exit(t->p, CORE_STATUS(sig));
        return;
    }
    n->info = info;
    n->next = t->pend;
    t->pend = n;
    t->pending |= SIGBIT(sig);
    signal_deliver_and_resume(t, 0, 0);
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
    signal_deliver_and_resume(t, 0, 0);
}

/* ---- fork, exec ---- */

void signal_fork(struct proc *child, struct proc *parent, struct lthread *ct, struct lthread *pt)
{
    memcpy(child->sig, parent->sig, sizeof child->sig);
    ct->sigmask = pt->sigmask;
    ct->altstack = pt->altstack;
}

void signal_exec(struct proc *p)
{
    for (int i = 0; i < LX_NSIG; i++) {
        if (p->sig[i].handler != LX_SIG_IGN)
            p->sig[i].handler = LX_SIG_DFL;
        p->sig[i].flags = 0;
        p->sig[i].restorer = 0;
        p->sig[i].mask = 0;
    }
    for (struct lthread *t = p->threads; t; t = t->next)
        t->altstack = (struct lx_stack){0, LX_SS_DISABLE, 0, 0};
}
