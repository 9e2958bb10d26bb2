/*
 * The small calls: uname, the clocks and sleeping, getrandom, resource limits,
 * set_robust_list, sched_yield.
 */
#include "posix.h"
#include "calls.h"

#define LX_CLOCK_REALTIME 0
#define LX_CLOCK_MONOTONIC 1
#define LX_CLOCK_PROCESS_CPUTIME_ID 2
#define LX_CLOCK_THREAD_CPUTIME_ID 3
#define LX_CLOCK_MONOTONIC_RAW 4
#define LX_CLOCK_REALTIME_COARSE 5
#define LX_CLOCK_MONOTONIC_COARSE 6
#define LX_CLOCK_BOOTTIME 7



static void set_str(char *dst, const char *src)
{
    memcpy(dst, src, strlen(src) + 1);
}

long sys_uname(struct lthread *t)
{
    struct lx_utsname *u = sk_calloc(1, sizeof *u);
    if (!u)
        return -LX_ENOMEM;
    t->buf = u;
    set_str(u->sysname, "Linux");
    set_str(u->nodename, px.hostname[0] ? px.hostname : "skoll");
    set_str(u->release, LX_UTS_RELEASE);
    set_str(u->version, "#1 SMP Skoll POSIX server");
    set_str(u->machine, "x86_64");
    set_str(u->domainname, px.domainname[0] ? px.domainname : "(none)");
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[0], u, sizeof *u, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static int clock_read(struct lthread *t, uint64_t id, struct lx_timespec *ts)
{
    uint64_t ns = now_ns() - px.boot_ns;
    if ((int32_t)id < 0) {
        /* a CPU clock of a process or thread (clock_getcpuclockid): ~pid << 3 | per-thread 4
           | type (PROF, VIRT and SCHED all count the whole run time here) */
        int c = (int32_t)id, who = ~(c >> 3);
        if ((c & 3) == 3)
            return -LX_EINVAL;
        if (c & 4) {
            struct lthread *th = thread_find(t, who);
            if (!th || th->p != t->p)
                return -LX_EINVAL;
            ns = thread_cpu_ns(th->h);
        } else {
            struct proc *p = who ? proc_find(who) : t->p;
            if (!p || p->state != PROC_LIVE)
                return -LX_EINVAL;
            ns = proc_cpu_ns(p);
        }
        ts->tv_sec = (int64_t)(ns / 1000000000ull);
        ts->tv_nsec = (int64_t)(ns % 1000000000ull);
        return 0;
    }
    switch (id) {
    case LX_CLOCK_REALTIME:
    case LX_CLOCK_REALTIME_COARSE:
        ns = now_ns() + px.wall_offset_ns; /* the RTC's time at start, moved by settime (rtc.c) */
        break;
    case LX_CLOCK_MONOTONIC:
    case LX_CLOCK_MONOTONIC_RAW:
    case LX_CLOCK_MONOTONIC_COARSE:
    case LX_CLOCK_BOOTTIME:
        break;
    case LX_CLOCK_PROCESS_CPUTIME_ID:
        ns = proc_cpu_ns(t->p);
        break;
    case LX_CLOCK_THREAD_CPUTIME_ID:
        ns = thread_cpu_ns(t->h);
        break;
    default:
        return -LX_EINVAL;
    }
    ts->tv_sec = (int64_t)(ns / 1000000000ull);
    ts->tv_nsec = (int64_t)(ns % 1000000000ull);
    return 0;
}

long sys_clock_gettime(struct lthread *t)
{
    struct lx_timespec *ts = sk_malloc(sizeof *ts);
    if (!ts)
        return -LX_ENOMEM;
    t->buf = ts;
    int e = clock_read(t, t->a[0], ts);
    if (e)
        return e;
    t->ret = 0;
    sk_error_t se = call_copy_out(t, t->a[1], ts, sizeof *ts, call_done_step);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

long sys_clock_getres(struct lthread *t)
{
    struct lx_timespec *ts = sk_malloc(sizeof *ts);
    if (!ts)
        return -LX_ENOMEM;
    t->buf = ts;
    if (clock_read(t, t->a[0], ts))
        return -LX_EINVAL;
    if (!t->a[1])
        return 0;
    *ts = (struct lx_timespec){0, 1};
    t->ret = 0;
    sk_error_t se = call_copy_out(t, t->a[1], ts, sizeof *ts, call_done_step);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

long sys_gettimeofday(struct lthread *t)
{
    if (!t->a[0])
        return 0;
    struct lx_timespec ts;
    clock_read(t, LX_CLOCK_REALTIME, &ts);
    int64_t *tv = sk_malloc(16);
    if (!tv)
        return -LX_ENOMEM;
    t->buf = tv;
    tv[0] = ts.tv_sec;
    tv[1] = ts.tv_nsec / 1000;
    t->ret = 0;
    sk_error_t se = call_copy_out(t, t->a[0], tv, 16, call_done_step);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

/* clock_settime (CLOCK_REALTIME only) and settimeofday: the new wall time, as a timespec or a
   timeval (t->nr says which), read into t->buf */
static sk_error_t settime_got(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    int64_t *v = t->buf;
    int64_t sub = t->nr == 164 ? v[1] * 1000 : v[1];
    long rc = 0;
    if (v[0] < 0 || v[1] < 0 || (t->nr == 164 ? v[1] >= 1000000 : v[1] >= 1000000000))
        rc = -LX_EINVAL;
    else if (t->p->euid != 0)
        rc = -LX_EPERM;
    else
        px.wall_offset_ns = (uint64_t)v[0] * 1000000000ull + (uint64_t)sub - now_ns();
    call_return(t, rc);
    return SK_OK;
}

static long settime(struct lthread *t, uint64_t uaddr)
{
    int64_t *v = sk_malloc(16);
    if (!v)
        return -LX_ENOMEM;
    t->buf = v;
    sk_error_t e = call_copy_in(t, uaddr, v, 16, settime_got);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_clock_settime(struct lthread *t)
{
    struct lx_timespec ts;
    if (clock_read(t, t->a[0], &ts))
        return -LX_EINVAL;
    if (t->a[0] != LX_CLOCK_REALTIME)
        return -LX_EINVAL; /* the other clocks cannot be set, as on Linux */
    return settime(t, t->a[1]);
}

long sys_settimeofday(struct lthread *t)
{
    if (!t->a[0])
        return t->p->euid == 0 ? 0 : -LX_EPERM; /* only a time zone: kept by the C library */
    return settime(t, t->a[0]);
}

long sys_time(struct lthread *t)
{
    struct lx_timespec ts;
    clock_read(t, LX_CLOCK_REALTIME, &ts);
    if (!t->a[0])
        return ts.tv_sec;
    t->len = (uint64_t)ts.tv_sec;
    t->ret = ts.tv_sec;
    sk_error_t se = call_copy_out(t, t->a[0], &t->len, 8, call_done_step);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

/* ---- sleeping: a deadline on the parked request ---- */

/* Where a relative sleep writes the time left when a signal ends it early (0: nowhere). */
static uint64_t sleep_rem_addr(struct lthread *t)
{
    if (t->nr == 35) /* nanosleep */
        return t->a[1];
    if (t->nr == 230) /* clock_nanosleep, relative */
        return t->a[3];
    return 0;
}

/*
 * A signal ended a sleep early. An absolute sleep is simply made again (ERESTARTNOHAND); a
 * relative one writes the time left to rem (if given) and ends with ERESTART_RESTARTBLOCK:
 * EINTR when a handler runs, else restart_syscall goes on to the same end, as Linux does.
 */
static sk_error_t sleep_interrupted(struct lthread *t)
{
    if (t->phase == 1 || t->nr == 219) {
        if (t->nr == 219)
            t->restart_until = t->sleep_until;
        t->restart_futex = 0;
        call_return(t, t->nr == 219 ? -516 : -514);
        return SK_OK;
    }
    uint64_t now = now_ns(), left = t->sleep_until > now ? t->sleep_until - now : 0;
    t->restart_until = t->sleep_until;
    t->restart_futex = 0;
    uint64_t rem = sleep_rem_addr(t);
    t->ret = -516;
    if (!rem) {
        call_return(t, -516);
        return SK_OK;
    }
    struct lx_timespec *ts = t->buf;
    ts->tv_sec = (int64_t)(left / 1000000000ull);
    ts->tv_nsec = (int64_t)(left % 1000000000ull);
    return call_copy_out(t, rem, ts, sizeof *ts, call_done_step);
}

static sk_error_t sleep_over(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err == SK_ERR_TIMEOUT) {
        call_return(t, 0);
        return SK_OK;
    }
    if (err == SK_ERR_CANCELLED)
        return sleep_interrupted(t);
    return err ? err : SK_OK;
}

/* restart_syscall: a sleep a signal interrupted (with no handler) goes on to its end; with
   nothing to restart, EINTR (Linux's do_no_restart_syscall). */
long sys_restart_syscall(struct lthread *t)
{
    if (t->restart_futex)
        return futex_restart(t);
    uint64_t until = t->restart_until;
    t->restart_until = 0;
    if (!until)
        return -LX_EINTR;
    if (until <= now_ns())
        return 0;
    t->sleep_until = until;
    sk_req_park(&t->req, sleep_over);
    sk_error_t e = sk_req_deadline(&t->req, until);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t sleep_got_time(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct lx_timespec *ts = t->buf;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    uint64_t ns = (uint64_t)ts->tv_sec > 1000000000ull ? ~0ull / 2
                  : (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
    uint64_t deadline;
    if (t->phase == 1) { /* absolute */
        struct lx_timespec nowts;
        clock_read(t, t->a[0], &nowts);
        uint64_t now = (uint64_t)nowts.tv_sec * 1000000000ull + (uint64_t)nowts.tv_nsec;
        deadline = now_ns() + (ns > now ? ns - now : 0);
    } else {
        deadline = now_ns() + ns;
    }
    if (ns == 0 || deadline <= now_ns()) {
        call_return(t, 0);
        return SK_OK;
    }
    t->sleep_until = deadline;
    t->restart_until = 0;
    sk_req_park(r, sleep_over);
    return sk_req_deadline(r, deadline);
}

long sys_nanosleep(struct lthread *t)
{
    t->buf = sk_malloc(sizeof(struct lx_timespec));
    if (!t->buf)
        return -LX_ENOMEM;
    t->phase = 0;
    sk_error_t e = call_copy_in(t, t->a[0], t->buf, sizeof(struct lx_timespec), sleep_got_time);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_clock_nanosleep(struct lthread *t)
{
    struct lx_timespec probe;
    if (clock_read(t, t->a[0], &probe) || t->a[0] == LX_CLOCK_THREAD_CPUTIME_ID ||
        ((int32_t)t->a[0] < 0 && (t->a[0] & 4)))
        return -LX_EINVAL;
    if (t->a[1] & ~1ull)
        return -LX_EINVAL;
    t->buf = sk_malloc(sizeof(struct lx_timespec));
    if (!t->buf)
        return -LX_ENOMEM;
    t->phase = (int)(t->a[1] & 1);
    sk_error_t e = call_copy_in(t, t->a[2], t->buf, sizeof(struct lx_timespec), sleep_got_time);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_sched_yield(struct lthread *t)
{
    (void)t;
    return 0;
}

/* ---- scheduling: one policy in effect (SCHED_OTHER; BATCH and IDLE are accepted and run
   as it), real-time policies refused with EPERM, affinity kept per thread and given to the
   kernel's scheduler ---- */

#define LX_SCHED_OTHER 0
#define LX_SCHED_FIFO 1
#define LX_SCHED_RR 2
#define LX_SCHED_BATCH 3
#define LX_SCHED_IDLE 5
#define LX_SCHED_RESET_ON_FORK 0x40000000


static uint64_t cpus_online(void)
{
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    uint64_t n = mi.cpus ? mi.cpus : 1;
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* May t change x's scheduling? (root, or the same effective user as x's real or effective) */
static int sched_allowed(struct lthread *t, struct lthread *x)
{
    struct proc *p = t->p, *q = x->p;
    return p->euid == 0 || p->euid == q->uid || p->euid == q->euid;
}

long sys_sched_getaffinity(struct lthread *t)
{
    uint64_t len = t->a[1];
    if ((int)t->a[0] < 0)
        return -LX_ESRCH;
    if (len == 0 || (len & 7))
        return -LX_EINVAL;
    struct lthread *x = thread_find(t, (int)t->a[0]);
    if (!x)
        return -LX_ESRCH;
    t->len = x->affinity ? x->affinity : cpus_online();
    t->ret = 8;
    sk_error_t e = call_copy_out(t, t->a[2], &t->len, 8, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t setaffinity_got(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct lthread *x = thread_find(t, (int)t->a[0]);
    uint64_t mask = t->len & cpus_online();
    long rc = 0;
    if (!x)
        rc = -LX_ESRCH;
    else if (!sched_allowed(t, x))
        rc = -LX_EPERM;
    else if (!mask)
        rc = -LX_EINVAL;
    else if (sk_thread_set_affinity(x->h, mask) != SK_OK)
        rc = -LX_EINVAL;
    else
        x->affinity = mask == cpus_online() ? 0 : mask;
    call_return(t, rc);
    return SK_OK;
}

long sys_sched_setaffinity(struct lthread *t)
{
    if ((int)t->a[0] < 0)
        return -LX_ESRCH;
    if (!thread_find(t, (int)t->a[0]))
        return -LX_ESRCH;
    uint64_t len = t->a[1] < 8 ? t->a[1] : 8;
    t->len = 0;
    if (len == 0)
        return -LX_EINVAL;
    sk_error_t e = call_copy_in(t, t->a[2], &t->len, len, setaffinity_got);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_sched_getscheduler(struct lthread *t)
{
    if ((int)t->a[0] < 0)
        return -LX_EINVAL;
    struct lthread *x = thread_find(t, (int)t->a[0]);
    return x ? x->policy : -LX_ESRCH;
}

long sys_sched_getparam(struct lthread *t)
{
    if ((int)t->a[0] < 0 || !t->a[1])
        return -LX_EINVAL;
    if (!thread_find(t, (int)t->a[0]))
        return -LX_ESRCH;
    t->len = 0;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[1], &t->len, 4, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* sched_setscheduler (policy a[1]) and sched_setparam (the thread's policy): the priority
   read into t->len */
static sk_error_t setsched_got(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    int prio = (int)(uint32_t)t->len;
    struct lthread *x = thread_find(t, (int)t->a[0]);
    long rc = 0;
    if (!x) {
        rc = -LX_ESRCH;
    } else {
        int policy = t->nr == 144 ? (int)(t->a[1] & ~(uint64_t)LX_SCHED_RESET_ON_FORK) : x->policy;
        int rt = policy == LX_SCHED_FIFO || policy == LX_SCHED_RR;
        if (rt ? prio < 1 || prio > 99 : prio != 0)
            rc = -LX_EINVAL;
        else if (rt || !sched_allowed(t, x))
            rc = -LX_EPERM; /* no real-time scheduling (PARTIAL) */
        else
            x->policy = policy;
    }
    call_return(t, rc);
    return SK_OK;
}

static long setsched(struct lthread *t, uint64_t uparam)
{
    if ((int)t->a[0] < 0 || !uparam)
        return -LX_EINVAL;
    if (!thread_find(t, (int)t->a[0]))
        return -LX_ESRCH;
    t->len = 0;
    sk_error_t e = call_copy_in(t, uparam, &t->len, 4, setsched_got);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_sched_setscheduler(struct lthread *t)
{
    int policy = (int)(t->a[1] & ~(uint64_t)LX_SCHED_RESET_ON_FORK);
    if (policy != LX_SCHED_OTHER && policy != LX_SCHED_FIFO && policy != LX_SCHED_RR &&
        policy != LX_SCHED_BATCH && policy != LX_SCHED_IDLE)
        return -LX_EINVAL;
    return setsched(t, t->a[2]);
}

long sys_sched_setparam(struct lthread *t)
{
    return setsched(t, t->a[1]);
}

static long priority_bound(int policy, int max)
{
    if (policy == LX_SCHED_FIFO || policy == LX_SCHED_RR)
        return max ? 99 : 1;
    if (policy == LX_SCHED_OTHER || policy == LX_SCHED_BATCH || policy == LX_SCHED_IDLE)
        return 0;
    return -LX_EINVAL;
}

long sys_sched_get_priority_max(struct lthread *t)
{
    return priority_bound((int)t->a[0], 1);
}

long sys_sched_get_priority_min(struct lthread *t)
{
    return priority_bound((int)t->a[0], 0);
}

long sys_getrandom(struct lthread *t)
{
    uint64_t len = t->a[1];
    if (t->a[2] & ~7ull)
        return -LX_EINVAL;
    if (len > 33554431)
        len = 33554431;
    if (len > (64u << 10))
        len = 64u << 10; /* (Linux may also return less than asked for large reads) */
    if (len == 0)
        return 0;
    uint8_t *b = sk_malloc(len);
    if (!b)
        return -LX_ENOMEM;
    t->buf = b;
    for (uint64_t i = 0; i < len; i++)
        b[i] = (uint8_t)(posix_random64() >> 40);
    t->ret = (long)len;
    sk_error_t e = call_copy_out(t, t->a[0], b, len, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}


/* ---- limits: Linux's defaults for the first process (its INIT_RLIMITS; NPROC and
   SIGPENDING from the memory size as Linux computes them), inherited by fork, kept by exec,
   set by setrlimit and prlimit64. Enforced: RLIMIT_NOFILE (descriptor numbers) and
   RLIMIT_NPROC (fork); the others are kept and reported. ---- */

#define NR_OPEN (1u << 20) /* Linux's fs.nr_open: the most RLIMIT_NOFILE may be set to */

void limits_default(struct lx_rlimit *rlim)
{
    for (int i = 0; i < LX_RLIMIT_NLIMITS; i++)
        rlim[i].cur = rlim[i].max = LX_RLIM_INFINITY;
    rlim[LX_RLIMIT_STACK].cur = 8u << 20;
    rlim[LX_RLIMIT_CORE].cur = 0;
    rlim[LX_RLIMIT_NOFILE] = (struct lx_rlimit){FD_DEFAULT, FD_MAX};
    rlim[LX_RLIMIT_MEMLOCK] = (struct lx_rlimit){8u << 20, 8u << 20};
    rlim[LX_RLIMIT_MSGQUEUE] = (struct lx_rlimit){819200, 819200};
    rlim[LX_RLIMIT_NICE] = (struct lx_rlimit){0, 0};
    rlim[14] = (struct lx_rlimit){0, 0}; /* RLIMIT_RTPRIO */
    /* max_threads = pages / (8 * THREAD_SIZE / PAGE_SIZE), THREAD_SIZE 16 KiB; half of it */
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    uint64_t threads = mi.total_pages / 32;
    if (threads < 20)
        threads = 20;
    rlim[LX_RLIMIT_NPROC].cur = rlim[LX_RLIMIT_NPROC].max = threads / 2;
    rlim[LX_RLIMIT_SIGPENDING].cur = rlim[LX_RLIMIT_SIGPENDING].max = threads / 2;
}

/* May t's process change or read target's limits? (prlimit64's rule: the same real,
   effective and saved ids, or root) */
static int limits_allowed(struct proc *p, struct proc *target)
{
    if (p == target || p->euid == 0)
        return 1;
    return p->uid == target->uid && p->uid == target->euid && p->uid == target->suid &&
           p->gid == target->gid && p->gid == target->egid && p->gid == target->sgid;
}

/* The arguments of prlimit64, getrlimit (res, old) or setrlimit (res, new) as prlimit64's. */
struct limits_args {
    int pid;
    unsigned res;
    uint64_t newp, oldp;
};
static struct limits_args limits_args(struct lthread *t)
{
    if (t->nr == 97)
        return (struct limits_args){0, (unsigned)t->a[0], 0, t->a[1]};
    if (t->nr == 160)
        return (struct limits_args){0, (unsigned)t->a[0], t->a[1], 0};
    return (struct limits_args){(int)t->a[0], (unsigned)t->a[1], t->a[2], t->a[3]};
}

/* t->buf: [0] the new limit (read in), [1] the old (written out). */
static sk_error_t limits_apply(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct limits_args la = limits_args(t);
    struct proc *target = la.pid ? proc_find(la.pid) : t->p;
    unsigned res = la.res;
    if (!target || target->state != PROC_LIVE) {
        call_return(t, -LX_ESRCH);
        return SK_OK;
    }
    struct lx_rlimit *lim = t->buf;
    lim[1] = target->rlim[res];
    if (la.newp) {
        struct lx_rlimit n = lim[0];
        long e = 0;
        if (n.cur > n.max)
            e = -LX_EINVAL;
        else if (n.max > target->rlim[res].max && t->p->euid != 0)
            e = -LX_EPERM;
        else if (res == LX_RLIMIT_NOFILE && n.max > NR_OPEN)
            e = -LX_EPERM;
        if (e) {
            call_return(t, e);
            return SK_OK;
        }
        target->rlim[res] = n;
        if (res == LX_RLIMIT_NOFILE && target->fds)
            target->fds->limit = (uint32_t)n.cur; /* at most NR_OPEN */
    }
    if (!la.oldp) {
        call_return(t, 0);
        return SK_OK;
    }
    t->ret = 0;
    return call_copy_out(t, la.oldp, &lim[1], sizeof lim[1], call_done_step);
}

long sys_prlimit64(struct lthread *t)
{
    struct limits_args la = limits_args(t);
    if (la.res >= LX_RLIMIT_NLIMITS)
        return -LX_EINVAL;
    struct proc *target = la.pid ? proc_find(la.pid) : t->p;
    if (la.pid < 0 || !target || target->state != PROC_LIVE)
        return -LX_ESRCH;
    if (!limits_allowed(t->p, target))
        return -LX_EPERM;
    struct lx_rlimit *lim = sk_calloc(2, sizeof *lim);
    if (!lim)
        return -LX_ENOMEM;
    t->buf = lim;
    sk_error_t e;
    if (la.newp) {
        e = call_copy_in(t, la.newp, &lim[0], sizeof lim[0], limits_apply);
    } else {
        struct sk_cqe none = {0};
        e = limits_apply(&t->req, SK_OK, &none);
    }
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_getrlimit(struct lthread *t)
{
    return t->a[1] ? sys_prlimit64(t) : -LX_EFAULT;
}

long sys_setrlimit(struct lthread *t)
{
    return t->a[1] ? sys_prlimit64(t) : -LX_EFAULT;
}

#define LX_PR_SET_PDEATHSIG 1
#define LX_PR_GET_PDEATHSIG 2
#define LX_PR_GET_DUMPABLE 3
#define LX_PR_SET_DUMPABLE 4
#define LX_PR_SET_NAME 15
#define LX_PR_GET_NAME 16
#define LX_PR_SET_CHILD_SUBREAPER 36
#define LX_PR_GET_CHILD_SUBREAPER 37

static sk_error_t prctl_name_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    char *comm = thread_comm(t); /* (this thread's own: a thread names itself) */
    memset(comm, 0, 16);
    memcpy(comm, t->buf, strnlen(t->buf, 15));
    call_return(t, 0);
    return SK_OK;
}

long sys_prctl(struct lthread *t)
{
    sk_error_t e;
    switch (t->a[0]) {
    case LX_PR_SET_NAME:
        t->buf = sk_calloc(1, 16);
        if (!t->buf)
            return -LX_ENOMEM;
        /* the name may end at a page edge: read what is there, up to 16 bytes */
        e = call_read_string(t, t->a[1], 16, prctl_name_read);
        return e ? errno_from_sk(e) : CALL_PENDING;
    case LX_PR_GET_NAME:
        t->buf = sk_calloc(1, 16);
        if (!t->buf)
            return -LX_ENOMEM;
        memcpy(t->buf, thread_comm(t), 15);
        t->ret = 0;
        e = call_copy_out(t, t->a[1], t->buf, 16, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    case LX_PR_SET_PDEATHSIG:
        if (t->a[1] > LX_NSIG)
            return -LX_EINVAL;
        t->p->pdeathsig = (int)t->a[1];
        return 0;
    case LX_PR_GET_PDEATHSIG:
        t->len = (uint64_t)(uint32_t)t->p->pdeathsig;
        t->ret = 0;
        e = call_copy_out(t, t->a[1], &t->len, 4, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    case LX_PR_GET_DUMPABLE:
        return t->p->undumpable ? 0 : 1;
    case LX_PR_SET_DUMPABLE:
        if (t->a[1] > 1)
            return -LX_EINVAL;
        t->p->undumpable = !t->a[1];
        return 0;
    case LX_PR_SET_CHILD_SUBREAPER:
        t->p->subreaper = t->a[1] != 0;
        return 0;
    case LX_PR_GET_CHILD_SUBREAPER:
        t->len = (uint64_t)t->p->subreaper;
        t->ret = 0;
        e = call_copy_out(t, t->a[1], &t->len, 4, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    default:
        return -LX_EINVAL;
    }
}

/* ---- sysinfo, times, getrusage, reboot ---- */

struct lx_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};
_Static_assert(sizeof(struct lx_sysinfo) == 112, "sysinfo");

long sys_sysinfo(struct lthread *t)
{
    struct lx_sysinfo *si = sk_calloc(1, sizeof *si);
    if (!si)
        return -LX_ENOMEM;
    t->buf = si;
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    si->uptime = (int64_t)((now_ns() - px.boot_ns) / 1000000000ull);
    si->totalram = mi.total_pages * 4096;
    si->freeram = mi.free_pages * 4096;
    loadavg_get(si->loads, 16 - 11); /* SI_LOAD_SHIFT 16 */
    int n = 0;
    for (struct proc *p = procs; p; p = p->all_next)
        if (p->state == PROC_LIVE)
            n++;
    si->procs = (uint16_t)n;
    si->mem_unit = 1;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[0], si, sizeof *si, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* CPU time: what a process's threads ran is its user time (the server's work for its calls
   is the server's own, so system time reads 0); a child's counts for its parent once the
   parent has waited for it. Clock ticks are USER_HZ, 100 a second. */
void rusage_fill(uint8_t *ru, uint64_t user_ns)
{
    memset(ru, 0, 144);
    int64_t tv[2] = {(int64_t)(user_ns / 1000000000ull), (int64_t)(user_ns % 1000000000ull / 1000)};
    memcpy(ru, tv, sizeof tv); /* ru_utime; ru_stime and the counts stay 0 */
}

long sys_times(struct lthread *t)
{
    uint64_t ticks = (now_ns() - px.boot_ns) / 10000000ull;
    if (!t->a[0])
        return (long)ticks;
    uint64_t *tms = sk_calloc(4, 8);
    if (!tms)
        return -LX_ENOMEM;
    t->buf = tms;
    tms[0] = proc_cpu_ns(t->p) / 10000000ull;
    tms[2] = t->p->cpu_children_ns / 10000000ull;
    t->ret = (long)ticks;
    sk_error_t e = call_copy_out(t, t->a[0], t->buf, 32, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_getrusage(struct lthread *t)
{
    int who = (int)t->a[0];
    if (who != 0 && who != -1 && who != 1)
        return -LX_EINVAL;
    t->buf = sk_calloc(1, 144);
    if (!t->buf)
        return -LX_ENOMEM;
    rusage_fill(t->buf, who == 0 ? proc_cpu_ns(t->p) : who == -1 ? t->p->cpu_children_ns
                                                                 : thread_cpu_ns(t->h));
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[1], t->buf, 144, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

#define LX_REBOOT_MAGIC1 0xfee1deadu
#define LX_REBOOT_CMD_RESTART 0x01234567u
#define LX_REBOOT_CMD_HALT 0xcdef0123u
#define LX_REBOOT_CMD_POWER_OFF 0x4321fedcu
#define LX_REBOOT_CMD_RESTART2 0xa1b2c3d4u
#define LX_REBOOT_CMD_CAD_ON 0x89abcdefu
#define LX_REBOOT_CMD_CAD_OFF 0u

long sys_reboot(struct lthread *t)
{
    uint32_t m1 = (uint32_t)t->a[0], m2 = (uint32_t)t->a[1], cmd = (uint32_t)t->a[2];
    if (t->p->euid != 0)
        return -LX_EPERM; /* (before the magic numbers are looked at, as Linux does) */
    if (m1 != LX_REBOOT_MAGIC1 ||
        (m2 != 672274793u && m2 != 85072278u && m2 != 369367448u && m2 != 537993216u))
        return -LX_EINVAL;
    switch (cmd) {
    case LX_REBOOT_CMD_CAD_ON:
    case LX_REBOOT_CMD_CAD_OFF:
        return 0;
    case LX_REBOOT_CMD_HALT:
    case LX_REBOOT_CMD_POWER_OFF:
        posix_shutdown(POSIX_POWER_OFF);
        return 0;
    case LX_REBOOT_CMD_RESTART:
    case LX_REBOOT_CMD_RESTART2: /* (its command string is for the firmware: none here) */
        posix_shutdown(POSIX_REBOOT);
        return 0;
    default:
        return -LX_EINVAL;
    }
}

/* sethostname / setdomainname: root only, at most 64 bytes (the name need not end in NUL). */
static sk_error_t name_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    char *dst = t->phase ? px.domainname : px.hostname;
    memset(dst, 0, 65);
    memcpy(dst, t->buf, t->a[1]);
    call_return(t, 0);
    return SK_OK;
}

static long set_name(struct lthread *t, int domain)
{
    if (t->p->euid != 0)
        return -LX_EPERM;
    if (t->a[1] > 64)
        return -LX_EINVAL;
    t->buf = sk_calloc(1, 65);
    if (!t->buf)
        return -LX_ENOMEM;
    t->phase = domain;
    sk_error_t e = call_copy_in(t, t->a[0], t->buf, t->a[1], name_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- capget, capset: root has every capability, others none (there are no capability
   sets here: what a process may do follows its euid). Version 3 (and 2) takes two words. ---- */

#define CAP_V1 0x19980330u
#define CAP_V2 0x20071026u
#define CAP_V3 0x20080522u
#define CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE, Linux 6.1's last */

struct capcall {
    uint32_t hdr[2];
    uint32_t data[6];
};

static sk_error_t cap_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct capcall *c = t->buf;
    if (err)
        return err;
    if (t->phase == 0) { /* the header came in */
        uint32_t v = c->hdr[0];
        if (v != CAP_V1 && v != CAP_V2 && v != CAP_V3) {
            c->hdr[0] = CAP_V3; /* (the version the kernel speaks goes back) */
            t->phase = 9;
            return call_copy_out(t, t->a[0], c->hdr, 4, cap_step);
        }
        int pid = (int)c->hdr[1];
        struct proc *p = pid ? proc_find(pid) : t->p;
        if (pid < 0 || !p || p->state != PROC_LIVE) {
            call_return(t, pid < 0 ? -LX_EINVAL : -LX_ESRCH);
            return SK_OK;
        }
        int words = v == CAP_V1 ? 1 : 2;
        if (t->nr == 126) { /* capset: only of oneself, raising nothing a non-root lacks */
            if (pid && pid != t->p->pid) {
                call_return(t, -LX_EPERM);
                return SK_OK;
            }
            t->phase = 2;
            return call_copy_in(t, t->a[1], c->data, (uint64_t)words * 12, cap_step);
        }
        if (!t->a[1]) {
            call_return(t, 0);
            return SK_OK;
        }
        int root = p->euid == 0;
        uint32_t all[2] = {0xffffffffu, (1u << (CAP_LAST - 31)) - 1};
        for (int i = 0; i < words; i++) {
            c->data[i * 3 + 0] = root ? all[i] : 0;
            c->data[i * 3 + 1] = root ? all[i] : 0;
            c->data[i * 3 + 2] = 0;
        }
        t->ret = 0;
        return call_copy_out(t, t->a[1], c->data, (uint64_t)words * 12, call_done_step);
    }
    if (t->phase == 9) { /* the version was written back */
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    /* capset's sets came in: a non-root process can only have none */
    int words = c->hdr[0] == CAP_V1 ? 1 : 2;
    int any = 0;
    for (int i = 0; i < words * 3; i++)
        any |= c->data[i] != 0;
    call_return(t, t->p->euid == 0 || !any ? 0 : -LX_EPERM);
    return SK_OK;
}

static long capcall(struct lthread *t)
{
    struct capcall *c = sk_calloc(1, sizeof *c);
    if (!c)
        return -LX_ENOMEM;
    t->buf = c;
    t->phase = 0;
    sk_error_t e = call_copy_in(t, t->a[0], c->hdr, 8, cap_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_capget(struct lthread *t)
{
    return capcall(t);
}

long sys_capset(struct lthread *t)
{
    return capcall(t);
}

long sys_sethostname(struct lthread *t)
{
    return set_name(t, 0);
}

long sys_setdomainname(struct lthread *t)
{
    return set_name(t, 1);
}

/* ---- getcpu(cpu, node, cache): the CPU the thread last ran on (it runs there now, but for
   the call's own stop), node 0 ---- */

static sk_error_t getcpu_node(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    if (!t->a[1]) {
        call_return(t, 0);
        return SK_OK;
    }
    t->len = 0; /* the node */
    t->ret = 0;
    return call_copy_out(t, t->a[1], &t->len, 4, call_done_step);
}

long sys_getcpu(struct lthread *t)
{
    struct sk_thread_stats st = {0};
    sk_thread_stats(t->h, &st);
    t->len = st.cpu;
    t->ret = 0;
    sk_error_t e = t->a[0] ? call_copy_out(t, t->a[0], &t->len, 4, getcpu_node)
                           : getcpu_node(&t->req, SK_OK, NULL);
    return e ? errno_from_sk(e) : CALL_PENDING;
}
