/*
 * File contents: tmpfs regular files (the data object mapped in the server) and
 * the character devices of /dev (null, zero, full, random, urandom, and the
 * console until the serial tty driver takes it over: output goes to the kernel
 * log a line at a time, input reads as end of file).
 */
#include "posix.h"
#include "tty.h"

/* ---- tmpfs regular files ---- */

static long tmpfs_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t;
    struct inode *ino = f->ino;
    if ((ino->mode & LX_S_IFMT) == LX_S_IFDIR)
        return -LX_EISDIR;
    if (off >= (uint64_t)ino->size)
        return 0;
    if (len > (uint64_t)ino->size - off)
        len = (uint64_t)ino->size - off;
    memcpy(buf, ino->map + off, len);
    if (len)
        inotify_event(ino, f->dir, f->name, IN_EV_ACCESS, 0);
    return (long)len;
}

static long tmpfs_write(struct file *f, struct lthread *t, const void *buf, uint64_t len,
                        uint64_t off)
{
    (void)t;
    struct inode *ino = f->ino;
    if (off + len < off)
        return -LX_EFBIG;
    if ((ino->seals & (LX_F_SEAL_WRITE | LX_F_SEAL_FUTURE_WRITE)) ||
        ((ino->seals & LX_F_SEAL_GROW) && off + len > (uint64_t)ino->size))
        return -LX_EPERM; /* (a sealed memfd) */
    if (off + len > (uint64_t)ino->size) {
        int e = file_set_size(ino, off + len);
        if (e)
            return e;
    }
    memcpy(ino->map + off, buf, len);
    inotify_event(ino, f->dir, f->name, IN_EV_MODIFY, 0);
    uint64_t now = 0;
    sk_clock_get(&now);
    ino->mtime = ino->ctime = (struct lx_timespec){(int64_t)(now / 1000000000ull),
                                                   (int64_t)(now % 1000000000ull)};
    return (long)len;
}

static const void *tmpfs_peek(struct file *f, uint64_t off, uint64_t *len)
{
    struct inode *ino = f->ino;
    if ((ino->mode & LX_S_IFMT) != LX_S_IFREG || off >= (uint64_t)ino->size)
        return NULL;
    if (*len > (uint64_t)ino->size - off)
        *len = (uint64_t)ino->size - off;
    if (*len)
        inotify_event(ino, f->dir, f->name, IN_EV_ACCESS, 0);
    return ino->map + off;
}

const struct file_ops tmpfs_file_ops = {.read = tmpfs_read, .write = tmpfs_write,
                                        .peek = tmpfs_peek};

/* ---- /dev ---- */

static long null_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)f, (void)t, (void)buf, (void)len, (void)off;
    return 0;
}
static long null_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)f, (void)t, (void)buf, (void)off;
    return (long)len;
}
static long zero_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)f, (void)t, (void)off;
    memset(buf, 0, len);
    return (long)len;
}
static long full_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)f, (void)t, (void)buf, (void)len, (void)off;
    return -LX_ENOSPC;
}

/* xorshift-style generator seeded from the clock: not for cryptography (noted in docs). */
static uint64_t rng_state;
uint64_t posix_random64(void)
{
    if (!rng_state) {
        uint64_t now = 0;
        sk_clock_get(&now);
        rng_state = now ^ 0x9e3779b97f4a7c15ull;
    }
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state * 0x2545f4914f6cdd1dull;
}
static long random_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)f, (void)t, (void)off;
    uint8_t *b = buf;
    for (uint64_t i = 0; i < len; i++)
        b[i] = (uint8_t)(posix_random64() >> 32);
    return (long)len;
}

static const struct file_ops null_ops = {.read = null_read, .write = null_write};
static const struct file_ops zero_ops = {.read = zero_read, .write = null_write};
static const struct file_ops full_ops = {.read = zero_read, .write = full_write};
static const struct file_ops random_ops = {.read = random_read, .write = null_write};

static void mknod(struct inode *dev, const char *name, uint32_t major, uint32_t minor,
                  uint32_t perm, const struct file_ops *ops, void *priv)
{
    struct inode *ino = inode_new(LX_S_IFCHR | perm);
    if (!ino)
        return;
    ino->rdev = major << 8 | minor;
    ino->dev = ops;
    ino->dev_priv = priv;
    dir_link(dev, name, ino);
    inode_put(ino);
}

void dev_init(void)
{
    struct inode *dev = dir_lookup(vfs_root, "dev", 3);
    if (!dev) {
        dev = inode_new(LX_S_IFDIR | 0755);
        if (!dev)
            return;
        dir_link(vfs_root, "dev", dev);
        inode_put(dev);
    }
    mknod(dev, "null", 1, 3, 0666, &null_ops, NULL);
    mknod(dev, "zero", 1, 5, 0666, &zero_ops, NULL);
    mknod(dev, "full", 1, 7, 0666, &full_ops, NULL);
    mknod(dev, "random", 1, 8, 0666, &random_ops, NULL);
    mknod(dev, "urandom", 1, 9, 0666, &random_ops, NULL);
    mknod(dev, "console", 5, 1, 0600, &tty_ops, &console_tty);
    mknod(dev, "tty", 5, 0, 0666, &devtty_ops, NULL);
    mknod(dev, "ttyS0", 4, 64, 0660, &tty_ops, &console_tty);
    mknod(dev, "ptmx", 5, 2, 0666, &ptmx_ops, NULL);
    pty_init(dev);
    /* /dev/fd and the standard streams, as udev makes them (bash's <(...) opens /dev/fd/N) */
    static const char *const links[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
                                           {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
    for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (dir_lookup(dev, links[i][0], strlen(links[i][0])))
            continue;
        struct inode *l = inode_new(LX_S_IFLNK | 0777);
        size_t n = strlen(links[i][1]);
        if (!l || !(l->target = sk_malloc(n + 1))) {
            inode_put(l);
            continue;
        }
        memcpy(l->target, links[i][1], n + 1);
        l->size = (int64_t)n;
        dir_link(dev, links[i][0], l);
        inode_put(l);
    }
    /* /dev/shm: where shm_open's names live (the same tmpfs), writable by all, sticky */
    if (!dir_lookup(dev, "shm", 3)) {
        struct inode *shm = inode_new(LX_S_IFDIR | 01777);
        if (shm) {
            dir_link(dev, "shm", shm);
            inode_put(shm);
        }
    }
}

