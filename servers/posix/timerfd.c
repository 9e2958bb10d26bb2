/*
 * timerfd(2): a timer whose expiries are read from a descriptor. Each has a timer in the
 * server's heap (lib/sk, one kernel timer for all). An expiry counts one tick and wakes
 * readers; a periodic timer is not armed again at once but, as Linux does, when its ticks are
 * read or its time asked for: the intervals that passed meanwhile are counted then (Linux's
 * hrtimer_forward), so a tiny interval cannot flood the server. Times are on the server's
 * clock (clock_get): CLOCK_MONOTONIC and CLOCK_BOOTTIME are it less the boot time,
 * CLOCK_REALTIME it plus the wall offset (an absolute realtime expiry is converted when set).
 */
#include "posix.h"
#include "calls.h"

#define CLK_REALTIME 0
#define CLK_MONOTONIC 1
#define CLK_BOOTTIME 7
#define CLK_REALTIME_ALARM 8
#define CLK_BOOTTIME_ALARM 9
#define TFD_TIMER_ABSTIME 1u
#define TFD_TIMER_CANCEL_ON_SET 2u

struct lx_itimerspec {
    struct lx_timespec interval, value;
};

struct timerfd {
    int clock;
    struct sk_timer tm;
    uint64_t interval; /* ns, 0: one shot */
    uint64_t ticks;    /* expiries not read yet */
    int expired;       /* fired and (periodic) not armed again yet */
    struct waitq rq;
    struct pollsrc src;
};

static void tfd_fired(struct sk_timer *tm)
{
    struct timerfd *x = SK_OP_CONTAINER(tm, struct timerfd, tm);
    x->ticks++;
    x->expired = 1;
    waitq_wake_all(&x->rq);
    pollsrc_notify(&x->src, LX_POLLIN);
}

/* A periodic timer that fired: count the intervals since, arm it for the next. */
static void tfd_forward(struct timerfd *x)
{
    if (!x->expired || !x->interval)
        return;
    x->expired = 0;
    uint64_t now = now_ns(), at = x->tm.at;
    uint64_t n = now >= at ? (now - at) / x->interval + 1 : 1;
    x->ticks += n - 1;
    sk_timer_start(&px.timers, &x->tm, at + n * x->interval, tfd_fired);
}

static long tfd_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct timerfd *x = f->priv;
    if (len < 8)
        return -LX_EINVAL;
    if (!x->ticks)
        return -LX_EAGAIN;
    tfd_forward(x);
    memcpy(buf, &x->ticks, 8);
    x->ticks = 0;
    return 8;
}

static struct waitq *tfd_waitq(struct file *f, int writing)
{
    struct timerfd *x = f->priv;
    return writing ? NULL : &x->rq;
}

static uint32_t tfd_poll(struct file *f)
{
    struct timerfd *x = f->priv;
    return x->ticks ? LX_POLLIN | LX_POLLRDNORM : 0;
}

static struct pollsrc *tfd_pollsrc(struct file *f)
{
    return &((struct timerfd *)f->priv)->src;
}

static void tfd_release(struct file *f)
{
    struct timerfd *x = f->priv;
    sk_timer_stop(&px.timers, &x->tm);
    sk_free(x);
    f->priv = NULL;
}

static const struct file_ops timerfd_ops = {.read = tfd_read, .waitq = tfd_waitq,
    .poll = tfd_poll, .pollsrc = tfd_pollsrc, .release = tfd_release, .message = 1, .anon_name = "[timerfd]"};

long sys_timerfd_create(struct lthread *t)
{
    int clock = (int)t->a[0];
    uint64_t flags = t->a[1];
    if (clock != CLK_REALTIME && clock != CLK_MONOTONIC && clock != CLK_BOOTTIME &&
        clock != CLK_REALTIME_ALARM && clock != CLK_BOOTTIME_ALARM)
        return -LX_EINVAL;
    if (flags & ~(uint64_t)(LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -LX_EINVAL;
    if ((clock == CLK_REALTIME_ALARM || clock == CLK_BOOTTIME_ALARM) && t->p->euid != 0)
        return -LX_EPERM; /* CAP_WAKE_ALARM */
    struct timerfd *x = sk_calloc(1, sizeof *x);
    if (!x)
        return -LX_ENOMEM;
    x->clock = clock == CLK_REALTIME_ALARM ? CLK_REALTIME : clock == CLK_BOOTTIME_ALARM ? CLK_BOOTTIME : clock;
    return anon_fd_install(t, &timerfd_ops, x, (uint32_t)flags);
}

static struct timerfd *timerfd_of(struct lthread *t, int fd, long *err)
{
    struct file *f = fd_get(t->p->fds, fd);
    *err = !f ? -LX_EBADF : f->ops != &timerfd_ops ? -LX_EINVAL : 0;
    return *err ? NULL : f->priv;
}

static void ns_to_ts(uint64_t ns, struct lx_timespec *ts)
{
    ts->tv_sec = (int64_t)(ns / 1000000000ull);
    ts->tv_nsec = (int64_t)(ns % 1000000000ull);
}

/* What gettime says: the time left and the interval. */
static void tfd_current(struct timerfd *x, struct lx_itimerspec *out)
{
    tfd_forward(x);
    uint64_t now = now_ns();
    uint64_t left = sk_timer_armed(&x->tm) ? (x->tm.at > now ? x->tm.at - now : 1) : 0;
    ns_to_ts(left, &out->value);
    ns_to_ts(x->interval, &out->interval);
}

/* settime: the new setting read (t->buf: new, then room for the old one) */
static sk_error_t settime_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    long e;
    struct timerfd *x = timerfd_of(t, (int)t->a[0], &e);
    if (!x) {
        call_return(t, e);
        return SK_OK;
    }
    struct lx_itimerspec *nv = t->buf, *old = nv + 1;
    int64_t value = timespec_ns(&nv->value), interval = timespec_ns(&nv->interval);
    if (value < 0 || interval < 0) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    tfd_current(x, old);
    sk_timer_stop(&px.timers, &x->tm);
    x->ticks = 0;
    x->expired = 0;
    x->interval = (uint64_t)interval;
    uint64_t v = (uint64_t)value, now = now_ns();
    if (v) {
        uint64_t at;
        if (t->a[1] & TFD_TIMER_ABSTIME) {
            uint64_t base = x->clock == CLK_REALTIME ? now + px.wall_offset_ns : now - px.boot_ns;
            at = v > base ? now + (v - base) : now;
        } else {
            at = now + v;
        }
        sk_timer_start(&px.timers, &x->tm, at, tfd_fired);
    }
    t->ret = 0;
    if (t->a[3])
        return call_copy_out(t, t->a[3], old, sizeof *old, call_done_step);
    call_return(t, 0);
    return SK_OK;
}

long sys_timerfd_settime(struct lthread *t)
{
    long e;
    if (!timerfd_of(t, (int)t->a[0], &e))
        return e;
    if (t->a[1] & ~(uint64_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -LX_EINVAL;
    t->buf = sk_malloc(2 * sizeof(struct lx_itimerspec));
    if (!t->buf)
        return -LX_ENOMEM;
    sk_error_t se = call_copy_in(t, t->a[2], t->buf, sizeof(struct lx_itimerspec), settime_read);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

long sys_timerfd_gettime(struct lthread *t)
{
    long e;
    struct timerfd *x = timerfd_of(t, (int)t->a[0], &e);
    if (!x)
        return e;
    t->buf = sk_malloc(sizeof(struct lx_itimerspec));
    if (!t->buf)
        return -LX_ENOMEM;
    tfd_current(x, t->buf);
    t->ret = 0;
    sk_error_t se = call_copy_out(t, t->a[1], t->buf, sizeof(struct lx_itimerspec), call_done_step);
    return se ? errno_from_sk(se) : CALL_PENDING;
}
