/*
 * futex(2): waiting on a 32-bit word in a process's memory, waking, requeueing.
 *
 * A waiter is known by a key: its process's address space and the address for a private
 * futex (FUTEX_PRIVATE_FLAG, or any word in a private mapping), and the memory object and
 * offset for a word in a shared mapping (MAP_SHARED memory or a file), so that processes
 * that map the same page at different places meet on the same futex. Keys hash into
 * buckets; each bucket holds its parked waiters in arrival order (a FIFO waitq).
 *
 * FUTEX_WAIT must not miss a wake that comes after the word was seen unchanged. The word is
 * read from the caller's memory by the kernel (a queue operation), so the server goes on
 * with other calls meanwhile: the waiter goes on its bucket's "checking" list before the
 * read is issued, and a wake that finds it there counts it as woken (it returns 0 without
 * sleeping), as Linux's waker finds a waiter queued before its value check. Then the word
 * is compared: different is EAGAIN, equal parks it until a wake, its deadline, a signal
 * (-ERESTARTSYS, or with a timeout -ERESTART_RESTARTBLOCK: restart_syscall goes on waiting
 * until the same deadline) or its death.
 */
#include "posix.h"
#include "calls.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY 0xffffffffu

#define BUCKETS 64

struct bucket {
    struct waitq parked;      /* asleep on a word (FIFO) */
    struct lthread *checking; /* their word being read (futex_next) */
};
static struct bucket buckets[BUCKETS];

static struct bucket *bucket_of(uint64_t space, uint64_t addr)
{
    uint64_t h = (space ^ (addr >> 2) ^ (addr << 17)) * 0x9e3779b97f4a7c15ull;
    return &buckets[h >> 58];
}

/* The key of the word at uaddr for t (0 or -errno). */
static int futex_key(struct mm *mm, uint64_t uaddr, int private, uint64_t *space,
                     uint64_t *addr)
{
    if (uaddr & 3)
        return -LX_EINVAL;
    if (!mm)
        return -LX_EFAULT;
    if (!private) {
        struct vma *v = mm_vma_at(mm, uaddr);
        if (!v)
            return -LX_EFAULT;
        if (v->flags & VMA_SHARED) {
            *space = (uint64_t)(uintptr_t)v->obj;
            *addr = v->offset + (uaddr - v->start);
            return 0;
        }
    }
    *space = (uint64_t)(uintptr_t)mm;
    *addr = uaddr;
    return 0;
}

static int matches(const struct lthread *w, uint64_t space, uint64_t addr, uint32_t bits)
{
    return w->futex_space == space && w->futex_addr == addr && (w->futex_bits & bits);
}

static void unlink_checking(struct bucket *b, struct lthread *t)
{
    for (struct lthread **pp = &b->checking; *pp; pp = &(*pp)->futex_next)
        if (*pp == t) {
            *pp = t->futex_next;
            break;
        }
    t->futex_next = NULL;
}

/* Wake up to n (Linux: at least one, n <= 0 counts as 1) waiters of the key; returns how
   many. Sleepers first (they came first), then those whose word is being read. */
static int wake_key(uint64_t space, uint64_t addr, uint32_t bits, int n)
{
    struct bucket *b = bucket_of(space, addr);
    int woken = 0;
    for (struct lthread *w = b->parked.head, *next; w; w = next) {
        next = w->wait_next;
        if (!matches(w, space, addr, bits))
            continue;
        w->futex_state = 2; /* (a signal after this still returns 0: the wake is counted) */
        waitq_wake_one(&b->parked, w);
        if (++woken >= n)
            return woken;
    }
    for (struct lthread *w = b->checking, *next; w; w = next) {
        next = w->futex_next;
        if (!matches(w, space, addr, bits) || w->futex_state != 1)
            continue;
        w->futex_state = 2;
        unlink_checking(b, w);
        if (++woken >= n)
            return woken;
    }
    return woken;
}

void futex_wake_word(struct mm *mm, uint64_t uaddr)
{
    uint64_t space, addr;
    if (futex_key(mm, uaddr, 0, &space, &addr) == 0)
        wake_key(space, addr, FUTEX_BITSET_ANY, 1);
}

/* ---- robust lists: a dead owner's locks are marked (FUTEX_OWNER_DIED) and a waiter woken ---- */

#define ROBUST_LIST_LIMIT 2048
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

/* Read 8 bytes of mm at uaddr (in one page); 0 or -1. */
static int read64(struct mm *mm, uint64_t uaddr, uint64_t *out)
{
    if ((uaddr & (LX_PAGE - 1)) > LX_PAGE - 8)
        return -1;
    uint64_t base;
    uint32_t *w = mm_word_map(mm, uaddr & ~3ull, 0, &base);
    if (!w)
        return -1;
    memcpy(out, (const uint8_t *)w + (uaddr & 3), 8);
    mm_word_unmap(base);
    return 0;
}

/* Linux's handle_futex_death: 0, or -1 to stop the walk. */
static int owner_died(struct lthread *t, struct mm *mm, uint64_t uaddr, int pi, int pending)
{
    uint64_t base;
    uint32_t *w = mm_word_map(mm, uaddr, 1, &base);
    if (!w)
        return -1;
    uint32_t uval = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    int wake = 0;
    if (pending && !pi && !uval) {
        wake = 1; /* unlocked while the owner was between its steps: a waiter may sleep */
    } else if ((uval & FUTEX_TID_MASK) == (uint32_t)t->tid) {
        uint32_t mval;
        do
            mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        while (!__atomic_compare_exchange_n(w, &uval, mval, 0, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST) &&
               (uval & FUTEX_TID_MASK) == (uint32_t)t->tid);
        wake = !pi && (uval & FUTEX_WAITERS) && (uval & FUTEX_TID_MASK) == (uint32_t)t->tid;
    }
    mm_word_unmap(base);
    if (wake)
        futex_wake_word(mm, uaddr);
    return 0;
}

void futex_robust_exit(struct lthread *t, int all_going)
{
    uint64_t head = t->robust_head;
    struct mm *mm = t->p->mm;
    t->robust_head = 0;
    /* with the whole private address space going, nobody could see the marks */
    if (!head || !mm || (all_going && !mm_has_shared(mm)))
        return;
    uint64_t entry, pending;
    int64_t offset;
    if (read64(mm, head, &entry) || read64(mm, head + 8, (uint64_t *)&offset) ||
        read64(mm, head + 16, &pending))
        return;
    int pi = entry & 1, ppi = pending & 1, limit = ROBUST_LIST_LIMIT;
    entry &= ~1ull;
    pending &= ~1ull;
    while (entry != head) {
        uint64_t next;
        int rc = read64(mm, entry, &next);
        if (entry != pending && owner_died(t, mm, entry + (uint64_t)offset, pi, 0))
            return;
        if (rc)
            return;
        pi = next & 1;
        entry = next & ~1ull;
        if (!--limit)
            break;
    }
    if (pending)
        owner_died(t, mm, pending + (uint64_t)offset, ppi, 1);
}

/* ---- FUTEX_WAIT, FUTEX_WAIT_BITSET ---- */

static sk_error_t wait_over(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    int woken = t->futex_state == 2;
    t->futex_state = 0;
    if (err == SK_OK || woken) {
        /* woken: 0, even when a signal or the deadline came right after (the waker counted
           this wake; Linux's futex_wait returns 0 once a waker has dequeued it) */
        call_return(t, 0);
    } else if (err == SK_ERR_TIMEOUT) {
        call_return(t, -LX_ETIMEDOUT);
    } else if (err == SK_ERR_CANCELLED) {
        /* a signal: with a deadline, restart_syscall waits on until it (Linux's restart
           block); without, the call restarts or is EINTR as SA_RESTART says */
        if (t->futex_deadline != UINT64_MAX) {
            t->restart_futex = 1;
            t->restart_until = 0;
            call_return(t, -516);
        } else {
            call_return(t, -LX_ERESTARTSYS);
        }
    } else {
        return err;
    }
    return SK_OK;
}

static sk_error_t wait_checked(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct bucket *b = bucket_of(t->futex_space, t->futex_addr);
    int woken = t->futex_state == 2;
    if (t->futex_state == 1)
        unlink_checking(b, t);
    t->futex_state = 0;
    if (woken) { /* (whatever became of the read: the waker counted this wake) */
        call_return(t, 0);
        return SK_OK;
    }
    if (err == SK_ERR_CANCELLED)
        return wait_over(r, err, cqe);
    if (err) {
        call_return(t, -LX_EFAULT);
        return SK_OK;
    }
    if ((uint32_t)t->len != t->futex_val) {
        call_return(t, -LX_EAGAIN);
        return SK_OK;
    }
    if (t->futex_deadline != UINT64_MAX && t->futex_deadline <= now_ns()) {
        call_return(t, -LX_ETIMEDOUT);
        return SK_OK;
    }
    waitq_park_tail(&b->parked, t, wait_over);
    if (t->futex_deadline != UINT64_MAX)
        return sk_req_deadline(&t->req, t->futex_deadline);
    return SK_OK;
}

/* Put t on its key's checking list and read the word (t->futex_* set). */
static long wait_start(struct lthread *t, uint64_t uaddr)
{
    struct bucket *b = bucket_of(t->futex_space, t->futex_addr);
    t->futex_state = 1;
    t->futex_next = b->checking;
    b->checking = t;
    t->len = 0;
    sk_error_t e = call_copy_in(t, uaddr, &t->len, 4, wait_checked);
    if (e) {
        unlink_checking(b, t);
        t->futex_state = 0;
        return errno_from_sk(e);
    }
    return CALL_PENDING;
}

static sk_error_t wait_got_timeout(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    int64_t ns = timespec_ns(t->buf);
    if (ns < 0) {
        call_return(t, ns);
        return SK_OK;
    }
    uint32_t cmd = (uint32_t)t->a[1] & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    uint64_t now = now_ns();
    if (cmd == FUTEX_WAIT) { /* relative, on the monotonic clock */
        t->futex_deadline = now + (uint64_t)ns;
    } else { /* absolute, on the monotonic clock or (FUTEX_CLOCK_REALTIME) the real one */
        uint64_t base = (t->a[1] & FUTEX_CLOCK_REALTIME) ? now + px.wall_offset_ns
                                                         : now - px.boot_ns;
        t->futex_deadline = (uint64_t)ns > base ? now + ((uint64_t)ns - base) : now;
    }
    long e = wait_start(t, t->a[0]);
    if (e != CALL_PENDING)
        call_return(t, e);
    return SK_OK;
}

/* restart_syscall after a timed wait a signal interrupted (with no handler). */
long futex_restart(struct lthread *t)
{
    t->restart_futex = 0;
    if (t->futex_deadline <= now_ns())
        return -LX_ETIMEDOUT;
    return wait_start(t, t->futex_uaddr);
}

/* ---- requeue ---- */

/* Wake n waiters of key 1, move up to m more to key 2; returns both counts' sum. */
static long requeue(uint64_t s1, uint64_t a1, uint64_t s2, uint64_t a2, int n, int m)
{
    struct bucket *b1 = bucket_of(s1, a1), *b2 = bucket_of(s2, a2);
    long count = 0;
    int woken = 0, moved = 0;
    for (struct lthread *w = b1->parked.head, *next; w; w = next) {
        next = w->wait_next;
        if (!matches(w, s1, a1, FUTEX_BITSET_ANY))
            continue;
        if (woken < n) {
            w->futex_state = 2;
            waitq_wake_one(&b1->parked, w);
            woken++;
        } else if (moved < m) {
            w->futex_space = s2;
            w->futex_addr = a2;
            if (b2 != b1)
                waitq_move_tail(&b1->parked, &b2->parked, w);
            moved++;
        } else {
            break;
        }
        count++;
    }
    /* those still reading their word: woken, or moved to the other key's list */
    for (struct lthread *w = b1->checking, *next; w; w = next) {
        next = w->futex_next;
        if (!matches(w, s1, a1, FUTEX_BITSET_ANY) || w->futex_state != 1)
            continue;
        if (woken < n) {
            w->futex_state = 2;
            unlink_checking(b1, w);
            woken++;
        } else if (moved < m) {
            unlink_checking(b1, w);
            w->futex_space = s2;
            w->futex_addr = a2;
            w->futex_next = b2->checking;
            b2->checking = w;
            moved++;
        } else {
            break;
        }
        count++;
    }
    return count;
}

static sk_error_t cmp_requeue_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        call_return(t, err == SK_ERR_CANCELLED ? -LX_ERESTARTSYS : -LX_EFAULT);
        return SK_OK;
    }
    if ((uint32_t)t->len != (uint32_t)t->a[5]) {
        call_return(t, -LX_EAGAIN);
        return SK_OK;
    }
    int private = (t->a[1] & FUTEX_PRIVATE_FLAG) != 0;
    uint64_t s1, a1, s2, a2;
    long e = futex_key(t->p->mm, t->a[0], private, &s1, &a1);
    if (!e)
        e = futex_key(t->p->mm, t->a[4], private, &s2, &a2);
    call_return(t, e ? e : requeue(s1, a1, s2, a2, (int)t->a[2], (int)t->a[3]));
    return SK_OK;
}

/* ---- FUTEX_WAKE_OP: change the second word atomically, wake on the first, and on the
   second if its old value passes the test ---- */

static long wake_op(struct lthread *t, int private)
{
    uint32_t enc = (uint32_t)t->a[5];
    uint32_t op = (enc >> 28) & 7, cmp = (enc >> 24) & 15;
    int32_t oparg = (int32_t)(enc << 8) >> 20, cmparg = (int32_t)(enc << 20) >> 20;
    if (enc & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT */
        oparg = (int32_t)(1u << (oparg & 31));
    if (op > 4)
        return -LX_ENOSYS;
    uint64_t s1, a1, s2, a2;
    long e;
    if ((e = futex_key(t->p->mm, t->a[0], private, &s1, &a1)) ||
        (e = futex_key(t->p->mm, t->a[4], private, &s2, &a2)))
        return e;
    uint64_t base;
    uint32_t *w = mm_word_map(t->p->mm, t->a[4], 1, &base);
    if (!w)
        return -LX_EFAULT;
    uint32_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST), nv;
    do {
        switch (op) {
        case 0: nv = (uint32_t)oparg; break;
        case 1: nv = old + (uint32_t)oparg; break;
        case 2: nv = old | (uint32_t)oparg; break;
        case 3: nv = old & ~(uint32_t)oparg; break;
        default: nv = old ^ (uint32_t)oparg; break;
        }
    } while (!__atomic_compare_exchange_n(w, &old, nv, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    mm_word_unmap(base);
    if (cmp > 5)
        return -LX_ENOSYS; /* (after the change, as Linux finds it) */
    int32_t o = (int32_t)old;
    int pass = cmp == 0 ? o == cmparg : cmp == 1 ? o != cmparg : cmp == 2 ? o < cmparg
             : cmp == 3 ? o <= cmparg : cmp == 4 ? o > cmparg : o >= cmparg;
    long n = wake_key(s1, a1, FUTEX_BITSET_ANY, (int)t->a[2]);
    if (pass)
        n += wake_key(s2, a2, FUTEX_BITSET_ANY, (int)t->a[3]);
    return n;
}

/* ---- set_robust_list, get_robust_list ---- */

#define ROBUST_HEAD_SIZE 24

long sys_set_robust_list(struct lthread *t)
{
    if (t->a[1] != ROBUST_HEAD_SIZE)
        return -LX_EINVAL;
    t->robust_head = t->a[0];
    return 0;
}

static sk_error_t robust_len_out(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    t->len = ROBUST_HEAD_SIZE;
    t->ret = 0;
    return call_copy_out(t, t->a[2], &t->len, 8, call_done_step);
}

long sys_get_robust_list(struct lthread *t)
{
    struct lthread *who = thread_find(t, (int)t->a[0]);
    if (!who)
        return -LX_ESRCH;
    if (who != t) {
        /* reading another's: its owner or root (ptrace's read permission) */
        struct proc *q = who->p, *p = t->p;
        if (p->euid != 0 && (p->uid != q->uid || p->uid != q->euid || p->uid != q->suid ||
                             p->gid != q->gid || p->gid != q->egid || p->gid != q->sgid))
            return -LX_EPERM;
    }
    t->done = who->robust_head;
    sk_error_t e = call_copy_out(t, t->a[1], &t->done, 8, robust_len_out);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- the call ---- */

long sys_futex(struct lthread *t)
{
    uint64_t uaddr = t->a[0];
    uint32_t op = (uint32_t)t->a[1], val = (uint32_t)t->a[2];
    int private = (op & FUTEX_PRIVATE_FLAG) != 0;
    uint32_t cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
        return -LX_ENOSYS;
    uint64_t space, addr;
    long e;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint32_t bits = cmd == FUTEX_WAIT ? FUTEX_BITSET_ANY : (uint32_t)t->a[5];
        if (!bits)
            return -LX_EINVAL;
        if ((e = futex_key(t->p->mm, uaddr, private, &space, &addr)))
            return e;
        t->futex_space = space;
        t->futex_addr = addr;
        t->futex_bits = bits;
        t->futex_val = val;
        t->futex_uaddr = uaddr;
        t->futex_deadline = UINT64_MAX;
        if (!t->a[3])
            return wait_start(t, uaddr);
        t->buf = sk_malloc(sizeof(struct lx_timespec));
        if (!t->buf)
            return -LX_ENOMEM;
        sk_error_t se = call_copy_in(t, t->a[3], t->buf, sizeof(struct lx_timespec),
                                     wait_got_timeout);
        return se ? errno_from_sk(se) : CALL_PENDING;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
        uint32_t bits = cmd == FUTEX_WAKE ? FUTEX_BITSET_ANY : (uint32_t)t->a[5];
        if (!bits)
            return -LX_EINVAL;
        if ((e = futex_key(t->p->mm, uaddr, private, &space, &addr)))
            return e;
        return wake_key(space, addr, bits, (int)val);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
        int n = (int)val, m = (int)t->a[3];
        if (n < 0 || m < 0)
            return -LX_EINVAL;
        uint64_t s2, a2;
        if ((e = futex_key(t->p->mm, uaddr, private, &space, &addr)) ||
            (e = futex_key(t->p->mm, t->a[4], private, &s2, &a2)))
            return e;
        if (cmd == FUTEX_REQUEUE)
            return requeue(space, addr, s2, a2, n, m);
        t->len = 0;
        sk_error_t se = call_copy_in(t, uaddr, &t->len, 4, cmp_requeue_read);
        return se ? errno_from_sk(se) : CALL_PENDING;
    }
    case FUTEX_WAKE_OP:
        return wake_op(t, private);
    default: /* FUTEX_FD (gone from Linux), the priority-inheritance calls */
        return -LX_ENOSYS;
    }
}
