/*
 * eventfd(2), and pidfd_open(2) at the end (the other small descriptor kind without data).
 * eventfd: a 64-bit counter behind a descriptor. A write adds its 8-byte value (waiting,
 * or EAGAIN, while the sum would pass 0xfffffffffffffffe); a read takes the whole count, or
 * 1 in semaphore mode (waiting, or EAGAIN, while it is 0). Readiness for poll: readable while
 * the count is above 0, writable while 1 more fits. Readers and writers wait on one queue
 * each and look again when woken (the read/write engine, sys_rw.c).
 */
#include "posix.h"
#include "calls.h"

#define EFD_SEMAPHORE 1u
#define EFD_MAX 0xfffffffffffffffeull

struct eventfd {
    uint64_t count;
    int semaphore;
    struct waitq rq, wq;
    struct pollsrc src;
};

static long efd_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct eventfd *e = f->priv;
    if (len < 8)
        return -LX_EINVAL;
    if (e->count == 0)
        return -LX_EAGAIN;
    uint64_t v = e->semaphore ? 1 : e->count;
    e->count -= v;
    memcpy(buf, &v, 8);
    waitq_wake_all(&e->wq);
    pollsrc_notify(&e->src, LX_POLLOUT);
    return 8;
}

static long efd_write(struct file *f, struct lthread *t, const void *buf, uint64_t len,
                      uint64_t off)
{
    (void)t, (void)off;
    struct eventfd *e = f->priv;
    if (len < 8)
        return -LX_EINVAL;
    uint64_t v;
    memcpy(&v, buf, 8);
    if (v == UINT64_MAX)
        return -LX_EINVAL;
    if (v > EFD_MAX - e->count)
        return -LX_EAGAIN;
    e->count += v;
    if (v) {
        waitq_wake_all(&e->rq);
        pollsrc_notify(&e->src, LX_POLLIN);
    }
    return 8;
}

static struct waitq *efd_waitq(struct file *f, int writing)
{
    struct eventfd *e = f->priv;
    return writing ? &e->wq : &e->rq;
}

static uint32_t efd_poll(struct file *f)
{
    struct eventfd *e = f->priv;
    return (e->count > 0 ? LX_POLLIN | LX_POLLRDNORM : 0) |
           (e->count < EFD_MAX ? LX_POLLOUT | LX_POLLWRNORM : 0);
}

static struct pollsrc *efd_pollsrc(struct file *f)
{
    return &((struct eventfd *)f->priv)->src;
}

static void efd_release(struct file *f)
{
    sk_free(f->priv);
    f->priv = NULL;
}

static const struct file_ops eventfd_ops = {.read = efd_read, .write = efd_write,
    .waitq = efd_waitq, .poll = efd_poll, .pollsrc = efd_pollsrc, .release = efd_release, .message = 1,
    .anon_name = "[eventfd]"};

static long do_eventfd(struct lthread *t, uint64_t initval, uint64_t flags)
{
    if (flags & ~(uint64_t)(EFD_SEMAPHORE | LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -LX_EINVAL;
    struct eventfd *e = sk_calloc(1, sizeof *e);
    if (!e)
        return -LX_ENOMEM;
    e->count = (uint32_t)initval; /* (Linux takes an unsigned int) */
    e->semaphore = (flags & EFD_SEMAPHORE) != 0;
    return anon_fd_install(t, &eventfd_ops, e, (uint32_t)flags);
}

long sys_eventfd(struct lthread *t)
{
    return do_eventfd(t, t->a[0], 0);
}

long sys_eventfd2(struct lthread *t)
{
    return do_eventfd(t, t->a[0], t->a[1]);
}

/* ---- pidfd_open: a descriptor for a process, readable (POLLIN) once it has ended ---- */

#define PIDFD_NONBLOCK LX_O_NONBLOCK

struct pidfd {
    int pid;
    uint64_t start_ns; /* the process's start: a later one with the same pid is another */
    struct pollsrc src;
    struct pidfd *next, **prev; /* every pidfd (pidfd_proc_ended finds a process's) */
};

static struct pidfd *pidfds;

void pidfd_proc_ended(struct proc *p)
{
    for (struct pidfd *d = pidfds; d; d = d->next)
        if (d->pid == p->pid && d->start_ns == p->start_ns)
            pollsrc_notify(&d->src, LX_POLLIN);
}

static struct pollsrc *pidfd_pollsrc(struct file *f)
{
    return &((struct pidfd *)f->priv)->src;
}

static uint32_t pidfd_poll(struct file *f)
{
    struct pidfd *d = f->priv;
    struct proc *p = proc_find(d->pid);
    return !p || p->start_ns != d->start_ns || p->state != PROC_LIVE ? LX_POLLIN | LX_POLLRDNORM : 0;
}

static void pidfd_release(struct file *f)
{
    struct pidfd *d = f->priv;
    if (d->prev) {
        if (d->next)
            d->next->prev = d->prev;
        *d->prev = d->next;
    }
    sk_free(f->priv);
    f->priv = NULL;
}

static const struct file_ops pidfd_ops = {.poll = pidfd_poll, .pollsrc = pidfd_pollsrc, .release = pidfd_release,
                                          .anon_name = "[pidfd]"};

long sys_pidfd_open(struct lthread *t)
{
    int pid = (int)t->a[0];
    if (t->a[1] & ~(uint64_t)PIDFD_NONBLOCK || pid <= 0)
        return -LX_EINVAL;
    struct proc *p = proc_find(pid);
    if (!p) /* a thread's id names no process (Linux: EINVAL); nothing at all: ESRCH */
        return thread_find(t, pid) ? -LX_EINVAL : -LX_ESRCH;
    struct pidfd *d = sk_calloc(1, sizeof *d);
    if (!d)
        return -LX_ENOMEM;
    d->pid = pid;
    d->start_ns = p->start_ns;
    int fd = anon_fd_install(t, &pidfd_ops, d, (uint32_t)(t->a[1] | LX_O_CLOEXEC));
    if (fd >= 0) {
        d->next = pidfds;
        if (pidfds)
            pidfds->prev = &d->next;
        pidfds = d;
        d->prev = &pidfds;
    }
    return fd;
}

int pidfd_pid(struct lthread *t, int fd)
{
    struct file *f = fd_get(t->p->fds, fd);
    if (!f)
        return -LX_EBADF;
    if (f->ops != &pidfd_ops)
        return -LX_EBADF; /* (Linux: not a pidfd is a bad descriptor here) */
    struct pidfd *d = f->priv;
    struct proc *p = proc_find(d->pid);
    return p && p->start_ns == d->start_ns ? d->pid : -LX_ESRCH;
}

/* Was the pidfd at fd opened with PIDFD_NONBLOCK (waitid answers EAGAIN, not waits)? */
int pidfd_nonblock(struct lthread *t, int fd)
{
    struct file *f = fd_get(t->p->fds, fd);
    return f && f->ops == &pidfd_ops && (f->flags & LX_O_NONBLOCK);
}

/* pidfd_getfd(pidfd, targetfd, flags): a duplicate of the process's descriptor, close-on-exec
   (the caller must be allowed to trace it: the same user, not undumpable, or root). */
long sys_pidfd_getfd(struct lthread *t)
{
    if (t->a[2])
        return -LX_EINVAL;
    int pid = pidfd_pid(t, (int)t->a[0]);
    if (pid < 0)
        return pid;
    struct proc *p = proc_find(pid);
    if (!p || p->state != PROC_LIVE || !p->fds)
        return -LX_ESRCH;
    struct proc *me = t->p;
    if (me->euid != 0 && (me->uid != p->uid || me->uid != p->euid || p->undumpable))
        return -LX_EPERM;
    struct file *f = fd_get(p->fds, (int)t->a[1]);
    if (!f)
        return -LX_EBADF;
    f->refs++;
    int fd = fd_install(me->fds, 0, f, 1);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* pidfd_send_signal(pidfd, sig, info, flags): kill(2) of the pidfd's process (info NULL; a
   given siginfo is not taken yet: EINVAL). */
long sys_pidfd_send_signal(struct lthread *t)
{
    if (t->a[3])
        return -LX_EINVAL;
    int pid = pidfd_pid(t, (int)t->a[0]);
    if (pid < 0)
        return pid;
    if (t->a[2])
        return -LX_EINVAL;
    t->a[0] = (uint64_t)pid;
    return sys_kill(t);
}
