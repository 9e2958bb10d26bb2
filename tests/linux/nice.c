/*
 * Small process and descriptor calls: nice values (getpriority/setpriority for a process, a
 * group and a user, inherited by fork, shown in /proc/PID/stat, raising allowed and lowering
 * refused to an ordinary user, EPERM for someone else's process), close_range (closing and
 * CLOEXEC), getcpu, posix_fadvise. Run as root (the driver is). Prints only what must match.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "procstat.h"

static void result(const char *what, long rc)
{
    printf("%s: %s\n", what, rc < 0 ? errname(errno) : "ok");
}

/* the raw call: 20 - nice, or -errno */
static long raw_getpriority(int which, int who)
{
    long r = syscall(SYS_getpriority, which, who);
    return r < 0 ? -errno : r;
}

int main(void)
{
    printf("raw getpriority of self: %ld\n", raw_getpriority(PRIO_PROCESS, 0));
    result("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
    errno = 0;
    printf("getpriority: %d (errno %s)\n", getpriority(PRIO_PROCESS, 0), errname(errno));
    printf("raw getpriority: %ld\n", raw_getpriority(PRIO_PROCESS, getpid()));
    printf("/proc stat priority %ld nice %ld\n", proc_stat_field(getpid(), 18), proc_stat_field(getpid(), 19));
    result("setpriority 40 (clamped)", setpriority(PRIO_PROCESS, 0, 40));
    printf("after 40: %d\n", getpriority(PRIO_PROCESS, 0));
    result("setpriority -5 as root", setpriority(PRIO_PROCESS, 0, -5));
    printf("after -5: %d\n", getpriority(PRIO_PROCESS, 0));
    result("setpriority bad which", setpriority(9, 0, 0));
    result("setpriority no such process", setpriority(PRIO_PROCESS, 999999, 0));
    printf("getpriority no such process: %ld\n", raw_getpriority(PRIO_PROCESS, 999999));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child inherits: %d\n", getpriority(PRIO_PROCESS, 0));
        /* as an ordinary user: higher is allowed, lower is not, others' are not ours */
        if (setuid(1000) != 0)
            printf("setuid: %s\n", errname(errno));
        result("user raises its nice", setpriority(PRIO_PROCESS, 0, 10));
        result("user lowers its nice", setpriority(PRIO_PROCESS, 0, 0));
        result("user renices its parent", setpriority(PRIO_PROCESS, getppid(), 10));
        printf("child ends at: %d\n", getpriority(PRIO_PROCESS, 0));
        /* alone in its own group and as its own user (uid 1000 runs nothing else) */
        setpgid(0, 0);
        printf("getpriority of its group: %d\n", getpriority(PRIO_PGRP, 0));
        printf("getpriority of its user: %d\n", getpriority(PRIO_USER, 0));
        result("setpriority of its group", setpriority(PRIO_PGRP, 0, 12));
        printf("then: %d\n", getpriority(PRIO_PROCESS, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    setpriority(PRIO_PROCESS, 0, 0);

    /* close_range */
    int base = open("/dev/null", O_RDONLY);
    for (int i = 0; i < 4; i++)
        dup2(base, 20 + i);
    result("close_range 20..21", syscall(SYS_close_range, 20, 21, 0));
    printf("20 open %d, 22 open %d\n", fcntl(20, F_GETFD) >= 0, fcntl(22, F_GETFD) >= 0);
    result("close_range CLOEXEC 22..~0", syscall(SYS_close_range, 22, ~0u, 4));
    printf("22 cloexec %d, 23 cloexec %d\n", fcntl(22, F_GETFD) == FD_CLOEXEC,
           fcntl(23, F_GETFD) == FD_CLOEXEC);
    result("close_range first > last", syscall(SYS_close_range, 5, 4, 0));
    result("close_range bad flags", syscall(SYS_close_range, 20, 30, 1));
    result("close_range 22..", syscall(SYS_close_range, 22, ~0u, 0));
    printf("22 open %d, base open %d\n", fcntl(22, F_GETFD) >= 0, fcntl(base, F_GETFD) >= 0);

    /* getcpu */
    unsigned cpu = 99, node = 99;
    result("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    printf("cpu in range %d, node %u\n", cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF), node);
    result("getcpu without pointers", syscall(SYS_getcpu, NULL, NULL, NULL));
    result("getcpu bad pointer", syscall(SYS_getcpu, (void *)8, NULL, NULL));

    /* posix_fadvise returns the error number */
    printf("fadvise sequential: %s\n", errname(posix_fadvise(base, 0, 0, POSIX_FADV_SEQUENTIAL)));
    printf("fadvise bad advice: %s\n", errname(posix_fadvise(base, 0, 0, 99)));
    printf("fadvise bad fd: %s\n", errname(posix_fadvise(77, 0, 0, POSIX_FADV_NORMAL)));
    int p[2];
    if (pipe(p) == 0)
        printf("fadvise on a pipe: %s\n", errname(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL)));
    return 0;
}
