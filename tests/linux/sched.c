/*
 * Scheduling calls and statx: the CPU affinity (read, narrowed to one CPU and read back, the
 * errors), the policies (SCHED_OTHER and SCHED_BATCH set and read back, priority ranges, a
 * non-root real-time request refused), and statx beside stat (the basic fields, the mount-root
 * attribute, AT_EMPTY_PATH, the errors).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define STATX_BASIC_STATS_ 0x7ffU
/* Linux's struct statx (musl's headers lack it) */
struct statx_ts {
    long long tv_sec;
    unsigned tv_nsec;
    int pad;
};
struct statx_ {
    unsigned stx_mask, stx_blksize;
    unsigned long long stx_attributes;
    unsigned stx_nlink, stx_uid, stx_gid;
    unsigned short stx_mode, pad1;
    unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
    unsigned stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    unsigned long long spare[14];
};

static const char *rc(long r)
{
    static char buf[32];
    if (r < 0)
        return errname(errno);
    snprintf(buf, sizeof buf, "%ld", r);
    return buf;
}

static void affinity(void)
{
    unsigned long mask[16] = {0};
    long r = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    int n = __builtin_popcountl(mask[0]);
    printf("getaffinity: returns %s, CPU 0 in it %d, at least one CPU %d\n", rc(r),
           (int)(mask[0] & 1), n >= 1);
    unsigned long one = 1;
    printf("setaffinity CPU 0: %s\n", rc(syscall(SYS_sched_setaffinity, 0, sizeof one, &one)));
    mask[0] = 0;
    syscall(SYS_sched_getaffinity, getpid(), sizeof mask, mask);
    printf("now: %#lx\n", mask[0]);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned long m = 0;
        syscall(SYS_sched_getaffinity, 0, sizeof m, &m);
        printf("fork child inherits: %#lx\n", m);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("getaffinity length 4: %s\n", rc(syscall(SYS_sched_getaffinity, 0, 4, mask)));
    printf("getaffinity length 0: %s\n", rc(syscall(SYS_sched_getaffinity, 0, 0, mask)));
    printf("getaffinity pid -1: %s\n", rc(syscall(SYS_sched_getaffinity, -1, sizeof mask, mask)));
    printf("getaffinity bad pointer: %s\n", rc(syscall(SYS_sched_getaffinity, 0, 8, (void *)8)));
    unsigned long none = 1ul << 63;
    printf("setaffinity no online CPU: %s\n", rc(syscall(SYS_sched_setaffinity, 0, 8, &none)));
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < 64; i++)
        CPU_SET(i, &all);
    printf("setaffinity every CPU: %s\n", rc(sched_setaffinity(0, sizeof all, &all)));
}

static void policies(void)
{
    struct sched_param sp;
    memset(&sp, 0, sizeof sp);
    printf("getscheduler: %s\n", rc(sched_getscheduler(0)));
    printf("setscheduler BATCH: %s\n", rc(syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp)));
    printf("getscheduler: %s\n", rc(sched_getscheduler(0)));
    printf("setparam priority 0: %s\n", rc(syscall(SYS_sched_setparam, 0, &sp)));
    sp.sched_priority = 5;
    printf("setparam priority 5: %s\n", rc(syscall(SYS_sched_setparam, 0, &sp)));
    printf("setscheduler OTHER priority 5: %s\n",
           rc(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp)));
    sp.sched_priority = 0;
    printf("setscheduler OTHER: %s\n", rc(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp)));
    printf("setscheduler FIFO priority 0: %s\n",
           rc(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp)));
    printf("setscheduler policy 77: %s\n", rc(syscall(SYS_sched_setscheduler, 0, 77, &sp)));
    printf("setscheduler NULL param: %s\n", rc(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL)));
    printf("getscheduler pid -1: %s\n", rc(sched_getscheduler(-1)));
    sp.sched_priority = 42;
    long gp = syscall(SYS_sched_getparam, 0, &sp);
    printf("getparam: %s, priority %d\n", rc(gp), sp.sched_priority);
    printf("getscheduler (raw): %s\n", rc(syscall(SYS_sched_getscheduler, 0)));
    printf("priorities FIFO %ld..%ld RR %ld..%ld OTHER %ld..%ld, policy 77: %s\n",
           (long)sched_get_priority_min(SCHED_FIFO), (long)sched_get_priority_max(SCHED_FIFO),
           (long)sched_get_priority_min(SCHED_RR), (long)sched_get_priority_max(SCHED_RR),
           (long)sched_get_priority_min(SCHED_OTHER), (long)sched_get_priority_max(SCHED_OTHER),
           rc(sched_get_priority_max(77)));
    pid_t pid = fork();
    if (pid == 0) {
        setuid(1000);
        struct sched_param rt;
        memset(&rt, 0, sizeof rt);
        rt.sched_priority = 50;
        printf("non-root FIFO 50: %s\n", rc(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &rt)));
        printf("non-root setaffinity of pid 1: %s\n",
               rc(syscall(SYS_sched_setaffinity, 1, 8, &(unsigned long){1})));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void show_statx(const char *what, int dirfd, const char *path, int flags)
{
    struct statx_ sx;
    memset(&sx, 0, sizeof sx);
    long r = syscall(SYS_statx, dirfd, path, flags, STATX_BASIC_STATS_, &sx);
    if (r < 0) {
        printf("statx %s: %s\n", what, errname(errno));
        return;
    }
    struct stat st;
    int same = 1;
    if (path && path[0] && stat(path, &st) == 0)
        same = st.st_ino == sx.stx_ino && st.st_size == (off_t)sx.stx_size &&
               st.st_mode == sx.stx_mode && st.st_nlink == sx.stx_nlink &&
               st.st_mtim.tv_sec == sx.stx_mtime.tv_sec &&
               st.st_mtim.tv_nsec == (long)sx.stx_mtime.tv_nsec &&
               major(st.st_dev) == (unsigned)sx.stx_dev_major && minor(st.st_dev) == (unsigned)sx.stx_dev_minor;
    /* (a directory's mode is left out: Linux's initramfs root is tmpfs's default 1777,
       Skoll's root 0755 as on an installed system) */
    printf("statx %s: mask %#x mode %o nlink %u size %llu blksize %u mount-root %d agrees with stat %d\n",
           what, sx.stx_mask & (STATX_BASIC_STATS_ | 0x1000),
           S_ISDIR(sx.stx_mode) ? S_IFDIR : sx.stx_mode,
           path && strncmp(path, "/proc", 5) == 0 ? 0 : sx.stx_nlink, /* Linux's /proc has more */
           (unsigned long long)sx.stx_size, sx.stx_blksize,
           (sx.stx_attributes & 0x2000) != 0, same);
}

static void statxs(void)
{
    int fd = open("file", O_CREAT | O_RDWR, 0640);
    write(fd, "twelve bytes", 12);
    show_statx("file", AT_FDCWD, "file", 0);
    show_statx("/", AT_FDCWD, "/", 0);
    show_statx("/proc", AT_FDCWD, "/proc", 0);
    show_statx("AT_EMPTY_PATH", fd, "", AT_EMPTY_PATH);
    show_statx("empty path without the flag", fd, "", 0);
    show_statx("missing", AT_FDCWD, "missing", 0);
    show_statx("NULL path", AT_FDCWD, NULL, 0);
    show_statx("both sync flags", AT_FDCWD, "file", 0x6000);
    symlink("file", "link");
    show_statx("link, nofollow", AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW);
    struct statx_ sx;
    printf("statx reserved mask bit: %s\n",
           rc(syscall(SYS_statx, AT_FDCWD, "file", 0, 0x80000000u, &sx)));
    printf("statx bad buffer: %s\n", rc(syscall(SYS_statx, AT_FDCWD, "file", 0, STATX_BASIC_STATS_, (void *)8)));
    close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    affinity();
    policies();
    statxs();
    return 0;
}
