/*
 * epoll: creation and its errors; epoll_ctl's errors in Linux's order (EBADF, EPERM for a
 * file that cannot be polled, EINVAL, EEXIST, ENOENT, ELOOP); level-triggered items that stay
 * ready, edge-triggered ones that report once per change (and again on new data), one-shot
 * items disarmed until EPOLL_CTL_MOD; ready items served in turn when maxevents is small;
 * EPOLLHUP/EPOLLERR reported unasked; an item lives as long as its open file (a dup keeps it,
 * the last close removes it); nested instances, loops and the depth limit; a blocked wait
 * woken by another process, a timeout, a signal (EINTR even with SA_RESTART), epoll_pwait's
 * mask; eventfd and timerfd items; an instance shared across fork; many descriptors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static int ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, op, fd, &ev);
}

/* Wait (timeout ms) and print what came: count, then data:events for each. */
static int show(const char *what, int ep, int max, int timeout)
{
    struct epoll_event ev[16];
    int n = epoll_wait(ep, ev, max, timeout);
    printf("%s: %s", what, res(n));
    for (int i = 0; i < n; i++)
        printf(" %llu:%x", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
    return n;
}

static void drain(int fd)
{
    char buf[256];
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    fcntl(fd, F_SETFL, fl);
}

static void on_sig(int s) { (void)s; }

static void errors(void)
{
    printf("epoll_create(0): %s\n", res(epoll_create(0)));
    printf("epoll_create(-1): %s\n", res(epoll_create(-1)));
    printf("epoll_create1(bad): %s\n", res(epoll_create1(1)));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("cloexec: %d\n", (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
    int p[2];
    pipe(p);
    int nul = open("/dev/null", O_RDWR);
    int reg = open("/tmp/epoll-reg", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    printf("ctl bad epfd: %s\n", res(ctl(999, EPOLL_CTL_ADD, p[0], EPOLLIN, 0)));
    printf("ctl bad fd: %s\n", res(ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN, 0)));
    printf("ctl epfd not epoll: %s\n", res(ctl(p[1], EPOLL_CTL_ADD, p[0], EPOLLIN, 0)));
    printf("ctl regular file: %s\n", res(ctl(ep, EPOLL_CTL_ADD, reg, EPOLLIN, 0)));
    printf("ctl directory: %s\n", res(ctl(ep, EPOLL_CTL_ADD, dir, EPOLLIN, 0)));
    printf("ctl /dev/null: %s\n", res(ctl(ep, EPOLL_CTL_ADD, nul, EPOLLIN, 0)));
    printf("ctl regular file on a non-epoll: %s\n", res(ctl(p[1], EPOLL_CTL_ADD, reg, EPOLLIN, 0)));
    printf("ctl itself: %s\n", res(ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0)));
    printf("ctl bad op: %s\n", res(ctl(ep, 7, p[0], EPOLLIN, 0)));
    printf("ctl mod absent: %s\n", res(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0)));
    printf("ctl del absent: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    printf("ctl add null event: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], NULL)));
    printf("ctl add bad event: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8)));
    printf("ctl add: %s\n", res(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1)));
    printf("ctl add again: %s\n", res(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1)));
    printf("ctl mod: %s\n", res(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 1)));
    printf("ctl mod exclusive: %s\n", res(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1)));
    printf("ctl del: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    printf("ctl del again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    printf("ctl add exclusive with a bad bit: %s\n",
           res(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 1)));
    printf("ctl add exclusive: %s\n", res(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1)));
    printf("ctl mod of an exclusive item: %s\n", res(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 1)));
    int ep2 = epoll_create1(0);
    printf("ctl add exclusive epoll: %s\n", res(ctl(ep2, EPOLL_CTL_ADD, ep, EPOLLIN | EPOLLEXCLUSIVE, 1)));
    struct epoll_event ev[4];
    printf("wait maxevents 0: %s\n", res(epoll_wait(ep, ev, 0, 0)));
    volatile int minus = -1;
    printf("wait maxevents -1: %s\n", res(epoll_wait(ep, ev, minus, 0)));
    printf("wait bad epfd: %s\n", res(epoll_wait(999, ev, 4, 0)));
    printf("wait not epoll: %s\n", res(epoll_wait(p[0], ev, 4, 0)));
    printf("wait kernel address: %s\n", res(epoll_wait(ep, (void *)0xffff800000000000ull, 4, 0)));
    printf("pwait bad sigsetsize: %s\n",
           res(syscall(SYS_epoll_pwait, ep, ev, 4, 0, &(uint64_t){0}, 4)));
    struct timespec bad = {0, 1000000000};
    printf("pwait2 bad timeout: %s\n", res(syscall(SYS_epoll_pwait2, ep, ev, 4, &bad, NULL, 8)));
    struct timespec zero = {0, 0};
    printf("pwait2 zero timeout: %s\n", res(syscall(SYS_epoll_pwait2, ep, ev, 4, &zero, NULL, 8)));
    struct stat st;
    fstat(ep, &st);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", ep);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = '\0';
    printf("fstat: type bits %o, mode %o; link %s\n", (unsigned)(st.st_mode & S_IFMT),
           (unsigned)(st.st_mode & 0777), link);
    char c;
    printf("read of an epoll: %s\n", res(read(ep, &c, 1)));
    close(ep), close(ep2), close(p[0]), close(p[1]), close(nul), close(reg), close(dir);
    unlink("/tmp/epoll-reg");
}

static void triggers(void)
{
    int ep = epoll_create1(0);
    int lt[2], et[2], os[2];
    pipe(lt), pipe(et), pipe(os);
    ctl(ep, EPOLL_CTL_ADD, lt[0], EPOLLIN, 10);
    ctl(ep, EPOLL_CTL_ADD, et[0], EPOLLIN | EPOLLET, 20);
    ctl(ep, EPOLL_CTL_ADD, os[0], EPOLLIN | EPOLLONESHOT, 30);
    show("nothing yet", ep, 8, 0);
    write(lt[1], "ab", 2);
    write(et[1], "ab", 2);
    write(os[1], "ab", 2);
    show("all three", ep, 8, 0);
    show("level stays", ep, 8, 0);
    char c;
    read(et[0], &c, 1);
    show("edge after a partial read", ep, 8, 0);
    write(et[1], "c", 1);
    write(os[1], "c", 1);
    show("edge on new data, one-shot still off", ep, 8, 0);
    printf("rearm one-shot: %s\n", res(ctl(ep, EPOLL_CTL_MOD, os[0], EPOLLIN | EPOLLONESHOT, 31)));
    show("one-shot again", ep, 8, 0);
    drain(lt[0]);
    show("level drained", ep, 8, 0);
    /* the write ends: writable, level-triggered */
    ctl(ep, EPOLL_CTL_ADD, lt[1], EPOLLOUT, 11);
    show("writable", ep, 8, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, lt[1], NULL);
    /* an edge item ready when added reports once */
    int q[2];
    pipe(q);
    write(q[1], "x", 1);
    ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLET, 40);
    show("edge ready at add", ep, 8, 0);
    show("edge ready at add, again", ep, 8, 0);
    /* MOD of an edge item looks again */
    ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN | EPOLLET, 41);
    show("edge after mod", ep, 8, 0);
    /* hang-up: the writer closes, the reader gets EPOLLHUP (and EPOLLIN while data is left) */
    close(q[1]);
    show("hangup with data", ep, 8, 0);
    drain(q[0]);
    ctl(ep, EPOLL_CTL_MOD, q[0], 0, 42);
    show("hangup, no events asked", ep, 8, 0);
    /* the reader closes: the writer gets EPOLLERR (and EPOLLOUT) */
    int r[2];
    pipe(r);
    ctl(ep, EPOLL_CTL_ADD, r[1], EPOLLOUT | EPOLLET | EPOLLRDHUP, 50);
    show("writer", ep, 8, 0);
    close(r[0]);
    show("writer after the reader closed", ep, 8, 0);
    close(ep);
    close(lt[0]), close(lt[1]), close(et[0]), close(et[1]), close(os[0]), close(os[1]);
    close(q[0]), close(r[1]);
}

static void turns(void)
{
    int ep = epoll_create1(0);
    int p[3][2];
    for (int i = 0; i < 3; i++) {
        pipe(p[i]);
        write(p[i][1], "x", 1);
        ctl(ep, EPOLL_CTL_ADD, p[i][0], EPOLLIN, 100 + i);
    }
    show("turn 1", ep, 1, 0);
    show("turn 2", ep, 1, 0);
    show("turn 3", ep, 1, 0);
    show("turn 4", ep, 1, 0);
    show("two at once", ep, 2, 0);
    for (int i = 0; i < 3; i++)
        close(p[i][0]), close(p[i][1]);
    /* the items of closed files are gone */
    show("after closing them", ep, 8, 0);
    close(ep);
}

static void lifetime(void)
{
    int ep = epoll_create1(0);
    int p[2];
    pipe(p);
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 7);
    int d = dup(p[0]);
    close(p[0]);
    write(p[1], "x", 1);
    show("the dup keeps the item", ep, 8, 0);
    printf("del through the closed number: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    printf("del through the dup: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL)));
    ctl(ep, EPOLL_CTL_ADD, d, EPOLLIN, 8);
    int d2 = dup(d);
    printf("add the second number: %s\n", res(ctl(ep, EPOLL_CTL_ADD, d2, EPOLLIN, 9)));
    show("two items, one file", ep, 8, 0);
    close(d);
    close(d2);
    show("the last close removes both", ep, 8, 0);
    /* the number reused by another file */
    int q[2];
    pipe(q);
    printf("add a new file under an old number: %s\n", res(ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 10)));
    close(q[0]), close(q[1]), close(p[1]);
    /* an epoll closed while it watches things; the watched file goes on */
    int ep2 = epoll_create1(0);
    int e = eventfd(1, 0);
    ctl(ep2, EPOLL_CTL_ADD, e, EPOLLIN, 1);
    ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 2);
    close(ep2);
    show("the other epoll is gone", ep, 8, 0);
    close(e);
    close(ep);
}

static void nesting(void)
{
    int inner = epoll_create1(0), outer = epoll_create1(0);
    int p[2];
    pipe(p);
    ctl(inner, EPOLL_CTL_ADD, p[0], EPOLLIN, 1);
    printf("nest: %s\n", res(ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 2)));
    printf("loop: %s\n", res(ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN, 3)));
    show("outer, nothing", outer, 8, 0);
    write(p[1], "x", 1);
    show("outer", outer, 8, 0);
    struct pollfd pf = {inner, POLLIN, 0};
    int pn = poll(&pf, 1, 0);
    printf("poll of the inner: %d %x\n", pn, pf.revents);
    show("inner", inner, 8, 0);
    drain(p[0]);
    show("outer drained", outer, 8, 0);
    pf.revents = 0;
    pn = poll(&pf, 1, 0);
    printf("poll of the inner drained: %d %x\n", pn, pf.revents);
    /* an edge-triggered outer item */
    ctl(outer, EPOLL_CTL_MOD, inner, EPOLLIN | EPOLLET, 4);
    write(p[1], "x", 1);
    show("outer edge", outer, 8, 0);
    show("outer edge again", outer, 8, 0);
    close(inner), close(outer), close(p[0]), close(p[1]);
    /* a chain: each new instance watches the one before */
    int fds[10];
    pipe(p);
    int prev = p[0];
    for (int i = 0; i < 8; i++) {
        fds[i] = epoll_create1(0);
        printf("chain depth %d: %s\n", i + 1, res(ctl(fds[i], EPOLL_CTL_ADD, prev, EPOLLIN, i)));
        prev = fds[i];
    }
    /* a chain built downwards: the new top goes on top of an existing one */
    int a = epoll_create1(0), b = epoll_create1(0), c = epoll_create1(0);
    printf("b into a: %s\n", res(ctl(a, EPOLL_CTL_ADD, b, EPOLLIN, 0)));
    printf("c into b: %s\n", res(ctl(b, EPOLL_CTL_ADD, c, EPOLLIN, 0)));
    printf("a into c: %s\n", res(ctl(c, EPOLL_CTL_ADD, a, EPOLLIN, 0)));
    printf("chain top into c: %s\n", res(ctl(c, EPOLL_CTL_ADD, fds[2], EPOLLIN, 0)));
    printf("chain top 1 into c: %s\n", res(ctl(c, EPOLL_CTL_ADD, fds[1], EPOLLIN, 0)));
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    close(a), close(b), close(c), close(p[0]), close(p[1]);
}

static void blocking(void)
{
    int ep = epoll_create1(0);
    int p[2];
    pipe(p);
    ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 5);
    pid_t c = fork();
    if (c == 0) {
        usleep(30000);
        write(p[1], "x", 1);
        _exit(0);
    }
    show("woken by another process", ep, 8, 5000);
    waitpid(c, NULL, 0);
    drain(p[0]);
    show("timeout", ep, 8, 30);
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    ualarm(30000, 0);
    show("signal with SA_RESTART", ep, 8, -1);
    /* epoll_pwait: a blocked signal pending is let in by the wait's mask */
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t blk, none;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    kill(getpid(), SIGUSR1);
    struct epoll_event ev[4];
    printf("pwait letting a pending signal in: %s\n", res(epoll_pwait(ep, ev, 4, -1, &none)));
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR1));
    /* events come before a pending signal */
    write(p[1], "x", 1);
    kill(getpid(), SIGUSR1);
    printf("pwait with events and a signal: %s\n", res(epoll_pwait(ep, ev, 4, -1, &none)));
    sigpending(&now);
    printf("signal still pending: %d\n", sigismember(&now, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    drain(p[0]);
    /* the shared instance across fork: the child's ADD is the parent's */
    int e = eventfd(0, 0);
    c = fork();
    if (c == 0) {
        ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 66);
        uint64_t one = 1;
        write(e, &one, 8);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    show("item the child added", ep, 8, 0);
    printf("add it again: %s\n", res(ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 67)));
    /* two waiters in two processes, one event each */
    uint64_t v;
    read(e, &v, 8);
    c = fork();
    if (c == 0) {
        struct epoll_event w;
        int n = epoll_wait(ep, &w, 1, 5000);
        _exit(n == 1 && w.data.u64 == 66 ? 0 : 1);
    }
    usleep(20000);
    uint64_t one = 1;
    write(e, &one, 8);
    int st;
    waitpid(c, &st, 0);
    printf("a waiter in the child saw it: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(e), close(ep), close(p[0]), close(p[1]);
}

static void sources(void)
{
    int ep = epoll_create1(0);
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    ctl(ep, EPOLL_CTL_ADD, t, EPOLLIN, 1);
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    timerfd_settime(t, 0, &its, NULL);
    show("timerfd", ep, 8, 5000);
    uint64_t v;
    read(t, &v, 8);
    show("timerfd read", ep, 8, 0);
    int e = eventfd(0, EFD_NONBLOCK);
    ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN | EPOLLOUT | EPOLLET, 2);
    show("eventfd writable", ep, 8, 0);
    show("eventfd edge", ep, 8, 0);
    uint64_t one = 1;
    write(e, &one, 8);
    show("eventfd written", ep, 8, 0);
    close(t), close(e);
    /* many descriptors: every other one ready */
    int fds[200];
    for (int i = 0; i < 200; i++) {
        fds[i] = eventfd(i % 2, 0);
        ctl(ep, EPOLL_CTL_ADD, fds[i], EPOLLIN, (uint64_t)i);
    }
    struct epoll_event evs[300];
    int n = epoll_wait(ep, evs, 300, 0), odd = 0;
    for (int i = 0; i < n; i++)
        odd += evs[i].data.u64 % 2 == 1;
    printf("many: %d ready, %d odd\n", n, odd);
    for (int i = 0; i < 200; i += 2)
        close(fds[i]);
    n = epoll_wait(ep, evs, 300, 0);
    printf("many after closing the even ones: %d\n", n);
    for (int i = 1; i < 200; i += 2)
        close(fds[i]);
    printf("many after closing all: %d\n", epoll_wait(ep, evs, 300, 0));
    close(ep);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();
    triggers();
    turns();
    lifetime();
    nesting();
    blocking();
    sources();
    return 0;
}
