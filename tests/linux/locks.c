/*
 * File locks: fcntl record locks between processes (F_GETLK's report, conflicts, merging,
 * ranges with whence and negative lengths, the errors), the POSIX rule that any close of the
 * file drops the process's locks, F_SETLKW waiting and EDEADLK, open-file-description locks
 * (conflicting within one process, and with POSIX locks), and flock (shared, exclusive,
 * LOCK_NB, shared by dup, independent of fcntl locks), all dropped when their owner goes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static pid_t parent;

static int lk(int fd, int cmd, int type, int whence, long start, long len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = (short)type;
    fl.l_whence = (short)whence;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl) < 0 ? -errno : 0;
}

static const char *r(int rc)
{
    return rc < 0 ? errname(-rc) : "0";
}

static const char *tname(int t)
{
    return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?";
}

static void getlk(const char *what, int fd, int cmd, int type, long start, long len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = (short)type;
    fl.l_start = start;
    fl.l_len = len;
    if (fcntl(fd, cmd, &fl) < 0) {
        printf("%s: %s\n", what, errname(errno));
        return;
    }
    if (fl.l_type == F_UNLCK)
        printf("%s: unlocked\n", what);
    else
        printf("%s: %s start %ld len %ld pid %s\n", what, tname(fl.l_type), (long)fl.l_start,
               (long)fl.l_len, fl.l_pid == parent ? "parent" : fl.l_pid == -1 ? "-1" : "other");
}

/* Wait until process pid sleeps (its /proc/PID/stat state is S). */
static void wait_sleeping(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (;;) {
        int f = open(path, O_RDONLY);
        ssize_t n = f >= 0 ? read(f, buf, sizeof buf - 1) : -1;
        if (f >= 0)
            close(f);
        if (n > 0) {
            buf[n] = 0;
            char *e = strrchr(buf, ')');
            if (e && e[1] == ' ' && e[2] == 'S')
                return;
        }
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    parent = getpid();
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    write(fd, "0123456789012345678901234567890123456789", 40);
    getlk("nothing locked", fd, F_GETLK, F_WRLCK, 0, 0);
    printf("WR 0..9: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
    printf("RD 20..29: %s\n", r(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10)));
    printf("RD 30..39: %s\n", r(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 30, 10)));
    getlk("own locks never conflict", fd, F_GETLK, F_WRLCK, 0, 0);
    pid_t c = fork();
    if (c == 0) {
        getlk("child: WR at 5", fd, F_GETLK, F_WRLCK, 5, 1);
        getlk("child: WR over 25..34 (merged)", fd, F_GETLK, F_WRLCK, 25, 10);
        getlk("child: RD over 20..39", fd, F_GETLK, F_RDLCK, 20, 20);
        printf("child: RD 5..: %s\n", r(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, 0)));
        printf("child: WR 10..19: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10)));
        printf("child: RD 25..26: %s\n", r(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 25, 2)));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    getlk("child's locks went with it", fd, F_GETLK, F_WRLCK, 10, 10);

    /* unlock the middle of a lock: it splits */
    printf("unlock 3..5: %s\n", r(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 3, 3)));
    c = fork();
    if (c == 0) {
        getlk("child: WR 0..9 after the split", fd, F_GETLK, F_WRLCK, 0, 10);
        getlk("child: WR 3..5", fd, F_GETLK, F_WRLCK, 3, 3);
        getlk("child: WR 5..9", fd, F_GETLK, F_WRLCK, 5, 5);
        _exit(0);
    }
    waitpid(c, NULL, 0);

    /* any close of the file drops the process's locks */
    int fd2 = open("f", O_RDONLY);
    close(fd2);
    c = fork();
    if (c == 0) {
        getlk("child: after the parent closed another descriptor", fd, F_GETLK, F_WRLCK, 0, 0);
        _exit(0);
    }
    waitpid(c, NULL, 0);

    /* whence and negative lengths */
    lseek(fd, 15, SEEK_SET);
    printf("WR at CUR-5 len 3: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, -5, 3)));
    printf("WR at END len -2: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_END, 0, -2)));
    c = fork();
    if (c == 0) {
        getlk("child: WR over all", fd, F_GETLK, F_WRLCK, 0, 0);
        getlk("child: WR 30..", fd, F_GETLK, F_WRLCK, 30, 0);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("unlock all: %s\n", r(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0)));

    /* errors */
    printf("bad type: %s\n", r(lk(fd, F_SETLK, 7, SEEK_SET, 0, 1)));
    printf("bad whence: %s\n", r(lk(fd, F_SETLK, F_WRLCK, 9, 0, 1)));
    printf("negative start: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1)));
    printf("length reaching below 0: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, -5)));
    getlk("F_GETLK of F_UNLCK", fd, F_GETLK, F_UNLCK, 0, 1);
    int ro = open("f", O_RDONLY), wo = open("f", O_WRONLY);
    printf("WR on O_RDONLY: %s\n", r(lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
    printf("RD on O_WRONLY: %s\n", r(lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1)));
    printf("bad pointer: %s\n", fcntl(fd, F_SETLK, (void *)8) < 0 ? errname(errno) : "0");
    close(ro), close(wo);

    /* F_SETLKW waits for the holder; EDEADLK when the wait would close a cycle */
    int p[2];
    pipe(p);
    printf("WR 0..0: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
    c = fork();
    if (c == 0) {
        printf("child: WR 1..1: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1)));
        write(p[1], "x", 1);
        int rc = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        _exit(rc == 0 ? 0 : -rc); /* (its status is printed in order by the parent) */
    }
    char ch;
    read(p[0], &ch, 1);
    wait_sleeping(c); /* the child waits for our lock */
    printf("SETLKW 1..1 (the child waits for us): %s\n", r(lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1)));
    printf("unlock 0..0: %s\n", r(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1)));
    int cst;
    waitpid(c, &cst, 0);
    printf("child: SETLKW 0..0 after the parent let go: %s\n", r(-WEXITSTATUS(cst)));

    /* open-file-description locks */
    int a = open("f", O_RDWR), b = open("f", O_RDWR);
    printf("OFD WR on a: %s\n", r(lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5)));
    printf("OFD WR on b, same process: %s\n", r(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5)));
    printf("POSIX WR, same process: %s\n", r(lk(b, F_SETLK, F_WRLCK, SEEK_SET, 2, 1)));
    getlk("OFD GETLK through b", b, F_OFD_GETLK, F_RDLCK, 0, 1);
    struct flock bad;
    memset(&bad, 0, sizeof bad);
    bad.l_type = F_RDLCK;
    bad.l_pid = 5;
    printf("OFD with l_pid set: %s\n", fcntl(b, F_OFD_SETLK, &bad) < 0 ? errname(errno) : "0");
    int a2 = dup(a);
    close(a);
    printf("a's lock kept by its dup: %s\n", r(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5)));
    close(a2);
    printf("after the last close: %s\n", r(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5)));
    close(b);

    /* flock */
    a = open("f", O_RDONLY), b = open("f", O_RDONLY);
    printf("flock EX a: %s\n", flock(a, LOCK_EX) ? errname(errno) : "0");
    printf("flock EX|NB b: %s\n", flock(b, LOCK_EX | LOCK_NB) ? errname(errno) : "0");
    printf("flock SH|NB b: %s\n", flock(b, LOCK_SH | LOCK_NB) ? errname(errno) : "0");
    a2 = dup(a);
    printf("flock EX on a's dup: %s\n", flock(a2, LOCK_EX | LOCK_NB) ? errname(errno) : "0");
    printf("fcntl WR lock beside it: %s\n", r(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0)));
    printf("flock SH a (conversion): %s\n", flock(a, LOCK_SH) ? errname(errno) : "0");
    printf("flock SH|NB b now: %s\n", flock(b, LOCK_SH | LOCK_NB) ? errname(errno) : "0");
    printf("flock UN a, UN b: %s %s\n", flock(a, LOCK_UN) ? errname(errno) : "0",
           flock(b, LOCK_UN) ? errname(errno) : "0");
    printf("flock bad op: %s\n", flock(a, 3) ? errname(errno) : "0");
    printf("flock bad fd: %s\n", flock(99, LOCK_SH) ? errname(errno) : "0");
    c = fork();
    if (c == 0) {
        flock(a, LOCK_EX); /* the child's a is the same open file: shared lock owner */
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("flock EX|NB b after the child locked a (shared open file): %s\n",
           flock(b, LOCK_EX | LOCK_NB) ? errname(errno) : "0");
    close(a), close(a2);
    printf("flock EX|NB b after a's last close: %s\n", flock(b, LOCK_EX | LOCK_NB) ? errname(errno) : "0");
    close(b);
    close(fd);
    return 0;
}
