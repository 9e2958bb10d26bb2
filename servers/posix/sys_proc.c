/*
 * Process calls: exit, the ids, fork/vfork, execve, wait4, arch_prctl,
 * set_tid_address and the process-group calls.
 */
#include "posix.h"
#include "calls.h"

/*
 * exit: this thread ends. Its clear_tid word (set_tid_address, CLONE_CHILD_CLEARTID) is set
 * to 0 and one futex waiter on it woken (pthread_join waits there) when other threads share
 * the memory. The last thread's exit ends the process with its status (also when the
 * leader went first: Linux's wait reports the last one's).
 */
long sys_exit(struct lthread *t)
{
    struct proc *p = t->p;
    if (p->threads == t && !t->next) {
        proc_exit(p, (int)(t->a[0] & 0xff) << 8);
        return 0;
    }
    if (t->clear_tid && p->mm && t->copy_op.state == SK_OPSTATE_IDLE) {
        memset(t->copy_stage, 0, 4);
        if (sk_op_submit_forget(&px.q, &t->copy_op, SK_OP_mem_write, p->mm->space, t->clear_tid,
                                (uint64_t)t->copy_stage, 4) == SK_OK)
            futex_wake_word(p->mm, t->clear_tid); /* (its answer leaves after the write) */
    }
    thread_gone(t);
    return 0;
}

long sys_exit_group(struct lthread *t)
{
    proc_exit(t->p, (int)(t->a[0] & 0xff) << 8);
    return 0;
}

SK_HOT long sys_getpid(struct lthread *t)
{
    return t->p->pid;
}

SK_HOT long sys_gettid(struct lthread *t)
{
    return t->tid;
}

SK_HOT long sys_getppid(struct lthread *t)
{
    return t->p->parent ? t->p->parent->pid : 0;
}

long sys_getuid(struct lthread *t)
{
    return t->p->uid;
}
long sys_geteuid(struct lthread *t)
{
    return t->p->euid;
}
long sys_getgid(struct lthread *t)
{
    return t->p->gid;
}
long sys_getegid(struct lthread *t)
{
    return t->p->egid;
}

long sys_set_tid_address(struct lthread *t)
{
    t->clear_tid = t->a[0];
    return t->tid;
}

long sys_arch_prctl(struct lthread *t)
{
    uint64_t code = t->a[0], addr = t->a[1];
    struct sk_base_regs b;
    switch (code) {
    case LX_ARCH_SET_FS:
    case LX_ARCH_SET_GS:
        if (addr >= SK_USER_TOP)
            return -LX_EPERM;
        if (sk_thread_get_regs(t->h, SK_REGS_BASES, &b, sizeof b) != SK_OK)
            return -LX_EINVAL;
        if (code == LX_ARCH_SET_FS)
            b.fs_base = addr;
        else
            b.gs_base = addr;
        if (sk_thread_set_regs(t->h, SK_REGS_BASES, &b, sizeof b) != SK_OK)
            return -LX_EPERM;
        return 0;
    case LX_ARCH_GET_FS:
    case LX_ARCH_GET_GS:
        if (sk_thread_get_regs(t->h, SK_REGS_BASES, &b, sizeof b) != SK_OK)
            return -LX_EINVAL;
        t->len = code == LX_ARCH_GET_FS ? b.fs_base : b.gs_base;
        t->ret = 0;
        return call_copy_out(t, addr, &t->len, 8, call_done_step) == SK_OK ? CALL_PENDING : -LX_EFAULT;
    default:
        return -LX_EINVAL;
    }
}

long sys_getpgrp(struct lthread *t)
{
    return t->p->pgid;
}

long sys_getpgid(struct lthread *t)
{
    int pid = (int)t->a[0];
    struct proc *p = pid ? proc_find(pid) : t->p;
    return p ? p->pgid : -LX_ESRCH;
}

long sys_getsid(struct lthread *t)
{
    int pid = (int)t->a[0];
    struct proc *p = pid ? proc_find(pid) : t->p;
    return p ? p->sid : -LX_ESRCH;
}

long sys_setsid(struct lthread *t)
{
    struct proc *p = t->p;
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->state != PROC_REAPED && q->pgid == p->pid)
            return -LX_EPERM; /* already a group leader */
    p->sid = p->pgid = p->pid;
    p->ctty = NULL;
    return p->sid;
}

long sys_setpgid(struct lthread *t)
{
    int pid = (int)t->a[0], pgid = (int)t->a[1];
    if (pgid < 0)
        return -LX_EINVAL;
    struct proc *p = pid ? proc_find(pid) : t->p;
    if (!p || (p != t->p && p->parent != t->p))
        return -LX_ESRCH;
    if (p->sid == p->pid)
        return -LX_EPERM; /* a session leader */
    if (p != t->p && p->sid != t->p->sid)
        return -LX_EPERM;
    if (!pgid)
        pgid = p->pid;
    if (pgid != p->pid) {
        int found = 0;
        for (struct proc *q = procs; q; q = q->all_next)
            if (q->state != PROC_REAPED && q->pgid == pgid && q->sid == p->sid)
                found = 1;
        if (!found)
            return -LX_EPERM;
    }
    p->pgid = pgid;
    return 0;
}

long sys_umask(struct lthread *t)
{
    uint32_t old = t->p->umask;
    t->p->umask = (uint32_t)t->a[0] & 0777;
    return old;
}

/* ---- fork ---- */

/*
 * ct (new, started stopped) gets t's registers as at t's system call, with rax = 0 (the
 * child's return value), rsp = newsp if not 0, and FS base = tls with settls; they are set
 * when ct's first stop is reported (signal_interrupted). Returns 1, or 0 if that cannot be.
 */
static int thread_clone_regs(struct lthread *t, struct lthread *ct, uint64_t newsp, int settls,
                             uint64_t tls)
{
    struct sk_gregs g;
    struct sk_base_regs b;
    static uint8_t fpu[4096];
    uint64_t fpu_size = 0;
    int ok = sk_thread_get_regs(t->h, SK_REGS_GENERAL, &g, sizeof g) == SK_OK &&
             sk_thread_get_regs(t->h, SK_REGS_BASES, &b, sizeof b) == SK_OK;
    if (ok) {
        /* size 0 asks for the image's size */
        ok = sk_thread_regs_size(t->h, SK_REGS_FPU, &fpu_size) == SK_OK && fpu_size &&
             fpu_size <= sizeof fpu && sk_thread_get_regs(t->h, SK_REGS_FPU, fpu, fpu_size) == SK_OK;
    }
    /* stop the child before its first instruction, then give it the registers */
    if (!ok || sk_thread_interrupt(ct->h) != SK_OK || sk_thread_start(ct->h) != SK_OK)
        return 0;
    g.rax = 0;
    if (newsp)
        g.rsp = newsp;
    if (settls)
        b.fs_base = tls;
    ct->clear_tid = 0;
    ct->fork_regs = sk_malloc(sizeof g + sizeof b + fpu_size);
    if (!ct->fork_regs)
        return 0;
    memcpy(ct->fork_regs, &g, sizeof g);
    memcpy(ct->fork_regs + sizeof g, &b, sizeof b);
    memcpy(ct->fork_regs + sizeof g + sizeof b, fpu, fpu_size);
    ct->fork_fpu_size = fpu_size;
    ct->policy = t->policy;
    ct->affinity = t->affinity;
    if (ct->affinity)
        sk_thread_set_affinity(ct->h, ct->affinity);
    return 1;
}

/* A child process like t's, its first thread created and stopped but not observed yet
   (*child_out; the caller starts it with call_start). Returns the pid or -errno. */
static long do_fork(struct lthread *t, uint64_t newsp, int settls, uint64_t tls,
                    struct lthread **child_out)
{
    struct proc *parent = t->p;
    /* RLIMIT_NPROC: the processes of the real user, zombies included (Linux counts them
       until they are reaped); root is not bound */
    if (parent->uid != 0 && parent->euid != 0) {
        uint64_t n = 0;
        for (struct proc *q = procs; q; q = q->all_next)
            n += q->uid == parent->uid;
        if (n >= parent->rlim[LX_RLIMIT_NPROC].cur)
            return -LX_EAGAIN;
    }
    struct proc *c = proc_new(parent);
    if (!c)
        return -LX_EAGAIN;
    int err;
    c->mm = mm_fork(parent->mm, &err);
    c->fds = c->mm ? fdt_copy(parent->fds) : NULL;
    if (c->cmdline == NULL && parent->cmdline && (c->cmdline = sk_malloc(parent->cmdline_len)))
        memcpy(c->cmdline, parent->cmdline, parent->cmdline_len), c->cmdline_len = parent->cmdline_len;
    if (c->environ == NULL && parent->environ && (c->environ = sk_malloc(parent->environ_len + 1)))
        memcpy(c->environ, parent->environ, parent->environ_len), c->environ_len = parent->environ_len;
    struct lthread *ct = c->fds ? thread_new(c, t->rip, t->rsp, 1) : NULL;
    if (!ct || !thread_clone_regs(t, ct, newsp, settls, tls)) {
        if (px.verbose)
            plog("fork of pid %d failed\n", t->p->pid);
        proc_discard(c);
        return -LX_EAGAIN;
    }
    signal_fork(c, parent, ct, t);
    *child_out = ct;
    return c->pid;
}

long sys_fork(struct lthread *t)
{
    struct lthread *ct;
    long pid = do_fork(t, 0, 0, 0, &ct);
    if (pid > 0)
        call_start(ct);
    return pid;
}

/* vfork: the parent's call ends when the child execs or exits (it waits for nothing else:
   signals stay pending until then, as Linux's killable wait). The child runs on a
   copy-on-write copy of the memory, which a program that keeps to vfork's rules cannot tell
   from sharing it. */
static sk_error_t vfork_released(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    t->uninterruptible = 0;
    if (err)
        return err;
    call_return(t, t->ret);
    return SK_OK;
}

static void vfork_wait(struct lthread *t, struct lthread *ct, long pid)
{
    t->ret = pid;
    t->uninterruptible = 1;
    waitq_park(&ct->p->vfork_done, t, vfork_released);
    call_start(ct);
}

long sys_vfork(struct lthread *t)
{
    struct lthread *ct;
    long pid = do_fork(t, 0, 0, 0, &ct);
    if (pid < 0)
        return pid;
    vfork_wait(t, ct, pid);
    return CALL_PENDING;
}

#define LX_CLONE_VM 0x100u
#define LX_CLONE_FS 0x200u
#define LX_CLONE_FILES 0x400u
#define LX_CLONE_SIGHAND 0x800u
#define LX_CLONE_PIDFD 0x1000u
#define LX_CLONE_PTRACE 0x2000u
#define LX_CLONE_VFORK 0x4000u
#define LX_CLONE_PARENT 0x8000u
#define LX_CLONE_THREAD 0x10000u
#define LX_CLONE_NEWNS 0x20000u
#define LX_CLONE_SYSVSEM 0x40000u
#define LX_CLONE_DETACHED 0x400000u
#define LX_CLONE_UNTRACED 0x800000u
#define LX_CLONE_NEWUSER 0x10000000u
#define LX_CLONE_IO 0x80000000u
#define LX_CLONE_SETTLS 0x80000u
#define LX_CLONE_PARENT_SETTID 0x100000u
#define LX_CLONE_CHILD_CLEARTID 0x200000u
#define LX_CLONE_CHILD_SETTID 0x01000000u

/*
 * clone for new processes: the exit signal, CLONE_VFORK (with or without CLONE_VM: done
 * as a copy-on-write fork), CLONE_SETTLS and the tid words. The tid words are written
 * (child's, then parent's) before the child is first observed, so it cannot run first.
 * CLONE_THREAD (with CLONE_VM, CLONE_SIGHAND, CLONE_FS and CLONE_FILES: a pthread) makes a
 * thread of the caller's own process. The other partial-sharing combinations: ENOSYS.
 */
static sk_error_t clone_parent_tid(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t clone_finish(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)err, (void)cqe;
    struct lthread *t = call_thread(r);
    struct lthread *ct = t->fork_child;
    t->fork_child = NULL;
    if (ct && !ct->dead && (t->a[0] & LX_CLONE_VFORK)) {
        vfork_wait(t, ct, t->ret);
        return SK_OK;
    }
    if (ct && !ct->dead)
        call_start(ct);
    call_return(t, t->ret);
    return SK_OK;
}

static sk_error_t clone_parent_tid(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)err;
    struct lthread *t = call_thread(r);
    if (t->a[0] & LX_CLONE_PARENT_SETTID)
        return call_copy_out(t, t->a[2], &t->len, 4, clone_finish);
    return clone_finish(r, SK_OK, cqe);
}

/*
 * Room for one more thread of p? RLIMIT_NPROC counts the real user's threads (as Linux
 * counts tasks; root is not bound), and the whole system has Linux's threads-max: one
 * thread per 128 KiB of memory (a thread costs the server and the kernel memory of their
 * own, so a thread bomb ends in EAGAIN, not in an exhausted server).
 */
static int thread_room(struct proc *p)
{
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    uint64_t max = mi.total_pages / 32 > 64 ? mi.total_pages / 32 : 64;
    if ((uint64_t)px.n_threads >= max)
        return 0;
    if (p->uid == 0 || p->euid == 0)
        return 1;
    uint64_t n = 0;
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->uid == p->uid)
            for (struct lthread *o = q->threads; o; o = o->next)
                n++;
    return n < p->rlim[LX_RLIMIT_NPROC].cur;
}

/* A thread of t's process, sharing everything, with t's registers and signal mask. */
static long clone_thread(struct lthread *t, uint64_t flags, struct lthread **out)
{
    if (!thread_room(t->p))
        return -LX_EAGAIN;
    struct lthread *ct = thread_new(t->p, t->rip, t->rsp, 1);
    if (!ct)
        return -LX_EAGAIN;
    if (!thread_clone_regs(t, ct, t->a[1], (flags & LX_CLONE_SETTLS) != 0, t->a[4])) {
        thread_gone(ct);
        return -LX_EAGAIN;
    }
    ct->sigmask = t->sigmask;
    memcpy(ct->comm, thread_comm(t), sizeof ct->comm); /* (its creator's name, as on Linux) */
    /* a thread that shares the memory starts without the alternate signal stack */
    ct->altstack = (struct lx_stack){0, LX_SS_DISABLE, 0, 0};
    *out = ct;
    return ct->tid;
}

long sys_clone(struct lthread *t)
{
    uint64_t flags = t->a[0];
    /* Linux's own refusals first (copy_process) */
    if ((flags & (LX_CLONE_NEWNS | LX_CLONE_FS)) == (LX_CLONE_NEWNS | LX_CLONE_FS) ||
        (flags & (LX_CLONE_NEWUSER | LX_CLONE_FS)) == (LX_CLONE_NEWUSER | LX_CLONE_FS))
        return -LX_EINVAL;
    if ((flags & LX_CLONE_THREAD) && !(flags & LX_CLONE_SIGHAND))
        return -LX_EINVAL;
    if ((flags & LX_CLONE_SIGHAND) && !(flags & LX_CLONE_VM))
        return -LX_EINVAL;
    if ((flags & LX_CLONE_PIDFD) && (flags & (LX_CLONE_THREAD | LX_CLONE_PARENT_SETTID)))
        return -LX_EINVAL;
    uint64_t common = LX_CLONE_SETTLS | LX_CLONE_PARENT_SETTID | LX_CLONE_CHILD_CLEARTID |
                      LX_CLONE_CHILD_SETTID | LX_CLONE_DETACHED | LX_CLONE_UNTRACED |
                      LX_CLONE_IO | LX_CLONE_SYSVSEM;
    struct lthread *ct;
    long pid;
    if (flags & LX_CLONE_THREAD) {
        uint64_t need = LX_CLONE_VM | LX_CLONE_SIGHAND | LX_CLONE_FS | LX_CLONE_FILES;
        if ((flags & need) != need || (flags & ~(need | LX_CLONE_THREAD | common | 0xff)))
            return -LX_ENOSYS; /* a thread with its own files or cwd: not yet */
        pid = clone_thread(t, flags, &ct);
    } else {
        uint64_t allowed = 0xff | LX_CLONE_VM | LX_CLONE_VFORK | common;
        if (flags & ~allowed)
            return -LX_ENOSYS; /* partial sharing: not yet */
        if ((flags & LX_CLONE_VM) && !(flags & LX_CLONE_VFORK))
            return -LX_ENOSYS;
        pid = do_fork(t, t->a[1], (flags & LX_CLONE_SETTLS) != 0, t->a[4], &ct);
    }
    if (pid < 0)
        return pid;
    if (flags & LX_CLONE_CHILD_CLEARTID)
        ct->clear_tid = t->a[3];
    t->fork_child = ct;
    t->ret = pid;
    t->len = (uint64_t)pid;
    struct sk_cqe none = {0};
    if (flags & LX_CLONE_CHILD_SETTID) {
        sk_req_submit(&t->req, SK_OP_mem_write, clone_parent_tid, ct->p->mm->space, t->a[3],
                      (uint64_t)&t->len, 4);
        return CALL_PENDING;
    }
    clone_parent_tid(&t->req, SK_OK, &none);
    return CALL_PENDING;
}

/* ---- wait4 and waitid ---- */

#define WAIT_PIDFD_NONBLOCK 0x10000000u /* (internal: a PIDFD_NONBLOCK pidfd; no user flag has this bit) */

/* What a wait call asks for, from its arguments (t->phase: 0 wait4, 1 waitid). */
struct wspec {
    int pid;            /* wait4's encoding: > 0 one child, 0 own group, < -1 a group, -1 any */
    uint32_t opts;      /* LX_W* */
    int waitid;
    uint64_t out;       /* wait4: the status word; waitid: the siginfo */
    uint64_t rusage;
};

static struct wspec wait_spec(struct lthread *t)
{
    struct wspec w = {.waitid = t->phase == 1};
    if (!w.waitid) {
        w.pid = (int)t->a[0];
        w.opts = (uint32_t)t->a[2] | LX_WEXITED;
        w.out = t->a[1];
        w.rusage = t->a[3];
        return w;
    }
    uint32_t type = (uint32_t)t->a[0], id = (uint32_t)t->a[1];
    w.pid = type == 0 ? -1 : type == 1 ? (int)id : id ? -(int)id : 0;
    w.opts = (uint32_t)t->a[3];
    w.out = t->a[2];
    w.rusage = t->a[4];
    return w;
}

static int wait_matches(struct lthread *t, struct proc *c, int pid)
{
    if (pid > 0)
        return c->pid == pid;
    if (pid == 0)
        return c->pgid == t->p->pgid;
    if (pid < -1)
        return c->pgid == -pid;
    return 1;
}

/* What a report copies out: wait4's status word or waitid's siginfo, then the rusage
   (CPU times are not accounted yet: zeros). */
struct wait_out {
    uint32_t status;
    struct lx_siginfo si;
    uint8_t rusage[144];
};

static sk_error_t wait_rusage_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct wspec w = wait_spec(t);
    struct wait_out *o = t->buf;
    return call_copy_out(t, w.rusage, o->rusage, sizeof o->rusage, call_done_step);
}

/* Report child c (code CLD_*, status as siginfo gives it, wstatus as wait4 gives it). */
static long wait_report(struct lthread *t, const struct wspec *w, struct proc *c, int code,
                        int status, int wstatus)
{
    t->ret = w->waitid ? 0 : c->pid;
    if (!w->out && !w->rusage)
        return t->ret;
    struct wait_out *o = sk_calloc(1, sizeof *o);
    if (!o)
        return -LX_ENOMEM;
    t->buf = o;
    o->status = (uint32_t)wstatus;
    uint64_t cpu = (c->state == PROC_LIVE ? proc_cpu_ns(c) : c->cpu_dead_ns) + c->cpu_children_ns;
    rusage_fill(o->rusage, cpu);
    o->si.child.utime = (int64_t)(cpu / 10000000ull);
    o->si.si_signo = LX_SIGCHLD;
    o->si.si_code = code;
    o->si.child.pid = c->pid;
    o->si.child.uid = c->uid;
    o->si.child.status = status;
    sk_req_fn next = w->rusage ? wait_rusage_step : call_done_step;
    if (!w->out) {
        struct sk_cqe none = {0};
        return next(&t->req, SK_OK, &none) ? -LX_EFAULT : CALL_PENDING;
    }
    sk_error_t e = w->waitid ? call_copy_out(t, w->out, &o->si, sizeof o->si, next)
                             : call_copy_out(t, w->out, &o->status, 4, next);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t wait_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

/* Look for a child to report; park if there is none yet. */
static long wait_look(struct lthread *t)
{
    struct wspec w = wait_spec(t);
    int any = 0;
    for (struct proc *c = t->p->children; c; c = c->sibling) {
        if (!wait_matches(t, c, w.pid))
            continue;
        any = 1;
        int keep = (w.opts & LX_WNOWAIT) != 0;
        if (c->state == PROC_LIVE && c->report == LX_CLD_STOPPED && (w.opts & LX_WUNTRACED)) {
            if (!keep)
                c->report = 0;
            return wait_report(t, &w, c, LX_CLD_STOPPED, c->report_sig,
                               (c->report_sig << 8) | 0x7f);
        }
        if (c->state == PROC_LIVE && c->report == LX_CLD_CONTINUED && (w.opts & LX_WCONTINUED)) {
            if (!keep)
                c->report = 0;
            return wait_report(t, &w, c, LX_CLD_CONTINUED, LX_SIGCONT, 0xffff);
        }
        if (c->state == PROC_ZOMBIE && (w.opts & LX_WEXITED)) {
            int ws = c->wstatus;
            int code = (ws & 0x7f) ? ((ws & 0x80) ? LX_CLD_DUMPED : LX_CLD_KILLED) : LX_CLD_EXITED;
            int status = (ws & 0x7f) ? (ws & 0x7f) : (ws >> 8) & 0xff;
            long rc = wait_report(t, &w, c, code, status, ws);
            if (!keep && rc != -LX_ENOMEM) {
                /* a child waited for adds its times to its parent's children's (Linux) */
                t->p->cpu_children_ns += c->cpu_dead_ns + c->cpu_children_ns;
                proc_reap(c);
            }
            return rc;
        }
    }
    if (!any)
        return -LX_ECHILD;
    if ((w.opts & WAIT_PIDFD_NONBLOCK) && !(w.opts & LX_WNOHANG))
        return -LX_EAGAIN; /* (a PIDFD_NONBLOCK pidfd's child still running) */
    if (w.opts & LX_WNOHANG) {
        if (!w.waitid || !w.out)
            return 0;
        /* waitid: nothing to report, the siginfo reads all zero (as Linux writes it) */
        struct wait_out *o = sk_calloc(1, sizeof *o);
        if (!o)
            return -LX_ENOMEM;
        t->buf = o;
        t->ret = 0;
        sk_error_t e = call_copy_out(t, w.out, &o->si, sizeof o->si, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    waitq_park(&t->p->child_exit, t, wait_step);
    return CALL_PENDING;
}

static sk_error_t wait_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    long rc = wait_look(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

long sys_wait4(struct lthread *t)
{
    uint32_t options = (uint32_t)t->a[2];
    if (options & ~(uint32_t)(LX_WNOHANG | LX_WUNTRACED | LX_WCONTINUED | LX_WALL | LX_WCLONE |
                              0x20000000u /* __WNOTHREAD */))
        return -LX_EINVAL;
    if ((int)t->a[0] == -2147483647 - 1)
        return -LX_ESRCH;
    t->phase = 0;
    return wait_look(t);
}

long sys_waitid(struct lthread *t)
{
    uint32_t type = (uint32_t)t->a[0], options = (uint32_t)t->a[3];
    if (options & ~(uint32_t)(LX_WNOHANG | LX_WUNTRACED | LX_WCONTINUED | LX_WEXITED |
                              LX_WNOWAIT | LX_WALL | LX_WCLONE | 0x20000000u))
        return -LX_EINVAL;
    if (!(options & (LX_WEXITED | LX_WUNTRACED | LX_WCONTINUED)))
        return -LX_EINVAL;
    if (type == 3) { /* P_PIDFD: as P_PID with the pidfd's process */
        int pid = pidfd_pid(t, (int)t->a[1]);
        if (pid < 0)
            return pid == -LX_ESRCH ? -LX_ECHILD : pid;
        if (pidfd_nonblock(t, (int)t->a[1]))
            t->a[3] |= WAIT_PIDFD_NONBLOCK;
        t->a[0] = type = 1;
        t->a[1] = (uint64_t)pid;
    }
    if (type > 3) /* P_ALL, P_PID, P_PGID, P_PIDFD */
        return -LX_EINVAL;
    if (type == 1 && (int)t->a[1] <= 0)
        return -LX_EINVAL;
    if (type == 2 && (int)t->a[1] < 0)
        return -LX_EINVAL;
    t->phase = 1;
    return wait_look(t);
}

/* ---- credentials: the set*id family with Linux's rules (root may set anything; others
   only to ids they hold) ---- */

static int holds_uid(struct proc *p, uint32_t id)
{
    return id == p->uid || id == p->euid || id == p->suid;
}

static int holds_gid(struct proc *p, uint32_t id)
{
    return id == p->gid || id == p->egid || id == p->sgid;
}

long sys_setuid(struct lthread *t)
{
    struct proc *p = t->p;
    uint32_t id = (uint32_t)t->a[0];
    if (id == (uint32_t)-1)
        return -LX_EINVAL;
    if (p->euid == 0) {
        p->uid = p->euid = p->suid = id;
        return 0;
    }
    if (id != p->uid && id != p->suid)
        return -LX_EPERM;
    p->euid = id;
    return 0;
}

long sys_setgid(struct lthread *t)
{
    struct proc *p = t->p;
    uint32_t id = (uint32_t)t->a[0];
    if (id == (uint32_t)-1)
        return -LX_EINVAL;
    if (p->euid == 0) {
        p->gid = p->egid = p->sgid = id;
        return 0;
    }
    if (id != p->gid && id != p->sgid)
        return -LX_EPERM;
    p->egid = id;
    return 0;
}

long sys_setreuid(struct lthread *t)
{
    struct proc *p = t->p;
    uint32_t r = (uint32_t)t->a[0], e = (uint32_t)t->a[1];
    int root = p->euid == 0;
    if (r != (uint32_t)-1 && !root && r != p->uid && r != p->euid)
        return -LX_EPERM;
    if (e != (uint32_t)-1 && !root && !holds_uid(p, e))
        return -LX_EPERM;
    uint32_t old_r = p->uid;
    if (r != (uint32_t)-1)
        p->uid = r;
    if (e != (uint32_t)-1)
        p->euid = e;
    if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != old_r))
        p->suid = p->euid;
    return 0;
}

long sys_setregid(struct lthread *t)
{
    struct proc *p = t->p;
    uint32_t r = (uint32_t)t->a[0], e = (uint32_t)t->a[1];
    int root = p->euid == 0;
    if (r != (uint32_t)-1 && !root && r != p->gid && r != p->egid)
        return -LX_EPERM;
    if (e != (uint32_t)-1 && !root && !holds_gid(p, e))
        return -LX_EPERM;
    uint32_t old_r = p->gid;
    if (r != (uint32_t)-1)
        p->gid = r;
    if (e != (uint32_t)-1)
        p->egid = e;
    if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != old_r))
        p->sgid = p->egid;
    return 0;
}

long sys_setresuid(struct lthread *t)
{
    struct proc *p = t->p;
    uint32_t v[3] = {(uint32_t)t->a[0], (uint32_t)t->a[1], (uint32_t)t->a[2]};
    if (p->euid != 0)
        for (int i = 0; i < 3; i++)
            if (v[i] != (uint32_t)-1 && !holds_uid(p, v[i]))
                return -LX_EPERM;
    if (v[0] != (uint32_t)-1)
        p->uid = v[0];
    if (v[1] != (uint32_t)-1)
        p->euid = v[1];
    if (v[2] != (uint32_t)-1)
        p->suid = v[2];
    return 0;
}

long sys_setresgid(struct lthread *t)
{
    struct proc *p = t->p;
    uint32_t v[3] = {(uint32_t)t->a[0], (uint32_t)t->a[1], (uint32_t)t->a[2]};
    if (p->euid != 0)
        for (int i = 0; i < 3; i++)
            if (v[i] != (uint32_t)-1 && !holds_gid(p, v[i]))
                return -LX_EPERM;
    if (v[0] != (uint32_t)-1)
        p->gid = v[0];
    if (v[1] != (uint32_t)-1)
        p->egid = v[1];
    if (v[2] != (uint32_t)-1)
        p->sgid = v[2];
    return 0;
}

static long three_ids_out(struct lthread *t, uint32_t a, uint32_t b, uint32_t c)
{
    /* three separate words: each pointer on its own (copied one after another) */
    uint32_t *v = sk_malloc(12);
    if (!v)
        return -LX_ENOMEM;
    v[0] = a, v[1] = b, v[2] = c;
    t->buf = v;
    t->phase = 0;
    return -1; /* continued by ids_step */
}

static sk_error_t ids_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    if (t->phase == 3) {
        call_return(t, 0);
        return SK_OK;
    }
    int i = t->phase++;
    return call_copy_out(t, t->a[i], (uint32_t *)t->buf + i, 4, ids_step);
}

long sys_getresuid(struct lthread *t)
{
    if (three_ids_out(t, t->p->uid, t->p->euid, t->p->suid) != -1)
        return -LX_ENOMEM;
    struct sk_cqe none = {0};
    sk_error_t e = ids_step(&t->req, SK_OK, &none);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_getresgid(struct lthread *t)
{
    if (three_ids_out(t, t->p->gid, t->p->egid, t->p->sgid) != -1)
        return -LX_ENOMEM;
    struct sk_cqe none = {0};
    sk_error_t e = ids_step(&t->req, SK_OK, &none);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* Supplementary groups: none kept yet beyond the count (PARTIAL). */
/* Supplementary groups: kept sorted, as Linux keeps them (getgroups returns them so);
   inherited by fork, kept by exec; the VFS checks them (proc_in_group). */
long sys_getgroups(struct lthread *t)
{
    int size = (int)t->a[0];
    struct proc *p = t->p;
    if (size < 0)
        return -LX_EINVAL;
    if (size == 0)
        return (long)p->ngroups;
    if ((uint32_t)size < p->ngroups)
        return -LX_EINVAL;
    if (!p->ngroups)
        return 0;
    uint32_t *copy = sk_malloc(p->ngroups * sizeof *copy);
    if (!copy)
        return -LX_ENOMEM;
    memcpy(copy, p->groups, p->ngroups * sizeof *copy);
    t->buf = copy;
    t->ret = (long)p->ngroups;
    sk_error_t e = call_copy_out(t, t->a[1], copy, p->ngroups * sizeof *copy, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t groups_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    uint32_t n = (uint32_t)t->a[0], *g = t->buf;
    for (uint32_t i = 1; i < n; i++) /* insertion sort, then no duplicates kept apart */
        for (uint32_t j = i; j > 0 && g[j - 1] > g[j]; j--) {
            uint32_t x = g[j];
            g[j] = g[j - 1];
            g[j - 1] = x;
        }
    sk_free(t->p->groups);
    t->p->groups = g;
    t->p->ngroups = n;
    t->buf = NULL;
    call_return(t, 0);
    return SK_OK;
}

long sys_setgroups(struct lthread *t)
{
    uint64_t n = (uint32_t)t->a[0]; /* an int: a negative count is a huge one */
    if (t->p->euid != 0)
        return -LX_EPERM;
    if (n > 65536)
        return -LX_EINVAL;
    if (n == 0) {
        sk_free(t->p->groups);
        t->p->groups = NULL;
        t->p->ngroups = 0;
        return 0;
    }
    uint32_t *g = sk_malloc(n * sizeof *g);
    if (!g)
        return -LX_ENOMEM;
    t->buf = g;
    sk_error_t e = call_copy_in(t, t->a[1], g, n * sizeof *g, groups_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- nice: getpriority, setpriority ---- */

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

/* Does p match (which, who) for the caller (who 0: the caller's own process, group, user)? */
static int prio_match(struct proc *caller, struct proc *p, uint64_t which, uint32_t who)
{
    if (p->state != PROC_LIVE)
        return 0;
    switch (which) {
    case PRIO_PROCESS:
        return p->pid == (int)(who ? who : (uint32_t)caller->pid);
    case PRIO_PGRP:
        return p->pgid == (int)(who ? who : (uint32_t)caller->pgid);
    default:
        return p->uid == (who ? who : caller->uid);
    }
}

/* The raw call answers 20 - nice of the highest-priority match (1..40; the C library
   turns it back into a nice value). */
long sys_getpriority(struct lthread *t)
{
    uint64_t which = t->a[0];
    if (which > PRIO_USER)
        return -LX_EINVAL;
    int best = 100;
    for (struct proc *p = procs; p; p = p->all_next)
        if (prio_match(t->p, p, which, (uint32_t)t->a[1]) && p->nice < best)
            best = p->nice;
    return best == 100 ? -LX_ESRCH : 20 - best;
}

long sys_setpriority(struct lthread *t)
{
    uint64_t which = t->a[0];
    if (which > PRIO_USER)
        return -LX_EINVAL;
    long v = (long)(int)t->a[2];
    int nice = v < -20 ? -20 : v > 19 ? 19 : (int)v;
    struct proc *me = t->p;
    long err = -LX_ESRCH;
    for (struct proc *p = procs; p; p = p->all_next) {
        if (!prio_match(me, p, which, (uint32_t)t->a[1]))
            continue;
        if (me->euid != 0 && me->euid != p->uid && me->euid != p->euid) {
            err = -LX_EPERM; /* not the caller's process */
            continue;
        }
        /* a lower nice than now: root, or within RLIMIT_NICE (20 - nice) */
        if (nice < p->nice && me->euid != 0 &&
            p->rlim[LX_RLIMIT_NICE].cur < (uint64_t)(20 - nice)) {
            err = -LX_EACCES;
            continue;
        }
        p->nice = nice;
        if (err == -LX_ESRCH)
            err = 0;
    }
    return err;
}
