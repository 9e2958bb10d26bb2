/*
 * Files: open flags (O_CREAT|O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW), read and
 * write positions, lseek, pread/pwrite, dup/dup2/dup3 and shared offsets, fcntl descriptor and
 * status flags, F_DUPFD(_CLOEXEC), stat fields, directory listing, rename (over files and
 * directories), link counts, symlinks, unlink of an open file, rmdir of a non-empty directory,
 * truncate, umask, and the errors of each.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <utime.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "errname.h"

static void listdir(const char *d)
{
    DIR *dir = opendir(d);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)) && n < 64)
        names[n++] = strdup(e->d_name);
    if (dir)
        closedir(dir);
    /* sorted: the order of a listing is the file system's own */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *x = names[i];
                names[i] = names[j];
                names[j] = x;
            }
    printf("%s:", d);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]), free(names[i]);
    printf("\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(022);
    int fd = open("f", O_CREAT | O_EXCL | O_RDWR, 0666);
    printf("created fd %d\n", fd >= 0);
    SHOW("O_EXCL again", open("f", O_CREAT | O_EXCL | O_RDWR, 0666));
    SHOW("write", write(fd, "hello world\n", 12));
    SHOW("lseek cur", lseek(fd, 0, SEEK_CUR));
    SHOW("lseek set 6", lseek(fd, 6, SEEK_SET));
    char buf[64] = {0};
    SHOW("read", read(fd, buf, sizeof buf));
    printf("got [%s]\n", strtok(buf, "\n"));
    SHOW("lseek end", lseek(fd, 0, SEEK_END));
    SHOW("lseek negative", lseek(fd, -100, SEEK_SET));
    SHOW("pwrite at 20", pwrite(fd, "X", 1, 20));
    struct stat st;
    fstat(fd, &st);
    printf("size %ld mode %o nlink %ld regular %d\n", (long)st.st_size, st.st_mode & 07777,
           (long)st.st_nlink, S_ISREG(st.st_mode));
    memset(buf, 'z', sizeof buf);
    SHOW("pread hole", pread(fd, buf, 10, 12));
    printf("hole bytes zero %d\n", buf[0] == 0 && buf[7] == 0 && buf[8] == 'X');
    /* dup shares the offset; fcntl flags */
    int d = dup(fd);
    lseek(fd, 2, SEEK_SET);
    printf("dup shares offset %d\n", lseek(d, 0, SEEK_CUR) == 2);
    SHOW("dup2 to 10", dup2(fd, 10));
    SHOW("dup3 same fd", dup3(10, 10, 0));
    SHOW("dup2 same fd", dup2(10, 10));
    SHOW("F_GETFD", fcntl(10, F_GETFD));
    SHOW("F_DUPFD_CLOEXEC >= 20", fcntl(fd, F_DUPFD_CLOEXEC, 20));
    SHOW("F_GETFD of it", fcntl(20, F_GETFD));
    SHOW("F_GETFL accmode", fcntl(fd, F_GETFL) & O_ACCMODE);
    fcntl(fd, F_SETFL, O_APPEND);
    printf("append set %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    lseek(fd, 0, SEEK_SET);
    write(fd, "end", 3);
    fstat(fd, &st);
    printf("append wrote at the end: size %ld\n", (long)st.st_size);
    SHOW("close", close(d));
    SHOW("close again", close(d));
    SHOW("read bad fd", read(99, buf, 1));
    SHOW("write to O_RDONLY", write(open("f", O_RDONLY), "x", 1));
    /* writev */
    struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    int g = open("g", O_CREAT | O_TRUNC | O_WRONLY, 0600);
    SHOW("writev", writev(g, iov, 3));
    close(g);
    /* truncate, O_TRUNC */
    SHOW("truncate to 4", truncate("f", 4));
    stat("f", &st);
    printf("size after truncate %ld\n", (long)st.st_size);
    close(open("f", O_WRONLY | O_TRUNC));
    stat("f", &st);
    printf("size after O_TRUNC %ld\n", (long)st.st_size);
    /* directories */
    SHOW("mkdir", mkdir("d", 0755));
    SHOW("mkdir again", mkdir("d", 0755));
    SHOW("open dir O_WRONLY", open("d", O_WRONLY));
    SHOW("O_DIRECTORY on a file", open("f", O_RDONLY | O_DIRECTORY));
    SHOW("mkdir under a file", mkdir("f/x", 0755));
    close(open("d/a", O_CREAT | O_WRONLY, 0644));
    SHOW("rmdir non-empty", rmdir("d"));
    SHOW("unlink a directory", unlink("d"));
    SHOW("rmdir a file", rmdir("f"));
    listdir("d");
    stat("d", &st);
    printf("dir nlink %ld\n", (long)st.st_nlink);
    mkdir("d/sub", 0755);
    stat("d", &st);
    printf("dir nlink with a subdir %ld\n", (long)st.st_nlink);
    /* links */
    SHOW("link", link("f", "f2"));
    stat("f", &st);
    printf("nlink after link %ld\n", (long)st.st_nlink);
    SHOW("link over existing", link("f", "g"));
    SHOW("link a directory", link("d", "d2"));
    SHOW("symlink", symlink("f", "sl"));
    char target[64] = {0};
    SHOW("readlink", readlink("sl", target, sizeof target));
    printf("target [%s]\n", target);
    SHOW("readlink a file", readlink("f", target, sizeof target));
    lstat("sl", &st);
    printf("lstat is link %d, stat is reg %d\n", S_ISLNK(st.st_mode), (stat("sl", &st), S_ISREG(st.st_mode)));
    SHOW("O_NOFOLLOW on a link", open("sl", O_RDONLY | O_NOFOLLOW));
    symlink("loop2", "loop1");
    symlink("loop1", "loop2");
    SHOW("symlink loop", open("loop1", O_RDONLY));
    SHOW("dangling", open("nowhere", O_RDONLY));
    symlink("nowhere", "dl");
    SHOW("open dangling link", open("dl", O_RDONLY));
    /* rename */
    SHOW("rename file over file", rename("f2", "g"));
    stat("f", &st);
    printf("nlink after rename over %ld\n", (long)st.st_nlink);
    SHOW("rename dir over file", rename("d/sub", "g"));
    SHOW("rename file over dir", rename("g", "d/sub"));
    SHOW("rename dir into itself", rename("d", "d/sub/x"));
    mkdir("e", 0755);
    SHOW("rename dir over empty dir", rename("d/sub", "e"));
    SHOW("rename missing", rename("missing", "x"));
    listdir(".");
    listdir("d");
    /* unlink while open */
    int h = open("g", O_RDONLY);
    SHOW("unlink open file", unlink("g"));
    SHOW("read after unlink", read(h, buf, 5));
    SHOW("stat unlinked", stat("g", &st));
    /* umask */
    umask(077);
    close(open("m", O_CREAT | O_WRONLY, 0666));
    stat("m", &st);
    printf("mode with umask 077: %o\n", st.st_mode & 0777);
    SHOW("chmod", chmod("m", 0640));
    stat("m", &st);
    printf("mode after chmod: %o\n", st.st_mode & 07777);
    SHOW("getcwd ok", getcwd(buf, sizeof buf) != NULL);
    SHOW("chdir d", chdir("d"));
    SHOW("chdir a file", chdir("../m"));
    SHOW("access F_OK", access("a", F_OK));
    SHOW("access missing", access("zz", F_OK));
    /* FIONREAD on a regular file: what is left after the position (negative past the end) */
    int rf = open("../m", O_RDWR | O_TRUNC);
    write(rf, "0123456789", 10);
    lseek(rf, 3, SEEK_SET);
    int avail = -1;
    SHOW("FIONREAD", ioctl(rf, FIONREAD, &avail));
    printf("  %d bytes\n", avail);
    lseek(rf, 15, SEEK_SET);
    ioctl(rf, FIONREAD, &avail);
    printf("  past the end: %d\n", avail);
    close(rf);
    /* renameat2 RENAME_EXCHANGE: two names swap what they name */
    mkdir("../xd", 0755);
    int xf = open("../xf", O_CREAT | O_WRONLY, 0644);
    write(xf, "file", 4);
    close(xf);
    SHOW("exchange a file and a directory", syscall(SYS_renameat2, AT_FDCWD, "../xf", AT_FDCWD, "../xd", 2));
    struct stat sx, sd;
    stat("../xf", &sx);
    stat("../xd", &sd);
    printf("  xf is a directory %d, xd is a file of %ld bytes\n", S_ISDIR(sx.st_mode) != 0,
           S_ISREG(sd.st_mode) ? (long)sd.st_size : -1l);
    SHOW("exchange with a missing name", syscall(SYS_renameat2, AT_FDCWD, "../xf", AT_FDCWD, "../nope", 2));
    SHOW("NOREPLACE|EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "../xf", AT_FDCWD, "../xd", 3));
    SHOW("exchange a directory into itself", syscall(SYS_renameat2, AT_FDCWD, "..", AT_FDCWD, "../xf", 2));
    SHOW("RENAME_NOREPLACE onto a name", syscall(SYS_renameat2, AT_FDCWD, "../xd", AT_FDCWD, "../xf", 1));
    /* the older time calls: utime, utimes, futimesat */
    struct timeval tvs[2] = {{1000000000, 250000}, {1100000000, 500000}};
    SHOW("utimes", utimes("../xd", tvs));
    struct stat su;
    stat("../xd", &su);
    printf("  atime %ld.%09ld mtime %ld.%09ld\n", (long)su.st_atim.tv_sec, su.st_atim.tv_nsec,
           (long)su.st_mtim.tv_sec, su.st_mtim.tv_nsec);
    struct utimbuf ub = {1200000000, 1300000000};
    SHOW("utime", utime("../xd", &ub));
    stat("../xd", &su);
    printf("  atime %ld mtime %ld nsec %ld\n", (long)su.st_atime, (long)su.st_mtime, su.st_mtim.tv_nsec);
    int dfd = open("..", O_RDONLY | O_DIRECTORY);
    SHOW("futimesat", syscall(SYS_futimesat, dfd, "xd", tvs));
    stat("../xd", &su);
    printf("  mtime %ld\n", (long)su.st_mtime);
    close(dfd);
    struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
    SHOW("utimes usec out of range", utimes("../xd", badtv));
    SHOW("utimes missing file", utimes("../nope", tvs));
    return 0;
}
