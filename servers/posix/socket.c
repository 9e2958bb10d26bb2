/*
 * AF_UNIX sockets (docs/posix.md, "Local sockets"): stream, datagram and seqpacket, with
 * Linux's rules. A socket (struct usock) is its file's priv; connected pairs reference each
 * other, a datagram socket references its default destination, a queued message references
 * its sender (whose send buffer it counts against, as Linux's skb truesize), so each lives
 * while anything points at it (refs). A receive queue holds messages (struct umsg): bytes,
 * descriptors in flight (file references), the sender's credentials and address. A stream
 * read runs across messages but stops after one carrying descriptors; message types take one
 * per read. Writers wait on their own queue for their buffered bytes to be read; datagram
 * senders facing a full receiver, and connects facing a full backlog, wait on one queue each
 * and look again when any reader or accept makes room.
 */
#include "posix.h"
#include "calls.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2

#define SUN_OFF 2           /* offsetof(struct sockaddr_un, sun_path) */
#define SUN_MAX 110         /* sizeof(struct sockaddr_un) */
#define SNDBUF_DEFAULT 212992u
#define BUF_MAX 212992u     /* net.core.wmem_max, rmem_max */
#define SNDBUF_MIN 4608u
#define RCVBUF_MIN 2304u
#define MSG_COST 576u       /* what a queued message costs its sender beyond its bytes */
#define MAX_DGRAM_QLEN 10u  /* net.unix.max_dgram_qlen */
#define SCM_MAX_FD 253u
#define SOMAXCONN 4096u
#define OPTMEM_MAX 20480u   /* net.core.optmem_max: the largest control buffer */
#define UIO_MAXIOV 1024u
#define STREAM_CHUNK (64u << 10) /* a stream send is gathered and queued this much at a time */
#define RECV_MAX (256u << 10)    /* one receive call takes at most this much (streams) */
#define HZ 250               /* Debian's: socket timeouts are kept in its ticks, as Linux */

#define SHUT_RCV 1
#define SHUT_SEND 2

enum { SS_UNCONNECTED, SS_LISTENING, SS_CONNECTED };

struct lx_ucred {
    int32_t pid;
    uint32_t uid, gid;
};

struct lx_msghdr {
    uint64_t name;
    int32_t namelen, pad0;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, pad1;
};
_Static_assert(sizeof(struct lx_msghdr) == 56, "msghdr");

struct lx_cmsghdr {
    uint64_t len;
    int32_t level, type;
};
#define CMSG_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)
#define CMSG_HDR 16u
#define CMSG_LEN(n) (CMSG_HDR + (n))
#define CMSG_SPACE(n) (CMSG_HDR + CMSG_ALIGN(n))

struct uaddr {
    uint32_t len; /* of the sockaddr: the family and the name as bound */
    uint8_t sa[SUN_MAX + 2];
};

struct usock;

struct umsg {
    struct umsg *next;
    uint32_t len, off;     /* bytes, and (streams) how many were read */
    struct usock *sender;  /* held: the message counts against its send buffer */
    struct file **fds;     /* SCM_RIGHTS in flight */
    uint32_t nfds;
    struct lx_ucred cred;  /* the sender's, always kept (SO_PASSCRED may ask) */
    struct uaddr *from;    /* datagrams: the sender's name, if it had one */
    uint8_t data[];
};

struct usock {
    int type;
    int state;
    uint32_t refs;
    int dead;               /* its file is gone */
    struct file *file;      /* (not held) */
    struct usock *peer;     /* held: the other end, or a datagram socket's destination */
    struct uaddr *addr;     /* bound name, or NULL */
    struct inode *ino;      /* bound to a path: the node (held) */
    struct umsg *q, **qtail;
    uint32_t qlen;
    /* listening: connections not accepted yet, oldest first */
    struct usock *acq, **acqtail, *acnext;
    uint32_t nacq, backlog;
    int shut;               /* SHUT_RCV | SHUT_SEND */
    int err;                /* SO_ERROR, taken by the next look */
    int passcred, reuseaddr, keepalive, embryo;
    struct lx_ucred peercred;
    uint32_t sndbuf, rcvbuf;
    uint64_t wmem;          /* this socket's messages in queues (bytes + MSG_COST each) */
    uint64_t rcvtimeo, sndtimeo; /* HZ ticks; 0: wait for ever */
    struct waitq rq, wq;    /* readers and acceptors; writers waiting for their buffer */
    struct pollsrc src;
    struct usock *anext;    /* abstract names */
    /* the collector: references to this socket's file in queues, the in-flight list */
    uint32_t inflight, gc_count;
    int gc_cand, gc_alive;
    struct usock *inext, **iprev;
};

static struct usock *abstract_names;
static struct waitq dgram_room; /* datagram senders facing a full receiver */
static struct waitq connect_room; /* connects facing a full backlog */
static uint32_t autobind_next;
static struct super sockfs = {.magic = 0x534F434B /* SOCKFS_MAGIC */, .refs = 1};

static const struct file_ops stream_ops, dgram_ops;

static struct usock *sock_of_file(struct file *f)
{
    return f && (f->ops == &stream_ops || f->ops == &dgram_ops) ? f->priv : NULL;
}

/* The socket behind descriptor fd, or NULL with *err (EBADF, ENOTSOCK). */
static struct usock *sock_of(struct lthread *t, int fd, long *err)
{
    struct file *f = fd_get(t->p->fds, fd);
    if (!f) {
        *err = -LX_EBADF;
        return NULL;
    }
    struct usock *s = sock_of_file(f);
    if (!s)
        *err = -LX_ENOTSOCK;
    return s;
}

static struct lx_ucred my_cred(struct lthread *t, int effective)
{
    struct lx_ucred c = {t->p->pid, effective ? t->p->euid : t->p->uid,
                         effective ? t->p->egid : t->p->gid};
    return c;
}

static void wake(struct usock *s, uint32_t events)
{
    if (events & (LX_POLLIN | LX_POLLHUP | LX_POLLERR))
        waitq_wake_all(&s->rq);
    if (events & (LX_POLLOUT | LX_POLLHUP | LX_POLLERR))
        waitq_wake_all(&s->wq);
    pollsrc_notify(&s->src, events);
}

/* ---- lifetimes ---- */

static struct usock *usock_new(int type)
{
    struct usock *s = sk_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->type = type;
    s->refs = 1;
    s->qtail = &s->q;
    s->acqtail = &s->acq;
    s->sndbuf = SNDBUF_DEFAULT;
    s->rcvbuf = SNDBUF_DEFAULT;
    s->peercred.pid = 0;
    s->peercred.uid = s->peercred.gid = 65534; /* (no peer: the overflow ids, as Linux) */
    return s;
}

static void usock_put(struct usock *s);

/* ---- descriptors in flight, and the collector of unreachable ones (Linux's unix_gc) ----
 * A socket whose file is referenced only from queues (file refs == inflight) is a
 * candidate. References from candidates' queues are taken off their targets' counts; a
 * candidate left with a count is reachable from outside, and so is everything its queue
 * holds. The rest can never be read by anyone: their queues are purged, which drops the
 * references that kept them (a socket sent over itself, a pair sent over each other). */

static struct usock *inflight_list;
static int gc_running;

static void inflight_add(struct file **fds, uint32_t n, int d)
{
    for (uint32_t i = 0; i < n; i++) {
        struct usock *o = sock_of_file(fds[i]);
        if (!o)
            continue;
        if (d > 0 && o->inflight++ == 0) {
            o->inext = inflight_list;
            if (inflight_list)
                inflight_list->iprev = &o->inext;
            inflight_list = o;
            o->iprev = &inflight_list;
        } else if (d < 0 && --o->inflight == 0) {
            if (o->inext)
                o->inext->iprev = o->iprev;
            *o->iprev = o->inext;
        }
    }
}

static void purge(struct usock *s);

static void gc(void)
{
    if (gc_running || !inflight_list)
        return;
    gc_running = 1;
    uint32_t n = 0;
    for (struct usock *s = inflight_list; s; s = s->inext, n++) {
        s->gc_cand = s->file && s->file->refs == s->inflight;
        s->gc_count = s->inflight;
        s->gc_alive = 0;
    }
    struct usock **work = sk_calloc(n, sizeof *work);
    if (!work) {
        gc_running = 0;
        return;
    }
    for (struct usock *s = inflight_list; s; s = s->inext)
        if (s->gc_cand)
            for (struct umsg *m = s->q; m; m = m->next)
                for (uint32_t i = 0; i < m->nfds; i++) {
                    struct usock *o = sock_of_file(m->fds[i]);
                    if (o && o->gc_cand)
                        o->gc_count--;
                }
    uint32_t top = 0;
    for (struct usock *s = inflight_list; s; s = s->inext)
        if (s->gc_cand && s->gc_count > 0 && !s->gc_alive) {
            s->gc_alive = 1;
            work[top++] = s;
        }
    while (top) {
        struct usock *s = work[--top];
        for (struct umsg *m = s->q; m; m = m->next)
            for (uint32_t i = 0; i < m->nfds; i++) {
                struct usock *o = sock_of_file(m->fds[i]);
                if (o && o->gc_cand && !o->gc_alive) {
                    o->gc_alive = 1;
                    work[top++] = o;
                }
            }
    }
    uint32_t g = 0;
    for (struct usock *s = inflight_list; s; s = s->inext) {
        if (s->gc_cand && !s->gc_alive) {
            s->refs++;
            work[g++] = s;
        }
        s->gc_cand = 0;
    }
    for (uint32_t i = 0; i < g; i++)
        purge(work[i]);
    for (uint32_t i = 0; i < g; i++)
        usock_put(work[i]);
    sk_free(work);
    gc_running = 0;
}

static void sock_unref(struct file *f)
{
    struct usock *s = f->priv;
    if (s && s->inflight && f->refs == s->inflight)
        gc();
}

static void msg_free(struct umsg *m)
{
    inflight_add(m->fds, m->nfds, -1);
    for (uint32_t i = 0; i < m->nfds; i++)
        file_put(m->fds[i]);
    sk_free(m->fds);
    sk_free(m->from);
    struct usock *snd = m->sender;
    if (snd) {
        snd->wmem -= m->len + MSG_COST;
        wake(snd, LX_POLLOUT);
        usock_put(snd);
    }
    sk_free(m);
}

/* Take m off the head of s's queue and free it (its descriptors are closed unless taken). */
static void msg_drop_head(struct usock *s)
{
    struct umsg *m = s->q;
    s->q = m->next;
    if (!s->q)
        s->qtail = &s->q;
    s->qlen--;
    if (s->type != SOCK_STREAM)
        waitq_wake_all(&dgram_room);
    msg_free(m);
}

static void purge(struct usock *s)
{
    while (s->q)
        msg_drop_head(s);
}

static void usock_put(struct usock *s)
{
    if (!s || --s->refs > 0)
        return;
    purge(s);
    sk_free(s->addr);
    sk_free(s);
}

static void unbind(struct usock *s)
{
    if (s->ino) {
        if (s->ino->sock == s)
            s->ino->sock = NULL;
        inode_put(s->ino);
        s->ino = NULL;
    } else if (s->addr) {
        for (struct usock **pp = &abstract_names; *pp; pp = &(*pp)->anext)
            if (*pp == s) {
                *pp = s->anext;
                break;
            }
    }
}

/* s goes (its file's last close, or an embryo its listener drops): Linux's unix_release_sock. */
static void usock_release(struct usock *s)
{
    s->dead = 1;
    unbind(s);
    struct usock *peer = s->peer;
    s->peer = NULL;
    if (peer && s->type != SOCK_DGRAM) {
        peer->shut = SHUT_RCV | SHUT_SEND;
        if (s->q || s->embryo)
            peer->err = LX_ECONNRESET;
        wake(peer, LX_POLLIN | LX_POLLOUT | LX_POLLHUP);
    }
    usock_put(peer);
    while (s->acq) {
        struct usock *e = s->acq;
        s->acq = e->acnext;
        usock_release(e);
        usock_put(e); /* (the queue's reference) */
    }
    s->nacq = 0;
    s->acqtail = &s->acq;
    purge(s);
    s->state = SS_UNCONNECTED;
    waitq_wake_all(&dgram_room);
    waitq_wake_all(&connect_room);
    wake(s, LX_POLLHUP);
}

static void sock_file_release(struct file *f)
{
    struct usock *s = f->priv;
    f->priv = NULL;
    if (!s)
        return;
    s->file = NULL;
    usock_release(s);
    usock_put(s);
}

/* A file for s (its reference moves to the file) installed as a descriptor. */
static int sock_install(struct lthread *t, struct usock *s, uint32_t flags)
{
    if (!sockfs.dev)
        sockfs.dev = super_dev_new();
    struct inode *ino = inode_new(LX_S_IFSOCK | 0777);
    struct file *f = NULL;
    if (ino) {
        ino->sb = super_get(&sockfs);
        ino->uid = t->p->euid;
        ino->gid = t->p->egid;
        f = file_open(ino, LX_O_RDWR | (flags & LX_O_NONBLOCK));
    }
    inode_put(ino);
    if (!f) {
        usock_release(s);
        usock_put(s);
        return -LX_ENOMEM;
    }
    f->ops = s->type == SOCK_STREAM ? &stream_ops : &dgram_ops;
    f->priv = s;
    s->file = f;
    int fd = fd_install(t->p->fds, 0, f, (flags & LX_O_CLOEXEC) != 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* ---- addresses ---- */

/* Check a sockaddr_un as bind, connect and sendto do (Linux's unix_validate_addr). */
static long addr_check(const uint8_t *sa, uint32_t len)
{
    if (len <= SUN_OFF || len > SUN_MAX)
        return -LX_EINVAL;
    if ((sa[0] | sa[1] << 8) != AF_UNIX)
        return -LX_EINVAL;
    return 0;
}

/* A path name from a sockaddr_un (NUL-terminated at len, as Linux's unix_mkname_bsd). */
static void addr_path(const uint8_t *sa, uint32_t len, char *out)
{
    uint32_t n = len - SUN_OFF;
    memcpy(out, sa + SUN_OFF, n);
    out[n] = '\0';
}

static struct usock *abstract_find(const uint8_t *sa, uint32_t len)
{
    for (struct usock *s = abstract_names; s; s = s->anext)
        if (s->addr->len == len && memcmp(s->addr->sa, sa, len) == 0)
            return s;
    return NULL;
}

static int set_addr(struct usock *s, const uint8_t *sa, uint32_t len)
{
    struct uaddr *a = sk_calloc(1, sizeof *a);
    if (!a)
        return -LX_ENOMEM;
    a->len = len;
    memcpy(a->sa, sa, len);
    s->addr = a;
    return 0;
}

static long autobind(struct usock *s)
{
    if (s->addr)
        return 0;
    uint8_t sa[8] = {AF_UNIX, 0, 0};
    for (uint32_t tries = 0; tries < 0x100000; tries++) {
        uint32_t n = autobind_next++ & 0xfffff;
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < 5; i++)
            sa[3 + i] = (uint8_t)hex[(n >> (4 * (4 - i))) & 15];
        if (abstract_find(sa, sizeof sa))
            continue;
        long e = set_addr(s, sa, sizeof sa);
        if (e)
            return e;
        s->anext = abstract_names;
        abstract_names = s;
        return 0;
    }
    return -LX_ENOSPC;
}

/* The socket a name names, or NULL with *err (ENOENT..., ECONNREFUSED, EPROTOTYPE). */
static struct usock *lookup(struct lthread *t, const uint8_t *sa, uint32_t len, int type, long *err)
{
    struct usock *o;
    if (sa[SUN_OFF] == 0) {
        o = abstract_find(sa, len);
        if (!o) {
            *err = -LX_ECONNREFUSED;
            return NULL;
        }
    } else {
        char path[SUN_MAX];
        addr_path(sa, len, path);
        struct inode *ino;
        int e = vfs_lookup(t->p, t->p->cwd, path, LOOKUP_FOLLOW, &ino, NULL);
        if (e) {
            *err = e;
            return NULL;
        }
        if ((ino->mode & LX_S_IFMT) != LX_S_IFSOCK) {
            *err = -LX_ECONNREFUSED;
            return NULL;
        }
        e = vfs_permission(t->p, ino, 2);
        if (e) {
            *err = e;
            return NULL;
        }
        o = ino->sock;
        if (!o) {
            *err = -LX_ECONNREFUSED;
            return NULL;
        }
    }
    if (o->type != type) {
        *err = -LX_EPROTOTYPE;
        return NULL;
    }
    return o;
}

/* ---- readiness ---- */

static uint32_t sock_poll(struct file *f)
{
    struct usock *s = f->priv;
    uint32_t m = 0;
    if (s->err)
        m |= LX_POLLERR;
    if (s->shut == (SHUT_RCV | SHUT_SEND))
        m |= LX_POLLHUP;
    if (s->shut & SHUT_RCV)
        m |= LX_POLLRDHUP | LX_POLLIN | LX_POLLRDNORM;
    if (s->q || s->acq)
        m |= LX_POLLIN | LX_POLLRDNORM;
    if (s->type != SOCK_DGRAM && s->state == SS_UNCONNECTED)
        m |= LX_POLLHUP;
    int writable = s->state != SS_LISTENING && (s->wmem << 2) <= s->sndbuf;
    if (writable && s->type != SOCK_STREAM) {
        struct usock *o = s->peer;
        if (o && o->peer != s && o->qlen > MAX_DGRAM_QLEN)
            writable = 0;
    }
    if (writable)
        m |= LX_POLLOUT | LX_POLLWRNORM | LX_POLLWRBAND;
    return m;
}

static struct pollsrc *sock_pollsrc(struct file *f)
{
    return &((struct usock *)f->priv)->src;
}

/* ---- socket, socketpair ---- */

/* socket(2)'s checks in Linux's order: flags, family, type range, protocol, the type. */
static long type_of(const uint64_t *a, int *type)
{
    if (a[1] & ~(uint64_t)(SOCK_TYPE_MASK | LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -LX_EINVAL;
    if ((int)a[0] != AF_UNIX)
        return -LX_EAFNOSUPPORT; /* (no other family yet: Internet sockets come with the network) */
    int ty = (int)(a[1] & SOCK_TYPE_MASK);
    if (ty >= 11 /* SOCK_MAX */)
        return -LX_EINVAL;
    if (a[2] != 0 && a[2] != AF_UNIX)
        return -LX_EPROTONOSUPPORT;
    if (ty == SOCK_RAW)
        ty = SOCK_DGRAM; /* (as Linux's unix_create) */
    if (ty != SOCK_STREAM && ty != SOCK_DGRAM && ty != SOCK_SEQPACKET)
        return -LX_ESOCKTNOSUPPORT;
    *type = ty;
    return 0;
}

long sys_socket(struct lthread *t)
{
    int type;
    long e = type_of(t->a, &type);
    if (e)
        return e;
    struct usock *s = usock_new(type);
    if (!s)
        return -LX_ENOMEM;
    return sock_install(t, s, (uint32_t)t->a[1]);
}

static sk_error_t pair_written(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) { /* (Linux leaves the descriptors; they are closed here, the caller has no names) */
        int *fd = t->buf;
        fd_close(t->p->fds, fd[0]);
        fd_close(t->p->fds, fd[1]);
        return err;
    }
    call_return(t, 0);
    return SK_OK;
}

long sys_socketpair(struct lthread *t)
{
    int type;
    long e = type_of(t->a, &type);
    if (e)
        return e;
    struct usock *a = usock_new(type), *b = usock_new(type);
    if (!a || !b) {
        sk_free(a);
        sk_free(b);
        return -LX_ENOMEM;
    }
    a->peer = b, b->refs++;
    b->peer = a, a->refs++;
    a->state = b->state = SS_CONNECTED;
    a->peercred = b->peercred = my_cred(t, 1);
    int *fd = sk_calloc(2, sizeof(int));
    if (!fd) {
        usock_release(a), usock_put(a), usock_release(b), usock_put(b);
        return -LX_ENOMEM;
    }
    t->buf = fd;
    fd[0] = sock_install(t, a, (uint32_t)t->a[1]);
    if (fd[0] < 0) {
        usock_release(b), usock_put(b);
        return fd[0];
    }
    fd[1] = sock_install(t, b, (uint32_t)t->a[1]);
    if (fd[1] < 0) {
        fd_close(t->p->fds, fd[0]);
        return fd[1];
    }
    sk_error_t ce = call_copy_out(t, t->a[3], fd, 2 * sizeof(int), pair_written);
    if (ce) {
        fd_close(t->p->fds, fd[0]);
        fd_close(t->p->fds, fd[1]);
        return errno_from_sk(ce);
    }
    return CALL_PENDING;
}

/* ---- bind, listen, connect (with the address read in first) ---- */

struct addrcall {
    uint8_t sa[128];
    uint32_t len;
};

static long do_bind(struct lthread *t, struct usock *s, const uint8_t *sa, uint32_t len)
{
    if (len == SUN_OFF && len >= 2 && (sa[0] | sa[1] << 8) == AF_UNIX)
        return autobind(s);
    long e = addr_check(sa, len);
    if (e)
        return e;
    if (sa[SUN_OFF] != 0) {
        char path[SUN_MAX];
        addr_path(sa, len, path);
        struct inode *ino = NULL;
        if (s->addr) { /* (Linux makes the node, then finds the socket bound and undoes it:
                          a taken name is EADDRINUSE, a free one EINVAL) */
            e = vfs_lookup(t->p, t->p->cwd, path, 0, &ino, NULL);
            return e == 0 ? -LX_EADDRINUSE : e == -LX_ENOENT ? -LX_EINVAL : e;
        }
        e = fs_make_socket(t, path, &ino);
        if (e)
            return e == -LX_EEXIST ? -LX_EADDRINUSE : e;
        uint8_t norm[SUN_MAX + 2];
        size_t n = strlen(path);
        memcpy(norm, sa, SUN_OFF);
        memcpy(norm + SUN_OFF, path, n + 1);
        e = set_addr(s, norm, (uint32_t)(SUN_OFF + n + 1));
        if (e) {
            inode_put(ino);
            return e;
        }
        s->ino = ino;
        ino->sock = s;
        return 0;
    }
    if (s->addr)
        return -LX_EINVAL;
    if (abstract_find(sa, len))
        return -LX_EADDRINUSE;
    e = set_addr(s, sa, len);
    if (e)
        return e;
    s->anext = abstract_names;
    abstract_names = s;
    return 0;
}

static long do_connect(struct lthread *t, struct usock *s, const uint8_t *sa, uint32_t len);

static sk_error_t connect_again(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static sk_error_t addr_in(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct addrcall *ac = t->buf;
    struct usock *s = sock_of_file(t->file);
    long rc = t->nr == 49 ? do_bind(t, s, ac->sa, ac->len) : do_connect(t, s, ac->sa, ac->len);
    if (rc != CALL_PENDING)
        call_return(t, rc);
    return SK_OK;
}

/* bind(fd, addr, len) and connect(fd, addr, len): the address comes in, then the work. */
static long with_addr(struct lthread *t)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    int32_t len = (int32_t)t->a[2];
    if (len < 0 || len > 128)
        return -LX_EINVAL;
    struct addrcall *ac = sk_calloc(1, sizeof *ac);
    if (!ac)
        return -LX_ENOMEM;
    t->buf = ac;
    ac->len = (uint32_t)len;
    t->file = s->file;
    s->file->refs++;
    if (len == 0)
        return t->nr == 49 ? do_bind(t, s, ac->sa, 0) : do_connect(t, s, ac->sa, 0);
    sk_error_t e = call_copy_in(t, t->a[1], ac->sa, (uint64_t)len, addr_in);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_bind(struct lthread *t)
{
    return with_addr(t);
}

long sys_connect(struct lthread *t)
{
    return with_addr(t);
}

long sys_listen(struct lthread *t)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    if (s->type == SOCK_DGRAM)
        return -LX_EOPNOTSUPP;
    if (!s->addr || (s->state != SS_UNCONNECTED && s->state != SS_LISTENING))
        return -LX_EINVAL;
    uint32_t backlog = (uint32_t)t->a[1];
    if (backlog > SOMAXCONN)
        backlog = SOMAXCONN;
    if (backlog > s->backlog)
        waitq_wake_all(&connect_room);
    s->backlog = backlog;
    s->state = SS_LISTENING;
    s->peercred = my_cred(t, 1);
    return 0;
}

static long do_connect(struct lthread *t, struct usock *s, const uint8_t *sa, uint32_t len)
{
    long e = addr_check(sa, len);
    if (s->type == SOCK_DGRAM) {
        if (len >= 2 && (sa[0] | sa[1] << 8) == 0 /* AF_UNSPEC: disconnect */) {
            usock_put(s->peer);
            s->peer = NULL;
            return 0;
        }
        if (e)
            return e;
        if (s->passcred && !s->addr && (e = autobind(s)))
            return e;
        struct usock *o = lookup(t, sa, len, s->type, &e);
        if (!o)
            return e;
        o->refs++;
        usock_put(s->peer);
        s->peer = o;
        return 0;
    }
    if (e)
        return e;
    if (s->passcred && !s->addr && (e = autobind(s)))
        return e;
    struct usock *o = lookup(t, sa, len, s->type, &e);
    if (!o)
        return e;
    if (o->state != SS_LISTENING || (o->shut & SHUT_RCV))
        return -LX_ECONNREFUSED;
    if (o->nacq > o->backlog) {
        if ((t->file->flags & LX_O_NONBLOCK))
            return -LX_EAGAIN;
        waitq_park(&connect_room, t, connect_again);
        if (s->sndtimeo && !sk_timer_armed(&t->req.deadline)) {
            uint64_t now = 0;
            sk_clock_get(&now);
            sk_req_deadline(&t->req, now + s->sndtimeo * (1000000000ull / HZ));
        }
        return CALL_PENDING;
    }
    if (s->state == SS_CONNECTED)
        return -LX_EISCONN;
    if (s->state != SS_UNCONNECTED)
        return -LX_EINVAL;
    struct usock *n = usock_new(s->type);
    if (!n)
        return -LX_ENOMEM;
    if (o->addr && set_addr(n, o->addr->sa, o->addr->len)) {
        usock_put(n);
        return -LX_ENOMEM;
    }
    n->embryo = 1;
    n->state = SS_CONNECTED;
    n->peercred = my_cred(t, 1);
    n->passcred = o->passcred;
    n->peer = s, s->refs++;
    s->peer = n, n->refs++;
    s->state = SS_CONNECTED;
    s->peercred = o->peercred;
    /* the listener's queue holds the embryo's first reference */
    *o->acqtail = n;
    o->acqtail = &n->acnext;
    o->nacq++;
    wake(o, LX_POLLIN);
    return 0;
}

static sk_error_t connect_again(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err == SK_ERR_TIMEOUT) {
        t->req.abort = SK_OK;
        call_return(t, -LX_EAGAIN);
        return SK_OK;
    }
    if (err) {
        struct usock *s = sock_of_file(t->file);
        call_return(t, err == SK_ERR_CANCELLED && s->sndtimeo ? -LX_EINTR : errno_from_sk(err));
        return SK_OK;
    }
    return addr_in(r, SK_OK, cqe);
}

/* ---- accept, accept4 ---- */

struct acceptcall {
    uint8_t sa[SUN_MAX + 2];
    uint32_t salen;
    int32_t ulen;
    int fd;
    uint32_t flags;
};

static sk_error_t accept_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

/* Write the peer's address and its length (t->phase: 1 address, 2 length, 3 done). */
static sk_error_t accept_out(struct lthread *t)
{
    struct acceptcall *ac = t->buf;
    for (;;) {
        int ph = t->phase++;
        if (ph == 1) {
            uint32_t n = ac->salen < (uint32_t)ac->ulen ? ac->salen : (uint32_t)ac->ulen;
            if (n)
                return call_copy_out(t, t->a[1], ac->sa, n, accept_step);
        } else if (ph == 2) {
            return call_copy_out(t, t->a[2], &ac->salen, 4, accept_step);
        } else {
            call_return(t, ac->fd);
            return SK_OK;
        }
    }
}

static long accept_try(struct lthread *t);

static sk_error_t accept_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct acceptcall *ac = t->buf;
    if (t->phase == 0) { /* waiting for a connection */
        if (err == SK_ERR_TIMEOUT) {
            t->req.abort = SK_OK;
            call_return(t, -LX_EAGAIN);
            return SK_OK;
        }
        if (err) {
            struct usock *s = sock_of_file(t->file);
            call_return(t, err == SK_ERR_CANCELLED && s->rcvtimeo ? -LX_EINTR : errno_from_sk(err));
            return SK_OK;
        }
        long rc = accept_try(t);
        if (rc != CALL_PENDING)
            call_return(t, rc);
        return SK_OK;
    }
    if (t->phase == -1) { /* the address length came in */
        if (err)
            return err;
        if (ac->ulen < 0) {
            call_return(t, -LX_EINVAL);
            return SK_OK;
        }
        t->phase = 0;
        long rc = accept_try(t);
        if (rc != CALL_PENDING)
            call_return(t, rc);
        return SK_OK;
    }
    if (err) { /* (the descriptor stays, as Linux's: the address could not be written) */
        call_return(t, errno_from_sk(err));
        return SK_OK;
    }
    return accept_out(t);
}

static long accept_try(struct lthread *t)
{
    struct acceptcall *ac = t->buf;
    struct usock *s = sock_of_file(t->file);
    if (s->state != SS_LISTENING)
        return -LX_EINVAL;
    if (!s->acq) {
        if (t->file->flags & LX_O_NONBLOCK)
            return -LX_EAGAIN;
        t->phase = 0;
        waitq_park(&s->rq, t, accept_step);
        if (s->rcvtimeo && !sk_timer_armed(&t->req.deadline)) {
            uint64_t now = 0;
            sk_clock_get(&now);
            sk_req_deadline(&t->req, now + s->rcvtimeo * (1000000000ull / HZ));
        }
        return CALL_PENDING;
    }
    struct usock *n = s->acq;
    s->acq = n->acnext;
    if (!s->acq)
        s->acqtail = &s->acq;
    n->acnext = NULL;
    s->nacq--;
    n->embryo = 0;
    waitq_wake_all(&connect_room);
    int fd = sock_install(t, n, ac->flags); /* (the queue's reference goes to the file) */
    if (fd < 0)
        return fd;
    ac->fd = fd;
    struct usock *c = n->peer;
    if (c && c->addr) {
        memcpy(ac->sa, c->addr->sa, c->addr->len);
        ac->salen = c->addr->len;
    } else {
        ac->sa[0] = AF_UNIX;
        ac->salen = SUN_OFF;
    }
    if (!t->a[1] || !t->a[2]) {
        return fd;
    }
    t->phase = 1;
    sk_error_t e = accept_out(t);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

static long do_accept(struct lthread *t, uint64_t flags)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    if (flags & ~(uint64_t)(LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -LX_EINVAL;
    if (s->type == SOCK_DGRAM)
        return -LX_EOPNOTSUPP;
    struct acceptcall *ac = sk_calloc(1, sizeof *ac);
    if (!ac)
        return -LX_ENOMEM;
    t->buf = ac;
    ac->flags = (uint32_t)flags;
    t->file = s->file;
    s->file->refs++;
    if (t->a[1] && t->a[2]) {
        t->phase = -1;
        sk_error_t e = call_copy_in(t, t->a[2], &ac->ulen, 4, accept_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    return accept_try(t);
}

long sys_accept(struct lthread *t)
{
    return do_accept(t, 0);
}

long sys_accept4(struct lthread *t)
{
    return do_accept(t, t->a[3]);
}

/* ---- getsockname, getpeername ---- */

struct namecall {
    uint8_t sa[SUN_MAX + 2];
    uint32_t salen;
    int32_t ulen;
};

static sk_error_t name_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct namecall *nc = t->buf;
    if (err)
        return err;
    switch (t->phase++) {
    case 0:
        if (nc->ulen < 0) {
            call_return(t, -LX_EINVAL);
            return SK_OK;
        }
        if (nc->ulen && nc->salen)
            return call_copy_out(t, t->a[1], nc->sa,
                                 nc->salen < (uint32_t)nc->ulen ? nc->salen : (uint32_t)nc->ulen,
                                 name_step);
        /* fall through */
    case 1:
        t->phase = 2;
        return call_copy_out(t, t->a[2], &nc->salen, 4, name_step);
    default:
        call_return(t, 0);
        return SK_OK;
    }
}

static long get_name(struct lthread *t, int peer)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    struct usock *who = s;
    if (peer) {
        who = s->peer;
        if (!who || (s->type != SOCK_DGRAM && s->state != SS_CONNECTED))
            return -LX_ENOTCONN;
    }
    struct namecall *nc = sk_calloc(1, sizeof *nc);
    if (!nc)
        return -LX_ENOMEM;
    t->buf = nc;
    if (who->addr) {
        memcpy(nc->sa, who->addr->sa, who->addr->len);
        nc->salen = who->addr->len;
    } else {
        nc->sa[0] = AF_UNIX;
        nc->salen = SUN_OFF;
    }
    t->phase = 0;
    sk_error_t e = call_copy_in(t, t->a[2], &nc->ulen, 4, name_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_getsockname(struct lthread *t)
{
    return get_name(t, 0);
}

long sys_getpeername(struct lthread *t)
{
    return get_name(t, 1);
}

/* ---- shutdown ---- */

long sys_shutdown(struct lthread *t)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    uint64_t how = t->a[1];
    if (how > 2)
        return -LX_EINVAL;
    int mode = (int)how + 1; /* SHUT_RD 0 -> RCV, SHUT_WR 1 -> SEND, SHUT_RDWR 2 -> both */
    s->shut |= mode;
    wake(s, LX_POLLIN | LX_POLLOUT | LX_POLLHUP);
    struct usock *o = s->peer;
    if (o && s->type != SOCK_DGRAM) {
        int pm = 0;
        if (mode & SHUT_RCV)
            pm |= SHUT_SEND;
        if (mode & SHUT_SEND)
            pm |= SHUT_RCV;
        o->shut |= pm;
        wake(o, LX_POLLIN | LX_POLLOUT | LX_POLLHUP);
    }
    return 0;
}

/* ---- socket options ---- */

static void ticks_to_tv(uint64_t ticks, int64_t tv[2])
{
    tv[0] = (int64_t)(ticks / HZ);
    tv[1] = (int64_t)((ticks % HZ) * (1000000 / HZ));
}

struct optcall {
    uint8_t val[64];
    int32_t ulen;
    uint32_t outlen;
};

static long setopt(struct usock *s, int level, int name, const uint8_t *v, uint32_t len)
{
    if (level != SOL_SOCKET)
        return -LX_EOPNOTSUPP;
    int32_t iv = 0;
    int need_int = name != SO_RCVTIMEO && name != SO_SNDTIMEO && name != SO_LINGER;
    if (need_int) {
        if (len < 4)
            return -LX_EINVAL;
        memcpy(&iv, v, 4);
    }
    switch (name) {
    case SO_REUSEADDR:
        s->reuseaddr = iv != 0;
        return 0;
    case SO_KEEPALIVE:
        s->keepalive = iv != 0;
        return 0;
    case SO_PASSCRED:
        s->passcred = iv != 0;
        return 0;
    case SO_SNDBUF:
    case SO_SNDBUFFORCE: {
        uint32_t u = (uint32_t)iv > BUF_MAX && name == SO_SNDBUF ? BUF_MAX : (uint32_t)iv;
        if (u > 0x7fffffffu / 2)
            u = 0x7fffffffu / 2;
        s->sndbuf = u * 2 > SNDBUF_MIN ? u * 2 : SNDBUF_MIN;
        wake(s, LX_POLLOUT);
        return 0;
    }
    case SO_RCVBUF:
    case SO_RCVBUFFORCE: {
        uint32_t u = (uint32_t)iv > BUF_MAX && name == SO_RCVBUF ? BUF_MAX : (uint32_t)iv;
        if (u > 0x7fffffffu / 2)
            u = 0x7fffffffu / 2;
        s->rcvbuf = u * 2 > RCVBUF_MIN ? u * 2 : RCVBUF_MIN;
        return 0;
    }
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        if (len < 16)
            return -LX_EINVAL;
        int64_t tv[2];
        memcpy(tv, v, 16);
        if (tv[1] < 0 || tv[1] >= 1000000)
            return -LX_EDOM;
        uint64_t ticks;
        if (tv[0] < 0)
            ticks = 1; /* (Linux: a negative time is no wait at all; here the least) */
        else if (tv[0] == 0 && tv[1] == 0)
            ticks = 0;
        else if ((uint64_t)tv[0] > (1ull << 40))
            ticks = 0;
        else
            ticks = (uint64_t)tv[0] * HZ + ((uint64_t)tv[1] + (1000000 / HZ) - 1) / (1000000 / HZ);
        if (name == SO_RCVTIMEO)
            s->rcvtimeo = ticks;
        else
            s->sndtimeo = ticks;
        return 0;
    }
    case SO_LINGER:
        return len < 8 ? -LX_EINVAL : 0;
    case SO_DEBUG:
    case SO_DONTROUTE:
    case SO_BROADCAST:
    case SO_OOBINLINE:
    case SO_PRIORITY:
    case SO_RCVLOWAT:
    case SO_REUSEPORT:
        return 0; /* accepted (nothing they change applies to local sockets here) */
    case SO_TYPE:
    case SO_ERROR:
    case SO_PEERCRED:
    case SO_ACCEPTCONN:
    case SO_DOMAIN:
    case SO_PROTOCOL:
    case SO_SNDLOWAT:
        return -LX_ENOPROTOOPT;
    default:
        return -LX_ENOPROTOOPT;
    }
}

/* The option's value into oc->val, its size into oc->outlen. */
static long getopt(struct usock *s, int level, int name, struct optcall *oc)
{
    if (level != SOL_SOCKET)
        return -LX_EOPNOTSUPP;
    int32_t iv;
    switch (name) {
    case SO_TYPE: iv = s->type; break;
    case SO_DOMAIN: iv = AF_UNIX; break;
    case SO_PROTOCOL: iv = 0; break;
    case SO_ERROR: iv = s->err; s->err = 0; break;
    case SO_ACCEPTCONN: iv = s->state == SS_LISTENING; break;
    case SO_PASSCRED: iv = s->passcred; break;
    case SO_SNDBUF: iv = (int32_t)s->sndbuf; break;
    case SO_RCVBUF: iv = (int32_t)s->rcvbuf; break;
    case SO_REUSEADDR: iv = s->reuseaddr; break;
    case SO_KEEPALIVE: iv = s->keepalive; break;
    case SO_RCVLOWAT: iv = 1; break;
    case SO_SNDLOWAT: iv = 1; break;
    case SO_DEBUG: case SO_DONTROUTE: case SO_BROADCAST: case SO_OOBINLINE: case SO_PRIORITY:
    case SO_REUSEPORT:
        iv = 0;
        break;
    case SO_PEERCRED:
        memcpy(oc->val, &s->peercred, sizeof s->peercred);
        oc->outlen = sizeof s->peercred;
        return 0;
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        int64_t tv[2];
        ticks_to_tv(name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo, tv);
        memcpy(oc->val, tv, 16);
        oc->outlen = 16;
        return 0;
    }
    case SO_LINGER:
        memset(oc->val, 0, 8);
        oc->outlen = 8;
        return 0;
    default:
        return -LX_ENOPROTOOPT;
    }
    memcpy(oc->val, &iv, 4);
    oc->outlen = 4;
    return 0;
}

static sk_error_t opt_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct optcall *oc = t->buf;
    if (err)
        return err;
    struct usock *s = sock_of_file(t->file);
    if (t->nr == 54) { /* setsockopt: the value came in */
        call_return(t, setopt(s, (int)t->a[1], (int)t->a[2], oc->val, (uint32_t)t->a[4]));
        return SK_OK;
    }
    switch (t->phase++) {
    case 0: { /* getsockopt: the length came in */
        if (oc->ulen < 0) {
            call_return(t, -LX_EINVAL);
            return SK_OK;
        }
        long rc = getopt(s, (int)t->a[1], (int)t->a[2], oc);
        if (rc) {
            call_return(t, rc);
            return SK_OK;
        }
        if ((uint32_t)oc->ulen < oc->outlen)
            oc->outlen = (uint32_t)oc->ulen;
        if (oc->outlen)
            return call_copy_out(t, t->a[3], oc->val, oc->outlen, opt_step);
        t->phase++;
    }
        /* fall through */
    case 1:
        t->phase = 2;
        return call_copy_out(t, t->a[4], &oc->outlen, 4, opt_step);
    default:
        call_return(t, 0);
        return SK_OK;
    }
}

static long sockopt(struct lthread *t)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    struct optcall *oc = sk_calloc(1, sizeof *oc);
    if (!oc)
        return -LX_ENOMEM;
    t->buf = oc;
    t->file = s->file;
    s->file->refs++;
    t->phase = 0;
    sk_error_t e;
    if (t->nr == 54) {
        if ((int32_t)t->a[4] < 0)
            return -LX_EINVAL;
        uint32_t len = (uint32_t)t->a[4] < sizeof oc->val ? (uint32_t)t->a[4] : sizeof oc->val;
        if (len == 0)
            return setopt(s, (int)t->a[1], (int)t->a[2], oc->val, 0);
        e = call_copy_in(t, t->a[3], oc->val, len, opt_step);
    } else {
        e = call_copy_in(t, t->a[4], &oc->ulen, 4, opt_step);
    }
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_setsockopt(struct lthread *t)
{
    return sockopt(t);
}

long sys_getsockopt(struct lthread *t)
{
    return sockopt(t);
}

/* ---- the queues: what a send puts in, what a receive takes ---- */

static struct umsg *msg_new(struct usock *from, const void *data, uint32_t len)
{
    struct umsg *m = sk_calloc(1, sizeof *m + len);
    if (!m)
        return NULL;
    m->len = len;
    if (len)
        memcpy(m->data, data, len);
    m->sender = from;
    from->refs++;
    from->wmem += len + MSG_COST;
    if (from->addr) {
        m->from = sk_malloc(sizeof *m->from);
        if (m->from)
            *m->from = *from->addr;
    }
    return m;
}

static void msg_queue(struct usock *to, struct umsg *m)
{
    inflight_add(m->fds, m->nfds, 1);
    *to->qtail = m;
    to->qtail = &m->next;
    to->qlen++;
    wake(to, LX_POLLIN);
}

/* What a receive took, for its caller's control data and name. */
struct taken {
    struct file **fds;
    uint32_t nfds;
    int has_cred;
    struct lx_ucred cred;
    struct uaddr from;
    int has_from;
    int trunc;     /* a message was cut short (MSG_TRUNC out) */
    uint32_t full; /* message types: the whole message's length */
};

static void taken_clear(struct taken *tk)
{
    for (uint32_t i = 0; i < tk->nfds; i++)
        file_put(tk->fds[i]);
    sk_free(tk->fds);
    tk->fds = NULL;
    tk->nfds = 0;
}

/* Duplicate m's descriptors into tk (a peek keeps them queued). */
static void take_fds(struct umsg *m, struct taken *tk, int peek)
{
    if (!m->nfds || tk->nfds)
        return;
    if (peek) {
        tk->fds = sk_calloc(m->nfds, sizeof *tk->fds);
        if (!tk->fds)
            return;
        for (uint32_t i = 0; i < m->nfds; i++) {
            tk->fds[i] = m->fds[i];
            tk->fds[i]->refs++;
        }
    } else {
        inflight_add(m->fds, m->nfds, -1);
        tk->fds = m->fds;
        m->fds = NULL;
    }
    tk->nfds = m->nfds;
    if (!peek)
        m->nfds = 0;
}

/*
 * Take up to max bytes of s's queue into out. Streams run across messages (not past one
 * with descriptors, nor, with SO_PASSCRED, from another sender); message types take the
 * head message, cut to max. Returns the bytes (0: the queue is empty).
 */
static uint32_t take(struct usock *s, uint8_t *out, uint32_t max, int flags, struct taken *tk)
{
    int peek = (flags & MSG_PEEK) != 0;
    if (!s->q)
        return 0;
    if (s->type != SOCK_STREAM) {
        struct umsg *m = s->q;
        uint32_t n = m->len < max ? m->len : max;
        memcpy(out, m->data, n);
        tk->full = m->len;
        tk->trunc = n < m->len;
        tk->cred = m->cred;
        tk->has_cred = 1;
        if (m->from) {
            tk->from = *m->from;
            tk->has_from = 1;
        }
        take_fds(m, tk, peek);
        if (!peek)
            msg_drop_head(s);
        return n;
    }
    uint32_t got = 0;
    struct umsg *m = s->q;
    while (m && got < max) {
        if (got && s->passcred &&
            (m->cred.pid != tk->cred.pid || m->cred.uid != tk->cred.uid || m->cred.gid != tk->cred.gid))
            break; /* never glue messages from different writers */
        if (!tk->has_cred) {
            tk->cred = m->cred;
            tk->has_cred = 1;
        }
        uint32_t left = m->len - m->off, n = max - got < left ? max - got : left;
        memcpy(out + got, m->data + m->off, n);
        got += n;
        int had_fds = m->nfds != 0;
        take_fds(m, tk, peek);
        struct umsg *next = m->next;
        if (!peek) {
            m->off += n;
            if (m->off == m->len)
                msg_drop_head(s);
        }
        if (had_fds)
            break;
        if (peek && n < left)
            break;
        m = next;
    }
    return got;
}

/* ---- read and write of a socket file (the read/write engine, sys_rw.c) ---- */

static long sock_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t, (void)off;
    struct usock *s = f->priv;
    if (s->type == SOCK_STREAM && s->state != SS_CONNECTED)
        return -LX_EINVAL;
    if (s->type == SOCK_SEQPACKET && s->state != SS_CONNECTED)
        return -LX_ENOTCONN;
    struct taken tk = {0};
    uint32_t n = take(s, buf, len > RECV_MAX ? RECV_MAX : (uint32_t)len, 0, &tk);
    taken_clear(&tk); /* (descriptors read without a control buffer are closed) */
    if (n || (s->type != SOCK_STREAM && tk.has_cred))
        return n;
    if (s->err) {
        long e = -s->err;
        s->err = 0;
        return e;
    }
    if (s->shut & SHUT_RCV)
        return 0;
    return -LX_EAGAIN;
}

/* Send len bytes from data as s (nonblocking; the callers wait on EAGAIN). to: a datagram's
   destination (NULL: the peer). Returns bytes queued, or -errno. */
static long send_bytes(struct lthread *t, struct usock *s, struct usock *to, const void *data,
                       uint64_t len, struct file **fds, uint32_t nfds, const struct lx_ucred *cred)
{
    if (s->type == SOCK_STREAM) {
        struct usock *o = s->peer;
        if (!o)
            return -LX_ENOTCONN;
        if ((s->shut & SHUT_SEND) || o->dead || (o->shut & SHUT_RCV))
            return -LX_EPIPE;
        if (s->wmem >= s->sndbuf)
            return -LX_EAGAIN;
        uint64_t room = s->sndbuf - s->wmem;
        uint64_t n = len < room ? len : room;
        if (n > (s->sndbuf >> 1) - 64)
            n = (s->sndbuf >> 1) - 64;
        if (n == 0 && len)
            return -LX_EAGAIN;
        if (len == 0 && !nfds)
            return 0;
        struct umsg *m = msg_new(s, data, (uint32_t)n);
        if (!m)
            return -LX_ENOMEM;
        m->cred = *cred;
        if (nfds) {
            m->fds = fds;
            m->nfds = nfds;
        }
        msg_queue(o, m);
        return (long)n;
    }
    if (s->type == SOCK_SEQPACKET && s->state != SS_CONNECTED)
        return -LX_ENOTCONN;
    if (s->shut & SHUT_SEND)
        return -LX_EPIPE;
    struct usock *o = to ? to : s->peer;
    if (!o)
        return -LX_ENOTCONN;
    if (len > s->sndbuf - 32)
        return -LX_EMSGSIZE;
    if (s->wmem >= s->sndbuf)
        return -LX_EAGAIN;
    if (s->type == SOCK_DGRAM && o->peer && o->peer != s)
        return -LX_EPERM;
    if (o->dead) {
        if (s->type == SOCK_SEQPACKET)
            return -LX_EPIPE;
        if (s->peer == o) {
            s->peer = NULL;
            usock_put(o);
        }
        return -LX_ECONNREFUSED;
    }
    if (o->shut & SHUT_RCV)
        return -LX_EPIPE;
    if (o != s && o->peer != s && o->qlen > MAX_DGRAM_QLEN)
        return -LX_EAGAIN;
    struct umsg *m = msg_new(s, data, (uint32_t)len);
    if (!m)
        return -LX_ENOMEM;
    m->cred = *cred;
    if (nfds) {
        m->fds = fds;
        m->nfds = nfds;
    }
    msg_queue(o, m);
    (void)t;
    return (long)len;
}

static long sock_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)off;
    struct usock *s = f->priv;
    struct lx_ucred cred = my_cred(t, 0);
    return send_bytes(t, s, NULL, buf, len, NULL, 0, &cred);
}

static struct waitq *sock_waitq(struct file *f, int writing)
{
    struct usock *s = f->priv;
    if (!writing)
        return &s->rq;
    if (s->type != SOCK_STREAM && s->peer && s->wmem < s->sndbuf)
        return &dgram_room; /* (a full receiver, not our own buffer) */
    return &s->wq;
}

static const struct file_ops stream_ops = {.read = sock_read, .write = sock_write,
    .waitq = sock_waitq, .poll = sock_poll, .pollsrc = sock_pollsrc, .release = sock_file_release, .unref = sock_unref};
static const struct file_ops dgram_ops = {.read = sock_read, .write = sock_write,
    .waitq = sock_waitq, .poll = sock_poll, .pollsrc = sock_pollsrc, .release = sock_file_release,
    .unref = sock_unref, .message = 1};

/* ---- send, sendto, sendmsg, recv, recvfrom, recvmsg ---- */

struct xfer {
    uint64_t uaddr;
    uint64_t len;
    uint64_t off; /* where in the server buffer */
};

struct msgcall {
    int flags;
    int sending;
    struct lx_msghdr mh;
    struct lx_iovec *iov;
    uint32_t niov;
    struct lx_iovec iov_one;
    uint64_t total;
    uint8_t name[128];
    uint32_t namelen;
    uint8_t *ctl;
    uint64_t ctllen;
    struct file **fds;
    uint32_t nfds;
    struct lx_ucred cred;
    struct usock *to; /* a datagram's destination (held) */
    uint8_t *data;
    uint64_t len;      /* bytes in data */
    uint64_t done;     /* sent so far (streams), or the result */
    uint32_t iov_i;    /* gathering: where the next bytes come from */
    uint64_t iov_off;
    struct taken tk;
    uint8_t *cbuf;     /* receive: the control data built */
    uint64_t clen;
    int out_flags;
    int32_t ulen;      /* recvfrom: the room for the address */
    struct xfer *xs;
    uint32_t nx, ix;
    sk_error_t (*after)(struct lthread *t);
    int waited;
};

static void msgcall_free(void *buf)
{
    struct msgcall *mc = buf;
    for (uint32_t i = 0; i < mc->nfds; i++)
        file_put(mc->fds[i]);
    sk_free(mc->fds);
    taken_clear(&mc->tk);
    if (mc->to)
        usock_put(mc->to);
    if (mc->iov != &mc->iov_one)
        sk_free(mc->iov);
    sk_free(mc->ctl);
    sk_free(mc->data);
    sk_free(mc->cbuf);
    sk_free(mc->xs);
}

/* (call_cleanup frees the msgcall's parts through t->buf_free, however the call ends) */
static void msg_finish(struct lthread *t, long rc)
{
    call_return(t, rc);
}

/* Run the copy list: each xfer in turn (in for a send, out for a receive), then after. */
static sk_error_t xfer_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct msgcall *mc = t->buf;
    if (err) {
        msg_finish(t, errno_from_sk(err));
        return SK_OK;
    }
    while (mc->ix < mc->nx && mc->xs[mc->ix].len == 0)
        mc->ix++;
    if (mc->ix < mc->nx) {
        struct xfer *x = &mc->xs[mc->ix++];
        if (mc->sending)
            return call_copy_in(t, x->uaddr, mc->data + x->off, x->len, xfer_step);
        return call_copy_out(t, x->uaddr, mc->data + x->off, x->len, xfer_step);
    }
    return mc->after(t);
}

/* Build the copy list for n bytes between data and the iovecs from (iov_i, iov_off). */
static int xfer_plan(struct msgcall *mc, uint64_t n)
{
    sk_free(mc->xs);
    mc->xs = sk_calloc(mc->niov ? mc->niov : 1, sizeof *mc->xs);
    if (!mc->xs)
        return -LX_ENOMEM;
    mc->nx = mc->ix = 0;
    uint64_t at = 0;
    while (at < n && mc->iov_i < mc->niov) {
        struct lx_iovec *v = &mc->iov[mc->iov_i];
        uint64_t left = v->len - mc->iov_off, k = n - at < left ? n - at : left;
        mc->xs[mc->nx++] = (struct xfer){v->base + mc->iov_off, k, at};
        at += k;
        mc->iov_off += k;
        if (mc->iov_off == v->len) {
            mc->iov_i++;
            mc->iov_off = 0;
        }
    }
    return 0;
}

/* ---- sending ---- */

static sk_error_t send_chunk(struct lthread *t);
static sk_error_t send_deliver(struct lthread *t);

static sk_error_t send_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    if (err == SK_ERR_TIMEOUT) {
        t->req.abort = SK_OK;
        msg_finish(t, mc->done ? (long)mc->done : -LX_EAGAIN);
        return SK_OK;
    }
    if (err) {
        long rc = err == SK_ERR_CANCELLED ? (s->sndtimeo ? -LX_EINTR : -LX_ERESTARTSYS)
                                          : errno_from_sk(err);
        msg_finish(t, mc->done ? (long)mc->done : rc);
        return SK_OK;
    }
    return send_deliver(t);
}

/* The gathered bytes go into the queue (waiting for room as the socket allows). */
static sk_error_t send_deliver(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    uint64_t at = 0; /* (streams: a partial chunk is re-gathered, see below) */
    long n = send_bytes(t, s, mc->to, mc->data + at, mc->len, mc->fds, mc->nfds, &mc->cred);
    if (n == -LX_EAGAIN) {
        if ((mc->flags & MSG_DONTWAIT) || (t->file->flags & LX_O_NONBLOCK)) {
            msg_finish(t, mc->done ? (long)mc->done : n);
            return SK_OK;
        }
        struct waitq *wq = &s->wq;
        if (s->type != SOCK_STREAM && s->wmem < s->sndbuf)
            wq = &dgram_room;
        waitq_park(wq, t, send_woken);
        if (s->sndtimeo && !sk_timer_armed(&t->req.deadline)) {
            uint64_t now = 0;
            sk_clock_get(&now);
            return sk_req_deadline(&t->req, now + s->sndtimeo * (1000000000ull / HZ));
        }
        return SK_OK;
    }
    if (n < 0) {
        if (n == -LX_EPIPE && s->type == SOCK_STREAM && !(mc->flags & MSG_NOSIGNAL) && !mc->done) {
            struct ksiginfo info = {.signo = LX_SIGPIPE, .code = LX_SI_USER, .pid = t->p->pid,
                                    .uid = t->p->uid};
            signal_send_thread(t, &info);
        }
        msg_finish(t, mc->done ? (long)mc->done : n);
        return SK_OK;
    }
    if (mc->nfds) { /* (they went with the first piece) */
        mc->fds = NULL;
        mc->nfds = 0;
    }
    mc->done += (uint64_t)n;
    if (s->type != SOCK_STREAM || mc->done >= mc->total) {
        msg_finish(t, (long)mc->done);
        return SK_OK;
    }
    if ((uint64_t)n < mc->len) { /* the rest of this chunk: move it to the front */
        memmove(mc->data, mc->data + n, mc->len - (uint64_t)n);
        mc->len -= (uint64_t)n;
        return send_deliver(t);
    }
    return send_chunk(t);
}

static sk_error_t chunk_in(struct lthread *t)
{
    return send_deliver(t);
}

/* Gather the next piece of the caller's bytes (all of them for message types). */
static sk_error_t send_chunk(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    uint64_t left = mc->total - mc->done;
    uint64_t n = s->type == SOCK_STREAM && left > STREAM_CHUNK ? STREAM_CHUNK : left;
    if (!mc->data) {
        mc->data = sk_malloc(n ? n : 1);
        if (!mc->data) {
            msg_finish(t, mc->done ? (long)mc->done : -LX_ENOMEM);
            return SK_OK;
        }
    }
    mc->len = n;
    mc->sending = 1;
    long e = xfer_plan(mc, n);
    if (e) {
        msg_finish(t, e);
        return SK_OK;
    }
    mc->after = chunk_in;
    struct sk_cqe none = {0};
    return xfer_step(&t->req, SK_OK, &none);
}

/* Control data: SCM_RIGHTS and SCM_CREDENTIALS (Linux's __scm_send). */
static long parse_control(struct lthread *t, struct msgcall *mc)
{
    uint64_t at = 0;
    while (at + CMSG_HDR <= mc->ctllen) {
        struct lx_cmsghdr h;
        memcpy(&h, mc->ctl + at, sizeof h);
        if (h.len < CMSG_HDR || h.len > mc->ctllen - at)
            return -LX_EINVAL;
        const uint8_t *d = mc->ctl + at + CMSG_HDR;
        uint64_t dl = h.len - CMSG_HDR;
        if (h.level == SOL_SOCKET) {
            if (h.type == SCM_RIGHTS) {
                uint32_t n = (uint32_t)(dl / 4);
                if (n && mc->nfds + n > SCM_MAX_FD)
                    return -LX_EINVAL;
                if (n) {
                    if (!mc->fds && !(mc->fds = sk_calloc(SCM_MAX_FD, sizeof *mc->fds)))
                        return -LX_ENOMEM;
                    for (uint32_t i = 0; i < n; i++) {
                        int32_t fd;
                        memcpy(&fd, d + 4 * i, 4);
                        struct file *f = fd_get(t->p->fds, fd);
                        if (!f)
                            return -LX_EBADF;
                        f->refs++;
                        mc->fds[mc->nfds++] = f;
                    }
                }
            } else if (h.type == SCM_CREDENTIALS) {
                if (h.len != CMSG_LEN(sizeof(struct lx_ucred)))
                    return -LX_EINVAL;
                struct lx_ucred c;
                memcpy(&c, d, sizeof c);
                struct proc *p = t->p;
                int root = p->euid == 0;
                if (!((c.pid == p->pid || root) &&
                      (c.uid == p->uid || c.uid == p->euid || c.uid == p->suid || root) &&
                      (c.gid == p->gid || c.gid == p->egid || c.gid == p->sgid || root)))
                    return -LX_EPERM;
                if (!proc_find(c.pid))
                    return -LX_ESRCH;
                mc->cred = c;
            } else {
                return -LX_EINVAL;
            }
        }
        at += CMSG_ALIGN(h.len);
    }
    return 0;
}

static long send_begin(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    if (mc->flags & MSG_OOB)
        return -LX_EOPNOTSUPP;
    mc->cred = my_cred(t, 0);
    long e = parse_control(t, mc);
    if (e)
        return e;
    if (s->type == SOCK_STREAM) {
        if (mc->namelen)
            return s->state == SS_CONNECTED ? -LX_EISCONN : -LX_EOPNOTSUPP;
    } else if (s->type == SOCK_SEQPACKET) {
        if (s->state != SS_CONNECTED)
            return -LX_ENOTCONN;
        mc->namelen = 0; /* (an address is ignored) */
    } else {
        if (mc->namelen && (e = addr_check(mc->name, mc->namelen)))
            return e;
        if (!mc->namelen && !s->peer)
            return -LX_ENOTCONN;
        if (s->passcred && !s->addr && (e = autobind(s)))
            return e;
    }
    if (s->type != SOCK_STREAM && mc->total > s->sndbuf - 32)
        return -LX_EMSGSIZE;
    if (s->type == SOCK_DGRAM && mc->namelen) {
        struct usock *o = lookup(t, mc->name, mc->namelen, s->type, &e);
        if (!o)
            return e;
        mc->to = o;
        o->refs++;
    }
    sk_error_t se = send_chunk(t);
    return se ? errno_from_sk(se) : CALL_PENDING;
}

/* ---- receiving ---- */

static sk_error_t recv_out(struct lthread *t);

static sk_error_t recv_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static long recv_try(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    if (s->type == SOCK_STREAM && s->state != SS_CONNECTED)
        return -LX_EINVAL;
    if (s->type == SOCK_SEQPACKET && s->state != SS_CONNECTED)
        return -LX_ENOTCONN;
    uint64_t want = mc->total > RECV_MAX ? RECV_MAX : mc->total;
    if (!mc->data) {
        mc->data = sk_malloc(want ? want : 1);
        if (!mc->data)
            return -LX_ENOMEM;
    }
    uint32_t n = 0;
    int had = s->q != NULL;
    if (had)
        n = take(s, mc->data + mc->len, (uint32_t)(want - mc->len), mc->flags, &mc->tk);
    mc->len += n;
    int message = s->type != SOCK_STREAM;
    if (message && had) {
        mc->done = (mc->flags & MSG_TRUNC) ? mc->tk.full : mc->len;
        if (mc->tk.trunc)
            mc->out_flags |= MSG_TRUNC;
        return 1;
    }
    uint64_t target = (mc->flags & MSG_WAITALL) && !(mc->flags & MSG_PEEK) ? want : 1;
    if (want == 0 && had) { /* (a zero-length read waits for data, then takes none) */
        mc->done = 0;
        return 1;
    }
    if (mc->len >= target || (mc->len && (mc->tk.nfds || (mc->flags & MSG_PEEK)))) {
        mc->done = mc->len;
        return 1;
    }
    if (s->err) {
        long e = -s->err;
        s->err = 0;
        if (mc->len) {
            mc->done = mc->len;
            return 1;
        }
        return e;
    }
    if (s->shut & SHUT_RCV) {
        mc->done = mc->len;
        return 1;
    }
    if ((mc->flags & MSG_DONTWAIT) || (t->file->flags & LX_O_NONBLOCK)) {
        if (mc->len) {
            mc->done = mc->len;
            return 1;
        }
        return -LX_EAGAIN;
    }
    waitq_park(&s->rq, t, recv_woken);
    if (s->rcvtimeo && !sk_timer_armed(&t->req.deadline)) {
        uint64_t now = 0;
        sk_clock_get(&now);
        sk_req_deadline(&t->req, now + s->rcvtimeo * (1000000000ull / HZ));
    }
    return CALL_PENDING;
}

static sk_error_t recv_go(struct lthread *t)
{
    long rc = recv_try(t);
    if (rc == CALL_PENDING)
        return SK_OK;
    if (rc < 0) {
        msg_finish(t, rc);
        return SK_OK;
    }
    return recv_out(t);
}

static sk_error_t recv_woken(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    if (err == SK_ERR_TIMEOUT) {
        t->req.abort = SK_OK;
        if (mc->len) {
            mc->done = mc->len;
            return recv_out(t);
        }
        msg_finish(t, -LX_EAGAIN);
        return SK_OK;
    }
    if (err) {
        if (mc->len) { /* (a signal after some bytes: they are the answer) */
            t->req.abort = SK_OK;
            mc->done = mc->len;
            return recv_out(t);
        }
        msg_finish(t, err == SK_ERR_CANCELLED ? (s->rcvtimeo ? -LX_EINTR : -LX_ERESTARTSYS)
                                              : errno_from_sk(err));
        return SK_OK;
    }
    return recv_go(t);
}

/* Append one control message to cbuf (Linux's put_cmsg: cut short, MSG_CTRUNC, if no room). */
static void put_cmsg(struct msgcall *mc, int type, const void *data, uint32_t len)
{
    uint64_t room = mc->mh.controllen - mc->clen;
    if (room < CMSG_HDR) {
        mc->out_flags |= MSG_CTRUNC;
        return;
    }
    uint64_t cmlen = CMSG_LEN(len);
    if (room < cmlen) {
        mc->out_flags |= MSG_CTRUNC;
        cmlen = room;
    }
    struct lx_cmsghdr h = {CMSG_LEN(len), SOL_SOCKET, type};
    memcpy(mc->cbuf + mc->clen, &h, sizeof h);
    memcpy(mc->cbuf + mc->clen + CMSG_HDR, data, cmlen - CMSG_HDR);
    uint64_t space = CMSG_SPACE(len);
    mc->clen += space < room ? space : room;
}

static sk_error_t recv_tail(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

/* The bytes are out: control data, the name, the message header (t->phase counts). */
static sk_error_t recv_meta(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    struct usock *s = sock_of_file(t->file);
    t->phase = 0;
    if (t->nr == 47 /* recvmsg */ && mc->mh.control && mc->mh.controllen) {
        uint64_t room = mc->mh.controllen > OPTMEM_MAX * 4 ? OPTMEM_MAX * 4 : mc->mh.controllen;
        mc->mh.controllen = room;
        mc->cbuf = sk_calloc(1, room + 16);
        if (!mc->cbuf) {
            msg_finish(t, -LX_ENOMEM);
            return SK_OK;
        }
        if (s->passcred && mc->tk.has_cred)
            put_cmsg(mc, SCM_CREDENTIALS, &mc->tk.cred, sizeof mc->tk.cred);
        if (mc->tk.nfds) {
            uint64_t left = mc->mh.controllen - mc->clen;
            uint32_t fit = left > CMSG_HDR ? (uint32_t)((left - CMSG_HDR) / 4) : 0;
            uint32_t want = mc->tk.nfds < fit ? mc->tk.nfds : fit, i = 0;
            int32_t fdv[SCM_MAX_FD];
            for (; i < want; i++) {
                int fd = fd_install(t->p->fds, 0, mc->tk.fds[i], (mc->flags & MSG_CMSG_CLOEXEC) != 0);
                if (fd < 0)
                    break;
                mc->tk.fds[i] = NULL; /* (the table has it now) */
                fdv[i] = fd;
            }
            if (i) {
                struct lx_cmsghdr h = {CMSG_LEN(i * 4u), SOL_SOCKET, SCM_RIGHTS};
                memcpy(mc->cbuf + mc->clen, &h, sizeof h);
                memcpy(mc->cbuf + mc->clen + CMSG_HDR, fdv, i * 4u);
                uint64_t space = CMSG_SPACE(i * 4u);
                mc->clen += space < left ? space : left;
            }
            if (i < mc->tk.nfds)
                mc->out_flags |= MSG_CTRUNC;
            for (uint32_t k = i; k < mc->tk.nfds; k++)
                file_put(mc->tk.fds[k]);
            sk_free(mc->tk.fds);
            mc->tk.fds = NULL;
            mc->tk.nfds = 0;
        }
    } else if (t->nr == 47 && (mc->tk.nfds || (s->passcred && mc->tk.has_cred))) {
        mc->out_flags |= MSG_CTRUNC;
    }
    taken_clear(&mc->tk); /* (descriptors with nowhere to go are closed) */
    struct sk_cqe none = {0};
    return recv_tail(&t->req, SK_OK, &none);
}

static sk_error_t recv_tail(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    struct msgcall *mc = t->buf;
    if (err) {
        msg_finish(t, errno_from_sk(err));
        return SK_OK;
    }
    uint32_t nlen = mc->tk.has_from ? mc->tk.from.len : 0;
    for (;;) {
        switch (t->phase++) {
        case 0: /* the control data */
            if (t->nr == 47 && mc->clen)
                return call_copy_out(t, mc->mh.control, mc->cbuf, mc->clen, recv_tail);
            continue;
        case 1: /* the name */
            if (t->nr == 47 && mc->mh.name && mc->mh.namelen > 0 && nlen) {
                uint32_t k = nlen < (uint32_t)mc->mh.namelen ? nlen : (uint32_t)mc->mh.namelen;
                return call_copy_out(t, mc->mh.name, mc->tk.from.sa, k, recv_tail);
            }
            if (t->nr == 45 && t->a[4] && t->a[5] && nlen && mc->ulen > 0) {
                uint32_t k = nlen < (uint32_t)mc->ulen ? nlen : (uint32_t)mc->ulen;
                return call_copy_out(t, t->a[4], mc->tk.from.sa, k, recv_tail);
            }
            continue;
        case 2: /* the lengths and flags */
            if (t->nr == 47) {
                if (mc->mh.name)
                    mc->mh.namelen = (int32_t)nlen;
                mc->mh.controllen = mc->clen;
                mc->mh.flags = mc->out_flags;
                return call_copy_out(t, t->a[1], &mc->mh, sizeof mc->mh, recv_tail);
            }
            if (t->nr == 45 && t->a[4] && t->a[5]) {
                mc->ulen = (int32_t)nlen;
                return call_copy_out(t, t->a[5], &mc->ulen, 4, recv_tail);
            }
            continue;
        default:
            msg_finish(t, (long)mc->done);
            return SK_OK;
        }
    }
}

static sk_error_t recv_out(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    mc->sending = 0;
    mc->iov_i = 0;
    mc->iov_off = 0;
    long e = xfer_plan(mc, mc->len);
    if (e) {
        msg_finish(t, e);
        return SK_OK;
    }
    mc->after = recv_meta;
    struct sk_cqe none = {0};
    return xfer_step(&t->req, SK_OK, &none);
}

/* ---- the calls: arguments in, then send_begin or recv_go ---- */

static sk_error_t args_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);

static long sum_iov(struct msgcall *mc)
{
    mc->total = 0;
    for (uint32_t i = 0; i < mc->niov; i++) {
        if ((int64_t)mc->iov[i].len < 0)
            return -LX_EINVAL;
        mc->total += mc->iov[i].len;
        if (mc->total > 0x7ffff000ull) {
            mc->iov[i].len -= mc->total - 0x7ffff000ull;
            mc->total = 0x7ffff000ull;
            mc->niov = i + 1;
            break;
        }
    }
    return 0;
}

/* Steps by t->phase: (msg calls) the header, the name, the iovecs, the control data. */
static sk_error_t args_next(struct lthread *t)
{
    struct msgcall *mc = t->buf;
    int is_msg = t->nr == 46 || t->nr == 47;
    int sending = t->nr == 44 || t->nr == 46;
    for (;;) {
        switch (t->phase++) {
        case 0:
            if (is_msg)
                return call_copy_in(t, t->a[1], &mc->mh, sizeof mc->mh, args_step);
            continue;
        case 1:
            if (is_msg) {
                if (mc->mh.namelen < 0) {
                    msg_finish(t, -LX_EINVAL);
                    return SK_OK;
                }
                if (mc->mh.iovlen > UIO_MAXIOV) {
                    msg_finish(t, -LX_EMSGSIZE);
                    return SK_OK;
                }
                if (sending && mc->mh.controllen > OPTMEM_MAX) {
                    msg_finish(t, -LX_ENOBUFS);
                    return SK_OK;
                }
                if (sending && mc->mh.name && mc->mh.namelen) {
                    mc->namelen = (uint32_t)mc->mh.namelen > 128 ? 128 : (uint32_t)mc->mh.namelen;
                    return call_copy_in(t, mc->mh.name, mc->name, mc->namelen, args_step);
                }
            } else if (sending && t->a[4] && t->a[5]) {
                if ((int32_t)t->a[5] < 0 || t->a[5] > 128) {
                    msg_finish(t, -LX_EINVAL);
                    return SK_OK;
                }
                mc->namelen = (uint32_t)t->a[5];
                return call_copy_in(t, t->a[4], mc->name, mc->namelen, args_step);
            } else if (!sending && t->a[4] && t->a[5]) {
                return call_copy_in(t, t->a[5], &mc->ulen, 4, args_step);
            }
            continue;
        case 2:
            if (!is_msg && !sending && t->a[4] && t->a[5] && mc->ulen < 0) {
                msg_finish(t, -LX_EINVAL);
                return SK_OK;
            }
            if (is_msg && mc->mh.iovlen) {
                mc->niov = (uint32_t)mc->mh.iovlen;
                mc->iov = sk_calloc(mc->niov, sizeof *mc->iov);
                if (!mc->iov) {
                    msg_finish(t, -LX_ENOMEM);
                    return SK_OK;
                }
                return call_copy_in(t, mc->mh.iov, mc->iov, mc->niov * sizeof *mc->iov, args_step);
            }
            continue;
        case 3:
            if (sending && is_msg && mc->mh.control && mc->mh.controllen) {
                mc->ctllen = mc->mh.controllen;
                mc->ctl = sk_malloc(mc->ctllen);
                if (!mc->ctl) {
                    msg_finish(t, -LX_ENOMEM);
                    return SK_OK;
                }
                return call_copy_in(t, mc->mh.control, mc->ctl, mc->ctllen, args_step);
            }
            continue;
        default: {
            long e = sum_iov(mc);
            if (e) {
                msg_finish(t, e);
                return SK_OK;
            }
            if (sending) {
                long rc = send_begin(t);
                if (rc != CALL_PENDING)
                    msg_finish(t, rc);
                return SK_OK;
            }
            if (mc->flags & MSG_OOB) {
                msg_finish(t, -LX_EOPNOTSUPP);
                return SK_OK;
            }
            return recv_go(t);
        }
        }
    }
}

static sk_error_t args_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err) {
        msg_finish(t, errno_from_sk(err));
        return SK_OK;
    }
    return args_next(t);
}

static long msg_call(struct lthread *t)
{
    long err = 0;
    struct usock *s = sock_of(t, (int)t->a[0], &err);
    if (!s)
        return err;
    struct msgcall *mc = sk_calloc(1, sizeof *mc);
    if (!mc)
        return -LX_ENOMEM;
    t->buf = mc;
    t->buf_free = msgcall_free;
    t->file = s->file;
    s->file->refs++;
    int is_msg = t->nr == 46 || t->nr == 47;
    mc->flags = (int)(is_msg ? t->a[2] : t->a[3]);
    if (!is_msg) {
        mc->iov_one = (struct lx_iovec){t->a[1], t->a[2] > 0x7fffffffull ? 0x7fffffffull : t->a[2]};
        mc->iov = &mc->iov_one;
        mc->niov = 1;
    }
    t->phase = 0;
    sk_error_t e = args_next(t);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

long sys_sendto(struct lthread *t)
{
    return msg_call(t);
}

long sys_recvfrom(struct lthread *t)
{
    return msg_call(t);
}

long sys_sendmsg(struct lthread *t)
{
    return msg_call(t);
}

long sys_recvmsg(struct lthread *t)
{
    return msg_call(t);
}
