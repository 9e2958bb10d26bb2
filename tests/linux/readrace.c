/*
 * Reads racing with a file's growth: one process reads the first 4 KiB of a file over and
 * over while another appends to the same file until it is 256 KiB, for many files. Every
 * read must return the bytes the file holds there ('x'), whatever the writer does meanwhile
 * (on Skoll a tmpfs read is copied straight from the file's data in the POSIX server, and a
 * file that grows moves to a bigger mapping: the old one must outlive copies in flight,
 * docs/posix.md). Prints only what must be the same on every system.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { FILES = 64, CHUNK = 4096, GROW_TO = 256 * 1024 };

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void fill(int fd, size_t len)
{
    static char x[CHUNK];
    memset(x, 'x', sizeof x);
    if (write(fd, x, len) != (ssize_t)len)
        die("write");
}

int main(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/readrace.%d", (int)getpid());
    long reads = 0, bad = 0, short_reads = 0;
    for (int i = 0; i < FILES; i++) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            die("open");
        fill(fd, CHUNK);
        int go[2];
        if (pipe(go))
            die("pipe");
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) { /* the writer: grow the file while the parent reads */
            close(go[0]);
            char c = 'g';
            if (write(go[1], &c, 1) != 1)
                die("write go");
            for (size_t size = CHUNK; size < GROW_TO; size += CHUNK)
                fill(fd, CHUNK);
            _exit(0);
        }
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1)
            die("read go");
        for (int done = 0; !done;) {
            done = waitpid(pid, NULL, WNOHANG) == pid;
            static char buf[CHUNK];
            memset(buf, 0, sizeof buf);
            ssize_t n = pread(fd, buf, sizeof buf, 0);
            reads++;
            if (n != CHUNK)
                short_reads++;
            for (ssize_t k = 0; k < n; k++)
                bad += buf[k] != 'x';
        }
        close(go[0]);
        struct stat st;
        if (fstat(fd, &st) || st.st_size != GROW_TO)
            printf("file %d: size %lld, want %d\n", i, (long long)st.st_size, GROW_TO);
        close(fd);
        unlink(path);
    }
    printf("reads: %s\n", reads >= FILES ? "made" : "too few");
    printf("short reads: %ld\n", short_reads);
    printf("wrong bytes: %ld\n", bad);
    return 0;
}
