/*
 * AF_UNIX sockets: socket()'s errors; stream, datagram and seqpacket socketpairs (bytes and
 * message boundaries, truncation, zero-length datagrams, shutdown, peers closing, EPIPE and
 * SIGPIPE, MSG_NOSIGNAL, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL); binding to paths, abstract
 * names and autobind; listen/connect/accept4 and their errors; the backlog; getsockname and
 * getpeername; datagram addressing (sendto, connected peers, EPERM, ECONNREFUSED); the
 * datagram queue limit; SCM_RIGHTS (descriptors passed within and across processes, close-on-
 * exec, a control buffer too small) and SCM_CREDENTIALS with SO_PASSCRED; SO_PEERCRED and the
 * common socket options; poll and epoll readiness; blocking accept and recv woken by another
 * process; sendmsg/recvmsg with several iovecs; a listener closed with a connection pending.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* An address as the test prints it: its length and its name (abstract: @name). */
static void show_addr(const char *what, struct sockaddr_un *a, socklen_t len)
{
    printf("%s: len %u", what, (unsigned)len);
    if (len > offsetof(struct sockaddr_un, sun_path)) {
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        if (a->sun_path[0] == 0)
            printf(" @%zu chars", n - 1);
        else
            printf(" %s", a->sun_path);
    }
    printf("\n");
}

static void names(const char *what, int fd)
{
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    char w[64];
    memset(&a, 0, sizeof a);
    snprintf(w, sizeof w, "%s sockname", what);
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        printf("%s: %s\n", w, errname(errno));
    else
        show_addr(w, &a, len);
    len = sizeof a;
    memset(&a, 0, sizeof a);
    snprintf(w, sizeof w, "%s peername", what);
    if (getpeername(fd, (struct sockaddr *)&a, &len) < 0)
        printf("%s: %s\n", w, errname(errno));
    else
        show_addr(w, &a, len);
}

static void creation(void)
{
    printf("socket(9999): %s\n", res(socket(9999, SOCK_STREAM, 0)));
    printf("socket(unix, 99): %s\n", res(socket(AF_UNIX, 99, 0)));
    printf("socket(unix, stream, 1): %s\n", res(socket(AF_UNIX, SOCK_STREAM, 1)));
    printf("socket(unix, stream, bad flag): %s\n", res(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0)));
    int r = socket(AF_UNIX, SOCK_RAW, 0);
    int type = 0;
    socklen_t l = sizeof type;
    getsockopt(r, SOL_SOCKET, SO_TYPE, &type, &l);
    printf("raw becomes type %d\n", type);
    close(r);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    printf("cloexec %d nonblock %d\n", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    struct stat st;
    fstat(s, &st);
    printf("fstat: socket %d mode %o\n", S_ISSOCK(st.st_mode), (unsigned)(st.st_mode & 0777));
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", s);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = '\0';
    printf("link starts socket:[ %d\n", strncmp(link, "socket:[", 8) == 0);
    names("unbound", s);
    printf("read unconnected: %s\n", res(read(s, link, 1)));
    printf("write unconnected: %s\n", res(write(s, "x", 1)));
    printf("send unconnected: %s\n", res(send(s, "x", 1, MSG_NOSIGNAL)));
    printf("accept unlistening: %s\n", res(accept(s, NULL, NULL)));
    printf("shutdown unconnected: %s\n", res(shutdown(s, SHUT_RDWR)));
    close(s);
    int p[2];
    pipe(p);
    printf("getsockname of a pipe: %s\n", res(getsockname(p[0], (struct sockaddr *)link, &l)));
    printf("send on a pipe: %s\n", res(send(p[1], "x", 1, 0)));
    printf("recv on a bad fd: %s\n", res(recv(999, link, 1, 0)));
    close(p[0]), close(p[1]);
}

static void stream_pair(void)
{
    int sv[2];
    printf("socketpair: %s\n", res(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    names("pair", sv[0]);
    write(sv[0], "hello", 5);
    write(sv[0], " world", 6);
    char buf[64] = {0};
    printf("peek: %s", res(recv(sv[1], buf, 3, MSG_PEEK)));
    printf(" '%.3s'\n", buf);
    ssize_t n = read(sv[1], buf, sizeof buf);
    printf("read: %zd '%.*s'\n", n, (int)n, buf);
    printf("dontwait empty: %s\n", res(recv(sv[1], buf, 1, MSG_DONTWAIT)));
    struct pollfd pf = {sv[1], POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&pf, 1, 0);
    printf("poll: %x\n", pf.revents);
    shutdown(sv[0], SHUT_WR);
    pf.revents = 0;
    poll(&pf, 1, 0);
    printf("poll after peer SHUT_WR: %x\n", pf.revents);
    printf("read after peer SHUT_WR: %s\n", res(read(sv[1], buf, 1)));
    signal(SIGPIPE, SIG_IGN);
    printf("write after own SHUT_WR: %s\n", res(write(sv[0], "x", 1)));
    printf("other way still works: %s", res(write(sv[1], "back", 4)));
    printf(" %s\n", res(read(sv[0], buf, 4)));
    printf("shutdown bad how: %s\n", res(shutdown(sv[0], 7)));
    close(sv[1]);
    struct pollfd pz = {sv[0], POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&pz, 1, 0);
    printf("poll after the peer closed: %x\n", pz.revents);
    printf("read after the peer closed: %s\n", res(read(sv[0], buf, 1)));
    printf("send after the peer closed: %s\n", res(send(sv[0], "x", 1, MSG_NOSIGNAL)));
    names("half-closed", sv[0]);
    close(sv[0]);

    /* SIGPIPE unless MSG_NOSIGNAL */
    signal(SIGPIPE, SIG_DFL);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    pid_t c = fork();
    if (c == 0) {
        write(sv[0], "x", 1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("write to a closed peer: killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    printf("send MSG_NOSIGNAL: %s\n", res(send(sv[0], "x", 1, MSG_NOSIGNAL)));
    close(sv[0]);

    /* a reader's unread data makes the closing end reset the peer */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "unread", 6);
    close(sv[1]);
    printf("read after a close with unread data: %s\n", res(read(sv[0], buf, 1)));
    printf("and then: %s\n", res(read(sv[0], buf, 1)));
    close(sv[0]);

    /* filling: non-blocking writes end in EAGAIN, then poll has no POLLOUT */
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
    static char big[65536];
    long total = 0;
    for (;;) {
        ssize_t w = write(sv[0], big, sizeof big);
        if (w < 0)
            break;
        total += w;
    }
    printf("filled: %d, then %s\n", total > 0, errname(errno));
    struct pollfd pw = {sv[0], POLLOUT, 0};
    printf("poll full: %d\n", poll(&pw, 1, 0));
    long got = 0;
    while ((n = read(sv[1], big, sizeof big)) > 0)
        got += n;
    printf("drained all: %d\n", got == total);
    pw.revents = 0;
    printf("poll drained: %d\n", poll(&pw, 1, 0));
    close(sv[0]), close(sv[1]);

    /* MSG_WAITALL waits for the whole length */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    c = fork();
    if (c == 0) {
        write(sv[1], "abc", 3);
        usleep(20000);
        write(sv[1], "defg", 4);
        _exit(0);
    }
    n = recv(sv[0], buf, 7, MSG_WAITALL);
    printf("waitall: %zd '%.*s'\n", n, (int)n, buf);
    waitpid(c, NULL, 0);
    close(sv[0]), close(sv[1]);
}

static void message_pairs(void)
{
    int sv[2];
    char buf[64];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[0], "one", 3, 0);
    send(sv[0], "", 0, 0);
    send(sv[0], "three33", 7, 0);
    printf("dgram 1: %s\n", res(recv(sv[1], buf, sizeof buf, 0)));
    printf("dgram empty: %s\n", res(recv(sv[1], buf, sizeof buf, 0)));
    printf("dgram truncated: %s\n", res(recv(sv[1], buf, 2, 0)));
    send(sv[0], "four4444", 8, 0);
    printf("dgram MSG_TRUNC: %s\n", res(recv(sv[1], buf, 2, MSG_TRUNC)));
    send(sv[0], "fivefive", 8, 0);
    struct iovec iv = {buf, 3};
    struct msghdr mh = {0};
    mh.msg_iov = &iv;
    mh.msg_iovlen = 1;
    printf("recvmsg truncated: %s", res(recvmsg(sv[1], &mh, 0)));
    printf(" flags %x\n", mh.msg_flags);
    names("dgram pair", sv[0]);
    close(sv[1]);
    printf("dgram send after the peer closed: %s\n", res(send(sv[0], "x", 1, 0)));
    close(sv[0]);

    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    send(sv[0], "alpha", 5, 0);
    send(sv[0], "be", 2, 0);
    printf("seqpacket 1: %s\n", res(recv(sv[1], buf, sizeof buf, 0)));
    printf("seqpacket 2: %s\n", res(recv(sv[1], buf, sizeof buf, 0)));
    send(sv[0], "gamma", 5, 0);
    printf("seqpacket truncated: %s\n", res(recv(sv[1], buf, 2, 0)));
    printf("seqpacket dontwait: %s\n", res(recv(sv[1], buf, 2, MSG_DONTWAIT)));
    close(sv[0]);
    printf("seqpacket after close: %s\n", res(recv(sv[1], buf, 2, 0)));
    close(sv[1]);
}

static void listeners(void)
{
    unlink("/tmp/u1");
    struct sockaddr_un a, b;
    socklen_t al = path_addr(&a, "/tmp/u1");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind short: %s\n", res(bind(l, (struct sockaddr *)&a, 1)));
    struct sockaddr_un wrong = a;
    wrong.sun_family = AF_INET;
    printf("bind wrong family: %s\n", res(bind(l, (struct sockaddr *)&wrong, al)));
    printf("bind: %s\n", res(bind(l, (struct sockaddr *)&a, al)));
    printf("bind again: %s\n", res(bind(l, (struct sockaddr *)&a, al)));
    struct stat st;
    stat("/tmp/u1", &st);
    printf("the path is a socket: %d\n", S_ISSOCK(st.st_mode));
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind a used path: %s\n", res(bind(l2, (struct sockaddr *)&a, al)));
    printf("bind in a missing directory: %s\n",
           res(bind(l2, (struct sockaddr *)&b, path_addr(&b, "/tmp/nodir/x"))));
    printf("connect before listen: %s\n", res(connect(l2, (struct sockaddr *)&a, al)));
    printf("listen: %s\n", res(listen(l, 1)));
    printf("listen again: %s\n", res(listen(l, 5)));
    names("listener", l);
    int acc = 0;
    socklen_t ol = sizeof acc;
    getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ol);
    printf("SO_ACCEPTCONN %d\n", acc);
    printf("connect to a missing path: %s\n",
           res(connect(l2, (struct sockaddr *)&b, path_addr(&b, "/tmp/u-none"))));
    int reg = open("/tmp/u-reg", O_CREAT | O_RDWR, 0600);
    close(reg);
    printf("connect to a regular file: %s\n",
           res(connect(l2, (struct sockaddr *)&b, path_addr(&b, "/tmp/u-reg"))));
    unlink("/tmp/u-reg");
    int sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    printf("connect of another type: %s\n", res(connect(sp, (struct sockaddr *)&a, al)));
    close(sp);
    printf("connect: %s\n", res(connect(l2, (struct sockaddr *)&a, al)));
    printf("connect again: %s\n", res(connect(l2, (struct sockaddr *)&a, al)));
    printf("connect a listener: %s\n", res(connect(l, (struct sockaddr *)&a, al)));
    names("client", l2);
    printf("sendto with an address when connected: %s\n",
           res(sendto(l2, "x", 1, 0, (struct sockaddr *)&a, al)));
    struct sockaddr_un pa;
    socklen_t pl = sizeof pa;
    int s = accept4(l, (struct sockaddr *)&pa, &pl, SOCK_CLOEXEC | SOCK_NONBLOCK);
    printf("accept4: %d, cloexec %d nonblock %d\n", s >= 0, (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    show_addr("accepted from", &pa, pl);
    names("accepted", s);
    write(l2, "ping", 4);
    char buf[16];
    printf("server reads: %s\n", res(read(s, buf, sizeof buf)));
    struct ucred cr;
    socklen_t cl = sizeof cr;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    printf("peercred: pid is me %d uid %u gid %u len %u\n", cr.pid == getpid(), cr.uid, cr.gid, cl);
    cl = sizeof cr;
    getsockopt(l2, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    printf("client's peercred: pid is me %d\n", cr.pid == getpid());

    /* the backlog: listen(1) takes two connections before EAGAIN */
    int fl = fcntl(l, F_GETFL);
    fcntl(l, F_SETFL, fl | O_NONBLOCK);
    printf("accept empty: %s\n", res(accept(l, NULL, NULL)));
    int cs[4], ok = 0;
    for (int i = 0; i < 4; i++) {
        cs[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int r = connect(cs[i], (struct sockaddr *)&a, al);
        if (r == 0)
            ok++;
        else
            printf("connect %d: %s\n", i, errname(errno));
    }
    printf("backlog connects: %d\n", ok);
    struct pollfd pf = {l, POLLIN, 0};
    printf("listener readable: %d\n", poll(&pf, 1, 0));
    int took = 0;
    int x;
    while ((x = accept(l, NULL, NULL)) >= 0)
        took++, close(x);
    printf("accepted: %d\n", took);
    for (int i = 0; i < 4; i++)
        close(cs[i]);
    fcntl(l, F_SETFL, fl);

    /* a blocking accept woken by another process's connect */
    pid_t c = fork();
    if (c == 0) {
        usleep(30000);
        int k = socket(AF_UNIX, SOCK_STREAM, 0);
        connect(k, (struct sockaddr *)&a, al);
        write(k, "from child", 10);
        close(k);
        _exit(0);
    }
    int t = accept(l, NULL, NULL);
    ssize_t n = read(t, buf, sizeof buf);
    printf("blocking accept: %d, read %zd '%.*s', then %s\n", t >= 0, n, (int)n, buf,
           res(read(t, buf, sizeof buf)));
    waitpid(c, NULL, 0);
    close(t);

    /* unlinking the path: no new connections, the old ones go on */
    unlink("/tmp/u1");
    int k = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("connect after unlink: %s\n", res(connect(k, (struct sockaddr *)&a, al)));
    printf("old connection: %s\n", res(write(l2, "still", 5)));
    close(k), close(s), close(l2);

    /* a listener closed with a connection pending */
    path_addr(&a, "/tmp/u2");
    unlink("/tmp/u2");
    int l3 = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l3, (struct sockaddr *)&a, al);
    listen(l3, 4);
    int pend = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(pend, (struct sockaddr *)&a, al);
    close(l3);
    printf("pending, listener gone: read %s", res(read(pend, buf, 1)));
    printf(", then %s\n", res(read(pend, buf, 1)));
    printf("connect to the dead path: %s\n", res(connect(l, (struct sockaddr *)&a, al)));
    close(pend), close(l);
    unlink("/tmp/u2");

    /* abstract names and autobind */
    int ab = socket(AF_UNIX, SOCK_STREAM, 0);
    al = abstract_addr(&a, "skoll-test");
    printf("bind abstract: %s\n", res(bind(ab, (struct sockaddr *)&a, al)));
    names("abstract", ab);
    int ab2 = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind abstract again: %s\n", res(bind(ab2, (struct sockaddr *)&a, al)));
    listen(ab, 2);
    printf("connect abstract: %s\n", res(connect(ab2, (struct sockaddr *)&a, al)));
    close(ab2);
    int au = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("autobind: %s\n", res(bind(au, (struct sockaddr *)&a, sizeof(sa_family_t))));
    names("autobound", au);
    close(au), close(ab);
    int ab3 = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("the name is free again: %s\n", res(bind(ab3, (struct sockaddr *)&a, al)));
    close(ab3);
}

static void datagrams(void)
{
    unlink("/tmp/ud1");
    unlink("/tmp/ud2");
    struct sockaddr_un a, b, from;
    socklen_t al = path_addr(&a, "/tmp/ud1"), bl = path_addr(&b, "/tmp/ud2");
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(srv, (struct sockaddr *)&a, al);
    printf("listen on dgram: %s\n", res(listen(srv, 1)));
    int cli = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("send unaddressed: %s\n", res(send(cli, "x", 1, 0)));
    printf("sendto: %s\n", res(sendto(cli, "hi", 2, 0, (struct sockaddr *)&a, al)));
    char buf[32];
    socklen_t fl = sizeof from;
    memset(&from, 0x55, sizeof from);
    printf("recvfrom: %s", res(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)));
    printf(", from len %u\n", (unsigned)fl);
    bind(cli, (struct sockaddr *)&b, bl);
    sendto(cli, "named", 5, 0, (struct sockaddr *)&a, al);
    fl = sizeof from;
    recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    show_addr("from a bound sender", &from, fl);
    printf("connect: %s\n", res(connect(cli, (struct sockaddr *)&a, al)));
    printf("send connected: %s\n", res(send(cli, "c", 1, 0)));
    names("dgram client", cli);
    /* srv connects to cli: a third socket may no longer send to srv? No: to cli */
    connect(srv, (struct sockaddr *)&b, bl);
    int third = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("send to a socket connected elsewhere: %s\n",
           res(sendto(third, "z", 1, 0, (struct sockaddr *)&b, bl)));
    printf("send to its peer: %s\n", res(sendto(third, "z", 1, 0, (struct sockaddr *)&a, al)));
    /* the queue limit, non-blocking */
    int q = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un qa;
    socklen_t qal = abstract_addr(&qa, "skoll-q");
    bind(q, (struct sockaddr *)&qa, qal);
    int sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sent = 0;
    while (sendto(sender, "m", 1, 0, (struct sockaddr *)&qa, qal) == 1 && sent < 1000)
        sent++;
    printf("queue took %d, then %s\n", sent, errname(errno));
    struct pollfd pf = {q, POLLIN, 0};
    printf("receiver readable: %d\n", poll(&pf, 1, 0));
    close(q);
    printf("send to a closed receiver: %s\n",
           res(sendto(sender, "m", 1, 0, (struct sockaddr *)&qa, qal)));
    close(srv);
    printf("send to a closed path: %s\n", res(send(cli, "x", 1, 0)));
    printf("send again: %s\n", res(send(cli, "x", 1, 0)));
    close(cli), close(third), close(sender);
    unlink("/tmp/ud1");
    unlink("/tmp/ud2");
}

static void rights(void)
{
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    write(p[1], "through", 7);
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iv = {"R", 1};
    struct msghdr mh = {0};
    mh.msg_iov = &iv;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    printf("sendmsg with a descriptor: %s\n", res(sendmsg(sv[0], &mh, 0)));
    close(p[0]);
    char c;
    struct iovec riv = {&c, 1};
    struct msghdr rh = {0};
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } ru;
    rh.msg_iov = &riv;
    rh.msg_iovlen = 1;
    rh.msg_control = ru.buf;
    rh.msg_controllen = sizeof ru.buf;
    printf("recvmsg: %s", res(recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC)));
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rh);
    int got = -1;
    if (rc && rc->cmsg_type == SCM_RIGHTS) {
        memcpy(&got, CMSG_DATA(rc), sizeof got);
        printf(" level %d type %d len %zu controllen %zu\n", rc->cmsg_level, rc->cmsg_type,
               (size_t)rc->cmsg_len, (size_t)rh.msg_controllen);
    } else {
        printf(" no rights\n");
    }
    char buf[16];
    ssize_t n = read(got, buf, sizeof buf);
    printf("read through the passed descriptor: %zd '%.*s', cloexec %d\n", n, (int)n, buf,
           (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
    close(got);

    /* a control buffer too small: the descriptors are dropped, MSG_CTRUNC */
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    sendmsg(sv[0], &mh, 0);
    rh.msg_controllen = sizeof(struct cmsghdr) - 1;
    printf("recvmsg small control: %s", res(recvmsg(sv[1], &rh, 0)));
    printf(" flags %x controllen %zu\n", rh.msg_flags, (size_t)rh.msg_controllen);

    /* a bad descriptor to send */
    int bad = 999;
    memcpy(CMSG_DATA(cm), &bad, sizeof(int));
    printf("sendmsg with a bad descriptor: %s\n", res(sendmsg(sv[0], &mh, 0)));
    cm->cmsg_type = 77;
    printf("sendmsg with an unknown type: %s\n", res(sendmsg(sv[0], &mh, 0)));
    cm->cmsg_type = SCM_RIGHTS;

    /* across processes: the child gets a pipe's write end and writes */
    int q[2];
    pipe(q);
    pid_t ch = fork();
    if (ch == 0) {
        close(q[1]);
        char cc;
        struct iovec civ = {&cc, 1};
        struct msghdr cmh = {0};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } cu;
        cmh.msg_iov = &civ;
        cmh.msg_iovlen = 1;
        cmh.msg_control = cu.buf;
        cmh.msg_controllen = sizeof cu.buf;
        if (recvmsg(sv[1], &cmh, 0) != 1)
            _exit(1);
        int wfd;
        memcpy(&wfd, CMSG_DATA(CMSG_FIRSTHDR(&cmh)), sizeof wfd);
        write(wfd, "child wrote", 11);
        _exit(0);
    }
    memcpy(CMSG_DATA(cm), &q[1], sizeof(int));
    sendmsg(sv[0], &mh, 0);
    close(q[1]);
    int st;
    waitpid(ch, &st, 0);
    n = read(q[0], buf, sizeof buf);
    printf("the child wrote through it: %zd '%.*s', status %d\n", n, (int)n, buf, WEXITSTATUS(st));
    printf("and then the pipe ends: %s\n", res(read(q[0], buf, sizeof buf)));
    close(q[0]);

    /* descriptors in flight when the receiver closes are dropped */
    int r[2];
    pipe(r);
    memcpy(CMSG_DATA(cm), &r[1], sizeof(int));
    sendmsg(sv[0], &mh, 0);
    close(r[1]);
    close(sv[1]);
    printf("in flight, receiver closed: pipe reads %s\n", res(read(r[0], buf, sizeof buf)));
    close(r[0]), close(sv[0]);

    /* unreachable cycles are collected: a pair whose ends are in flight in each other (with a
       pipe's write end beside them), and a datagram socket sent to itself; once nothing
       else holds them the pipe's write end is closed and its reader sees end of file */
    int pa[2], pb[2], cyc[2];
    pipe(pa);
    pipe(pb);
    socketpair(AF_UNIX, SOCK_STREAM, 0, cyc);
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } gu;
    struct msghdr gh = {0};
    struct iovec giv = {"G", 1};
    gh.msg_iov = &giv;
    gh.msg_iovlen = 1;
    gh.msg_control = gu.buf;
    gh.msg_controllen = sizeof gu.buf;
    struct cmsghdr *gc = CMSG_FIRSTHDR(&gh);
    gc->cmsg_level = SOL_SOCKET;
    gc->cmsg_type = SCM_RIGHTS;
    gc->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int two[2] = {cyc[1], pa[1]};
    memcpy(CMSG_DATA(gc), two, sizeof two);
    printf("send an end to itself: %s\n", res(sendmsg(cyc[0], &gh, 0)));
    two[0] = cyc[0];
    two[1] = pa[1];
    printf("and the other to the other: %s\n", res(sendmsg(cyc[1], &gh, 0)));
    close(pa[1]), close(cyc[0]), close(cyc[1]);
    int self = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa;
    socklen_t sal = abstract_addr(&sa, "skoll-self");
    bind(self, (struct sockaddr *)&sa, sal);
    two[0] = self;
    two[1] = pb[1];
    memcpy(CMSG_DATA(gc), two, sizeof two);
    gh.msg_name = &sa;
    gh.msg_namelen = sal;
    printf("send a datagram socket to itself: %s\n", res(sendmsg(self, &gh, 0)));
    close(pb[1]), close(self);
    close(socket(AF_UNIX, SOCK_STREAM, 0)); /* (Linux collects when some socket goes) */
    struct pollfd gp[2] = {{pa[0], POLLIN, 0}, {pb[0], POLLIN, 0}};
    poll(gp, 2, 5000);
    poll(&gp[1], 1, 5000);
    printf("cycles collected: pipe a %s", res(read(pa[0], buf, 1)));
    printf(", pipe b %s\n", res(read(pb[0], buf, 1)));
    close(pa[0]), close(pb[0]);

    /* credentials */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int on = 1;
    printf("SO_PASSCRED: %s\n", res(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on)));
    send(sv[0], "c", 1, 0);
    rh.msg_control = ru.buf;
    rh.msg_controllen = sizeof ru.buf;
    printf("recvmsg with credentials: %s", res(recvmsg(sv[1], &rh, 0)));
    rc = CMSG_FIRSTHDR(&rh);
    if (rc && rc->cmsg_type == SCM_CREDENTIALS) {
        struct ucred u2;
        memcpy(&u2, CMSG_DATA(rc), sizeof u2);
        printf(" len %zu pid is me %d uid %u gid %u\n", (size_t)rc->cmsg_len, u2.pid == getpid(),
               u2.uid, u2.gid);
    } else {
        printf(" none\n");
    }
    /* explicit credentials of one's own */
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } cu;
    memset(&cu, 0, sizeof cu);
    mh.msg_control = cu.buf;
    mh.msg_controllen = sizeof cu.buf;
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred mine = {getpid(), getuid(), getgid()};
    memcpy(CMSG_DATA(cm), &mine, sizeof mine);
    printf("send own credentials: %s\n", res(sendmsg(sv[0], &mh, 0)));
    rh.msg_controllen = sizeof ru.buf;
    recvmsg(sv[1], &rh, 0);
    printf("received: %d\n", CMSG_FIRSTHDR(&rh) && CMSG_FIRSTHDR(&rh)->cmsg_type == SCM_CREDENTIALS);
    close(sv[0]), close(sv[1]);
}

static void options(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int v = 0;
    socklen_t l = sizeof v;
    int names_[] = {SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, SO_ACCEPTCONN, SO_PASSCRED,
                    SO_SNDBUF, SO_RCVBUF, SO_REUSEADDR, SO_KEEPALIVE};
    const char *label[] = {"SO_TYPE", "SO_DOMAIN", "SO_PROTOCOL", "SO_ERROR", "SO_ACCEPTCONN",
                           "SO_PASSCRED", "SO_SNDBUF", "SO_RCVBUF", "SO_REUSEADDR", "SO_KEEPALIVE"};
    for (unsigned i = 0; i < sizeof names_ / sizeof names_[0]; i++) {
        l = sizeof v;
        v = -1;
        int r = getsockopt(s, SOL_SOCKET, names_[i], &v, &l);
        printf("%s: %s %d len %u\n", label[i], res(r), v, (unsigned)l);
    }
    v = 10000;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    l = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &l);
    printf("SO_SNDBUF after 10000: %d\n", v);
    v = 1;
    printf("SO_REUSEADDR set: %s\n", res(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v)));
    l = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &l);
    printf("SO_REUSEADDR: %d\n", v);
    printf("unknown option: %s\n", res(getsockopt(s, SOL_SOCKET, 9999, &v, &l)));
    printf("unknown level: %s\n", res(getsockopt(s, 9999, SO_TYPE, &v, &l)));
    printf("set short: %s\n", res(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, 2)));
    l = 2;
    printf("get short: %s len %u\n", res(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l)), (unsigned)l);
    struct ucred cr;
    l = sizeof cr;
    printf("SO_PEERCRED unconnected: %s\n", res(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l)));
    printf("get on a pipe: %s\n", res(getsockopt(0 /* stdin */ + 999, SOL_SOCKET, SO_TYPE, &v, &l)));
    int p[2];
    pipe(p);
    printf("get on a non-socket: %s\n", res(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &l)));
    close(p[0]), close(p[1]), close(s);

    /* SO_RCVTIMEO: a blocking recv gives up with EAGAIN */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct timeval tv = {0, 30000};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    printf("recv with SO_RCVTIMEO: %s\n", res(recv(sv[0], &c, 1, 0)));
    struct timeval back;
    l = sizeof back;
    getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &back, &l);
    printf("SO_RCVTIMEO reads back %ld.%06ld\n", (long)back.tv_sec, (long)back.tv_usec);

    /* epoll on sockets */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = 1};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
    struct epoll_event out[2];
    printf("epoll nothing: %d\n", epoll_wait(ep, out, 2, 0));
    write(sv[0], "e", 1);
    int n = epoll_wait(ep, out, 2, 0);
    printf("epoll data: %d %x\n", n, n > 0 ? out[0].events : 0);
    shutdown(sv[0], SHUT_WR);
    n = epoll_wait(ep, out, 2, 0);
    printf("epoll shutdown: %d %x\n", n, n > 0 ? out[0].events : 0);
    close(ep);

    /* a blocking recv woken by another process; sendmsg/recvmsg with several iovecs */
    int sp[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
    pid_t ch = fork();
    if (ch == 0) {
        usleep(30000);
        struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
        struct msghdr m = {0};
        m.msg_iov = w;
        m.msg_iovlen = 3;
        sendmsg(sp[1], &m, 0);
        _exit(0);
    }
    char x1[3] = {0}, x2[8] = {0};
    struct iovec r[2] = {{x1, 3}, {x2, 8}};
    struct msghdr m = {0};
    m.msg_iov = r;
    m.msg_iovlen = 2;
    printf("recvmsg scatter: %s '%s' '%s'\n", res(recvmsg(sp[0], &m, 0)), x1, x2);
    waitpid(ch, NULL, 0);
    close(sp[0]), close(sp[1]), close(sv[0]), close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    alarm(60); /* (a call that never returns ends the case instead of the whole run) */
    creation();
    stream_pair();
    message_pairs();
    listeners();
    datagrams();
    rights();
    options();
    return 0;
}
