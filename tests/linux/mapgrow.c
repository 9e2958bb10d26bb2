/*
 * A file's shared mappings stay one with the file while it grows and shrinks: a mapping made
 * when the file was small sees what write() appends later (far past the first page, so the
 * file's pages had to grow) and write() sees what was stored through it; a touch past the end
 * of the file is SIGBUS with BUS_ADRERR and the address; ftruncate down takes the pages away
 * from every mapping (SIGBUS), the rest of the last page reads zeros, and growing again shows
 * zeros, not the old bytes; O_TRUNC does the same; a private mapping faults past the end
 * too; mremap may grow a file mapping past the end; a fork child's mapping follows the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define PG 4096
#define BIG (64 * PG)

static sigjmp_buf jb;
static volatile int sig, code;
static char *volatile addr;

static void fault(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    sig = s;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(jb, 1);
}

/* Touch p (write if w): "ok", or the signal, its code and whether the address was p. */
static void touch(const char *what, char *p, int w)
{
    sig = code = 0;
    addr = NULL;
    if (!sigsetjmp(jb, 1)) {
        if (w)
            *(volatile char *)p = 'w';
        else
            (void)*(volatile char *)p;
        printf("%s: ok\n", what);
    } else {
        printf("%s: %s code %d at the address %d\n", what, sig == SIGBUS ? "SIGBUS" : "other",
               code, addr == p);
    }
}

static void fill(int fd, off_t at, char c, size_t n)
{
    char buf[PG];
    memset(buf, c, sizeof buf);
    while (n) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        if (pwrite(fd, buf, k, at) != (ssize_t)k)
            printf("pwrite: %s\n", errname(errno));
        at += (off_t)k, n -= k;
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    int fd = open("/tmp/mapgrow", O_RDWR | O_CREAT | O_TRUNC, 0600);
    fill(fd, 0, 'a', 100);
    char *m = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mapped %d, first byte %c, rest of page zero %d\n", m != MAP_FAILED, m[0],
           m[100] == 0 && m[PG - 1] == 0);
    touch("past the end (page 1)", m + PG, 0);
    touch("far past the end", m + BIG - 1, 1);

    /* grow with write(): the old mapping sees every new page */
    fill(fd, PG, 'b', 40 * PG);
    printf("after growing: page 1 %c, page 40 %c, page 39 end %c\n", m[PG], m[40 * PG],
           m[40 * PG + PG - 1]);
    touch("page 41 (past the end)", m + 41 * PG, 0);
    m[30 * PG + 5] = 'M';
    char c = 0;
    pread(fd, &c, 1, 30 * PG + 5);
    printf("read sees the store: %c\n", c);

    /* a second mapping made now, and a fork child's view */
    char *m2 = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t pid = fork();
    if (pid == 0) {
        fill(fd, 41 * PG, 'k', PG); /* the child grows it */
        m[41 * PG + 1] = 'K';
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("the child's growth: %c %c %c\n", m[41 * PG], m[41 * PG + 1], m2[41 * PG + 1]);

    /* ftruncate down: the pages go from every mapping; the last page's tail is zero */
    m[5 * PG + 200] = 'z';
    printf("ftruncate to 5 pages + 100: %d\n", ftruncate(fd, 5 * PG + 100));
    printf("kept %c, tail zero %d\n", m[5 * PG + 99], m[5 * PG + 100] == 0 && m[5 * PG + 200] == 0);
    touch("page 6 after truncate", m + 6 * PG, 0);
    touch("page 30 via the second mapping", m2 + 30 * PG, 1);
    printf("ftruncate to 50 pages: %d\n", ftruncate(fd, 50 * PG));
    printf("zeros again: %d %d %d\n", m[30 * PG + 5] == 0, m2[41 * PG + 1] == 0,
           m[5 * PG + 200] == 0);
    struct stat sb;
    fstat(fd, &sb);
    printf("size %lld\n", (long long)sb.st_size);

    /* a private mapping past the end */
    char *p = mmap(NULL, 60 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p[0] = 'P';
    printf("private: %c, file keeps %c\n", p[0], m[0]);
    touch("private past the end", p + 55 * PG, 0);

    /* mremap a shared mapping larger than the file */
    char *r = mremap(m2, BIG, BIG + 16 * PG, MREMAP_MAYMOVE);
    printf("mremap past the end: %d\n", r != MAP_FAILED);
    if (r != MAP_FAILED) {
        touch("remapped past the end", r + BIG + PG, 0);
        fill(fd, 50 * PG, 'g', 30 * PG);
        printf("then grown: %c\n", r[BIG + PG]);
    }

    /* O_TRUNC takes every page */
    int fd2 = open("/tmp/mapgrow", O_RDWR | O_TRUNC);
    touch("page 0 after O_TRUNC", m, 0);
    fill(fd2, 0, 'n', 10);
    printf("after a new write: %c, rest zero %d\n", m[0], m[10] == 0);

    /* an empty file maps; its first touch is SIGBUS */
    int e = open("/tmp/mapgrow-empty", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char *em = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, e, 0);
    printf("empty file mapped %d\n", em != MAP_FAILED);
    touch("empty file page 0", em, 1);
    ftruncate(e, 10);
    em[3] = 'x';
    char b[10];
    pread(e, b, sizeof b, 0);
    printf("then 10 bytes: %d %c\n", b[0] == 0, b[3]);
    unlink("/tmp/mapgrow");
    unlink("/tmp/mapgrow-empty");
    return 0;
}
