/*
 * epoll (docs/posix.md, "Waiting"), and the readiness sources it is built on.
 *
 * An instance keeps its items in a hash by descriptor number and a ready list. An item sits
 * on its source's watcher list (pollsrc_notify triggers it) and on its file's item list (the
 * file's last close removes it). A trigger queues the item once and wakes the instance's
 * waiters and whatever watches the instance. epoll_wait takes the ready list in one pass,
 * asking each item's file what is ready now; level-triggered items go back to the tail.
 */
#include "posix.h"
#include "calls.h"

#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define EP_PRIVATE (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK (LX_POLLIN | LX_POLLOUT | LX_POLLERR | LX_POLLHUP | EPOLLWAKEUP | \
                         EPOLLET | EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4
#define EP_WAIT_MAX 1024u /* events one wait hands out at most (fewer is always allowed) */
#define EP_MAX_EVENTS (0x7fffffffu / 12u)
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define NR_epoll_pwait2 441

struct lx_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

struct eplink {
    struct eplink *next, *prev;
};

struct epitem {
    struct eplink rl; /* on the ready list (first: the link is the item) */
    int on_ready;
    struct eventpoll *ep;
    struct file *file;
    int fd;
    uint32_t events; /* what is asked, with EPOLLERR|EPOLLHUP and the private bits */
    uint64_t data;
    struct pollsrc *src;
    struct epitem *hnext;          /* the instance's hash chain */
    struct epitem *fnext, **fprev; /* the file's items */
    struct epitem *snext, **sprev; /* the source's watchers */
};

struct eventpoll {
    struct file *file; /* its own file: the instance lives exactly as long */
    struct epitem **tab;
    uint32_t nbuckets, count;
    struct eplink ready;
    struct waitq wq;
    struct pollsrc src;
    uint64_t gen; /* nesting checks: the walk that last measured it, and what it found */
    int depth;
};

/* Linux's default max_user_watches is 4% of memory over an item's cost; one limit here. */
static uint64_t n_watches;
#define MAX_WATCHES (1u << 20)
static uint64_t check_gen;

static const struct file_ops epoll_ops;

static struct eventpoll *ep_of(struct file *f)
{
    return f && f->ops == &epoll_ops ? f->priv : NULL;
}

/* ---- the ready list ---- */

static void rl_del(struct epitem *it)
{
    if (!it->on_ready)
        return;
    it->rl.prev->next = it->rl.next;
    it->rl.next->prev = it->rl.prev;
    it->on_ready = 0;
}

static void rl_add_tail(struct eplink *head, struct epitem *it)
{
    it->rl.prev = head->prev;
    it->rl.next = head;
    head->prev->next = &it->rl;
    head->prev = &it->rl;
    it->on_ready = 1;
}

/* ---- triggers ---- */

static void item_trigger(struct epitem *it)
{
    if (!(it->events & ~EP_PRIVATE))
        return; /* a one-shot item that reported: disarmed until EPOLL_CTL_MOD */
    struct eventpoll *ep = it->ep;
    if (!it->on_ready)
        rl_add_tail(&ep->ready, it);
    waitq_wake_all(&ep->wq);
    pollsrc_notify(&ep->src, LX_POLLIN);
}

void pollsrc_notify(struct pollsrc *s, uint32_t events)
{
    if (s && s->watchers) {
        uint32_t key = events;
        if (events & LX_POLLIN)
            key |= LX_POLLRDNORM | LX_POLLRDBAND | LX_POLLPRI | LX_POLLRDHUP;
        if (events & LX_POLLOUT)
            key |= LX_POLLWRNORM | LX_POLLWRBAND;
        if (events & (LX_POLLHUP | LX_POLLERR))
            key = ~0u;
        for (struct epitem *it = s->watchers; it; it = it->snext)
            if (it->events & key)
                item_trigger(it);
    }
    poll_notify();
}

/* What of the item's events its file has now (0: nothing, or disarmed). */
static uint32_t item_ready(struct epitem *it)
{
    return it->file->ops->poll(it->file) & it->events & ~EP_PRIVATE;
}

/* ---- items ---- */

static struct epitem **bucket(struct eventpoll *ep, int fd)
{
    return &ep->tab[(uint32_t)fd & (ep->nbuckets - 1)];
}

static struct epitem *item_find(struct eventpoll *ep, struct file *f, int fd)
{
    if (!ep->nbuckets)
        return NULL; /* (the table comes with the first item) */
    for (struct epitem *it = *bucket(ep, fd); it; it = it->hnext)
        if (it->file == f && it->fd == fd)
            return it;
    return NULL;
}

static int table_grow(struct eventpoll *ep)
{
    uint32_t n = ep->nbuckets ? ep->nbuckets * 2 : 16;
    struct epitem **tab = sk_calloc(n, sizeof *tab);
    if (!tab)
        return -1;
    for (uint32_t b = 0; b < ep->nbuckets; b++) {
        while (ep->tab[b]) {
            struct epitem *it = ep->tab[b];
            ep->tab[b] = it->hnext;
            struct epitem **head = &tab[(uint32_t)it->fd & (n - 1)];
            it->hnext = *head;
            *head = it;
        }
    }
    sk_free(ep->tab);
    ep->tab = tab;
    ep->nbuckets = n;
    return 0;
}

static void item_remove(struct epitem *it)
{
    struct eventpoll *ep = it->ep;
    for (struct epitem **pp = bucket(ep, it->fd); *pp; pp = &(*pp)->hnext)
        if (*pp == it) {
            *pp = it->hnext;
            break;
        }
    ep->count--;
    if (it->fnext)
        it->fnext->fprev = it->fprev;
    *it->fprev = it->fnext;
    if (it->src) {
        if (it->snext)
            it->snext->sprev = it->sprev;
        *it->sprev = it->snext;
    }
    rl_del(it);
    sk_free(it);
    n_watches--;
}

void epoll_file_gone(struct file *f)
{
    while (f->epitems)
        item_remove(f->epitems);
}

static long item_add(struct eventpoll *ep, struct file *f, int fd, const struct lx_epoll_event *ev)
{
    if (n_watches >= MAX_WATCHES)
        return -LX_ENOSPC;
    if (ep->count >= ep->nbuckets * 2 && table_grow(ep) < 0)
        return -LX_ENOMEM;
    struct epitem *it = sk_calloc(1, sizeof *it);
    if (!it)
        return -LX_ENOMEM;
    it->ep = ep;
    it->file = f;
    it->fd = fd;
    it->events = ev->events | LX_POLLERR | LX_POLLHUP;
    it->data = ev->data;
    struct epitem **head = bucket(ep, fd);
    it->hnext = *head;
    *head = it;
    ep->count++;
    it->fnext = f->epitems;
    if (f->epitems)
        f->epitems->fprev = &it->fnext;
    f->epitems = it;
    it->fprev = &f->epitems;
    it->src = f->ops->pollsrc ? f->ops->pollsrc(f) : NULL;
    if (it->src) {
        it->snext = it->src->watchers;
        if (it->snext)
            it->snext->sprev = &it->snext;
        it->src->watchers = it;
        it->sprev = &it->src->watchers;
    }
    n_watches++;
    if (item_ready(it))
        item_trigger(it);
    return 0;
}

/* ---- nesting: Linux's limits, measured down from the instance added and up from the one
   it goes into (each instance measured once per walk) ---- */

static int depth_down(struct eventpoll *ep, struct eventpoll *into, int depth)
{
    if (ep->gen == check_gen)
        return ep->depth;
    ep->gen = check_gen;
    int result = 0;
    for (uint32_t b = 0; b < ep->nbuckets && result <= EP_MAX_NESTS; b++)
        for (struct epitem *it = ep->tab[b]; it && result <= EP_MAX_NESTS; it = it->hnext) {
            struct eventpoll *sub = ep_of(it->file);
            if (!sub)
                continue;
            if (sub == into || depth > EP_MAX_NESTS)
                result = EP_MAX_NESTS + 1;
            else {
                int d = depth_down(sub, into, depth + 1) + 1;
                if (d > result)
                    result = d;
            }
        }
    ep->depth = result;
    return result;
}

static int depth_up(struct eventpoll *ep)
{
    if (ep->gen == check_gen)
        return ep->depth;
    ep->gen = check_gen;
    int result = 0;
    for (struct epitem *it = ep->file->epitems; it; it = it->fnext) {
        int d = depth_up(it->ep) + 1;
        if (d > result)
            result = d;
    }
    ep->depth = result;
    return result;
}

static int loop_check(struct eventpoll *into, struct eventpoll *to)
{
    check_gen++;
    int down = depth_down(to, into, 0);
    if (down > EP_MAX_NESTS)
        return -1;
    check_gen++;
    int up = depth_up(into);
    return down + 1 + up > EP_MAX_NESTS ? -1 : 0;
}

/* ---- the instance as a file ---- */

static uint32_t ep_poll(struct file *f)
{
    struct eventpoll *ep = f->priv;
    struct eplink *l = ep->ready.next;
    while (l != &ep->ready) {
        struct epitem *it = (struct epitem *)l;
        l = l->next;
        if (item_ready(it))
            return LX_POLLIN | LX_POLLRDNORM;
        rl_del(it); /* (a trigger that came to nothing) */
    }
    return 0;
}

static struct pollsrc *ep_pollsrc(struct file *f)
{
    return &((struct eventpoll *)f->priv)->src;
}

static void ep_release(struct file *f)
{
    struct eventpoll *ep = f->priv;
    for (uint32_t b = 0; b < ep->nbuckets; b++)
        while (ep->tab[b])
            item_remove(ep->tab[b]);
    sk_free(ep->tab);
    sk_free(ep);
    f->priv = NULL;
}

static const struct file_ops epoll_ops = {.poll = ep_poll, .pollsrc = ep_pollsrc,
                                          .release = ep_release, .anon_name = "[eventpoll]"};

static long epoll_new(struct lthread *t, uint64_t flags)
{
    if (flags & ~(uint64_t)LX_O_CLOEXEC)
        return -LX_EINVAL;
    struct eventpoll *ep = sk_calloc(1, sizeof *ep);
    if (!ep)
        return -LX_ENOMEM;
    ep->ready.next = ep->ready.prev = &ep->ready;
    int fd = anon_fd_install(t, &epoll_ops, ep, (uint32_t)flags);
    if (fd >= 0)
        ep->file = fd_get(t->p->fds, fd);
    return fd;
}

long sys_epoll_create(struct lthread *t)
{
    if ((int)t->a[0] <= 0)
        return -LX_EINVAL;
    return epoll_new(t, 0);
}

long sys_epoll_create1(struct lthread *t)
{
    return epoll_new(t, t->a[0]);
}

/* ---- epoll_ctl ---- */

static long ctl(struct lthread *t, struct lx_epoll_event *ev)
{
    int op = (int)t->a[1], fd = (int)t->a[2];
    struct file *ef = fd_get(t->p->fds, (int)t->a[0]);
    struct file *tf = fd_get(t->p->fds, fd);
    if (!ef || !tf)
        return -LX_EBADF;
    if (!tf->ops->poll)
        return -LX_EPERM;
    int has_event = op != EPOLL_CTL_DEL;
    if (has_event && (ev->events & EPOLLWAKEUP) && t->p->euid != 0)
        ev->events &= ~EPOLLWAKEUP; /* (without CAP_BLOCK_SUSPEND: dropped, as Linux) */
    struct eventpoll *ep = ep_of(ef);
    if (ef == tf || !ep)
        return -LX_EINVAL;
    if (has_event && (ev->events & EPOLLEXCLUSIVE)) {
        if (op == EPOLL_CTL_MOD)
            return -LX_EINVAL;
        if (op == EPOLL_CTL_ADD && (ep_of(tf) || (ev->events & ~EP_EXCLUSIVE_OK)))
            return -LX_EINVAL;
    }
    if (op == EPOLL_CTL_ADD && ep_of(tf) && loop_check(ep, ep_of(tf)) < 0)
        return -LX_ELOOP;
    struct epitem *it = item_find(ep, tf, fd);
    switch (op) {
    case EPOLL_CTL_ADD:
        return it ? -LX_EEXIST : item_add(ep, tf, fd, ev);
    case EPOLL_CTL_DEL:
        if (!it)
            return -LX_ENOENT;
        item_remove(it);
        return 0;
    case EPOLL_CTL_MOD:
        if (!it)
            return -LX_ENOENT;
        if (it->events & EPOLLEXCLUSIVE)
            return -LX_EINVAL;
        it->events = ev->events | LX_POLLERR | LX_POLLHUP;
        it->data = ev->data;
        if (item_ready(it))
            item_trigger(it);
        return 0;
    default:
        return -LX_EINVAL;
    }
}

static sk_error_t ctl_event_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    poll_thread = t;
    long rc = ctl(t, t->buf);
    poll_thread = NULL;
    call_return(t, rc);
    return SK_OK;
}

long sys_epoll_ctl(struct lthread *t)
{
    if ((int)t->a[1] == EPOLL_CTL_DEL)
        return ctl(t, NULL); /* (looks at no readiness) */
    t->buf = sk_calloc(1, sizeof(struct lx_epoll_event));
    if (!t->buf)
        return -LX_ENOMEM;
    sk_error_t e = call_copy_in(t, t->a[3], t->buf, sizeof(struct lx_epoll_event), ctl_event_in);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- epoll_wait, epoll_pwait, epoll_pwait2 ---- */

struct epwait {
    uint64_t deadline; /* 0: none */
    int timed_out;
    int has_sigmask;
    uint64_t sigmask;
    int64_t ts[2];
    uint32_t max;
    struct lx_epoll_event ev[];
};

/* One pass over the ready list: up to max events into out. */
static uint32_t deliver(struct eventpoll *ep, struct lx_epoll_event *out, uint32_t max)
{
    struct eplink batch = {&batch, &batch};
    if (ep->ready.next == &ep->ready)
        return 0;
    /* the list as it is now becomes the batch; level-triggered items return to ep->ready */
    batch.next = ep->ready.next;
    batch.prev = ep->ready.prev;
    batch.next->prev = &batch;
    batch.prev->next = &batch;
    ep->ready.next = ep->ready.prev = &ep->ready;
    uint32_t n = 0;
    while (batch.next != &batch && n < max) {
        struct epitem *it = (struct epitem *)batch.next;
        rl_del(it);
        uint32_t r = item_ready(it);
        if (!r)
            continue;
        out[n].events = r;
        out[n].data = it->data;
        n++;
        if (it->events & EPOLLONESHOT)
            it->events &= EP_PRIVATE;
        else if (!(it->events & EPOLLET))
            rl_add_tail(&ep->ready, it);
    }
    /* what was not looked at goes back in front, in its order */
    if (batch.next != &batch) {
        batch.prev->next = ep->ready.next;
        ep->ready.next->prev = batch.prev;
        ep->ready.next = batch.next;
        batch.next->prev = &ep->ready;
    }
    return n;
}

static sk_error_t wait_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t wait_check(struct lthread *t, int signalled)
{
    struct epwait *st = t->buf;
    struct eventpoll *ep = ep_of(t->file);
    poll_thread = t;
    uint32_t n = deliver(ep, st->ev, st->max);
    poll_thread = NULL;
    if (n) {
        t->ret = n;
        return call_copy_out(t, t->a[1], st->ev, n * sizeof *st->ev, call_done_step);
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    if (st->timed_out || (st->deadline && now >= st->deadline)) {
        call_return(t, 0);
        return SK_OK;
    }
    if (signalled || signal_deliverable(t)) {
        call_return(t, -LX_EINTR); /* (never restarted, as Linux) */
        return SK_OK;
    }
    waitq_park(&ep->wq, t, wait_woken);
    if (st->deadline && !sk_timer_armed(&t->req.deadline))
        return sk_req_deadline(&t->req, st->deadline);
    return SK_OK;
}

static sk_error_t wait_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct epwait *st = t->buf;
    if (err == SK_ERR_TIMEOUT) {
        st->timed_out = 1;
        t->req.abort = SK_OK; /* the deadline ended the wait, not the call */
        return wait_check(t, 0);
    }
    if (err == SK_ERR_CANCELLED) {
        t->req.abort = SK_OK; /* a signal: events found meanwhile still go out first */
        return wait_check(t, 1);
    }
    if (err)
        return err;
    return wait_check(t, 0);
}

/* Everything is in: check the descriptor and the buffer, install the mask, look. */
static long wait_begin(struct lthread *t)
{
    struct epwait *st = t->buf;
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    int max = (int)t->a[2];
    if (max <= 0 || (uint32_t)max > EP_MAX_EVENTS)
        return -LX_EINVAL;
    uint64_t end = t->a[1] + (uint64_t)max * sizeof(struct lx_epoll_event);
    if (end < t->a[1] || end > SK_USER_TOP)
        return -LX_EFAULT;
    if (!ep_of(f))
        return -LX_EINVAL;
    f->refs++;
    t->file = f;
    if (st->has_sigmask) {
        t->saved_mask = t->sigmask;
        t->restore_mask = 1;
        t->sigmask = st->sigmask & ~(SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP));
    }
    sk_error_t e = wait_check(t, 0);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static void set_timeout(struct epwait *st, int64_t ns)
{
    if (ns < 0)
        return; /* for ever */
    if (ns == 0) {
        st->timed_out = 1;
        return;
    }
    uint64_t now = 0;
    sk_clock_get(&now);
    st->deadline = now + (uint64_t)ns;
}

static sk_error_t mask_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    long rc = wait_begin(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

/* The timeout is in (pwait2) or there is none to read: the mask next. */
static long after_timeout(struct lthread *t)
{
    struct epwait *st = t->buf;
    if (t->nr != 232 /* epoll_wait */ && t->a[4]) {
        if (t->a[5] != 8)
            return -LX_EINVAL;
        st->has_sigmask = 1;
        sk_error_t e = call_copy_in(t, t->a[4], &st->sigmask, 8, mask_in);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    return wait_begin(t);
}

static sk_error_t timeout_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct epwait *st = t->buf;
    if (err)
        return err;
    long rc;
    if (st->ts[0] < 0 || st->ts[1] < 0 || st->ts[1] >= 1000000000)
        rc = -LX_EINVAL;
    else {
        set_timeout(st, st->ts[0] > 4000000000 ? INT64_MAX / 2 : st->ts[0] * 1000000000 + st->ts[1]);
        rc = after_timeout(t);
    }
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static long wait_common(struct lthread *t)
{
    int max = (int)t->a[2];
    uint32_t room = max <= 0 ? 1 : (uint32_t)max > EP_WAIT_MAX ? EP_WAIT_MAX : (uint32_t)max;
    struct epwait *st = sk_calloc(1, sizeof *st + room * sizeof(struct lx_epoll_event));
    if (!st)
        return -LX_ENOMEM;
    st->max = room;
    t->buf = st;
    if (t->nr == NR_epoll_pwait2) {
        if (t->a[3]) {
            sk_error_t e = call_copy_in(t, t->a[3], st->ts, 16, timeout_in);
            return e ? errno_from_sk(e) : CALL_PENDING;
        }
    } else {
        int ms = (int)t->a[3];
        set_timeout(st, ms < 0 ? -1 : (int64_t)ms * 1000000);
    }
    return after_timeout(t);
}

long sys_epoll_wait(struct lthread *t)
{
    return wait_common(t);
}

long sys_epoll_pwait(struct lthread *t)
{
    return wait_common(t);
}

long sys_epoll_pwait2(struct lthread *t)
{
    return wait_common(t);
}
