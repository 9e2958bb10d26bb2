/*
 * The address-space model of a Linux process: memory objects shared between
 * mappings (struct mobj, counted), the sorted list of mappings (struct vma),
 * and the operations Linux's memory calls are made of — map at a fixed place
 * replacing what is there, unmap and protect with splitting, find a free range
 * top down, and fork (private objects forked copy-on-write, shared ones shared).
 * Each operation changes the kernel's space first and the model only if that
 * worked. The calls themselves are in sys_mem.c.
 */
#include "posix.h"

#define MMAP_TOP 0x00007f0000000000ull
#define MMAP_BOTTOM 0x0000000000010000ull

struct mobj *mobj_new(uint64_t size)
{
    struct mobj *m = sk_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    size = (size + LX_PAGE - 1) & ~(LX_PAGE - 1);
    if (sk_memory_create(size, 0, &m->h) != SK_OK) {
        sk_free(m);
        return NULL;
    }
    m->size = size;
    m->refs = 1;
    px.n_mobjs++;
    return m;
}

struct mobj *mobj_new_resizable(void)
{
    struct mobj *m = sk_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (sk_memory_create(0, SK_MEM_RESIZABLE, &m->h) != SK_OK) {
        sk_free(m);
        return NULL;
    }
    m->resizable = 1;
    m->refs = 1;
    px.n_mobjs++;
    return m;
}

int mobj_resize(struct mobj *m, uint64_t size)
{
    if (sk_memory_resize(m->h, size) != SK_OK)
        return -LX_ENOSPC;
    m->size = size;
    return 0;
}

uint64_t mobj_map_limit(const struct mobj *m)
{
    return m->resizable ? SK_MEM_MAX_SIZE : m->size;
}

/* A copy-on-write fork of src (its whole object), counted like any other; NULL if out of
   memory. */
struct mobj *mobj_fork(struct mobj *src)
{
    struct mobj *m = sk_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (sk_memory_fork(src->h, &m->h) != SK_OK) {
        sk_free(m);
        return NULL;
    }
    m->size = src->size;
    m->resizable = src->resizable;
    m->refs = 1;
    px.n_mobjs++;
    return m;
}

struct mobj *mobj_get(struct mobj *m)
{
    m->refs++;
    return m;
}

void mobj_put(struct mobj *m)
{
    if (m && --m->refs == 0) {
        sk_handle_close(m->h);
        sk_free(m);
        px.n_mobjs--;
    }
}

static uint32_t sk_prot(uint32_t lxprot)
{
    uint32_t p = 0;
    if (lxprot & LX_PROT_READ)
        p |= SK_PROT_READ;
    if (lxprot & LX_PROT_WRITE)
        p |= SK_PROT_READ | SK_PROT_WRITE; /* x86 cannot write without reading */
    if (lxprot & LX_PROT_EXEC)
        p |= SK_PROT_READ | SK_PROT_EXEC;
    return p;
}

struct mm *mm_new(void)
{
    struct mm *mm = sk_calloc(1, sizeof *mm);
    if (!mm)
        return NULL;
    if (sk_space_create(&mm->space) != SK_OK) {
        sk_free(mm);
        return NULL;
    }
    mm->mmap_top = MMAP_TOP;
    return mm;
}

static void vma_free(struct vma *v)
{
    if (v->shm)
        shm_detached(v->shm);
    mobj_put(v->obj);
    inode_put(v->file);
    sk_free(v);
}

/* [addr, addr + len) is mapped with prot everywhere (and, with in_obj, within the objects'
   sizes). */
static int range_mapped(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, int in_obj)
{
    if (addr + len < addr || addr + len > SK_USER_TOP)
        return 0;
    uint64_t at = addr;
    for (struct vma *v = mm->vmas; v && at < addr + len; v = v->next) {
        if (v->end <= at)
            continue;
        uint64_t end = v->end < addr + len ? v->end : addr + len;
        if (v->start > at || !(v->prot & prot) ||
            (in_obj && (!v->obj || v->offset + (end - v->start) > v->obj->size)))
            return 0;
        at = v->end;
    }
    return at >= addr + len;
}

struct vma *mm_vma_at(struct mm *mm, uint64_t addr)
{
    for (struct vma *v = mm ? mm->vmas : NULL; v && v->start <= addr; v = v->next)
        if (addr < v->end)
            return v;
    return NULL;
}

uint32_t *mm_word_map(struct mm *mm, uint64_t uaddr, int write, uint64_t *base)
{
    if (!mm || (uaddr & 3))
        return NULL;
    struct vma *v = mm_vma_at(mm, uaddr);
    if (!v || !v->obj || !(v->prot & (write ? LX_PROT_WRITE : LX_PROT_READ)))
        return NULL;
    uint64_t page = uaddr & ~(LX_PAGE - 1), off = v->offset + (page - v->start);
    if (off + LX_PAGE > v->obj->size)
        return NULL; /* past a file's end: the program would get SIGBUS */
    uint64_t at;
    if (sk_space_map(SK_THIS_SPACE, v->obj->h, off, 0, LX_PAGE,
                     SK_PROT_READ | (write ? SK_PROT_WRITE : 0), &at) != SK_OK)
        return NULL;
    *base = at;
    return (uint32_t *)(at + (uaddr - page));
}

void mm_word_unmap(uint64_t base)
{
    sk_space_unmap(SK_THIS_SPACE, base, LX_PAGE);
}

int mm_has_shared(struct mm *mm)
{
    for (struct vma *v = mm ? mm->vmas : NULL; v; v = v->next)
        if (v->flags & VMA_SHARED)
            return 1;
    return 0;
}

int mm_range_writable(struct mm *mm, uint64_t addr, uint64_t len)
{
    return range_mapped(mm, addr, len, LX_PROT_WRITE, 0);
}

int mm_range_readable(struct mm *mm, uint64_t addr, uint64_t len)
{
    return range_mapped(mm, addr, len, LX_PROT_READ, 1);
}

void mm_set_exe(struct mm *mm, struct inode *ino)
{
    if (mm->exe) {
        mm->exe->writecount++;
        inode_put(mm->exe);
    }
    mm->exe = inode_get(ino);
    if (ino)
        ino->writecount--;
}

void mm_free(struct mm *mm)
{
    mm_set_exe(mm, NULL);
    while (mm->vmas) {
        struct vma *v = mm->vmas;
        mm->vmas = v->next;
        vma_free(v);
    }
    sk_handle_close(mm->space);
    sk_free(mm);
}

/* Cut the vma containing addr (if any, and not starting there) in two at addr. */
static int split_at(struct mm *mm, uint64_t addr)
{
    for (struct vma *v = mm->vmas; v; v = v->next) {
        if (v->start < addr && addr < v->end) {
            struct vma *n = sk_malloc(sizeof *n);
            if (!n)
                return -LX_ENOMEM;
            *n = *v;
            n->start = addr;
            n->offset = v->offset + (addr - v->start);
            mobj_get(n->obj);
            inode_get(n->file);
            if (n->shm)
                shm_attached(n->shm);
            v->end = addr;
            v->next = n;
            return 0;
        }
        if (v->start >= addr)
            break;
    }
    return 0;
}

/* Remove the model's vmas inside [start, end) (already split at both ends). */
static void drop_range(struct mm *mm, uint64_t start, uint64_t end)
{
    struct vma **pp = &mm->vmas;
    while (*pp) {
        struct vma *v = *pp;
        if (v->start >= start && v->end <= end) {
            *pp = v->next;
            vma_free(v);
        } else {
            pp = &v->next;
        }
    }
}

int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len)
{
    if ((addr & (LX_PAGE - 1)) || len == 0)
        return -LX_EINVAL;
    len = (len + LX_PAGE - 1) & ~(LX_PAGE - 1);
    if (addr + len < addr || addr + len > SK_USER_TOP)
        return -LX_EINVAL;
    int e = split_at(mm, addr);
    if (!e)
        e = split_at(mm, addr + len);
    if (e)
        return e;
    if (sk_space_unmap(mm->space, addr, len) != SK_OK)
        return -LX_ENOMEM;
    drop_range(mm, addr, addr + len);
    return 0;
}

int mm_map_fixed(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                 struct mobj *obj, uint64_t offset, struct inode *file)
{
    if (mm->lock_future)
        flags |= VMA_LOCKED; /* mlockall(MCL_FUTURE) */
    struct vma *n = sk_malloc(sizeof *n);
    if (!n)
        return -LX_ENOMEM;
    int e = mm_unmap(mm, addr, len);
    if (e) {
        sk_free(n);
        return e;
    }
    uint64_t at;
    sk_error_t se = sk_space_map(mm->space, obj->h, offset, addr, len,
                                 sk_prot(prot) | SK_MAP_FIXED |
                                     (flags & VMA_FILE_RO ? SK_MAP_PRIVATE : 0), &at);
    if (se != SK_OK) {
        sk_free(n);
        return se == SK_ERR_NO_MEMORY ? -LX_ENOMEM : -LX_EINVAL;
    }
    *n = (struct vma){.start = addr, .end = addr + len, .prot = prot, .flags = flags,
                      .obj = mobj_get(obj), .offset = offset, .file = inode_get(file)};
    struct vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < addr)
        pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    return 0;
}

static int range_free(struct mm *mm, uint64_t start, uint64_t end)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start < end && start < v->end)
            return 0;
    return 1;
}

uint64_t mm_find_free(struct mm *mm, uint64_t hint, uint64_t len)
{
    if (hint && !(hint & (LX_PAGE - 1)) && hint >= MMAP_BOTTOM && hint + len > hint &&
        hint + len <= SK_USER_TOP && range_free(mm, hint, hint + len))
        return hint;
    /* top down below mmap_top: try the place just below each mapping */
    uint64_t cand = mm->mmap_top - len;
    if (len > mm->mmap_top - MMAP_BOTTOM)
        return 0;
    for (;;) {
        int clash = 0;
        uint64_t lowest_start = cand;
        for (struct vma *v = mm->vmas; v; v = v->next)
            if (v->start < cand + len && cand < v->end) {
                clash = 1;
                if (v->start < lowest_start)
                    lowest_start = v->start;
            }
        if (!clash)
            return cand;
        if (lowest_start < MMAP_BOTTOM + len)
            return 0;
        cand = lowest_start - len;
    }
}

/* [addr, end) (page aligned, non-empty) must be mapped throughout (-ENOMEM); split the vmas at
   its ends, so that whole vmas cover it. */
static int split_range(struct mm *mm, uint64_t addr, uint64_t end)
{
    if (end < addr || end > SK_USER_TOP)
        return -LX_ENOMEM;
    uint64_t at = addr;
    for (struct vma *v = mm->vmas; v && at < end; v = v->next) {
        if (v->end <= at)
            continue;
        if (v->start > at)
            return -LX_ENOMEM;
        at = v->end;
    }
    if (at < end)
        return -LX_ENOMEM;
    int e = split_at(mm, addr);
    return e ? e : split_at(mm, end);
}

int mm_lock(struct mm *mm, uint64_t addr, uint64_t len, int on)
{
    if (len == 0)
        return addr + len < addr || addr > SK_USER_TOP ? -LX_ENOMEM : 0;
    uint64_t end = addr + len;
    int e = split_range(mm, addr, end);
    if (e)
        return e;
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start >= addr && v->end <= end)
            v->flags = on ? v->flags | VMA_LOCKED : v->flags & ~VMA_LOCKED;
    return 0;
}

uint64_t mm_locked_bytes(struct mm *mm, uint64_t addr, uint64_t len)
{
    uint64_t n = 0, end = len ? addr + len : UINT64_MAX;
    for (struct vma *v = mm->vmas; v; v = v->next) {
        if (!(v->flags & VMA_LOCKED))
            continue;
        uint64_t s = v->start > addr ? v->start : addr, e = v->end < end ? v->end : end;
        if (s < e)
            n += e - s;
    }
    return n;
}

int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot)
{
    if (addr & (LX_PAGE - 1))
        return -LX_EINVAL;
    len = (len + LX_PAGE - 1) & ~(LX_PAGE - 1);
    if (len == 0)
        return 0;
    int e = split_range(mm, addr, addr + len); /* every page must be mapped */
    if (e)
        return e;
    /* a private view of a shared object that becomes writable gets a copy of its own first
       (nothing was written through it: the object's pages are its content) */
again:
    for (struct vma *v = mm->vmas; v && (prot & LX_PROT_WRITE); v = v->next) {
        if (!(v->flags & VMA_FILE_RO) || v->start < addr || v->end > addr + len)
            continue;
        struct mobj *m = mobj_fork(v->obj);
        if (!m)
            return -LX_ENOMEM;
        struct inode *file = inode_get(v->file); /* (v goes in the call) */
        e = mm_map_fixed(mm, v->start, v->end - v->start, v->prot, v->flags & ~VMA_FILE_RO, m,
                         v->offset, file);
        inode_put(file);
        mobj_put(m);
        if (e)
            return e;
        goto again; /* the list changed: look again from the start */
    }
    if (sk_space_protect(mm->space, addr, len, sk_prot(prot)) != SK_OK)
        return -LX_ENOMEM;
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start >= addr && v->end <= addr + len)
            v->prot = prot;
    return 0;
}

struct mm *mm_fork(struct mm *parent, int *err)
{
    *err = -LX_ENOMEM;
    struct mm *mm = mm_new();
    if (!mm)
        return NULL;
    mm->mmap_top = parent->mmap_top;
    mm->brk_start = parent->brk_start;
    mm->brk = parent->brk;
    mm->brk_limit = parent->brk_limit;
    mm_set_exe(mm, parent->exe);
    /* each private object is forked once however many vmas use it: pairs old -> new */
    struct pair {
        struct mobj *from, *to;
    } *pairs = NULL;
    unsigned npairs = 0, cap = 0;
    for (struct vma *v = parent->vmas; v; v = v->next) {
        struct mobj *obj = NULL;
        if (v->flags & (VMA_SHARED | VMA_FILE_RO)) {
            obj = mobj_get(v->obj);
        } else {
            for (unsigned i = 0; i < npairs; i++)
                if (pairs[i].from == v->obj)
                    obj = mobj_get(pairs[i].to);
            if (!obj) {
                struct mobj *m = mobj_fork(v->obj);
                if (!m)
                    goto fail;
                if (npairs == cap) {
                    cap = cap ? cap * 2 : 16;
                    struct pair *np = sk_malloc(cap * sizeof *np);
                    if (!np) {
                        mobj_put(m);
                        goto fail;
                    }
                    if (npairs)
                        memcpy(np, pairs, npairs * sizeof *np);
                    sk_free(pairs);
                    pairs = np;
                }
                pairs[npairs++] = (struct pair){v->obj, m};
                obj = mobj_get(m);
            }
        }
        /* (memory locks are not inherited, as on Linux) */
        int e = mm_map_fixed(mm, v->start, v->end - v->start, v->prot, v->flags & ~VMA_LOCKED,
                             obj, v->offset, v->file);
        mobj_put(obj);
        if (e)
            goto fail;
        if (v->shm) { /* (the child's attach counts too) */
            struct vma *nv = mm_vma_at(mm, v->start);
            if (nv) {
                nv->shm = v->shm;
                shm_attached(v->shm);
            }
        }
    }
    for (unsigned i = 0; i < npairs; i++)
        mobj_put(pairs[i].to);
    sk_free(pairs);
    *err = 0;
    return mm;
fail:
    for (unsigned i = 0; i < npairs; i++)
        mobj_put(pairs[i].to);
    sk_free(pairs);
    mm_free(mm);
    return NULL;
}
