/*
 * Pipes written while a reader waits in read (on Skoll such a write may go straight from the
 * writer's memory to the reader's, docs/posix.md): the reader gets exactly the bytes written,
 * a reader with a smaller buffer leaves the rest in the pipe, a readv with several pieces
 * fills them in order, two waiting readers share the writes without losing or doubling a
 * byte, a write from a bad pointer fails with EFAULT and hands nothing over, and a stream of
 * 1 MiB arrives whole and in order. The parent sleeps a little before each write so that the
 * reader is usually waiting; every outcome printed is the same whether it was or not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void nap(void)
{
    usleep(20000);
}

static void wait_child(pid_t pid, const char *what)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    printf("%s: child %s %d\n", what, WIFEXITED(st) ? "exited" : "killed",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* What a child saw, printed once the writer has closed its end (so that the parent's lines
   and the child's come in one order on every system). */
static char seen[1024];
static size_t seen_len;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(seen + seen_len, sizeof seen - seen_len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof seen - seen_len)
        seen_len += (size_t)n;
}

/* A child reads once with a buffer of size, then on until the end; then prints it all. */
static pid_t reader(int fds[2], size_t size, const char *name)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[1]);
        char buf[256];
        ssize_t n = read(fds[0], buf, size);
        note("%s: first read %zd: %.*s\n", name, n, n > 0 ? (int)n : 0, buf);
        while ((n = read(fds[0], buf, sizeof buf)) > 0)
            note("%s: then %zd: %.*s\n", name, n, (int)n, buf);
        note("%s: end %zd\n", name, n);
        fputs(seen, stdout);
        _exit(0);
    }
    return pid;
}

/* One 16-byte write to a reader waiting with a buffer of size. */
static void one_write(size_t size, const char *text, const char *name)
{
    int fds[2];
    if (pipe(fds))
        die("pipe");
    pid_t pid = reader(fds, size, name);
    nap();
    printf("%s: write %zd\n", name, write(fds[1], text, 16));
    fflush(stdout);
    nap();
    close(fds[1]);
    close(fds[0]);
    wait_child(pid, name);
}

static void readv_fills_pieces_in_order(void)
{
    int fds[2];
    if (pipe(fds))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[1]);
        char a[4], b[60];
        struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
        ssize_t n = readv(fds[0], iov, 2);
        char rest[8];
        while (read(fds[0], rest, sizeof rest) > 0) /* (until the writer closes) */
            ;
        printf("readv: %zd: %.4s|%.*s\n", n, a, n > 4 ? (int)n - 4 : 0, b);
        _exit(0);
    }
    close(fds[0]);
    nap();
    printf("readv: write %zd\n", write(fds[1], "0123456789ABCDEF", 16));
    fflush(stdout);
    close(fds[1]);
    wait_child(pid, "readv");
}

/* Two readers wait; two 8-byte writes: each byte arrives once, at one of them. */
static void two_readers_share(void)
{
    int fds[2], out[2];
    if (pipe(fds) || pipe(out))
        die("pipe");
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] < 0)
            die("fork");
        if (kids[i] == 0) {
            close(fds[1]);
            close(out[0]);
            char buf[64];
            ssize_t n;
            while ((n = read(fds[0], buf, sizeof buf)) > 0)
                if (write(out[1], buf, (size_t)n) != n)
                    die("write out");
            _exit(0);
        }
    }
    close(fds[0]);
    close(out[1]);
    nap();
    printf("share: write %zd\n", write(fds[1], "AAAAAAAA", 8));
    nap();
    printf("share: write %zd\n", write(fds[1], "BBBBBBBB", 8));
    close(fds[1]);
    for (int i = 0; i < 2; i++)
        waitpid(kids[i], NULL, 0);
    char got[64];
    ssize_t n, total = 0;
    int a = 0, b = 0;
    while ((n = read(out[0], got, sizeof got)) > 0) {
        total += n;
        for (ssize_t i = 0; i < n; i++) {
            a += got[i] == 'A';
            b += got[i] == 'B';
        }
    }
    close(out[0]);
    printf("share: %zd bytes back, %d A, %d B\n", total, a, b);
}

static void bad_pointer_hands_nothing_over(void)
{
    int fds[2];
    if (pipe(fds))
        die("pipe");
    pid_t pid = reader(fds, 64, "fault");
    nap();
    void *volatile bad = (void *)16;
    ssize_t n = write(fds[1], bad, 16);
    printf("fault: write from a bad pointer %zd %s\n", n, n < 0 && errno == EFAULT ? "EFAULT" : "?");
    /* a buffer whose second half is unmapped, and one that is not readable */
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED)
        die("mmap");
    if (mprotect(pages + 4096, 4096, PROT_NONE))
        die("mprotect");
    n = write(fds[1], pages + 4096, 8);
    printf("fault: write from PROT_NONE %zd %s\n", n, n < 0 && errno == EFAULT ? "EFAULT" : "?");
    fflush(stdout);
    nap();
    printf("fault: write %zd\n", write(fds[1], "good", 4));
    fflush(stdout);
    nap();
    close(fds[1]);
    close(fds[0]);
    munmap(pages, 8192);
    wait_child(pid, "fault");
}

/* 1 MiB in writes of many sizes to a reader reading as much as it can: whole, in order. */
static void stream_arrives_whole(void)
{
    enum { TOTAL = 1 << 20 };
    int fds[2];
    if (pipe(fds))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[1]);
        static unsigned char buf[70000];
        size_t got = 0, bad = 0;
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                bad += buf[i] != (unsigned char)((got + (size_t)i) * 7 % 251);
            got += (size_t)n;
        }
        printf("stream: reader got %zu bytes, %zu wrong\n", got, bad);
        _exit(0);
    }
    close(fds[0]);
    static unsigned char data[TOTAL];
    for (size_t i = 0; i < TOTAL; i++)
        data[i] = (unsigned char)(i * 7 % 251);
    static const size_t sizes[] = {1, 16, 100, 4096, 5000, 65536, 70000, 3, 512, 513};
    size_t at = 0, k = 0;
    while (at < TOTAL) {
        size_t len = sizes[k++ % (sizeof sizes / sizeof sizes[0])];
        if (len > TOTAL - at)
            len = TOTAL - at;
        ssize_t n = write(fds[1], data + at, len);
        if (n <= 0)
            die("write");
        at += (size_t)n;
    }
    close(fds[1]);
    wait_child(pid, "stream");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    one_write(64, "sixteen bytes!!!", "whole"); /* all of it to the reader */
    one_write(4, "abcdefghijklmnop", "small");  /* 4 to the reader, 12 left in the pipe */
    readv_fills_pieces_in_order();
    two_readers_share();
    bad_pointer_hands_nothing_over();
    stream_arrives_whole();
    return 0;
}
