/*
 * O_TMPFILE: an unnamed regular file in a directory's file system (no link, the umask
 * applied), readable and writable through its descriptor, that linkat(AT_EMPTY_PATH) can
 * name unless it was made with O_EXCL; the flag errors; and an ordinary file that was
 * unlinked cannot be linked again. Run as root (the driver is). Prints only what must match.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"

#define NAMED "/tmp/tmpfile-named"
#define AGAIN "/tmp/tmpfile-again"

static void result(const char *what, long rc)
{
    printf("%s: %s\n", what, rc < 0 ? errname(errno) : "ok");
}

int main(void)
{
    unlink(NAMED);
    unlink(AGAIN);
    umask(022);
    int fd = open("/tmp", O_TMPFILE | O_RDWR, 0666);
    result("open O_TMPFILE", fd);
    struct stat st;
    fstat(fd, &st);
    printf("regular %d, links %ld, mode %o, size %ld\n", S_ISREG(st.st_mode), (long)st.st_nlink,
           (unsigned)(st.st_mode & 07777), (long)st.st_size);
    if (write(fd, "hello", 5) != 5)
        printf("write: %s\n", errname(errno));
    char buf[16] = "";
    printf("read back: %zd %.5s\n", pread(fd, buf, sizeof buf, 0), buf);
    result("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, NAMED, AT_EMPTY_PATH));
    fstat(fd, &st);
    printf("links after linkat: %ld\n", (long)st.st_nlink);
    int r = open(NAMED, O_RDONLY);
    memset(buf, 0, sizeof buf);
    printf("by its name: %zd %.5s\n", read(r, buf, sizeof buf), buf);
    close(r);
    result("a second name", linkat(fd, "", AT_FDCWD, AGAIN, AT_EMPTY_PATH));
    close(fd);
    unlink(NAMED);
    unlink(AGAIN);

    fd = open("/tmp", O_TMPFILE | O_WRONLY | O_EXCL, 0600);
    result("open O_TMPFILE|O_EXCL", fd);
    result("linkat of an O_EXCL one", linkat(fd, "", AT_FDCWD, NAMED, AT_EMPTY_PATH));
    close(fd);

    result("O_TMPFILE read-only", open("/tmp", O_TMPFILE | O_RDONLY, 0600));
    result("O_TMPFILE with O_CREAT", open("/tmp", O_TMPFILE | O_CREAT | O_RDWR, 0600));
    int plain = open("/tmp/tmpfile-plain", O_RDWR | O_CREAT | O_TRUNC, 0600);
    result("O_TMPFILE on a file", open("/tmp/tmpfile-plain", O_TMPFILE | O_RDWR, 0600));
    result("O_TMPFILE in no directory", open("/tmp/no-such-dir", O_TMPFILE | O_RDWR, 0600));

    /* an ordinary file, unlinked: no new name */
    unlink("/tmp/tmpfile-plain");
    result("linkat of an unlinked file", linkat(plain, "", AT_FDCWD, NAMED, AT_EMPTY_PATH));
    close(plain);
    result("linkat AT_EMPTY_PATH of AT_FDCWD", linkat(AT_FDCWD, "", AT_FDCWD, NAMED, AT_EMPTY_PATH));
    return 0;
}
