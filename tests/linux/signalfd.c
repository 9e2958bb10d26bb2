/*
 * signalfd: its errors; reading blocked signals as signalfd_siginfo records (kill, raise,
 * sigqueue's value, SIGCHLD's status), several in one read, a short buffer, EAGAIN with
 * none; changing the mask of an existing one; poll and epoll readiness; a blocking read
 * woken by another process's kill; a forked child reading its own signals, not its
 * parent's; a signal that is not blocked going to its handler instead.
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
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static pid_t me;

static void rd(int fd, size_t len)
{
    struct signalfd_siginfo si[4];
    memset(si, 0, sizeof si);
    ssize_t n = read(fd, si, len);
    if (n < 0) {
        printf("read: %s\n", errname(errno));
        return;
    }
    printf("read: %zd bytes\n", n);
    for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
        printf("  signo %u code %d pid-is-me %d uid %u status %d int %d ptr %llu\n",
               si[i].ssi_signo, si[i].ssi_code, si[i].ssi_pid == (uint32_t)me, si[i].ssi_uid,
               si[i].ssi_status, si[i].ssi_int, (unsigned long long)si[i].ssi_ptr);
}

static int handled;
static void on_sig(int s) { handled = s; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    me = getpid();
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    printf("bad size: %s\n", syscall(SYS_signalfd4, -1, &m, 4, 0) < 0 ? errname(errno) : "ok");
    printf("bad flags: %s\n", syscall(SYS_signalfd4, -1, &m, 8, 1) < 0 ? errname(errno) : "ok");
    printf("bad mask address: %s\n", syscall(SYS_signalfd4, -1, (void *)8, 8, 0) < 0 ? errname(errno) : "ok");
    printf("bad fd: %s\n", signalfd(999, &m, 0) < 0 ? errname(errno) : "ok");
    int p[2];
    pipe(p);
    printf("not a signalfd: %s\n", signalfd(p[0], &m, 0) < 0 ? errname(errno) : "ok");

    sigset_t blk;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigaddset(&blk, SIGUSR2);
    sigaddset(&blk, SIGCHLD);
    sigaddset(&blk, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &blk, NULL);

    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("cloexec %d nonblock %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    struct stat st;
    fstat(fd, &st);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = '\0';
    printf("fstat: type bits %o, mode %o; link %s\n", (unsigned)(st.st_mode & S_IFMT),
           (unsigned)(st.st_mode & 0777), link);
    rd(fd, sizeof(struct signalfd_siginfo));
    raise(SIGUSR1);
    struct pollfd pf = {fd, POLLIN, 0};
    int pn = poll(&pf, 1, 0);
    printf("poll: %d %x\n", pn, pf.revents);
    printf("short buffer: %s\n", read(fd, link, 64) < 0 ? errname(errno) : "ok");
    rd(fd, sizeof(struct signalfd_siginfo));
    pn = poll(&pf, 1, 0);
    printf("poll after: %d\n", pn);
    kill(me, SIGUSR1);
    rd(fd, 4 * sizeof(struct signalfd_siginfo));
    char wb[128] = {0};
    printf("write: %s\n", write(fd, wb, 128) < 0 ? errname(errno) : "ok");

    /* a new mask through the same descriptor */
    sigaddset(&m, SIGRTMIN);
    sigaddset(&m, SIGCHLD);
    printf("new mask: %d\n", signalfd(fd, &m, 0) == fd);
    union sigval v = {.sival_int = 42};
    sigqueue(me, SIGRTMIN, v);
    v.sival_int = 43;
    sigqueue(me, SIGRTMIN, v);
    raise(SIGUSR1);
    raise(SIGUSR2); /* (not in the mask: stays pending) */
    rd(fd, 4 * sizeof(struct signalfd_siginfo));
    sigset_t pend;
    sigpending(&pend);
    printf("SIGUSR2 still pending: %d\n", sigismember(&pend, SIGUSR2));

    /* SIGCHLD with the child's status */
    pid_t c = fork();
    if (c == 0)
        _exit(7);
    waitid(P_PID, (id_t)c, NULL, WEXITED | WNOWAIT);
    struct signalfd_siginfo ci;
    ssize_t n = read(fd, &ci, sizeof ci);
    printf("SIGCHLD: %zd signo %u code %d pid matches %d status %d\n", n, ci.ssi_signo,
           ci.ssi_code, ci.ssi_pid == (uint32_t)c, ci.ssi_status);
    waitpid(c, NULL, 0);

    /* epoll */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
    printf("epoll add: %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    struct epoll_event out[2];
    printf("epoll nothing: %d\n", epoll_wait(ep, out, 2, 0));
    raise(SIGUSR1);
    int en = epoll_wait(ep, out, 2, 0);
    printf("epoll: %d %llu:%x\n", en, (unsigned long long)out[0].data.u64, out[0].events);
    rd(fd, sizeof(struct signalfd_siginfo));

    /* a blocking read woken by another process */
    int bfd = signalfd(-1, &m, 0);
    c = fork();
    if (c == 0) {
        usleep(30000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    struct signalfd_siginfo bi;
    n = read(bfd, &bi, sizeof bi);
    printf("blocking read: %zd signo %u code %d\n", n, bi.ssi_signo, bi.ssi_code);
    waitpid(c, NULL, 0);
    while (read(fd, &bi, sizeof bi) > 0) /* (the child's SIGCHLD) */
        ;

    /* a child reads its own signals, not its parent's (pending ones are not inherited) */
    raise(SIGUSR1);
    c = fork();
    if (c == 0) {
        struct signalfd_siginfo x;
        int first = read(fd, &x, sizeof x) < 0 ? errno : 0;
        raise(SIGUSR1);
        ssize_t k = read(fd, &x, sizeof x);
        _exit(first == EAGAIN && k == sizeof x && x.ssi_signo == SIGUSR1 ? 0 : 1);
    }
    int cst;
    waitpid(c, &cst, 0);
    printf("child saw only its own: %d\n", WIFEXITED(cst) ? WEXITSTATUS(cst) : -1);
    rd(fd, 4 * sizeof(struct signalfd_siginfo)); /* the parent's SIGUSR1, and SIGCHLD */

    /* not blocked: the handler takes it, the signalfd finds nothing */
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t u;
    sigemptyset(&u);
    sigaddset(&u, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    raise(SIGUSR1);
    printf("handled %d\n", handled);
    rd(fd, sizeof(struct signalfd_siginfo));
    return 0;
}
