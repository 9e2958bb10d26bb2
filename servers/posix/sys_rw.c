/*
 * read, write, readv, writev, pread64, pwrite64: one engine. The caller's
 * pieces (one, or an iovec array copied in first) are moved through a bounce
 * buffer of at most RW_CHUNK bytes, a copy step per chunk, until the request is
 * done or a file operation returns less than asked. Bytes already moved are
 * returned even if a later piece faults, as Linux does.
 */
#include "posix.h"
#include "calls.h"

#define RW_CHUNK (64u << 10)
#define MAX_RW_COUNT 0x7ffff000ull
#define IOV_MAX 1024

static sk_error_t rw_next(struct lthread *t, int writing);

static long rw_finish(struct lthread *t, long err)
{
    sk_free(t->iov);
    t->iov = NULL;
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
    if (t->rw_pos >= 0)
        return (uint64_t)t->rw_pos + t->done;
    if ((f->flags & LX_O_APPEND) && (f->ino->mode & LX_S_IFMT) == LX_S_IFREG)
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
static sk_error_t write_copied(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
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
    if (t->iov_i == t->iov_n || t->done >= MAX_RW_COUNT || ((uint64_t)n < piece && !f->ops->waitq)) {
        call_return(t, rw_finish(t, 0));
        return SK_OK;
    }
    return rw_next(t, 1);
}

static sk_error_t read_again(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        call_return(t, rw_finish(t, errno_from_sk(err)));
        return SK_OK;
    }
    return rw_next(t, 0);
}

static sk_error_t read_copied(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
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
    if (n < piece || t->iov_i == t->iov_n || t->done >= MAX_RW_COUNT) {
        call_return(t, rw_finish(t, 0));
        return SK_OK;
    }
    return rw_next(t, 0);
}

static sk_error_t rw_next(struct lthread *t, int writing)
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
        return SK_OK;
    }
    if (n <= 0) {
        call_return(t, rw_finish(t, n == -LX_EAGAIN && t->done ? 0 : n));
        return SK_OK;
    }
    t->len = (uint64_t)n;
    return call_copy_out(t, at, t->buf, (uint64_t)n, read_copied);
}

/* Start the engine on t->iov (owned) for descriptor fd. */
static long rw_start(struct lthread *t, int fd, int writing, int64_t pos)
{
    struct file *f = fd_get(t->p->fds, fd);
    if (!f) {
        sk_free(t->iov);
        t->iov = NULL;
        return -LX_EBADF;
    }
    uint32_t acc = f->flags & LX_O_ACCMODE;
    if (writing ? acc == LX_O_RDONLY : acc == LX_O_WRONLY) {
        sk_free(t->iov);
        t->iov = NULL;
        return -LX_EBADF;
    }
    if (writing ? !f->ops->write : !f->ops->read) {
        sk_free(t->iov);
        t->iov = NULL;
        return -LX_EINVAL;
    }
    if (pos >= 0 && (f->ino->mode & LX_S_IFMT) != LX_S_IFREG && !f->ino->dev) {
        sk_free(t->iov);
        t->iov = NULL;
        return -LX_ESPIPE;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < t->iov_n; i++) {
        if (t->iov[i].len > MAX_RW_COUNT || total + t->iov[i].len < total) {
            sk_free(t->iov);
            t->iov = NULL;
            return -LX_EINVAL;
        }
        total += t->iov[i].len;
    }
    if (total == 0) {
        sk_free(t->iov);
        t->iov = NULL;
        return 0;
    }
    t->buf = sk_malloc(total < RW_CHUNK ? total : RW_CHUNK);
    if (!t->buf) {
        sk_free(t->iov);
        t->iov = NULL;
        return -LX_ENOMEM;
    }
    f->refs++;
    t->file = f;
    t->iov_i = 0;
    t->iov_off = 0;
    t->done = 0;
    t->rw_pos = pos;
    sk_error_t e = rw_next(t, writing);
    if (e)
        call_return(t, rw_finish(t, errno_from_sk(e)));
    return CALL_PENDING;
}

static long rw_single(struct lthread *t, int writing, int64_t pos)
{
    t->iov = sk_malloc(sizeof *t->iov);
    if (!t->iov)
        return -LX_ENOMEM;
    t->iov[0] = (struct lx_iovec){t->a[1], t->a[2]};
    t->iov_n = 1;
    return rw_start(t, (int)t->a[0], writing, pos);
}

long sys_read(struct lthread *t)
{
    return rw_single(t, 0, -1);
}

long sys_write(struct lthread *t)
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
        sk_free(t->iov);
        t->iov = NULL;
        return err;
    }
    long rc = rw_start(t, (int)t->a[0], t->phase & 1, t->phase >> 8 ? (int64_t)t->a[3] : -1);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static long rw_vector(struct lthread *t, int writing, int positioned)
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
    sk_error_t e = call_copy_in(t, t->a[1], t->iov, n * sizeof *t->iov, iov_copied);
    if (e) {
        sk_free(t->iov);
        t->iov = NULL;
        return errno_from_sk(e);
    }
    return CALL_PENDING;
}

long sys_readv(struct lthread *t)
{
    return rw_vector(t, 0, 0);
}

long sys_writev(struct lthread *t)
{
    return rw_vector(t, 1, 0);
}

long sys_preadv(struct lthread *t)
{
    return rw_vector(t, 0, 1);
}

long sys_pwritev(struct lthread *t)
{
    return rw_vector(t, 1, 1);
}
