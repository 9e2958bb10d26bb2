/*
 * Open files and descriptor tables: a file is an inode opened with status
 * flags and a position, shared by every descriptor dup'd or inherited from it;
 * a table maps descriptor numbers to files with a close-on-exec bit, shared by
 * threads (and copied by fork).
 */
#include "posix.h"

/* Does f count as a writer of a regular file (inode.writecount)? */
static int file_may_write(const struct file *f)
{
    return (f->ino->mode & LX_S_IFMT) == LX_S_IFREG && !(f->flags & LX_O_PATH) &&
           (f->flags & LX_O_ACCMODE) != LX_O_RDONLY;
}

struct file *file_open(struct inode *ino, uint32_t flags)
{
    struct file *f = sk_calloc(1, sizeof *f);
    if (!f)
        return NULL;
    px.n_files++;
    f->refs = 1;
    f->flags = flags & ~(uint32_t)(LX_O_CREAT | LX_O_EXCL | LX_O_NOCTTY | LX_O_TRUNC | LX_O_CLOEXEC);
    f->ino = inode_get(ino);
    if (file_may_write(f))
        ino->writecount++; /* (the opener checked there is no running image: ETXTBSY) */
    f->ops = ino->dev ? ino->dev : &tmpfs_file_ops;
    f->priv = ino->dev_priv;
    return f;
}

int file_whence_base(struct file *f, uint64_t whence, int64_t *base)
{
    switch (whence) {
    case 0:
        *base = 0;
        return 0;
    case 1:
        *base = (int64_t)f->pos;
        return 0;
    case 2:
        *base = f->ino->size;
        return 0;
    default:
        return -LX_EINVAL;
    }
}

void file_put(struct file *f)
{
    if (!f)
        return;
    if (--f->refs > 0) {
        if (f->ops && f->ops->unref)
            f->ops->unref(f);
        return;
    }
    lock_file_gone(f);
    if (f->epitems)
        epoll_file_gone(f); /* (before the release: the items hang on its source) */
    if (inotify_active() && !(f->flags & LX_O_PATH))
        inotify_event(f->ino, f->dir, f->name,
                      (f->flags & LX_O_ACCMODE) != LX_O_RDONLY ? IN_EV_CLOSE_WRITE : IN_EV_CLOSE_NOWRITE, 0);
    if (f->dir) {
        inode_put(f->dir);
        sk_free(f->name);
    }
    if (file_may_write(f))
        f->ino->writecount--;
    if (f->ops && f->ops->release)
        f->ops->release(f);
    inode_put(f->ino);
    sk_free(f);
    px.n_files--;
}

struct fdtable *fdt_new(void)
{
    struct fdtable *t = sk_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->refs = 1;
    t->limit = FD_DEFAULT;
    return t;
}

static int fdt_grow(struct fdtable *t, uint32_t need)
{
    if (need <= t->count)
        return 0;
    /* Linux's table starts at 64 and doubles; select ignores descriptors beyond it */
    uint32_t n = t->count ? t->count : 64;
    while (n < need)
        n *= 2;
    struct file **files = sk_calloc(n, sizeof *files);
    uint8_t *cloexec = sk_calloc(n, 1);
    if (!files || !cloexec) {
        sk_free(files);
        sk_free(cloexec);
        return -LX_ENOMEM;
    }
    if (t->count) {
        memcpy(files, t->files, t->count * sizeof *files);
        memcpy(cloexec, t->cloexec, t->count);
    }
    sk_free(t->files);
    sk_free(t->cloexec);
    t->files = files;
    t->cloexec = cloexec;
    t->count = n;
    return 0;
}

struct fdtable *fdt_copy(struct fdtable *src)
{
    struct fdtable *t = fdt_new();
    if (!t || fdt_grow(t, src->count)) {
        sk_free(t);
        return NULL;
    }
    t->limit = src->limit;
    for (uint32_t i = 0; i < src->count; i++) {
        if (src->files[i]) {
            t->files[i] = src->files[i];
            t->files[i]->refs++;
            t->cloexec[i] = src->cloexec[i];
        }
    }
    return t;
}

/* t lets go of f, a descriptor it held: t's POSIX locks on the file go (Linux's rule: any
   close of the file by the owner), then the reference. */
static void fd_drop(struct fdtable *t, struct file *f)
{
    if (!f)
        return;
    lock_table_closed(t, f->ino);
    file_put(f);
}

void fdt_put(struct fdtable *t)
{
    if (!t || --t->refs > 0)
        return;
    for (uint32_t i = 0; i < t->count; i++)
        fd_drop(t, t->files[i]);
    sk_free(t->files);
    sk_free(t->cloexec);
    sk_free(t);
}

SK_HOT struct file *fd_get(struct fdtable *t, int fd)
{
    if (fd < 0 || (uint32_t)fd >= t->count)
        return NULL;
    return t->files[fd];
}

int fd_install(struct fdtable *t, int min, struct file *f, int cloexec)
{
    if (min < 0 || (uint32_t)min >= t->limit)
        return -LX_EINVAL;
    for (int fd = min; (uint32_t)fd < t->limit; fd++) {
        if ((uint32_t)fd >= t->count && fdt_grow(t, (uint32_t)fd + 1))
            return -LX_ENOMEM;
        if (!t->files[fd]) {
            t->files[fd] = f;
            t->cloexec[fd] = cloexec != 0;
            return fd;
        }
    }
    return -LX_EMFILE;
}

/* Put f at exactly fd, closing what was there. */
int fd_install_at(struct fdtable *t, int fd, struct file *f, int cloexec)
{
    if (fd < 0 || (uint32_t)fd >= t->limit)
        return -LX_EBADF;
    if ((uint32_t)fd >= t->count && fdt_grow(t, (uint32_t)fd + 1))
        return -LX_ENOMEM;
    struct file *old = t->files[fd];
    t->files[fd] = f;
    t->cloexec[fd] = cloexec != 0;
    fd_drop(t, old);
    return fd;
}

int fd_close(struct fdtable *t, int fd)
{
    struct file *f = fd_get(t, fd);
    if (!f)
        return -LX_EBADF;
    t->files[fd] = NULL;
    t->cloexec[fd] = 0;
    fd_drop(t, f);
    return 0;
}

void fdt_close_on_exec(struct fdtable *t)
{
    for (uint32_t i = 0; i < t->count; i++)
        if (t->files[i] && t->cloexec[i]) {
            fd_drop(t, t->files[i]);
            t->files[i] = NULL;
            t->cloexec[i] = 0;
        }
}

int anon_fd_install(struct lthread *t, const struct file_ops *ops, void *priv, uint32_t flags)
{
    struct inode *ino = inode_new(0600); /* (an anonymous inode: no file type) */
    struct file *f = ino ? file_open(ino, LX_O_RDWR | (flags & LX_O_NONBLOCK)) : NULL;
    inode_put(ino);
    if (!f) {
        sk_free(priv);
        return -LX_ENOMEM;
    }
    f->priv = priv;
    f->ops = ops;
    int fd = fd_install(t->p->fds, 0, f, (flags & LX_O_CLOEXEC) != 0);
    if (fd < 0)
        file_put(f); /* (ops->release frees priv) */
    return fd;
}
