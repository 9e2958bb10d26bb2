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
#define PIPE_DIRECT_MIN 512u /* reads of more go straight from the ring (pipe_peek) */

struct pipe {
    uint8_t *buf;
    uint32_t head, count; /* first byte, bytes held */
    uint32_t readers, writers;
    uint32_t r_opens, w_opens; /* FIFOs: opens so far, for the blocking open */
    struct waitq rq, wq;  /* waiting to read, to write */
    struct waitq openq;   /* FIFOs: waiting for the other end to open */
    struct inode *fifo;   /* FIFOs: the inode it belongs to */
    /* bytes just before head that reads took and whose copies to the readers are in flight
       (pipe_taken): no room for writers until the drive has taken them */
    uint32_t held;
    int on_held_list, unused;
    struct pipe *held_next;
    struct pollsrc src;
    struct inode *anon_ino; /* a pipe(2)'s inode: reopening it (/proc/PID/fd/N) joins this pipe */
};

static SK_HOT_DATA struct pipe *held_pipes;

static void pipe_free_if_unused(struct pipe *p);

SK_HOT static long pipe_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct pipe *p = f->priv;
    if (p->count == 0)
        return p->writers ? -LX_EAGAIN : 0;
    uint64_t n = len < p->count ? len : p->count;
    uint64_t first = PIPE_SIZE - p->head; /* the ring's bytes up to its end, then from 0 */
    if (first > n)
        first = n;
    memcpy(buf, p->buf + p->head, first);
    memcpy((uint8_t *)buf + first, p->buf, n - first);
    p->head = (uint32_t)((p->head + n) % PIPE_SIZE);
    p->count -= (uint32_t)n;
    waitq_wake_all(&p->wq);
    pollsrc_notify(&p->src, LX_POLLOUT);
    return (long)n;
}

/*
 * A read straight from the ring (call_copy_out_direct): the bytes at head when they lie in
 * one piece, are all the read gets and are more than PIPE_DIRECT_MIN, else NULL (the read
 * takes the ordinary path, which also handles an empty pipe). Not for FIFOs, whose pipe may outlive nothing.
 */
static const void *pipe_peek(struct file *f, uint64_t off, uint64_t *len)
{
    (void)off;
    struct pipe *p = f->priv;
    if (p->fifo || p->count == 0)
        return NULL;
    uint64_t n = *len < p->count ? *len : p->count;
    /* a small read is staged in the thread with its answer: no room held, no extra drive */
    if (n > PIPE_SIZE - p->head || n <= PIPE_DIRECT_MIN)
        return NULL;
    *len = n;
    return p->buf + p->head;
}

static void pipe_taken(struct file *f, uint64_t n)
{
    struct pipe *p = f->priv;
    p->head = (uint32_t)((p->head + n) % PIPE_SIZE);
    p->count -= (uint32_t)n;
    p->held += (uint32_t)n;
    if (!p->on_held_list) {
        p->on_held_list = 1;
        p->held_next = held_pipes;
        held_pipes = p;
    }
}

/* Readers waiting, nothing in the ring and no room held: a write may go straight to one of
   them (rw_hand_over) without passing over bytes written before it. */
SK_HOT static struct waitq *pipe_handoff(struct file *f)
{
    struct pipe *p = f->priv;
    return p->readers && p->count == 0 && p->held == 0 && p->rq.head ? &p->rq : NULL;
}

SK_HOT int pipe_bytes_held(void)
{
    return held_pipes != NULL;
}

SK_HOT void pipe_release_held(void)
{
    while (held_pipes) {
        struct pipe *p = held_pipes;
        held_pipes = p->held_next;
        p->on_held_list = 0;
        p->held = 0;
        if (p->unused) {
            pipe_free_if_unused(p);
            continue;
        }
        waitq_wake_all(&p->wq);
        pollsrc_notify(&p->src, LX_POLLOUT);
    }
}

SK_HOT static long pipe_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct pipe *p = f->priv;
    if (!p->readers)
        return -LX_EPIPE;
    uint32_t room = PIPE_SIZE - p->count - p->held;
    if (room == 0 || (len <= PIPE_BUF && room < len))
        return -LX_EAGAIN;
    uint64_t n = len < room ? len : room;
    uint32_t tail = (p->head + p->count) % PIPE_SIZE;
    uint64_t first = PIPE_SIZE - tail;
    if (first > n)
        first = n;
    memcpy(p->buf + tail, buf, first);
    memcpy(p->buf, (const uint8_t *)buf + first, n - first);
    p->count += (uint32_t)n;
    waitq_wake_all(&p->rq);
    pollsrc_notify(&p->src, LX_POLLIN);
    return (long)n;
}

static struct waitq *pipe_waitq(struct file *f, int writing)
{
    struct pipe *p = f->priv;
    return writing ? &p->wq : &p->rq;
}

static void pipe_free_if_unused(struct pipe *p)
{
    if (p->readers || p->writers || p->openq.head)
        return;
    if (p->held) {
        p->unused = 1; /* freed when the copies from its ring are taken */
        return;
    }
    if (p->fifo)
        p->fifo->fifo = NULL;
    if (p->anon_ino)
        p->anon_ino->fifo = NULL;
    sk_free(p->buf);
    sk_free(p);
}

static void pipe_release_read(struct file *f)
{
    struct pipe *p = f->priv;
    p->readers--;
    waitq_wake_all(&p->wq);
    pollsrc_notify(&p->src, LX_POLLERR);
    pipe_free_if_unused(p);
}

static void pipe_release_write(struct file *f)
{
    struct pipe *p = f->priv;
    p->writers--;
    waitq_wake_all(&p->rq);
    pollsrc_notify(&p->src, LX_POLLHUP);
    pipe_free_if_unused(p);
}

static void pipe_release_rw(struct file *f)
{
    struct pipe *p = f->priv;
    p->readers--;
    p->writers--;
    waitq_wake_all(&p->rq);
    waitq_wake_all(&p->wq);
    pollsrc_notify(&p->src, LX_POLLHUP);
    pipe_free_if_unused(p);
}

static uint32_t pipe_poll_read(struct file *f)
{
    struct pipe *p = f->priv;
    uint32_t m = 0;
    if (p->count)
        m |= LX_POLLIN | LX_POLLRDNORM;
    if (!p->writers && p->w_opens != 0)
        m |= LX_POLLHUP;
    if (!p->fifo && !p->writers)
        m |= LX_POLLHUP;
    return m;
}

static uint32_t pipe_poll_write(struct file *f)
{
    struct pipe *p = f->priv;
    uint32_t m = 0;
    if (PIPE_SIZE - p->count - p->held >= PIPE_BUF)
        m |= LX_POLLOUT | LX_POLLWRNORM;
    if (!p->readers)
        m |= LX_POLLERR;
    return m;
}

static uint32_t pipe_poll_rw(struct file *f)
{
    return pipe_poll_read(f) | pipe_poll_write(f);
}

static struct pollsrc *pipe_pollsrc(struct file *f)
{
    return &((struct pipe *)f->priv)->src;
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

static const struct file_ops pipe_read_ops = {.read = pipe_read, .peek = pipe_peek,
    .taken = pipe_taken, .ioctl = pipe_ioctl, .waitq = pipe_waitq, .poll = pipe_poll_read, .pollsrc = pipe_pollsrc,
    .release = pipe_release_read};
static const struct file_ops pipe_write_ops = {.write = pipe_write, .handoff = pipe_handoff, .ioctl = pipe_ioctl,
    .waitq = pipe_waitq, .poll = pipe_poll_write, .pollsrc = pipe_pollsrc, .release = pipe_release_write};
static const struct file_ops pipe_rw_ops = {.read = pipe_read, .write = pipe_write, .handoff = pipe_handoff,
    .peek = pipe_peek, .taken = pipe_taken, .ioctl = pipe_ioctl, .waitq = pipe_waitq, .poll = pipe_poll_rw, .pollsrc = pipe_pollsrc, .release = pipe_release_rw};

int pipe_create(struct file **rd, struct file **wr, uint32_t flags)
{
    struct pipe *p = sk_calloc(1, sizeof *p);
    struct inode *ino = inode_new(LX_S_IFIFO | 0600);
    uint8_t *buf = sk_malloc(PIPE_SIZE);
    static struct super pipefs = {.magic = LX_PIPEFS_MAGIC, .refs = 1}; /* (for ever) */
    if (!pipefs.dev)
        pipefs.dev = super_dev_new();
    if (ino)
        ino->sb = super_get(&pipefs);
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
    p->anon_ino = r->ino;
    r->ino->fifo = p;
    r->priv = w->priv = p;
    r->ops = &pipe_read_ops;
    w->ops = &pipe_write_ops;
    *rd = r;
    *wr = w;
    return 0;
}

/* ---- FIFOs ---- */

static struct pipe *fifo_pipe(struct inode *ino)
{
    if (ino->fifo)
        return ino->fifo;
    struct pipe *p = sk_calloc(1, sizeof *p);
    uint8_t *buf = sk_malloc(PIPE_SIZE);
    if (!p || !buf) {
        sk_free(p);
        sk_free(buf);
        return NULL;
    }
    p->buf = buf;
    p->fifo = ino;
    ino->fifo = p;
    return p;
}

static long fifo_install(struct lthread *t)
{
    struct file *f = t->file;
    t->file = NULL;
    int fd = fd_install(t->p->fds, 0, f, (int)t->ret);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* A reader waits for a writer's open (or the other way round): t->len holds the count of
   the other side's opens when it started waiting. */
static sk_error_t fifo_wait(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct pipe *p = t->file->priv;
    if (err)
        return err; /* call_return drops t->file: the count it took goes with it */
    int reading = (t->file->flags & LX_O_ACCMODE) == LX_O_RDONLY;
    uint32_t opens = reading ? p->w_opens : p->r_opens;
    if (opens == t->len) {
        waitq_park(&p->openq, t, fifo_wait);
        return SK_OK;
    }
    call_return(t, fifo_install(t));
    return SK_OK;
}

long fifo_open(struct lthread *t, struct inode *ino, uint32_t flags)
{
    struct pipe *p = fifo_pipe(ino);
    if (!p)
        return -LX_ENOMEM;
    uint32_t acc = flags & LX_O_ACCMODE;
    /* a pipe(2)'s end reopened (/proc/PID/fd/N): no waiting for the other end, as Linux's
       fifo_open for pipefs */
    int is_pipe = p->anon_ino != NULL;
    if (acc == LX_O_WRONLY && !p->readers && (flags & LX_O_NONBLOCK) && !is_pipe) {
        pipe_free_if_unused(p);
        return -LX_ENXIO;
    }
    struct file *f = file_open(ino, flags);
    if (!f) {
        pipe_free_if_unused(p);
        return -LX_ENOMEM;
    }
    f->priv = p;
    if (acc == LX_O_RDONLY) {
        f->ops = &pipe_read_ops;
        p->readers++;
        p->r_opens++;
    } else if (acc == LX_O_WRONLY) {
        f->ops = &pipe_write_ops;
        p->writers++;
        p->w_opens++;
    } else {
        f->ops = &pipe_rw_ops;
        p->readers++;
        p->writers++;
        p->r_opens++;
        p->w_opens++;
    }
    waitq_wake_all(&p->openq);
    pollsrc_notify(&p->src, LX_POLLIN | LX_POLLOUT);
    t->file = f;
    t->ret = (flags & LX_O_CLOEXEC) != 0;
    if (acc != LX_O_RDWR && !(flags & LX_O_NONBLOCK) && !is_pipe &&
        !(acc == LX_O_RDONLY ? p->writers : p->readers)) {
        t->len = acc == LX_O_RDONLY ? p->w_opens : p->r_opens;
        waitq_park(&p->openq, t, fifo_wait);
        return CALL_PENDING;
    }
    return fifo_install(t);
}
