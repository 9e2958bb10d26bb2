/*
 * Limits and waiting: getrlimit's defaults, RLIMIT_NOFILE bounding descriptor numbers (open,
 * dup2, F_DUPFD), setrlimit's errors, RLIMIT_NPROC bounding a non-root user's forks with
 * EAGAIN (and forks working again once processes end), vfork's parent waiting for the child's
 * exit or exec, and waitid (P_PID, P_ALL, P_PGID; WEXITED, WSTOPPED, WCONTINUED, WNOHANG,
 * WNOWAIT; the siginfo it fills) with wait4's rusage pointer.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static void show_limit(const char *name, int res)
{
    struct rlimit r;
    if (getrlimit(res, &r) != 0) {
        printf("%s: %s\n", name, errname(errno));
        return;
    }
    printf("%s: cur %lld max %lld\n", name, r.rlim_cur == RLIM_INFINITY ? -1ll : (long long)r.rlim_cur,
           r.rlim_max == RLIM_INFINITY ? -1ll : (long long)r.rlim_max);
}

static void nofile(void)
{
    struct rlimit r = {8, 4096};
    printf("setrlimit NOFILE 8: %s\n", setrlimit(RLIMIT_NOFILE, &r) ? errname(errno) : "0");
    int last = -1, err = 0;
    for (int i = 0; i < 20; i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        last = fd;
    }
    printf("opens up to fd %d, then %s\n", last, errname(err));
    printf("dup2 to 8: %s\n", dup2(0, 8) < 0 ? errname(errno) : "ok");
    printf("F_DUPFD 8: %s\n", fcntl(0, F_DUPFD, 8) < 0 ? errname(errno) : "ok");
    for (int fd = 3; fd <= last; fd++)
        close(fd);
    r.rlim_cur = 9, r.rlim_max = 8;
    printf("cur above max: %s\n", setrlimit(RLIMIT_NOFILE, &r) ? errname(errno) : "0");
    r.rlim_cur = r.rlim_max = 1024;
    printf("back to 1024: %s\n", setrlimit(RLIMIT_NOFILE, &r) ? errname(errno) : "0");
    show_limit("NOFILE now", RLIMIT_NOFILE);
    printf("getrlimit bad resource: %s\n", getrlimit(99, &r) ? errname(errno) : "0");
}

/* As uid 1000 with RLIMIT_NPROC 4: forks until EAGAIN, then again after one ends. */
static void nproc(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(1000) || setuid(1000)) {
            printf("setuid: %s\n", errname(errno));
            _exit(1);
        }
        struct rlimit r = {4, 4};
        setrlimit(RLIMIT_NPROC, &r);
        r.rlim_max = 100;
        printf("non-root raising NPROC max: %s\n", setrlimit(RLIMIT_NPROC, &r) ? errname(errno) : "0");
        int gate[2];
        pipe(gate);
        pid_t kids[10];
        int n = 0, err = 0;
        for (; n < 10; n++) {
            kids[n] = fork();
            if (kids[n] < 0) {
                err = errno;
                break;
            }
            if (kids[n] == 0) {
                char c;
                close(gate[1]);
                read(gate[0], &c, 1);
                _exit(0);
            }
        }
        printf("forks as uid 1000 with NPROC 4: %d, then %s\n", n, errname(err));
        close(gate[1]);
        for (int i = 0; i < n; i++)
            waitpid(kids[i], NULL, 0);
        pid_t again = fork();
        if (again == 0)
            _exit(0);
        printf("fork after they ended: %s\n", again > 0 ? "ok" : errname(errno));
        if (again > 0)
            waitpid(again, NULL, 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void vforks(void)
{
    int p[2];
    pipe(p);
    pid_t pid = vfork();
    if (pid == 0) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        syscall(SYS_nanosleep, &ts, NULL);
        syscall(SYS_write, p[1], "c", 1);
        syscall(SYS_exit, 7);
    }
    write(p[1], "p", 1);
    int st;
    waitpid(pid, &st, 0);
    char buf[3] = {0};
    read(p[0], buf, 2);
    printf("vfork then exit: order %s, status %d\n", buf, WEXITSTATUS(st));
    pid = vfork();
    if (pid == 0) {
        char *argv[] = {"sh", "-c", "sleep 0.2; printf e >&3", NULL};
        dup2(p[1], 3);
        execv("/bin/sh", argv);
        _exit(127);
    }
    write(p[1], "p", 1);
    waitpid(pid, &st, 0);
    memset(buf, 0, sizeof buf);
    read(p[0], buf, 2);
    printf("vfork then exec: parent went on before the exec'd program wrote: %s\n",
           strcmp(buf, "pe") == 0 ? "yes" : buf);
    close(p[0]), close(p[1]);
}

static void show_si(const char *what, int rc, siginfo_t *si, pid_t pid)
{
    if (rc < 0) {
        printf("%s: %s\n", what, errname(errno));
        return;
    }
    const char *code = si->si_code == CLD_EXITED ? "EXITED" : si->si_code == CLD_KILLED ? "KILLED"
                       : si->si_code == CLD_DUMPED ? "DUMPED" : si->si_code == CLD_STOPPED ? "STOPPED"
                       : si->si_code == CLD_CONTINUED ? "CONTINUED" : si->si_code == 0 ? "0" : "?";
    printf("%s: rc %d signo %d code %s status %d pid %s uid %d\n", what, rc, si->si_signo, code,
           si->si_status, si->si_pid == pid ? "child" : si->si_pid == 0 ? "0" : "other",
           (int)si->si_uid);
}

static void waitids(void)
{
    siginfo_t si;
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    memset(&si, 0x55, sizeof si);
    show_si("P_PID WEXITED|WNOWAIT", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), &si, pid);
    memset(&si, 0x55, sizeof si);
    show_si("again, reaping", waitid(P_PID, pid, &si, WEXITED), &si, pid);
    show_si("once more", waitid(P_PID, pid, &si, WEXITED), &si, pid);

    int gate[2];
    pipe(gate);
    pid = fork();
    if (pid == 0) {
        char c;
        close(gate[1]);
        read(gate[0], &c, 1);
        _exit(0);
    }
    memset(&si, 0x55, sizeof si);
    show_si("WNOHANG, running", waitid(P_ALL, 0, &si, WEXITED | WNOHANG), &si, pid);
    show_si("no options", waitid(P_ALL, 0, &si, 0), &si, pid);
    show_si("P_PID 0", waitid(P_PID, 0, &si, WEXITED), &si, pid);
    show_si("bad idtype", waitid(7, 0, &si, WEXITED), &si, pid);
    kill(pid, SIGSTOP);
    show_si("stopped", waitid(P_PID, pid, &si, WSTOPPED), &si, pid);
    kill(pid, SIGCONT);
    show_si("continued", waitid(P_PGID, 0, &si, WCONTINUED), &si, pid);
    kill(pid, SIGTERM);
    show_si("killed", waitid(P_ALL, 0, &si, WEXITED), &si, pid);
    close(gate[0]), close(gate[1]);

    pid = fork();
    if (pid == 0)
        _exit(9);
    struct rusage ru;
    int st;
    pid_t got = wait4(pid, &st, 0, &ru);
    printf("wait4 with rusage: %s, status %d\n", got == pid ? "the child" : errname(errno),
           WEXITSTATUS(st));
    show_si("no children", waitid(P_ALL, 0, &si, WEXITED), &si, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    show_limit("NOFILE", RLIMIT_NOFILE);
    show_limit("STACK", RLIMIT_STACK);
    show_limit("CORE", RLIMIT_CORE);
    show_limit("FSIZE", RLIMIT_FSIZE);
    show_limit("AS", RLIMIT_AS);
    show_limit("MSGQUEUE", RLIMIT_MSGQUEUE);
    show_limit("NICE", RLIMIT_NICE);
    nofile();
    nproc();
    vforks();
    waitids();
    return 0;
}
