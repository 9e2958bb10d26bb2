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

/* The wall clock starts at a fixed date until an RTC driver exists (PARTIAL). */
#define EPOCH_AT_BOOT 1767225600ull /* 2026-01-01 00:00:00 UTC */

static uint64_t now_ns(void)
{
    uint64_t now = 0;
    sk_clock_get(&now);
    return now;
}

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
    set_str(u->release, "6.1.0-skoll");
    set_str(u->version, "#1 SMP Skoll POSIX server");
    set_str(u->machine, "x86_64");
    set_str(u->domainname, px.domainname[0] ? px.domainname : "(none)");
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[0], u, sizeof *u, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static int clock_read(uint64_t id, struct lx_timespec *ts)
{
    uint64_t ns = now_ns() - px.boot_ns;
    switch (id) {
    case LX_CLOCK_REALTIME:
    case LX_CLOCK_REALTIME_COARSE:
        ns += EPOCH_AT_BOOT * 1000000000ull;
        break;
    case LX_CLOCK_MONOTONIC:
    case LX_CLOCK_MONOTONIC_RAW:
    case LX_CLOCK_MONOTONIC_COARSE:
    case LX_CLOCK_BOOTTIME:
    case LX_CLOCK_PROCESS_CPUTIME_ID: /* (CPU time is not accounted yet: PARTIAL) */
    case LX_CLOCK_THREAD_CPUTIME_ID:
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
    int e = clock_read(t->a[0], ts);
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
    if (clock_read(t->a[0], ts))
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
    clock_read(LX_CLOCK_REALTIME, &ts);
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

long sys_time(struct lthread *t)
{
    struct lx_timespec ts;
    clock_read(LX_CLOCK_REALTIME, &ts);
    if (!t->a[0])
        return ts.tv_sec;
    t->len = (uint64_t)ts.tv_sec;
    t->ret = ts.tv_sec;
    sk_error_t se = call_copy_out(t, t->a[0], &t->len, 8, call_done_step);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

/* ---- sleeping: a deadline on the parked request ---- */

static sk_error_t sleep_over(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err == SK_ERR_TIMEOUT) {
        call_return(t, 0);
        return SK_OK;
    }
    if (err == SK_ERR_CANCELLED) {
        call_return(t, -514); /* ERESTARTNOHAND: EINTR after a handler, else slept again */
        return SK_OK;
    }
    return err ? err : SK_OK;
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
        clock_read(t->a[0], &nowts);
        uint64_t now = (uint64_t)nowts.tv_sec * 1000000000ull + (uint64_t)nowts.tv_nsec;
        deadline = now_ns() + (ns > now ? ns - now : 0);
    } else {
        deadline = now_ns() + ns;
    }
    if (ns == 0 || deadline <= now_ns()) {
        call_return(t, 0);
        return SK_OK;
    }
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
    if (clock_read(t->a[0], &probe) || t->a[0] == LX_CLOCK_THREAD_CPUTIME_ID)
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

long sys_set_robust_list(struct lthread *t)
{
    return t->a[1] == 24 ? 0 : -LX_EINVAL;
}

/* Limits: the defaults Linux gives a process, not yet settable (PARTIAL). */
static void limit_of(unsigned res, struct lx_rlimit *r)
{
    r->cur = r->max = LX_RLIM_INFINITY;
    if (res == 3) /* RLIMIT_STACK */
        r->cur = 8u << 20;
    else if (res == 7) /* RLIMIT_NOFILE */
        r->cur = r->max = FD_MAX;
    else if (res == 4) /* RLIMIT_CORE */
        r->cur = 0;
}

long sys_prlimit64(struct lthread *t)
{
    int pid = (int)t->a[0];
    unsigned res = (unsigned)t->a[1];
    if (res >= LX_RLIMIT_NLIMITS)
        return -LX_EINVAL;
    if (pid && !proc_find(pid))
        return -LX_ESRCH;
    if (!t->a[3])
        return 0;
    struct lx_rlimit *r = sk_malloc(sizeof *r);
    if (!r)
        return -LX_ENOMEM;
    t->buf = r;
    limit_of(res, r);
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[3], r, sizeof *r, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_getrlimit(struct lthread *t)
{
    unsigned res = (unsigned)t->a[0];
    if (res >= LX_RLIMIT_NLIMITS)
        return -LX_EINVAL;
    struct lx_rlimit *r = sk_malloc(sizeof *r);
    if (!r)
        return -LX_ENOMEM;
    t->buf = r;
    limit_of(res, r);
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[1], r, sizeof *r, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
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
    memset(t->p->comm, 0, sizeof t->p->comm);
    memcpy(t->p->comm, t->buf, strnlen(t->buf, 15));
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
        memcpy(t->buf, t->p->comm, 15);
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

/* CPU time is not accounted per process yet: times and getrusage report zero CPU time
   (PARTIAL), times' return value is the real clock in ticks. */
long sys_times(struct lthread *t)
{
    uint64_t ticks = (now_ns() - px.boot_ns) / 10000000ull;
    if (!t->a[0])
        return (long)ticks;
    t->buf = sk_calloc(1, 32);
    if (!t->buf)
        return -LX_ENOMEM;
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
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[1], t->buf, 144, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

#define LX_REBOOT_MAGIC1 0xfee1deadu
#define LX_REBOOT_CMD_RESTART 0x01234567u
#define LX_REBOOT_CMD_HALT 0xcdef0123u
#define LX_REBOOT_CMD_POWER_OFF 0x4321fedcu
#define LX_REBOOT_CMD_CAD_ON 0x89abcdefu
#define LX_REBOOT_CMD_CAD_OFF 0u

long sys_reboot(struct lthread *t)
{
    uint32_t m1 = (uint32_t)t->a[0], m2 = (uint32_t)t->a[1], cmd = (uint32_t)t->a[2];
    if (m1 != LX_REBOOT_MAGIC1 ||
        (m2 != 672274793u && m2 != 85072278u && m2 != 369367448u && m2 != 537993216u))
        return -LX_EINVAL;
    if (t->p->euid != 0)
        return -LX_EPERM;
    switch (cmd) {
    case LX_REBOOT_CMD_CAD_ON:
    case LX_REBOOT_CMD_CAD_OFF:
        return 0;
    case LX_REBOOT_CMD_HALT:
    case LX_REBOOT_CMD_POWER_OFF:
        posix_shutdown(POSIX_POWER_OFF);
        return 0;
    case LX_REBOOT_CMD_RESTART:
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

long sys_sethostname(struct lthread *t)
{
    return set_name(t, 0);
}

long sys_setdomainname(struct lthread *t)
{
    return set_name(t, 1);
}
