/*
 * poll and select on pipes: readiness before and after data, a closed write end (POLLHUP and
 * end of file), a closed read end (POLLERR, EPIPE with SIGPIPE ignored), timeouts of zero and
 * a short wait that times out, a bad descriptor (POLLNVAL, EBADF from select), and a pipe
 * filled until non-blocking writes fail with EAGAIN.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include "errname.h"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    pipe(p);
    struct pollfd f[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    printf("poll empty: %d in %x out %x\n", poll(f, 2, 0), f[0].revents, f[1].revents);
    write(p[1], "abc", 3);
    printf("poll data: %d in %x\n", poll(f, 1, 0), f[0].revents);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    printf("select: %d r %d w %d\n", select(p[1] + 1, &r, &w, NULL, &tv), FD_ISSET(p[0], &r),
           FD_ISSET(p[1], &w));
    char b[8];
    read(p[0], b, 3);
    f[0].revents = 0;
    printf("poll 50 ms on empty: %d\n", poll(f, 1, 50));
    close(p[1]);
    printf("write end closed: %d in %x\n", poll(f, 1, 0), f[0].revents);
    SHOW("read at end", read(p[0], b, 8));
    close(p[0]);
    pipe(p);
    close(p[0]);
    f[1].fd = p[1];
    printf("read end closed: %d out %x\n", poll(&f[1], 1, 0), f[1].revents);
    SHOW("write without reader", write(p[1], "x", 1));
    close(p[1]);
    struct pollfd bad = {77, POLLIN, 0};
    printf("bad fd: %d revents %x\n", poll(&bad, 1, 0), bad.revents);
    FD_ZERO(&r);
    FD_SET(77, &r);
    tv.tv_usec = 0;
    SHOW("select bad fd", select(78, &r, NULL, NULL, &tv));
    struct pollfd neg = {-1, POLLIN, 1};
    printf("negative fd ignored: %d revents %x\n", poll(&neg, 1, 0), neg.revents);
    pipe(p);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char big[4096];
    memset(big, 'x', sizeof big);
    long total = 0;
    for (;;) {
        long n = write(p[1], big, sizeof big);
        if (n < 0) {
            printf("full pipe: %s after %ld bytes\n", errname(errno), total);
            break;
        }
        total += n;
    }
    f[1].fd = p[1];
    printf("full pipe writable: %d\n", poll(&f[1], 1, 0));
    /* select writes the time left back into its timeout (Linux); a zero one stays zero */
    FD_ZERO(&r);
    FD_SET(p[0], &r); /* the full pipe's read end: ready at once */
    struct timeval left = {7, 0};
    int rs = select(p[0] + 1, &r, NULL, NULL, &left);
    printf("select ready at once: %d, timeout now below 7 s %d\n", rs, left.tv_sec < 7);
    int q[2];
    pipe(q);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    struct timeval shortt = {0, 30000};
    rs = select(q[0] + 1, &r, NULL, NULL, &shortt);
    printf("select timed out: %d, timeout now %ld.%06ld\n", rs, (long)shortt.tv_sec, (long)shortt.tv_usec);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    struct timeval zero = {0, 0};
    rs = select(q[0] + 1, &r, NULL, NULL, &zero);
    printf("select zero timeout: %d, timeout %ld.%06ld\n", rs, (long)zero.tv_sec, (long)zero.tv_usec);
    return 0;
}
