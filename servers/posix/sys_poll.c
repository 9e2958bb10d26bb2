/*
 * poll, ppoll, select, pselect6. The caller's array (or fd sets) is copied in,
 * scanned; if nothing is ready and there is time left the call parks on the
 * poll queue (woken by any readiness change) with the request's deadline, and
 * scans again when woken. A signal ends it with -ERESTARTNOHAND (EINTR after a
 * handler, restarted otherwise); ppoll and pselect6 run with their temporary
 * signal mask, which the signal code restores afterwards.
 */
#include "posix.h"
#include "calls.h"

#define LX_ERESTARTNOHAND 514
#define POLL_MAX FD_MAX
#define NR_poll 7
#define NR_select 23
#define NR_ppoll 271
#define NR_pselect6 270

struct pollstate {
    uint32_t nfds;
    int is_select;
    uint64_t deadline; /* 0: none (wait for ever) */
    int timed_out;
    /* poll: the array; select: the three sets in, then the three sets out */
    struct lx_pollfd *fds;
    uint64_t sets[6][FD_MAX / 64];
    uint64_t uaddr[3];
    uint64_t sigmask;
    int has_sigmask;
    int64_t tv[2];  /* the timeout as given */
    uint64_t sm[2]; /* pselect6: the mask's address and size */
};

static uint32_t readiness(struct lthread *t, int fd)
{
    struct file *f = fd_get(t->p->fds, fd);
    if (!f)
        return LX_POLLNVAL;
    if (f->ops->poll) {
        poll_thread = t;
        uint32_t r = f->ops->poll(f);
        poll_thread = NULL;
        return r;
    }
    return LX_POLLIN | LX_POLLOUT | LX_POLLRDNORM | LX_POLLWRNORM;
}

/* Scan; returns how many entries are ready (select: bits set), or -EBADF. */
static long scan(struct lthread *t, struct pollstate *ps)
{
    long n = 0;
    if (!ps->is_select) {
        for (uint32_t i = 0; i < ps->nfds; i++) {
            struct lx_pollfd *p = &ps->fds[i];
            if (p->fd < 0) {
                p->revents = 0;
                continue;
            }
            uint32_t r = readiness(t, p->fd);
            uint32_t want = (uint16_t)p->events | LX_POLLERR | LX_POLLHUP | LX_POLLNVAL;
            p->revents = (int16_t)(r & want);
            if (p->revents)
                n++;
        }
        return n;
    }
    for (int k = 0; k < 3; k++)
        memset(ps->sets[3 + k], 0, sizeof ps->sets[3 + k]);
    /* as Linux: descriptors at or above the table's size are not looked at */
    uint32_t limit = ps->nfds < t->p->fds->count ? ps->nfds : t->p->fds->count;
    for (uint32_t fd = 0; fd < limit; fd++) {
        uint64_t bit = 1ull << (fd % 64);
        int asked = 0;
        for (int k = 0; k < 3; k++)
            asked |= (ps->sets[k][fd / 64] & bit) != 0;
        if (!asked)
            continue;
        uint32_t r = readiness(t, (int)fd);
        if (r & LX_POLLNVAL)
            return -LX_EBADF;
        if ((ps->sets[0][fd / 64] & bit) && (r & (LX_POLLIN | LX_POLLHUP | LX_POLLERR)))
            ps->sets[3][fd / 64] |= bit, n++;
        if ((ps->sets[1][fd / 64] & bit) && (r & (LX_POLLOUT | LX_POLLERR)))
            ps->sets[4][fd / 64] |= bit, n++;
        if ((ps->sets[2][fd / 64] & bit) && (r & LX_POLLPRI))
            ps->sets[5][fd / 64] |= bit, n++;
    }
    return n;
}

static sk_error_t results_out(struct lthread *t, long n);

/* The timeout was written back (or could not be: then it is not, and a restart would wait
   for the whole time again, so an interrupted call ends with EINTR, as Linux's sticky case). */
static sk_error_t timeout_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    long ret = t->ret;
    if (err) {
        t->req.abort = SK_OK;
        if (ret == -LX_ERESTARTNOHAND)
            ret = -LX_EINTR;
    }
    call_return(t, ret);
    return SK_OK;
}

/*
 * End the call with ret. select, pselect6 and ppoll write the time left back into their
 * timeout first, as Linux does (not for a zero or absent timeout): a restarted call then waits
 * only for what was left.
 */
static sk_error_t finish(struct lthread *t, long ret)
{
    struct pollstate *ps = t->buf;
    uint64_t addr = t->nr == NR_select || t->nr == NR_pselect6 ? t->a[4]
                    : t->nr == NR_ppoll ? t->a[2] : 0;
    if (!addr || !ps->deadline || (ps->tv[0] == 0 && ps->tv[1] == 0)) {
        call_return(t, ret);
        return SK_OK;
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    uint64_t left = ps->deadline > now ? ps->deadline - now : 0;
    ps->tv[0] = (int64_t)(left / 1000000000ull);
    ps->tv[1] = (int64_t)(left % 1000000000ull) / (t->nr == NR_select ? 1000 : 1);
    t->ret = ret;
    return call_copy_out(t, addr, ps->tv, 16, timeout_written);
}

static sk_error_t select_set_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct pollstate *ps = t->buf;
    if (err)
        return err;
    /* t->phase: the next set to write */
    while (t->phase < 3 && !ps->uaddr[t->phase])
        t->phase++;
    if (t->phase == 3)
        return finish(t, t->ret);
    int k = t->phase++;
    return call_copy_out(t, ps->uaddr[k], ps->sets[3 + k], (ps->nfds + 7) / 8, select_set_written);
}

static sk_error_t fds_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    if (err)
        return err;
    struct lthread *t = call_thread(r);
    return finish(t, t->ret);
}

static sk_error_t results_out(struct lthread *t, long n)
{
    struct pollstate *ps = t->buf;
    t->ret = n;
    if (!ps->is_select)
        return call_copy_out(t, ps->uaddr[0], ps->fds, ps->nfds * sizeof *ps->fds, fds_written);
    t->phase = 0;
    struct sk_cqe none = {0};
    return select_set_written(&t->req, SK_OK, &none);
}

static sk_error_t poll_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t poll_check(struct lthread *t)
{
    struct pollstate *ps = t->buf;
    long n = scan(t, ps);
    if (n < 0) {
        call_return(t, n);
        return SK_OK;
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    if (n > 0 || ps->timed_out || (ps->deadline && now >= ps->deadline))
        return results_out(t, n);
    waitq_park(&poll_waitq, t, poll_woken);
    if (ps->deadline && !sk_timer_armed(&t->req.deadline))
        return sk_req_deadline(&t->req, ps->deadline);
    return SK_OK;
}

static sk_error_t poll_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct pollstate *ps = t->buf;
    if (err == SK_ERR_TIMEOUT) {
        ps->timed_out = 1;
        t->req.abort = SK_OK; /* the deadline ended the wait, not the call */
        return poll_check(t);
    }
    if (err == SK_ERR_CANCELLED) {
        t->req.abort = SK_OK; /* (a signal: the timeout is still written back) */
        return finish(t, -LX_ERESTARTNOHAND);
    }
    if (err)
        return err;
    return poll_check(t);
}

/* The arguments are in: install the temporary mask and look. */
static sk_error_t poll_start(struct lthread *t)
{
    struct pollstate *ps = t->buf;
    if (ps->has_sigmask) {
        t->saved_mask = t->sigmask;
        t->restore_mask = 1;
        t->sigmask = ps->sigmask & ~(SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP));
        if (signal_deliverable(t))
            return finish(t, -LX_ERESTARTNOHAND);
    }
    return poll_check(t);
}

static void set_timeout_ns(struct pollstate *ps, int64_t ns)
{
    if (ns < 0) {
        ps->deadline = 0; /* for ever */
        return;
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    ps->deadline = now + (uint64_t)ns;
    if (ps->deadline == 0)
        ps->deadline = 1;
    if (ns == 0)
        ps->timed_out = 1;
}

/* Steps that read the optional pieces in order: t->phase says which comes next. */
static sk_error_t args_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static int64_t timeout_of(int64_t sec, int64_t frac, int64_t unit)
{
    if (sec < 0 || frac < 0 || frac >= 1000000000 / unit)
        return -2;
    return sec > 1000000000 ? INT64_MAX / 2 : sec * 1000000000 + frac * unit;
}

static sk_error_t next_arg(struct lthread *t)
{
    struct pollstate *ps = t->buf;
    uint64_t *a = t->a;
    int sel = ps->is_select;
    for (;;) {
        int ph = t->phase++;
        if (!sel) {
            switch (ph) {
            case 0:
                if (ps->nfds)
                    return call_copy_in(t, a[0], ps->fds, ps->nfds * sizeof *ps->fds, args_step);
                continue;
            case 1:
                if (t->nr == NR_ppoll && a[2])
                    return call_copy_in(t, a[2], ps->tv, 16, args_step);
                continue;
            case 2:
                if (t->nr == NR_ppoll && a[2]) {
                    int64_t ns = timeout_of(ps->tv[0], ps->tv[1], 1);
                    if (ns == -2)
                        return SK_ERR_INVALID;
                    set_timeout_ns(ps, ns);
                }
                if (t->nr == NR_ppoll && a[3]) {
                    if (a[4] != 8)
                        return SK_ERR_INVALID;
                    ps->has_sigmask = 1;
                    return call_copy_in(t, a[3], &ps->sigmask, 8, args_step);
                }
                continue;
            default:
                return poll_start(t);
            }
        }
        switch (ph) {
        case 0:
        case 1:
        case 2:
            if (a[1 + ph] && ps->nfds)
                return call_copy_in(t, a[1 + ph], ps->sets[ph], (ps->nfds + 7) / 8, args_step);
            continue;
        case 3:
            if (a[4])
                return call_copy_in(t, a[4], ps->tv, 16, args_step);
            continue;
        case 4:
            if (a[4]) {
                int64_t ns = timeout_of(ps->tv[0], ps->tv[1], t->nr == NR_select ? 1000 : 1);
                if (ns == -2)
                    return SK_ERR_INVALID;
                set_timeout_ns(ps, ns);
            }
            if (t->nr == NR_pselect6 && a[5])
                return call_copy_in(t, a[5], ps->sm, 16, args_step);
            continue;
        case 5:
            if (t->nr == NR_pselect6 && a[5] && ps->sm[0]) {
                if (ps->sm[1] != 8)
                    return SK_ERR_INVALID;
                ps->has_sigmask = 1;
                return call_copy_in(t, ps->sm[0], &ps->sigmask, 8, args_step);
            }
            continue;
        default:
            return poll_start(t);
        }
    }
}
static sk_error_t args_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    return next_arg(t);
}

static long poll_common(struct lthread *t, uint64_t nfds, int is_select)
{
    if (nfds > POLL_MAX || (is_select && (int64_t)nfds < 0))
        return -LX_EINVAL;
    struct pollstate *ps = sk_calloc(1, sizeof *ps + (is_select ? 0 : nfds * sizeof(struct lx_pollfd)));
    if (!ps)
        return -LX_ENOMEM;
    t->buf = ps;
    ps->nfds = (uint32_t)nfds;
    ps->is_select = is_select;
    if (!is_select) {
        ps->fds = (struct lx_pollfd *)(ps + 1);
        ps->uaddr[0] = t->a[0];
        if (t->nr == NR_poll) {
            int ms = (int)t->a[2];
            set_timeout_ns(ps, ms < 0 ? -1 : (int64_t)ms * 1000000);
        } else if (!t->a[2]) {
            set_timeout_ns(ps, -1);
        }
    } else {
        for (int k = 0; k < 3; k++)
            ps->uaddr[k] = t->a[1 + k];
    }
    if (is_select && !t->a[4])
        set_timeout_ns(ps, -1);
    t->phase = 0;
    sk_error_t e = next_arg(t);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_poll(struct lthread *t)
{
    long rc = poll_common(t, t->a[1], 0);
    return rc;
}

long sys_ppoll(struct lthread *t)
{
    return poll_common(t, t->a[1], 0);
}

long sys_select(struct lthread *t)
{
    return poll_common(t, t->a[0], 1);
}

long sys_pselect6(struct lthread *t)
{
    return poll_common(t, t->a[0], 1);
}
