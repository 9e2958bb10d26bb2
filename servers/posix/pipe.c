/*
 * Pipes: a 64 KiB ring shared by a read end and a write end. A read of an empty
 * pipe with writers, or a write to a full one, answers -EAGAIN and the read/write
 * engine parks the caller on the pipe's queue (unless O_NONBLOCK); writes of at
 * most PIPE_BUF bytes go in whole or not at all. The last writer's close gives
 * readers end of file; a write with no reader left is -EPIPE.
 */
#include "posix.h"

#define PIPE_SIZE (64u << 10)
#define PIPE_BUF 4096u

struct pipe {
    uint8_t *buf;
    uint32_t head, count; /* first byte, bytes held */
    uint32_t readers, writers;
    struct waitq rq, wq;  /* waiting to read, to write */
};

static long pipe_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct pipe *p = f->priv;
    if (p->count == 0)
        return p->writers ? -LX_EAGAIN : 0;
    uint64_t n = len < p->count ? len : p->count;
    for (uint64_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = p->buf[(p->head + i) % PIPE_SIZE];
    p->head = (uint32_t)((p->head + n) % PIPE_SIZE);
    p->count -= (uint32_t)n;
    waitq_wake_all(&p->wq);
    return (long)n;
}

static long pipe_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct pipe *p = f->priv;
    if (!p->readers)
        return -LX_EPIPE;
    uint32_t room = PIPE_SIZE - p->count;
    if (room == 0 || (len <= PIPE_BUF && room < len))
        return -LX_EAGAIN;
    uint64_t n = len < room ? len : room;
    for (uint64_t i = 0; i < n; i++)
        p->buf[(p->head + p->count + i) % PIPE_SIZE] = ((const uint8_t *)buf)[i];
    p->count += (uint32_t)n;
    waitq_wake_all(&p->rq);
    return (long)n;
}

static struct waitq *pipe_waitq(struct file *f, int writing)
{
    struct pipe *p = f->priv;
    return writing ? &p->wq : &p->rq;
}

static void pipe_free_if_unused(struct pipe *p)
{
    if (p->readers || p->writers)
        return;
    sk_free(p->buf);
    sk_free(p);
}

static void pipe_release_read(struct file *f)
{
    struct pipe *p = f->priv;
    p->readers--;
    waitq_wake_all(&p->wq);
    pipe_free_if_unused(p);
}

static void pipe_release_write(struct file *f)
{
    struct pipe *p = f->priv;
    p->writers--;
    waitq_wake_all(&p->rq);
    pipe_free_if_unused(p);
}

static long pipe_ioctl(struct file *f, struct lthread *t, uint64_t cmd, uint64_t arg)
{
    (void)arg;
    struct pipe *p = f->priv;
    if (cmd == 0x541B /* FIONREAD */) {
        t->len = p->count;
        t->ret = 0;
        sk_error_t e = call_copy_out(t, arg, &t->len, 4, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    return -LX_ENOTTY;
}

static const struct file_ops pipe_read_ops = {
    .read = pipe_read, .ioctl = pipe_ioctl, .waitq = pipe_waitq, .release = pipe_release_read};
static const struct file_ops pipe_write_ops = {
    .write = pipe_write, .ioctl = pipe_ioctl, .waitq = pipe_waitq, .release = pipe_release_write};

int pipe_create(struct file **rd, struct file **wr, uint32_t flags)
{
    struct pipe *p = sk_calloc(1, sizeof *p);
    struct inode *ino = inode_new(LX_S_IFIFO | 0600);
    uint8_t *buf = sk_malloc(PIPE_SIZE);
    struct file *r = NULL, *w = NULL;
    if (p && ino && buf) {
        r = file_open(ino, LX_O_RDONLY | (flags & LX_O_NONBLOCK));
        w = file_open(ino, LX_O_WRONLY | (flags & LX_O_NONBLOCK));
    }
    inode_put(ino);
    if (!r || !w) {
        if (r) {
            r->ops = NULL;
            file_put(r);
        }
        if (w) {
            w->ops = NULL;
            file_put(w);
        }
        sk_free(buf);
        sk_free(p);
        return -LX_ENOMEM;
    }
    p->buf = buf;
    p->readers = p->writers = 1;
    r->priv = w->priv = p;
    r->ops = &pipe_read_ops;
    w->ops = &pipe_write_ops;
    *rd = r;
    *wr = w;
    return 0;
}
