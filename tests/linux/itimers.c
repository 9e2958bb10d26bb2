/*
 * The CPU-time interval timers: ITIMER_VIRTUAL and ITIMER_PROF fire SIGVTALRM and SIGPROF
 * after the process has used that much CPU time, again every interval, never while it
 * sleeps; getitimer shows what is left and the interval; a zero value disarms; a fork child
 * starts with none; bad arguments are EINVAL or EFAULT. Prints only what must match Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile sig_atomic_t vt, prof;

static void on_vt(int s)
{
    (void)s;
    vt++;
}

static void on_prof(int s)
{
    (void)s;
    prof++;
}

/* Spin on the CPU until *count reaches want (or far too long has passed). */
static int spin_until(volatile sig_atomic_t *count, int want)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (*count < want) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 60)
            return 0;
    }
    return 1;
}

static void check_timer(const char *name, int which, volatile sig_atomic_t *count)
{
    struct itimerval v = {{0, 50000}, {0, 50000}}, old, now;
    printf("%s set: %s\n", name, setitimer(which, &v, &old) == 0 ? "ok" : errname(errno));
    printf("%s old value: %ld %ld\n", name, (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);
    getitimer(which, &now);
    /* (Linux adds a tick to the value, not to the interval) */
    printf("%s armed: value in (0, 60 ms] %d, interval %ld us\n", name,
           (now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 &&
            now.it_value.tv_usec <= 60000),
           (long)(now.it_interval.tv_sec * 1000000 + now.it_interval.tv_usec));
    /* asleep for 200 ms: no CPU time passes, nothing fires */
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    printf("%s signals while asleep: %d\n", name, (int)*count);
    printf("%s three signals on the CPU: %d\n", name, spin_until(count, 3));
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(which, &off, &old);
    printf("%s still armed when disarmed: %d, interval %ld us\n", name,
           old.it_value.tv_sec > 0 || old.it_value.tv_usec > 0,
           (long)(old.it_interval.tv_sec * 1000000 + old.it_interval.tv_usec));
    getitimer(which, &now);
    printf("%s after disarm: %ld %ld %ld %ld\n", name, (long)now.it_value.tv_sec,
           (long)now.it_value.tv_usec, (long)now.it_interval.tv_sec,
           (long)now.it_interval.tv_usec);
}

int main(void)
{
    signal(SIGVTALRM, on_vt);
    signal(SIGPROF, on_prof);
    check_timer("virtual", ITIMER_VIRTUAL, &vt);
    check_timer("prof", ITIMER_PROF, &prof);

    /* one shot: fires once */
    vt = 0;
    struct itimerval once = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_VIRTUAL, &once, NULL);
    printf("one shot fired: %d\n", spin_until(&vt, 1));
    struct itimerval now;
    getitimer(ITIMER_VIRTUAL, &now);
    printf("one shot after: %ld %ld\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);

    /* not inherited by a child */
    struct itimerval v = {{1, 0}, {1, 0}};
    setitimer(ITIMER_PROF, &v, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        getitimer(ITIMER_PROF, &now);
        printf("child's prof timer: %ld %ld\n", (long)now.it_value.tv_sec,
               (long)now.it_interval.tv_sec);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);

    /* bad arguments */
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    printf("usec out of range: %s\n", setitimer(ITIMER_VIRTUAL, &bad, NULL) == 0 ? "ok" : errname(errno));
    printf("bad which: %s\n", setitimer(7, &off, NULL) == 0 ? "ok" : errname(errno));
    printf("getitimer bad which: %s\n", getitimer(7, &now) == 0 ? "ok" : errname(errno));
    printf("getitimer bad pointer: %s\n",
           getitimer(ITIMER_VIRTUAL, (struct itimerval *)8) == 0 ? "ok" : errname(errno));
    return 0;
}
