/*
 * When a parent dies: PR_SET_PDEATHSIG's signal reaches the child, the child goes to init or
 * to the nearest PR_SET_CHILD_SUBREAPER ancestor (which can wait for it), and a process group
 * the exit leaves orphaned with a stopped member gets SIGHUP then SIGCONT; in an orphaned
 * group SIGTSTP's default stop is discarded. Everything runs in a session of its own.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int out = -1;

static void say(const char *s)
{
    write(out, s, strlen(s));
}

static void on_usr1(int s)
{
    (void)s;
    say("C got SIGUSR1 on its parent's death\n");
}

static void on_hup(int s)
{
    (void)s;
    say("C got SIGHUP\n");
}

static void on_cont(int s)
{
    (void)s;
    say("C got SIGCONT\n");
}

static void drain(int fd)
{
    char buf[512];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
}

static void pdeath(void)
{
    int p[2], ready[2];
    pipe(p);
    pipe(ready);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t me = getpid();
        pid_t c = fork();
        if (c == 0) {
            out = p[1];
            close(p[0]), close(ready[0]);
            signal(SIGUSR1, on_usr1);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            int sig = -1;
            prctl(PR_GET_PDEATHSIG, &sig);
            char m[64];
            snprintf(m, sizeof m, "C: PR_GET_PDEATHSIG %d\n", sig);
            say(m);
            write(ready[1], "r", 1);
            while (getppid() == me)
                usleep(1000);
            snprintf(m, sizeof m, "C: new parent is pid 1: %d\n", getppid() == 1);
            say(m);
            _exit(0);
        }
        char r;
        close(ready[1]);
        read(ready[0], &r, 1);
        _exit(0); /* C's parent dies */
    }
    close(p[1]), close(ready[0]), close(ready[1]);
    waitpid(mid, NULL, 0);
    drain(p[0]); /* until C exits */
    close(p[0]);
}

static void subreaper(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int sr = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &sr);
    printf("PR_GET_CHILD_SUBREAPER %d\n", sr);
    fflush(stdout);
    int p[2];
    pipe(p);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t me = getpid();
        pid_t c = fork();
        if (c == 0) {
            close(p[0]);
            while (getppid() == me)
                usleep(1000);
            char m[80];
            snprintf(m, sizeof m, "C: new parent is the subreaper: %d\n", getppid() == getpgrp());
            write(p[1], m, strlen(m));
            _exit(3);
        }
        _exit(0);
    }
    close(p[1]);
    int st;
    waitpid(mid, &st, 0);
    drain(p[0]);
    close(p[0]);
    pid_t got = wait(&st);
    printf("the subreaper waited for its grandchild: %s, status %d\n", got > 0 ? "yes" : "no",
           WEXITSTATUS(st));
    fflush(stdout);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void orphaned_group(void)
{
    int p[2];
    pipe(p);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t c = fork();
        if (c == 0) {
            out = p[1];
            close(p[0]);
            setpgid(0, 0); /* a group of its own in the same session */
            signal(SIGHUP, on_hup);
            signal(SIGCONT, on_cont);
            raise(SIGSTOP);
            say("C: running again\n");
            raise(SIGTSTP); /* orphaned now: the stop is discarded */
            say("C: SIGTSTP did not stop it\n");
            _exit(0);
        }
        int st;
        waitpid(c, &st, WUNTRACED);
        char m[64];
        snprintf(m, sizeof m, "mid: C stopped: %d\n", WIFSTOPPED(st));
        write(p[1], m, strlen(m));
        _exit(0); /* C's group is orphaned now, with C stopped */
    }
    close(p[1]);
    waitpid(mid, NULL, 0);
    drain(p[0]);
    close(p[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t s = fork();
    if (s == 0) {
        setsid();
        pdeath();
        subreaper();
        orphaned_group();
        _exit(0);
    }
    int st;
    waitpid(s, &st, 0);
    printf("done %d\n", WEXITSTATUS(st));
    return 0;
}
