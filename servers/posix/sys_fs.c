/*
 * The name-space calls: mkdir, rmdir, unlink, rename, link, symlink, mknod,
 * chmod, chown, utimensat, truncate, statfs, and the sync calls. Each reads
 * its path (two for rename, link and symlink), then fs_path_step does the work
 * for the call being made (t->nr), with Linux's checks in Linux's order.
 */
#include "posix.h"
#include "calls.h"

#define PATH_MAX 4096
#define NR_mkdir 83
#define NR_rmdir 84
#define NR_creat 85
#define NR_link 86
#define NR_unlink 87
#define NR_symlink 88
#define NR_chmod 90
#define NR_chown 92
#define NR_lchown 94
#define NR_truncate 76
#define NR_rename 82
#define NR_mknod 133
#define NR_statfs 137
#define NR_mkdirat 258
#define NR_mknodat 259
#define NR_fchownat 260
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_linkat 265
#define NR_symlinkat 266
#define NR_fchmodat 268
#define NR_utimensat 280
#define NR_utime 132
#define NR_utimes 235
#define NR_futimesat 261
#define NR_renameat2 316

/* parent_of's answer for a final "." or "..": each caller says what Linux says */
#define LX_EBUSY_OR_INVAL 4097
#define RENAME_NOREPLACE 1u
#define RENAME_EXCHANGE 2u
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

static struct lx_timespec now_ts(void)
{
    uint64_t now = 0;
    sk_clock_get(&now);
    now = now - px.boot_ns + 1767225600ull * 1000000000ull;
    return (struct lx_timespec){(int64_t)(now / 1000000000ull), (int64_t)(now % 1000000000ull)};
}

static void touch(struct inode *ino, int data)
{
    struct lx_timespec n = now_ts();
    ino->ctime = n;
    if (data)
        ino->mtime = n;
}

/* The starting directory of a *at call. */
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

/* Split path into its parent directory and final name (trailing slashes allowed only when
   want_dir). name must hold 256 bytes. */
static int parent_of(struct lthread *t, int dirfd, const char *path, struct inode **dir, char *name,
                     int want_dir)
{
    if (!path[0])
        return -LX_ENOENT;
    struct inode *start;
    int e = at_dir(t, dirfd, path, &start);
    if (e)
        return e;
    const char *last;
    e = vfs_lookup(t->p, start, path, LOOKUP_PARENT, dir, &last);
    if (e)
        return e;
    size_t n = 0;
    while (last[n] && last[n] != '/')
        n++;
    if (n == 0)
        return -LX_EEXIST; /* "/" or "dir/" names no new entry: it exists */
    if (last[n] == '/' && !want_dir)
        return -LX_ENOTDIR;
    if (n > 255)
        return -LX_ENAMETOOLONG;
    memcpy(name, last, n);
    name[n] = '\0';
    if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
        return -LX_EBUSY_OR_INVAL;
    return 0;
}

/* May p remove or replace the entry for victim in dir (write+search, and the sticky bit)? */
static int may_delete(struct proc *p, struct inode *dir, struct inode *victim)
{
    int e = vfs_permission(p, dir, 3);
    if (e)
        return e;
    if ((dir->mode & 01000) && p->euid != 0 && p->euid != dir->uid && p->euid != victim->uid)
        return -LX_EPERM;
    return 0;
}

static int is_dir(struct inode *i)
{
    return (i->mode & LX_S_IFMT) == LX_S_IFDIR;
}

static long make_node_ret(struct lthread *t, int dirfd, const char *path, uint32_t mode,
                          uint32_t rdev, const char *target, struct inode **made);

static long make_node(struct lthread *t, int dirfd, const char *path, uint32_t mode, uint32_t rdev,
                      const char *target)
{
    return make_node_ret(t, dirfd, path, mode, rdev, target, NULL);
}

long fs_make_socket(struct lthread *t, const char *path, struct inode **made)
{
    return make_node_ret(t, LX_AT_FDCWD, path, LX_S_IFSOCK | 0777, 0, NULL, made);
}

/* Make the node; *made (if asked) gets a reference to it. */
static long make_node_ret(struct lthread *t, int dirfd, const char *path, uint32_t mode,
                          uint32_t rdev, const char *target, struct inode **made)
{
    struct inode *dir;
    char name[256];
    int e = parent_of(t, dirfd, path, &dir, name, (mode & LX_S_IFMT) == LX_S_IFDIR);
    if (e == -LX_EBUSY_OR_INVAL)
        return -LX_EEXIST;
    if (e)
        return e;
    if (dir_lookup(dir, name, strlen(name)))
        return -LX_EEXIST;
    if (dir->nlink == 0)
        return -LX_ENOENT; /* a removed directory takes no new entries */
    e = vfs_permission(t->p, dir, 3);
    if (e)
        return e;
    uint32_t type = mode & LX_S_IFMT;
    uint32_t perm = type == LX_S_IFLNK ? 0777 : (mode & 07777 & ~t->p->umask);
    struct inode *ino = inode_new(type | perm);
    if (!ino)
        return -LX_ENOMEM;
    ino->uid = t->p->euid;
    ino->gid = (dir->mode & 02000) ? dir->gid : t->p->egid;
    ino->rdev = rdev;
    if (target) {
        size_t n = strlen(target);
        ino->target = sk_malloc(n + 1);
        if (!ino->target) {
            inode_put(ino);
            return -LX_ENOMEM;
        }
        memcpy(ino->target, target, n + 1);
        ino->size = (int64_t)n;
    }
    e = dir_link(dir, name, ino);
    if (!e && made)
        *made = inode_get(ino);
    if (!e)
        inotify_event(ino, dir, name, IN_EV_CREATE, 0);
    inode_put(ino);
    if (!e)
        touch(dir, 1);
    return e;
}

static long do_unlink(struct lthread *t, int dirfd, const char *path, int rmdir)
{
    struct inode *dir;
    char name[256];
    int e = parent_of(t, dirfd, path, &dir, name, rmdir);
    if (e == -LX_EBUSY_OR_INVAL)
        return rmdir ? (name[1] == '.' ? -LX_ENOTEMPTY : -LX_EINVAL) : -LX_EISDIR;
    if (e == -LX_EEXIST)
        return rmdir ? -LX_EBUSY : -LX_EISDIR;
    if (e)
        return e;
    struct inode *victim = dir_lookup(dir, name, strlen(name));
    if (!victim)
        return -LX_ENOENT;
    if (rmdir) {
        if (!is_dir(victim))
            return -LX_ENOTDIR;
        if (victim->children)
            return -LX_ENOTEMPTY;
    } else if (is_dir(victim)) {
        return -LX_EISDIR;
    }
    e = may_delete(t->p, dir, victim);
    if (e)
        return e;
    touch(victim, 0);
    touch(dir, 1);
    inode_get(victim);
    e = dir_unlink(dir, name);
    if (!e) { /* (Linux's order: the link count's IN_ATTRIB, the inode's end, the entry's) */
        if (!rmdir)
            inotify_event(victim, NULL, NULL, IN_EV_ATTRIB, 0);
        if (rmdir || victim->nlink == 0)
            inotify_gone(victim);
        inotify_event(victim, dir, name, IN_EV_DELETE, 0);
    }
    inode_put(victim);
    return e;
}

/* Is a inside the tree under b (or b itself)? */
static int inside(struct inode *a, struct inode *b)
{
    for (; a; a = a->parent)
        if (a == b)
            return 1;
    return 0;
}

static struct dentry *entry_of(struct inode *dir, const char *name)
{
    for (struct dentry *d = dir->children; d; d = d->next)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* renameat2 RENAME_EXCHANGE: the two names swap what they name, at once; both must exist. */
static long rename_exchange(struct lthread *t, struct inode *odir, const char *oname,
                            struct inode *src, struct inode *ndir, const char *nname,
                            struct inode *dst)
{
    if (!dst)
        return -LX_ENOENT;
    if (dst == src)
        return 0;
    if ((is_dir(src) && inside(ndir, src)) || (is_dir(dst) && inside(odir, dst)))
        return -LX_EINVAL; /* one would go into its own subtree */
    long e;
    if ((e = may_delete(t->p, odir, src)) || (e = may_delete(t->p, ndir, dst)) ||
        (e = vfs_permission(t->p, ndir, 3)) || (e = vfs_permission(t->p, odir, 3)))
        return e;
    if (odir != ndir && ((is_dir(src) && (e = vfs_permission(t->p, src, 2))) ||
                         (is_dir(dst) && (e = vfs_permission(t->p, dst, 2)))))
        return e;
    struct dentry *a = entry_of(odir, oname), *b = entry_of(ndir, nname);
    if (!a || !b)
        return -LX_ENOENT;
    a->ino = dst;
    b->ino = src;
    if (odir != ndir) {
        /* a directory moving counts in its new parent's links, not its old one's */
        if (is_dir(src)) {
            src->parent = ndir;
            odir->nlink--, ndir->nlink++;
        }
        if (is_dir(dst)) {
            dst->parent = odir;
            ndir->nlink--, odir->nlink++;
        }
    }
    touch(src, 0);
    touch(dst, 0);
    touch(odir, 1);
    touch(ndir, 1);
    return 0;
}

static long do_rename(struct lthread *t, int odfd, const char *opath, int ndfd, const char *npath,
                      uint32_t flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) || (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
        return -LX_EINVAL;
    struct inode *odir, *ndir;
    char oname[256], nname[256];
    int e = parent_of(t, odfd, opath, &odir, oname, 1);
    if (e == -LX_EBUSY_OR_INVAL || e == -LX_EEXIST)
        return -LX_EBUSY;
    if (e)
        return e;
    struct inode *src = dir_lookup(odir, oname, strlen(oname));
    if (!src)
        return -LX_ENOENT;
    e = parent_of(t, ndfd, npath, &ndir, nname, is_dir(src));
    if (!e && super_of(odir) != super_of(ndir))
        return -LX_EXDEV; /* another file system: a move is a copy, the caller's work */
    if (e == -LX_EBUSY_OR_INVAL || e == -LX_EEXIST)
        return -LX_EBUSY;
    if (e)
        return e;
    if (!is_dir(src)) {
        size_t on = strlen(opath), nn = strlen(npath);
        if ((on && opath[on - 1] == '/') || (nn && npath[nn - 1] == '/'))
            return -LX_ENOTDIR;
    }
    struct inode *dst = dir_lookup(ndir, nname, strlen(nname));
    if (flags & RENAME_EXCHANGE)
        return rename_exchange(t, odir, oname, src, ndir, nname, dst);
    if (dst == src)
        return 0; /* the same file: nothing to do */
    if (dst && (flags & RENAME_NOREPLACE))
        return -LX_EEXIST;
    if (is_dir(src) && inside(ndir, src))
        return -LX_EINVAL; /* into its own subtree */
    if (dst) {
        if (is_dir(src) && !is_dir(dst))
            return -LX_ENOTDIR;
        if (!is_dir(src) && is_dir(dst))
            return -LX_EISDIR;
        if (is_dir(dst) && dst->children)
            return -LX_ENOTEMPTY;
    }
    if ((e = may_delete(t->p, odir, src)) || (dst && (e = may_delete(t->p, ndir, dst))) ||
        (e = vfs_permission(t->p, ndir, 3)))
        return e;
    if (is_dir(src) && odir != ndir && (e = vfs_permission(t->p, src, 2)))
        return e;
    inode_get(src);
    if (dst)
        dir_unlink(ndir, nname);
    e = dir_link(ndir, nname, src);
    if (!e) {
        /* the old entry goes without touching the link count: the new one replaced it (for
           a directory, dir_link counted it in ndir; it leaves odir) */
        struct dentry **pp = &odir->children;
        while (*pp && strcmp((*pp)->name, oname) != 0)
            pp = &(*pp)->next;
        if (*pp) {
            struct dentry *d = *pp;
            *pp = d->next;
            sk_free(d->name);
            sk_free(d);
            inode_put(src);
        }
        if (is_dir(src)) {
            odir->nlink--;
            src->parent = ndir;
        }
        touch(src, 0);
        touch(odir, 1);
        touch(ndir, 1);
        if (inotify_active()) {
            uint32_t cookie = inotify_cookie();
            inotify_event(src, odir, oname, IN_EV_MOVED_FROM, cookie);
            inotify_event(src, ndir, nname, IN_EV_MOVED_TO, cookie);
            inotify_event(src, NULL, NULL, IN_EV_MOVE_SELF, 0);
        }
    }
    inode_put(src);
    return e;
}

static long do_link(struct lthread *t, int odfd, const char *opath, int ndfd, const char *npath,
                    uint32_t flags)
{
    if (flags & ~(uint32_t)(LX_AT_SYMLINK_FOLLOW | LX_AT_EMPTY_PATH))
        return -LX_EINVAL;
    struct inode *start, *src, *ndir;
    int e;
    if (!opath[0] && (flags & LX_AT_EMPTY_PATH) && t->p->euid == 0) {
        /* the descriptor's own file (Linux asks for CAP_DAC_READ_SEARCH: root) */
        struct file *f = odfd == LX_AT_FDCWD ? NULL : fd_get(t->p->fds, odfd);
        if (!f && odfd != LX_AT_FDCWD)
            return -LX_EBADF;
        src = f ? f->ino : t->p->cwd; /* (the working directory: EPERM below) */
    } else {
        e = at_dir(t, odfd, opath, &start);
        if (e)
            return e;
        if (!opath[0])
            return -LX_ENOENT;
        e = vfs_lookup(t->p, start, opath, (flags & LX_AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0,
                       &src, NULL);
        if (e)
            return e;
    }
    if (is_dir(src))
        return -LX_EPERM;
    char nname[256];
    e = parent_of(t, ndfd, npath, &ndir, nname, 0);
    if (e == -LX_EBUSY_OR_INVAL)
        return -LX_EEXIST;
    if (e)
        return e;
    if (super_of(src) != super_of(ndir))
        return -LX_EXDEV;
    if (dir_lookup(ndir, nname, strlen(nname)))
        return -LX_EEXIST;
    if ((e = vfs_permission(t->p, ndir, 3)))
        return e;
    if (src->nlink == 0 && !src->linkable)
        return -LX_ENOENT; /* unlinked: no new name (but an O_TMPFILE file's first) */
    e = dir_link(ndir, nname, src);
    if (!e) {
        src->linkable = 0;
        src->nlink++;
        touch(src, 0);
        touch(ndir, 1);
        inotify_event(src, NULL, NULL, IN_EV_ATTRIB, 0);
        inotify_event(src, ndir, nname, IN_EV_CREATE, 0);
    }
    return e;
}

/* The inode a path call acts on (following the final symlink unless nofollow). */
static int target_of(struct lthread *t, int dirfd, const char *path, int nofollow, int empty_ok,
                     struct inode **out)
{
    if (!path[0]) {
        if (!empty_ok)
            return -LX_ENOENT;
        if (dirfd == LX_AT_FDCWD) {
            *out = t->p->cwd;
            return 0;
        }
        struct file *f = fd_get(t->p->fds, dirfd);
        if (!f)
            return -LX_EBADF;
        *out = f->ino;
        return 0;
    }
    struct inode *start;
    int e = at_dir(t, dirfd, path, &start);
    if (e)
        return e;
    return vfs_lookup(t->p, start, path, nofollow ? 0 : LOOKUP_FOLLOW, out, NULL);
}

/* The open file a change comes through (fchmod, fchown, futimens, ftruncate), for the
   IN_ATTRIB / IN_MODIFY its directory's watches get; NULL for path calls. */
static struct file *via_file;

static void attrib(struct inode *ino, uint32_t mask)
{
    inotify_event(ino, via_file ? via_file->dir : NULL, via_file ? via_file->name : NULL, mask, 0);
}

static long set_mode(struct lthread *t, struct inode *ino, uint32_t mode)
{
    if (super_rdonly(ino))
        return -LX_EROFS;
    if (t->p->euid != 0 && t->p->euid != ino->uid)
        return -LX_EPERM;
    mode &= 07777;
    if (t->p->euid != 0 && t->p->egid != ino->gid)
        mode &= ~02000u; /* setgid only for a member of the group */
    ino->mode = (ino->mode & LX_S_IFMT) | mode;
    touch(ino, 0);
    attrib(ino, IN_EV_ATTRIB);
    return 0;
}

static long set_owner(struct lthread *t, struct inode *ino, uint32_t uid, uint32_t gid)
{
    struct proc *p = t->p;
    if (super_rdonly(ino))
        return -LX_EROFS;
    if (p->euid != 0) {
        if (uid != (uint32_t)-1 && uid != ino->uid)
            return -LX_EPERM;
        if (gid != (uint32_t)-1 && (p->euid != ino->uid || !proc_in_group(p, gid, p->egid)))
            return -LX_EPERM;
    }
    if (uid != (uint32_t)-1)
        ino->uid = uid;
    if (gid != (uint32_t)-1)
        ino->gid = gid;
    if ((ino->mode & LX_S_IFMT) != LX_S_IFDIR)
        ino->mode &= ~(uint32_t)(p->euid ? 06000 : 04000 | ((ino->mode & 010) ? 02000 : 0));
    touch(ino, 0);
    attrib(ino, IN_EV_ATTRIB);
    return 0;
}

static long do_truncate(struct lthread *t, struct inode *ino, int64_t len)
{
    if (len < 0)
        return -LX_EINVAL;
    if (is_dir(ino))
        return -LX_EISDIR;
    if ((ino->mode & LX_S_IFMT) != LX_S_IFREG)
        return -LX_EINVAL;
    int e = vfs_permission(t->p, ino, 2);
    if (e)
        return e;
    if (ino->writecount < 0)
        return -LX_ETXTBSY; /* a program runs from it */
    e = file_set_size(ino, (uint64_t)len);
    if (!e) {
        touch(ino, 1);
        attrib(ino, IN_EV_MODIFY);
    }
    return e;
}

/* utimensat: t->buf2 holds the two timespecs (or NULL: now). */
static long set_times(struct lthread *t, struct inode *ino, const struct lx_timespec *ts)
{
    struct lx_timespec n = now_ts();
    int all_now = !ts || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW);
    if (ts) {
        for (int i = 0; i < 2; i++)
            if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
                (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
                return -LX_EINVAL;
        if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
            return 0;
    }
    if (super_rdonly(ino))
        return -LX_EROFS;
    if (t->p->euid != 0 && t->p->euid != ino->uid) {
        if (!all_now || vfs_permission(t->p, ino, 2))
            return all_now ? -LX_EACCES : -LX_EPERM;
    }
    if (!ts) {
        ino->atime = ino->mtime = n;
    } else {
        if (ts[0].tv_nsec != UTIME_OMIT)
            ino->atime = ts[0].tv_nsec == UTIME_NOW ? n : ts[0];
        if (ts[1].tv_nsec != UTIME_OMIT)
            ino->mtime = ts[1].tv_nsec == UTIME_NOW ? n : ts[1];
    }
    ino->ctime = n;
    attrib(ino, IN_EV_ATTRIB);
    return 0;
}

/*
 * What statfs says of ino's file system: its type, and for tmpfs, as Linux's default size
 * (half the memory), its blocks and inodes against the memory that is free now; proc and
 * pipes have none. The flags are the mount's (ST_VALID always).
 */
static long statfs_out(struct lthread *t, struct inode *ino, uint64_t ubuf)
{
    struct lx_statfs *s = sk_calloc(1, sizeof *s);
    if (!s)
        return -LX_ENOMEM;
    sk_free(t->buf);
    t->buf = s;
    struct super *sb = super_of(ino);
    s->f_type = sb->magic;
    s->f_bsize = s->f_frsize = 4096;
    s->f_namelen = 255;
    if (sb->magic == LX_TMPFS_MAGIC) {
        struct sk_memory_info mi = {0};
        sk_memory_info(&mi);
        s->f_blocks = mi.total_pages / 2;
        s->f_bfree = s->f_bavail = mi.free_pages < s->f_blocks ? mi.free_pages : s->f_blocks;
        s->f_files = mi.total_pages / 2;
        s->f_ffree = s->f_files > (uint64_t)px.n_inodes ? s->f_files - (uint64_t)px.n_inodes : 0;
    }
    s->f_fsid[0] = (int32_t)sb->dev;
    static const struct { uint32_t ms, st; } fl[] = {
        {LX_MS_RDONLY, LX_ST_RDONLY}, {LX_MS_NOSUID, LX_ST_NOSUID}, {LX_MS_NODEV, LX_ST_NODEV},
        {LX_MS_NOEXEC, LX_ST_NOEXEC}, {LX_MS_NOATIME, LX_ST_NOATIME}};
    s->f_flags = LX_ST_VALID;
    for (unsigned i = 0; i < sizeof fl / sizeof fl[0]; i++)
        if (sb->flags & fl[i].ms)
            s->f_flags |= fl[i].st;
    if (!(sb->flags & (LX_MS_NOATIME | LX_MS_STRICTATIME)))
        s->f_flags |= LX_ST_RELATIME;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, ubuf, s, sizeof *s, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- the step after the path(s) were read ---- */

static sk_error_t times_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);
static sk_error_t oldtimes_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static long fs_work(struct lthread *t)
{
    const char *path = t->buf;
    const char *first = t->path1; /* two-path calls: the first (old) path */
    uint64_t *a = t->a;
    struct inode *ino;
    long e;
    switch (t->nr) {
    case NR_mkdir:
        return make_node(t, LX_AT_FDCWD, path, LX_S_IFDIR | ((uint32_t)a[1] & 07777), 0, NULL);
    case NR_mkdirat:
        return make_node(t, (int)a[0], path, LX_S_IFDIR | ((uint32_t)a[2] & 07777), 0, NULL);
    case NR_mknod:
    case NR_mknodat: {
        int at = t->nr == NR_mknodat;
        uint32_t mode = (uint32_t)a[at + 1], dev = (uint32_t)a[at + 2];
        uint32_t type = mode & LX_S_IFMT;
        if (type == 0)
            mode |= LX_S_IFREG, type = LX_S_IFREG;
        if (type == LX_S_IFDIR)
            return -LX_EPERM;
        if ((type == LX_S_IFCHR || type == LX_S_IFBLK) && t->p->euid != 0)
            return -LX_EPERM;
        if (type != LX_S_IFREG && type != LX_S_IFIFO && type != LX_S_IFCHR && type != LX_S_IFBLK &&
            type != LX_S_IFSOCK)
            return -LX_EINVAL;
        return make_node(t, at ? (int)a[0] : LX_AT_FDCWD, path, mode, dev, NULL);
    }
    case NR_rmdir:
        return do_unlink(t, LX_AT_FDCWD, path, 1);
    case NR_unlink:
        return do_unlink(t, LX_AT_FDCWD, path, 0);
    case NR_unlinkat:
        if (a[2] & ~(uint64_t)LX_AT_REMOVEDIR)
            return -LX_EINVAL;
        return do_unlink(t, (int)a[0], path, (a[2] & LX_AT_REMOVEDIR) != 0);
    case NR_rename:
        return do_rename(t, LX_AT_FDCWD, first, LX_AT_FDCWD, path, 0);
    case NR_renameat:
        return do_rename(t, (int)a[0], first, (int)a[2], path, 0);
    case NR_renameat2:
        return do_rename(t, (int)a[0], first, (int)a[2], path, (uint32_t)a[4]);
    case NR_link:
        return do_link(t, LX_AT_FDCWD, first, LX_AT_FDCWD, path, 0);
    case NR_linkat:
        return do_link(t, (int)a[0], first, (int)a[2], path, (uint32_t)a[4]);
    case NR_symlink:
        if (!first[0])
            return -LX_ENOENT;
        return make_node(t, LX_AT_FDCWD, path, LX_S_IFLNK, 0, first);
    case NR_symlinkat:
        if (!first[0])
            return -LX_ENOENT;
        return make_node(t, (int)a[1], path, LX_S_IFLNK, 0, first);
    case NR_chmod:
        if ((e = target_of(t, LX_AT_FDCWD, path, 0, 0, &ino)))
            return e;
        return set_mode(t, ino, (uint32_t)a[1]);
    case NR_fchmodat:
        if ((e = target_of(t, (int)a[0], path, 0, 0, &ino)))
            return e;
        return set_mode(t, ino, (uint32_t)a[2]);
    case NR_chown:
    case NR_lchown:
        if ((e = target_of(t, LX_AT_FDCWD, path, t->nr == NR_lchown, 0, &ino)))
            return e;
        return set_owner(t, ino, (uint32_t)a[1], (uint32_t)a[2]);
    case NR_fchownat:
        if (a[4] & ~(uint64_t)(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
            return -LX_EINVAL;
        if ((e = target_of(t, (int)a[0], path, (a[4] & LX_AT_SYMLINK_NOFOLLOW) != 0,
                           (a[4] & LX_AT_EMPTY_PATH) != 0, &ino)))
            return e;
        return set_owner(t, ino, (uint32_t)a[2], (uint32_t)a[3]);
    case NR_truncate:
        if ((e = target_of(t, LX_AT_FDCWD, path, 0, 0, &ino)))
            return e;
        return do_truncate(t, ino, (int64_t)a[1]);
    case NR_statfs:
        if ((e = target_of(t, LX_AT_FDCWD, path, 0, 0, &ino)))
            return e;
        return statfs_out(t, ino, a[1]);
    case NR_utime:
    case NR_utimes:
    case NR_futimesat: {
        /* the older forms: seconds (utime) or timevals, following symlinks */
        int dirfd = t->nr == NR_futimesat ? (int)a[0] : LX_AT_FDCWD;
        uint64_t times = t->nr == NR_futimesat ? a[2] : a[1];
        if ((e = target_of(t, dirfd, path, 0, 0, &ino)))
            return e;
        if (!times)
            return set_times(t, ino, NULL);
        t->file = NULL;
        t->len = (uint64_t)(uintptr_t)ino;
        struct lx_timespec *ts = sk_calloc(2, sizeof *ts);
        if (!ts)
            return -LX_ENOMEM;
        sk_free(t->path1);
        t->path1 = (char *)ts;
        sk_error_t se = call_copy_in(t, times, ts, t->nr == NR_utime ? 16 : 2 * sizeof *ts,
                                     oldtimes_read);
        return se ? errno_from_sk(se) : CALL_PENDING;
    }
    case NR_utimensat: {
        if ((e = target_of(t, (int)a[0], path, (a[3] & LX_AT_SYMLINK_NOFOLLOW) != 0, 0, &ino)))
            return e;
        if (!a[2])
            return set_times(t, ino, NULL);
        t->file = NULL;
        t->len = (uint64_t)(uintptr_t)ino; /* (no call frees inodes meanwhile: one thread) */
        struct lx_timespec *ts = sk_malloc(2 * sizeof *ts);
        if (!ts)
            return -LX_ENOMEM;
        sk_free(t->path1);
        t->path1 = (char *)ts;
        sk_error_t se = call_copy_in(t, a[2], ts, 2 * sizeof *ts, times_read);
        return se ? errno_from_sk(se) : CALL_PENDING;
    }
    }
    return -LX_ENOSYS;
}

static sk_error_t times_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    call_return(t, set_times(t, (struct inode *)(uintptr_t)t->len, (struct lx_timespec *)t->path1));
    return SK_OK;
}

/* utime's {actime, modtime} seconds, or two timevals (utimes, futimesat), as timespecs */
static sk_error_t oldtimes_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct lx_timespec *ts = (struct lx_timespec *)t->path1;
    if (t->nr == NR_utime) {
        int64_t secs[2] = {ts[0].tv_sec, ts[0].tv_nsec}; /* (read as two time_t) */
        ts[0] = (struct lx_timespec){secs[0], 0};
        ts[1] = (struct lx_timespec){secs[1], 0};
    } else {
        for (int i = 0; i < 2; i++) {
            if (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000) {
                call_return(t, -LX_EINVAL);
                return SK_OK;
            }
            ts[i].tv_nsec *= 1000;
        }
    }
    call_return(t, set_times(t, (struct inode *)(uintptr_t)t->len, ts));
    return SK_OK;
}

static sk_error_t fs_path_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    long rc = fs_work(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

/* Two-path calls: the first path is kept in t->path1 while the second is read. */
static sk_error_t fs_first_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    t->path1 = t->buf;
    t->buf = NULL;
    return call_read_string(t, t->a[5], PATH_MAX, fs_path_step);
}

static long one_path(struct lthread *t, uint64_t upath)
{
    sk_error_t e = call_read_string(t, upath, PATH_MAX, fs_path_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static long two_paths(struct lthread *t, uint64_t first, uint64_t second)
{
    t->a[5] = second; /* (no call using two paths has a sixth argument) */
    sk_error_t e = call_read_string(t, first, PATH_MAX, fs_first_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_mkdir(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_mkdirat(struct lthread *t) { return one_path(t, t->a[1]); }
long sys_mknod(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_mknodat(struct lthread *t) { return one_path(t, t->a[1]); }
long sys_rmdir(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_unlink(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_unlinkat(struct lthread *t) { return one_path(t, t->a[1]); }
long sys_chmod(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_fchmodat(struct lthread *t) { return one_path(t, t->a[1]); }
long sys_chown(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_lchown(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_fchownat(struct lthread *t) { return one_path(t, t->a[1]); }
long sys_truncate(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_statfs(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_rename(struct lthread *t) { return two_paths(t, t->a[0], t->a[1]); }
long sys_link(struct lthread *t) { return two_paths(t, t->a[0], t->a[1]); }
long sys_symlink(struct lthread *t) { return two_paths(t, t->a[0], t->a[1]); }
long sys_renameat(struct lthread *t) { return two_paths(t, t->a[1], t->a[3]); }
long sys_renameat2(struct lthread *t) { return two_paths(t, t->a[1], t->a[3]); }
long sys_linkat(struct lthread *t) { return two_paths(t, t->a[1], t->a[3]); }
long sys_symlinkat(struct lthread *t) { return two_paths(t, t->a[0], t->a[2]); }

long sys_utime(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_utimes(struct lthread *t) { return one_path(t, t->a[0]); }
long sys_futimesat(struct lthread *t) { return one_path(t, t->a[1]); }

long sys_utimensat(struct lthread *t)
{
    if (t->a[3] & ~(uint64_t)(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
        return -LX_EINVAL;
    if (!t->a[1]) {
        /* futimens: the descriptor itself */
        struct file *f = fd_get(t->p->fds, (int)t->a[0]);
        if (!f)
            return -LX_EBADF;
        if (!t->a[2])
            return set_times(t, f->ino, NULL);
        t->len = (uint64_t)(uintptr_t)f->ino;
        struct lx_timespec *ts = sk_malloc(2 * sizeof *ts);
        if (!ts)
            return -LX_ENOMEM;
        t->path1 = (char *)ts;
        sk_error_t se = call_copy_in(t, t->a[2], ts, 2 * sizeof *ts, times_read);
        return se ? errno_from_sk(se) : CALL_PENDING;
    }
    return one_path(t, t->a[1]);
}

/* ---- descriptor versions ---- */

long sys_fchmod(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    via_file = f;
    long e = set_mode(t, f->ino, (uint32_t)t->a[1]);
    via_file = NULL;
    return e;
}

long sys_fchown(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    via_file = f;
    long e = set_owner(t, f->ino, (uint32_t)t->a[1], (uint32_t)t->a[2]);
    via_file = NULL;
    return e;
}

long sys_ftruncate(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f)
        return -LX_EBADF;
    if ((f->flags & LX_O_ACCMODE) == LX_O_RDONLY)
        return -LX_EINVAL;
    if ((int64_t)t->a[1] < 0)
        return -LX_EINVAL;
    if ((f->ino->mode & LX_S_IFMT) != LX_S_IFREG)
        return -LX_EINVAL;
    int e = file_set_size(f->ino, t->a[1]);
    if (!e) {
        touch(f->ino, 1);
        inotify_event(f->ino, f->dir, f->name, IN_EV_MODIFY, 0);
    }
    return e;
}

long sys_fstatfs(struct lthread *t)
{
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    return f ? statfs_out(t, f->ino, t->a[1]) : -LX_EBADF;
}

long sys_fsync(struct lthread *t)
{
    return fd_get(t->p->fds, (int)t->a[0]) ? 0 : -LX_EBADF;
}

long sys_fdatasync(struct lthread *t)
{
    return sys_fsync(t);
}

long sys_sync(struct lthread *t)
{
    (void)t;
    return 0;
}

long sys_syncfs(struct lthread *t)
{
    return sys_fsync(t);
}

/* ---- mount, umount2 ---- */

#define LX_MNT_FORCE 1u
#define LX_MNT_DETACH 2u
#define LX_MNT_EXPIRE 4u
#define LX_UMOUNT_NOFOLLOW 8u

struct mount_args {
    char type[32], source[64];
    int phase; /* 0: target read next, 1: type, 2: source */
};

static long mount_do(struct lthread *t, const char *target)
{
    struct mount_args *ma = (struct mount_args *)t->path1;
    struct inode *where;
    if (t->p->euid != 0)
        return -LX_EPERM;
    int e = target[0] ? vfs_lookup(t->p, t->p->cwd, target, LOOKUP_FOLLOW, &where, NULL) : -LX_ENOENT;
    if (e)
        return e;
    if (!is_dir(where))
        return -LX_ENOTDIR;
    uint32_t flags = (uint32_t)t->a[3];
    /* the flags a file system keeps (the rest, as MS_SILENT, only steer the call) */
    uint32_t kept = flags & (LX_MS_RDONLY | LX_MS_NOSUID | LX_MS_NODEV | LX_MS_NOEXEC |
                             LX_MS_NOATIME | LX_MS_STRICTATIME);
    if (flags & LX_MS_REMOUNT) {
        int found = where == vfs_root;
        for (struct mount *m = mounts; m; m = m->next)
            found |= m->root == where;
        if (!found || !where->sb)
            return -LX_EINVAL;
        where->sb->flags = kept; /* (the data string is not looked at) */
        return 0;
    }
    if (flags & LX_MS_BIND)
        return -LX_EINVAL; /* (bind mounts: not yet) */
    struct inode *root;
    if (strcmp(ma->type, "proc") == 0) {
        root = inode_get(procfs_root);
        if (root->sb)
            root->sb->flags = kept; /* (one proc for every mount of it, as in one pid namespace) */
    } else if (strcmp(ma->type, "tmpfs") == 0 || strcmp(ma->type, "devtmpfs") == 0) {
        root = inode_new(LX_S_IFDIR | 01777);
        if (!root)
            return -LX_ENOMEM;
        root->sb = super_new(LX_TMPFS_MAGIC, kept);
        if (!root->sb) {
            inode_put(root);
            return -LX_ENOMEM;
        }
    } else {
        return -LX_ENODEV;
    }
    e = vfs_mount(where, root, ma->type, ma->source[0] ? ma->source : "none");
    inode_put(root);
    return e;
}

static sk_error_t mount_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct mount_args *ma = (struct mount_args *)t->path1;
    if (err)
        return err;
    if (ma->phase == 1) {
        memcpy(ma->type, t->buf, strnlen(t->buf, sizeof ma->type - 1));
        sk_free(t->buf);
        t->buf = NULL;
        ma->phase = 2;
        if (t->a[0])
            return call_read_string(t, t->a[0], sizeof ma->source, mount_step);
        ma->phase = 3;
    } else if (ma->phase == 2) {
        memcpy(ma->source, t->buf, strnlen(t->buf, sizeof ma->source - 1));
        sk_free(t->buf);
        t->buf = NULL;
        ma->phase = 3;
    }
    if (ma->phase == 3) {
        ma->phase = 4;
        return call_read_string(t, t->a[1], PATH_MAX, mount_step);
    }
    call_return(t, mount_do(t, t->buf));
    return SK_OK;
}

long sys_mount(struct lthread *t)
{
    struct mount_args *ma = sk_calloc(1, sizeof *ma);
    if (!ma)
        return -LX_ENOMEM;
    t->path1 = (char *)ma;
    struct sk_cqe none = {0};
    sk_error_t e;
    if (t->a[2] && !(t->a[3] & LX_MS_REMOUNT)) {
        ma->phase = 1;
        e = call_read_string(t, t->a[2], sizeof ma->type, mount_step);
    } else {
        ma->phase = 3;
        e = mount_step(&t->req, SK_OK, &none);
    }
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t umount_path_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct inode *root;
    long e = ((const char *)t->buf)[0]
                 ? vfs_lookup(t->p, t->p->cwd, t->buf, (t->a[1] & LX_UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW,
                              &root, NULL)
                 : -LX_ENOENT;
    if (!e)
        e = vfs_umount(root, (t->a[1] & LX_MNT_DETACH) != 0);
    call_return(t, e);
    return SK_OK;
}

long sys_umount2(struct lthread *t)
{
    if (t->p->euid != 0)
        return -LX_EPERM;
    if (t->a[1] & ~(uint64_t)(LX_MNT_FORCE | LX_MNT_DETACH | LX_MNT_EXPIRE | LX_UMOUNT_NOFOLLOW))
        return -LX_EINVAL;
    sk_error_t e = call_read_string(t, t->a[0], PATH_MAX, umount_path_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}
