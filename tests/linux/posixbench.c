/*
 * The POSIX server's benchmark (docs/bench.md, "The POSIX server"): one static Linux program
 * run unchanged on Skoll (by the POSIX server) and on Debian's Linux in the same QEMU machine
 * (tools/posix_bench.py boots both), printing the same `bench <name> <value> <unit>` lines,
 * each the median of several repetitions with a `#` line giving the spread:
 *
 *   posix_getppid_ns         getppid() in a loop (on Skoll: a round trip to the server)
 *   posix_fork_exit_wait_us  fork, the child _exits, the parent waits
 *   posix_fork_exec_wait_us  fork, the child execs this program (which exits at once), wait
 *   posix_pipe_roundtrip_ns  16 bytes to a child process through one pipe, back through another
 *   posix_pipe_mbps          64 KiB writes to a child process reading 64 KiB at a time
 *   posix_tmpfs_read4k_ns    pread of 4 KiB from a file in /tmp
 *   posix_script_ms          /bin/sh running tests/linux/bench/script.sh (~1,000 processes)
 *
 * and, on Skoll only (from the server's /proc/skoll/posix), the server's memory per process
 * and per call in flight. Modes: `posixbench [case...]` runs the cases (all when none is
 * named; `repeat=N` runs them N times); `posixbench exit` exits at once (the exec case's child); `posixbench boot` prints a
 * marker and powers off (Linux's boot-to-init figure). As the first process (Linux's init, or
 * the POSIX server's first program) it mounts what it needs and powers off when done.
 */
#define _GNU_SOURCE
#include "procstat.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define SCRIPT "/usr/lib/skoll-tests/bench/script.sh"
#define STATE "/proc/skoll/posix"

static const char *self_path;
static int failures;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    printf("FAIL posixbench: %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Print the median of v[0..n) as `bench name value unit` and the spread. */
static void report(const char *name, double *v, int n, const char *unit, const char *what)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = v[n / 2];
    if (med >= 100)
        printf("bench %s %.0f %s\n", name, med, unit);
    else
        printf("bench %s %.3g %s\n", name, med, unit);
    printf("#   %s: median of %d reps of %s; min %.3g, max %.3g\n", name, n, what, v[0], v[n - 1]);
    fflush(stdout);
}

/* ---- getppid ---- */

static long state(const char *key);
static void placement(const char *name, pid_t child);

static void bench_getppid(void)
{
    /* as many calls as take about 100 ms, then REPS reps of that many */
    long n = 256;
    for (;;) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < n; i++)
            syscall(SYS_getppid);
        if (now_ns() - t0 > 100000000ull || n >= (1l << 24))
            break;
        n *= 2;
    }
    double v[REPS];
    long s0 = state("server_switches"), c0 = state("reader_switches");
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < n; i++)
            syscall(SYS_getppid);
        v[r] = (double)(now_ns() - t0) / (double)n;
    }
    if (s0 >= 0) /* Skoll: where the two ran, and switches to each per call */
        printf("# posix_getppid: server on CPU %ld, this program on CPU %ld; switched to per "
               "call: server %.2f, this program %.2f\n", state("server_cpu"), state("reader_cpu"),
               (double)(state("server_switches") - s0) / (REPS * n),
               (double)(state("reader_switches") - c0) / (REPS * n));
    char what[64];
    snprintf(what, sizeof what, "%ld getppid() calls", n);
    report("posix_getppid_ns", v, REPS, "ns", what);
}

/* ---- fork ---- */

static void wait_ok(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("FAIL posixbench: child status 0x%x\n", st);
        failures++;
    }
}

static void bench_fork(int exec)
{
    const int n = 50;
    double v[REPS];
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid < 0)
                die("fork");
            if (pid == 0) {
                if (exec) {
                    char *argv[] = {(char *)self_path, "exit", NULL};
                    char *envp[] = {NULL};
                    execve(self_path, argv, envp);
                    _exit(127);
                }
                _exit(0);
            }
            wait_ok(pid);
        }
        v[r] = (double)(now_ns() - t0) / n / 1000.0;
    }
    if (exec)
        report("posix_fork_exec_wait_us", v, REPS, "us", "50 fork+execve+exit+wait");
    else
        report("posix_fork_exit_wait_us", v, REPS, "us", "50 fork+exit+wait");
}

/* ---- pipes ---- */

static void full_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t k = write(fd, p, len);
        if (k <= 0)
            die("write");
        p += k, len -= (size_t)k;
    }
}

static void full_read(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t k = read(fd, p, len);
        if (k <= 0)
            die("read");
        p += k, len -= (size_t)k;
    }
}

static void bench_pipe_roundtrip(void)
{
    int req[2], rep[2];
    if (pipe(req) || pipe(rep))
        die("pipe");
    const int n = 2000;
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(req[1]), close(rep[0]);
        char m[16];
        for (long i = 0; i < (long)n * (REPS + 1); i++) {
            full_read(req[0], m, sizeof m);
            full_write(rep[1], m, sizeof m);
        }
        _exit(0);
    }
    close(req[0]), close(rep[1]);
    char m[16] = "0123456789abcdef";
    double v[REPS];
    long sw0 = 0, h0 = 0;
    for (int r = -1; r < REPS; r++) { /* a warm-up rep first */
        if (r == 0) {
            sw0 = state("reader_switches");
            h0 = state("pipe_handoffs");
        }
        uint64_t t0 = now_ns();
        for (int i = 0; i < n; i++) {
            full_write(req[1], m, sizeof m);
            full_read(rep[0], m, sizeof m);
        }
        if (r >= 0)
            v[r] = (double)(now_ns() - t0) / n;
        if (r == REPS / 2)
            placement("posix_pipe_roundtrip", pid);
    }
    if (sw0 >= 0 && state("server_cpu") >= 0)
        printf("# posix_pipe_roundtrip: this program switched to %.2f times per round trip; "
               "writes handed straight to the reader %.2f\n",
               (double)(state("reader_switches") - sw0) / ((double)REPS * n),
               (double)(state("pipe_handoffs") - h0) / ((double)REPS * n));
    close(req[1]), close(rep[0]);
    wait_ok(pid);
    report("posix_pipe_roundtrip_ns", v, REPS, "ns", "2000 16-byte request+reply round trips");
}

static void bench_pipe_throughput(void)
{
    enum { CHUNK = 65536, PER_REP = 256 }; /* 16 MiB a rep */
    int fds[2], ack[2];
    if (pipe(fds) || pipe(ack))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    static char buf[CHUNK];
    if (pid == 0) {
        close(fds[1]), close(ack[0]);
        for (int r = 0; r < REPS; r++) {
            uint64_t got = 0;
            while (got < (uint64_t)CHUNK * PER_REP) {
                ssize_t k = read(fds[0], buf, CHUNK);
                if (k <= 0)
                    die("read");
                got += (uint64_t)k;
            }
            full_write(ack[1], "k", 1);
        }
        _exit(0);
    }
    close(fds[0]), close(ack[1]);
    memset(buf, 'x', sizeof buf);
    double v[REPS];
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < PER_REP; i++)
            full_write(fds[1], buf, CHUNK);
        char c;
        full_read(ack[0], &c, 1); /* the reader has all of it */
        double s = (double)(now_ns() - t0) / 1e9;
        v[r] = (double)CHUNK * PER_REP / s / 1e6;
        if (r == REPS / 2)
            placement("posix_pipe_mbps", pid);
    }
    close(fds[1]), close(ack[0]);
    wait_ok(pid);
    report("posix_pipe_mbps", v, REPS, "MB/s", "16 MiB in 64 KiB writes to another process");
}

/* ---- tmpfs ---- */

static void bench_tmpfs_read(void)
{
    const char *path = "/tmp/posixbench.file";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open /tmp/posixbench.file");
    static char buf[65536];
    memset(buf, 'y', sizeof buf);
    full_write(fd, buf, sizeof buf);
    const int n = 2000;
    double v[REPS];
    for (int r = -1; r < REPS; r++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < n; i++)
            if (pread(fd, buf, 4096, (off_t)(i % 16) * 4096) != 4096)
                die("pread");
        if (r >= 0)
            v[r] = (double)(now_ns() - t0) / n;
    }
    close(fd);
    unlink(path);
    report("posix_tmpfs_read4k_ns", v, REPS, "ns", "2000 4 KiB preads of a 64 KiB file");
}

/* ---- the script ---- */

static pid_t next_pid(void)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        _exit(0);
    wait_ok(pid);
    return pid;
}

static void bench_script(void)
{
    const int reps = 3;
    double v[3];
    long procs = 0;
    for (int r = 0; r < reps; r++) {
        pid_t before = next_pid();
        uint64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 0), dup2(null, 1);
                close(null);
            }
            char *argv[] = {"sh", SCRIPT, NULL};
            char *envp[] = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", NULL};
            execve("/bin/sh", argv, envp);
            _exit(127);
        }
        wait_ok(pid);
        v[r] = (double)(now_ns() - t0) / 1e6;
        procs = next_pid() - before - 2;
    }
    char what[96];
    snprintf(what, sizeof what, "sh %s (%ld processes)", SCRIPT, procs);
    report("posix_script_ms", v, reps, "ms", what);
}

/* ---- the server's memory (Skoll only) ---- */

/* A value of /proc/skoll/posix, or -1. */
static long state(const char *key)
{
    FILE *f = fopen(STATE, "r");
    if (!f)
        return -1;
    char name[64];
    long val, found = -1;
    while (fscanf(f, "%63s %ld", name, &val) == 2)
        if (strcmp(name, key) == 0)
            found = val;
    fclose(f);
    return found;
}

/* Skoll: where the server, this program and its child ran last (a rep's placement). */
static void placement(const char *name, pid_t child)
{
    if (state("server_cpu") >= 0)
        printf("# %s: server on CPU %ld, this program on CPU %ld, its child on CPU %ld\n", name,
               state("server_cpu"), proc_stat_field(getpid(), 39), proc_stat_field(child, 39));
}

/* Children stopped (no call in flight), then each parked in a read: the server's heap bytes
   per process and per call in flight. */
static void bench_memory(void)
{
    if (access(STATE, R_OK) != 0) {
        printf("# posix memory: no %s (not Skoll)\n", STATE);
        return;
    }
    enum { N = 32 };
    int fds[2];
    if (pipe(fds))
        die("pipe");
    long base = state("heap_bytes"), base_parked = state("calls_parked");
    long base_pages = state("free_pages");
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        if (kids[i] < 0)
            die("fork");
        if (kids[i] == 0) {
            close(fds[1]);
            raise(SIGSTOP);
            char c;
            read(fds[0], &c, 1);
            _exit(0);
        }
    }
    for (int i = 0; i < N; i++) {
        int st;
        if (waitpid(kids[i], &st, WUNTRACED) != kids[i] || !WIFSTOPPED(st))
            die("waitpid WUNTRACED");
    }
    long stopped = state("heap_bytes"), stopped_pages = state("free_pages");
    for (int i = 0; i < N; i++)
        kill(kids[i], SIGCONT);
    long parked = base_parked;
    for (int tries = 0; tries < 10000 && parked < base_parked + N; tries++) {
        sched_yield();
        parked = state("calls_parked");
    }
    long blocked = state("heap_bytes");
    close(fds[1]);
    for (int i = 0; i < N; i++)
        wait_ok(kids[i]);
    close(fds[0]);
    printf("bench posix_server_bytes_per_process %ld B\n", (stopped - base) / N);
    printf("#   posix_server_bytes_per_process: the server's heap growth over %d stopped "
           "children, each (its own page tables and memory aside)\n", N);
    printf("bench posix_system_bytes_per_process %ld B\n", (base_pages - stopped_pages) * 4096 / N);
    printf("#   posix_system_bytes_per_process: free pages taken by the same children, each "
           "(kernel objects, page tables, copied pages, the server's heap)\n");
    if (parked < base_parked + N)
        printf("# posix_server_bytes_per_call: only %ld of %d reads parked\n",
               parked - base_parked, N);
    else
        printf("bench posix_server_bytes_per_call %ld B\n", (blocked - stopped) / N);
    printf("#   posix_server_bytes_per_call: the server's heap growth when each child waits "
           "in a read of an empty pipe\n");
    fflush(stdout);
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    {"getppid", bench_getppid},
    {"fork", NULL},
    {"exec", NULL},
    {"pipe", bench_pipe_roundtrip},
    {"pipebw", bench_pipe_throughput},
    {"tmpfs", bench_tmpfs_read},
    {"script", bench_script},
    {"memory", bench_memory},
};

static void run_case(int i)
{
    if (cases[i].fn)
        cases[i].fn();
    else
        bench_fork(strcmp(cases[i].name, "exec") == 0);
}

static void power_off(void)
{
    sync();
    reboot(RB_POWER_OFF);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    int init = getpid() == 1;
    if (init) {
        /* As Linux's init nothing is mounted (Skoll's server provides these itself). */
        if (access("/dev/null", F_OK) != 0)
            mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        if (access("/proc/self", F_OK) != 0)
            mount("proc", "/proc", "proc", 0, NULL);
    }
    if (argc > 1 && strcmp(argv[1], "boot") == 0) {
        printf("posixbench: init reached\n");
        fflush(stdout);
        if (init)
            power_off();
        return 0;
    }
    self_path = "/proc/self/exe";
    static char exe[256];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        self_path = exe;
    }
    int ncases = (int)(sizeof cases / sizeof cases[0]);
    int repeat = 1, named = 0; /* repeat=N: every chosen case N times (for profiling) */
    for (int a = 1; a < argc; a++) {
        if (strncmp(argv[a], "repeat=", 7) == 0)
            repeat = atoi(argv[a] + 7);
        else
            named = 1;
    }
    for (int r = 0; r < repeat; r++)
        for (int i = 0; i < ncases; i++) {
            int chosen = !named;
            for (int a = 1; a < argc; a++)
                chosen |= strcmp(argv[a], cases[i].name) == 0;
            if (chosen)
                run_case(i);
        }
    if (failures)
        printf("FAIL posixbench: %d children failed\n", failures);
    else
        printf("PASS posixbench\n");
    fflush(stdout);
    if (init)
        power_off();
    return failures != 0;
}
