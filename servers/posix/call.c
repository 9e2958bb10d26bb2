/*
 * System call delivery (docs/posix.md): each Linux thread's request observes
 * it; a SK_STOP_SYSCALL stop becomes a call dispatched through the table in
 * systab.h; the answer goes back with the next observe (SK_OBSERVE_RESUME |
 * SK_OBSERVE_SET_RAX), one queue operation per call. Also the copy steps every
 * handler uses to reach the caller's memory, and the one errno translation.
 */
#include "posix.h"
#include "calls.h"

/* ---- the table ---- */
struct systab_entry {
    const char *name;
    sys_fn fn;
    int quiet; /* PROBED: not logged */
};
#define HANDLER_OK(name) sys_##name
#define HANDLER_PARTIAL(name) sys_##name
#define HANDLER_NOSYS(name) NULL
#define HANDLER_PROBED(name) NULL
#define QUIET_OK 0
#define QUIET_PARTIAL 0
#define QUIET_NOSYS 0
#define QUIET_PROBED 1
#define SYSTAB_ROW(nr, name, status, note) [nr] = {#name, HANDLER_##status(name), QUIET_##status},
static const struct systab_entry systab[LINUX_SYSCALL_MAX] = {LINUX_SYSCALLS(SYSTAB_ROW)};

long errno_from_sk(sk_error_t e)
{
    switch (e) {
    case SK_OK:
        return 0;
    case SK_ERR_FAULT:
    case SK_ERR_OUT_OF_RANGE:
        return -LX_EFAULT;
    case SK_ERR_NO_MEMORY:
    case SK_ERR_LIMIT:
        return -LX_ENOMEM;
    case SK_ERR_CANCELLED: /* only signals cancel a live thread's call */
        return -LX_ERESTARTSYS;
    case SK_ERR_ALERTED:
        return -LX_EINTR;
    case SK_ERR_TIMEOUT:
        return -LX_ETIMEDOUT;
    case SK_ERR_TOO_BIG:
        return -LX_E2BIG;
    case SK_ERR_BUSY:
        return -LX_EBUSY;
    case SK_ERR_NOT_FOUND:
        return -LX_ENOENT;
    default:
        return -LX_EINVAL;
    }
}

struct lthread *call_thread(struct sk_req *r)
{
    return SK_OP_CONTAINER(r, struct lthread, req);
}

static sk_error_t on_stop(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

/* Observe t, answering the stop it is in with rax = value when resume is set. */
SK_HOT static void observe(struct lthread *t, int resume, uint64_t value)
{
    uint64_t a[6] = {(uint64_t)t->h, 0, 0, 0, 0, 0};
    if (resume) {
        a[1] = SK_OBSERVE_RESUME | SK_OBSERVE_SET_RAX;
        a[2] = value;
    }
    sk_req_submit6(&t->req, SK_OP_observe, on_stop, a);
}

static void call_failed(struct sk_req *r, sk_error_t err)
{
    call_return(call_thread(r), errno_from_sk(err));
}

SK_HOT void call_start(struct lthread *t)
{
    sk_req_init(&t->req, &px.timers, call_failed);
    observe(t, 0, 0);
}

SK_HOT static void call_cleanup(struct lthread *t)
{
    if (t->buf) {
        if (t->buf_free)
            t->buf_free(t->buf);
        sk_free(t->buf);
        t->buf = NULL;
    }
    t->buf_free = NULL;
    t->string_toolong = 0;
    if (t->file) {
        file_put(t->file);
        t->file = NULL;
    }
    if (t->iov) {
        if (t->sendfile_in)
            file_put((struct file *)t->iov);
        else if (t->iov != &t->iov_one)
            sk_free(t->iov);
        t->iov = NULL;
        t->sendfile_in = 0;
    }
    if (t->exec)
        exec_cleanup(t);
    if (t->path1) {
        sk_free(t->path1);
        t->path1 = NULL;
    }
    t->phase = 0;
    t->rw_append = 0;
    t->len = t->done = 0;
    t->tty_timed_out = 0;
    t->sigwait = 0;
}

sk_error_t call_done_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    if (err)
        return err;
    struct lthread *t = call_thread(r);
    call_return(t, t->ret);
    return SK_OK;
}

void call_exec_done(struct lthread *t)
{
    call_cleanup(t);
    sk_req_finish(&t->req);
    t->in_call = 0;
    t->req.abort = SK_OK;
    observe(t, 0, 0);
    /* a signal that came during the exec acts before the new image's first instruction */
    if (signal_deliverable(t))
        sk_thread_interrupt(t->h);
}

void call_cleanup_public(struct lthread *t)
{
    call_cleanup(t);
}

SK_HOT void call_answer(struct lthread *t, long value)
{
    sk_req_finish(&t->req);
    t->req.abort = SK_OK;
    observe(t, 1, (uint64_t)value);
}

SK_HOT void call_return(struct lthread *t, long value)
{
    call_cleanup(t);
    sk_req_finish(&t->req);
    if (t->dead)
        return; /* posix_sweep frees it */
    t->in_call = 0;
    t->req.abort = SK_OK;
    if (px.trace)
        plog("%d: %s = %ld\n", t->tid, t->nr < LINUX_SYSCALL_MAX && systab[t->nr].name ? systab[t->nr].name : "?", value);
    if (t->restore_mask && value != -LX_EINTR && value != -514 /* ERESTARTNOHAND */) {
        /* a call that ran with a temporary mask (ppoll, pselect6, epoll_pwait) and was not
           interrupted: its mask goes now, so a signal it let in stays pending (Linux's
           restore_saved_sigmask_unless) */
        t->sigmask = t->saved_mask;
        t->restore_mask = 0;
    }
    if (value == -LX_ERESTARTSYS || value == -514 /* ERESTARTNOHAND */ ||
        value == -516 /* ERESTART_RESTARTBLOCK */ || signal_deliverable(t) ||
        t->restore_mask || t->p->jobstop) {
        signal_deliver_and_resume(t, 1, value);
        return;
    }
    observe(t, 1, (uint64_t)value);
}

void call_resume(struct lthread *t)
{
    uint64_t a[6] = {(uint64_t)t->h, SK_OBSERVE_RESUME, 0, 0, 0, 0};
    sk_req_finish(&t->req);
    t->req.abort = SK_OK;
    sk_req_submit6(&t->req, SK_OP_observe, on_stop, a);
}

static void log_nosys(struct lthread *t, uint64_t nr)
{
    const char *name = nr < LINUX_SYSCALL_MAX && systab[nr].name ? systab[nr].name : "unknown";
    if (nr < LINUX_SYSCALL_MAX && systab[nr].quiet)
        return;
    if (nr < LINUX_SYSCALL_MAX) {
        uint64_t bit = 1ull << (nr % 64);
        if (t->p->nosys_logged[nr / 64] & bit)
            return;
        t->p->nosys_logged[nr / 64] |= bit;
    }
    plog("pid %d (%s): system call %lu (%s) is not implemented: ENOSYS\n", t->p->pid,
              t->p->comm, (unsigned long)nr, name);
}

SK_HOT static void dispatch(struct lthread *t)
{
    uint64_t nr = t->nr;
    sys_fn fn = nr < LINUX_SYSCALL_MAX ? systab[nr].fn : NULL;
    if (!fn) {
        log_nosys(t, nr);
        call_return(t, -LX_ENOSYS);
        return;
    }
    t->in_call = 1;
    if (px.trace)
        plog("%d: %s(%lx, %lx, %lx, %lx) ...\n", t->tid, systab[nr].name, (unsigned long)t->a[0],
             (unsigned long)t->a[1], (unsigned long)t->a[2], (unsigned long)t->a[3]);
    long r = fn(t);
    if (r != CALL_PENDING)
        call_return(t, r);
    else if (signal_deliverable(t))
        signal_recheck_later(t); /* a signal came before the call: it must not wait */
}

SK_HOT static sk_error_t on_stop(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    struct lthread *t = call_thread(r);
    if (t->dead)
        return SK_OK;
    if (err != SK_OK || cqe->value == SK_STOP_EXIT || cqe->length < sizeof(struct sk_stop_info)) {
        if (px.verbose)
            plog("tid %d: observe ended: %s value %lu value2 0x%lx\n", t->tid, sk_error_name(err), (unsigned long)cqe->value, (unsigned long)cqe->value2);
        sk_req_finish(r);
        thread_gone(t);
        return SK_OK;
    }
    const struct sk_stop_info *si = (const struct sk_stop_info *)cqe->data;
    t->rip = si->rip;
    t->rsp = si->rsp;
    switch (cqe->value) {
    case SK_STOP_SYSCALL:
        t->nr = si->number;
        for (int i = 0; i < 6; i++)
            t->a[i] = si->args[i];
        dispatch(t);
        break;
    case SK_STOP_FAULT:
    case SK_STOP_BREAKPOINT:
        signal_fault(t, si);
        break;
    default:
        /* an interrupt request: signals are looked at on the way back */
        t->req.abort = SK_OK;
        signal_interrupted(t);
        break;
    }
    return SK_OK;
}

/* ---- copies ---- */

struct unmap_later {
    uint64_t addr, len;
    struct unmap_later *next;
};

/* t has a forgotten copy that reads server memory: on px.held (once) until it is taken. */
static void held_push(struct lthread *t)
{
    if (t->on_held)
        return;
    t->on_held = 1;
    t->held_next = px.held;
    px.held = t;
}

/* After a drive: free the buffers whose forgotten copies the kernel has taken. */
SK_HOT void call_release_held(void)
{
    for (struct lthread **pp = &px.held; *pp;) {
        struct lthread *t = *pp;
        if (t->copy_op.state == SK_OPSTATE_IDLE || (!t->copy_held && !t->copy_direct)) {
            sk_free(t->copy_held);
            t->copy_held = NULL;
            if (t->copy_direct)
                px.n_direct--;
            t->copy_direct = 0;
            *pp = t->held_next;
            t->held_next = NULL;
            t->on_held = 0;
        } else {
            pp = &t->held_next;
        }
    }
    if (!px.n_direct)
        pipe_release_held();
    while (!px.n_direct && px.unmap_later) {
        struct unmap_later *u = px.unmap_later;
        px.unmap_later = u->next;
        sk_space_unmap(SK_THIS_SPACE, u->addr, u->len);
        sk_free(u);
    }
    if (px.q.forget_failures != px.forget_failures_seen) {
        plog("posix: %u copies to callers failed for lack of memory\n",
             (unsigned)(px.q.forget_failures - px.forget_failures_seen));
        px.forget_failures_seen = px.q.forget_failures;
    }
}

void call_unmap_later(uint64_t addr, uint64_t len)
{
    if (px.n_direct) {
        struct unmap_later *u = sk_malloc(sizeof *u);
        if (u) {
            *u = (struct unmap_later){addr, len, px.unmap_later};
            px.unmap_later = u;
            return;
        }
        /* no memory even for that: hand the copies over first (one not yet in the
           ring may then fail, and is counted) */
        sk_queue_flush(&px.q);
    }
    sk_space_unmap(SK_THIS_SPACE, addr, len);
}

void call_flush_direct(void)
{
    if (px.n_direct)
        sk_queue_flush(&px.q);
}

sk_error_t call_copy_in(struct lthread *t, uint64_t uaddr, void *buf, uint64_t len, sk_req_fn next)
{
    if (t->dead || !t->p->mm)
        return SK_ERR_CANCELLED; /* its process is gone: nothing to copy from */
    return sk_req_submit(&t->req, SK_OP_mem_read, next, t->p->mm->space, uaddr, (uint64_t)buf, len);
}

int call_copy_out_fast_ok(struct lthread *t, uint64_t uaddr, uint64_t len)
{
    return len && t->copy_op.state == SK_OPSTATE_IDLE && !t->dead &&
           mm_range_writable(t->p->mm, uaddr, len);
}

/*
 * A copy that ends the call (next is call_done_step) into memory the address-space model says
 * is writable cannot fail but for lack of memory: it goes to the kernel as a forgotten
 * operation (no completion when it works) in the same batch as the answer, which the kernel
 * takes in order, so the caller resumes after its memory holds the data and the server saves
 * a trip through its queue. What it copies from must live until the next drive: small data
 * is staged in the thread, a larger t->buf is held (copy_held) instead of freed. A failure
 * (memory ran out) is counted by the queue and logged at the next sweep.
 */
sk_error_t call_copy_out(struct lthread *t, uint64_t uaddr, const void *buf, uint64_t len,
                         sk_req_fn next)
{
    if (t->dead || !t->p->mm)
        return SK_ERR_CANCELLED; /* its process is gone: nothing to copy to */
    if (next == call_done_step && call_copy_out_fast_ok(t, uaddr, len) &&
        (len <= sizeof t->copy_stage || buf == t->buf)) {
        const void *src = buf;
        if (len <= sizeof t->copy_stage) {
            memcpy(t->copy_stage, buf, len);
            src = t->copy_stage;
        } else {
            sk_free(t->copy_held); /* (an earlier copy's, taken: copy_op is idle) */
            held_push(t);
            t->copy_held = t->buf;
            t->buf = NULL;
        }
        if (sk_op_submit_forget(&px.q, &t->copy_op, SK_OP_mem_write, t->p->mm->space, uaddr,
                                (uint64_t)src, len) == SK_OK) {
            call_return(t, t->ret);
            return SK_OK;
        }
        if (src != t->copy_stage) { /* (not taken: back to the ordinary path; swept later) */
            t->buf = t->copy_held;
            t->copy_held = NULL;
        }
    }
    return sk_req_submit(&t->req, SK_OP_mem_write, next, t->p->mm->space, uaddr, (uint64_t)buf,
                         len);
}

/*
 * The same with the bytes taken straight from a file's data (a tmpfs or pipe read: no copy
 * into a buffer first); the caller answers at once after a 1. The data's mapping outlives the copy: a file that grows or goes away in
 * the meantime is unmapped by call_unmap_later, after the drive.
 */
int call_copy_out_direct(struct lthread *t, uint64_t uaddr, const void *src, uint64_t len)
{
    if (t->dead || !t->p->mm || !call_copy_out_fast_ok(t, uaddr, len) || t->copy_held)
        return 0;
    if (sk_op_submit_forget(&px.q, &t->copy_op, SK_OP_mem_write, t->p->mm->space, uaddr,
                            (uint64_t)src, len) != SK_OK)
        return 0;
    if (!t->copy_direct)
        px.n_direct++;
    t->copy_direct = 1;
    held_push(t);
    return 1;
}

/*
 * Strings are read a page piece at a time (a string may end just before an
 * unmapped page): t->buf holds max bytes, t->done what has arrived, t->len the
 * address of the next piece, and the caller's next step is kept in string_next.
 */
static sk_error_t string_piece(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t string_read_more(struct lthread *t)
{
    uint64_t max = t->done >> 32, got = t->done & 0xffffffff;
    uint64_t addr = t->len + got;
    uint64_t piece = LX_PAGE - (addr & (LX_PAGE - 1));
    if (piece > max - got)
        piece = max - got;
    if (piece == 0)
        return SK_ERR_TOO_BIG;
    if (t->dead || !t->p->mm)
        return SK_ERR_CANCELLED;
    return sk_req_submit(&t->req, SK_OP_mem_read, string_piece, t->p->mm->space, addr,
                         (uint64_t)((char *)t->buf + got), piece);
}

static sk_error_t string_piece(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    uint64_t max = t->done >> 32, got = t->done & 0xffffffff;
    char *s = (char *)t->buf;
    uint64_t n = cqe->value;
    for (uint64_t i = got; i < got + n; i++)
        if (s[i] == '\0') {
            t->done = max << 32 | (i + 1);
            return t->string_next(r, SK_OK, cqe);
        }
    got += n;
    t->done = max << 32 | got;
    if (got >= max) {
        call_return(t, t->string_toolong ? t->string_toolong : -LX_ENAMETOOLONG);
        return SK_OK;
    }
    return string_read_more(t);
}

sk_error_t call_read_string(struct lthread *t, uint64_t uaddr, uint64_t max, sk_req_fn next)
{
    if (!t->buf && !(t->buf = sk_malloc(max)))
        return SK_ERR_NO_MEMORY;
    t->len = uaddr;
    t->done = max << 32;
    t->string_next = next;
    return string_read_more(t);
}
