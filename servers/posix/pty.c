/*
 * Pseudo-terminals (docs/posix.md, "Terminals and job control"): /dev/ptmx makes a pair. The
 * slave is an ordinary terminal of tty.c (line discipline, sessions, job control) whose
 * device is the master: what the slave's line discipline outputs (its writes, after output
 * processing, and its echoes) goes into a ring the master reads; what the master writes is
 * the slave's input. The slave's node /dev/pts/N (char 136:N, the opener's, group tty, 0620)
 * exists from the master's open to its close; the slave is locked until unlockpt
 * (TIOCSPTLCK). The slave's last close gives the master EIO and POLLHUP; the master's close
 * hangs the slave up (SIGHUP to its session's leader, end of file, EIO) and removes the node.
 */
#include "posix.h"
#include "tty.h"
#include "calls.h"

#define PTY_BUF 16384u
#define PTY_MAX 4096 /* kernel.pty.max */
#define PTS_MAJOR 136
#define TTY_GID 5
#define TIOCGPTN 0x80045430u
#define TIOCSPTLCK 0x40045431u
#define TIOCGPTLCK 0x80045439u
#define TIOCGPTPEER 0x5441u
#define TIOCPKT 0x5420u
#define TIOCGPKT 0x80045438u

struct pty {
    struct tty tty; /* (first: the slave's files and the master's both have the pty as priv) */
    int index;
    int locked;
    int master_open;
    uint32_t slave_opens;
    int slave_closed; /* the slave was open and its last file went */
    int packet;
    uint8_t *buf;     /* the slave's output, for the master */
    uint32_t head, count;
    struct waitq mreaders;
    struct pollsrc msrc;
    struct inode *node;
    struct pty *next;
};

static struct pty *ptys;
static struct inode *pts_dir;

static void pty_out(struct tty *tt, const char *s, size_t n)
{
    struct pty *p = (struct pty *)tt;
    uint32_t room = PTY_BUF - p->count;
    if (n > room)
        n = room; /* (echoes beyond a full ring are lost, as Linux's) */
    for (size_t i = 0; i < n; i++)
        p->buf[(p->head + p->count + i) % PTY_BUF] = (uint8_t)s[i];
    p->count += (uint32_t)n;
    if (n) {
        waitq_wake_all(&p->mreaders);
        pollsrc_notify(&p->msrc, LX_POLLIN);
    }
}

static uint64_t pty_room(struct tty *tt)
{
    return PTY_BUF - ((struct pty *)tt)->count;
}

static long pty_slave_opened(struct tty *tt)
{
    struct pty *p = (struct pty *)tt;
    if (!p->master_open || p->locked)
        return -LX_EIO;
    p->slave_opens++;
    p->slave_closed = 0;
    return 0;
}

static void pty_free(struct pty *p)
{
    for (struct pty **pp = &ptys; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    sk_free(p->buf);
    sk_free(p);
}

static void pty_slave_closed(struct tty *tt)
{
    struct pty *p = (struct pty *)tt;
    if (--p->slave_opens > 0)
        return;
    if (!p->master_open) {
        pty_free(p);
        return;
    }
    p->slave_closed = 1;
    waitq_wake_all(&p->mreaders);
    pollsrc_notify(&p->msrc, LX_POLLHUP);
}

/* ---- the master ---- */

static long master_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct pty *p = f->priv;
    if (!p->count)
        return p->slave_closed ? -LX_EIO : -LX_EAGAIN;
    uint8_t *b = buf;
    uint64_t n = 0;
    if (p->packet) {
        if (len < 1)
            return 0;
        b[n++] = 0; /* TIOCPKT_DATA */
    }
    while (n < len && p->count) {
        b[n++] = p->buf[p->head];
        p->head = (p->head + 1) % PTY_BUF;
        p->count--;
    }
    waitq_wake_all(&p->tty.writers);
    pollsrc_notify(&p->tty.src, LX_POLLOUT);
    return (long)n;
}

static long master_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct pty *p = f->priv;
    if (!p->slave_opens)
        return -LX_EIO;
    tty_input(&p->tty, buf, len);
    return (long)len;
}

static struct waitq *master_waitq(struct file *f, int writing)
{
    struct pty *p = f->priv;
    return writing ? NULL : &p->mreaders;
}

static uint32_t master_poll(struct file *f)
{
    struct pty *p = f->priv;
    uint32_t m = LX_POLLOUT | LX_POLLWRNORM;
    if (p->count)
        m |= LX_POLLIN | LX_POLLRDNORM;
    if (p->slave_closed)
        m = (m & ~(uint32_t)(LX_POLLOUT | LX_POLLWRNORM)) | LX_POLLHUP;
    return m;
}

static struct pollsrc *master_pollsrc(struct file *f)
{
    return &((struct pty *)f->priv)->msrc;
}

static void master_release(struct file *f)
{
    struct pty *p = f->priv;
    if (!p)
        return;
    p->master_open = 0;
    if (p->node) {
        char name[16];
        sk_snprintf(name, sizeof name, "%d", p->index);
        p->node->dev = NULL;
        p->node->dev_priv = NULL;
        dir_unlink(pts_dir, name);
        inode_put(p->node);
        p->node = NULL;
    }
    tty_hangup(&p->tty);
    if (!p->slave_opens)
        pty_free(p);
}

/* An open file of the slave, as opening /dev/pts/N would make it. */
static long open_peer(struct lthread *t, struct pty *p, uint64_t flags)
{
    if (flags & ~(uint64_t)(LX_O_ACCMODE | LX_O_NOCTTY | LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -LX_EINVAL;
    if (!p->node)
        return -LX_EIO;
    struct file *f = file_open(p->node, (uint32_t)flags);
    if (!f)
        return -LX_ENOMEM;
    long e = f->ops->open ? f->ops->open(f, t, (uint32_t)flags) : 0;
    if (e) {
        file_put(f);
        return e;
    }
    int fd = fd_install(t->p->fds, 0, f, (flags & LX_O_CLOEXEC) != 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

static sk_error_t int_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct pty *p = t->file->priv;
    int32_t v = (int32_t)t->len;
    if (t->phase == TIOCSPTLCK)
        p->locked = v != 0;
    else
        p->packet = v != 0;
    call_return(t, 0);
    return SK_OK;
}

static long int_out(struct lthread *t, uint64_t uaddr, int32_t v)
{
    t->len = (uint32_t)v;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, uaddr, &t->len, 4, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static long master_ioctl(struct file *f, struct lthread *t, uint64_t cmd, uint64_t arg)
{
    struct pty *p = f->priv;
    switch (cmd) {
    case TIOCGPTN:
        return int_out(t, arg, p->index);
    case TIOCGPTLCK:
        return int_out(t, arg, p->locked);
    case TIOCGPKT:
        return int_out(t, arg, p->packet);
    case 0x541B: /* FIONREAD: what the master can read */
        return int_out(t, arg, (int32_t)p->count);
    case TIOCSPTLCK:
    case TIOCPKT: {
        f->refs++;
        t->file = f;
        t->phase = (int)cmd;
        sk_error_t e = call_copy_in(t, arg, &t->len, 4, int_in);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case TIOCGPTPEER:
        return open_peer(t, p, arg);
    default:
        return tty_ioctl(f, t, cmd, arg); /* (termios and the window size are the slave's) */
    }
}

const struct file_ops pty_master_ops = {.read = master_read, .write = master_write,
    .ioctl = master_ioctl, .waitq = master_waitq, .poll = master_poll, .pollsrc = master_pollsrc,
    .release = master_release};

/* ---- /dev/ptmx: a new pair ---- */

static long ptmx_open(struct file *f, struct lthread *t, uint32_t oflags)
{
    (void)oflags;
    int index = 0, count = 0;
    for (;; index++) { /* the lowest free number */
        struct pty *q = ptys;
        while (q && q->index != index)
            q = q->next;
        if (!q)
            break;
    }
    for (struct pty *q = ptys; q; q = q->next)
        count++;
    if (count >= PTY_MAX || !pts_dir)
        return -LX_ENOSPC;
    struct pty *p = sk_calloc(1, sizeof *p);
    uint8_t *buf = sk_malloc(PTY_BUF);
    struct inode *node = inode_new(LX_S_IFCHR | 0620);
    if (!p || !buf || !node) {
        sk_free(p);
        sk_free(buf);
        inode_put(node);
        return -LX_ENOMEM;
    }
    tty_init(&p->tty, pty_out);
    p->tty.room = pty_room;
    p->tty.opened = pty_slave_opened;
    p->tty.closed = pty_slave_closed;
    p->tty.ws.rows = p->tty.ws.cols = 0; /* (a new pty has no size, as Linux's) */
    p->tty.rdev = (uint32_t)((index & 0xff) | PTS_MAJOR << 8 | (index & ~0xff) << 12);
    p->index = index;
    p->locked = 1;
    p->master_open = 1;
    p->buf = buf;
    node->rdev = p->tty.rdev;
    node->uid = t->p->euid;
    node->gid = TTY_GID;
    node->dev = &tty_ops;
    node->dev_priv = &p->tty;
    char name[16];
    sk_snprintf(name, sizeof name, "%d", index);
    if (dir_link(pts_dir, name, node) != 0) {
        inode_put(node);
        sk_free(buf);
        sk_free(p);
        return -LX_ENOMEM;
    }
    p->node = node; /* (the reference inode_new gave) */
    p->next = ptys;
    ptys = p;
    f->ops = &pty_master_ops;
    f->priv = p;
    return 0;
}

const struct file_ops ptmx_ops = {.open = ptmx_open};

void pty_init(struct inode *dev)
{
    pts_dir = dir_lookup(dev, "pts", 3);
    if (!pts_dir) {
        struct inode *d = inode_new(LX_S_IFDIR | 0755);
        if (!d)
            return;
        dir_link(dev, "pts", d);
        inode_put(d);
        pts_dir = d;
    }
    inode_get(pts_dir); /* (kept, whatever happens to the name) */
    struct inode *ptmx = inode_new(LX_S_IFCHR | 0000);
    if (ptmx) {
        ptmx->rdev = 5 << 8 | 2;
        ptmx->dev = &ptmx_ops;
        dir_link(pts_dir, "ptmx", ptmx);
        inode_put(ptmx);
    }
}
