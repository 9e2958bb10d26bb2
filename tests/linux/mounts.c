/*
 * File systems as separate things: a tmpfs mounted for the test has its own st_dev, statfs
 * says what each file system is (tmpfs, proc, pipes) and with which flags, a rename or link
 * between two file systems is EXDEV, a noexec mount refuses execve, a read-only remount
 * refuses every change (EROFS) and a read-write one allows them again, a file's mapping keeps
 * the mount busy until unmapped, and /proc/mounts shows
 * the flags. Run as root (the driver is). Prints only what must match Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define DIR_A "/tmp/mounts-a"
/* statfs f_flags, as the kernel defines them (C libraries lack ST_VALID) */
#define F_RDONLY 0x0001
#define F_NOSUID 0x0002
#define F_NOEXEC 0x0008
#define F_VALID 0x0020

static void result(const char *what, long rc)
{
    printf("%s: %s\n", what, rc < 0 ? errname(errno) : "ok");
}

static const char *fs_name(long type)
{
    switch (type) {
    case 0x01021994:
        return "tmpfs";
    case 0x9fa0:
        return "proc";
    case 0x50495045:
        return "pipefs";
    default:
        return "other";
    }
}

static void show_statfs(const char *what, const char *path)
{
    struct statfs s;
    if (statfs(path, &s) != 0) {
        printf("statfs %s: %s\n", what, errname(errno));
        return;
    }
    printf("statfs %s: %s, valid %d, ro %d, nosuid %d, noexec %d, namelen %ld, bsize %ld\n", what,
           fs_name((long)s.f_type), !!(s.f_flags & F_VALID), !!(s.f_flags & F_RDONLY),
           !!(s.f_flags & F_NOSUID), !!(s.f_flags & F_NOEXEC), (long)s.f_namelen,
           (long)s.f_bsize);
}

/* Is there a /proc/mounts line for path with each of the comma-separated flags? */
static void show_mount_line(const char *path, const char *want)
{
    FILE *f = fopen("/proc/mounts", "r");
    char line[512], found[512] = "";
    while (f && fgets(line, sizeof line, f)) {
        char src[128], where[256], type[64], opts[256];
        if (sscanf(line, "%127s %255s %63s %255s", src, where, type, opts) == 4 &&
            strcmp(where, path) == 0)
            snprintf(found, sizeof found, "%s %s", type, opts);
    }
    if (f)
        fclose(f);
    char w[128];
    snprintf(w, sizeof w, "%s", want);
    int all = found[0] != 0;
    for (char *tok = strtok(w, ","); tok; tok = strtok(NULL, ",")) {
        char opt[64];
        snprintf(opt, sizeof opt, ",%s,", tok);
        char padded[600];
        snprintf(padded, sizeof padded, ",%s,", strchr(found, ' ') ? strchr(found, ' ') + 1 : "");
        all &= strstr(padded, opt) != NULL;
    }
    printf("/proc/mounts %s: %s\n", want, all ? "listed" : "missing");
}

int main(void)
{
    mkdir(DIR_A, 0755);
    result("mount tmpfs nosuid,noexec", mount("none", DIR_A, "tmpfs", MS_NOSUID | MS_NOEXEC, NULL));
    struct stat root, a, inside;
    int fd = open(DIR_A "/f", O_RDWR | O_CREAT, 0644);
    result("create in it", fd);
    if (write(fd, "data", 4) != 4)
        printf("write: %s\n", errname(errno));
    close(fd);
    stat("/", &root);
    stat(DIR_A, &a);
    stat(DIR_A "/f", &inside);
    printf("st_dev differs from /: %d\n", root.st_dev != a.st_dev);
    printf("st_dev of a file is its mount's: %d\n", inside.st_dev == a.st_dev);
    show_statfs("mount", DIR_A);
    show_statfs("file in it", DIR_A "/f");
    show_statfs("proc", "/proc/self");
    int p[2];
    if (pipe(p) == 0) {
        struct statfs s;
        printf("fstatfs pipe: %s\n", fstatfs(p[0], &s) == 0 ? fs_name((long)s.f_type) : errname(errno));
        close(p[0]);
        close(p[1]);
    }
    show_mount_line(DIR_A, "rw,nosuid,noexec");

    /* across file systems */
    result("rename to another fs", rename(DIR_A "/f", "/tmp/mounts-moved"));
    result("link to another fs", link(DIR_A "/f", "/tmp/mounts-linked"));
    result("rename within it", rename(DIR_A "/f", DIR_A "/g"));

    /* noexec */
    fd = open(DIR_A "/script", O_WRONLY | O_CREAT, 0755);
    if (fd >= 0) {
        const char *s = "#!/bin/sh\nexit 0\n";
        if (write(fd, s, strlen(s)) < 0)
            printf("write script: %s\n", errname(errno));
        close(fd);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"script", NULL};
        execv(DIR_A "/script", argv);
        printf("execve on noexec: %s\n", errname(errno));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* read-only */
    result("remount ro", mount(NULL, DIR_A, NULL, MS_REMOUNT | MS_RDONLY, NULL));
    show_statfs("after remount ro", DIR_A);
    show_mount_line(DIR_A, "ro");
    result("open for writing", open(DIR_A "/g", O_WRONLY));
    result("open to truncate", open(DIR_A "/g", O_RDONLY | O_TRUNC));
    result("create", open(DIR_A "/new", O_RDWR | O_CREAT, 0644));
    result("mkdir", mkdir(DIR_A "/d", 0755));
    result("unlink", unlink(DIR_A "/g"));
    result("rename", rename(DIR_A "/g", DIR_A "/h"));
    result("symlink", symlink("g", DIR_A "/sym"));
    result("chmod", chmod(DIR_A "/g", 0600));
    result("chown", chown(DIR_A "/g", 1, 1));
    result("utimes", utimes(DIR_A "/g", NULL));
    result("truncate", truncate(DIR_A "/g", 0));
    fd = open(DIR_A "/g", O_RDONLY);
    char buf[8] = "";
    printf("read on ro: %zd %.4s\n", fd >= 0 ? read(fd, buf, sizeof buf) : (ssize_t)-1, buf);
    close(fd);
    result("remount rw", mount(NULL, DIR_A, NULL, MS_REMOUNT, NULL));
    show_statfs("after remount rw", DIR_A);
    result("create after rw", fd = open(DIR_A "/new", O_RDWR | O_CREAT, 0644));
    close(fd);
    result("unlink after rw", unlink(DIR_A "/g"));

    /* busy while used: an open file, a working directory; a lazy unmount goes at once */
    fd = open(DIR_A "/new", O_RDONLY);
    result("umount with a file open", umount(DIR_A));
    /* a mapping of one of its files keeps it busy after the descriptor is closed */
    void *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    result("umount with a file mapped", umount(DIR_A));
    void *map2 = mremap(map, 4096, 8192, MREMAP_MAYMOVE);
    munmap(map2 == MAP_FAILED ? map : map2, map2 == MAP_FAILED ? 4096 : 8192);
    result("umount once the mapping (moved by mremap) is gone", umount(DIR_A));
    result("mount again", mount("none", DIR_A, "tmpfs", 0, NULL));
    close(open(DIR_A "/new", O_RDWR | O_CREAT, 0644));
    fflush(stdout);
    int ready[2];
    if (pipe(ready))
        return 1;
    pid_t busy = fork();
    if (busy == 0) {
        char c = chdir(DIR_A) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) == 1)
            pause();
        _exit(0);
    }
    char in = 0;
    if (read(ready[0], &in, 1) != 1 || in != 'y')
        printf("the child did not get into the mount\n");
    result("umount with a process working in it", umount(DIR_A));
    kill(busy, SIGKILL);
    waitpid(busy, NULL, 0);
    mkdir(DIR_A "/sub", 0755);
    fd = open(DIR_A "/new", O_RDONLY);
    result("lazy umount with a file open", umount2(DIR_A, MNT_DETACH));
    char one;
    printf("the open file reads on: %zd\n", read(fd, &one, 1));
    close(fd);
    result("umount again", umount(DIR_A));
    result("umount", mount("none", DIR_A, "tmpfs", 0, NULL) == 0 ? umount(DIR_A) : -1);
    result("rmdir", rmdir(DIR_A));
    return 0;
}
