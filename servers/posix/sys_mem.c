/*
 * The memory calls: brk, mmap, munmap, mprotect, madvise, mremap (moving by
 * copy-free remapping of the same object). File mappings map the file's own
 * data object (MAP_SHARED) or a copy-on-write fork of it (MAP_PRIVATE).
 */
#include "posix.h"
#include "calls.h"


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
                             VMA_BRK | VMA_ANON, m, 0, NULL);
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
    struct inode *file = NULL; /* (the descriptor's, alive through the call) */
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
        if (type != LX_MAP_PRIVATE && (prot & LX_PROT_WRITE) &&
            (f->ino->seals & (LX_F_SEAL_WRITE | LX_F_SEAL_FUTURE_WRITE)))
            return -LX_EPERM; /* (a memfd sealed against writes) */
        if (off + len < off)
            return -LX_EOVERFLOW;
        /* the file's pages (made for an empty file that has none yet): the mapping may
           reach past them (SIGBUS there) and sees the file grow and shrink */
        struct inode *ino = file = f->ino;
        if (!ino->data && file_set_size(ino, (uint64_t)ino->size))
            return -LX_ENOMEM;
        if (off + len > mobj_map_limit(ino->data))
            return -LX_EOVERFLOW;
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
    int e = mm_map_fixed(mm, at, len, prot, vflags, obj, off, file);
    mobj_put(obj);
    return e ? e : (long)at;
}

#define LX_MREMAP_MAYMOVE 1
#define LX_MREMAP_FIXED 2
#define LX_MREMAP_DONTUNMAP 4

/*
 * mremap: shrink in place, grow in place when the pages after the mapping are free, else
 * (MREMAP_MAYMOVE) move: the same memory objects are mapped at the new place, so the content
 * moves without a copy, then the old range goes. Pages a mapping grows by come from what it
 * maps: a file's object further on, or fresh zeroed memory for anonymous mappings. The old
 * range must be mapped throughout (EFAULT otherwise); the pieces it is made of here (a mapping
 * grown, or split by mprotect) are what Linux would have merged into one.
 */

/* Map the pieces of [old, old + len) at dst (len > 0, mapped throughout). */
static int remap_pieces(struct mm *mm, uint64_t old, uint64_t len, uint64_t dst)
{
    for (uint64_t at = old; at < old + len;) {
        struct vma *v = mm_vma_at(mm, at);
        uint64_t end = v->end < old + len ? v->end : old + len;
        struct mobj *obj = mobj_get(v->obj);
        struct inode *file = inode_get(v->file);
        uint64_t off = v->offset + (at - v->start);
        int e = mm_map_fixed(mm, dst + (at - old), end - at, v->prot, v->flags, obj, off, file);
        inode_put(file);
        mobj_put(obj);
        if (e)
            return e;
        at = end;
    }
    return 0;
}

/*
 * MREMAP_DONTUNMAP: the pages went to the new place; the old range stays mapped as it was,
 * without them. Private anonymous memory there is fresh zeroed memory, as Linux's faults
 * would fill it; a shared mapping, or a file's never-written text, keeps showing its object
 * (Linux refaults the same pages); a private file mapping gets a copy of its own of what it
 * held (Linux would refault the file's pages: written pages differ).
 */
static int dontunmap_refill(struct mm *mm, uint64_t old, uint64_t len)
{
    for (uint64_t at = old; at < old + len;) {
        struct vma *v = mm_vma_at(mm, at);
        uint64_t end = v->end < old + len ? v->end : old + len;
        if (!(v->flags & (VMA_SHARED | VMA_FILE_RO))) {
            struct mobj *m = (v->flags & VMA_ANON) ? mobj_new(end - at) : mobj_fork(v->obj);
            uint64_t off = (v->flags & VMA_ANON) ? 0 : v->offset + (at - v->start);
            struct inode *file = inode_get(v->file); /* (v goes in the call) */
            int e = m ? mm_map_fixed(mm, at, end - at, v->prot, v->flags, m, off, file) : -LX_ENOMEM;
            inode_put(file);
            mobj_put(m);
            if (e)
                return e;
        }
        at = end;
    }
    return 0;
}

long sys_mremap(struct lthread *t)
{
    struct mm *mm = t->p->mm;
    uint64_t old = t->a[0], old_len = PAGE_UP(t->a[1]), new_len = PAGE_UP(t->a[2]);
    uint32_t flags = (uint32_t)t->a[3];
    uint64_t want = t->a[4];
    if (old & (LX_PAGE - 1) || flags & ~(uint32_t)(LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED |
                                                    LX_MREMAP_DONTUNMAP))
        return -LX_EINVAL;
    if ((flags & LX_MREMAP_FIXED) && !(flags & LX_MREMAP_MAYMOVE))
        return -LX_EINVAL;
    if ((flags & LX_MREMAP_DONTUNMAP) &&
        (!(flags & LX_MREMAP_MAYMOVE) || PAGE_UP(t->a[1]) != PAGE_UP(t->a[2])))
        return -LX_EINVAL; /* it moves, and keeps the size */
    if (!new_len || (t->a[1] && !old_len))
        return -LX_EINVAL;
    if (old + old_len < old || old + old_len > SK_USER_TOP || new_len > SK_USER_TOP)
        return -LX_EINVAL;
    struct vma *first = mm_vma_at(mm, old);
    if (!first)
        return -LX_EFAULT;
    if (flags & LX_MREMAP_FIXED) {
        if (want & (LX_PAGE - 1) || want + new_len < want || want + new_len > SK_USER_TOP ||
            want < 0x10000)
            return -LX_EINVAL;
        if (want < old + (old_len ? old_len : 1) && old < want + new_len)
            return -LX_EINVAL; /* the ranges overlap */
    }
    if (old_len == 0) {
        /* a second view of a shared mapping */
        if (!(first->flags & VMA_SHARED) || !(flags & LX_MREMAP_MAYMOVE))
            return -LX_EINVAL;
        uint64_t off = first->offset + (old - first->start);
        if (off + new_len > mobj_map_limit(first->obj))
            return -LX_EINVAL;
        if (!(flags & LX_MREMAP_FIXED) && !(want = mm_find_free(mm, 0, new_len)))
            return -LX_ENOMEM;
        struct mobj *obj = mobj_get(first->obj);
        int e = mm_map_fixed(mm, want, new_len, first->prot, first->flags, obj, off, first->file);
        mobj_put(obj);
        return e ? e : (long)want;
    }
    /* mapped throughout; the last piece decides what growth is made of */
    struct vma *last = NULL;
    for (uint64_t at = old; at < old + old_len; at = last->end) {
        struct vma *v = mm_vma_at(mm, at);
        if (!v)
            return -LX_EFAULT;
        last = v;
    }
    if ((flags & LX_MREMAP_DONTUNMAP) && !(flags & LX_MREMAP_FIXED)) {
        if (want & (LX_PAGE - 1))
            return -LX_EINVAL; /* (Linux looks at the address, a hint here) */
        if (!(want = mm_find_free(mm, want, new_len)))
            return -LX_ENOMEM;
    }
    if (!(flags & (LX_MREMAP_FIXED | LX_MREMAP_DONTUNMAP))) {
        if (new_len <= old_len) {
            if (new_len < old_len)
                mm_unmap(mm, old + new_len, old_len - new_len);
            return (long)old;
        }
        uint64_t end = old + old_len, grow_end = old + new_len;
        int free_after = grow_end > end && grow_end <= SK_USER_TOP;
        for (struct vma *w = mm->vmas; w && free_after; w = w->next)
            if (w->start < grow_end && end < w->end)
                free_after = 0;
        if (free_after)
            want = old;
        else if (!(flags & LX_MREMAP_MAYMOVE))
            return -LX_ENOMEM;
        else if (!(want = mm_find_free(mm, 0, new_len)))
            return -LX_ENOMEM;
    }
    uint64_t keep = old_len < new_len ? old_len : new_len; /* bytes carried over */
    struct mobj *gobj = mobj_get(last->obj);
    struct inode *gfile = inode_get(last->file);
    uint64_t goff = last->offset + (old + old_len - last->start); /* past the old end */
    uint32_t gprot = last->prot, gflags = last->flags;
    int e = want != old ? remap_pieces(mm, old, keep, want) : 0;
    if (!e && new_len > keep) {
        uint64_t more = new_len - keep, at = want + keep;
        if (!(gflags & VMA_ANON) && goff + more <= mobj_map_limit(gobj)) {
            e = mm_map_fixed(mm, at, more, gprot, gflags, gobj, goff, gfile);
        } else if (gflags & VMA_ANON) {
            struct mobj *m = mobj_new(more);
            e = m ? mm_map_fixed(mm, at, more, gprot, gflags, m, 0, NULL) : -LX_ENOMEM;
            mobj_put(m);
        } else {
            e = -LX_ENOMEM; /* past a fixed-size object (an executable's copied pages) */
        }
        if (e && want != old)
            mm_unmap(mm, want, keep);
    }
    if (!e && want != old && (flags & LX_MREMAP_DONTUNMAP))
        e = dontunmap_refill(mm, old, old_len);
    else if (!e && want != old)
        mm_unmap(mm, old, old_len);
    mobj_put(gobj);
    inode_put(gfile);
    return e ? e : (long)want;
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

/* msync: the file's pages are the mapping's pages (tmpfs: one memory object), so there is
   nothing to write back; what is checked is Linux's: flags, alignment, holes (ENOMEM after
   the rest), MS_INVALIDATE of locked pages (EBUSY). */
long sys_msync(struct lthread *t)
{
    uint64_t start = t->a[0], flags = t->a[2];
    if (flags & ~7ull || (start & (LX_PAGE - 1)) || ((flags & 1) && (flags & 4)))
        return -LX_EINVAL;
    uint64_t len = PAGE_UP(t->a[1]), end = start + len;
    if (end < start || (t->a[1] && len == 0))
        return -LX_ENOMEM;
    if (end == start)
        return 0;
    uint64_t at = start;
    int hole = 0;
    for (struct vma *v = t->p->mm->vmas; v && at < end; v = v->next) {
        if (v->end <= at)
            continue;
        if (v->start >= end)
            break;
        if (v->start > at)
            hole = 1;
        if ((flags & 2) && (v->flags & VMA_LOCKED))
            return -LX_EBUSY;
        at = v->end;
    }
    return hole || at < end ? -LX_ENOMEM : 0;
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
            int err = mm_map_fixed(mm, cur, e - cur, prot, flags, m, 0, NULL);
            mobj_put(m);
            if (err)
                return err;
        }
        cur = e;
    }
    return 0;
}

/* ---- mlock, mlock2, munlock, mlockall, munlockall ---- */

/* The pages [addr, addr + len) touches, as Linux's mlock rounds them: -EINVAL on overflow. */
static long page_span(uint64_t addr, uint64_t len, uint64_t *start, uint64_t *size)
{
    if (addr + len < addr)
        return -LX_EINVAL;
    *start = addr & ~(uint64_t)(LX_PAGE - 1);
    *size = PAGE_UP(len + (addr - *start));
    return 0;
}

/* Root may lock anything; others only while RLIMIT_MEMLOCK allows (0: not at all, EPERM). */
static long lock_range(struct lthread *t, uint64_t addr, uint64_t len)
{
    struct proc *p = t->p;
    uint64_t start, size;
    if (page_span(addr, len, &start, &size))
        return -LX_EINVAL;
    uint64_t limit = p->rlim[LX_RLIMIT_MEMLOCK].cur;
    if (p->euid != 0) {
        if (limit == 0)
            return -LX_EPERM;
        uint64_t after = mm_locked_bytes(p->mm, 0, 0) + size - mm_locked_bytes(p->mm, start, size);
        if (after > limit)
            return -LX_ENOMEM;
    }
    return mm_lock(p->mm, start, size, 1);
}

long sys_mlock(struct lthread *t)
{
    return lock_range(t, t->a[0], t->a[1]);
}

long sys_mlock2(struct lthread *t)
{
    if (t->a[2] & ~1ull) /* MLOCK_ONFAULT: locked as it is touched, here at once */
        return -LX_EINVAL;
    return lock_range(t, t->a[0], t->a[1]);
}

long sys_munlock(struct lthread *t)
{
    uint64_t start, size;
    if (page_span(t->a[0], t->a[1], &start, &size))
        return -LX_EINVAL;
    return mm_lock(t->p->mm, start, size, 0);
}

#define MCL_CURRENT 1u
#define MCL_FUTURE 2u
#define MCL_ONFAULT 4u

long sys_mlockall(struct lthread *t)
{
    uint64_t flags = t->a[0];
    if (!flags || (flags & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
        flags == MCL_ONFAULT)
        return -LX_EINVAL;
    struct proc *p = t->p;
    struct mm *mm = p->mm;
    uint64_t limit = p->rlim[LX_RLIMIT_MEMLOCK].cur;
    if (p->euid != 0 && limit == 0)
        return -LX_EPERM;
    if (flags & MCL_CURRENT) {
        uint64_t total = 0;
        for (struct vma *v = mm->vmas; v; v = v->next)
            total += v->end - v->start;
        if (p->euid != 0 && total > limit)
            return -LX_ENOMEM;
        for (struct vma *v = mm->vmas; v; v = v->next)
            v->flags |= VMA_LOCKED;
    }
    mm->lock_future = (flags & MCL_FUTURE) != 0;
    return 0;
}

long sys_munlockall(struct lthread *t)
{
    struct mm *mm = t->p->mm;
    for (struct vma *v = mm->vmas; v; v = v->next)
        v->flags &= ~VMA_LOCKED;
    mm->lock_future = 0;
    return 0;
}
