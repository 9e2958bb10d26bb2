/*
 * Inodes, directories and path lookup, with tmpfs as the only file system so
 * far: a regular file's data is a memory object mapped in the server (so read,
 * write and mmap share its pages, docs/posix.md), a directory a list of
 * entries, a symlink its target. The root is filled from the boot archive.
 */
#include "posix.h"
#include <base/cpio.h>

struct inode *vfs_root;
static uint64_t next_ino = 1;

/* ---- file system instances ---- */

static uint32_t next_dev = 1;
static struct super anon_sb = {.magic = 0x09041934 /* ANON_INODE_FS_MAGIC */, .refs = 1};

uint32_t super_dev_new(void)
{
    return next_dev++;
}

struct super *super_new(uint32_t magic, uint32_t flags)
{
    struct super *sb = sk_calloc(1, sizeof *sb);
    if (!sb)
        return NULL;
    sb->magic = magic;
    sb->dev = next_dev++;
    sb->flags = flags;
    sb->refs = 1;
    return sb;
}

struct super *super_get(struct super *sb)
{
    if (sb)
        sb->refs++;
    return sb;
}

void super_put(struct super *sb)
{
    if (sb && --sb->refs == 0) /* (the static ones keep a reference of their own) */
        sk_free(sb);
}

struct super *super_of(const struct inode *ino)
{
    if (!anon_sb.dev)
        anon_sb.dev = next_dev++;
    return ino && ino->sb ? ino->sb : &anon_sb;
}

int super_rdonly(const struct inode *ino)
{
    return ino && ino->sb && (ino->sb->flags & LX_MS_RDONLY);
}

struct inode *inode_new(uint32_t mode)
{
    struct inode *ino = sk_calloc(1, sizeof *ino);
    if (!ino)
        return NULL;
    px.n_inodes++;
    ino->ino = next_ino++;
    ino->mode = mode;
    ino->refs = 1;
    ino->nlink = (mode & LX_S_IFMT) == LX_S_IFDIR ? 2 : 1;
    uint64_t now = 0;
    sk_clock_get(&now);
    ino->atime = ino->mtime = ino->ctime =
        (struct lx_timespec){(int64_t)(now / 1000000000ull), (int64_t)(now % 1000000000ull)};
    return ino;
}

struct inode *inode_get(struct inode *ino)
{
    if (ino)
        ino->refs++;
    return ino;
}

void inode_put(struct inode *ino)
{
    if (!ino || --ino->refs > 0)
        return;
    if (ino->map)
        call_unmap_later((uint64_t)ino->map, ino->cap);
    mobj_put(ino->data);
    super_put(ino->sb);
    sk_free(ino->locks); /* (empty by now: every file of it has closed) */
    sk_free(ino->target);
    sk_free(ino->memfd_name);
    while (ino->children) {
        struct dentry *d = ino->children;
        ino->children = d->next;
        sk_free(d->name);
        inode_put(d->ino);
        sk_free(d);
    }
    sk_free(ino);
    px.n_inodes--;
}

struct mount *mounts;

static int inside_tree(struct inode *a, struct inode *b)
{
    for (; a; a = a->parent)
        if (a == b)
            return 1;
    return 0;
}


/* The root mounted on dir, if any (mounts stack: the latest wins). */
static struct inode *mounted_on(struct inode *dir)
{
    struct inode *r = NULL;
    for (struct mount *m = mounts; m; m = m->next)
        if (m->where == dir)
            r = m->root;
    return r;
}

static struct mount *mount_of_root(struct inode *root)
{
    for (struct mount *m = mounts; m; m = m->next)
        if (m->root == root)
            return m;
    return NULL;
}

int vfs_mount(struct inode *where, struct inode *root, const char *type, const char *source)
{
    struct mount *m = sk_calloc(1, sizeof *m);
    if (!m)
        return -LX_ENOMEM;
    m->where = inode_get(where);
    m->root = inode_get(root);
    memcpy(m->type, type, strnlen(type, sizeof m->type - 1));
    memcpy(m->source, source, strnlen(source, sizeof m->source - 1));
    /* appended: /proc/mounts lists them in mount order */
    struct mount **pp = &mounts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = m;
    return 0;
}

/* Does a process use a file of sb: an open file, its working directory, its program, a
   mapping of a file? */
static int super_in_use(const struct super *sb)
{
    for (struct proc *p = procs; p; p = p->all_next) {
        if ((p->cwd && super_of(p->cwd) == sb) || (p->mm && p->mm->exe && super_of(p->mm->exe) == sb))
            return 1;
        for (struct vma *v = p->mm ? p->mm->vmas : NULL; v; v = v->next)
            if (v->file && super_of(v->file) == sb)
                return 1;
        for (uint32_t i = 0; p->fds && i < p->fds->count; i++)
            if (p->fds->files[i] && super_of(p->fds->files[i]->ino) == sb)
                return 1;
    }
    return 0;
}

int vfs_umount(struct inode *root, int lazy)
{
    struct mount *last = NULL;
    for (struct mount *m = mounts; m; m = m->next)
        if (m->root == root)
            last = m;
    if (!last)
        return -LX_EINVAL;
    for (struct mount *m = mounts; m; m = m->next)
        if (m != last && inside_tree(m->where, root))
            return -LX_EBUSY; /* something is mounted below it */
    if (!lazy && super_in_use(super_of(root)))
        return -LX_EBUSY;
    for (struct mount **pp = &mounts; *pp; pp = &(*pp)->next)
        if (*pp == last) {
            *pp = last->next;
            break;
        }
    inode_put(last->where);
    inode_put(last->root);
    sk_free(last);
    return 0;
}

void vfs_refresh(struct inode *dir, struct proc *viewer)
{
    if (dir->gen && dir->gen->refresh)
        dir->gen->refresh(dir, viewer);
}

int vfs_link_target(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    if (ino->gen && ino->gen->link)
        return ino->gen->link(ino, viewer, sb);
    sb_put(sb, ino->target ? ino->target : "", ino->target ? strlen(ino->target) : 0);
    return 0;
}

struct inode *dir_lookup(struct inode *dir, const char *name, size_t len)
{
    if (len == 1 && name[0] == '.')
        return dir;
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        /* out of a mounted file system: the parent of what it is mounted on */
        struct mount *m = mount_of_root(dir);
        if (m)
            dir = m->where;
        return dir->parent ? dir->parent : dir;
    }
    for (struct dentry *d = dir->children; d; d = d->next)
        if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
            return d->ino;
    return NULL;
}

int dir_link(struct inode *dir, const char *name, struct inode *ino)
{
    size_t len = strlen(name);
    if (len > 255)
        return -LX_ENAMETOOLONG;
    if (dir_lookup(dir, name, len))
        return -LX_EEXIST;
    struct dentry *d = sk_malloc(sizeof *d);
    char *n = sk_malloc(len + 1);
    if (!d || !n) {
        sk_free(d);
        sk_free(n);
        return -LX_ENOMEM;
    }
    memcpy(n, name, len + 1);
    d->name = n;
    d->ino = inode_get(ino);
    if (!ino->sb)
        ino->sb = super_get(dir->sb); /* made in dir: on its file system */
    ino->parent = dir; /* (a file with several links: the latest; for paths in /proc) */
    if ((ino->mode & LX_S_IFMT) == LX_S_IFDIR)
        dir->nlink++;
    /* append: listings come out in creation order */
    struct dentry **pp = &dir->children;
    while (*pp)
        pp = &(*pp)->next;
    d->next = NULL;
    *pp = d;
    return 0;
}

/*
 * The file's size becomes size. Its pages are one resizable object (ino->data) that every
 * shared mapping maps, so growing and truncating keep them coherent: the object is resized
 * to the pages the size needs (pages a truncation cuts off leave every mapping, whose
 * touches there then raise SIGBUS), and the server's own window onto it (ino->map, ino->cap
 * bytes) moves to a bigger mapping of the same object when the file outgrows it, without a
 * copy. A truncation zeroes the rest of the last page, as Linux does.
 */
int file_set_size(struct inode *ino, uint64_t size)
{
    if (size > (1ull << 36))
        return -LX_EFBIG;
    uint64_t old = (uint64_t)ino->size, pages = PAGE_UP(size);
    if (((ino->seals & LX_F_SEAL_SHRINK) && size < old) || ((ino->seals & LX_F_SEAL_GROW) && size > old))
        return -LX_EPERM; /* (a sealed memfd) */
    if (!ino->data && !(ino->data = mobj_new_resizable()))
        return -LX_ENOSPC;
    if (pages > ino->cap) {
        uint64_t cap = ino->cap ? ino->cap : LX_PAGE;
        while (cap < pages)
            cap *= 2;
        uint64_t addr;
        if (sk_space_map(SK_THIS_SPACE, ino->data->h, 0, 0, cap, SK_PROT_READ | SK_PROT_WRITE,
                         &addr) != SK_OK)
            return -LX_ENOSPC;
        if (ino->map)
            call_unmap_later((uint64_t)ino->map, ino->cap); /* (copies from it may be queued) */
        ino->map = (uint8_t *)addr;
        ino->cap = cap;
    }
    if (size < old && size < ino->data->size)
        memset(ino->map + size, 0, (size_t)((old < pages ? old : pages) - size));
    if (pages < ino->data->size)
        call_flush_direct(); /* a read answered from the pages going away copies them first */
    if (pages != ino->data->size && mobj_resize(ino->data, pages))
        return -LX_ENOSPC;
    ino->size = (int64_t)size;
    return 0;
}

/* ---- path lookup ---- */

#define MAX_SYMLINKS 40

int vfs_permission(struct proc *p, struct inode *ino, int mask)
{
    if (!p)
        return 0;
    return vfs_permission_ids(p, p->euid, p->egid, ino, mask);
}

int vfs_permission_ids(struct proc *p, uint32_t uid, uint32_t gid, struct inode *ino, int mask)
{
    uint32_t mode = ino->mode;
    /* nobody writes a file, directory or symlink of a read-only file system (devices and
       FIFOs on it are written as anywhere) */
    uint32_t fmt = mode & LX_S_IFMT;
    if ((mask & 2) && super_rdonly(ino) &&
        (fmt == LX_S_IFREG || fmt == LX_S_IFDIR || fmt == LX_S_IFLNK))
        return -LX_EROFS;
    if (uid == 0) {
        /* root reads and writes anything; it executes what someone may execute (or a dir) */
        if ((mask & 1) && (mode & LX_S_IFMT) != LX_S_IFDIR && !(mode & 0111))
            return -LX_EACCES;
        return 0;
    }
    uint32_t bits;
    if (uid == ino->uid)
        bits = (mode >> 6) & 7;
    else if (proc_in_group(p, ino->gid, gid))
        bits = (mode >> 3) & 7;
    else
        bits = mode & 7;
    return ((uint32_t)mask & ~bits) ? -LX_EACCES : 0;
}

static int walk(struct proc *cred, struct inode *cwd, const char *path, uint32_t flags,
                struct inode **out, const char **last, int depth)
{
    if (!*path)
        return -LX_ENOENT;
    struct inode *cur = path[0] == '/' ? vfs_root : cwd;
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p) {
            if (flags & LOOKUP_PARENT) {
                /* "/" or "dir/": no final name */
                if (last)
                    *last = p;
            }
            *out = cur;
            return 0;
        }
        const char *name = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - name);
        if (len > 255)
            return -LX_ENAMETOOLONG;
        const char *rest = p;
        while (*rest == '/')
            rest++;
        int final = *rest == '\0';
        if ((cur->mode & LX_S_IFMT) != LX_S_IFDIR)
            return -LX_ENOTDIR;
        int e = vfs_permission(cred, cur, 1);
        if (e)
            return e;
        if (final && (flags & LOOKUP_PARENT)) {
            *out = cur;
            if (last)
                *last = name;
            return 0;
        }
        vfs_refresh(cur, cred);
        struct inode *next = dir_lookup(cur, name, len);
        if (!next)
            return -LX_ENOENT;
        struct inode *over = mounted_on(next);
        if (over)
            next = over;
        if ((next->mode & LX_S_IFMT) == LX_S_IFLNK && (!final || (flags & LOOKUP_FOLLOW) ||
                                                        *p == '/')) {
            if (depth >= MAX_SYMLINKS)
                return -LX_ELOOP;
            if (next->gen && next->gen->jump) {
                struct inode *to = next->gen->jump(next, cred);
                if (!to)
                    return -LX_ENOENT;
                cur = to;
                if (final && *p == '/' && (cur->mode & LX_S_IFMT) != LX_S_IFDIR)
                    return -LX_ENOTDIR;
                if (final) {
                    *out = cur;
                    return 0;
                }
                continue;
            }
            struct strbuf sb = {0};
            e = vfs_link_target(next, cred, &sb);
            if (!e && !sb.s)
                e = -LX_ENOENT;
            struct inode *target = NULL;
            if (!e)
                e = walk(cred, cur, sb.s, LOOKUP_FOLLOW, &target, NULL, depth + 1);
            sk_free(sb.s);
            if (e)
                return e;
            next = target;
        }
        cur = next;
        if (final && *p == '/' && (cur->mode & LX_S_IFMT) != LX_S_IFDIR)
            return -LX_ENOTDIR;
        if (final) {
            *out = cur;
            return 0;
        }
    }
}

int vfs_lookup(struct proc *p, struct inode *cwd, const char *path, uint32_t flags,
               struct inode **out, const char **last)
{
    return walk(p, cwd, path, flags, out, last, 0);
}

struct dentry *dir_entry(struct inode *dir, const char *name, size_t len)
{
    for (struct dentry *d = dir->children; d; d = d->next)
        if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
            return d;
    return NULL;
}

int dir_unlink(struct inode *dir, const char *name)
{
    size_t len = strlen(name);
    for (struct dentry **pp = &dir->children; *pp; pp = &(*pp)->next) {
        struct dentry *d = *pp;
        if (strlen(d->name) == len && memcmp(d->name, name, len) == 0) {
            *pp = d->next;
            struct inode *ino = d->ino;
            if ((ino->mode & LX_S_IFMT) == LX_S_IFDIR) {
                dir->nlink--;
                ino->nlink = 0;
                ino->parent = NULL;
            } else {
                ino->nlink--;
                if (ino->parent == dir)
                    ino->parent = NULL;
            }
            sk_free(d->name);
            sk_free(d);
            inode_put(ino);
            return 0;
        }
    }
    return -LX_ENOENT;
}

int vfs_path_of(struct inode *ino, char *buf, size_t size)
{
    /* names from ino up to the root, written right to left */
    if (size < 2)
        return -LX_ERANGE;
    size_t pos = size - 1;
    buf[pos] = '\0';
    if (ino == vfs_root) {
        buf[--pos] = '/';
    }
    while (ino != vfs_root) {
        struct mount *m = mount_of_root(ino);
        if (m) {
            ino = m->where;
            continue;
        }
        struct inode *parent = ino->parent;
        if (!parent)
            return -LX_ENOENT;
        struct dentry *d = parent->children;
        while (d && d->ino != ino)
            d = d->next;
        if (!d)
            return -LX_ENOENT;
        size_t len = strlen(d->name);
        if (pos < len + 1)
            return -LX_ERANGE;
        pos -= len;
        memcpy(buf + pos, d->name, len);
        buf[--pos] = '/';
        ino = parent;
    }
    memmove(buf, buf + pos, size - pos);
    return (int)(size - pos);
}

/* ---- the root from the boot archive ---- */

/* The directory for path's parent, created as needed; *name = the final part. */
static struct inode *make_parents(char *path, char **name)
{
    struct inode *dir = vfs_root;
    char *p = path;
    for (;;) {
        char *slash = strchr(p, '/');
        if (!slash) {
            *name = p;
            return dir;
        }
        *slash = '\0';
        struct inode *next = dir_lookup(dir, p, strlen(p));
        if (!next) {
            next = inode_new(LX_S_IFDIR | 0755);
            if (!next || dir_link(dir, p, next)) {
                inode_put(next);
                return NULL;
            }
            inode_put(next); /* the entry holds it */
        }
        if ((next->mode & LX_S_IFMT) != LX_S_IFDIR)
            return NULL;
        dir = next;
        p = slash + 1;
    }
}

int vfs_load_archive(const uint8_t *archive, uint64_t size)
{
    vfs_root = inode_new(LX_S_IFDIR | 0755);
    if (!vfs_root)
        return -LX_ENOMEM;
    vfs_root->sb = super_new(LX_TMPFS_MAGIC, 0); /* rootfs, a tmpfs as on Linux */
    if (!vfs_root->sb)
        return -LX_ENOMEM;
    size_t off = 0;
    struct cpio_entry e;
    char path[512];
    while (cpio_next(archive, size, &off, &e) == 1) {
        size_t n = e.namelen;
        const char *nm = e.name;
        while (n && (nm[0] == '.' || nm[0] == '/') && (n == 1 || nm[1] == '/' || nm[0] == '/'))
            nm++, n--;
        if (n == 0 || n >= sizeof path)
            continue;
        memcpy(path, nm, n);
        path[n] = '\0';
        char *name;
        struct inode *dir = make_parents(path, &name);
        if (!dir || !*name)
            continue;
        uint32_t type = e.mode & LX_S_IFMT;
        struct inode *old = dir_lookup(dir, name, strlen(name));
        if (old) {
            if (type == LX_S_IFDIR)
                old->mode = e.mode;
            continue;
        }
        struct inode *ino = inode_new(type ? e.mode : (LX_S_IFREG | (e.mode & 07777)));
        if (!ino)
            return -LX_ENOMEM;
        if (type == LX_S_IFLNK) {
            ino->target = sk_malloc(e.size + 1);
            if (!ino->target)
                return -LX_ENOMEM;
            memcpy(ino->target, e.data, e.size);
            ino->target[e.size] = '\0';
            ino->size = (int64_t)e.size;
        } else if (type == LX_S_IFREG || type == 0) {
            if (e.size && file_set_size(ino, e.size))
                return -LX_ENOMEM;
            if (e.size)
                memcpy(ino->map, e.data, e.size);
        }
        int err = dir_link(dir, name, ino);
        inode_put(ino);
        if (err)
            return err;
    }
    return 0;
}
