/*
 * System V shared memory (docs/posix.md, "Files"): shmget, shmat, shmdt, shmctl. A segment is
 * a shared memory object with Linux's ipc permissions and bookkeeping in a table of SHMMNI
 * slots (sysvipc.c: ids, keys, permissions). Every vma of an attach points at its segment (vma.shm): the attach
 * count is the number of such vmas, kept by mm.c as vmas are made, split, copied by fork and
 * freed, so exit, exec and munmap all detach. IPC_RMID takes the key away at once and the
 * segment goes with its last vma.
 */
#include "posix.h"
#include "calls.h"

#define IPC_PRIVATE 0
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_DEST 01000
#define SHM_LOCKED 02000
#define SHMMNI 4096
#define SHMMIN 1ull
#define SHMMAX (UINT64_MAX - (1ull << 24))

struct shmseg {
    struct ipcperm ip; /* (first: the table's view) */
    uint64_t size;
    struct mobj *obj;
    int cpid, lpid;
    uint64_t nattch;
    int64_t atime, dtime, ctime;
};

struct lx_ipc64_perm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq, pad2;
    uint32_t pad3;
    uint64_t unused1, unused2;
};
struct lx_shmid64_ds {
    struct lx_ipc64_perm perm;
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int32_t cpid, lpid;
    uint64_t nattch, unused4, unused5;
};
_Static_assert(sizeof(struct lx_shmid64_ds) == 112, "shmid64_ds");

static void *slots[SHMMNI];
static struct ipctab segs = {slots, SHMMNI, 0, 0};

static struct shmseg *seg_of(int id)
{
    return ipc_of(&segs, id);
}

static int may(struct proc *p, struct shmseg *s, uint32_t want)
{
    return ipc_may(p, &s->ip, want);
}

static void seg_free(struct shmseg *s)
{
    ipc_del(&segs, &s->ip);
    mobj_put(s->obj);
    sk_free(s);
}

void shm_attached(struct shmseg *s)
{
    s->nattch++;
}

void shm_detached(struct shmseg *s)
{
    if (--s->nattch == 0 && (s->ip.mode & SHM_DEST))
        seg_free(s);
}

long sys_shmget(struct lthread *t)
{
    int32_t key = (int32_t)t->a[0];
    uint64_t size = t->a[1];
    uint32_t flg = (uint32_t)t->a[2];
    struct proc *p = t->p;
    long e;
    struct shmseg *found = ipc_find(&segs, p, key, flg, &e);
    if (found)
        return size > found->size ? -LX_EINVAL : found->ip.id;
    if (e)
        return e;
    if (size < SHMMIN || size > SHMMAX)
        return -LX_EINVAL;
    int slot = ipc_free_slot(&segs);
    if (slot < 0)
        return -LX_ENOSPC;
    uint64_t pages = (size + LX_PAGE - 1) & ~(uint64_t)(LX_PAGE - 1);
    if (pages < size)
        return -LX_EINVAL;
    struct shmseg *s = sk_calloc(1, sizeof *s);
    struct mobj *obj = s ? mobj_new(pages) : NULL;
    if (!obj) {
        sk_free(s);
        return -LX_ENOMEM;
    }
    s->size = size;
    s->obj = obj;
    s->cpid = p->pid;
    s->ctime = ipc_now();
    return ipc_add(&segs, slot, &s->ip, p, key, flg);
}

long sys_shmat(struct lthread *t)
{
    struct shmseg *s = seg_of((int)t->a[0]);
    uint64_t addr = t->a[1];
    uint32_t flg = (uint32_t)t->a[2];
    if (addr) {
        if (addr & (LX_PAGE - 1)) {
            if (!(flg & SHM_RND))
                return -LX_EINVAL;
            addr &= ~(uint64_t)(LX_PAGE - 1);
            if (!addr && (flg & SHM_REMAP))
                return -LX_EINVAL;
        }
    } else if (flg & SHM_REMAP) {
        return -LX_EINVAL;
    }
    if (!s)
        return -LX_EINVAL;
    uint32_t prot = LX_PROT_READ, want = 4;
    if (!(flg & SHM_RDONLY))
        prot |= LX_PROT_WRITE, want |= 2;
    if (flg & SHM_EXEC)
        prot |= LX_PROT_EXEC, want |= 1;
    if (!may(t->p, s, want))
        return -LX_EACCES;
    struct mm *mm = t->p->mm;
    uint64_t len = (s->size + LX_PAGE - 1) & ~(uint64_t)(LX_PAGE - 1);
    if (addr) {
        if (addr + len < addr || addr + len > SK_USER_TOP || addr < 0x10000)
            return -LX_EINVAL;
        if (!(flg & SHM_REMAP))
            for (struct vma *v = mm->vmas; v; v = v->next)
                if (v->start < addr + len && addr < v->end)
                    return -LX_EINVAL;
    } else {
        addr = mm_find_free(mm, 0, len);
        if (!addr)
            return -LX_ENOMEM;
    }
    int e = mm_map_fixed(mm, addr, len, prot, VMA_SHARED, s->obj, 0, NULL);
    if (e)
        return e;
    struct vma *v = mm_vma_at(mm, addr);
    if (v) {
        v->shm = s;
        shm_attached(s);
    }
    s->atime = ipc_now();
    s->lpid = t->p->pid;
    return (long)addr;
}

long sys_shmdt(struct lthread *t)
{
    uint64_t addr = t->a[0];
    if (addr & (LX_PAGE - 1))
        return -LX_EINVAL;
    struct mm *mm = t->p->mm;
    struct vma *v = mm_vma_at(mm, addr);
    if (!v || v->start != addr || !v->shm)
        return -LX_EINVAL;
    struct shmseg *s = v->shm;
    uint64_t end = addr + ((s->size + LX_PAGE - 1) & ~(uint64_t)(LX_PAGE - 1));
    s->dtime = ipc_now();
    s->lpid = t->p->pid;
    /* every piece of this attach (vmas of the segment from addr on, as Linux's shmdt) */
    for (;;) {
        struct vma *w = mm->vmas;
        while (w && !(w->shm == s && w->start >= addr && w->start < end))
            w = w->next;
        if (!w)
            break;
        if (mm_unmap(mm, w->start, w->end - w->start))
            break;
    }
    return 0;
}

static void fill(struct shmseg *s, struct lx_shmid64_ds *d)
{
    memset(d, 0, sizeof *d);
    d->perm = (struct lx_ipc64_perm){.key = s->ip.key, .uid = s->ip.uid, .gid = s->ip.gid, .cuid = s->ip.cuid,
                                     .cgid = s->ip.cgid, .mode = s->ip.mode, .seq = s->ip.seq};
    d->segsz = s->size;
    d->atime = s->atime;
    d->dtime = s->dtime;
    d->ctime = s->ctime;
    d->cpid = s->cpid;
    d->lpid = s->lpid;
    d->nattch = s->nattch;
}

static sk_error_t set_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct shmseg *s = seg_of((int)t->a[0]);
    struct lx_shmid64_ds *d = t->buf;
    if (!s) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    struct proc *p = t->p;
    if (!ipc_owner(p, &s->ip)) {
        call_return(t, -LX_EPERM);
        return SK_OK;
    }
    s->ip.uid = d->perm.uid;
    s->ip.gid = d->perm.gid;
    s->ip.mode = (s->ip.mode & ~0777u) | (d->perm.mode & 0777);
    s->ctime = ipc_now();
    call_return(t, 0);
    return SK_OK;
}

long sys_shmctl(struct lthread *t)
{
    int cmd = (int)t->a[1] & ~0x100; /* (IPC_64) */
    struct proc *p = t->p;
    if (cmd == IPC_INFO || cmd == SHM_INFO) {
        uint64_t *info = sk_calloc(1, 128);
        if (!info)
            return -LX_ENOMEM;
        t->buf = info;
        int used, highest = ipc_highest(&segs, &used);
        if (cmd == IPC_INFO) { /* struct shminfo64: max, min, mni, seg, all */
            info[0] = SHMMAX, info[1] = SHMMIN, info[2] = SHMMNI, info[3] = SHMMNI,
            info[4] = UINT64_MAX - (1ull << 24);
        } else { /* struct shm_info: used_ids, then page counts */
            ((int32_t *)info)[0] = used;
        }
        t->ret = highest;
        sk_error_t e = call_copy_out(t, t->a[2], info, cmd == IPC_INFO ? 72 : 48, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    struct shmseg *s = cmd == SHM_STAT || cmd == SHM_STAT_ANY ? ipc_at(&segs, (int)t->a[0])
                                                              : seg_of((int)t->a[0]);
    switch (cmd) {
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
        if (!s)
            return -LX_EINVAL;
        if (cmd != SHM_STAT_ANY && !may(p, s, 4))
            return -LX_EACCES;
        struct lx_shmid64_ds *d = sk_calloc(1, sizeof *d);
        if (!d)
            return -LX_ENOMEM;
        t->buf = d;
        fill(s, d);
        t->ret = cmd == IPC_STAT ? 0 : s->ip.id;
        sk_error_t e = call_copy_out(t, t->a[2], d, sizeof *d, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case IPC_SET: {
        if (!s)
            return -LX_EINVAL;
        t->buf = sk_calloc(1, sizeof(struct lx_shmid64_ds));
        if (!t->buf)
            return -LX_ENOMEM;
        sk_error_t e = call_copy_in(t, t->a[2], t->buf, sizeof(struct lx_shmid64_ds), set_read);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case IPC_RMID:
        if (!s)
            return -LX_EINVAL;
        if (!ipc_owner(p, &s->ip))
            return -LX_EPERM;
        s->ip.mode |= SHM_DEST;
        s->ip.key = IPC_PRIVATE;
        if (s->nattch == 0)
            seg_free(s);
        return 0;
    case SHM_LOCK:
    case SHM_UNLOCK:
        if (!s)
            return -LX_EINVAL;
        if (p->euid != 0)
            return -LX_EPERM;
        if (cmd == SHM_LOCK)
            s->ip.mode |= SHM_LOCKED;
        else
            s->ip.mode &= ~(uint32_t)SHM_LOCKED;
        return 0;
    default:
        return -LX_EINVAL;
    }
}
