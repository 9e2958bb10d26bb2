/*
 * Pseudo-terminals: posix_openpt/grantpt/unlockpt/ptsname and openpty; the slave locked
 * until unlockpt; the slave node in /dev/pts; output processing (ONLCR) from slave to master,
 * the line discipline and echo from master to slave, raw mode; the window size through the
 * master; ^C from the master signalling the slave's foreground group; a shell driven through
 * a pty as script(1) does; the master's close hanging up the slave (SIGHUP to its session,
 * end of file, EIO on write); the slave's last close giving the master EIO and POLLHUP;
 * TIOCGPTPEER; index reuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "errname.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Read what the master has within a short wait, shown with escapes. */
static void drain_show(const char *what, int m)
{
    char buf[256];
    size_t got = 0;
    struct pollfd p = {m, POLLIN, 0};
    while (got < sizeof buf - 1 && poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
        ssize_t n = read(m, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    printf("%s: %zu '", what, got);
    for (size_t i = 0; i < got; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\r')
            printf("\\r");
        else if (c == '\n')
            printf("\\n");
        else if (c < 32 || c >= 127)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("'\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    alarm(60);
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    printf("posix_openpt: %d\n", m >= 0);
    char *name = ptsname(m);
    printf("ptsname in /dev/pts: %d\n", name && strncmp(name, "/dev/pts/", 9) == 0);
    char sname[64];
    snprintf(sname, sizeof sname, "%s", name ? name : "");
    printf("slave while locked: %s\n", res(open(sname, O_RDWR | O_NOCTTY)));
    printf("grantpt: %d unlockpt: %d\n", grantpt(m), unlockpt(m));
    struct stat st;
    stat(sname, &st);
    printf("slave node: chr %d major %u minor matches %d mode %o gid %u\n", S_ISCHR(st.st_mode),
           major(st.st_rdev), (int)minor(st.st_rdev) == atoi(sname + 9),
           (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
    int s = open(sname, O_RDWR | O_NOCTTY);
    printf("slave: %d, isatty slave %d master %d\n", s >= 0, isatty(s), isatty(m));
    int n = -1;
    ioctl(m, TIOCGPTN, &n);
    printf("TIOCGPTN matches: %d\n", strcmp(sname + 9, "") != 0 && atoi(sname + 9) == n);
    int p0[2];
    pipe(p0);
    printf("ptsname of a pipe: %s\n", ptsname(p0[0]) ? "name" : errname(errno));
    close(p0[0]), close(p0[1]);

    /* output processing, slave to master */
    write(s, "hello\n", 6);
    drain_show("master reads", m);
    /* the line discipline and echo, master to slave */
    write(m, "abc\n", 4);
    char buf[64];
    ssize_t k = read(s, buf, sizeof buf);
    printf("slave reads: %zd '%.*s'\n", k, k > 0 ? (int)k - 1 : 0, buf);
    drain_show("echo", m);
    write(m, "xy\x7fz\n", 5);
    k = read(s, buf, sizeof buf);
    printf("after erase: %zd '%.*s'\n", k, k > 0 ? (int)k - 1 : 0, buf);
    drain_show("erase echo", m);
    /* raw mode */
    struct termios tio, saved;
    tcgetattr(s, &saved);
    tio = saved;
    cfmakeraw(&tio);
    tcsetattr(s, TCSANOW, &tio);
    write(m, "r\n", 2);
    k = read(s, buf, sizeof buf);
    printf("raw read: %zd\n", k);
    drain_show("raw echo", m);
    write(s, "o\n", 2);
    drain_show("raw output", m);
    tcsetattr(s, TCSANOW, &saved);
    struct termios viam;
    tcgetattr(m, &viam);
    printf("termios through the master is the slave's: %d\n", viam.c_lflag == saved.c_lflag);

    /* window size through the master */
    struct winsize ws = {.ws_row = 33, .ws_col = 101};
    printf("TIOCSWINSZ on master: %s\n", res(ioctl(m, TIOCSWINSZ, &ws)));
    struct winsize got;
    ioctl(s, TIOCGWINSZ, &got);
    printf("slave sees %ux%u\n", got.ws_col, got.ws_row);

    /* ^C from the master signals the foreground group of the slave's session */
    pid_t c = fork();
    if (c == 0) {
        close(m);
        setsid();
        ioctl(s, TIOCSCTTY, 0);
        char x;
        read(s, &x, 1);
        _exit(0);
    }
    usleep(50000);
    write(m, "\x03", 1);
    int cst;
    waitpid(c, &cst, 0);
    printf("^C: killed by %d\n", WIFSIGNALED(cst) ? WTERMSIG(cst) : 0);
    drain_show("^C echo", m);

    /* TIOCGPTPEER opens the slave directly */
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    printf("TIOCGPTPEER: %d\n", peer >= 0);
    write(peer, "p", 1);
    drain_show("through the peer", m);
    close(peer);

    /* the slave's last close: the master reads EIO and polls POLLHUP */
    close(s);
    struct pollfd pm = {m, POLLIN, 0};
    int pr = poll(&pm, 1, 0);
    printf("master poll after the slave closed: %d %x\n", pr, pm.revents);
    printf("master read after the slave closed: %s\n", res(read(m, buf, sizeof buf)));
    s = open(sname, O_RDWR | O_NOCTTY);
    printf("slave reopened: %d\n", s >= 0);
    pm.revents = 0;
    printf("master poll again: %d\n", poll(&pm, 1, 0));

    /* the master's close hangs up the slave: its session gets SIGHUP */
    c = fork();
    if (c == 0) {
        close(m); /* (else the master stays open in here) */
        setsid();
        ioctl(s, TIOCSCTTY, 0);
        signal(SIGHUP, SIG_DFL);
        pause();
        _exit(0);
    }
    usleep(50000);
    close(m);
    waitpid(c, &cst, 0);
    printf("hangup: killed by %d\n", WIFSIGNALED(cst) ? WTERMSIG(cst) : 0);
    printf("slave read after hangup: %s\n", res(read(s, buf, sizeof buf)));
    printf("slave write after hangup: %s\n", res(write(s, "x", 1)));
    close(s);
    printf("node gone: %s\n", res(stat(sname, &st)));

    /* openpty, a shell driven through it (as script(1)) */
    int am, as;
    char aname[64];
    printf("openpty: %d\n", openpty(&am, &as, aname, NULL, NULL));
    printf("index reused: %d\n", strcmp(aname, sname) == 0);
    c = fork();
    if (c == 0) {
        close(am);
        setsid();
        ioctl(as, TIOCSCTTY, 0);
        dup2(as, 0), dup2(as, 1), dup2(as, 2);
        if (as > 2)
            close(as);
        execl("/bin/sh", "sh", "-i", (char *)NULL);
        _exit(127);
    }
    close(as);
    write(am, "echo answer=$((6*7))\nexit 3\n", 28);
    char all[4096];
    size_t tot = 0;
    for (;;) {
        ssize_t r = read(am, all + tot, sizeof all - 1 - tot);
        if (r <= 0)
            break;
        tot += (size_t)r;
    }
    all[tot] = '\0';
    printf("master read at the end: %s\n", errname(errno));
    waitpid(c, &cst, 0);
    printf("shell said answer=42: %d, exit %d\n", strstr(all, "answer=42\r\n") != NULL,
           WIFEXITED(cst) ? WEXITSTATUS(cst) : -1);
    close(am);

    /* two at once have two indices */
    int m1 = posix_openpt(O_RDWR), m2 = posix_openpt(O_RDWR);
    int n1 = -1, n2 = -1;
    ioctl(m1, TIOCGPTN, &n1);
    ioctl(m2, TIOCGPTN, &n2);
    printf("two ptys: different %d\n", n1 != n2);
    close(m1), close(m2);
    return 0;
}
