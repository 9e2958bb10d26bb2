/*
 * Processes: fork and wait statuses, exit codes, waitpid options (WNOHANG, a pid, any), the
 * ids of parent and child, process groups and sessions, execve of a program and of a #!
 * script (argv and environment as passed), execve errors, vfork, orphans going to init's
 * care (the child's parent after its parent exits is not the parent any more).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

int main(int argc, char **argv, char **envp)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("exec'd child: argc %d", argc);
        for (int i = 2; i < argc; i++)
            printf(" [%s]", argv[i]);
        printf(" SKOLL_X=%s\n", getenv("SKOLL_X") ? getenv("SKOLL_X") : "(none)");
        (void)envp;
        return 5;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    pid_t me = getpid();
    pid_t c = fork();
    if (c == 0) {
        printf("child: ppid is parent %d\n", getppid() == me);
        _exit(42);
    }
    printf("waitpid returns the child %d\n", waitpid(c, &st, 0) == c);
    printf("exited %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));
    /* WNOHANG with a running child, then waiting for any child */
    int p[2];
    pipe(p);
    c = fork();
    if (c == 0) {
        char b;
        close(p[1]);
        read(p[0], &b, 1);
        _exit(3);
    }
    close(p[0]);
    printf("WNOHANG while running: %d\n", (int)waitpid(c, &st, WNOHANG));
    write(p[1], "x", 1);
    close(p[1]);
    printf("wait any is the child %d, code %d\n", wait(&st) == c, WEXITSTATUS(st));
    SHOW("wait with no children", wait(&st));
    SHOW("waitpid of a stranger", waitpid(1, &st, 0));
    /* groups and sessions */
    c = fork();
    if (c == 0) {
        printf("child pgid is parent's %d\n", getpgid(0) == getpgid(me));
        printf("setpgid(0,0) %d, leader now %d\n", setpgid(0, 0), getpgid(0) == getpid());
        printf("setsid %d, sid is pid %d\n", setsid() == getpid(), getsid(0) == getpid());
        SHOW("setsid again (a leader)", setsid());
        _exit(0);
    }
    waitpid(c, &st, 0);
    SHOW("setpgid of a nonexistent process", setpgid(999999, 0));
    /* exec */
    c = fork();
    if (c == 0) {
        char *args[] = {argv[0], "child", "a b", "", "c", NULL};
        char *env[] = {"SKOLL_X=yes", NULL};
        execve(argv[0], args, env);
        _exit(99);
    }
    waitpid(c, &st, 0);
    printf("exec'd child exit %d\n", WEXITSTATUS(st));
    char *none[] = {"x", NULL};
    SHOW("execve of a missing file", execve("/nonexistent/prog", none, none));
    SHOW("execve of a directory", execve("/tmp", none, none));
    int fd = open("script", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    dprintf(fd, "#!/bin/sh\necho script says \"$0\" \"$1\"\nexit 7\n");
    close(fd);
    SHOW("execve of a file without x", execve("./script", none, none));
    chmod("script", 0755);
    c = fork();
    if (c == 0) {
        char *args[] = {"script", "arg1", NULL};
        execve("./script", args, envp);
        _exit(99);
    }
    waitpid(c, &st, 0);
    printf("script exit %d\n", WEXITSTATUS(st));
    fd = open("notelf", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    write(fd, "\x7f" "ELFgarbage", 10);
    close(fd);
    SHOW("execve of a broken ELF", execve("./notelf", none, none));
    /* vfork: the child runs first, the parent resumes after its exec or exit */
    c = vfork();
    if (c == 0)
        _exit(11);
    waitpid(c, &st, 0);
    printf("vfork child exit %d\n", WEXITSTATUS(st));
    /* an orphan: its parent exits before it, and it is reparented */
    int q[2];
    pipe(q);
    c = fork();
    if (c == 0) {
        pid_t gc = fork();
        if (gc == 0) {
            close(q[0]);
            usleep(200000);
            char b = getppid() != me && getppid() != 0 ? 'y' : 'n';
            write(q[1], &b, 1);
            _exit(0);
        }
        _exit(0);
    }
    close(q[1]);
    waitpid(c, &st, 0);
    char b = '?';
    read(q[0], &b, 1);
    printf("orphan reparented %c\n", b);
    /* a signal's death through wait */
    c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, 9);
    waitpid(c, &st, 0);
    printf("signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
    return 0;
}
