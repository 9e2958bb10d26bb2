/*
 * read, write, readv, writev, pread64, pwrite64: one engine. The caller's
 * pieces (one, or an iovec array copied in first) are moved through a bounce
 * buffer of at most RW_CHUNK bytes, a copy step per chunk, until the request is
 * done or a file operation returns less than asked. Bytes already moved are
 * returned even if a later piece faults, as Linux does.
 */
#include "posix.h"
#include "calls.h"
#include "tty.h"

#define RW_CHUNK (64u << 10)
#define MAX_RW_COUNT 0x7ffff000ull
#define IOV_MAX 1024

static sk_error_t rw_next(struct lthread *t, int writing);

/* The caller's pieces are done with (a single one lives in the thread: no allocation). */
static void iov_drop(struct lthread *t)
{
    if (t->iov != &t->iov_one)
        sk_free(t->iov);
    t->iov = NULL;
}

static long rw_finish(struct lthread *t, long err)
{
    iov_drop(t);
    return t->done ? (long)t->done : err;
}

static uint64_t rw_piece(struct lthread *t)
{
    uint64_t left = t->iov[t->iov_i].len - t->iov_off;
    if (left > RW_CHUNK)
        left = RW_CHUNK;
    if (left > MAX_RW_COUNT - t->done)
        left = MAX_RW_COUNT - t->done;
    return left;
}

static uint64_t rw_offset(struct lthread *t)
{
    struct file *f = t->file;
    int reg = (f->ino->mode & LX_S_IFMT) == LX_S_IFREG;
    if (t->rw_append && reg && t->rw_pos >= 0)
        return (uint64_t)f->ino->size; /* (an explicit offset leaves the file's alone) */
    if (t->rw_pos >= 0)
        return (uint64_t)t->rw_pos + t->done;
    if (((f->flags & LX_O_APPEND) || t->rw_append) && reg)
        f->pos = (uint64_t)f->ino->size;
    return f->pos;
}

static void rw_advance(struct lthread *t, uint64_t n)
{
    t->done += n;
    t->iov_off += n;
    if (t->rw_pos < 0 && (t->file->ino->mode & LX_S_IFMT) == LX_S_IFREG)
        t->file->pos += n;
    while (t->iov_i < t->iov_n && t->iov_off == t->iov[t->iov_i].len) {
        t->iov_i++;
        t->iov_off = 0;
    }
}

/* The piece is in t->buf: hand it to the file (again, after a wait for room). */
SK_HOT static sk_error_t write_copied(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        call_return(t, rw_finish(t, errno_from_sk(err)));
        return SK_OK;
    }
    struct file *f = t->file;
    uint64_t piece = rw_piece(t);
    long n = f->ops->write(f, t, t->buf, piece, rw_offset(t));
    if (n == -LX_EAGAIN && f->ops->waitq) {
        if (f->flags & LX_O_NONBLOCK) {
            call_return(t, rw_finish(t, n));
            return SK_OK;
        }
        waitq_park(f->ops->waitq(f, 1), t, write_copied);
        return SK_OK;
    }
    if (n == -LX_EPIPE) {
        struct ksiginfo info = {.signo = LX_SIGPIPE, .code = LX_SI_USER, .pid = t->p->pid, .uid = t->p->uid};
        signal_send_thread(t, &info);
    }
    if (n < 0) {
        call_return(t, rw_finish(t, n));
        return SK_OK;
    }
    rw_advance(t, (uint64_t)n);
    if (t->iov_i == t->iov_n || t->done >= MAX_RW_COUNT || ((uint64_t)n < piece && !f->ops->waitq) ||
        f->ops->message) {
        call_return(t, rw_finish(t, 0));
        return SK_OK;
    }
    return rw_next(t, 1);
}

SK_HOT static sk_error_t read_again(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err == SK_ERR_TIMEOUT) {
        t->tty_timed_out = 1;
        t->req.abort = SK_OK; /* the timer ended the wait, not the call */
        return rw_next(t, 0);
    }
    if (err) {
        call_return(t, rw_finish(t, errno_from_sk(err)));
        return SK_OK;
    }
    return rw_next(t, 0);
}

SK_HOT static sk_error_t read_copied(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        call_return(t, rw_finish(t, errno_from_sk(err)));
        return SK_OK;
    }
    uint64_t n = t->len; /* what the file gave for this piece */
    uint64_t piece = rw_piece(t);
    rw_advance(t, n);
    if (n < piece || t->iov_i == t->iov_n || t->done >= MAX_RW_COUNT || t->file->ops->message) {
        call_return(t, rw_finish(t, 0));
        return SK_OK;
    }
    return rw_next(t, 0);
}

SK_HOT static sk_error_t rw_next(struct lthread *t, int writing)
{
    while (t->iov_i < t->iov_n && t->iov[t->iov_i].len == 0)
        t->iov_i++;
    if (t->iov_i == t->iov_n) {
        call_return(t, rw_finish(t, 0));
        return SK_OK;
    }
    uint64_t piece = rw_piece(t);
    uint64_t at = t->iov[t->iov_i].base + t->iov_off;
    if (writing)
        return call_copy_in(t, at, t->buf, piece, write_copied);
    struct file *f = t->file;
    long n = f->ops->read(f, t, t->buf, piece, rw_offset(t));
    if (n == CALL_PENDING)
        return SK_OK;
    if (n == -LX_EAGAIN && f->ops->waitq && !t->done && !(f->flags & LX_O_NONBLOCK)) {
        waitq_park(f->ops->waitq(f, 0), t, read_again);
        /* a terminal read with VTIME and no VMIN waits at most that long */
        uint64_t wait = tty_read_timeout_ns(f);
        if (wait && !sk_timer_armed(&t->req.deadline)) {
            uint64_t now = 0;
            sk_clock_get(&now);
            sk_req_deadline(&t->req, now + wait);
        }
        return SK_OK;
    }
    if (n <= 0) {
        call_return(t, rw_finish(t, n == -LX_EAGAIN && t->done ? 0 : n));
        return SK_OK;
    }
    t->len = (uint64_t)n;
    int last = (uint64_t)n < piece || t->done + (uint64_t)n >= MAX_RW_COUNT || f->ops->message ||
               (t->iov_i + 1 == t->iov_n && t->iov_off + (uint64_t)n == t->iov[t->iov_i].len);
    if (last && call_copy_out_fast_ok(t, at, (uint64_t)n)) {
        /* the last piece: the copy goes with the answer (call_copy_out) */
        rw_advance(t, (uint64_t)n);
        t->ret = rw_finish(t, 0);
        return call_copy_out(t, at, t->buf, (uint64_t)n, call_done_step);
    }
    return call_copy_out(t, at, t->buf, (uint64_t)n, read_copied);
}

/* A reader that rw_hand_over gave its bytes to: its read is done. */
SK_HOT static sk_error_t read_handed(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) { /* (cancelled in between: cannot happen, the two run back to back) */
        call_return(t, rw_finish(t, errno_from_sk(err)));
        return SK_OK;
    }
    rw_advance(t, t->len);
    call_return(t, rw_finish(t, 0));
    return SK_OK;
}

/*
 * A write of len bytes from one piece of t's memory to a file whose reader waits for data
 * (an empty pipe: file_ops.handoff) goes straight to that reader: one mem_copy from the
 * writer's space to the reader's, forgotten, ahead of both answers in the same batch (the
 * kernel takes a batch in order, so neither resumes before the bytes are there, and the
 * writer's buffer cannot change before they are taken). No copy into the server and out
 * again, and one trip through the queue instead of two. Only when the reader's read takes
 * all len bytes and the address-space model says both ranges are mapped as the copy needs
 * (it cannot fail then but for lack of memory, as call_copy_out). Returns 1 if done.
 */
SK_HOT static int rw_hand_over(struct lthread *t, struct file *f, uint64_t len)
{
    struct waitq *rq = f->ops->handoff(f);
    uint64_t from = t->iov[0].base;
    if (!rq || t->dead || !t->p->mm || !mm_range_readable(t->p->mm, from, len))
        return 0;
    struct lthread *r = NULL; /* the reader that has waited longest (last on rq) */
    for (struct lthread *w = rq->head; w; w = w->wait_next)
        if (w->wait_step == read_again)
            r = w;
    if (!r || r->dead || !r->p->mm || r->done || r->iov_i >= r->iov_n || rw_piece(r) < len ||
        r->copy_held)
        return 0;
    uint64_t to = r->iov[r->iov_i].base + r->iov_off;
    if (!call_copy_out_fast_ok(r, to, len))
        return 0;
    const uint64_t a[6] = {t->p->mm->space, from, r->p->mm->space, to, len, 0};
    if (sk_op_submit_forget6(&px.q, &r->copy_op, SK_OP_mem_copy, a) != SK_OK)
        return 0;
    px.handoffs++;
    call_return(t, (long)len);
    r->len = len;
    r->wait_step = read_handed;
    sk_req_wake(&r->req, 0); /* (its waitq step takes it off rq) */
    return 1;
}

/* Start the engine on t->iov (owned) for descriptor fd. */
SK_HOT static long rw_start(struct lthread *t, int fd, int writing, int64_t pos)
{
    struct file *f = fd_get(t->p->fds, fd);
    if (!f) {
        iov_drop(t);
        return -LX_EBADF;
    }
    uint32_t acc = f->flags & LX_O_ACCMODE;
    if (writing ? acc == LX_O_RDONLY : acc == LX_O_WRONLY) {
        iov_drop(t);
        return -LX_EBADF;
    }
    if (writing ? !f->ops->write : !f->ops->read) {
        iov_drop(t);
        return -LX_EINVAL;
    }
    if (pos >= 0 && (f->ino->mode & LX_S_IFMT) != LX_S_IFREG && !f->ino->dev) {
        iov_drop(t);
        return -LX_ESPIPE;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < t->iov_n; i++) {
        if (t->iov[i].len > MAX_RW_COUNT || total + t->iov[i].len < total) {
            iov_drop(t);
            return -LX_EINVAL;
        }
        total += t->iov[i].len;
    }
    if (total == 0) {
        iov_drop(t);
        return 0;
    }
    f->refs++;
    t->file = f;
    t->iov_i = 0;
    t->iov_off = 0;
    t->done = 0;
    t->rw_pos = pos;
    if (writing && t->iov_n == 1 && f->ops->handoff && rw_hand_over(t, f, total))
        return CALL_PENDING;
    if (!writing && t->iov_n == 1 && f->ops->peek) {
        /* the file's bytes are in the server: straight to the caller with the answer */
        uint64_t n = total;
        const void *src = f->ops->peek(f, rw_offset(t), &n);
        if (src) {
            uint64_t at = t->iov[0].base;
            rw_advance(t, n);
            if (call_copy_out_direct(t, at, src, n)) {
                if (f->ops->taken)
                    f->ops->taken(f, n);
                call_return(t, (long)n); /* (which drops iov and file) */
                return CALL_PENDING;
            }
            /* not that way: undo, and read as any file */
            if (t->rw_pos < 0)
                f->pos -= n;
            t->done = t->iov_i = 0;
            t->iov_off = 0;
        }
    }
    t->buf = sk_malloc(total < RW_CHUNK ? total : RW_CHUNK);
    if (!t->buf) {
        t->file = NULL;
        file_put(f);
        iov_drop(t);
        return -LX_ENOMEM;
    }
    sk_error_t e = rw_next(t, writing);
    if (e)
        call_return(t, rw_finish(t, errno_from_sk(e)));
    return CALL_PENDING;
}

SK_HOT static long rw_single(struct lthread *t, int writing, int64_t pos)
{
    t->iov = &t->iov_one;
    t->iov[0] = (struct lx_iovec){t->a[1], t->a[2]};
    t->iov_n = 1;
    return rw_start(t, (int)t->a[0], writing, pos);
}

SK_HOT long sys_read(struct lthread *t)
{
    return rw_single(t, 0, -1);
}

SK_HOT long sys_write(struct lthread *t)
{
    return rw_single(t, 1, -1);
}

long sys_pread64(struct lthread *t)
{
    if ((int64_t)t->a[3] < 0)
        return -LX_EINVAL;
    return rw_single(t, 0, (int64_t)t->a[3]);
}

long sys_pwrite64(struct lthread *t)
{
    if ((int64_t)t->a[3] < 0)
        return -LX_EINVAL;
    return rw_single(t, 1, (int64_t)t->a[3]);
}

static sk_error_t iov_copied(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        iov_drop(t);
        return err;
    }
    long rc = rw_start(t, (int)t->a[0], t->phase & 1, t->phase >> 8 ? (int64_t)t->a[3] : -1);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static long rw_vector(struct lthread *t, int writing, int positioned, int append)
{
    uint64_t n = t->a[2];
    if (n > IOV_MAX)
        return -LX_EINVAL;
    if (positioned && (int64_t)t->a[3] < 0)
        return -LX_EINVAL;
    if (!fd_get(t->p->fds, (int)t->a[0]))
        return -LX_EBADF;
    if (n == 0)
        return 0;
    t->iov = sk_malloc(n * sizeof *t->iov);
    if (!t->iov)
        return -LX_ENOMEM;
    t->iov_n = (uint32_t)n;
    t->phase = writing | positioned << 8;
    t->rw_append = append;
    sk_error_t e = call_copy_in(t, t->a[1], t->iov, n * sizeof *t->iov, iov_copied);
    if (e) {
        iov_drop(t);
        return errno_from_sk(e);
    }
    return CALL_PENDING;
}

long sys_readv(struct lthread *t)
{
    return rw_vector(t, 0, 0, 0);
}

long sys_writev(struct lthread *t)
{
    return rw_vector(t, 1, 0, 0);
}

long sys_preadv(struct lthread *t)
{
    return rw_vector(t, 0, 1, 0);
}

long sys_pwritev(struct lthread *t)
{
    return rw_vector(t, 1, 1, 0);
}

/*
 * preadv2/pwritev2(fd, iov, n, pos_l, pos_h, flags): pos -1 is the file's position; of the
 * flags RWF_HIPRI, RWF_DSYNC and RWF_SYNC change nothing here (tmpfs is memory), RWF_APPEND
 * writes at the end; RWF_NOWAIT is not supported (EOPNOTSUPP), nor any other flag.
 */
#define RWF_HIPRI 1u
#define RWF_DSYNC 2u
#define RWF_SYNC 4u
#define RWF_APPEND 16u

static long rw_vector2(struct lthread *t, int writing)
{
    uint64_t flags = t->a[5];
    if (flags & ~(uint64_t)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND))
        return -LX_EOPNOTSUPP;
    int64_t pos = (int64_t)t->a[3];
    if (pos < -1)
        return -LX_EINVAL;
    return rw_vector(t, writing, pos != -1, writing && (flags & RWF_APPEND));
}

long sys_preadv2(struct lthread *t)
{
    return rw_vector2(t, 0);
}

long sys_pwritev2(struct lthread *t)
{
    return rw_vector2(t, 1);
}

/*
 * sendfile(out, in, offset, count): moved through a server buffer, never the
 * caller's memory. t->buf holds read bytes not yet written ([iov_off, len)),
 * t->done counts bytes written, t->rw_pos the input position (the caller's
 * *offset, or -1 for the input file's own position); a[3] the count left.
 */
static sk_error_t sendfile_more(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t sendfile_finish(struct lthread *t, long err)
{
    long rc = t->done ? (long)t->done : err;
    if (t->a[2] && t->done) {
        /* the new offset goes back to the caller */
        t->ret = rc;
        uint64_t *o = (uint64_t *)((uint8_t *)t->buf + RW_CHUNK);
        *o = (uint64_t)t->rw_pos;
        return call_copy_out(t, t->a[2], o, 8, call_done_step);
    }
    call_return(t, rc);
    return SK_OK;
}

static sk_error_t sendfile_step(struct lthread *t)
{
    struct file *out = t->file;
    struct file *in = (struct file *)t->iov;
    for (;;) {
        if (t->iov_off < t->len) {
            long w = out->ops->write(out, t, (uint8_t *)t->buf + t->iov_off, t->len - t->iov_off, out->pos);
            if (w == -LX_EAGAIN && out->ops->waitq && !(out->flags & LX_O_NONBLOCK)) {
                waitq_park(out->ops->waitq(out, 1), t, sendfile_more);
                return SK_OK;
            }
            if (w == -LX_EPIPE) {
                struct ksiginfo info = {.signo = LX_SIGPIPE, .code = LX_SI_USER, .pid = t->p->pid};
                signal_send_thread(t, &info);
            }
            if (w <= 0)
                return sendfile_finish(t, w ? w : -LX_EIO);
            if ((out->ino->mode & LX_S_IFMT) == LX_S_IFREG)
                out->pos += (uint64_t)w;
            t->iov_off += (uint64_t)w;
            t->done += (uint64_t)w;
            continue;
        }
        uint64_t left = t->a[3] - t->done;
        if (!left)
            return sendfile_finish(t, 0);
        uint64_t chunk = left < RW_CHUNK ? left : RW_CHUNK;
        uint64_t pos = t->rw_pos >= 0 ? (uint64_t)t->rw_pos : in->pos;
        long n = in->ops->read(in, t, t->buf, chunk, pos);
        if (n == -LX_EAGAIN && in->ops->waitq && !t->done && !(in->flags & LX_O_NONBLOCK)) {
            waitq_park(in->ops->waitq(in, 0), t, sendfile_more);
            return SK_OK;
        }
        if (n <= 0)
            return sendfile_finish(t, n == -LX_EAGAIN && t->done ? 0 : n);
        if (t->rw_pos >= 0)
            t->rw_pos += n;
        else if ((in->ino->mode & LX_S_IFMT) == LX_S_IFREG)
            in->pos += (uint64_t)n;
        t->iov_off = 0;
        t->len = (uint64_t)n;
    }
}

static sk_error_t sendfile_more(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return sendfile_finish(t, errno_from_sk(err));
    return sendfile_step(t);
}

static sk_error_t sendfile_offset_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    int64_t off = *(int64_t *)((uint8_t *)t->buf + RW_CHUNK);
    if (off < 0) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    t->rw_pos = off;
    return sendfile_step(t);
}

long sys_sendfile(struct lthread *t)
{
    struct file *out = fd_get(t->p->fds, (int)t->a[0]);
    struct file *in = fd_get(t->p->fds, (int)t->a[1]);
    if (!out || !in)
        return -LX_EBADF;
    if ((out->flags & LX_O_ACCMODE) == LX_O_RDONLY || (in->flags & LX_O_ACCMODE) == LX_O_WRONLY)
        return -LX_EBADF;
    if (!in->ops->read || !out->ops->write || (in->ino->mode & LX_S_IFMT) == LX_S_IFDIR)
        return -LX_EINVAL;
    if (out->flags & LX_O_APPEND)
        return -LX_EINVAL;
    if (t->a[2] && !in->ops->waitq && (in->ino->mode & LX_S_IFMT) != LX_S_IFREG)
        return -LX_ESPIPE;
    if (t->a[3] > MAX_RW_COUNT)
        t->a[3] = MAX_RW_COUNT;
    if (t->a[3] == 0)
        return 0;
    t->buf = sk_malloc(RW_CHUNK + 8);
    if (!t->buf)
        return -LX_ENOMEM;
    out->refs++;
    t->file = out;
    /* the input file rides in t->iov (a file reference, released at the end) */
    in->refs++;
    t->iov = (struct lx_iovec *)in;
    t->sendfile_in = 1;
    t->done = t->len = t->iov_off = 0;
    t->rw_pos = -1;
    sk_error_t e;
    if (t->a[2])
        e = call_copy_in(t, t->a[2], (uint8_t *)t->buf + RW_CHUNK, 8, sendfile_offset_read);
    else
        e = sendfile_step(t);
    return e ? errno_from_sk(e) : CALL_PENDING;
}
