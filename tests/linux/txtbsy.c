/*
 * ETXTBSY: a file open for writing cannot be executed, and a file a process runs cannot be
 * opened for writing or truncated while it runs (Linux's write denial, held by the running
 * image); reading, renaming and unlinking it stay allowed; the denial ends with the process.
 * Works on a copy of its own executable in /tmp. Prints only what must match Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define COPY "/tmp/txtbsy-copy"
#define MOVED "/tmp/txtbsy-moved"
#define SCRIPT "/tmp/txtbsy-script"

static void result(const char *what, long rc)
{
    printf("%s: %s\n", what, rc < 0 ? errname(errno) : "ok");
    fflush(stdout);
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    close(in);
    close(out);
}

/* Exec path in a child; report how it went (0: it ran and exited 0). */
static void exec_child(const char *what, const char *path, char *mode, int keep_fd)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char fdtext[16];
        snprintf(fdtext, sizeof fdtext, "%d", keep_fd);
        char *argv[] = {(char *)path, mode, fdtext, NULL};
        execv(path, argv);
        printf("%s: %s\n", what, errname(errno));
        fflush(stdout);
        _exit(1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        printf("%s: ran\n", what);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "exit") == 0)
        return 0;
    if (argc > 3 && strcmp(argv[1], "hold") == 0) {
        /* the running copy: say so on one pipe, then wait for the other's end */
        char c = 'r';
        if (write(atoi(argv[2]), &c, 1) != 1)
            return 1;
        while (read(atoi(argv[3]), &c, 1) > 0)
            ;
        return 0;
    }
    unlink(COPY);
    unlink(MOVED);
    copy_file(argv[0], COPY);

    /* open for writing: no exec */
    int w = open(COPY, O_WRONLY);
    result("open copy for writing", w);
    exec_child("exec while open for writing", COPY, "exit", -1);
    close(w);
    exec_child("exec after close", COPY, "exit", -1);

    /* running: no writing */
    int sv[2];
    if (pipe(sv))
        return 1;
    int back[2];
    if (pipe(back))
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(back[1], 10);
        dup2(sv[0], 11);
        close(sv[1]);
        close(back[0]);
        char *args[] = {COPY, "hold", "10", "11", NULL};
        execv(COPY, args);
        _exit(1);
    }
    close(sv[0]);
    close(back[1]);
    char c;
    if (read(back[0], &c, 1) != 1)
        printf("no word from the running copy\n");
    result("open running for writing", open(COPY, O_WRONLY));
    result("open running read-write", open(COPY, O_RDWR));
    result("open running to truncate", open(COPY, O_RDONLY | O_TRUNC));
    result("truncate running", truncate(COPY, 0));
    int r = open(COPY, O_RDONLY);
    result("open running for reading", r);
    close(r);
    result("rename running", rename(COPY, MOVED));
    result("open moved for writing", open(MOVED, O_WRONLY));
    close(sv[1]); /* the running copy sees the end and exits */
    waitpid(pid, NULL, 0);
    close(back[0]);
    int w2 = open(MOVED, O_WRONLY);
    result("open after it ended", w2);
    close(w2);
    unlink(MOVED);

    /* a script open for writing */
    int s = open(SCRIPT, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    const char *text = "#!/bin/sh\nexit 0\n";
    if (write(s, text, strlen(text)) < 0)
        printf("write script: %s\n", errname(errno));
    exec_child("exec script open for writing", SCRIPT, "x", -1);
    close(s);
    exec_child("exec script after close", SCRIPT, "x", -1);
    unlink(SCRIPT);
    return 0;
}
