/*
 * timerfd: one-shot and periodic timers read through a descriptor (the count of expiries,
 * never fewer than the time that passed allows; no upper bounds, a loaded host may be late),
 * relative and absolute expiries, disarming, gettime and the old value from settime, poll
 * readiness, and the errors (bad clock, flags, times, a short read, a descriptor that is not
 * a timerfd).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#define MS 1000000L

static struct itimerspec its(long value_ns, long interval_ns)
{
    struct itimerspec s = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                           {value_ns / 1000000000L, value_ns % 1000000000L}};
    return s;
}

static int readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("bad clock: %s\n", timerfd_create(99, 0) < 0 ? errname(errno) : "ok");
    printf("bad flags: %s\n", timerfd_create(CLOCK_MONOTONIC, 0x10) < 0 ? errname(errno) : "ok");
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    printf("disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* one shot, relative */
    struct itimerspec s = its(20 * MS, 0);
    timerfd_settime(fd, 0, &s, NULL);
    printf("readable before expiry %d\n", readable(fd));
    uint64_t ticks = 0;
    ssize_t got = read(fd, &ticks, 8);
    printf("read: %zd, ticks %llu\n", got, (unsigned long long)ticks);
    timerfd_gettime(fd, &cur);
    printf("after a one shot: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* periodic: at least as many ticks as intervals that passed */
    s = its(10 * MS, 10 * MS);
    timerfd_settime(fd, 0, &s, NULL);
    struct timespec nap = {0, 55 * MS};
    nanosleep(&nap, NULL);
    printf("readable %d\n", readable(fd));
    read(fd, &ticks, 8);
    printf("periodic ticks >= 5: %d\n", ticks >= 5);
    struct itimerspec old;
    s = its(0, 0);
    timerfd_settime(fd, 0, &s, &old);
    printf("old interval %ld ns, value left > 0 %d\n", old.it_interval.tv_nsec,
           old.it_value.tv_sec > 0 || old.it_value.tv_nsec > 0);
    timerfd_gettime(fd, &cur);
    printf("disarmed again: %ld %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec,
           cur.it_interval.tv_nsec);
    close(fd);

    /* absolute, and absolute in the past */
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    printf("nonblocking read while disarmed: %s\n", read(nb, &ticks, 8) < 0 ? errname(errno) : "ok");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    s.it_interval.tv_sec = s.it_interval.tv_nsec = 0;
    s.it_value = now;
    s.it_value.tv_nsec += 20 * MS;
    if (s.it_value.tv_nsec >= 1000000000L)
        s.it_value.tv_sec++, s.it_value.tv_nsec -= 1000000000L;
    timerfd_settime(nb, TFD_TIMER_ABSTIME, &s, NULL);
    printf("nonblocking read before expiry: %s\n", read(nb, &ticks, 8) < 0 ? errname(errno) : "ok");
    struct pollfd p = {nb, POLLIN, 0};
    printf("poll waits: %d\n", poll(&p, 1, 5000));
    got = read(nb, &ticks, 8);
    printf("read: %zd, ticks %llu\n", got, (unsigned long long)ticks);
    s.it_value.tv_sec = 1;
    s.it_value.tv_nsec = 0;
    timerfd_settime(nb, TFD_TIMER_ABSTIME, &s, NULL);
    poll(&p, 1, 5000);
    got = read(nb, &ticks, 8);
    printf("an absolute time past: read %zd, ticks %llu\n", got, (unsigned long long)ticks);

    /* realtime clock, absolute */
    int rt = timerfd_create(CLOCK_REALTIME, 0);
    clock_gettime(CLOCK_REALTIME, &now);
    s.it_value = now;
    s.it_value.tv_nsec += 10 * MS;
    if (s.it_value.tv_nsec >= 1000000000L)
        s.it_value.tv_sec++, s.it_value.tv_nsec -= 1000000000L;
    timerfd_settime(rt, TFD_TIMER_ABSTIME, &s, NULL);
    got = read(rt, &ticks, 8);
    printf("realtime: read %zd, ticks %llu\n", got, (unsigned long long)ticks);

    /* errors */
    uint32_t small;
    printf("read of 4 bytes: %s\n", read(nb, &small, 4) < 0 ? errname(errno) : "ok");
    s = its(0, 0);
    s.it_value.tv_nsec = 1000000000L;
    printf("settime with a bad time: %s\n", timerfd_settime(nb, 0, &s, NULL) < 0 ? errname(errno) : "ok");
    printf("settime with bad flags: %s\n", timerfd_settime(nb, 8, &s, NULL) < 0 ? errname(errno) : "ok");
    int efd = eventfd(0, 0);
    printf("gettime of an eventfd: %s\n", timerfd_gettime(efd, &cur) < 0 ? errname(errno) : "ok");
    printf("gettime of no descriptor: %s\n", timerfd_gettime(999, &cur) < 0 ? errname(errno) : "ok");
    printf("write: %s\n", write(nb, &ticks, 8) < 0 ? errname(errno) : "ok");
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", nb);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = '\0';
    printf("link %s\n", link);
    return 0;
}
