/*
 * procfs and the rest (issue 15 item 8): /proc/self/environ, limits, fdinfo, mountinfo;
 * /proc/sys/kernel/{ostype,osrelease,hostname,pid_max} and /proc/sys/vm/overcommit_memory,
 * hostname written through procfs; /proc/self/comm written (the thread's name); capget as root
 * (every capability) and its version handshake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "errname.h"

static ssize_t slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t got = 0, n;
    while ((size_t)got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
        got += n;
    buf[got] = '\0';
    close(fd);
    return got;
}

static const char *line_of(char *text, const char *prefix)
{
    static char out[256];
    for (char *l = text; l && *l;) {
        char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (strncmp(l, prefix, strlen(prefix)) == 0) {
            snprintf(out, sizeof out, "%.*s", (int)n, l);
            return out;
        }
        l = nl ? nl + 1 : NULL;
    }
    return "(none)";
}

struct caphdr {
    uint32_t version;
    int pid;
};
struct capdata {
    uint32_t effective, permitted, inheritable;
};

static void *named(void *arg)
{
    (void)arg;
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", (long)syscall(SYS_gettid));
    int fd = open(path, O_WRONLY);
    ssize_t w = write(fd, "worker-one", 10);
    close(fd);
    prctl(PR_GET_NAME, buf);
    printf("thread comm written: %zd, PR_GET_NAME %s\n", w, buf);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    static char buf[65536];

    /* environ: NUL-separated, as the program started */
    ssize_t n = slurp("/proc/self/environ", buf, sizeof buf);
    int entries = 0, has = 0;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
        entries++;
        has |= strcmp(buf + i, "SKOLL_TEST_VAR=a value") == 0;
    }
    printf("environ: %d entries, has the test variable %d, ends with NUL %d\n", entries, has,
           n > 0 && buf[n - 1] == '\0');

    /* limits */
    struct rlimit rl = {1000, 2000};
    setrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 8388608;
    rl.rlim_max = RLIM_INFINITY;
    setrlimit(RLIMIT_STACK, &rl);
    slurp("/proc/self/limits", buf, sizeof buf);
    printf("%s|\n", line_of(buf, "Limit"));
    printf("%s|\n", line_of(buf, "Max open files"));
    printf("%s|\n", line_of(buf, "Max stack size"));
    printf("%s|\n", line_of(buf, "Max realtime timeout"));

    /* fdinfo */
    int fd = open("/tmp/procmisc", O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0600);
    write(fd, "12345", 5);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    slurp(path, buf, sizeof buf);
    char posl[64];
    snprintf(posl, sizeof posl, "%s", line_of(buf, "pos:"));
    printf("fdinfo %s, %s, has mnt_id %d, has ino %d\n", posl, line_of(buf, "flags:"),
           strstr(buf, "mnt_id:") != NULL, strstr(buf, "\nino:") != NULL);
    close(fd);
    unlink("/tmp/procmisc");
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", 999);
    printf("fdinfo of no descriptor: %s\n", open(path, O_RDONLY) < 0 ? errname(errno) : "ok");

    /* mountinfo: the root mount's line */
    slurp("/proc/self/mountinfo", buf, sizeof buf);
    int root = 0;
    for (char *l = buf; l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        char mp[256] = "", rootp[256] = "";
        int id, parent;
        unsigned maj, min;
        if (sscanf(l, "%d %d %u:%u %255s %255s", &id, &parent, &maj, &min, rootp, mp) == 6 &&
            strcmp(mp, "/") == 0 && strstr(l, " - ") != NULL)
            root = 1;
        l = nl ? nl + 1 : NULL;
    }
    printf("mountinfo has the root: %d\n", root);

    /* /proc/sys */
    struct utsname u;
    uname(&u);
    slurp("/proc/sys/kernel/ostype", buf, sizeof buf);
    printf("ostype: %s", buf);
    slurp("/proc/sys/kernel/osrelease", buf, sizeof buf);
    printf("osrelease is uname's: %d\n", strncmp(buf, u.release, strlen(u.release)) == 0);
    slurp("/proc/sys/kernel/hostname", buf, sizeof buf);
    printf("hostname is uname's: %d\n", strncmp(buf, u.nodename, strlen(u.nodename)) == 0);
    slurp("/proc/sys/kernel/pid_max", buf, sizeof buf);
    printf("pid_max at least 32768: %d\n", atol(buf) >= 32768);
    slurp("/proc/sys/vm/overcommit_memory", buf, sizeof buf);
    printf("overcommit_memory: %s", buf);
    char old[65];
    snprintf(old, sizeof old, "%s", u.nodename);
    fd = open("/proc/sys/kernel/hostname", O_WRONLY);
    printf("write hostname: %s\n", write(fd, "procname\n", 9) == 9 ? "9" : errname(errno));
    close(fd);
    uname(&u);
    printf("uname now: %s\n", u.nodename);
    sethostname(old, strlen(old));

    /* comm */
    fd = open("/proc/self/comm", O_WRONLY);
    printf("write comm: %s\n", write(fd, "renamed", 7) == 7 ? "7" : errname(errno));
    close(fd);
    prctl(PR_GET_NAME, buf);
    printf("PR_GET_NAME: %s\n", buf);
    slurp("/proc/self/comm", buf, sizeof buf);
    printf("comm reads: %s", buf);
    pthread_t th;
    pthread_create(&th, NULL, named, NULL);
    pthread_join(th, NULL);
    prctl(PR_GET_NAME, buf);
    printf("the main thread kept: %s\n", buf);

    /* capget as root */
    struct caphdr h = {0x20080522, 0};
    struct capdata d[2];
    memset(d, 0xaa, sizeof d);
    long r = syscall(SYS_capget, &h, d);
    printf("capget: %ld eff %x %x perm %x %x inh %x %x\n", r, d[0].effective, d[1].effective,
           d[0].permitted, d[1].permitted, d[0].inheritable, d[1].inheritable);
    h.version = 0x1234;
    r = syscall(SYS_capget, &h, d);
    printf("capget bad version: %s, version now %x\n", r < 0 ? errname(errno) : "ok", h.version);
    h.version = 0x20080522;
    h.pid = 0x3ffffff0;
    printf("capget of no process: %s\n", syscall(SYS_capget, &h, d) < 0 ? errname(errno) : "ok");
    h.pid = 0;
    r = syscall(SYS_capget, &h, NULL);
    printf("capget with no data: %ld\n", r);
    return 0;
}
