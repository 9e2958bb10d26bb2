/*
 * POSIX timers: timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete
 * (docs/posix.md, "Time"). A process's timers have ids 0, 1, 2... (Linux's per-process
 * counter). Wall-clock timers are timers in the server's heap; CPU-time ones are looked at
 * every CPU_TICK_NS while any is armed. An expiry queues the timer's signal (SI_TIMER, the id
 * and the value) to the process or, with SIGEV_THREAD_ID, one thread; a periodic timer is
 * armed again only when that signal is taken, and the periods that passed meanwhile are its
 * overrun (si_overrun, timer_getoverrun), as Linux's posixtimer_rearm. Timers end with exec
 * and exit; fork's child has none.
 */
#include "posix.h"
#include "calls.h"

#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME 1
#define CLK_REALTIME 0
#define CLK_MONOTONIC 1
#define CLK_PROCESS_CPUTIME 2
#define CLK_THREAD_CPUTIME 3
#define CLK_BOOTTIME 7
#define CLK_REALTIME_ALARM 8
#define CLK_BOOTTIME_ALARM 9
#define CLK_TAI 11
#define TIMERS_MAX 4096
#define CPU_TICK_NS 4000000ull

struct lx_sigevent {
    uint64_t value;
    int32_t signo, notify;
    int32_t tid;
    uint8_t pad[44];
};
_Static_assert(sizeof(struct lx_sigevent) == 64, "sigevent");

struct lx_itspec {
    struct lx_timespec interval, value;
};

struct ptimer {
    struct ptimer *next;
    struct proc *p;
    int id, clock, notify, signo, tid, cpu;
    int cpu_tid; /* CLOCK_THREAD_CPUTIME: the thread whose time it counts */
    uint64_t value;
    uint64_t at;       /* the next expiry (server clock, or CPU ns for CPU clocks); 0: off */
    uint64_t interval;
    struct sk_timer tm;
    int queued;        /* its signal waits to be taken */
    uint32_t gen;      /* settime's count: a signal of an older setting re-arms nothing */
    uint32_t queued_gen;
    int last_overrun;
};

static struct sk_timer cpu_tick;

static struct ptimer *find(struct proc *p, int id)
{
    for (struct ptimer *pt = p->ptimers; pt; pt = pt->next)
        if (pt->id == id)
            return pt;
    return NULL;
}

/* The clock's reading now in the timer's units. */
static uint64_t clock_now(struct ptimer *pt)
{
    if (pt->clock == CLK_PROCESS_CPUTIME)
        return proc_cpu_ns(pt->p);
    if (pt->clock == CLK_THREAD_CPUTIME) {
        struct lthread *th = pt->p->threads;
        while (th && th->tid != pt->cpu_tid)
            th = th->next;
        return th ? thread_cpu_ns(th->h) : 0;
    }
    return now_ns();
}

static void cpu_tick_fired(struct sk_timer *tm);

static void cpu_tick_start(void)
{
    if (!sk_timer_armed(&cpu_tick))
        sk_timer_start(&px.timers, &cpu_tick, now_ns() + CPU_TICK_NS, cpu_tick_fired);
}

static void arm(struct ptimer *pt, uint64_t at);

static void fire(struct ptimer *pt)
{
    if (pt->notify == SIGEV_NONE)
        return; /* (its time is looked at by timer_gettime only) */
    pt->queued = 1;
    pt->queued_gen = pt->gen;
    struct ksiginfo info = {.signo = pt->signo, .code = LX_SI_TIMER, .pid = pt->id,
                            .addr = pt->value};
    int sent;
    if (pt->notify == SIGEV_THREAD_ID) {
        struct lthread *th = pt->p->threads;
        while (th && th->tid != pt->tid)
            th = th->next;
        sent = th && signal_send_thread(th, &info);
    } else {
        sent = signal_send_proc(pt->p, &info);
    }
    if (!sent) { /* ignored: nothing will take it, a periodic timer goes on by itself */
        pt->queued = 0;
        if (pt->interval) {
            uint64_t now = clock_now(pt);
            uint64_t k = now >= pt->at ? (now - pt->at) / pt->interval + 1 : 1;
            arm(pt, pt->at + k * pt->interval);
        }
    }
}

static void wall_fired(struct sk_timer *tm)
{
    struct ptimer *pt = SK_OP_CONTAINER(tm, struct ptimer, tm);
    if (pt->p->state != PROC_LIVE)
        return;
    fire(pt);
}

static void cpu_tick_fired(struct sk_timer *tm)
{
    (void)tm;
    int armed = 0;
    for (struct proc *p = procs; p; p = p->all_next) {
        if (p->state != PROC_LIVE)
            continue;
        for (struct ptimer *pt = p->ptimers; pt; pt = pt->next) {
            if (!pt->cpu || !pt->at || pt->queued || pt->notify == SIGEV_NONE)
                continue;
            if (clock_now(pt) >= pt->at) {
                fire(pt);
                if (!pt->interval)
                    pt->at = 0;
            }
            armed |= pt->at != 0 && !pt->queued;
        }
    }
    if (armed)
        cpu_tick_start();
}

/* Arm pt at at (its units); 0 disarms. */
static void arm(struct ptimer *pt, uint64_t at)
{
    pt->at = at;
    if (pt->cpu) {
        if (at && pt->notify != SIGEV_NONE)
            cpu_tick_start();
        return;
    }
    sk_timer_stop(&px.timers, &pt->tm);
    if (at && pt->notify != SIGEV_NONE)
        sk_timer_start(&px.timers, &pt->tm, at, wall_fired);
}

void ptimer_dequeued(struct proc *p, struct ksiginfo *info)
{
    struct ptimer *pt = find(p, info->pid);
    if (!pt || !pt->queued)
        return;
    pt->queued = 0;
    int overrun = 0;
    if (pt->queued_gen == pt->gen && pt->interval && pt->at) {
        uint64_t now = clock_now(pt);
        uint64_t k = now >= pt->at ? (now - pt->at) / pt->interval + 1 : 1;
        overrun = k - 1 > 0x7fffffff ? 0x7fffffff : (int)(k - 1);
        arm(pt, pt->at + k * pt->interval);
    } else if (pt->queued_gen == pt->gen && !pt->interval) {
        pt->at = 0;
    }
    pt->last_overrun = overrun;
    info->uid = (uint32_t)overrun; /* (si_overrun sits where a kill's si_uid does) */
}

static void ptimer_free(struct ptimer *pt)
{
    sk_timer_stop(&px.timers, &pt->tm);
    sk_free(pt);
}

void ptimer_proc_gone(struct proc *p)
{
    while (p->ptimers) {
        struct ptimer *pt = p->ptimers;
        p->ptimers = pt->next;
        ptimer_free(pt);
    }
}

/* ---- timer_create(clock, sigevent, id) ---- */

static long create(struct lthread *t, const struct lx_sigevent *ev)
{
    int clock = (int)t->a[0];
    struct proc *p = t->p;
    int cpu_tid = t->tid;
    if (clock < 0) {
        /* a CPU clock id (clock_getcpuclockid, and what glibc passes for the CPU clocks):
           ~pid << 3 | per-thread 4 | type; this process's and its threads' only */
        int type = clock & 3, perthread = clock & 4, who = ~(clock >> 3);
        if (type == 3)
            return -LX_EINVAL;
        if (perthread) {
            struct lthread *th = thread_find(t, who);
            if (!th || th->p != p)
                return -LX_EINVAL;
            cpu_tid = th->tid;
            clock = CLK_THREAD_CPUTIME;
        } else {
            if (who != 0 && who != p->pid)
                return -LX_EINVAL;
            clock = CLK_PROCESS_CPUTIME;
        }
    }
    switch (clock) {
    case CLK_REALTIME:
    case CLK_MONOTONIC:
    case CLK_BOOTTIME:
    case CLK_TAI:
    case CLK_PROCESS_CPUTIME:
    case CLK_THREAD_CPUTIME:
        break;
    case CLK_REALTIME_ALARM:
    case CLK_BOOTTIME_ALARM:
        if (p->euid != 0)
            return -LX_EPERM; /* CAP_WAKE_ALARM */
        break;
    case 4: /* MONOTONIC_RAW */
    case 5: /* REALTIME_COARSE */
    case 6: /* MONOTONIC_COARSE */
        return -LX_EOPNOTSUPP;
    default:
        return -LX_EINVAL;
    }
    int n = 0;
    for (struct ptimer *q = p->ptimers; q; q = q->next)
        n++;
    if (n >= TIMERS_MAX)
        return -LX_EAGAIN;
    /* the id is taken before the event is looked at: a refused one uses it up, as Linux */
    int id = p->next_timer_id;
    while (find(p, id)) /* (after a wrap) */
        id = (id + 1) & 0x7fffffff;
    p->next_timer_id = (id + 1) & 0x7fffffff;
    struct lx_sigevent def = {.signo = LX_SIGALRM, .notify = SIGEV_SIGNAL};
    if (!ev)
        ev = &def;
    int notify = ev->notify;
    if (notify & SIGEV_THREAD_ID) {
        if (notify != (SIGEV_THREAD_ID | SIGEV_SIGNAL) || ev->tid <= 0 || !thread_find(t, ev->tid) ||
            thread_find(t, ev->tid)->p != p)
            return -LX_EINVAL;
    } else if (notify != SIGEV_SIGNAL && notify != SIGEV_THREAD && notify != SIGEV_NONE) {
        return -LX_EINVAL;
    }
    if (notify != SIGEV_NONE && (ev->signo <= 0 || ev->signo > LX_NSIG))
        return -LX_EINVAL;
    struct ptimer *pt = sk_calloc(1, sizeof *pt);
    if (!pt)
        return -LX_ENOMEM;
    pt->p = p;
    pt->id = id;
    pt->clock = clock == CLK_REALTIME_ALARM ? CLK_REALTIME : clock == CLK_BOOTTIME_ALARM ? CLK_BOOTTIME : clock;
    pt->cpu = pt->clock == CLK_PROCESS_CPUTIME || pt->clock == CLK_THREAD_CPUTIME;
    pt->notify = notify == SIGEV_THREAD ? SIGEV_SIGNAL : notify;
    pt->signo = ev->signo;
    pt->tid = ev->tid;
    pt->cpu_tid = cpu_tid;
    pt->value = ev == &def ? (uint64_t)pt->id : ev->value;
    pt->next = p->ptimers;
    p->ptimers = pt;
    return pt->id;
}

static sk_error_t id_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) { /* (the id could not be written: the timer goes again, as Linux) */
        struct ptimer *pt = find(t->p, (int)t->len);
        if (pt) {
            for (struct ptimer **pp = &t->p->ptimers; *pp; pp = &(*pp)->next)
                if (*pp == pt) {
                    *pp = pt->next;
                    break;
                }
            ptimer_free(pt);
        }
        return err;
    }
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t create_done(struct lthread *t, const struct lx_sigevent *ev)
{
    long id = create(t, ev);
    if (id < 0) {
        call_return(t, id);
        return SK_OK;
    }
    t->len = (uint64_t)id;
    return call_copy_out(t, t->a[2], &t->len, 4, id_written);
}

static sk_error_t event_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    return create_done(t, t->buf);
}

long sys_timer_create(struct lthread *t)
{
    if (!t->a[1]) {
        sk_error_t e = create_done(t, NULL);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    t->buf = sk_calloc(1, sizeof(struct lx_sigevent));
    if (!t->buf)
        return -LX_ENOMEM;
    sk_error_t e = call_copy_in(t, t->a[1], t->buf, sizeof(struct lx_sigevent), event_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

/* ---- timer_gettime, timer_settime ---- */

static void ns_ts(uint64_t ns, struct lx_timespec *ts)
{
    ts->tv_sec = (int64_t)(ns / 1000000000ull);
    ts->tv_nsec = (int64_t)(ns % 1000000000ull);
}

static void current(struct ptimer *pt, struct lx_itspec *out)
{
    uint64_t left = 0;
    if (pt->at) {
        uint64_t now = clock_now(pt), next = pt->at;
        if (next <= now && pt->interval) /* (expired and not armed again yet: the next period) */
            next = pt->at + ((now - pt->at) / pt->interval + 1) * pt->interval;
        left = next > now ? next - now : 0;
        if (!left && !pt->interval)
            left = 0;
    }
    ns_ts(left, &out->value);
    ns_ts(pt->interval, &out->interval);
}

long sys_timer_gettime(struct lthread *t)
{
    struct ptimer *pt = find(t->p, (int)t->a[0]);
    if (!pt)
        return -LX_EINVAL;
    struct lx_itspec *v = sk_calloc(1, sizeof *v);
    if (!v)
        return -LX_ENOMEM;
    t->buf = v;
    current(pt, v);
    t->ret = 0;
    sk_error_t e = call_copy_out(t, t->a[1], v, sizeof *v, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static sk_error_t settime_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct lx_itspec *nv = t->buf, *old = nv + 1;
    struct ptimer *pt = find(t->p, (int)t->a[0]);
    if (!pt) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    int64_t value = timespec_ns(&nv->value), interval = timespec_ns(&nv->interval);
    if (value < 0 || interval < 0) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    current(pt, old);
    pt->gen++;
    pt->interval = value ? (uint64_t)interval : 0;
    uint64_t at = 0;
    if (value) {
        uint64_t now = clock_now(pt), v = (uint64_t)value;
        if (t->a[1] & TIMER_ABSTIME) {
            uint64_t base = pt->cpu ? now
                            : pt->clock == CLK_REALTIME || pt->clock == CLK_TAI ? now + px.wall_offset_ns
                                                                               : now - px.boot_ns;
            at = v > base ? now + (v - base) : now;
        } else {
            at = now + v;
        }
        if (at == 0)
            at = 1;
    }
    pt->queued = 0; /* (a signal of the old setting still pending re-arms nothing: gen) */
    arm(pt, at);
    t->ret = 0;
    if (t->a[3])
        return call_copy_out(t, t->a[3], old, sizeof *old, call_done_step);
    call_return(t, 0);
    return SK_OK;
}

long sys_timer_settime(struct lthread *t)
{
    if (!find(t->p, (int)t->a[0]))
        return -LX_EINVAL;
    t->buf = sk_calloc(2, sizeof(struct lx_itspec));
    if (!t->buf)
        return -LX_ENOMEM;
    sk_error_t e = call_copy_in(t, t->a[2], t->buf, sizeof(struct lx_itspec), settime_read);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_timer_getoverrun(struct lthread *t)
{
    struct ptimer *pt = find(t->p, (int)t->a[0]);
    return pt ? pt->last_overrun : -LX_EINVAL;
}

long sys_timer_delete(struct lthread *t)
{
    for (struct ptimer **pp = &t->p->ptimers; *pp; pp = &(*pp)->next)
        if ((*pp)->id == (int)t->a[0]) {
            struct ptimer *pt = *pp;
            *pp = pt->next;
            ptimer_free(pt);
            return 0;
        }
    return -LX_EINVAL;
}
