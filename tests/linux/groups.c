/*
 * Supplementary groups: setgroups and getgroups (sorted, sizes, errors, root only), inherited
 * by fork, shown in /proc/self/status, and giving a non-root process the group permission bits
 * of a file (open, access) and the right to chgrp its own file to one of them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static void show(const char *what)
{
    gid_t g[16];
    int n = getgroups(16, g);
    printf("%s: %d:", what, n);
    for (int i = 0; i < n; i++)
        printf(" %u", (unsigned)g[i]);
    printf("\n");
}

static void status_groups(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *l = strstr(buf, "Groups:");
    char *e = l ? strchr(l, '\n') : NULL;
    if (e)
        *e = 0;
    printf("status: %s\n", l ? l : "(none)");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    show("at start");
    gid_t set[] = {500, 30, 9, 30};
    printf("setgroups: %s\n", setgroups(4, set) ? errname(errno) : "0");
    show("after setgroups 500 30 9 30");
    printf("getgroups(0): %d\n", getgroups(0, NULL));
    gid_t small[1];
    printf("getgroups too small: %s\n", getgroups(1, small) < 0 ? errname(errno) : "ok");
    printf("setgroups 70000: %s\n", setgroups(70000, set) ? errname(errno) : "0");
    printf("setgroups bad pointer: %s\n", setgroups(2, (gid_t *)8) ? errname(errno) : "0");
    status_groups();

    int fd = open("g", O_CREAT | O_RDWR, 0640);
    write(fd, "x", 1);
    close(fd);
    chown("g", 1234, 9); /* group 9 may read */
    pid_t c = fork();
    if (c == 0) {
        show("fork child");
        setgid(2000);
        setuid(1000);
        fd = open("g", O_RDONLY);
        printf("uid 1000 in group 9 opens g: %s\n", fd >= 0 ? "yes" : errname(errno));
        printf("access R_OK: %s, W_OK: %s\n", access("g", R_OK) ? errname(errno) : "0",
               access("g", W_OK) ? errname(errno) : "0");
        printf("non-root setgroups: %s\n", setgroups(1, set) ? errname(errno) : "0");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("setgroups empty: %s\n", setgroups(0, NULL) ? errname(errno) : "0");
    show("after setgroups 0");
    c = fork();
    if (c == 0) {
        setgid(2000);
        setuid(1000);
        fd = open("g", O_RDONLY);
        printf("uid 1000 without group 9 opens g: %s\n", fd >= 0 ? "yes" : errname(errno));
        _exit(0);
    }
    waitpid(c, NULL, 0);

    /* chgrp of one's own file: to a supplementary group, not to another */
    int h = open("h", O_CREAT | O_RDWR, 0644);
    close(h);
    chown("h", 1000, 2000);
    gid_t mine[] = {77};
    setgroups(1, mine);
    c = fork();
    if (c == 0) {
        setgid(2000);
        setuid(1000);
        printf("chgrp own file to supplementary 77: %s\n", chown("h", (uid_t)-1, 77) ? errname(errno) : "0");
        printf("chgrp own file to 78: %s\n", chown("h", (uid_t)-1, 78) ? errname(errno) : "0");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    struct stat st;
    stat("h", &st);
    printf("h's group: %u\n", (unsigned)st.st_gid);
    return 0;
}
