/*
 * File locks (docs/posix.md, "File locks"): fcntl's record locks, both kinds Linux has
 * (POSIX locks, owned by a descriptor table and dropped when it closes any descriptor of the
 * file; open-file-description locks, owned by the open file), which conflict with each other,
 * and flock's whole-file locks (owned by the open file, a namespace of their own). A request
 * that conflicts fails with EAGAIN or waits on the inode's queue (F_SETLKW, F_OFD_SETLKW,
 * flock without LOCK_NB) and tries again whenever a lock of the file goes; a POSIX wait that
 * would close a cycle of owners waiting on each other fails with EDEADLK, as on Linux.
 */
#include "posix.h"
#include "calls.h"

#define LX_F_GETLK 5
#define LX_F_SETLK 6
#define LX_F_SETLKW 7
#define LX_F_OFD_GETLK 36
#define LX_F_OFD_SETLK 37
#define LX_F_OFD_SETLKW 38
#define LX_F_RDLCK 0
#define LX_F_WRLCK 1
#define LX_F_UNLCK 2
#define LX_LOCK_SH 1
#define LX_LOCK_EX 2
#define LX_LOCK_NB 4
#define LX_LOCK_UN 8

enum { KIND_POSIX, KIND_OFD, KIND_FLOCK };

struct lock {
    struct lock *next;
    int type;            /* LX_F_RDLCK or LX_F_WRLCK */
    int kind;
    uint64_t start, end; /* bytes, end included (UINT64_MAX: to the end of any file) */
    void *owner;         /* POSIX: the descriptor table; OFD and flock: the open file */
    int pid;             /* what F_GETLK reports: the POSIX owner's process, -1 for OFD */
};

struct lockset {
    struct lock *locks;
    struct waitq wq;
};

struct lx_flock {
    int16_t l_type, l_whence;
    int32_t pad;
    int64_t l_start, l_len;
    int32_t l_pid, pad2;
};
_Static_assert(sizeof(struct lx_flock) == 32, "struct flock");

/* What a lock request asks for (parsed from the caller's struct flock). */
struct lockreq {
    int type, kind;
    uint64_t start, end;
    void *owner;
    int pid;
};

static int same_space(int a, int b)
{
    return (a == KIND_FLOCK) == (b == KIND_FLOCK);
}

static struct lock *conflict(struct lockset *ls, const struct lockreq *rq)
{
    if (!ls)
        return NULL;
    for (struct lock *l = ls->locks; l; l = l->next)
        if (same_space(l->kind, rq->kind) && l->owner != rq->owner && l->start <= rq->end &&
            rq->start <= l->end && (l->type == LX_F_WRLCK || rq->type == LX_F_WRLCK))
            return l;
    return NULL;
}

static struct lockset *lockset_of(struct inode *ino)
{
    if (!ino->locks)
        ino->locks = sk_calloc(1, sizeof *ino->locks);
    return ino->locks;
}

static void lockset_tidy(struct inode *ino)
{
    struct lockset *ls = ino->locks;
    if (ls && !ls->locks && !ls->wq.head) {
        sk_free(ls);
        ino->locks = NULL;
    }
}

/*
 * Make rq the owner's state for its range: its locks there (of rq's namespace) are cut away,
 * then rq's lock (unless an unlock) goes in, merged with the owner's locks of the same type
 * it touches or overlaps, as Linux keeps them. Allocates everything first: -ENOLCK if it cannot.
 */
static int apply(struct lockset *ls, const struct lockreq *rq)
{
    struct lock *spare[2] = {sk_calloc(1, sizeof(struct lock)), sk_calloc(1, sizeof(struct lock))};
    if (!spare[0] || !spare[1]) {
        sk_free(spare[0]);
        sk_free(spare[1]);
        return -LX_ENOLCK;
    }
    uint64_t start = rq->start, end = rq->end;
    /* same-type neighbours and overlaps merge into the new lock's range */
    if (rq->type != LX_F_UNLCK) {
        for (int again = 1; again;) {
            again = 0;
            for (struct lock *l = ls->locks; l; l = l->next) {
                if (l->owner != rq->owner || !same_space(l->kind, rq->kind) || l->type != rq->type)
                    continue;
                int touches = l->start <= (end == UINT64_MAX ? end : end + 1) &&
                              start <= (l->end == UINT64_MAX ? l->end : l->end + 1);
                if (touches && (l->start < start || l->end > end)) {
                    start = l->start < start ? l->start : start;
                    end = l->end > end ? l->end : end;
                    again = 1;
                }
            }
        }
    }
    /* cut the owner's locks out of [start, end] */
    for (struct lock **pp = &ls->locks; *pp;) {
        struct lock *l = *pp;
        if (l->owner != rq->owner || !same_space(l->kind, rq->kind) || l->end < start ||
            l->start > end) {
            pp = &l->next;
            continue;
        }
        if (l->start < start && l->end > end) { /* split around the range */
            struct lock *tail = spare[0] ? spare[0] : spare[1];
            if (tail == spare[0])
                spare[0] = NULL;
            else
                spare[1] = NULL;
            *tail = *l;
            tail->start = end + 1;
            l->end = start - 1;
            tail->next = l->next;
            l->next = tail;
            pp = &tail->next;
        } else if (l->start < start) {
            l->end = start - 1;
            pp = &l->next;
        } else if (l->end > end) {
            l->start = end + 1;
            pp = &l->next;
        } else {
            *pp = l->next;
            sk_free(l);
        }
    }
    if (rq->type != LX_F_UNLCK) {
        struct lock *n = spare[0] ? spare[0] : spare[1];
        if (n == spare[0])
            spare[0] = NULL;
        else
            spare[1] = NULL;
        *n = (struct lock){.type = rq->type, .kind = rq->kind, .start = start, .end = end,
                           .owner = rq->owner, .pid = rq->pid};
        /* in order of start, so F_GETLK reports the first conflict */
        struct lock **pp = &ls->locks;
        while (*pp && (*pp)->start <= start)
            pp = &(*pp)->next;
        n->next = *pp;
        *pp = n;
    }
    sk_free(spare[0]);
    sk_free(spare[1]);
    waitq_wake_all(&ls->wq);
    return 0;
}

/* Drop every lock of owner (in kind's namespace, or all when kind < 0) on ino. */
static void drop_owner(struct inode *ino, void *owner, int flock_space)
{
    struct lockset *ls = ino->locks;
    if (!ls)
        return;
    int changed = 0;
    for (struct lock **pp = &ls->locks; *pp;) {
        struct lock *l = *pp;
        if (l->owner == owner && (flock_space < 0 || (l->kind == KIND_FLOCK) == flock_space)) {
            *pp = l->next;
            sk_free(l);
            changed = 1;
        } else {
            pp = &l->next;
        }
    }
    if (changed)
        waitq_wake_all(&ls->wq);
    lockset_tidy(ino);
}

void lock_table_closed(struct fdtable *t, struct inode *ino)
{
    drop_owner(ino, t, 0);
}

void lock_file_gone(struct file *f)
{
    drop_owner(f->ino, f, -1);
}

/* ---- deadlocks: POSIX owners waiting on each other ---- */

/* A thread parked for a POSIX lock records whose lock blocks it. */
static int would_deadlock(struct lthread *t, void *blocker)
{
    void *me = t->p->fds;
    for (int depth = 0; depth < 16 && blocker; depth++) {
        if (blocker == me)
            return 1;
        void *next = NULL;
        for (struct proc *p = procs; p && !next; p = p->all_next)
            for (struct lthread *x = p->threads; x && !next; x = x->next)
                if (x != t && x->lock_waiting_for && p->fds == blocker)
                    next = x->lock_waiting_for;
        blocker = next;
    }
    return 0;
}

/* ---- fcntl ---- */

static sk_error_t setlk_try(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

/* An F_*LK call's argument (t->buf): the caller's struct flock, then what it asks for, worked
   out once (a retry after a wait does not look at the position or size again, as Linux). */
struct lockarg {
    struct lx_flock fl;
    struct lockreq rq;
};

/* t->buf holds the caller's struct flock; t->a as fcntl's. Parse it into rq (0 or -errno). */
static long parse(struct lthread *t, struct file *f, struct lockreq *rq)
{
    const struct lx_flock *fl = t->buf;
    int cmd = (int)t->a[1];
    int ofd = cmd >= LX_F_OFD_GETLK;
    if (fl->l_type != LX_F_RDLCK && fl->l_type != LX_F_WRLCK && fl->l_type != LX_F_UNLCK)
        return -LX_EINVAL;
    if (ofd && fl->l_pid != 0)
        return -LX_EINVAL;
    int64_t base;
    if (file_whence_base(f, (uint64_t)(int64_t)fl->l_whence, &base))
        return -LX_EINVAL;
    int64_t start;
    if (__builtin_add_overflow(base, fl->l_start, &start))
        return -LX_EOVERFLOW;
    uint64_t end;
    if (fl->l_len > 0) {
        int64_t last;
        if (__builtin_add_overflow(start, fl->l_len - 1, &last))
            return -LX_EOVERFLOW;
        end = (uint64_t)last;
    } else if (fl->l_len == 0) {
        end = UINT64_MAX;
    } else {
        end = (uint64_t)(start - 1);
        if (__builtin_add_overflow(start, fl->l_len, &start))
            return -LX_EINVAL;
    }
    if (start < 0)
        return -LX_EINVAL;
    rq->type = fl->l_type;
    rq->kind = ofd ? KIND_OFD : KIND_POSIX;
    rq->start = (uint64_t)start;
    rq->end = end;
    rq->owner = ofd ? (void *)f : (void *)t->p->fds;
    rq->pid = ofd ? -1 : t->p->pid;
    return 0;
}

static sk_error_t lock_arg_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    struct lockarg *la = t->buf;
    long rc = f ? parse(t, f, &la->rq) : -LX_EBADF;
    if (rc) {
        call_return(t, rc);
        return SK_OK;
    }
    struct lockreq rq = la->rq;
    int cmd = (int)t->a[1];
    if (cmd == LX_F_GETLK || cmd == LX_F_OFD_GETLK) {
        if (rq.type == LX_F_UNLCK) {
            call_return(t, -LX_EINVAL);
            return SK_OK;
        }
        struct lx_flock *fl = t->buf;
        struct lock *l = conflict(f->ino->locks, &rq);
        if (!l) {
            fl->l_type = LX_F_UNLCK;
        } else {
            fl->l_type = (int16_t)l->type;
            fl->l_whence = 0;
            fl->l_start = (int64_t)l->start;
            fl->l_len = l->end == UINT64_MAX ? 0 : (int64_t)(l->end - l->start + 1);
            fl->l_pid = l->pid;
        }
        t->ret = 0;
        return call_copy_out(t, t->a[2], fl, sizeof *fl, call_done_step);
    }
    uint32_t acc = f->flags & LX_O_ACCMODE;
    if ((rq.type == LX_F_RDLCK && acc == LX_O_WRONLY) ||
        (rq.type == LX_F_WRLCK && acc == LX_O_RDONLY)) {
        call_return(t, -LX_EBADF);
        return SK_OK;
    }
    return setlk_try(r, SK_OK, cqe);
}

/* F_SETLK(W) and F_OFD_SETLK(W), again after each wait */
static sk_error_t setlk_try(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    t->lock_waiting_for = NULL;
    if (err)
        return err;
    struct file *f = fd_get(t->p->fds, (int)t->a[0]);
    if (!f) {
        call_return(t, -LX_EBADF);
        return SK_OK;
    }
    struct lockreq rq = ((struct lockarg *)t->buf)->rq;
    long rc;
    struct lockset *ls = lockset_of(f->ino);
    if (!ls) {
        call_return(t, -LX_ENOLCK);
        return SK_OK;
    }
    struct lock *l = rq.type == LX_F_UNLCK ? NULL : conflict(ls, &rq);
    if (l) {
        int cmd = (int)t->a[1];
        if (cmd != LX_F_SETLKW && cmd != LX_F_OFD_SETLKW) {
            lockset_tidy(f->ino);
            call_return(t, -LX_EAGAIN);
            return SK_OK;
        }
        if (rq.kind == KIND_POSIX && l->kind == KIND_POSIX && would_deadlock(t, l->owner)) {
            lockset_tidy(f->ino);
            call_return(t, -LX_EDEADLK);
            return SK_OK;
        }
        if (rq.kind == KIND_POSIX && l->kind == KIND_POSIX)
            t->lock_waiting_for = l->owner;
        waitq_park(&ls->wq, t, setlk_try);
        return SK_OK;
    }
    rc = apply(ls, &rq);
    lockset_tidy(f->ino);
    call_return(t, rc);
    return SK_OK;
}

long lock_fcntl(struct lthread *t, struct file *f)
{
    (void)f;
    struct lockarg *la = sk_malloc(sizeof *la);
    if (!la)
        return -LX_ENOMEM;
    t->buf = la;
    sk_error_t e = call_copy_in(t, t->a[2], &la->fl, sizeof la->fl, lock_arg_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- flock ---- */

static sk_error_t flock_try(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
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
    uint32_t op = (uint32_t)t->a[1] & ~(uint32_t)LX_LOCK_NB;
    struct lockreq rq = {.type = op == LX_LOCK_SH ? LX_F_RDLCK : op == LX_LOCK_EX ? LX_F_WRLCK
                                                                                  : LX_F_UNLCK,
                         .kind = KIND_FLOCK, .start = 0, .end = UINT64_MAX, .owner = f, .pid = -1};
    struct lockset *ls = lockset_of(f->ino);
    if (!ls) {
        call_return(t, -LX_ENOLCK);
        return SK_OK;
    }
    if (rq.type != LX_F_UNLCK && conflict(ls, &rq)) {
        /* a conversion gives up the old lock first (so two converting holders cannot
           deadlock), as Linux does */
        struct lockreq un = rq;
        un.type = LX_F_UNLCK;
        apply(ls, &un);
        if (t->a[1] & LX_LOCK_NB) {
            lockset_tidy(f->ino);
            call_return(t, -LX_EAGAIN);
            return SK_OK;
        }
        waitq_park(&ls->wq, t, flock_try);
        return SK_OK;
    }
    long rc = apply(ls, &rq);
    lockset_tidy(f->ino);
    call_return(t, rc);
    return SK_OK;
}

long sys_flock(struct lthread *t)
{
    uint32_t op = (uint32_t)t->a[1] & ~(uint32_t)LX_LOCK_NB;
    if (op != LX_LOCK_SH && op != LX_LOCK_EX && op != LX_LOCK_UN)
        return -LX_EINVAL;
    if (!fd_get(t->p->fds, (int)t->a[0]))
        return -LX_EBADF;
    struct sk_cqe none = {0};
    flock_try(&t->req, SK_OK, &none);
    return CALL_PENDING;
}
