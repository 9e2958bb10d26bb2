/*
 * System V semaphores (docs/posix.md, "Files"): semget, semop, semtimedop, semctl. A set is a
 * slot of a SEMMNI table (sysvipc.c: ids, keys and Linux's
 * ipc permissions). semop applies its operations all or none: when one would block, nothing
 * changes and the caller parks on the set's queue (or EAGAIN with IPC_NOWAIT); every change of
 * the set wakes the queue and each waiter tries again. SEM_UNDO keeps per-process adjustments
 * that proc_exit applies; SETVAL/SETALL clear them for what they set. A signal ends a wait
 * with EINTR (never restarted), removal with EIDRM, semtimedop's timeout with EAGAIN.
 */
#include "posix.h"
#include "calls.h"

#define IPC_NOWAIT 04000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define SEM_STAT 18
#define SEM_INFO 19
#define SEM_STAT_ANY 20
#define SEM_UNDO 0x1000
#define SEMMNI 32000
#define SEMMSL 32000
#define SEMOPM 500
#define SEMVMX 32767
#define NR_semtimedop 220

struct sem {
    int32_t val;
    int32_t pid;
};

struct semset {
    struct ipcperm ip; /* (first: the table's view) */
    uint32_t nsems;
    int64_t otime, ctime;
    struct waitq wq;
    struct sem s[];
};

struct semundo {
    struct semundo *next;
    int id;
    uint32_t num;
    int32_t adj;
};

struct lx_sembuf {
    uint16_t num;
    int16_t op, flg;
};

struct semcall {
    int id;
    uint32_t nsops;
    int64_t ts[2];
    uint64_t deadline;
    int block_num, block_zero; /* what it waits for (GETNCNT / GETZCNT) */
    struct lx_sembuf ops[];
};

static void *slots[SEMMNI];
static struct ipctab sets = {slots, SEMMNI, 0, 0};

static struct semset *set_of(int id)
{
    return ipc_of(&sets, id);
}

static int may(struct proc *p, struct semset *s, uint32_t want)
{
    return ipc_may(p, &s->ip, want);
}

/* Forget every process's SEM_UNDO adjustment of id's semaphore num (-1: all of them). */
static void undo_clear(int id, int num)
{
    for (struct proc *p = procs; p; p = p->all_next)
        for (struct semundo **pp = &p->semundo; *pp;) {
            struct semundo *u = *pp;
            if (u->id == id && (num < 0 || u->num == (uint32_t)num)) {
                *pp = u->next;
                sk_free(u);
            } else {
                pp = &u->next;
            }
        }
}

long sys_semget(struct lthread *t)
{
    int32_t key = (int32_t)t->a[0];
    int nsems = (int)t->a[1];
    uint32_t flg = (uint32_t)t->a[2];
    if (nsems < 0 || nsems > SEMMSL)
        return -LX_EINVAL;
    long e;
    struct semset *found = ipc_find(&sets, t->p, key, flg, &e);
    if (found)
        return (uint32_t)nsems > found->nsems ? -LX_EINVAL : found->ip.id;
    if (e)
        return e;
    if (nsems == 0)
        return -LX_EINVAL;
    int slot = ipc_free_slot(&sets);
    if (slot < 0)
        return -LX_ENOSPC;
    struct semset *s = sk_calloc(1, sizeof *s + (size_t)nsems * sizeof(struct sem));
    if (!s)
        return -LX_ENOMEM;
    s->nsems = (uint32_t)nsems;
    s->ctime = ipc_now();
    return ipc_add(&sets, slot, &s->ip, t->p, key, flg);
}

/* ---- semop ---- */

/* Try the operations: 0 done, 1 would block (num/zero set), or -errno; all or nothing. */
static long try_ops(struct lthread *t, struct semset *s, struct semcall *c)
{
    int32_t vals[SEMOPM];
    for (uint32_t i = 0; i < c->nsops; i++)
        vals[i] = s->s[c->ops[i].num].val;
    /* apply in order on a scratch copy of the values touched */
    for (uint32_t i = 0; i < c->nsops; i++) {
        const struct lx_sembuf *o = &c->ops[i];
        int32_t cur = s->s[o->num].val;
        for (uint32_t k = 0; k < i; k++) /* (an earlier operation on the same one) */
            if (c->ops[k].num == o->num)
                cur = vals[k];
        int32_t next = cur + o->op;
        if (o->op == 0 ? cur != 0 : next < 0) {
            if (o->flg & IPC_NOWAIT)
                return -LX_EAGAIN;
            c->block_num = o->num;
            c->block_zero = o->op == 0;
            return 1;
        }
        if (next > SEMVMX)
            return -LX_ERANGE;
        vals[i] = next;
    }
    for (uint32_t i = 0; i < c->nsops; i++) {
        const struct lx_sembuf *o = &c->ops[i];
        s->s[o->num].val = vals[i];
        s->s[o->num].pid = t->p->pid;
        if ((o->flg & SEM_UNDO) && o->op) {
            struct semundo *u = t->p->semundo;
            while (u && !(u->id == s->ip.id && u->num == o->num))
                u = u->next;
            if (!u && (u = sk_calloc(1, sizeof *u))) {
                u->id = s->ip.id;
                u->num = o->num;
                u->next = t->p->semundo;
                t->p->semundo = u;
            }
            if (u)
                u->adj -= o->op;
        }
    }
    s->otime = ipc_now();
    waitq_wake_all(&s->wq);
    return 0;
}

static sk_error_t op_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static long op_try(struct lthread *t)
{
    struct semcall *c = t->buf;
    struct semset *s = set_of(c->id);
    if (!s)
        return t->phase ? -LX_EIDRM : -LX_EINVAL;
    long rc = try_ops(t, s, c);
    if (rc <= 0)
        return rc;
    if (c->deadline && now_ns() >= c->deadline)
        return -LX_EAGAIN;
    t->phase = 1; /* (from now on a set gone is EIDRM) */
    waitq_park(&s->wq, t, op_woken);
    if (c->deadline && !sk_timer_armed(&t->req.deadline))
        sk_req_deadline(&t->req, c->deadline);
    return CALL_PENDING;
}

static sk_error_t op_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct semcall *c = t->buf;
    c->block_num = -1;
    if (err == SK_ERR_TIMEOUT) {
        t->req.abort = SK_OK;
        call_return(t, -LX_EAGAIN);
        return SK_OK;
    }
    if (err) {
        call_return(t, err == SK_ERR_CANCELLED ? -LX_EINTR : errno_from_sk(err));
        return SK_OK;
    }
    long rc = op_try(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static long op_begin(struct lthread *t)
{
    struct semcall *c = t->buf;
    struct semset *s = set_of(c->id);
    if (!s)
        return -LX_EINVAL;
    int alter = 0;
    for (uint32_t i = 0; i < c->nsops; i++) {
        if (c->ops[i].num >= s->nsems)
            return -LX_EFBIG;
        alter |= c->ops[i].op != 0;
    }
    if (!may(t->p, s, alter ? 2 : 4))
        return -LX_EACCES;
    if (t->nr == NR_semtimedop && t->a[3]) {
        if (c->ts[0] < 0 || c->ts[1] < 0 || c->ts[1] >= 1000000000)
            return -LX_EINVAL;
        uint64_t ns = c->ts[0] > 4000000000 ? UINT64_MAX / 4 : (uint64_t)c->ts[0] * 1000000000ull + (uint64_t)c->ts[1];
        c->deadline = now_ns() + ns;
        if (!c->deadline)
            c->deadline = 1;
    }
    t->phase = 0;
    return op_try(t);
}

static sk_error_t op_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct semcall *c = t->buf;
    if (err)
        return err;
    if (t->nr == NR_semtimedop && t->a[3] && t->phase == 0) {
        t->phase = 2;
        return call_copy_in(t, t->a[3], c->ts, 16, op_step);
    }
    long rc = op_begin(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

long sys_semtimedop(struct lthread *t)
{
    uint64_t n = t->a[2];
    if (n == 0)
        return -LX_EINVAL;
    if (n > SEMOPM)
        return -LX_E2BIG;
    struct semcall *c = sk_calloc(1, sizeof *c + n * sizeof(struct lx_sembuf));
    if (!c)
        return -LX_ENOMEM;
    t->buf = c;
    c->id = (int)t->a[0];
    c->nsops = (uint32_t)n;
    c->block_num = -1;
    t->phase = 0;
    sk_error_t e = call_copy_in(t, t->a[1], c->ops, n * sizeof(struct lx_sembuf), op_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_semop(struct lthread *t)
{
    t->a[3] = 0;
    return sys_semtimedop(t);
}

/* A process ends: its SEM_UNDO adjustments are applied (clamped to 0..SEMVMX, as Linux). */
void sem_proc_gone(struct proc *p)
{
    while (p->semundo) {
        struct semundo *u = p->semundo;
        p->semundo = u->next;
        struct semset *s = set_of(u->id);
        if (s && u->num < s->nsems) {
            int32_t v = s->s[u->num].val + u->adj;
            s->s[u->num].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
            s->s[u->num].pid = p->pid;
            waitq_wake_all(&s->wq);
        }
        sk_free(u);
    }
}

/* ---- semctl(id, num, cmd, arg) ---- */

struct lx_semid64_ds {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq, pad2;
    uint32_t pad3;
    uint64_t unused1, unused2;
    int64_t otime;
    uint64_t unused_a;
    int64_t ctime;
    uint64_t unused_b;
    uint64_t nsems, unused3, unused4;
};
_Static_assert(sizeof(struct lx_semid64_ds) == 104, "semid64_ds");

static int waiters(struct semset *s, uint32_t num, int zero)
{
    int n = 0;
    for (struct lthread *w = s->wq.head; w; w = w->wait_next) {
        struct semcall *c = w->buf;
        if (c && c->block_num == (int)num && c->block_zero == zero)
            n++;
    }
    return n;
}

static void set_removed(struct semset *s)
{
    ipc_del(&sets, &s->ip);
    undo_clear(s->ip.id, -1);
    waitq_wake_all(&s->wq); /* (they find it gone: EIDRM) */
    sk_free(s); /* (woken waiters hold no pointer to it: they look it up again) */
}

static sk_error_t ctl_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct semset *s = set_of((int)t->a[0]);
    int cmd = (int)t->a[2] & ~0x100;
    if (!s) {
        call_return(t, -LX_EIDRM);
        return SK_OK;
    }
    if (cmd == SETALL) {
        uint16_t *v = t->buf;
        for (uint32_t i = 0; i < s->nsems; i++)
            if (v[i] > SEMVMX) {
                call_return(t, -LX_ERANGE);
                return SK_OK;
            }
        for (uint32_t i = 0; i < s->nsems; i++) {
            s->s[i].val = v[i];
            s->s[i].pid = t->p->pid;
        }
        undo_clear(s->ip.id, -1);
        s->ctime = ipc_now();
        waitq_wake_all(&s->wq);
    } else { /* IPC_SET */
        struct lx_semid64_ds *d = t->buf;
        struct proc *p = t->p;
        if (!ipc_owner(p, &s->ip)) {
            call_return(t, -LX_EPERM);
            return SK_OK;
        }
        s->ip.uid = d->uid;
        s->ip.gid = d->gid;
        s->ip.mode = (s->ip.mode & ~0777u) | (d->mode & 0777);
        s->ctime = ipc_now();
    }
    call_return(t, 0);
    return SK_OK;
}

long sys_semctl(struct lthread *t)
{
    int cmd = (int)t->a[2] & ~0x100; /* (IPC_64) */
    uint32_t num = (uint32_t)t->a[1];
    uint64_t arg = t->a[3];
    struct proc *p = t->p;
    if (cmd == IPC_INFO || cmd == SEM_INFO) {
        int32_t *info = sk_calloc(10, sizeof *info);
        if (!info)
            return -LX_ENOMEM;
        t->buf = info;
        int used, highest = ipc_highest(&sets, &used);
        /* struct seminfo: map, mni, mns, mnu, msl, opm, ume, usz, vmx, aem */
        int32_t v[10] = {SEMMNI, SEMMNI, SEMMNI * SEMMSL, SEMMNI * SEMMSL, SEMMSL, SEMOPM, SEMOPM,
                         16, SEMVMX, 16384};
        if (cmd == SEM_INFO)
            v[7] = used;
        memcpy(info, v, sizeof v);
        t->ret = highest;
        sk_error_t e = call_copy_out(t, arg, info, sizeof v, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    struct semset *s;
    if (cmd == SEM_STAT || cmd == SEM_STAT_ANY)
        s = ipc_at(&sets, (int)t->a[0]);
    else
        s = set_of((int)t->a[0]);
    if (!s)
        return -LX_EINVAL;
    switch (cmd) {
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY: {
        if (cmd != SEM_STAT_ANY && !may(p, s, 4))
            return -LX_EACCES;
        struct lx_semid64_ds *d = sk_calloc(1, sizeof *d);
        if (!d)
            return -LX_ENOMEM;
        t->buf = d;
        *d = (struct lx_semid64_ds){.key = s->ip.key, .uid = s->ip.uid, .gid = s->ip.gid, .cuid = s->ip.cuid,
                                    .cgid = s->ip.cgid, .mode = s->ip.mode, .seq = s->ip.seq,
                                    .otime = s->otime, .ctime = s->ctime, .nsems = s->nsems};
        t->ret = cmd == IPC_STAT ? 0 : s->ip.id;
        sk_error_t e = call_copy_out(t, arg, d, sizeof *d, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case IPC_SET: {
        t->buf = sk_calloc(1, sizeof(struct lx_semid64_ds));
        if (!t->buf)
            return -LX_ENOMEM;
        sk_error_t e = call_copy_in(t, arg, t->buf, sizeof(struct lx_semid64_ds), ctl_in);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case IPC_RMID:
        if (!ipc_owner(p, &s->ip))
            return -LX_EPERM;
        set_removed(s);
        return 0;
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT:
        if (!may(p, s, 4))
            return -LX_EACCES;
        if (num >= s->nsems)
            return -LX_EINVAL;
        return cmd == GETVAL ? s->s[num].val : cmd == GETPID ? s->s[num].pid
                                                              : waiters(s, num, cmd == GETZCNT);
    case SETVAL: {
        if (!may(p, s, 2))
            return -LX_EACCES;
        if (num >= s->nsems)
            return -LX_EINVAL;
        int32_t v = (int32_t)arg;
        if (v < 0 || v > SEMVMX)
            return -LX_ERANGE;
        s->s[num].val = v;
        s->s[num].pid = p->pid;
        undo_clear(s->ip.id, (int)num);
        s->ctime = ipc_now();
        waitq_wake_all(&s->wq);
        return 0;
    }
    case GETALL: {
        if (!may(p, s, 4))
            return -LX_EACCES;
        uint16_t *v = sk_calloc(s->nsems, sizeof *v);
        if (!v)
            return -LX_ENOMEM;
        t->buf = v;
        for (uint32_t i = 0; i < s->nsems; i++)
            v[i] = (uint16_t)s->s[i].val;
        t->ret = 0;
        sk_error_t e = call_copy_out(t, arg, v, s->nsems * sizeof *v, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case SETALL: {
        if (!may(p, s, 2))
            return -LX_EACCES;
        t->buf = sk_calloc(s->nsems, sizeof(uint16_t));
        if (!t->buf)
            return -LX_ENOMEM;
        sk_error_t e = call_copy_in(t, arg, t->buf, s->nsems * sizeof(uint16_t), ctl_in);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    default:
        return -LX_EINVAL;
    }
}
