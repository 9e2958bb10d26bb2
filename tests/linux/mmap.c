/*
 * Memory mappings: anonymous private and shared (shared across fork, private not), MAP_FIXED
 * replacing what is there, MAP_FIXED_NOREPLACE refusing, partial munmap, mprotect and the
 * SIGSEGV it causes (si_code, si_addr), a file mapped shared seeing write() and the file seeing
 * writes through the mapping, private file mappings, the errors, and a program's own read-only
 * data made writable by mprotect (the change stays in this process and its fork child; the
 * program's file, and so a fresh exec of it, keep the original).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define PG 4096

static const char rodata_msg[] = "rodata original";

static sigjmp_buf jb;
static volatile int code;
static volatile char *addr;

static void segv(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)uc;
    code = si->si_code;
    addr = si->si_addr;
    siglongjmp(jb, 1);
}

int main(int argc, char **argv)
{
    const char *volatile msg = rodata_msg;
    if (argc > 1 && strcmp(argv[1], "show") == 0) {
        printf("a fresh exec sees: %s\n", msg);
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("anon zeroed %d\n", a[0] == 0 && a[4 * PG - 1] == 0);
    char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    a[0] = 'p';
    s[0] = 'p';
    pid_t c = fork();
    if (c == 0) {
        a[0] = 'c';
        s[0] = 'c';
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("after fork: private %c shared %c\n", a[0], s[0]);
    /* MAP_FIXED replaces, NOREPLACE refuses */
    a[PG] = 'x';
    char *b = mmap(a + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED at the place %d, zero again %d\n", b == a + PG, b[0] == 0);
    void *r = mmap(a + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("NOREPLACE over a mapping: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    /* partial munmap, then touching the hole */
    SHOW("munmap a middle page", munmap(a + 2 * PG, PG));
    if (!sigsetjmp(jb, 1)) {
        a[2 * PG] = 1;
        printf("no fault\n");
    } else {
        printf("hole: SIGSEGV code %s at offset %ld\n", code == SEGV_MAPERR ? "MAPERR" : "other",
               (long)(addr - a));
    }
    printf("pages around the hole still there %d\n", (a[PG] = 1, a[3 * PG] = 2, a[3 * PG] == 2));
    /* mprotect */
    SHOW("mprotect read-only", mprotect(a, PG, PROT_READ));
    if (!sigsetjmp(jb, 1)) {
        a[5] = 1;
        printf("no fault\n");
    } else {
        printf("write to read-only: code %s at offset %ld\n", code == SEGV_ACCERR ? "ACCERR" : "other",
               (long)(addr - a));
    }
    SHOW("mprotect a hole", mprotect(a + 2 * PG, PG, PROT_READ));
    SHOW("mprotect unaligned", mprotect(a + 1, PG, PROT_READ));
    /* errors */
    r = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("length 0: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    r = mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0);
    printf("neither shared nor private: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    r = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0);
    printf("bad fd: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    /* files */
    int fd = open("file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    ftruncate(fd, 2 * PG);
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pwrite(fd, "written", 7, 100);
    printf("mapping sees write(): %.7s\n", m + 100);
    memcpy(m + 200, "mapped", 6);
    char buf[8] = {0};
    pread(fd, buf, 6, 200);
    printf("read() sees the mapping: %s\n", buf);
    char *pv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private mapping reads the file: %.7s\n", pv + 100);
    pv[100] = 'W';
    pread(fd, buf, 1, 100);
    printf("private write stays private: file has %c\n", buf[0]);
    int ro = open("file", O_RDONLY);
    r = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("shared writable map of O_RDONLY: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    r = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 1);
    printf("unaligned offset: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    SHOW("munmap", munmap(m, 2 * PG));

    /* mremap */
    /* 2 pages with 6 free ones after them: 8 mapped, the last 6 unmapped */
    char *g = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(g + 2 * PG, 6 * PG);
    memset(g, 'g', 2 * PG);
    char *g2 = mremap(g, 2 * PG, 4 * PG, 0);
    printf("mremap grow in place: %s\n", g2 == MAP_FAILED ? errname(errno) : g2 == g ? "same place" : "moved");
    if (g2 != MAP_FAILED)
        printf("  kept %c%c, new pages zero %d\n", g2[0], g2[2 * PG - 1], g2[3 * PG] == 0);
    else
        g2 = g;
    char *block = mmap(g2 + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *r2 = mremap(g2, 4 * PG, 8 * PG, 0);
    printf("mremap grow against a mapping, no MAYMOVE: %s\n", r2 == MAP_FAILED ? errname(errno) : "grew");
    r2 = mremap(g2, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
    printf("mremap MAYMOVE: %s\n", r2 == MAP_FAILED ? errname(errno) : r2 == g2 ? "same place" : "moved");
    if (r2 != MAP_FAILED) {
        printf("  kept %c%c, grown zero %d\n", r2[0], r2[2 * PG - 1], r2[7 * PG] == 0);
        r2[7 * PG] = 'z';
        char *r3 = mremap(r2, 8 * PG, PG, 0);
        printf("mremap shrink: %s\n", r3 == r2 ? "same place" : errname(errno));
        char *fx = mremap(r2, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, block);
        printf("mremap FIXED over a mapping: %s, kept %c\n", fx == block ? "there" : errname(errno),
               fx == block ? fx[0] : '-');
        munmap(fx == block ? fx : r2, PG);
    }
    printf("mremap of nothing: %s\n", mremap((void *)0x10000000, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED ? errname(errno) : "ok");
    printf("mremap bad flags: %s\n", mremap(g, PG, PG, 64) == MAP_FAILED ? errname(errno) : "ok");
    printf("mremap FIXED without MAYMOVE: %s\n", mremap(g, PG, PG, MREMAP_FIXED, g + 8 * PG) == MAP_FAILED ? errname(errno) : "ok");
    printf("mremap unaligned: %s\n", mremap(g + 1, PG, PG, 0) == MAP_FAILED ? errname(errno) : "ok");
    char *sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *sh2 = mremap(sh, 0, PG, MREMAP_MAYMOVE);
    if (sh2 != MAP_FAILED) {
        sh[5] = 's';
        printf("mremap old size 0 of a shared mapping: a second view sees %c\n", sh2[5]);
    } else {
        printf("mremap old size 0 of a shared mapping: %s\n", errname(errno));
    }
    printf("mremap old size 0 of a private one: %s\n", mremap(g, 0, PG, MREMAP_MAYMOVE) == MAP_FAILED ? errname(errno) : "ok");

    /* MREMAP_DONTUNMAP: the pages move, the old range stays mapped without them */
    char *d = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    d[0] = 'a', d[PG] = 'b';
    /* (a new address is passed: Linux checks it even without MREMAP_FIXED) */
    char *d2 = mremap(d, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    if (d2 != MAP_FAILED) {
        printf("mremap DONTUNMAP: moved %d, new holds %c%c, old zero %d%d\n", d2 != d, d2[0],
               d2[PG], d[0] == 0, d[PG] == 0);
        d[0] = 'x';
        printf("  old and new apart: %c %c\n", d[0], d2[0]);
        munmap(d2, 2 * PG);
    } else {
        printf("mremap DONTUNMAP: %s\n", errname(errno));
    }
    munmap(d, 2 * PG);
    char *ds = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ds[0] = 'q';
    char *ds2 = mremap(ds, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    if (ds2 != MAP_FAILED) {
        printf("mremap DONTUNMAP shared: new holds %c, old shows %c\n", ds2[0], ds[0]);
        munmap(ds2, PG);
    } else {
        printf("mremap DONTUNMAP shared: %s\n", errname(errno));
    }
    printf("mremap DONTUNMAP without MAYMOVE: %s\n",
           mremap(ds, PG, PG, MREMAP_DONTUNMAP, NULL) == MAP_FAILED ? errname(errno) : "ok");
    printf("mremap DONTUNMAP to another size: %s\n",
           mremap(ds, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL) == MAP_FAILED ? errname(errno) : "ok");
    printf("mremap DONTUNMAP to an unaligned address: %s\n",
           mremap(ds, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, (void *)0x10001) == MAP_FAILED ? errname(errno) : "ok");
    munmap(ds, PG);

    char *page = (char *)((unsigned long)rodata_msg & ~(unsigned long)(PG - 1));
    SHOW("mprotect read-only data writable", mprotect(page, PG, PROT_READ | PROT_WRITE));
    ((char *)msg)[0] = 'R';
    printf("this process sees: %s\n", msg);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("fork child sees: %s\n", msg);
        fflush(stdout);
        execl("/proc/self/exe", "mmap", "show", (char *)NULL);
        _exit(127);
    }
    int cst;
    waitpid(pid, &cst, 0);
    printf("child status %d\n", WEXITSTATUS(cst));
    return 0;
}
