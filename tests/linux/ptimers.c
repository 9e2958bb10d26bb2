/*
 * POSIX timers: timer_create's defaults and errors; a one-shot timer's signal with its
 * siginfo (SI_TIMER, the timer id, the value); overruns of a periodic timer whose signal
 * waits (counted in si_overrun and timer_getoverrun, never fewer than the time allows);
 * timer_gettime; absolute times; SIGEV_NONE; SIGEV_THREAD_ID to one thread; the C library's
 * SIGEV_THREAD (a callback in a thread); timer_delete; a child has none of its parent's; a
 * CPU-time clock. Counts are checked as "at least", never "at most".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static void arm(timer_t t, long first_ns, long every_ns, int flags)
{
    struct itimerspec its = {{every_ns / 1000000000, every_ns % 1000000000},
                             {first_ns / 1000000000, first_ns % 1000000000}};
    timer_settime(t, flags, &its, NULL);
}

static volatile int thread_tid, thread_got;
static volatile int callback_runs;
static volatile sig_atomic_t cpu_fired;

static void *waiter(void *arg)
{
    (void)arg;
    thread_tid = (int)syscall(SYS_gettid);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    siginfo_t si;
    if (sigwaitinfo(&s, &si) == SIGUSR2 && si.si_code == SI_TIMER)
        thread_got = 1;
    return NULL;
}

static void callback(union sigval v)
{
    if (v.sival_int == 1234)
        __atomic_add_fetch(&callback_runs, 1, __ATOMIC_SEQ_CST);
}

static void on_prof(int s)
{
    (void)s;
    cpu_fired = 1;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    alarm(60);
    sigset_t blk;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigaddset(&blk, SIGUSR2);
    sigaddset(&blk, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &blk, NULL);

    /* errors */
    timer_t t0;
    printf("bad clock: %s\n", res(timer_create(77, NULL, &t0)));
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = 99;
    printf("bad notify: %s\n", res(timer_create(CLOCK_MONOTONIC, &ev, &t0)));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 0;
    printf("signal 0: %s\n", res(timer_create(CLOCK_MONOTONIC, &ev, &t0)));
    ev.sigev_signo = 65;
    printf("signal 65: %s\n", res(timer_create(CLOCK_MONOTONIC, &ev, &t0)));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_notify_thread_id = 0x3ffffff0;
    printf("thread id of no thread: %s\n", res(timer_create(CLOCK_MONOTONIC, &ev, &t0)));

    /* the default: SIGALRM with the id as value; ids from 0 */
    timer_t td;
    printf("default create: %s", res(timer_create(CLOCK_MONOTONIC, NULL, &td)));
    printf(", id %ld\n", (long)(intptr_t)td);
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    printf("settime bad nsec: %s\n", res(timer_settime(td, 0, &bad, NULL)));
    printf("settime bad flags: %s\n", res(syscall(SYS_timer_settime, (long)(intptr_t)td, 8, &bad, NULL)));
    printf("settime bad id: %s\n", res(syscall(SYS_timer_settime, 999, 0, &bad, NULL)));
    printf("delete: %s\n", res(timer_delete(td)));
    printf("delete again: %s\n", res(syscall(SYS_timer_delete, (long)(intptr_t)td)));
    printf("gettime of a deleted one: %s\n", res(syscall(SYS_timer_gettime, (long)(intptr_t)td, &bad)));

    /* a one-shot timer's signal */
    timer_t t1;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 77;
    timer_create(CLOCK_MONOTONIC, &ev, &t1);
    arm(t1, 20000000, 0, 0);
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR1);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int sig = sigwaitinfo(&w, &si);
    printf("one-shot: sig %d code SI_TIMER %d value %d timerid matches %d overrun %d\n", sig,
           si.si_code == SI_TIMER, si.si_value.sival_int, si.si_timerid == (int)(intptr_t)t1,
           si.si_overrun);
    struct itimerspec cur;
    timer_gettime(t1, &cur);
    printf("after it fired: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* a periodic one whose signal waits: overruns */
    arm(t1, 5000000, 5000000, 0);
    usleep(60000);
    sigwaitinfo(&w, &si);
    printf("overruns at least 5: %d, getoverrun agrees %d\n", si.si_overrun >= 5,
           timer_getoverrun(t1) == si.si_overrun);
    arm(t1, 0, 0, 0);
    struct timespec z = {0, 0};
    printf("disarmed, nothing more: %s\n", res(sigtimedwait(&w, &si, &z)));

    /* timer_gettime */
    arm(t1, 10000000000L, 2000000000L, 0);
    timer_gettime(t1, &cur);
    printf("gettime: left in (0, 10s] %d, interval %ld.%09ld\n",
           (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0) &&
               (cur.it_value.tv_sec < 10 || (cur.it_value.tv_sec == 10 && cur.it_value.tv_nsec == 0)),
           (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    struct itimerspec old;
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(t1, 0, &off, &old);
    printf("old setting: interval %ld s\n", (long)old.it_interval.tv_sec);

    /* absolute, in the past: at once */
    timer_t t2;
    ev.sigev_value.sival_int = 5;
    timer_create(CLOCK_REALTIME, &ev, &t2);
    struct itimerspec past = {{0, 0}, {1, 0}};
    timer_settime(t2, TIMER_ABSTIME, &past, NULL);
    printf("absolute past: %s\n", res(sigtimedwait(&w, &si, &(struct timespec){5, 0})));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec soon = {{0, 0}, {now.tv_sec, now.tv_nsec}};
    soon.it_value.tv_nsec += 30000000;
    if (soon.it_value.tv_nsec >= 1000000000) {
        soon.it_value.tv_sec++;
        soon.it_value.tv_nsec -= 1000000000;
    }
    timer_settime(t2, TIMER_ABSTIME, &soon, NULL);
    printf("absolute soon: %s\n", res(sigtimedwait(&w, &si, &(struct timespec){5, 0})));
    timer_delete(t2);

    /* SIGEV_NONE: time passes, nothing is sent */
    timer_t tn;
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    timer_create(CLOCK_MONOTONIC, &none, &tn);
    arm(tn, 10000000, 0, 0);
    usleep(30000);
    timer_gettime(tn, &cur);
    printf("SIGEV_NONE expired: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    timer_delete(tn);

    /* SIGEV_THREAD_ID: one thread gets it */
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    while (!thread_tid)
        usleep(1000);
    timer_t tt;
    struct sigevent te;
    memset(&te, 0, sizeof te);
    te.sigev_notify = SIGEV_THREAD_ID;
    te.sigev_signo = SIGUSR2;
    te.sigev_notify_thread_id = thread_tid;
    printf("SIGEV_THREAD_ID create: %s\n", res(timer_create(CLOCK_MONOTONIC, &te, &tt)));
    arm(tt, 20000000, 0, 0);
    pthread_join(th, NULL);
    printf("the thread got it: %d\n", thread_got);
    sigpending(&w);
    printf("the process has none pending: %d\n", !sigismember(&w, SIGUSR2));
    timer_delete(tt);

    /* SIGEV_THREAD through the C library */
    timer_t tc;
    struct sigevent tcb;
    memset(&tcb, 0, sizeof tcb);
    tcb.sigev_notify = SIGEV_THREAD;
    tcb.sigev_notify_function = callback;
    tcb.sigev_value.sival_int = 1234;
    printf("SIGEV_THREAD create: %s\n", res(timer_create(CLOCK_MONOTONIC, &tcb, &tc)));
    arm(tc, 10000000, 10000000, 0);
    for (int i = 0; i < 500 && callback_runs < 3; i++)
        usleep(10000);
    printf("callbacks ran at least 3 times: %d\n", callback_runs >= 3);
    timer_delete(tc);

    /* a deleted periodic timer sends nothing more */
    sigemptyset(&w);
    sigaddset(&w, SIGUSR1);
    arm(t1, 5000000, 5000000, 0);
    timer_delete(t1);
    usleep(30000);
    printf("deleted, nothing pending: %s\n", res(sigtimedwait(&w, &si, &z)));

    /* a child has none of its parent's */
    timer_t tk;
    timer_create(CLOCK_MONOTONIC, NULL, &tk);
    pid_t c = fork();
    if (c == 0) {
        struct itimerspec x;
        _exit(syscall(SYS_timer_gettime, (long)(intptr_t)tk, &x) < 0 && errno == EINVAL ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child has no timers: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    timer_delete(tk);

    /* a CPU-time clock */
    signal(SIGPROF, on_prof);
    timer_t tp;
    struct sigevent pe = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGPROF};
    printf("CPU clock create: %s\n", res(timer_create(CLOCK_PROCESS_CPUTIME_ID, &pe, &tp)));
    arm(tp, 20000000, 0, 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while (!cpu_fired && b.tv_sec - a.tv_sec < 20);
    printf("CPU timer fired: %d\n", cpu_fired);
    timer_delete(tp);
    return 0;
}
