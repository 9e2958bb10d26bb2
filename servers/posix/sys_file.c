/*
 * File calls on descriptors and paths: open/openat/creat, close, the stat
 * family, lseek, getdents64, dup/dup2/dup3, fcntl, ioctl, getcwd/chdir/fchdir,
 * access/faccessat, readlink, mkdir, unlink/rmdir. Paths are read with
 * call_read_string, then the work is done at once (tmpfs lives in the server).
 */
#include "posix.h"
#include "calls.h"

#define PATH_MAX 4096

/* The directory a *at() call starts from: dirfd, or the cwd for AT_FDCWD. */
static int at_dir(struct lthread *t, int dirfd, const char *path, struct inode **out)
{
    if (path[0] == '/' || dirfd == LX_AT_FDCWD) {
        *out = t->p->cwd;
        return 0;
    }
    struct file *f = fd_get(t->p->fds, dirfd);
    if (!f)
        return -LX_EBADF;
    if ((f->ino->mode & LX_S_IFMT) != LX_S_IFDIR)
        return -LX_ENOTDIR;
    *out = f->ino;
    return 0;
}

/* Begin a path call: read the path argument a[i], then run next. */
static long with_path(struct lthread *t, uint64_t uaddr, sk_req_fn next)
{
    sk_error_t e = call_read_string(t, uaddr, PATH_MAX, next);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- open ---- */

/* A file just made: opened whatever its mode says, on the lowest free descriptor. */
static long open_new(struct lthread *t, struct inode *ino, uint32_t flags)
{
    struct file *f = file_open(ino, flags);
    if (!f)
        return -LX_ENOMEM;
    int fd = fd_install(t->p->fds, 0, f, (flags & LX_O_CLOEXEC) != 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

/*
 * O_TMPFILE: a regular file in dir's file system with no name (nlink 0), gone at its last
 * close unless linkat gives it one (not with O_EXCL).
 */
static long open_tmpfile(struct lthread *t, struct inode *dir, uint32_t flags, uint32_t mode)
{
    if ((dir->mode & LX_S_IFMT) != LX_S_IFDIR)
        return -LX_ENOTDIR;
    if (dir->nlink == 0)
        return -LX_ENOENT;
    int e = vfs_permission(t->p, dir, 3);
    if (e)
        return e;
    struct inode *ino = inode_new(LX_S_IFREG | (mode & 07777 & ~t->p->umask));
    if (!ino)
        return -LX_ENOMEM;
    ino->nlink = 0;
    ino->uid = t->p->euid;
    ino->gid = (dir->mode & 02000) ? dir->gid : t->p->egid;
    ino->sb = super_get(dir->sb);
    ino->linkable = !(flags & LX_O_EXCL);
    long fd = open_new(t, ino, flags & ~(uint32_t)LX_O_TMPFILE);
    inode_put(ino); /* (the file holds it) */
    return fd;
}

/* The file at fd was opened through dir and name: remembered while inotify watches
   anything, and IN_OPEN told. */
static long opened(long fd, struct lthread *t, struct inode *dir, const char *name)
{
    if (fd < 0 || !inotify_active())
        return fd;
    struct file *f = fd_get(t->p->fds, (int)fd);
    if (!f || f->dir)
        return fd;
    size_t n = name ? strlen(name) : 0;
    if (dir && n && (f->name = sk_malloc(n + 1))) {
        memcpy(f->name, name, n + 1);
        f->dir = inode_get(dir);
    }
    if (!(f->flags & LX_O_PATH))
        inotify_event(f->ino, f->dir, f->name, IN_EV_OPEN, 0);
    return fd;
}

/* The directory and last name of path (for inotify; only looked up while it watches). */
static void parent_name(struct lthread *t, struct inode *at, const char *path, struct inode **dir,
                        char *name)
{
    const char *last;
    *dir = NULL;
    name[0] = '\0';
    if (!inotify_active() || vfs_lookup(t->p, at, path, LOOKUP_PARENT, dir, &last) != 0) {
        *dir = NULL;
        return;
    }
    size_t n = 0;
    while (last[n] && last[n] != '/' && n < 255)
        n++;
    memcpy(name, last, n);
    name[n] = '\0';
}

static long do_open(struct lthread *t, int dirfd, const char *path, uint32_t flags, uint32_t mode)
{
    struct inode *dir, *ino = NULL;
    if ((flags & LX_O_TMPFILE_BIT) &&
        ((flags & (LX_O_TMPFILE | LX_O_CREAT)) != LX_O_TMPFILE ||
         (flags & LX_O_ACCMODE) == LX_O_RDONLY))
        return -LX_EINVAL; /* O_TMPFILE wants write access and no O_CREAT */
    if (!path[0])
        return -LX_ENOENT;
    flags |= LX_O_LARGEFILE; /* (Linux sets it on every open of a 64-bit kernel: F_GETFL shows it) */
    int e = at_dir(t, dirfd, path, &dir);
    if (e)
        return e;
    uint32_t lookup = (flags & LX_O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    e = vfs_lookup(t->p, dir, path, lookup, &ino, NULL);
    if (e == -LX_ENOENT && (flags & LX_O_CREAT)) {
        const char *last;
        struct inode *parent;
        e = vfs_lookup(t->p, dir, path, LOOKUP_PARENT, &parent, &last);
        if (e)
            return e;
        if (!*last)
            return -LX_EISDIR;
        size_t n = strlen(last);
        while (n && last[n - 1] == '/')
            n--;
        char name[256];
        if (n > 255)
            return -LX_ENAMETOOLONG;
        memcpy(name, last, n);
        name[n] = '\0';
        if (n != strlen(last))
            return -LX_EISDIR;
        if ((e = vfs_permission(t->p, parent, 3)))
            return e;
        ino = inode_new(LX_S_IFREG | (mode & 07777 & ~t->p->umask));
        if (!ino)
            return -LX_ENOMEM;
        ino->uid = t->p->euid;
        ino->gid = (parent->mode & 02000) ? parent->gid : t->p->egid;
        e = dir_link(parent, name, ino);
        if (e) {
            inode_put(ino);
            return e;
        }
        inotify_event(ino, parent, name, IN_EV_CREATE, 0);
        long fd = opened(open_new(t, ino, flags), t, parent, name);
        inode_put(ino);
        return fd;
    } else if (e) {
        return e;
    } else if ((flags & LX_O_CREAT) && (flags & LX_O_EXCL)) {
        return -LX_EEXIST;
    }
    if (flags & LX_O_TMPFILE_BIT)
        return open_tmpfile(t, ino, flags, mode);
    uint32_t type = ino->mode & LX_S_IFMT;
    if (type == LX_S_IFLNK)
        return -LX_ELOOP;
    if ((flags & LX_O_DIRECTORY) && type != LX_S_IFDIR)
        return -LX_ENOTDIR;
    uint32_t acc = flags & LX_O_ACCMODE;
    if (type == LX_S_IFDIR && (acc != LX_O_RDONLY || (flags & LX_O_CREAT)))
        return -LX_EISDIR;
    if (!(flags & LX_O_PATH)) {
        int need = (acc == LX_O_RDONLY ? 4 : acc == LX_O_WRONLY ? 2 : 6) |
                   ((flags & LX_O_TRUNC) && acc == LX_O_RDONLY ? 2 : 0);
        if ((e = vfs_permission(t->p, ino, need)))
            return e;
    }
    if (type == LX_S_IFREG && ino->writecount < 0 && !(flags & LX_O_PATH) &&
        (acc != LX_O_RDONLY || (flags & LX_O_TRUNC)))
        return -LX_ETXTBSY; /* a program runs from it */
    if (type == LX_S_IFIFO)
        return fifo_open(t, ino, flags);
    if ((type == LX_S_IFCHR || type == LX_S_IFBLK) && !(flags & LX_O_PATH) &&
        (super_of(ino)->flags & LX_MS_NODEV))
        return -LX_EACCES; /* device nodes on a nodev mount do not open */
    if ((type == LX_S_IFCHR || type == LX_S_IFBLK) && !ino->dev)
        return -LX_ENXIO;
    if (type == LX_S_IFSOCK)
        return -LX_ENXIO;
    if ((flags & LX_O_TRUNC) && type == LX_S_IFREG && !ino->gen) {
        e = file_set_size(ino, 0);
        if (e)
            return e;
    }
    struct file *f = file_open(ino, flags);
    if (!f)
        return -LX_ENOMEM;
    if (ino->gen && (e = procfs_open(f, t->p))) {
        file_put(f);
        return e;
    }
    if (f->ops->open && (e = (int)f->ops->open(f, t, flags))) {
        file_put(f);
        return e;
    }
    int fd = fd_install(t->p->fds, 0, f, (flags & LX_O_CLOEXEC) != 0);
    if (fd < 0) {
        file_put(f);
        return fd;
    }
    struct inode *pdir;
    char pname[256];
    parent_name(t, dir, path, &pdir, pname);
    return opened(fd, t, pdir, pname);
}

static sk_error_t open_path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    long rc = do_open(t, t->phase, t->buf, (uint32_t)t->a[4], (uint32_t)t->a[5]);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

long sys_open(struct lthread *t)
{
    t->phase = LX_AT_FDCWD;
    t->a[4] = t->a[1];
    t->a[5] = t->a[2];
    return with_path(t, t->a[0], open_path_read);
}

long sys_openat(struct lthread *t)
{
    t->phase = (int)t->a[0];
    t->a[4] = t->a[2];
    t->a[5] = t->a[3];
    return with_path(t, t->a[1], open_path_read);
}

long sys_creat(struct lthread *t)
{
    t->phase = LX_AT_FDCWD;
    t->a[4] = LX_O_CREAT | LX_O_WRONLY | LX_O_TRUNC;
    t->a[5] = t->a[1];
    return with_path(t, t->a[0], open_path_read);
}

long sys_close(struct lthread *t)
{
    return fd_close(t->p->fds, (int)t->a[0]);
}

/* close_range(first, last, flags): close, or with CLOSE_RANGE_CLOEXEC mark close-on-exec,
   every open descriptor from first to last (the table is the process's own: UNSHARE has
   nothing to do until threads share tables). */
long sys_close_range(struct lthread *t)
{
    uint32_t first = (uint32_t)t->a[0], last = (uint32_t)t->a[1];
    uint64_t flags = t->a[2];
    if ((flags & ~(uint64_t)(2 /* UNSHARE */ | 4 /* CLOEXEC */)) || first > last)
        return -LX_EINVAL;
    struct fdtable *ft = t->p->fds;
    for (uint64_t fd = first; fd <= last && fd < ft->count; fd++) {
        if (!ft->files[fd])
            continue;
        if (flags & 4)
            ft->cloexec[fd] = 1;
        else
            fd_close(ft, (int)fd);
    }
    return 0;
}

/* fadvise64(fd, offset, len, advice): checked and taken; tmpfs data is always in memory. */
long sys_fadvise64(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    uint32_t type = f->ino->mode & LX_S_IFMT;
    if (type == LX_S_IFIFO || type == LX_S_IFSOCK)
        return -LX_ESPIPE;
    if (t->a[3] > 5 || (int64_t)t->a[2] < 0)
        return -LX_EINVAL;
    return 0;
}

/* ---- stat ---- */

static void fill_stat(struct inode *ino, struct lx_stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_dev = super_of(ino)->dev;
    st->st_ino = ino->ino;
    st->st_nlink = ino->nlink;
    st->st_mode = ino->mode;
    st->st_uid = ino->uid;
    st->st_gid = ino->gid;
    st->st_rdev = ino->rdev;
    st->st_size = ino->size;
    if ((ino->mode & LX_S_IFMT) == LX_S_IFDIR) {
        /* tmpfs's directory size, as Linux counts it: 20 bytes an entry and 40 for . and ..;
           procfs directories read 0 */
        st->st_size = 0;
        if (!ino->gen) {
            st->st_size = 40;
            for (struct dentry *d = ino->children; d; d = d->next)
                st->st_size += 20;
        }
    }
    st->st_blksize = 4096;
    st->st_blocks = (st->st_size + 511) / 512;
    if (ino->gen) { /* procfs: Linux's block size there, and no blocks */
        st->st_blksize = 1024;
        st->st_blocks = 0;
    }
    st->st_atim = ino->atime;
    st->st_mtim = ino->mtime;
    st->st_ctim = ino->ctime;
}

static struct lx_statx_timestamp statx_time(struct lx_timespec ts)
{
    return (struct lx_statx_timestamp){ts.tv_sec, (uint32_t)ts.tv_nsec, 0};
}

/* statx: what stat says, with the attributes Linux reports for a tmpfs or procfs node */
static void fill_statx(struct inode *ino, struct lx_statx *sx)
{
    struct lx_stat st;
    fill_stat(ino, &st);
    memset(sx, 0, sizeof *sx);
    sx->stx_mask = LX_STATX_BASIC_STATS | LX_STATX_MNT_ID;
    sx->stx_blksize = (uint32_t)st.st_blksize;
    sx->stx_nlink = (uint32_t)st.st_nlink;
    sx->stx_uid = st.st_uid;
    sx->stx_gid = st.st_gid;
    sx->stx_mode = (uint16_t)st.st_mode;
    sx->stx_ino = st.st_ino;
    sx->stx_size = (uint64_t)st.st_size;
    sx->stx_blocks = (uint64_t)st.st_blocks;
    sx->stx_atime = statx_time(st.st_atim);
    sx->stx_mtime = statx_time(st.st_mtim);
    sx->stx_ctime = statx_time(st.st_ctim);
    sx->stx_rdev_major = (uint32_t)((st.st_rdev >> 8) & 0xfff);
    sx->stx_rdev_minor = (uint32_t)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xfff00));
    sx->stx_dev_major = 0;
    sx->stx_dev_minor = (uint32_t)st.st_dev;
    sx->stx_mnt_id = st.st_dev;
    /* every file: AUTOMOUNT, MOUNT_ROOT, DAX known; tmpfs adds APPEND, IMMUTABLE, NODUMP */
    sx->stx_attributes_mask = 0x1000 | 0x2000 | 0x200000;
    if (!ino->gen)
        sx->stx_attributes_mask |= 0x10 | 0x20 | 0x40;
    int root = ino == vfs_root;
    for (struct mount *m = mounts; m && !root; m = m->next)
        root = m->root == ino;
    if (root)
        sx->stx_attributes |= 0x2000;
}

static long stat_out(struct lthread *t, struct inode *ino, uint64_t ubuf)
{
    sk_free(t->buf);
    if (t->nr == 332) { /* statx */
        t->buf = sk_malloc(sizeof(struct lx_statx));
        if (!t->buf)
            return -LX_ENOMEM;
        fill_statx(ino, t->buf);
        t->ret = 0;
        sk_error_t e = call_copy_out(t, ubuf, t->buf, sizeof(struct lx_statx), call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    t->buf = sk_malloc(sizeof(struct lx_stat));
    if (!t->buf)
        return -LX_ENOMEM;
    fill_stat(ino, t->buf);
    t->ret = 0;
    sk_error_t e = call_copy_out(t, ubuf, t->buf, sizeof(struct lx_stat), call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_fstat(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    return stat_out(t, f->ino, t->a[1]);
}

/* a[4]: dirfd, a[5]: flags; the stat buffer address in t->len after the path is read */
static sk_error_t stat_path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    const char *path = t->buf;
    int dirfd = (int)t->a[4];
    uint32_t flags = (uint32_t)t->a[5];
    struct inode *dir, *ino;
    long rc;
    if (!path[0]) {
        if (!(flags & LX_AT_EMPTY_PATH)) {
            rc = -LX_ENOENT;
        } else if (dirfd == LX_AT_FDCWD) {
            rc = stat_out(t, t->p->cwd, t->a[3]);
        } else {
            struct file *f = fd_get(t->p->fds, dirfd);
            rc = f ? stat_out(t, f->ino, t->a[3]) : -LX_EBADF;
        }
    } else if ((rc = at_dir(t, dirfd, path, &dir)) == 0) {
        rc = vfs_lookup(t->p, dir, path, (flags & LX_AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &ino, NULL);
        if (!rc)
            rc = stat_out(t, ino, t->a[3]);
    }
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static long stat_common(struct lthread *t, int dirfd, uint64_t upath, uint64_t ubuf, uint32_t flags)
{
    if (flags & ~(uint32_t)(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | 0x800 /* NO_AUTOMOUNT */))
        return -LX_EINVAL;
    t->a[3] = ubuf;
    t->a[4] = (uint64_t)(int64_t)dirfd;
    t->a[5] = flags;
    return with_path(t, upath, stat_path_read);
}

long sys_stat(struct lthread *t)
{
    return stat_common(t, LX_AT_FDCWD, t->a[0], t->a[1], 0);
}

long sys_lstat(struct lthread *t)
{
    return stat_common(t, LX_AT_FDCWD, t->a[0], t->a[1], LX_AT_SYMLINK_NOFOLLOW);
}

long sys_newfstatat(struct lthread *t)
{
    return stat_common(t, (int)t->a[0], t->a[1], t->a[2], (uint32_t)t->a[3]);
}

long sys_statx(struct lthread *t)
{
    uint32_t flags = (uint32_t)t->a[2], mask = (uint32_t)t->a[3];
    if ((flags & LX_AT_STATX_SYNC_TYPE) == LX_AT_STATX_SYNC_TYPE || (mask & LX_STATX__RESERVED))
        return -LX_EINVAL;
    if (!t->a[1])
        return -LX_EFAULT;
    return stat_common(t, (int)t->a[0], t->a[1], t->a[4], flags & ~LX_AT_STATX_SYNC_TYPE);
}

/* ---- positions and directories ---- */

long sys_lseek(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    uint32_t type = f->ino->mode & LX_S_IFMT;
    if (f->ino->dev)
        return 0; /* character devices: the position means nothing */
    if (type != LX_S_IFREG && type != LX_S_IFDIR)
        return -LX_ESPIPE;
    int64_t off = (int64_t)t->a[1], base;
    if (file_whence_base(f, t->a[2], &base))
        return -LX_EINVAL;
    int64_t np = base + off;
    if ((off > 0 && np < base) || np < 0)
        return -LX_EINVAL;
    f->pos = (uint64_t)np;
    return np;
}

static uint8_t dtype(uint32_t mode)
{
    switch (mode & LX_S_IFMT) {
    case LX_S_IFDIR:
        return LX_DT_DIR;
    case LX_S_IFREG:
        return LX_DT_REG;
    case LX_S_IFLNK:
        return LX_DT_LNK;
    case LX_S_IFCHR:
        return LX_DT_CHR;
    case LX_S_IFBLK:
        return LX_DT_BLK;
    case LX_S_IFIFO:
        return LX_DT_FIFO;
    case LX_S_IFSOCK:
        return LX_DT_SOCK;
    }
    return LX_DT_UNKNOWN;
}

/* getdents64: entry k of the directory is ".", "..", then the children in order; the file
   position counts entries. */
long sys_getdents64(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    struct inode *dir = f->ino;
    if ((dir->mode & LX_S_IFMT) != LX_S_IFDIR)
        return -LX_ENOTDIR;
    vfs_refresh(dir, t->p);
    uint64_t cap = t->a[2] > (64u << 10) ? (64u << 10) : t->a[2];
    t->buf = sk_malloc(cap ? cap : 1);
    if (!t->buf)
        return -LX_ENOMEM;
    uint64_t used = 0, k = 0;
    struct dentry *d = dir->children;
    for (;; k++) {
        const char *name;
        struct inode *ino;
        if (k == 0)
            name = ".", ino = dir;
        else if (k == 1)
            name = "..", ino = dir->parent ? dir->parent : dir;
        else {
            if (!d)
                break;
            name = d->name, ino = d->ino;
            d = d->next;
        }
        if (k < f->pos)
            continue;
        size_t nl = strlen(name);
        uint64_t reclen = (19 + nl + 1 + 7) & ~7ull;
        if (used + reclen > cap) {
            if (used == 0) {
                return -LX_EINVAL;
            }
            break;
        }
        struct lx_dirent64 *de = (struct lx_dirent64 *)((uint8_t *)t->buf + used);
        de->d_ino = ino->ino;
        de->d_off = (int64_t)(k + 1);
        de->d_reclen = (uint16_t)reclen;
        de->d_type = dtype(ino->mode);
        memcpy(de->d_name, name, nl + 1);
        memset(de->d_name + nl + 1, 0, reclen - 19 - nl - 1);
        used += reclen;
        f->pos = k + 1;
    }
    if (!used)
        return 0;
    t->ret = (long)used;
    sk_error_t e = call_copy_out(t, t->a[1], t->buf, used, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- descriptors ---- */

long sys_dup(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    f->refs++;
    int fd = fd_install(t->p->fds, 0, f, 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long dup_to(struct lthread *t, int oldfd, int newfd, int cloexec)
{
    struct file *f = fd_get(t->p->fds, oldfd);
    if (!f)
        return -LX_EBADF;
    if (newfd < 0 || (uint32_t)newfd >= t->p->fds->limit)
        return -LX_EBADF;
    f->refs++;
    return fd_install_at(t->p->fds, newfd, f, cloexec);
}

long sys_dup2(struct lthread *t)
{
    if (t->a[0] == t->a[1])
        return fd_get(t->p->fds, (int)t->a[0]) ? (long)t->a[0] : -LX_EBADF;
    return dup_to(t, (int)t->a[0], (int)t->a[1], 0);
}

long sys_dup3(struct lthread *t)
{
    if (t->a[2] & ~(uint64_t)LX_O_CLOEXEC)
        return -LX_EINVAL;
    if (t->a[0] == t->a[1])
        return -LX_EINVAL;
    return dup_to(t, (int)t->a[0], (int)t->a[1], (t->a[2] & LX_O_CLOEXEC) != 0);
}

#define LX_F_DUPFD 0
#define LX_F_GETFD 1
#define LX_F_SETFD 2
#define LX_F_GETFL 3
#define LX_F_SETFL 4
#define LX_F_DUPFD_CLOEXEC 1030

/* Does any process map ino shared and writable (F_SEAL_WRITE must wait: EBUSY)? */
static int mapped_writable(struct inode *ino)
{
    for (struct proc *p = procs; p; p = p->all_next)
        if (p->mm)
            for (struct vma *v = p->mm->vmas; v; v = v->next)
                if (v->file == ino && (v->flags & VMA_SHARED) && (v->prot & LX_PROT_WRITE))
                    return 1;
    return 0;
}

/* F_ADD_SEALS and F_GET_SEALS (Linux's memfd_fcntl): tmpfs files have seals, and all but a
   memfd made with MFD_ALLOW_SEALING start with F_SEAL_SEAL. */
static long seals_fcntl(struct lthread *t, struct file *f)
{
    struct inode *ino = f->ino;
    if ((ino->mode & LX_S_IFMT) != LX_S_IFREG || f->ops != &tmpfs_file_ops)
        return -LX_EINVAL;
    uint32_t have = ino->memfd_name ? ino->seals : LX_F_SEAL_SEAL;
    if (t->a[1] == 1034)
        return have;
    uint32_t add = (uint32_t)t->a[2];
    if ((f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return -LX_EPERM;
    if ((uint64_t)add != t->a[2] || (add & ~(uint32_t)0x1f))
        return -LX_EINVAL;
    if (have & LX_F_SEAL_SEAL)
        return -LX_EPERM;
    if ((add & LX_F_SEAL_WRITE) && !(have & LX_F_SEAL_WRITE) && mapped_writable(ino))
        return -LX_EBUSY;
    ino->seals |= add;
    return 0;
}

/* memfd_create(name, flags): an unnamed tmpfs file (0777, "memfd:name" in /proc/PID/fd). */
static sk_error_t memfd_name_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    const char *name = t->buf;
    size_t n = strlen(name);
    static struct super memfs = {.magic = 0x01021994 /* TMPFS_MAGIC */, .refs = 1}; /* (for ever) */
    if (!memfs.dev)
        memfs.dev = super_dev_new();
    struct inode *ino = inode_new(LX_S_IFREG | 0777);
    char *copy = sk_malloc(n + 1);
    if (!ino || !copy) {
        inode_put(ino);
        sk_free(copy);
        call_return(t, -LX_ENOMEM);
        return SK_OK;
    }
    memcpy(copy, name, n + 1);
    ino->nlink = 0;
    ino->uid = t->p->euid;
    ino->gid = t->p->egid;
    ino->sb = super_get(&memfs);
    ino->memfd_name = copy;
    ino->seals = (t->a[1] & 2 /* MFD_ALLOW_SEALING */) ? 0 : LX_F_SEAL_SEAL;
    long fd = open_new(t, ino, LX_O_RDWR | 0100000 /* O_LARGEFILE */ |
                                   ((t->a[1] & 1) ? LX_O_CLOEXEC : 0));
    inode_put(ino); /* (the file holds it) */
    call_return(t, fd);
    return SK_OK;
}

long sys_memfd_create(struct lthread *t)
{
    if (t->a[1] & ~(uint64_t)(1 | 2)) /* MFD_CLOEXEC, MFD_ALLOW_SEALING (no huge pages) */
        return -LX_EINVAL;
    /* the name: at most 249 bytes (NAME_MAX less "memfd:"), EINVAL past that */
    t->string_toolong = -LX_EINVAL;
    sk_error_t e = call_read_string(t, t->a[0], 250, memfd_name_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_fcntl(struct lthread *t)
{
    int fd = (int)t->a[0];
    struct fdtable *ft = t->p->fds;
    struct file *f = fd_get(ft, fd);
    if (!f)
        return -LX_EBADF;
    switch (t->a[1]) {
    case LX_F_DUPFD:
    case LX_F_DUPFD_CLOEXEC: {
        if ((int64_t)t->a[2] < 0 || t->a[2] >= ft->limit)
            return -LX_EINVAL;
        f->refs++;
        int n = fd_install(ft, (int)t->a[2], f, t->a[1] == LX_F_DUPFD_CLOEXEC);
        if (n < 0)
            file_put(f);
        return n;
    }
    case 5: /* F_GETLK */
    case 6: /* F_SETLK */
    case 7: /* F_SETLKW */
    case 36: /* F_OFD_GETLK */
    case 37: /* F_OFD_SETLK */
    case 38: /* F_OFD_SETLKW */
        return lock_fcntl(t, f);
    case LX_F_GETFD:
        return ft->cloexec[fd] ? 1 : 0;
    case LX_F_SETFD:
        ft->cloexec[fd] = t->a[2] & 1;
        return 0;
    case LX_F_GETFL:
        return f->flags;
    case LX_F_SETFL: {
        uint32_t settable = LX_O_APPEND | LX_O_NONBLOCK | LX_O_NOATIME | LX_O_DIRECT | 020000 /* ASYNC */;
        f->flags = (f->flags & ~settable) | ((uint32_t)t->a[2] & settable);
        return 0;
    }
    case 1033: /* F_ADD_SEALS */
    case 1034: /* F_GET_SEALS */
        return seals_fcntl(t, f);
    default:
        return -LX_EINVAL;
    }
}

static sk_error_t fionbio_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f) {
        call_return(t, -LX_EBADF);
        return SK_OK;
    }
    if ((uint32_t)t->len)
        f->flags |= LX_O_NONBLOCK;
    else
        f->flags &= ~(uint32_t)LX_O_NONBLOCK;
    call_return(t, 0);
    return SK_OK;
}

long sys_ioctl(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    t->a[1] = (uint32_t)t->a[1]; /* (the request is an unsigned int: musl's ioctl passes an int) */
    switch (t->a[1]) {
    case 0x5421: { /* FIONBIO: for every kind of file */
        sk_error_t e = call_copy_in(t, t->a[2], &t->len, 4, fionbio_read);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case 0x5451: /* FIOCLEX */
        t->p->fds->cloexec[t->a[0]] = 1;
        return 0;
    case 0x5450: /* FIONCLEX */
        t->p->fds->cloexec[t->a[0]] = 0;
        return 0;
    case 0x541B: /* FIONREAD on a regular file: the bytes from the position to the end */
        if ((f->ino->mode & LX_S_IFMT) == LX_S_IFREG && !f->ino->dev) {
            /* (as an int, negative past the end, as Linux's file_ioctl writes it) */
            t->len = (uint64_t)(uint32_t)(int32_t)(f->ino->size - (int64_t)f->pos);
            t->ret = 0;
            sk_error_t e = call_copy_out(t, t->a[2], &t->len, 4, call_done_step);
            return e ? errno_from_sk(e) : CALL_PENDING;
        }
        break;
    }
    if (!f->ops->ioctl)
        return -LX_ENOTTY;
    return f->ops->ioctl(f, t, t->a[1], t->a[2]);
}

/* ---- the working directory ---- */

long sys_getcwd(struct lthread *t)
{
    char *b = sk_malloc(PATH_MAX);
    if (!b)
        return -LX_ENOMEM;
    t->buf = b;
    int n = vfs_path_of(t->p->cwd, b, PATH_MAX);
    if (n < 0)
        return n;
    if ((uint64_t)n > t->a[1])
        return -LX_ERANGE;
    t->ret = n;
    sk_error_t e = call_copy_out(t, t->a[0], b, (uint64_t)n, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t chdir_path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct inode *ino;
    long rc = ((const char *)t->buf)[0] ? vfs_lookup(t->p, t->p->cwd, t->buf, LOOKUP_FOLLOW, &ino, NULL)
                                        : -LX_ENOENT;
    if (!rc && (ino->mode & LX_S_IFMT) != LX_S_IFDIR)
        rc = -LX_ENOTDIR;
    if (!rc) {
        inode_get(ino);
        inode_put(t->p->cwd);
        t->p->cwd = ino;
    }
    call_return(t, rc);
    return SK_OK;
}

long sys_chdir(struct lthread *t)
{
    return with_path(t, t->a[0], chdir_path_read);
}

long sys_fchdir(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    if ((f->ino->mode & LX_S_IFMT) != LX_S_IFDIR)
        return -LX_ENOTDIR;
    inode_get(f->ino);
    inode_put(t->p->cwd);
    t->p->cwd = f->ino;
    return 0;
}

/* ---- access, readlink ---- */

static sk_error_t access_path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct inode *dir, *ino;
    long rc = at_dir(t, (int)t->a[4], t->buf, &dir);
    if (!rc)
        rc = ((const char *)t->buf)[0] ? vfs_lookup(t->p, dir, t->buf, LOOKUP_FOLLOW, &ino, NULL) : -LX_ENOENT;
    if (!rc && (t->a[5] & 7)) {
        /* access() asks with the real ids (faccessat2's AT_EACCESS: the effective ones) */
        int eff = (t->a[3] & LX_AT_EACCESS) != 0;
        rc = vfs_permission_ids(t->p, eff ? t->p->euid : t->p->uid, eff ? t->p->egid : t->p->gid, ino,
                                (int)(t->a[5] & 7));
    }
    call_return(t, rc);
    return SK_OK;
}

long sys_access(struct lthread *t)
{
    if (t->a[1] & ~7ull)
        return -LX_EINVAL;
    t->a[3] = 0;
    t->a[4] = (uint64_t)(int64_t)LX_AT_FDCWD;
    t->a[5] = t->a[1];
    return with_path(t, t->a[0], access_path_read);
}

long sys_faccessat(struct lthread *t)
{
    if (t->a[2] & ~7ull)
        return -LX_EINVAL;
    t->a[3] = 0;
    t->a[4] = t->a[0];
    t->a[5] = t->a[2];
    return with_path(t, t->a[1], access_path_read);
}

long sys_faccessat2(struct lthread *t)
{
    if (t->a[2] & ~7ull || t->a[3] & ~(uint64_t)(LX_AT_EACCESS | LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
        return -LX_EINVAL;
    t->a[4] = t->a[0];
    t->a[5] = t->a[2];
    return with_path(t, t->a[1], access_path_read);
}

static sk_error_t readlink_path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct inode *dir, *ino;
    long rc = at_dir(t, (int)t->a[4], t->buf, &dir);
    if (!rc)
        rc = ((const char *)t->buf)[0] ? vfs_lookup(t->p, dir, t->buf, 0, &ino, NULL) : -LX_ENOENT;
    if (!rc && (ino->mode & LX_S_IFMT) != LX_S_IFLNK)
        rc = -LX_EINVAL;
    if (rc) {
        call_return(t, rc);
        return SK_OK;
    }
    if ((int64_t)t->a[5] <= 0) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    struct strbuf sb = {0};
    rc = vfs_link_target(ino, t->p, &sb);
    if (rc) {
        sk_free(sb.s);
        call_return(t, rc);
        return SK_OK;
    }
    uint64_t n = sb.len;
    if (n > t->a[5])
        n = t->a[5];
    if (n > 4096)
        n = 4096;
    memcpy(t->buf, sb.s, n);
    sk_free(sb.s);
    t->ret = (long)n;
    return call_copy_out(t, t->a[3], t->buf, n, call_done_step);
}

long sys_readlink(struct lthread *t)
{
    t->a[3] = t->a[1];
    t->a[4] = (uint64_t)(int64_t)LX_AT_FDCWD;
    t->a[5] = t->a[2];
    return with_path(t, t->a[0], readlink_path_read);
}

long sys_readlinkat(struct lthread *t)
{
    t->a[4] = t->a[0];
    t->a[5] = t->a[3];
    t->a[3] = t->a[2];
    return with_path(t, t->a[1], readlink_path_read);
}

/* ---- pipes ---- */

/* The descriptors are closed again if the caller's array cannot be written. */
static sk_error_t pipe_fds_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        fd_close(t->p->fds, (int)t->a[4]);
        fd_close(t->p->fds, (int)t->a[5]);
        return err;
    }
    call_return(t, 0);
    return SK_OK;
}

static long do_pipe(struct lthread *t, uint64_t ufds, uint64_t flags)
{
    if (flags & ~(uint64_t)(LX_O_CLOEXEC | LX_O_NONBLOCK | LX_O_DIRECT))
        return -LX_EINVAL;
    struct file *r, *w;
    int e = pipe_create(&r, &w, (uint32_t)flags);
    if (e)
        return e;
    int cloexec = (flags & LX_O_CLOEXEC) != 0;
    int fr = fd_install(t->p->fds, 0, r, cloexec);
    if (fr < 0) {
        file_put(r);
        file_put(w);
        return fr;
    }
    int fw = fd_install(t->p->fds, 0, w, cloexec);
    if (fw < 0) {
        fd_close(t->p->fds, fr);
        file_put(w);
        return fw;
    }
    int32_t *v = sk_malloc(8);
    if (!v) {
        fd_close(t->p->fds, fr);
        fd_close(t->p->fds, fw);
        return -LX_ENOMEM;
    }
    v[0] = fr;
    v[1] = fw;
    t->buf = v;
    t->ret = 0;
    t->a[4] = (uint64_t)fr;
    t->a[5] = (uint64_t)fw;
    sk_error_t se = call_copy_out(t, ufds, v, 8, pipe_fds_written);
    if (se) {
        fd_close(t->p->fds, fr);
        fd_close(t->p->fds, fw);
        return errno_from_sk(se);
    }
    return CALL_PENDING;
}

long sys_pipe(struct lthread *t)
{
    return do_pipe(t, t->a[0], 0);
}

long sys_pipe2(struct lthread *t)
{
    return do_pipe(t, t->a[0], t->a[1]);
}
