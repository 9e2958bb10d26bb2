/*
 * System V message queues (docs/posix.md, "Files"): msgget, msgsnd, msgrcv, msgctl. A queue
 * is a slot of a MSGMNI table (sysvipc.c: ids, keys and permissions) holding
 * typed messages in order, at most msg_qbytes bytes (MSGMNB by default). A send that does not
 * fit and a receive that finds nothing park on the queue's wait queue (or answer EAGAIN /
 * ENOMSG with IPC_NOWAIT); every change wakes it and each waiter looks again. A signal ends
 * a wait with EINTR, removal with EIDRM.
 */
#include "posix.h"
#include "calls.h"

#define IPC_NOWAIT 04000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define MSG_STAT 11
#define MSG_INFO 12
#define MSG_STAT_ANY 13
#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSG_COPY 040000
#define MSGMNI 32000
#define MSGMAX 8192
#define MSGMNB 16384

struct qmsg {
    struct qmsg *next;
    int64_t type;
    uint64_t size;
    uint8_t data[];
};

struct msgq {
    struct ipcperm ip; /* (first: the table's view) */
    struct qmsg *head, **tail;
    uint64_t cbytes, qnum, qbytes;
    int lspid, lrpid;
    int64_t stime, rtime, ctime;
    struct waitq wq;
};

struct lx_msqid64_ds {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq, pad2;
    uint32_t pad3;
    uint64_t unused1, unused2;
    int64_t stime, rtime, ctime;
    uint64_t cbytes, qnum, qbytes;
    int32_t lspid, lrpid;
    uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct lx_msqid64_ds) == 120, "msqid64_ds");

static void *slots[MSGMNI];
static struct ipctab queues = {slots, MSGMNI, 0, 0};

static struct msgq *q_of(int id)
{
    return ipc_of(&queues, id);
}

static int may(struct proc *p, struct msgq *q, uint32_t want)
{
    return ipc_may(p, &q->ip, want);
}

long sys_msgget(struct lthread *t)
{
    int32_t key = (int32_t)t->a[0];
    uint32_t flg = (uint32_t)t->a[1];
    long e;
    struct msgq *found = ipc_find(&queues, t->p, key, flg, &e);
    if (found)
        return found->ip.id;
    if (e)
        return e;
    int slot = ipc_free_slot(&queues);
    if (slot < 0)
        return -LX_ENOSPC;
    struct msgq *q = sk_calloc(1, sizeof *q);
    if (!q)
        return -LX_ENOMEM;
    q->tail = &q->head;
    q->qbytes = MSGMNB;
    q->ctime = ipc_now();
    return ipc_add(&queues, slot, &q->ip, t->p, key, flg);
}

static void q_free(struct msgq *q)
{
    ipc_del(&queues, &q->ip);
    while (q->head) {
        struct qmsg *m = q->head;
        q->head = m->next;
        sk_free(m);
    }
    waitq_wake_all(&q->wq); /* (waiters look it up again: EIDRM) */
    sk_free(q);
}

/* ---- msgsnd(id, msgp, size, flg): the message (type, then bytes) comes in whole ---- */

static sk_error_t snd_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static long snd_try(struct lthread *t)
{
    struct msgq *q = q_of((int)t->a[0]);
    uint64_t size = t->a[2];
    if (!q)
        return t->phase ? -LX_EIDRM : -LX_EINVAL;
    if (!may(t->p, q, 2))
        return -LX_EACCES;
    if (q->cbytes + size > q->qbytes || q->qnum + 1 > q->qbytes) {
        if (t->a[3] & IPC_NOWAIT)
            return -LX_EAGAIN;
        t->phase = 1;
        waitq_park(&q->wq, t, snd_woken);
        return CALL_PENDING;
    }
    struct qmsg *m = sk_malloc(sizeof *m + size);
    if (!m)
        return -LX_ENOMEM;
    const uint8_t *raw = t->buf;
    memcpy(&m->type, raw, 8);
    memcpy(m->data, raw + 8, size);
    m->size = size;
    m->next = NULL;
    *q->tail = m;
    q->tail = &m->next;
    q->cbytes += size;
    q->qnum++;
    q->lspid = t->p->pid;
    q->stime = ipc_now();
    waitq_wake_all(&q->wq);
    return 0;
}

static sk_error_t snd_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        call_return(t, err == SK_ERR_CANCELLED ? -LX_EINTR : errno_from_sk(err));
        return SK_OK;
    }
    long rc = snd_try(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static sk_error_t snd_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    int64_t type;
    memcpy(&type, t->buf, 8);
    long rc = type < 1 ? -LX_EINVAL : snd_try(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

long sys_msgsnd(struct lthread *t)
{
    int64_t size = (int64_t)t->a[2];
    if (size < 0 || size > MSGMAX)
        return -LX_EINVAL;
    if (!q_of((int)t->a[0]))
        return -LX_EINVAL;
    t->buf = sk_malloc(8 + (uint64_t)size);
    if (!t->buf)
        return -LX_ENOMEM;
    t->phase = 0;
    sk_error_t e = call_copy_in(t, t->a[1], t->buf, 8 + (uint64_t)size, snd_in);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- msgrcv(id, msgp, size, type, flg) ---- */

static sk_error_t rcv_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

/* The message msgrcv takes: type 0 the first, > 0 the first of it (or, MSG_EXCEPT, the first
   not of it), < 0 the first of the lowest type up to -type. */
static struct qmsg **pick(struct msgq *q, int64_t type, uint64_t flg)
{
    struct qmsg **best = NULL;
    for (struct qmsg **pp = &q->head; *pp; pp = &(*pp)->next) {
        struct qmsg *m = *pp;
        if (type == 0)
            return pp;
        if (type > 0) {
            if ((flg & MSG_EXCEPT) ? m->type != type : m->type == type)
                return pp;
        } else if (m->type <= -type && (!best || m->type < (*best)->type)) {
            best = pp;
        }
    }
    return best;
}

static long rcv_try(struct lthread *t)
{
    struct msgq *q = q_of((int)t->a[0]);
    uint64_t room = t->a[2], flg = t->a[4];
    if (!q)
        return t->phase ? -LX_EIDRM : -LX_EINVAL;
    if (!may(t->p, q, 4))
        return -LX_EACCES;
    struct qmsg **pp = pick(q, (int64_t)t->a[3], flg);
    if (!pp) {
        if (flg & IPC_NOWAIT)
            return -LX_ENOMSG;
        t->phase = 1;
        waitq_park(&q->wq, t, rcv_woken);
        return CALL_PENDING;
    }
    struct qmsg *m = *pp;
    if (m->size > room && !(flg & MSG_NOERROR))
        return -LX_E2BIG;
    uint64_t n = m->size < room ? m->size : room;
    *pp = m->next;
    if (!m->next)
        q->tail = pp;
    q->cbytes -= m->size;
    q->qnum--;
    q->lrpid = t->p->pid;
    q->rtime = ipc_now();
    waitq_wake_all(&q->wq);
    uint8_t *out = sk_malloc(8 + n);
    if (!out) {
        sk_free(m);
        return -LX_ENOMEM;
    }
    memcpy(out, &m->type, 8);
    memcpy(out + 8, m->data, n);
    sk_free(m);
    t->buf = out;
    t->ret = (long)n;
    sk_error_t e = call_copy_out(t, t->a[1], out, 8 + n, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t rcv_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        call_return(t, err == SK_ERR_CANCELLED ? -LX_EINTR : errno_from_sk(err));
        return SK_OK;
    }
    long rc = rcv_try(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

long sys_msgrcv(struct lthread *t)
{
    if ((int64_t)t->a[2] < 0)
        return -LX_EINVAL;
    if (t->a[4] & MSG_COPY)
        return -LX_EINVAL; /* (checkpoint/restore's peek: not here) */
    t->phase = 0;
    return rcv_try(t);
}

/* ---- msgctl ---- */

static sk_error_t set_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct msgq *q = q_of((int)t->a[0]);
    struct lx_msqid64_ds *d = t->buf;
    struct proc *p = t->p;
    long rc = 0;
    if (!q)
        rc = -LX_EINVAL;
    else if (!ipc_owner(p, &q->ip))
        rc = -LX_EPERM;
    else if (d->qbytes > MSGMNB && p->euid != 0)
        rc = -LX_EPERM;
    else {
        q->ip.uid = d->uid;
        q->ip.gid = d->gid;
        q->ip.mode = (q->ip.mode & ~0777u) | (d->mode & 0777);
        q->qbytes = d->qbytes;
        q->ctime = ipc_now();
        waitq_wake_all(&q->wq);
    }
    call_return(t, rc);
    return SK_OK;
}

long sys_msgctl(struct lthread *t)
{
    int cmd = (int)t->a[1] & ~0x100; /* (IPC_64) */
    struct proc *p = t->p;
    if (cmd == IPC_INFO || cmd == MSG_INFO) {
        int32_t *info = sk_calloc(8, sizeof *info);
        if (!info)
            return -LX_ENOMEM;
        t->buf = info;
        int used, highest = ipc_highest(&queues, &used);
        /* struct msginfo: pool, map, max, mnb, mni, ssz, tql, seg */
        int32_t v[8] = {MSGMNI * MSGMNB / 1024, MSGMNB, MSGMAX, MSGMNB, MSGMNI, 16, MSGMNB, 0xffff};
        if (cmd == MSG_INFO)
            v[0] = used;
        memcpy(info, v, sizeof v);
        t->ret = highest;
        sk_error_t e = call_copy_out(t, t->a[2], info, sizeof v, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    struct msgq *q;
    if (cmd == MSG_STAT || cmd == MSG_STAT_ANY)
        q = ipc_at(&queues, (int)t->a[0]);
    else
        q = q_of((int)t->a[0]);
    if (!q)
        return -LX_EINVAL;
    switch (cmd) {
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY: {
        if (cmd != MSG_STAT_ANY && !may(p, q, 4))
            return -LX_EACCES;
        struct lx_msqid64_ds *d = sk_calloc(1, sizeof *d);
        if (!d)
            return -LX_ENOMEM;
        t->buf = d;
        *d = (struct lx_msqid64_ds){.key = q->ip.key, .uid = q->ip.uid, .gid = q->ip.gid, .cuid = q->ip.cuid,
                                    .cgid = q->ip.cgid, .mode = q->ip.mode, .seq = q->ip.seq,
                                    .stime = q->stime, .rtime = q->rtime, .ctime = q->ctime,
                                    .cbytes = q->cbytes, .qnum = q->qnum, .qbytes = q->qbytes,
                                    .lspid = q->lspid, .lrpid = q->lrpid};
        t->ret = cmd == IPC_STAT ? 0 : q->ip.id;
        sk_error_t e = call_copy_out(t, t->a[2], d, sizeof *d, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case IPC_SET: {
        t->buf = sk_calloc(1, sizeof(struct lx_msqid64_ds));
        if (!t->buf)
            return -LX_ENOMEM;
        sk_error_t e = call_copy_in(t, t->a[2], t->buf, sizeof(struct lx_msqid64_ds), set_in);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case IPC_RMID:
        if (!ipc_owner(p, &q->ip))
            return -LX_EPERM;
        q_free(q);
        return 0;
    default:
        return -LX_EINVAL;
    }
}
