/*
 * inotify: init flags and errors; watches on a directory (events of its children with their
 * names: create, open, modify, attrib, close-write, close-nowrite, access, moved from/to with
 * one cookie, delete; IN_ISDIR for directories) and on a file (its own events without a name,
 * delete-self then ignored); the same inode watched twice gets one descriptor (mask replaced
 * or added to); IN_ONESHOT; inotify_rm_watch queues IN_IGNORED; a buffer too small; identical
 * events back to back merged; poll, FIONREAD and a blocking read woken by another process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static void mask_names(uint32_t m)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
                 {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
                 {IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
                 {IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
                 {IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"},
                 {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"}};
    const char *sep = "";
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m & names[i].bit) {
            printf("%s%s", sep, names[i].name);
            sep = "|";
        }
}

/* Read what is queued now and print each event; cookies shown as same/zero. */
static void drain(const char *what, int fd)
{
    char buf[4096] __attribute__((aligned(8)));
    printf("%s:", what);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) {
        printf(" nothing\n");
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    uint32_t cookie = 0;
    for (ssize_t o = 0; o < n;) {
        struct inotify_event *e = (struct inotify_event *)(buf + o);
        printf(" [wd %d ", e->wd);
        mask_names(e->mask);
        if (e->len)
            printf(" '%s' len %u", e->name, e->len);
        if (e->cookie) {
            printf(" cookie %s", cookie && cookie == e->cookie ? "same" : "set");
            cookie = e->cookie;
        }
        printf("]");
        o += (ssize_t)sizeof *e + e->len;
    }
    printf("\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("init1 bad flags: %s\n", res(inotify_init1(0x1)));
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    printf("cloexec %d nonblock %d\n", (fcntl(in, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(in, F_GETFL) & O_NONBLOCK) != 0);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", in);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = '\0';
    printf("link: %s\n", link);
    char c;
    printf("read with nothing: %s\n", res(read(in, &c, 1)));

    mkdir("/tmp/in", 0755);
    printf("add no events: %s\n", res(inotify_add_watch(in, "/tmp/in", 0)));
    printf("add missing path: %s\n", res(inotify_add_watch(in, "/tmp/in/none", IN_ALL_EVENTS)));
    printf("add to a non-inotify: %s\n", res(inotify_add_watch(0, "/tmp/in", IN_ALL_EVENTS)));
    int wd = inotify_add_watch(in, "/tmp/in", IN_ALL_EVENTS);
    printf("add dir: %d\n", wd);
    printf("add again, same wd: %d\n", inotify_add_watch(in, "/tmp/in", IN_ALL_EVENTS) == wd);
    printf("add with MASK_CREATE on a watched one: %s\n",
           res(inotify_add_watch(in, "/tmp/in", IN_ALL_EVENTS | IN_MASK_CREATE)));
    printf("ONLYDIR on a file: %s\n", res(inotify_add_watch(in, "/proc/self/status", IN_ALL_EVENTS | IN_ONLYDIR)));

    int fd = open("/tmp/in/a", O_CREAT | O_WRONLY, 0644);
    drain("create", in);
    write(fd, "x", 1);
    write(fd, "y", 1);
    drain("two writes", in);
    fchmod(fd, 0600);
    drain("chmod", in);
    close(fd);
    drain("close", in);
    fd = open("/tmp/in/a", O_RDONLY);
    read(fd, &c, 1);
    close(fd);
    drain("open, read, close", in);
    rename("/tmp/in/a", "/tmp/in/b");
    drain("rename", in);
    mkdir("/tmp/in/sub", 0755);
    rmdir("/tmp/in/sub");
    drain("mkdir, rmdir", in);
    unlink("/tmp/in/b");
    drain("unlink", in);

    /* a file's own watch */
    fd = open("/tmp/in/f", O_CREAT | O_WRONLY, 0644);
    close(fd);
    drain("(setup)", in);
    int fw = inotify_add_watch(in, "/tmp/in/f", IN_MODIFY | IN_DELETE_SELF | IN_ATTRIB);
    printf("file watch: %d\n", fw > wd);
    fd = open("/tmp/in/f", O_WRONLY);
    write(fd, "z", 1);
    close(fd);
    drain("write to the watched file", in);
    unlink("/tmp/in/f");
    drain("its unlink", in);

    /* rm_watch, IN_ONESHOT, a short buffer */
    int w2 = inotify_add_watch(in, "/tmp/in", IN_CREATE | IN_ONESHOT);
    printf("oneshot same wd: %d\n", w2 == wd);
    close(open("/tmp/in/o1", O_CREAT | O_WRONLY, 0644));
    close(open("/tmp/in/o2", O_CREAT | O_WRONLY, 0644));
    drain("oneshot", in);
    printf("rm_watch of the gone one: %s\n", res(inotify_rm_watch(in, wd)));
    int w3 = inotify_add_watch(in, "/tmp/in", IN_DELETE);
    printf("new wd after oneshot: %d\n", w3 > wd);
    printf("rm_watch: %s\n", res(inotify_rm_watch(in, w3)));
    drain("after rm_watch", in);
    w3 = inotify_add_watch(in, "/tmp/in", IN_DELETE);
    unlink("/tmp/in/o1");
    printf("read into 4 bytes: %s\n", res(read(in, link, 4)));
    int avail = 0;
    ioctl(in, FIONREAD, &avail);
    printf("FIONREAD: %d\n", avail);
    drain("then", in);

    /* a blocking read woken by another process */
    int bl = inotify_init();
    inotify_add_watch(bl, "/tmp/in", IN_CREATE);
    pid_t ch = fork();
    if (ch == 0) {
        usleep(30000);
        close(open("/tmp/in/late", O_CREAT | O_WRONLY, 0644));
        _exit(0);
    }
    char ev[256] __attribute__((aligned(8)));
    ssize_t n = read(bl, ev, sizeof ev);
    struct inotify_event *e = (struct inotify_event *)ev;
    printf("blocking read: %zd ", n);
    mask_names(e->mask);
    printf(" '%s'\n", e->name);
    waitpid(ch, NULL, 0);
    close(bl);

    unlink("/tmp/in/o2");
    unlink("/tmp/in/late");
    close(in);
    rmdir("/tmp/in");
    return 0;
}
