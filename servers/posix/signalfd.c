/*
 * signalfd(2) and signalfd4(2): a descriptor that reads the *reader's* pending signals of a
 * mask as 128-byte signalfd_siginfo records (as Linux: whoever reads or polls it, a forked
 * child included, sees its own signals). A read takes as many as fit, thread-directed ones
 * first; with none it waits (or is EAGAIN). Every signal queued anywhere wakes the readers
 * and triggers the watchers of the signalfds whose mask holds it (signalfd_queued); they
 * look again.
 */
#include "posix.h"
#include "calls.h"

#define SFD_SIZE 128

struct signalfd {
    uint64_t mask;
    struct waitq rq;
    struct pollsrc src;
    struct signalfd *next, **prev; /* every signalfd (signalfd_queued) */
};

struct lx_signalfd_siginfo {
    uint32_t ssi_signo;
    int32_t ssi_errno, ssi_code;
    uint32_t ssi_pid, ssi_uid;
    int32_t ssi_fd;
    uint32_t ssi_tid, ssi_band, ssi_overrun, ssi_trapno;
    int32_t ssi_status, ssi_int;
    uint64_t ssi_ptr, ssi_utime, ssi_stime, ssi_addr;
    uint16_t ssi_addr_lsb;
    uint8_t pad[46];
};
_Static_assert(sizeof(struct lx_signalfd_siginfo) == SFD_SIZE, "signalfd_siginfo is 128 bytes");

static struct signalfd *all;

struct lthread *poll_thread;

static const struct file_ops signalfd_ops;

void signalfd_queued(int sig)
{
    for (struct signalfd *s = all; s; s = s->next)
        if (s->mask & SIGBIT(sig)) {
            waitq_wake_all(&s->rq);
            pollsrc_notify(&s->src, LX_POLLIN);
        }
}

/* The record of one signal, by the layout of its siginfo (Linux's siginfo_layout). */
static void fill(struct lx_signalfd_siginfo *o, const struct ksiginfo *k)
{
    memset(o, 0, sizeof *o);
    o->ssi_signo = (uint32_t)k->signo;
    o->ssi_code = k->code;
    int fault = k->signo == LX_SIGSEGV || k->signo == LX_SIGBUS || k->signo == LX_SIGILL ||
                k->signo == LX_SIGFPE || k->signo == LX_SIGTRAP;
    if (k->code > 0 && k->code < LX_SI_KERNEL && fault) {
        o->ssi_addr = k->addr;
        return;
    }
    if (k->code == LX_SI_TIMER) {
        o->ssi_tid = (uint32_t)k->pid;
        o->ssi_overrun = k->uid;
        o->ssi_int = (int32_t)k->addr;
        o->ssi_ptr = k->addr;
        return;
    }
    o->ssi_pid = (uint32_t)k->pid;
    o->ssi_uid = k->uid;
    if (k->code > 0 && k->signo == LX_SIGCHLD) {
        o->ssi_status = k->status;
    } else if (k->code < 0 && k->code != LX_SI_TKILL) {
        o->ssi_int = (int32_t)k->addr; /* sigqueue's value */
        o->ssi_ptr = k->addr;
    }
}

static long sfd_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)off;
    struct signalfd *s = f->priv;
    if (len < SFD_SIZE)
        return -LX_EINVAL;
    uint64_t n = 0;
    struct ksiginfo k;
    while (n + SFD_SIZE <= len && signal_take(t, s->mask, &k)) {
        fill((struct lx_signalfd_siginfo *)((uint8_t *)buf + n), &k);
        n += SFD_SIZE;
    }
    return n ? (long)n : -LX_EAGAIN;
}

static struct waitq *sfd_waitq(struct file *f, int writing)
{
    struct signalfd *s = f->priv;
    return writing ? NULL : &s->rq;
}

static uint32_t sfd_poll(struct file *f)
{
    struct signalfd *s = f->priv;
    struct lthread *t = poll_thread;
    if (t && ((t->pending | t->p->pending) & s->mask))
        return LX_POLLIN | LX_POLLRDNORM;
    return 0;
}

static struct pollsrc *sfd_pollsrc(struct file *f)
{
    return &((struct signalfd *)f->priv)->src;
}

static void sfd_release(struct file *f)
{
    struct signalfd *s = f->priv;
    if (s->prev) {
        if (s->next)
            s->next->prev = s->prev;
        *s->prev = s->next;
    }
    sk_free(s);
    f->priv = NULL;
}

static const struct file_ops signalfd_ops = {.read = sfd_read, .waitq = sfd_waitq,
    .poll = sfd_poll, .pollsrc = sfd_pollsrc, .release = sfd_release, .message = 1,
    .anon_name = "[signalfd]"};

static long do_signalfd(struct lthread *t, uint64_t mask)
{
    int fd = (int)t->a[0];
    uint64_t flags = t->a[3];
    if (t->a[2] != 8 || (flags & ~(uint64_t)(LX_O_CLOEXEC | LX_O_NONBLOCK)))
        return -LX_EINVAL;
    mask &= ~(SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP));
    if (fd != -1) {
        struct file *f = fd_get(t->p->fds, fd);
        if (!f)
            return -LX_EBADF;
        if (f->ops != &signalfd_ops)
            return -LX_EINVAL;
        struct signalfd *s = f->priv;
        s->mask = mask;
        waitq_wake_all(&s->rq); /* (readers look with the new mask) */
        pollsrc_notify(&s->src, LX_POLLIN);
        return fd;
    }
    struct signalfd *s = sk_calloc(1, sizeof *s);
    if (!s)
        return -LX_ENOMEM;
    s->mask = mask;
    int nfd = anon_fd_install(t, &signalfd_ops, s, (uint32_t)flags);
    if (nfd >= 0) {
        s->next = all;
        if (all)
            all->prev = &s->next;
        all = s;
        s->prev = &all;
    }
    return nfd;
}

static sk_error_t mask_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    call_return(t, do_signalfd(t, t->len));
    return SK_OK;
}

long sys_signalfd4(struct lthread *t)
{
    if (t->a[2] != 8 || (t->a[3] & ~(uint64_t)(LX_O_CLOEXEC | LX_O_NONBLOCK)))
        return -LX_EINVAL;
    sk_error_t e = call_copy_in(t, t->a[1], &t->len, 8, mask_in);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_signalfd(struct lthread *t)
{
    t->a[3] = 0;
    return sys_signalfd4(t);
}
