/*
 * Signals: handlers, blocking and pending, EINTR and SA_RESTART around a pipe read, a child
 * killed by a signal, SIGSEGV with siginfo, a default core signal in a child, SIGCHLD ignored
 * (no zombies), stop and continue seen by waitpid.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <time.h>
static volatile int got;
static volatile unsigned long bad_addr = 0x1234, null_ish = 8;
static volatile void *addr;
static sigjmp_buf jb;
static void h(int s) { got = s; }
static void segv(int s, siginfo_t *si, void *uc) { (void)uc; got = s; addr = si->si_addr; siglongjmp(jb, 1); }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = h;
    sigaction(SIGUSR1, &sa, NULL);
    kill(getpid(), SIGUSR1);
    printf("usr1 handled: %d\n", got);
    sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    got = 0; kill(getpid(), SIGUSR1);
    printf("blocked: %d\n", got);
    sigset_t p; sigpending(&p); printf("pending: %d\n", sigismember(&p, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &m, NULL);
    printf("unblocked: %d\n", got);
    /* alarm interrupts a pipe read: EINTR without SA_RESTART */
    sa.sa_handler = h; sa.sa_flags = 0; sigaction(SIGALRM, &sa, NULL);
    int fd[2]; pipe(fd); char c;
    alarm(1); got = 0;
    int r = read(fd[0], &c, 1);
    printf("read: %d errno %s got %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?", got);
    /* with SA_RESTART the read goes on: the child writes later */
    sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) { sleep(2); write(fd[1], "x", 1); _exit(7); }
    alarm(1); got = 0;
    r = read(fd[0], &c, 1);
    printf("restarted read: %d '%c' got %d\n", r, c, got);
    int st; waitpid(pid, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));
    /* a child killed by a signal */
    pid = fork();
    if (pid == 0) { pause(); _exit(1); }
    kill(pid, SIGTERM); waitpid(pid, &st, 0);
    printf("child signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
    /* SIGSEGV with si_addr */
    sa.sa_sigaction = segv; sa.sa_flags = SA_SIGINFO; sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(jb, 1)) { *(volatile int *)bad_addr = 1; }
    printf("segv %d addr %p\n", got, (void *)addr);
    /* default SIGSEGV in a child: dumped */
    pid = fork();
    if (pid == 0) { signal(SIGSEGV, SIG_DFL); *(volatile int *)null_ish = 1; _exit(1); }
    waitpid(pid, &st, 0);
    printf("child segv sig %d core %d\n", WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
    /* SIGCHLD ignored: no zombie, wait gives ECHILD */
    signal(SIGCHLD, SIG_IGN);
    pid = fork();
    if (pid == 0) _exit(0);
    r = waitpid(pid, &st, 0);
    printf("ignored chld wait: %d %s\n", r, r < 0 && errno == ECHILD ? "ECHILD" : "?");
    /* stop and continue */
    signal(SIGCHLD, SIG_DFL);
    pid = fork();
    if (pid == 0) { for (;;) pause(); }
    kill(pid, SIGSTOP); waitpid(pid, &st, WUNTRACED);
    printf("stopped %d sig %d\n", WIFSTOPPED(st), WSTOPSIG(st));
    kill(pid, SIGCONT); waitpid(pid, &st, WCONTINUED);
    printf("continued %d\n", WIFCONTINUED(st));
    kill(pid, SIGKILL); waitpid(pid, &st, 0);
    printf("killed %d\n", WTERMSIG(st));
    /* a periodic ITIMER_REAL is armed again only when its SIGALRM is taken */
    signal(SIGALRM, h);
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &old);
    /* first expiry after 10 ms, then every 2 s (a margin: the checks below run long before) */
    struct itimerval it = {{2, 0}, {0, 10000}}, cur;
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    sigset_t pend;
    sigpending(&pend);
    getitimer(ITIMER_REAL, &cur);
    printf("itimer with SIGALRM blocked: pending %d, armed %d, interval %ld s\n",
           sigismember(&pend, SIGALRM), cur.it_value.tv_sec || cur.it_value.tv_usec,
           (long)cur.it_interval.tv_sec);
    got = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("after the handler ran (%d): armed %d\n", got, cur.it_value.tv_sec || cur.it_value.tv_usec);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_IGN);
    setitimer(ITIMER_REAL, &it, NULL);
    nanosleep(&ts, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("itimer with SIGALRM ignored: armed %d\n", cur.it_value.tv_sec || cur.it_value.tv_usec);
    setitimer(ITIMER_REAL, &off, NULL);
    /* nanosleep cut short by a handler: EINTR and the time left in rem */
    signal(SIGALRM, h);
    struct itimerval once = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &once, NULL);
    struct timespec want = {5, 0}, rem = {0, 0};
    int rr = nanosleep(&want, &rem);
    printf("nanosleep cut by a handler: %s, rem below 5 s %d\n",
           rr < 0 && errno == EINTR ? "EINTR" : "?", rem.tv_sec < 5);
    printf("restart_syscall with nothing to restart: %s\n",
           syscall(219) < 0 && errno == EINTR ? "EINTR" : "?");
    /* stopped and continued while asleep (no handler): the sleep goes on, never early */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct timespec t0, t1, d = {0, 300 * 1000 * 1000};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int k = nanosleep(&d, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        printf("child: nanosleep after stop and continue: %d, slept the whole time %d\n", k, ms >= 300);
        fflush(stdout);
        _exit(0);
    }
    struct timespec short_ = {0, 20 * 1000 * 1000};
    nanosleep(&short_, NULL);
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGCONT);
    waitpid(pid, &st, 0);
    /* signals sent at once after fork, before the child's blocking read: each must act
       (a stop is reported, a SIGTERM ends the read) */
    int ok = 0;
    for (int i = 0; i < 40; i++) {
        int gate[2];
        pipe(gate);
        pid = fork();
        if (pid == 0) { char c; close(gate[1]); read(gate[0], &c, 1); _exit(0); }
        kill(pid, SIGSTOP);
        int s1 = 0, s2 = 0;
        waitpid(pid, &s1, WUNTRACED);
        kill(pid, SIGCONT);
        kill(pid, SIGTERM);
        waitpid(pid, &s2, 0);
        ok += WIFSTOPPED(s1) && WIFSIGNALED(s2) && WTERMSIG(s2) == SIGTERM;
        close(gate[0]);
        close(gate[1]);
    }
    printf("signals right after fork acted: %d of 40\n", ok);
    return 0;
}
