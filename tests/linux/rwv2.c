/*
 * preadv2/pwritev2: offset -1 is the file position (moved), another offset leaves it alone;
 * RWF_APPEND writes at the end; RWF_SYNC/DSYNC/HIPRI change nothing a reader sees; unknown
 * flags are EOPNOTSUPP; bad offsets EINVAL. Prints only what must match Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "errname.h"

/* (musl lacks these) */
#ifndef RWF_HIPRI
#define RWF_HIPRI 1
#define RWF_DSYNC 2
#define RWF_SYNC 4
#define RWF_APPEND 16
#endif

/* the raw calls (C libraries differ in what they check first) */
static long pv2(int nr, int fd, struct iovec *iov, int n, long pos, int flags)
{
    long r = syscall(nr, fd, iov, n, pos, 0, flags);
    return r < 0 ? -errno : r;
}

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%s: %s\n", what, errname((int)-r));
    else
        printf("%s: %ld\n", what, r);
}

int main(void)
{
    int fd = open("/tmp/rwv2", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char a[] = "hello ", b[] = "world";
    struct iovec w[2] = {{a, 6}, {b, 5}};
    show("pwritev2 at -1", pv2(SYS_pwritev2, fd, w, 2, -1, 0));
    printf("position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    show("pwritev2 at 0, RWF_SYNC", pv2(SYS_pwritev2, fd, w, 1, 0, RWF_SYNC));
    printf("position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    char x[] = "!!";
    struct iovec app = {x, 2};
    show("pwritev2 at 0, RWF_APPEND", pv2(SYS_pwritev2, fd, &app, 1, 0, RWF_APPEND));
    printf("position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    show("pwritev2 at -1, RWF_APPEND", pv2(SYS_pwritev2, fd, &app, 1, -1, RWF_APPEND));
    printf("position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    char r1[8] = "", r2[16] = "";
    struct iovec rv[2] = {{r1, 5}, {r2, 15}};
    show("preadv2 at 0, RWF_HIPRI", pv2(SYS_preadv2, fd, rv, 2, 0, RWF_HIPRI));
    printf("read: [%s][%s]\n", r1, r2);
    lseek(fd, 6, SEEK_SET);
    memset(r1, 0, sizeof r1);
    struct iovec one = {r1, 5};
    show("preadv2 at -1", pv2(SYS_preadv2, fd, &one, 1, -1, RWF_DSYNC));
    printf("read: [%s], position %ld\n", r1, (long)lseek(fd, 0, SEEK_CUR));
    show("preadv2 bad flags", pv2(SYS_preadv2, fd, &one, 1, 0, 0x100));
    show("pwritev2 bad flags", pv2(SYS_pwritev2, fd, &one, 1, 0, 0x100));
    show("preadv2 at -2", pv2(SYS_preadv2, fd, &one, 1, -2, 0));
    show("preadv2 bad fd", pv2(SYS_preadv2, 77, &one, 1, 0, 0));
    /* a plain write after the RWF_APPEND ones is where the position is, not appended */
    lseek(fd, 0, SEEK_SET);
    if (write(fd, "H", 1) != 1)
        printf("write: %s\n", errname(errno));
    char all[32] = "";
    printf("file: %zd [%s]\n", pread(fd, all, sizeof all - 1, 0), all);
    close(fd);
    unlink("/tmp/rwv2");
    return 0;
}
