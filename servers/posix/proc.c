/*
 * Processes and their threads: pids, the parent/child tree, starting a Linux
 * thread, exit (zombies, reparenting to init, waking waiters) and the end of a
 * thread's kernel side. The wait calls are in sys_proc.c.
 */
#include "posix.h"
#include "tty.h"

struct proc *procs;

struct proc *proc_find(int pid)
{
    for (struct proc *p = procs; p; p = p->all_next)
        if (p->pid == pid && p->state != PROC_REAPED)
            return p;
    return NULL;
}

static int pid_alloc(void)
{
    for (;;) {
        int pid = px.next_pid++;
        if (px.next_pid > PID_MAX)
            px.next_pid = 2;
        if (!proc_find(pid))
            return pid;
    }
}

struct proc *proc_new(struct proc *parent)
{
    struct proc *p = sk_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (sk_universe_create(&p->universe) != SK_OK) {
        sk_free(p);
        return NULL;
    }
    px.n_procs++;
    p->pid = pid_alloc();
    p->state = PROC_LIVE;
    p->parent = parent;
    if (parent) {
        p->sibling = parent->children;
        parent->children = p;
        p->pgid = parent->pgid;
        p->sid = parent->sid;
        p->umask = parent->umask;
        p->nice = parent->nice;
        p->uid = parent->uid, p->euid = parent->euid, p->suid = parent->suid;
        p->gid = parent->gid, p->egid = parent->egid, p->sgid = parent->sgid;
        memcpy(p->comm, parent->comm, sizeof p->comm);
        p->cwd = inode_get(parent->cwd);
        p->ctty = parent->ctty;
        memcpy(p->rlim, parent->rlim, sizeof p->rlim);
        if (parent->ngroups && (p->groups = sk_malloc(parent->ngroups * sizeof *p->groups))) {
            memcpy(p->groups, parent->groups, parent->ngroups * sizeof *p->groups);
            p->ngroups = parent->ngroups;
        }
    } else {
        limits_default(p->rlim);
        p->pgid = p->sid = p->pid;
        p->umask = 022;
        p->cwd = inode_get(vfs_root);
    }
    sk_clock_get(&p->start_ns);
    if (parent && parent->exe) {
        size_t n = strlen(parent->exe) + 1;
        if ((p->exe = sk_malloc(n)))
            memcpy(p->exe, parent->exe, n);
    }
    p->all_next = procs;
    procs = p;
    return p;
}

struct lthread *thread_new(struct proc *p, uint64_t rip, uint64_t rsp, int start_stopped)
{
    struct lthread *t = sk_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    struct sk_thread_create info = {
        .entry = rip,
        .stack = rsp,
        .priority = SK_THREAD_PRIO_DEFAULT,
        .flags = SK_THREAD_OBSERVED | SK_THREAD_FOREIGN |
                 (start_stopped ? SK_THREAD_START_STOPPED : 0),
    };
    if (sk_thread_create(p->universe, p->mm->space, &info, &t->h) != SK_OK) {
        sk_free(t);
        return NULL;
    }
    px.n_threads++;
    t->p = p;
    t->tid = p->threads ? pid_alloc() : p->pid;
    t->next = p->threads;
    p->threads = t;
    return t;
}

struct lthread *thread_find(struct lthread *t, int tid)
{
    if (tid == 0)
        return t;
    for (struct proc *p = procs; p; p = p->all_next)
        for (struct lthread *x = p->threads; x; x = x->next)
            if (x->tid == tid && !x->dead)
                return x;
    return NULL;
}

char *thread_comm(struct lthread *t)
{
    return t->tid == t->p->pid ? t->p->comm : t->comm;
}

/* Take t off its process's list. */
static void thread_unlink(struct lthread *t)
{
    for (struct lthread **pp = &t->p->threads; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            return;
        }
}

/*
 * End t: it leaves its process, its kernel thread is killed, and whatever step
 * its request has in flight is cancelled. Nothing touches a dead thread's
 * registers again (call_return and the observe completion see t->dead), and
 * posix_sweep frees it, on the loop's next turn, once no operation of its
 * request is in flight. If t was the last thread of a live process, the process
 * ends as if killed.
 */
static SK_HOT_DATA struct lthread *graveyard;

uint64_t thread_cpu_ns(sk_handle_t h)
{
    struct sk_thread_stats st;
    return h && sk_thread_stats(h, &st) == SK_OK ? st.run_ns : 0;
}

uint64_t proc_cpu_ns(struct proc *p)
{
    uint64_t ns = p->cpu_dead_ns;
    for (struct lthread *t = p->threads; t; t = t->next)
        ns += thread_cpu_ns(t->h);
    return ns;
}

void thread_gone(struct lthread *t)
{
    if (t->dead)
        return;
    t->dead = 1;
    struct proc *p = t->p;
    thread_unlink(t);
    futex_robust_exit(t, p->state != PROC_LIVE || !p->threads);
    if (t->h) {
        sk_thread_kill(t->h);
        p->cpu_dead_ns += thread_cpu_ns(t->h);
        sk_handle_close(t->h);
        t->h = 0;
    }
    t->next = graveyard;
    graveyard = t;
    sk_req_cancel(&t->req, SK_ERR_CANCELLED);
    if (p->state == PROC_LIVE && !p->threads)
        proc_exit(p, LX_SIGKILL);
}

SK_HOT void posix_sweep(void)
{
    call_release_held();
    signal_recheck();
    struct lthread **pp = &graveyard;
    while (*pp) {
        struct lthread *t = *pp;
        if (sk_req_idle(&t->req) && !t->req.parked && t->copy_op.state == SK_OPSTATE_IDLE &&
            !t->copy_held && !t->copy_direct && !t->on_held) {
            *pp = t->next;
            signal_drop_pending(&t->pend);
            call_cleanup_public(t);
            sk_free(t->fork_regs);
            sk_free(t);
            px.n_threads--;
        } else {
            pp = &t->next;
        }
    }
}

/* Free what a zombie no longer needs: everything but its pid and status. */
static void proc_release(struct proc *p)
{
    if (p->fds) {
        fdt_put(p->fds);
        p->fds = NULL;
    }
    if (p->mm) {
        mm_free(p->mm);
        p->mm = NULL;
    }
    if (p->cwd) {
        inode_put(p->cwd);
        p->cwd = NULL;
    }
    if (p->universe) {
        sk_handle_close(p->universe);
        p->universe = 0;
    }
    sk_free(p->groups);
    p->groups = NULL;
    p->ngroups = 0;
    sk_free(p->environ);
    p->environ = NULL;
    if (p->cmdline) {
        sk_free(p->cmdline);
        p->cmdline = NULL;
    }
    sk_free(p->exe);
    p->exe = NULL;
}

int proc_in_group(struct proc *p, uint32_t gid, uint32_t primary)
{
    if (gid == primary)
        return 1;
    for (uint32_t i = 0; p && i < p->ngroups; i++)
        if (p->groups[i] == gid)
            return 1;
    return 0;
}

int proc_pgrp_orphaned(int pgid)
{
    for (struct proc *p = procs; p; p = p->all_next) {
        if (p->state != PROC_LIVE || p->pgid != pgid)
            continue;
        struct proc *q = p->parent;
        if (q && q->state == PROC_LIVE && q->pgid != pgid && q->sid == p->sid)
            return 0;
    }
    return 1;
}

/* A group an exit left orphaned that has stopped members gets SIGHUP then SIGCONT (POSIX;
   Linux's kill_orphaned_pgrp), so its jobs are not stopped for ever with nobody to continue
   them. */
static void orphan_check(int pgid, int sid)
{
    int stopped = 0, any = 0;
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->state == PROC_LIVE && q->pgid == pgid && q->sid == sid) {
            any = 1;
            stopped |= q->jobstop;
        }
    if (!any || !stopped || !proc_pgrp_orphaned(pgid))
        return;
    for (int sig = LX_SIGHUP; sig; sig = sig == LX_SIGHUP ? LX_SIGCONT : 0)
        for (struct proc *q = procs; q; q = q->all_next)
            if (q->state == PROC_LIVE && q->pgid == pgid) {
                struct ksiginfo info = {.signo = sig, .code = 0x80 /* SI_KERNEL */};
                signal_send_proc(q, &info);
            }
}

/* The nearest living ancestor of p that is a child subreaper (prctl), else init. */
static struct proc *new_reaper(struct proc *p, struct proc *init)
{
    for (struct proc *a = p->parent; a; a = a->parent)
        if (a->subreaper && a->state == PROC_LIVE)
            return a;
    return init;
}

void proc_exit(struct proc *p, int wstatus)
{
    if (p->state != PROC_LIVE)
        return;
    int was_init = p->pid == 1;
    p->state = PROC_ZOMBIE;
    p->wstatus = wstatus;
    waitq_wake_all(&p->vfork_done);
    pidfd_proc_ended(p); /* (a pidfd of it becomes readable) */
    /* every thread ends (a thread in a call finishes it as a dead thread: no answer) */
    while (p->threads)
        thread_gone(p->threads);
    /* children go to the nearest subreaper or init (pid 1), zombies included; those that
       asked (PR_SET_PDEATHSIG) hear of their parent's death */
    struct proc *init = new_reaper(p, proc_find(1));
    int reparented = 0;
    int pgids[16], sids[16], npg = 0;
    while (p->children) {
        struct proc *c = p->children;
        p->children = c->sibling;
        if (c->state == PROC_LIVE && c->pdeathsig) {
            struct ksiginfo info = {.signo = c->pdeathsig, .code = LX_SI_USER, .pid = p->pid,
                                    .uid = p->uid};
            signal_send_proc(c, &info);
        }
        if (c->state == PROC_LIVE && c->pgid != p->pgid && c->sid == p->sid && npg < 16) {
            pgids[npg] = c->pgid, sids[npg] = c->sid;
            npg++;
        }
        if (init && init != p) {
            c->parent = init;
            c->sibling = init->children;
            init->children = c;
            reparented = 1;
        } else {
            c->parent = NULL;
            if (c->state == PROC_ZOMBIE)
                proc_reap(c); /* nobody left to wait for it */
        }
    }
    sk_timer_stop(&px.timers, &p->alarm);
    ptimer_proc_gone(p);
    sem_proc_gone(p);
    signal_drop_pending(&p->pend);
    if (p->ctty && p->sid == p->pid)
        tty_session_ends(p);
    p->ctty = NULL;
    proc_release(p);
    /* (p may be freed below: what the orphan checks need, first) */
    int own_pgid = p->pgid, own_sid = p->sid;
    int own_link = p->parent && p->parent->pgid != p->pgid && p->parent->sid == p->sid;
    if (p->parent) {
        struct proc *parent = p->parent;
        int code = (wstatus & 0x7f) == 0 ? LX_CLD_EXITED
                   : (wstatus & 0x80) ? LX_CLD_DUMPED : LX_CLD_KILLED;
        /* a parent that ignores SIGCHLD (or set SA_NOCLDWAIT) leaves no zombies. (Waking a
           parent's wait runs its step at once, which may reap p: nothing touches p after.) */
        struct lx_sigaction *act = &parent->sig[LX_SIGCHLD - 1];
        if (act->handler == LX_SIG_IGN) {
            proc_reap(p);
            waitq_wake_all(&parent->child_exit);
        } else if (act->flags & LX_SA_NOCLDWAIT) {
            struct ksiginfo ci = {.signo = LX_SIGCHLD, .code = code, .pid = p->pid, .uid = p->uid,
                                  .status = code == LX_CLD_EXITED ? (wstatus >> 8) & 0xff : wstatus & 0x7f};
            proc_reap(p);
            signal_send_proc(parent, &ci);
            waitq_wake_all(&parent->child_exit);
        } else {
            signal_child_changed(p, code);
        }
    } else if (!was_init) {
        proc_reap(p);
    }
    /* init may now wait for the children it took over (after p is settled: a wake runs
       the waiting step at once) */
    if (reparented && init->state == PROC_LIVE)
        waitq_wake_all(&init->child_exit);
    if (own_link)
        orphan_check(own_pgid, own_sid);
    for (int i = 0; i < npg; i++)
        orphan_check(pgids[i], sids[i]);
    if (was_init)
        posix_init_exited(wstatus);
}

void proc_discard(struct proc *p)
{
    /* off its parent's list first: it ends unseen (no SIGCHLD, no zombie) */
    if (p->parent) {
        for (struct proc **pp = &p->parent->children; *pp; pp = &(*pp)->sibling)
            if (*pp == p) {
                *pp = p->sibling;
                break;
            }
        p->parent = NULL;
    }
    proc_exit(p, 0);
}

void proc_reap(struct proc *p)
{
    if (px.verbose)
        plog("reap pid %d state %d from %p\n", p->pid, p->state, __builtin_return_address(0));
    if (p->parent) {
        for (struct proc **pp = &p->parent->children; *pp; pp = &(*pp)->sibling)
            if (*pp == p) {
                *pp = p->sibling;
                break;
            }
    }
    p->state = PROC_REAPED;
    px.cpu_reaped_ns += p->cpu_dead_ns;
    for (struct proc **pp = &procs; *pp; pp = &(*pp)->all_next)
        if (*pp == p) {
            *pp = p->all_next;
            break;
        }
    sk_free(p);
    px.n_procs--;
}
