/*
 * Memory locks: mlock/munlock of a range (VmLck in /proc/self/status counts it), the errors
 * (unmapped ENOMEM, bad flags EINVAL), mlockall/munlockall with MCL_CURRENT and MCL_FUTURE,
 * no locks inherited by fork, and an ordinary user held to RLIMIT_MEMLOCK (ENOMEM beyond it,
 * EPERM when it is 0). Run as root (the driver is). Prints only what must match Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define PG 4096

static void result(const char *what, long rc)
{
    printf("%s: %s\n", what, rc < 0 ? errname(errno) : "ok");
}

static long vmlck_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

int main(void)
{
    char *buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("VmLck at start: %ld kB\n", vmlck_kb());
    result("mlock 3 pages (from inside the first)", mlock(buf + 100, 2 * PG));
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("mlock again, overlapping", mlock(buf + PG, 2 * PG));
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("munlock the first page", munlock(buf, PG));
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("munlock all of it", munlock(buf, 4 * PG));
    printf("VmLck: %ld kB\n", vmlck_kb());
    munmap(buf + 3 * PG, PG);
    result("mlock over a hole", mlock(buf, 4 * PG));
    result("munlock over a hole", munlock(buf, 4 * PG));
    result("mlock length 0", mlock(buf, 0));
    result("mlock2 ONFAULT", syscall(SYS_mlock2, buf, PG, 1));
    result("mlock2 bad flags", syscall(SYS_mlock2, buf, PG, 2));
    munlock(buf, 3 * PG);

    result("mlockall 0", mlockall(0));
    result("mlockall ONFAULT alone", mlockall(MCL_ONFAULT));
    result("mlockall CURRENT", mlockall(MCL_CURRENT));
    printf("VmLck above zero: %d\n", vmlck_kb() > 0);
    result("munlockall", munlockall());
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("mlockall FUTURE", mlockall(MCL_FUTURE));
    /* (the C library's own memory may be locked too: look at the difference) */
    long before = vmlck_kb();
    char *more = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("a new mapping is locked: %d\n", vmlck_kb() - before >= 8);
    munlockall();
    munmap(more, 2 * PG);

    mlock(buf, 2 * PG);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("fork child's VmLck: %ld kB\n", vmlck_kb());
        if (setuid(1000) != 0)
            printf("setuid: %s\n", errname(errno));
        result("user locks a page", mlock(buf, PG));
        char *big = mmap(NULL, 16 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        result("user locks 16 MiB", mlock(big, 16 << 20));
        result("user mlockall CURRENT", mlockall(MCL_CURRENT));
        struct rlimit zero = {0, 0};
        setrlimit(RLIMIT_MEMLOCK, &zero);
        result("user locks with RLIMIT_MEMLOCK 0", mlock(buf, PG));
        result("user mlockall with RLIMIT_MEMLOCK 0", mlockall(MCL_CURRENT));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent's VmLck: %ld kB\n", vmlck_kb());
    return 0;
}
