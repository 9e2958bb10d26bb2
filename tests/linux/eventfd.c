/*
 * eventfd: the counter's arithmetic (reads take all, or 1 in semaphore mode), its errors (a
 * short buffer, the forbidden value, bad flags), the limit a write waits at, poll readiness,
 * a reader blocked until another process writes and a writer blocked until a read makes room,
 * a signal interrupting a blocked read, reads and writes of more than 8 bytes, and what fstat
 * and /proc/self/fd say of it. Then pidfd_open: a process's descriptor becomes readable when
 * it ends, not before; its errors; it is close-on-exec and cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static void put(int fd, uint64_t v)
{
    ssize_t r = write(fd, &v, 8);
    printf("write %llu: %s\n", (unsigned long long)v, r == 8 ? "8" : r < 0 ? errname(errno) : "short");
}

static void get(int fd)
{
    uint64_t v = 0;
    ssize_t r = read(fd, &v, 8);
    if (r == 8)
        printf("read: %llu\n", (unsigned long long)v);
    else
        printf("read: %s\n", r < 0 ? errname(errno) : "short");
}

static void show_poll(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int n = poll(&p, 1, 0);
    printf("poll %d: in %d out %d\n", n, !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
}

static void on_alarm(int s) { (void)s; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = eventfd(0, EFD_NONBLOCK);
    show_poll(fd);
    put(fd, 3);
    put(fd, 4);
    show_poll(fd);
    get(fd);
    get(fd);
    put(fd, UINT64_MAX);
    uint32_t small;
    printf("read of 4 bytes: %s\n", read(fd, &small, 4) < 0 ? errname(errno) : "ok");
    printf("write of 4 bytes: %s\n", write(fd, &small, 4) < 0 ? errname(errno) : "ok");
    put(fd, 0xfffffffffffffffeull);
    show_poll(fd);
    put(fd, 1);
    get(fd);
    uint64_t two[2] = {5, 6}, back[2] = {0, 0};
    printf("write of 16 bytes: %zd\n", write(fd, two, 16));
    ssize_t got = read(fd, back, 16);
    printf("read of 16 bytes: %zd, value %llu\n", got, (unsigned long long)back[0]);
    close(fd);

    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    get(sem);
    get(sem);
    get(sem);
    close(sem);
    printf("bad flags: %s\n", eventfd(0, 0x100) < 0 ? errname(errno) : "ok");

    int cfd = eventfd(7, EFD_CLOEXEC);
    struct stat st;
    fstat(cfd, &st);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", cfd);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = '\0';
    printf("fstat: type bits %o, mode %o; link %s\n", (unsigned)(st.st_mode & S_IFMT),
           (unsigned)(st.st_mode & 0777), link);

    /* a blocked read ends when another process writes */
    int b = eventfd(0, 0);
    pid_t c = fork();
    if (c == 0) {
        usleep(30000);
        uint64_t v = 9;
        write(b, &v, 8);
        _exit(0);
    }
    get(b);
    waitpid(c, NULL, 0);
    /* a blocked write ends when a read makes room */
    uint64_t full = 0xfffffffffffffffeull;
    write(b, &full, 8);
    c = fork();
    if (c == 0) {
        usleep(30000);
        uint64_t v;
        read(b, &v, 8);
        _exit(0);
    }
    put(b, 5);
    waitpid(c, NULL, 0);
    get(b);
    /* a signal interrupts a blocked read */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    ualarm(30000, 0);
    get(b);

    /* pidfd_open */
    int go[2];
    pipe(go);
    c = fork();
    if (c == 0) {
        char x;
        read(go[0], &x, 1);
        _exit(3);
    }
    int pfd = (int)syscall(SYS_pidfd_open, c, 0);
    struct pollfd pp = {pfd, POLLIN, 0};
    printf("pidfd: readable while it runs %d\n", poll(&pp, 1, 0));
    write(go[1], "x", 1);
    int pr = poll(&pp, 1, 5000);
    printf("pidfd: poll after it ends %d, POLLIN %d\n", pr, !!(pp.revents & POLLIN));
    siginfo_t si = {0};
    int wr = waitid(3 /* P_PIDFD */, (id_t)pfd, &si, WEXITED);
    printf("waitid P_PIDFD: %d, pid matches %d, status %d\n", wr, si.si_pid == c, si.si_status);
    pr = poll(&pp, 1, 0);
    printf("pidfd: still readable once reaped %d\n", pr);
    printf("waitid P_PIDFD again: %s\n", waitid(3, (id_t)pfd, &si, WEXITED) < 0 ? errname(errno) : "ok");
    printf("waitid P_PIDFD of no pidfd: %s\n", waitid(3, (id_t)0, &si, WEXITED) < 0 ? errname(errno) : "ok");
    /* pidfd_send_signal */
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    int kfd = (int)syscall(SYS_pidfd_open, c, 0);
    printf("pidfd_send_signal: %ld\n", syscall(SYS_pidfd_send_signal, kfd, SIGTERM, NULL, 0));
    int kst;
    waitpid(c, &kst, 0);
    printf("killed by %d\n", WIFSIGNALED(kst) ? WTERMSIG(kst) : -1);
    printf("pidfd_send_signal once reaped: %s\n",
           syscall(SYS_pidfd_send_signal, kfd, SIGTERM, NULL, 0) < 0 ? errname(errno) : "ok");
    printf("pidfd_send_signal with flags: %s\n",
           syscall(SYS_pidfd_send_signal, kfd, 0, NULL, 1) < 0 ? errname(errno) : "ok");
    printf("pidfd_send_signal on an eventfd: %s\n",
           syscall(SYS_pidfd_send_signal, b, 0, NULL, 0) < 0 ? errname(errno) : "ok");
    printf("pidfd: close-on-exec %d\n", (fcntl(pfd, F_GETFD) & FD_CLOEXEC) != 0);
    uint64_t junk;
    printf("pidfd: read %s\n", read(pfd, &junk, 8) < 0 ? errname(errno) : "ok");
    printf("pidfd_open(0): %s\n", syscall(SYS_pidfd_open, 0, 0) < 0 ? errname(errno) : "ok");
    printf("pidfd_open of no process: %s\n", syscall(SYS_pidfd_open, 0x3ffffff0, 0) < 0 ? errname(errno) : "ok");
    printf("pidfd_open with bad flags: %s\n", syscall(SYS_pidfd_open, getpid(), 1) < 0 ? errname(errno) : "ok");

    /* PIDFD_NONBLOCK: waitid on a running child is EAGAIN; pidfd_getfd takes a descriptor of
       the child's (close-on-exec in the taker) */
    int q[2], hold[2];
    pipe(q);
    pipe(hold);
    c = fork();
    if (c == 0) {
        close(q[0]);
        close(hold[1]);
        dup2(q[1], 40);
        char x;
        read(hold[0], &x, 1); /* (until the parent is done) */
        _exit(0);
    }
    close(q[1]);
    close(hold[0]);
    int nfd = (int)syscall(SYS_pidfd_open, c, PIDFD_NONBLOCK);
    printf("pidfd nonblock flag: %d\n", (fcntl(nfd, F_GETFL) & O_NONBLOCK) != 0);
    siginfo_t nsi;
    printf("waitid on a running child, nonblocking pidfd: %s\n",
           waitid(3, (id_t)nfd, &nsi, WEXITED) < 0 ? errname(errno) : "ok");
    usleep(30000);
    printf("pidfd_getfd with flags: %s\n", syscall(SYS_pidfd_getfd, nfd, 40, 1) < 0 ? errname(errno) : "ok");
    printf("pidfd_getfd of a closed number: %s\n", syscall(SYS_pidfd_getfd, nfd, 41, 0) < 0 ? errname(errno) : "ok");
    printf("pidfd_getfd of a non-pidfd: %s\n", syscall(SYS_pidfd_getfd, q[0], 40, 0) < 0 ? errname(errno) : "ok");
    int taken = (int)syscall(SYS_pidfd_getfd, nfd, 40, 0);
    printf("pidfd_getfd: %d, close-on-exec %d\n", taken >= 0, taken >= 0 && (fcntl(taken, F_GETFD) & FD_CLOEXEC) != 0);
    write(taken, "via", 3);
    close(taken);
    char via[8] = {0};
    read(q[0], via, 3);
    printf("written through the taken descriptor: %s\n", via);
    close(hold[1]);
    waitpid(c, NULL, 0);
    printf("pidfd_getfd once it was reaped: %s\n", syscall(SYS_pidfd_getfd, nfd, 40, 0) < 0 ? errname(errno) : "ok");
    return 0;
}
