/*
 * The memory calls: brk, mmap, munmap, mprotect, madvise, mremap (moving by
 * copy-free remapping of the same object). File mappings map the file's own
 * data object (MAP_SHARED) or a copy-on-write fork of it (MAP_PRIVATE).
 */
#include "posix.h"
#include "calls.h"

#define PAGE_UP(x) (((x) + LX_PAGE - 1) & ~(LX_PAGE - 1))

long sys_brk(struct lthread *t)
{
    struct mm *mm = t->p->mm;
    uint64_t want = t->a[0];
    if (want < mm->brk_start || want > mm->brk_limit)
        return (long)mm->brk;
    uint64_t old_end = PAGE_UP(mm->brk), new_end = PAGE_UP(want);
    if (new_end > old_end) {
        /* each growth is fresh memory: pages given back and taken again read as zero,
           as on Linux (glibc's calloc counts on it) */
        for (struct vma *v = mm->vmas; v; v = v->next)
            if (v->start < new_end && old_end < v->end)
                return (long)mm->brk; /* something is mapped there */
        struct mobj *m = mobj_new(new_end - old_end);
        if (!m)
            return (long)mm->brk;
        int e = mm_map_fixed(mm, old_end, new_end - old_end, LX_PROT_READ | LX_PROT_WRITE,
                             VMA_BRK | VMA_ANON, m, 0);
        mobj_put(m);
        if (e)
            return (long)mm->brk;
    } else if (new_end < old_end) {
        mm_unmap(mm, new_end, old_end - new_end);
    }
    mm->brk = want;
    return (long)want;
}

long sys_mmap(struct lthread *t)
{
    struct mm *mm = t->p->mm;
    uint64_t addr = t->a[0], len = t->a[1], off = t->a[5];
    uint32_t prot = (uint32_t)t->a[2], flags = (uint32_t)t->a[3];
    int fd = (int)t->a[4];
    uint32_t type = flags & LX_MAP_TYPE;
    if (len == 0 || (off & (LX_PAGE - 1)) || (prot & ~7u))
        return -LX_EINVAL;
    if (type != LX_MAP_SHARED && type != LX_MAP_PRIVATE && type != LX_MAP_SHARED_VALIDATE)
        return -LX_EINVAL;
    len = PAGE_UP(len);
    if (len == 0 || len > SK_USER_TOP)
        return -LX_ENOMEM;
    if ((flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) && (addr & (LX_PAGE - 1)))
        return -LX_EINVAL;
    struct mobj *obj = NULL;
    uint32_t vflags = type == LX_MAP_PRIVATE ? 0 : VMA_SHARED;
    if (flags & LX_MAP_ANONYMOUS) {
        vflags |= VMA_ANON;
        obj = mobj_new(len);
        off = 0;
        if (!obj)
            return -LX_ENOMEM;
    } else {
        struct file *f = fd_get(t->p->fds, fd);
        if (!f)
            return -LX_EBADF;
        if ((f->ino->mode & LX_S_IFMT) != LX_S_IFREG)
            return -LX_ENODEV;
        if ((f->flags & LX_O_ACCMODE) == LX_O_WRONLY)
            return -LX_EACCES;
        if (type != LX_MAP_PRIVATE && (prot & LX_PROT_WRITE) && (f->flags & LX_O_ACCMODE) != LX_O_RDWR)
            return -LX_EACCES;
        if (off + len < off)
            return -LX_EOVERFLOW;
        /* the object must reach off + len: grow its capacity (not the file's size) */
        struct inode *ino = f->ino;
        if (off + len > ino->cap) {
            int64_t size = ino->size;
            int e = file_set_size(ino, off + len);
            if (e)
                return -LX_ENOMEM;
            ino->size = size;
        }
        if (type == LX_MAP_PRIVATE) {
            obj = mobj_fork(ino->data);
            if (!obj)
                return -LX_ENOMEM;
        } else {
            obj = mobj_get(ino->data);
        }
    }
    uint64_t at;
    if (flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) {
        if (addr + len < addr || addr + len > SK_USER_TOP || addr < 0x10000) {
            mobj_put(obj);
            return flags & LX_MAP_FIXED ? -LX_EPERM : -LX_ENOMEM;
        }
        if (!(flags & LX_MAP_FIXED)) {
            for (struct vma *v = mm->vmas; v; v = v->next)
                if (v->start < addr + len && addr < v->end) {
                    mobj_put(obj);
                    return -LX_EEXIST;
                }
        }
        at = addr;
    } else {
        at = mm_find_free(mm, addr & ~(LX_PAGE - 1), len);
        if (!at) {
            mobj_put(obj);
            return -LX_ENOMEM;
        }
    }
    int e = mm_map_fixed(mm, at, len, prot, vflags, obj, off);
    mobj_put(obj);
    return e ? e : (long)at;
}

long sys_munmap(struct lthread *t)
{
    if (t->a[0] & (LX_PAGE - 1) || t->a[1] == 0)
        return -LX_EINVAL;
    return mm_unmap(t->p->mm, t->a[0], t->a[1]);
}

long sys_mprotect(struct lthread *t)
{
    if (t->a[2] & ~7ull)
        return -LX_EINVAL;
    return mm_protect(t->p->mm, t->a[0], t->a[1], (uint32_t)t->a[2]);
}

#define LX_MADV_DONTNEED 4
#define LX_MADV_FREE 8
#define LX_MADV_REMOVE 9

long sys_madvise(struct lthread *t)
{
    uint64_t addr = t->a[0], len = PAGE_UP(t->a[1]);
    int advice = (int)t->a[2];
    if (addr & (LX_PAGE - 1) || addr + len < addr)
        return -LX_EINVAL;
    if (advice < 0 || (advice > 25 && advice != 100 && advice != 101))
        return -LX_EINVAL;
    struct mm *mm = t->p->mm;
    /* every page must be mapped */
    uint64_t at = addr;
    for (struct vma *v = mm->vmas; v && at < addr + len; v = v->next) {
        if (v->end <= at)
            continue;
        if (v->start > at)
            return -LX_ENOMEM;
        at = v->end;
    }
    if (at < addr + len)
        return -LX_ENOMEM;
    if (advice != LX_MADV_DONTNEED && advice != LX_MADV_FREE)
        return 0; /* the rest is advice */
    /* private anonymous pages go back to zero: each piece of the range gets fresh memory
       (private file pages would go back to the file's: not done yet) */
    uint64_t cur = addr;
    while (cur < addr + len) {
        struct vma *v = mm->vmas;
        while (v && !(v->start <= cur && cur < v->end))
            v = v->next;
        if (!v)
            break;
        uint64_t e = v->end < addr + len ? v->end : addr + len;
        if (!(v->flags & VMA_SHARED) && (v->flags & VMA_ANON)) {
            uint32_t prot = v->prot, flags = v->flags;
            struct mobj *m = mobj_new(e - cur);
            if (!m)
                return -LX_ENOMEM;
            int err = mm_map_fixed(mm, cur, e - cur, prot, flags, m, 0);
            mobj_put(m);
            if (err)
                return err;
        }
        cur = e;
    }
    return 0;
}
