/*
 * inotify (docs/posix.md, "Waiting"): an instance holds watches (an inode and a mask, with a
 * descriptor number counting up from 1) and a queue of events. The file system calls
 * inotify_event at each change: an inode's own watches hear of it (no name), and the watches
 * of the directory it was reached through (an open file remembers it) hear of it with the
 * child's name. Identical events back to back are merged; past 16384 queued, one
 * IN_Q_OVERFLOW. An inode whose last link goes sends IN_DELETE_SELF and its watches end
 * (IN_IGNORED), as do IN_ONESHOT watches after their first event and inotify_rm_watch.
 */
#include "posix.h"
#include "calls.h"

#define IN_ACCESS 0x1u
#define IN_MODIFY 0x2u
#define IN_ATTRIB 0x4u
#define IN_CLOSE_WRITE 0x8u
#define IN_CLOSE_NOWRITE 0x10u
#define IN_OPEN 0x20u
#define IN_MOVED_FROM 0x40u
#define IN_MOVED_TO 0x80u
#define IN_CREATE 0x100u
#define IN_DELETE 0x200u
#define IN_DELETE_SELF 0x400u
#define IN_MOVE_SELF 0x800u
#define IN_Q_OVERFLOW 0x4000u
#define IN_IGNORED 0x8000u
#define IN_ONLYDIR 0x01000000u
#define IN_DONT_FOLLOW 0x02000000u
#define IN_EXCL_UNLINK 0x04000000u
#define IN_MASK_CREATE 0x10000000u
#define IN_MASK_ADD 0x20000000u
#define IN_ISDIR 0x40000000u
#define IN_ONESHOT 0x80000000u
#define IN_ALL_EVENTS 0xfffu
#define MAX_QUEUED 16384u
#define MAX_WATCHES 65536u

struct inotify;

struct iwatch {
    struct iwatch *inext;  /* the inode's watches */
    struct iwatch *next;   /* the instance's */
    struct inotify *in;
    struct inode *ino;     /* held while watched */
    int wd;
    uint32_t mask;
};

struct ievent {
    struct ievent *next;
    int32_t wd;
    uint32_t mask, cookie, len; /* len: the name with its padding (a multiple of 16) */
    char name[];
};

struct inotify {
    struct iwatch *watches;
    struct ievent *q, **qtail, *last;
    uint32_t qn;
    uint64_t qbytes;
    int next_wd;
    int overflowed;
    struct waitq rq;
    struct pollsrc src;
};

static uint32_t n_watches;
static uint32_t next_cookie;

int inotify_active(void)
{
    return n_watches != 0;
}

uint32_t inotify_cookie(void)
{
    if (++next_cookie == 0)
        next_cookie = 1;
    return next_cookie;
}

static void queue(struct inotify *in, int wd, uint32_t mask, uint32_t cookie, const char *name)
{
    size_t nl = name ? strlen(name) : 0;
    uint32_t len = nl ? (uint32_t)((nl + 1 + 15) & ~(size_t)15) : 0;
    struct ievent *l = in->last;
    if (l && l->wd == wd && l->mask == mask && l->cookie == cookie &&
        (nl ? l->len && strcmp(l->name, name) == 0 : !l->len))
        return; /* (the same as the last one, not read yet) */
    if (in->qn >= MAX_QUEUED) {
        if (in->overflowed)
            return;
        in->overflowed = 1;
        wd = -1, mask = IN_Q_OVERFLOW, cookie = 0, len = 0, nl = 0;
    }
    struct ievent *e = sk_calloc(1, sizeof *e + len);
    if (!e)
        return;
    e->wd = wd;
    e->mask = mask;
    e->cookie = cookie;
    e->len = len;
    if (nl)
        memcpy(e->name, name, nl);
    *in->qtail = e;
    in->qtail = &e->next;
    in->last = e;
    in->qn++;
    in->qbytes += 16 + len;
    waitq_wake_all(&in->rq);
    pollsrc_notify(&in->src, LX_POLLIN);
}

static void watch_free(struct iwatch *w, int tell)
{
    for (struct iwatch **pp = &w->ino->iwatches; *pp; pp = &(*pp)->inext)
        if (*pp == w) {
            *pp = w->inext;
            break;
        }
    for (struct iwatch **pp = &w->in->watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (tell)
        queue(w->in, w->wd, IN_IGNORED, 0, NULL);
    inode_put(w->ino);
    sk_free(w);
    n_watches--;
}

/* Tell ino's watches of mask (with name: a child's event on a directory). */
static void tell(struct inode *ino, uint32_t mask, const char *name, uint32_t cookie)
{
    uint32_t isdir = mask & IN_ISDIR;
    for (struct iwatch *w = ino->iwatches, *n; w; w = n) {
        n = w->inext;
        if (!(w->mask & mask & ~IN_ISDIR))
            continue;
        queue(w->in, w->wd, (mask & ~IN_ISDIR) | isdir, cookie, name);
        if (w->mask & IN_ONESHOT)
            watch_free(w, 1);
    }
}

void inotify_event(struct inode *ino, struct inode *dir, const char *name, uint32_t mask,
                   uint32_t cookie)
{
    if (!n_watches)
        return;
    uint32_t isdir = ino && (ino->mode & LX_S_IFMT) == LX_S_IFDIR ? IN_ISDIR : 0;
    if (dir && name && dir->iwatches)
        tell(dir, mask | isdir, name, cookie);
    if (ino && ino->iwatches && !(mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)))
        tell(ino, mask | isdir, NULL, cookie);
}

void inotify_gone(struct inode *ino)
{
    if (!ino->iwatches)
        return;
    tell(ino, IN_DELETE_SELF | ((ino->mode & LX_S_IFMT) == LX_S_IFDIR ? IN_ISDIR : 0), NULL, 0);
    while (ino->iwatches)
        watch_free(ino->iwatches, 1);
}

/* ---- the instance as a file ---- */

static long in_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct inotify *in = f->priv;
    if (!in->q)
        return -LX_EAGAIN;
    if (16 + (uint64_t)in->q->len > len)
        return -LX_EINVAL;
    uint64_t n = 0;
    while (in->q && n + 16 + in->q->len <= len) {
        struct ievent *e = in->q;
        uint8_t *o = (uint8_t *)buf + n;
        memcpy(o, &e->wd, 4);
        memcpy(o + 4, &e->mask, 4);
        memcpy(o + 8, &e->cookie, 4);
        memcpy(o + 12, &e->len, 4);
        memcpy(o + 16, e->name, e->len);
        n += 16 + e->len;
        in->q = e->next;
        if (!in->q)
            in->qtail = &in->q;
        if (in->last == e)
            in->last = NULL;
        in->qn--;
        in->qbytes -= 16 + e->len;
        if (e->mask == IN_Q_OVERFLOW)
            in->overflowed = 0;
        sk_free(e);
    }
    return (long)n;
}

static struct waitq *in_waitq(struct file *f, int writing)
{
    return writing ? NULL : &((struct inotify *)f->priv)->rq;
}

static uint32_t in_poll(struct file *f)
{
    return ((struct inotify *)f->priv)->q ? LX_POLLIN | LX_POLLRDNORM : 0;
}

static struct pollsrc *in_pollsrc(struct file *f)
{
    return &((struct inotify *)f->priv)->src;
}

static long in_ioctl(struct file *f, struct lthread *t, uint64_t cmd, uint64_t arg)
{
    struct inotify *in = f->priv;
    if (cmd != 0x541B /* FIONREAD */)
        return -LX_ENOTTY;
    t->len = (uint32_t)in->qbytes;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, arg, &t->len, 4, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static void in_release(struct file *f)
{
    struct inotify *in = f->priv;
    while (in->watches)
        watch_free(in->watches, 0);
    while (in->q) {
        struct ievent *e = in->q;
        in->q = e->next;
        sk_free(e);
    }
    sk_free(in);
    f->priv = NULL;
}

static const struct file_ops inotify_ops = {.read = in_read, .waitq = in_waitq, .poll = in_poll,
    .pollsrc = in_pollsrc, .ioctl = in_ioctl, .release = in_release, .message = 1,
    .anon_name = "inotify"};

static long init(struct lthread *t, uint64_t flags)
{
    if (flags & ~(uint64_t)(LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -LX_EINVAL;
    struct inotify *in = sk_calloc(1, sizeof *in);
    if (!in)
        return -LX_ENOMEM;
    in->qtail = &in->q;
    in->next_wd = 1;
    return anon_fd_install(t, &inotify_ops, in, (uint32_t)flags);
}

long sys_inotify_init(struct lthread *t)
{
    return init(t, 0);
}

long sys_inotify_init1(struct lthread *t)
{
    return init(t, t->a[0]);
}

static struct inotify *inotify_of(struct lthread *t, int fd, long *err)
{
    struct file *f = fd_get(t->p->fds, fd);
    *err = !f ? -LX_EBADF : f->ops != &inotify_ops ? -LX_EINVAL : 0;
    return *err ? NULL : f->priv;
}

static sk_error_t path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    long e;
    struct inotify *in = inotify_of(t, (int)t->a[0], &e);
    uint32_t mask = (uint32_t)t->a[2];
    if (!in) {
        call_return(t, e);
        return SK_OK;
    }
    struct inode *ino;
    const char *path = t->buf;
    e = path[0] ? vfs_lookup(t->p, t->p->cwd, path, (mask & IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW, &ino, NULL)
                : -LX_ENOENT;
    if (!e && (mask & IN_ONLYDIR) && (ino->mode & LX_S_IFMT) != LX_S_IFDIR)
        e = -LX_ENOTDIR;
    if (!e)
        e = vfs_permission(t->p, ino, 4);
    if (e) {
        call_return(t, e);
        return SK_OK;
    }
    uint32_t keep = (mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK));
    struct iwatch *w = NULL;
    for (struct iwatch *x = ino->iwatches; x; x = x->inext)
        if (x->in == in)
            w = x;
    if (w) {
        if (mask & IN_MASK_CREATE) {
            call_return(t, -LX_EEXIST);
            return SK_OK;
        }
        w->mask = (mask & IN_MASK_ADD) ? w->mask | keep : keep;
        call_return(t, w->wd);
        return SK_OK;
    }
    if (n_watches >= MAX_WATCHES) {
        call_return(t, -LX_ENOSPC);
        return SK_OK;
    }
    w = sk_calloc(1, sizeof *w);
    if (!w) {
        call_return(t, -LX_ENOMEM);
        return SK_OK;
    }
    w->in = in;
    w->ino = inode_get(ino);
    w->wd = in->next_wd++;
    w->mask = keep;
    w->inext = ino->iwatches;
    ino->iwatches = w;
    w->next = in->watches;
    in->watches = w;
    n_watches++;
    call_return(t, w->wd);
    return SK_OK;
}

long sys_inotify_add_watch(struct lthread *t)
{
    long e;
    if (!inotify_of(t, (int)t->a[0], &e))
        return e;
    uint32_t mask = (uint32_t)t->a[2];
    if (!(mask & IN_ALL_EVENTS))
        return -LX_EINVAL;
    if ((mask & (IN_MASK_ADD | IN_MASK_CREATE)) == (IN_MASK_ADD | IN_MASK_CREATE))
        return -LX_EINVAL;
    sk_error_t e2 = call_read_string(t, t->a[1], 4096, path_read);
    return e2 ? errno_from_sk(e2) : CALL_PENDING;
}

long sys_inotify_rm_watch(struct lthread *t)
{
    long e;
    struct inotify *in = inotify_of(t, (int)t->a[0], &e);
    if (!in)
        return e;
    for (struct iwatch *w = in->watches; w; w = w->next)
        if (w->wd == (int)t->a[1]) {
            watch_free(w, 1);
            return 0;
        }
    return -LX_EINVAL;
}
