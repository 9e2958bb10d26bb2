/*
 * memfd_create and seals; POSIX shared memory in /dev/shm; msync. A memfd is an unnamed
 * 0777 regular file ("/memfd:NAME (deleted)"); its flags and name length are checked; it is
 * written, truncated and mapped shared like a tmpfs file. Seals: none to add without
 * MFD_ALLOW_SEALING; SHRINK, GROW and WRITE refuse what they name (EPERM), WRITE waits for
 * shared writable mappings to go (EBUSY), SEAL ends the adding; a read-only descriptor adds
 * none. shm_open in one process, the same bytes in another. msync's checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif

static int mfd(const char *name, unsigned flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("bad flags: %s\n", res(mfd("x", 0x100)));
    char longname[300];
    memset(longname, 'n', sizeof longname);
    longname[250] = '\0';
    printf("250-byte name: %s\n", res(mfd(longname, 0)));
    longname[249] = '\0';
    int l = mfd(longname, 0);
    printf("249-byte name: %d\n", l >= 0);
    close(l);
    printf("bad name address: %s\n", res(mfd((const char *)8, 0)));

    int fd = mfd("skoll", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    struct stat st;
    fstat(fd, &st);
    printf("memfd: regular %d mode %o size %ld nlink %lu cloexec %d\n", S_ISREG(st.st_mode),
           (unsigned)(st.st_mode & 07777), (long)st.st_size, (unsigned long)st.st_nlink,
           (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    char link[128], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = '\0';
    printf("link: %s\n", link);
    printf("write: %s\n", res(write(fd, "hello memfd", 11)));
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mapped: %.11s\n", m);
    m[0] = 'J';
    char buf[32] = {0};
    pread(fd, buf, 11, 0);
    printf("read after a store: %s\n", buf);
    printf("seals: %d\n", fcntl(fd, F_GET_SEALS));

    /* SHRINK and GROW */
    printf("add SHRINK: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)));
    printf("shrink: %s\n", res(ftruncate(fd, 5)));
    printf("grow: %s\n", res(ftruncate(fd, 8192)));
    printf("add GROW: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)));
    printf("grow again: %s\n", res(ftruncate(fd, 16384)));
    printf("write past the end: %s\n", res(pwrite(fd, "x", 1, 8192)));
    printf("write inside: %s\n", res(pwrite(fd, "y", 1, 100)));
    /* WRITE waits for the shared writable mapping */
    printf("add WRITE while mapped writable: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    munmap(m, 4096);
    printf("add WRITE: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    printf("write: %s\n", res(pwrite(fd, "z", 1, 0)));
    void *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("map shared writable: %s\n", w == MAP_FAILED ? errname(errno) : "ok");
    void *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("map shared read-only: %s\n", r == MAP_FAILED ? errname(errno) : "ok");
    void *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("map private writable: %s\n", pv == MAP_FAILED ? errname(errno) : "ok");
    printf("seals now: %d\n", fcntl(fd, F_GET_SEALS));
    printf("bad seal: %s\n", res(fcntl(fd, F_ADD_SEALS, 0x100)));
    int ro = open(path, O_RDONLY);
    printf("add from a read-only descriptor: %s\n", res(fcntl(ro, F_ADD_SEALS, F_SEAL_SEAL)));
    close(ro);
    printf("add SEAL: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL)));
    printf("add after SEAL: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)));
    printf("open O_TRUNC through /proc: %s\n", res(open(path, O_RDWR | O_TRUNC)));
    close(fd);

    int plain = mfd("plain", 0);
    printf("without MFD_ALLOW_SEALING: seals %d, add %s\n", fcntl(plain, F_GET_SEALS),
           res(fcntl(plain, F_ADD_SEALS, F_SEAL_SHRINK)));
    close(plain);
    int p[2];
    pipe(p);
    printf("seals of a pipe: %s\n", res(fcntl(p[0], F_GET_SEALS)));
    close(p[0]), close(p[1]);

    /* POSIX shared memory */
    stat("/dev/shm", &st);
    printf("/dev/shm: dir %d mode %o\n", S_ISDIR(st.st_mode), (unsigned)(st.st_mode & 07777));
    shm_unlink("/skoll-shm");
    int s = shm_open("/skoll-shm", O_CREAT | O_EXCL | O_RDWR, 0600);
    printf("shm_open: %d\n", s >= 0);
    ftruncate(s, 4096);
    char *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    strcpy(sm, "from the parent");
    pid_t c = fork();
    if (c == 0) {
        int s2 = shm_open("/skoll-shm", O_RDWR, 0);
        char *cm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s2, 0);
        int ok = cm != MAP_FAILED && strcmp(cm, "from the parent") == 0;
        if (ok)
            strcpy(cm, "from the child");
        _exit(ok ? 0 : 1);
    }
    int cst;
    waitpid(c, &cst, 0);
    printf("child saw it: %d, parent sees: %s\n", WEXITSTATUS(cst) == 0, sm);
    printf("shm_open O_EXCL again: %s\n", res(shm_open("/skoll-shm", O_CREAT | O_EXCL | O_RDWR, 0600)));
    printf("shm_unlink: %s\n", res(shm_unlink("/skoll-shm")));
    printf("shm_unlink again: %s\n", res(shm_unlink("/skoll-shm")));
    printf("still mapped: %s\n", sm);

    /* msync */
    printf("msync: %s\n", res(msync(sm, 4096, MS_SYNC)));
    printf("msync async: %s\n", res(msync(sm, 100, MS_ASYNC)));
    printf("msync unaligned: %s\n", res(msync(sm + 1, 100, MS_SYNC)));
    printf("msync both: %s\n", res(msync(sm, 4096, MS_SYNC | MS_ASYNC)));
    printf("msync bad flag: %s\n", res(msync(sm, 4096, 8)));
    printf("msync zero length: %s\n", res(msync(sm, 0, MS_SYNC)));
    munmap(sm, 4096);
    printf("msync unmapped: %s\n", res(msync(sm, 4096, MS_SYNC)));
    return 0;
}
