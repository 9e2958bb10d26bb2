/*
 * execve: the path, argv and envp are gathered from the caller's memory one
 * piece at a time (a pointer, then its string), bounded as Linux bounds them
 * (each string 128 KiB, 2 MiB in all), then exec_image builds the new image and,
 * only if that worked, the calling thread is replaced by a fresh kernel thread
 * in the new space (the old one is killed: it was stopped in this call).
 */
#include "posix.h"
#include "calls.h"

#define MAX_ARG_STRLEN (128u << 10)
#define MAX_ARG_TOTAL (2u << 20)
#define MAX_ARG_COUNT 65536

struct execargs {
    char *path;
    char **strs; /* argv strings, then envp strings */
    uint32_t argc, envc, cap;
    uint64_t total;
    int which;   /* 0: reading argv, 1: envp */
    uint64_t vec, idx, ptr;
};

static void execargs_free(struct execargs *ea)
{
    if (!ea)
        return;
    for (uint32_t i = 0; i < ea->argc + ea->envc; i++)
        sk_free(ea->strs[i]);
    sk_free(ea->strs);
    sk_free(ea->path);
    sk_free(ea);
}

static sk_error_t got_pointer(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t next_pointer(struct lthread *t)
{
    struct execargs *ea = t->exec;
    if (!ea->vec) {
        /* a NULL vector is an empty one (Linux allows it) */
        ea->ptr = 0;
        struct sk_cqe c = {0};
        return got_pointer(&t->req, SK_OK, &c);
    }
    return call_copy_in(t, ea->vec + 8 * ea->idx, &ea->ptr, 8, got_pointer);
}

static long exec_finish(struct lthread *t)
{
    struct execargs *ea = t->exec;
    uint64_t entry, sp;
    int e = exec_image(t->p, t->p->cwd, ea->path, ea->strs, (int)ea->argc, ea->strs + ea->argc,
                       (int)ea->envc, &entry, &sp);
    execargs_free(ea);
    t->exec = NULL;
    if (e)
        return e;
    /* the point of no return: the other threads end, this one takes the leader's id (as
       Linux's de_thread), and a fresh kernel thread in the new space replaces it (created
       first: the universe ends with its last thread) */
    for (struct lthread *o = t->p->threads, *next; o; o = next) {
        next = o->next;
        if (o != t)
            thread_gone(o);
    }
    t->tid = t->p->pid;
    sk_handle_t old = t->h, nh;
    struct sk_thread_create info = {
        .entry = entry, .stack = sp, .priority = SK_THREAD_PRIO_DEFAULT,
        .flags = SK_THREAD_OBSERVED | SK_THREAD_FOREIGN,
    };
    if (sk_thread_create(t->p->universe, t->p->mm->space, &info, &nh) != SK_OK) {
        proc_exit(t->p, LX_SIGKILL);
        return 0;
    }
    t->p->cpu_dead_ns += thread_cpu_ns(old);
    t->h = nh;
    if (t->affinity)
        sk_thread_set_affinity(nh, t->affinity);
    sk_thread_kill(old);
    sk_handle_close(old);
    t->clear_tid = 0;
    waitq_wake_all(&t->p->vfork_done);
    call_exec_done(t);
    return CALL_PENDING;
}

static sk_error_t got_string(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct execargs *ea = t->exec;
    if (err)
        return err;
    uint64_t len = (t->done & 0xffffffff);
    ea->total += len + 8;
    if (ea->total > MAX_ARG_TOTAL)
        return SK_ERR_TOO_BIG;
    char *s = sk_malloc(len);
    if (!s)
        return SK_ERR_NO_MEMORY;
    memcpy(s, t->buf, len);
    sk_free(t->buf);
    t->buf = NULL;
    if (ea->argc + ea->envc == ea->cap) {
        uint32_t cap = ea->cap ? ea->cap * 2 : 16;
        char **v = sk_malloc(cap * sizeof *v);
        if (!v) {
            sk_free(s);
            return SK_ERR_NO_MEMORY;
        }
        if (ea->cap)
            memcpy(v, ea->strs, ea->cap * sizeof *v);
        sk_free(ea->strs);
        ea->strs = v;
        ea->cap = cap;
    }
    ea->strs[ea->argc + ea->envc] = s;
    if (ea->which == 0)
        ea->argc++;
    else
        ea->envc++;
    ea->idx++;
    return next_pointer(t);
}

static sk_error_t got_pointer(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct execargs *ea = t->exec;
    if (err)
        return err;
    if (ea->ptr) {
        if (ea->idx >= MAX_ARG_COUNT)
            return SK_ERR_TOO_BIG;
        return call_read_string(t, ea->ptr, MAX_ARG_STRLEN, got_string);
    }
    if (ea->which == 0) {
        ea->which = 1;
        ea->vec = t->a[2];
        ea->idx = 0;
        return next_pointer(t);
    }
    long rc = exec_finish(t);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

static sk_error_t got_path(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct execargs *ea = sk_calloc(1, sizeof *ea);
    if (!ea)
        return SK_ERR_NO_MEMORY;
    t->exec = ea;
    ea->path = t->buf;
    t->buf = NULL;
    if (!ea->path[0]) {
        call_return(t, -LX_ENOENT);
        return SK_OK;
    }
    ea->vec = t->a[1];
    return next_pointer(t);
}

long sys_execve(struct lthread *t)
{
    sk_error_t e = call_read_string(t, t->a[0], 4096, got_path);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

void exec_cleanup(struct lthread *t)
{
    execargs_free(t->exec);
    t->exec = NULL;
}
