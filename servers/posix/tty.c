/*
 * Terminals: Linux's line discipline over a character device (the serial port
 * today, ptys later). Input from the device goes through the input flags
 * (ICRNL, INLCR, IGNCR, ISTRIP), the signal characters (ISIG: INTR, QUIT, SUSP
 * to the foreground process group), canonical editing (ERASE, KILL, WERASE,
 * EOF, EOL, LNEXT, REPRINT) or raw delivery with VMIN/VTIME, and echo (ECHO,
 * ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL). Output goes through OPOST/ONLCR/OCRNL.
 * The terminal belongs to a session (the controlling terminal) and has a
 * foreground process group; readers and writers outside it get SIGTTIN and
 * SIGTTOU as on Linux. termios in full through TCGETS/TCSETS*, the window size,
 * TIOCSCTTY, TIOCNOTTY, TIOCGPGRP/TIOCSPGRP, TIOCGSID, FIONREAD, TCFLSH.
 */
#include "posix.h"
#include "tty.h"
#include "calls.h"

#define EOF_MARK 0x100 /* in the read queue: an end of file typed with VEOF */
#define LX_ERESTARTSYS_ 512

struct tty console_tty;

void tty_init(struct tty *tt, void (*out)(struct tty *, const char *, size_t))
{
    memset(tt, 0, sizeof *tt);
    tt->out = out;
    struct lx_termios *t = &tt->tio;
    t->c_iflag = LX_ICRNL | LX_IXON;
    t->c_oflag = LX_OPOST | LX_ONLCR;
    t->c_cflag = 0x0cbd; /* B38400 | CS8 | CREAD | HUPCL, as Linux's default */
    t->c_lflag = LX_ISIG | LX_ICANON | LX_ECHO | LX_ECHOE | LX_ECHOK | LX_ECHOCTL | LX_ECHOKE |
                 LX_IEXTEN;
    static const uint8_t cc[LX_NCCS] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0};
    memcpy(t->c_cc, cc, sizeof cc);
    tt->ws.rows = 24;
    tt->ws.cols = 80;
}

/* ---- output ---- */

static void out_raw(struct tty *tt, const char *s, size_t n)
{
    if (n)
        tt->out(tt, s, n);
}

/* Write with output processing; keeps track of the column for erase echoes. */
static void out_cooked(struct tty *tt, const char *s, size_t n)
{
    struct lx_termios *t = &tt->tio;
    if (!(t->c_oflag & LX_OPOST)) {
        out_raw(tt, s, n);
        return;
    }
    char buf[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (k + 2 > sizeof buf) {
            out_raw(tt, buf, k);
            k = 0;
        }
        if (c == '\n' && (t->c_oflag & LX_ONLCR)) {
            buf[k++] = '\r';
            buf[k++] = '\n';
            tt->column = 0;
        } else if (c == '\r' && (t->c_oflag & LX_OCRNL)) {
            buf[k++] = '\n';
            tt->column = 0;
        } else {
            buf[k++] = c;
            if (c == '\r')
                tt->column = 0;
            else if (c == '\b') {
                if (tt->column)
                    tt->column--;
            } else if (c == '\t')
                tt->column = (tt->column | 7) + 1;
            else if ((unsigned char)c >= 32)
                tt->column++;
        }
    }
    out_raw(tt, buf, k);
}

static int is_ctl(unsigned char c)
{
    return c < 32 || c == 127;
}

static void echo_char(struct tty *tt, unsigned char c)
{
    struct lx_termios *t = &tt->tio;
    if ((t->c_lflag & LX_ECHOCTL) && is_ctl(c) && c != '\t' && c != '\n' && c != '\r') {
        char e[2] = {'^', (char)(c == 127 ? '?' : c + 64)};
        out_cooked(tt, e, 2);
        return;
    }
    out_cooked(tt, (const char *)&c, 1);
}

/* Take back the echo of c: one column, or two for a ^X. */
static void echo_erase(struct tty *tt, unsigned char c)
{
    int cols = ((tt->tio.c_lflag & LX_ECHOCTL) && is_ctl(c) && c != '\t') ? 2 : 1;
    for (int i = 0; i < cols; i++)
        out_cooked(tt, "\b \b", 3);
}

/* ---- input ---- */

static uint32_t rq_count(struct tty *tt)
{
    return tt->rq_count;
}

static void rq_push(struct tty *tt, uint16_t v)
{
    if (tt->rq_count == TTY_BUF)
        return; /* full: dropped, as a full line discipline buffer does */
    tt->rq[(tt->rq_head + tt->rq_count) % TTY_BUF] = v;
    tt->rq_count++;
}

static void wake_readers(struct tty *tt)
{
    waitq_wake_all(&tt->readers);
    pollsrc_notify(&tt->src, LX_POLLIN);
}

static void flush_input(struct tty *tt)
{
    tt->rq_count = 0;
    tt->line_len = 0;
    tt->lines = 0;
}

/* Send sig to the foreground process group. */
static void signal_fg(struct tty *tt, int sig)
{
    if (tt->pgrp <= 0)
        return;
    struct ksiginfo info = {.signo = sig, .code = LX_SI_KERNEL};
    for (struct proc *p = procs; p; p = p->all_next)
        if (p->state == PROC_LIVE && p->pgid == tt->pgrp)
            signal_send_proc(p, &info);
}

static void line_done(struct tty *tt, int eof)
{
    for (uint32_t i = 0; i < tt->line_len; i++)
        rq_push(tt, tt->line[i]);
    if (eof)
        rq_push(tt, EOF_MARK);
    tt->line_len = 0;
    tt->lines++;
    wake_readers(tt);
}

void tty_input(struct tty *tt, const char *s, size_t n)
{
    struct lx_termios *t = &tt->tio;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (t->c_iflag & LX_ISTRIP)
            c &= 0x7f;
        if (tt->lnext) {
            tt->lnext = 0;
            if (t->c_lflag & LX_ECHO)
                echo_erase(tt, 0), echo_char(tt, c);
            goto ordinary;
        }
        if (c == '\r') {
            if (t->c_iflag & LX_IGNCR)
                continue;
            if (t->c_iflag & LX_ICRNL)
                c = '\n';
        } else if (c == '\n' && (t->c_iflag & LX_INLCR)) {
            c = '\r';
        }
        if (t->c_lflag & LX_ISIG) {
            int sig = 0;
            if (c && c == t->c_cc[LX_VINTR])
                sig = LX_SIGINT;
            else if (c && c == t->c_cc[LX_VQUIT])
                sig = LX_SIGQUIT;
            else if (c && c == t->c_cc[LX_VSUSP])
                sig = LX_SIGTSTP;
            if (sig) {
                if (!(t->c_lflag & LX_NOFLSH))
                    flush_input(tt);
                if (t->c_lflag & LX_ECHO)
                    echo_char(tt, c);
                signal_fg(tt, sig);
                wake_readers(tt);
                continue;
            }
        }
        if ((t->c_lflag & LX_IEXTEN) && c && c == t->c_cc[LX_VLNEXT] && (t->c_lflag & LX_ICANON)) {
            tt->lnext = 1;
            if (t->c_lflag & LX_ECHO)
                echo_char(tt, c);
            continue;
        }
        if (t->c_lflag & LX_ICANON) {
            if (c && c == t->c_cc[LX_VERASE]) {
                if (tt->line_len) {
                    unsigned char last = tt->line[--tt->line_len];
                    if ((t->c_lflag & LX_ECHO) && (t->c_lflag & LX_ECHOE))
                        echo_erase(tt, last);
                    else if (t->c_lflag & LX_ECHO)
                        echo_char(tt, c);
                }
                continue;
            }
            if (c && c == t->c_cc[LX_VWERASE] && (t->c_lflag & LX_IEXTEN)) {
                while (tt->line_len && (tt->line[tt->line_len - 1] == ' ' || tt->line[tt->line_len - 1] == '\t'))
                    echo_erase(tt, tt->line[--tt->line_len]);
                while (tt->line_len && tt->line[tt->line_len - 1] != ' ' && tt->line[tt->line_len - 1] != '\t')
                    echo_erase(tt, tt->line[--tt->line_len]);
                continue;
            }
            if (c && c == t->c_cc[LX_VKILL]) {
                if ((t->c_lflag & LX_ECHO) && (t->c_lflag & LX_ECHOKE)) {
                    while (tt->line_len)
                        echo_erase(tt, tt->line[--tt->line_len]);
                } else {
                    tt->line_len = 0;
                    if (t->c_lflag & LX_ECHO) {
                        echo_char(tt, c);
                        if (t->c_lflag & LX_ECHOK)
                            out_cooked(tt, "\n", 1);
                    }
                }
                continue;
            }
            if (c && c == t->c_cc[LX_VREPRINT] && (t->c_lflag & LX_IEXTEN)) {
                if (t->c_lflag & LX_ECHO) {
                    echo_char(tt, c);
                    out_cooked(tt, "\n", 1);
                    for (uint32_t k = 0; k < tt->line_len; k++)
                        echo_char(tt, tt->line[k]);
                }
                continue;
            }
            if (c && c == t->c_cc[LX_VEOF]) {
                line_done(tt, 1);
                continue;
            }
            if (c == '\n' || (c && (c == t->c_cc[LX_VEOL] || c == t->c_cc[LX_VEOL2]))) {
                if ((t->c_lflag & LX_ECHO) || (c == '\n' && (t->c_lflag & LX_ECHONL)))
                    echo_char(tt, c);
                if (tt->line_len < sizeof tt->line)
                    tt->line[tt->line_len++] = c;
                line_done(tt, 0);
                continue;
            }
        }
    ordinary:
        if (t->c_lflag & LX_ICANON) {
            if (tt->line_len < sizeof tt->line - 1) {
                tt->line[tt->line_len++] = c;
                if (t->c_lflag & LX_ECHO)
                    echo_char(tt, c);
            }
            /* a full line takes no more (one place stays for the newline) */
        } else {
            rq_push(tt, c);
            if (t->c_lflag & LX_ECHO)
                echo_char(tt, c);
            wake_readers(tt);
        }
    }
}

/* ---- job control ---- */

struct tty *tty_of_file(struct file *f)
{
    return f->ops == &tty_ops || f->ops == &pty_master_ops ? f->priv : NULL;
}


/* A background check for a reader (sig SIGTTIN) or writer (SIGTTOU): 0 to go on, or -errno
   (-ERESTARTSYS after the group was signalled). */
static long job_check(struct tty *tt, struct lthread *t, int sig)
{
    struct proc *p = t->p;
    if (p->ctty != tt || tt->pgrp <= 0 || p->pgid == tt->pgrp)
        return 0;
    int blocked = (t->sigmask & SIGBIT(sig)) != 0;
    int ignored = p->sig[sig - 1].handler == LX_SIG_IGN;
    if (sig == LX_SIGTTOU && (blocked || ignored))
        return 0; /* the write goes ahead */
    if (sig == LX_SIGTTIN && (blocked || ignored))
        return -LX_EIO;
    if (proc_pgrp_orphaned(p->pgid))
        return -LX_EIO;
    struct ksiginfo info = {.signo = sig, .code = LX_SI_KERNEL};
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->state == PROC_LIVE && q->pgid == p->pgid)
            signal_send_proc(q, &info);
    return -LX_ERESTARTSYS_;
}

/* ---- file operations ---- */

static int readable(struct tty *tt)
{
    if (tt->tio.c_lflag & LX_ICANON)
        return tt->lines > 0;
    uint8_t vmin = tt->tio.c_cc[LX_VMIN];
    return rq_count(tt) >= (vmin ? vmin : 1);
}

static long tty_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)off;
    struct tty *tt = f->priv;
    if (tt->hungup)
        return 0;
    long e = job_check(tt, t, LX_SIGTTIN);
    if (e)
        return e;
    struct lx_termios *tio = &tt->tio;
    uint8_t *b = buf;
    uint64_t n = 0;
    if (tio->c_lflag & LX_ICANON) {
        if (!tt->lines)
            return -LX_EAGAIN;
        while (n < len && tt->rq_count) {
            uint16_t v = tt->rq[tt->rq_head];
            if (v == EOF_MARK) {
                if (n)
                    break; /* the EOF ends this read; the next one sees it */
                tt->rq_head = (tt->rq_head + 1) % TTY_BUF;
                tt->rq_count--;
                tt->lines--;
                return 0;
            }
            tt->rq_head = (tt->rq_head + 1) % TTY_BUF;
            tt->rq_count--;
            b[n++] = (uint8_t)v;
            if (v == '\n' || (v && (v == tio->c_cc[LX_VEOL] || v == tio->c_cc[LX_VEOL2]))) {
                tt->lines--;
                break;
            }
        }
        /* a line ended by EOF: the marker follows its bytes */
        if (tt->rq_count && tt->rq[tt->rq_head] == EOF_MARK && n && b[n - 1] != '\n') {
            tt->rq_head = (tt->rq_head + 1) % TTY_BUF;
            tt->rq_count--;
            tt->lines--;
        }
        return (long)n;
    }
    uint8_t vmin = tio->c_cc[LX_VMIN], vtime = tio->c_cc[LX_VTIME];
    if (rq_count(tt) == 0 || (vmin && rq_count(tt) < vmin && rq_count(tt) < len)) {
        if (vmin == 0 && vtime == 0)
            return 0;
        if (vmin == 0 && t->tty_timed_out)
            return 0;
        return -LX_EAGAIN;
    }
    while (n < len && tt->rq_count) {
        uint16_t v = tt->rq[tt->rq_head];
        tt->rq_head = (tt->rq_head + 1) % TTY_BUF;
        tt->rq_count--;
        if (v != EOF_MARK)
            b[n++] = (uint8_t)v;
    }
    return (long)n;
}

static long tty_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)off;
    struct tty *tt = f->priv;
    if (tt->hungup)
        return -LX_EIO;
    if (tt->tio.c_lflag & LX_TOSTOP) {
        long e = job_check(tt, t, LX_SIGTTOU);
        if (e)
            return e;
    }
    if (tt->room) { /* (a pty: as much as its master has room for, output processing may double it) */
        uint64_t r = tt->room(tt);
        if (r < 2)
            return -LX_EAGAIN;
        if (len > r / 2)
            len = r / 2;
    }
    out_cooked(tt, buf, len);
    return (long)len;
}

static struct waitq *tty_waitq(struct file *f, int writing)
{
    struct tty *tt = f->priv;
    return writing ? &tt->writers : &tt->readers;
}

static uint32_t tty_poll(struct file *f)
{
    struct tty *tt = f->priv;
    if (tt->hungup)
        return LX_POLLIN | LX_POLLOUT | LX_POLLERR | LX_POLLHUP | LX_POLLRDNORM | LX_POLLWRNORM;
    uint32_t m = readable(tt) ? LX_POLLIN | LX_POLLRDNORM : 0;
    if (!tt->room || tt->room(tt) >= 2)
        m |= LX_POLLOUT | LX_POLLWRNORM;
    return m;
}

static struct pollsrc *tty_pollsrc(struct file *f)
{
    return &((struct tty *)f->priv)->src;
}

/* A non-canonical read with VMIN 0 and VTIME > 0 waits at most VTIME tenths of a second:
   the read engine calls this before parking. */
uint64_t tty_read_timeout_ns(struct file *f)
{
    struct tty *tt = tty_of_file(f);
    if (!tt || (tt->tio.c_lflag & LX_ICANON) || tt->tio.c_cc[LX_VMIN] || !tt->tio.c_cc[LX_VTIME])
        return 0;
    return (uint64_t)tt->tio.c_cc[LX_VTIME] * 100000000ull;
}

/* ---- ioctl ---- */

static sk_error_t termios_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct tty *tt = tty_of_file(t->file);
    struct lx_termios *nt = t->buf;
    int was_canon = tt->tio.c_lflag & LX_ICANON;
    tt->tio = *nt;
    if (t->a[1] == LX_TCSETSF)
        flush_input(tt);
    /* leaving canonical mode makes the line being edited readable */
    if (was_canon && !(nt->c_lflag & LX_ICANON) && tt->line_len) {
        for (uint32_t i = 0; i < tt->line_len; i++)
            rq_push(tt, tt->line[i]);
        tt->line_len = 0;
    }
    if (!was_canon && (nt->c_lflag & LX_ICANON)) {
        /* what was typed raw counts as one line */
        tt->lines = tt->rq_count ? 1 : 0;
    }
    wake_readers(tt);
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t winsize_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct tty *tt = tty_of_file(t->file);
    struct lx_winsize *ws = t->buf;
    int changed = memcmp(ws, &tt->ws, sizeof *ws) != 0;
    tt->ws = *ws;
    if (changed)
        signal_fg(tt, LX_SIGWINCH);
    call_return(t, 0);
    return SK_OK;
}

static sk_error_t pgrp_read(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe)
{
    (void)cqe;
    struct lthread *t = call_thread(r);
    if (err)
        return err;
    struct tty *tt = tty_of_file(t->file);
    int pgrp = (int)(int32_t)t->len;
    struct proc *p = t->p;
    if (p->ctty != tt || tt->session != p->sid) {
        call_return(t, -LX_ENOTTY);
        return SK_OK;
    }
    if (pgrp < 0) {
        call_return(t, -LX_EINVAL);
        return SK_OK;
    }
    int found = 0;
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->state == PROC_LIVE && q->pgid == pgrp && q->sid == p->sid)
            found = 1;
    if (!found) {
        call_return(t, -LX_EPERM);
        return SK_OK;
    }
    /* a background process changing the foreground gets SIGTTOU first (unless it ignores or
       blocks it), as tcsetpgrp does on Linux */
    long e = job_check(tt, t, LX_SIGTTOU);
    if (e) {
        call_return(t, e);
        return SK_OK;
    }
    tt->pgrp = pgrp;
    call_return(t, 0);
    return SK_OK;
}

static long copy_out_small(struct lthread *t, uint64_t uaddr, const void *src, uint64_t n)
{
    void *b = sk_malloc(n);
    if (!b)
        return -LX_ENOMEM;
    memcpy(b, src, n);
    sk_free(t->buf);
    t->buf = b;
    t->ret = 0;
    sk_error_t e = call_copy_out(t, uaddr, b, n, call_done_step);
    return e ? errno_from_sk(e) : CALL_PENDING;
}

void tty_attach_ctty(struct tty *tt, struct proc *p)
{
    tt->session = p->sid;
    tt->pgrp = p->pgid;
    p->ctty = tt;
}

/* The session leader p lets go of its terminal: the foreground gets SIGHUP and SIGCONT, and
   every process of the session loses it (on exit or TIOCNOTTY). */
void tty_session_ends(struct proc *p)
{
    struct tty *tt = p->ctty;
    if (!tt || tt->session != p->sid || p->sid != p->pid)
        return;
    signal_fg(tt, LX_SIGHUP);
    signal_fg(tt, LX_SIGCONT);
    tt->session = 0;
    tt->pgrp = 0;
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->ctty == tt && q->sid == p->sid)
            q->ctty = NULL;
}

long tty_ioctl(struct file *f, struct lthread *t, uint64_t cmd, uint64_t arg)
{
    struct tty *tt = f->priv;
    struct proc *p = t->p;
    sk_error_t e;
    if (tt->hungup)
        return cmd == LX_TIOCSPGRP ? -LX_ENOTTY : -LX_EIO;
    switch (cmd) {
    case LX_TCGETS:
        return copy_out_small(t, arg, &tt->tio, sizeof tt->tio);
    case LX_TCSETS:
    case LX_TCSETSW:
    case LX_TCSETSF: {
        long je = job_check(tt, t, LX_SIGTTOU);
        if (je)
            return je;
        t->buf = sk_malloc(sizeof(struct lx_termios));
        if (!t->buf)
            return -LX_ENOMEM;
        f->refs++;
        t->file = f;
        e = call_copy_in(t, arg, t->buf, sizeof(struct lx_termios), termios_read);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    case LX_TIOCGWINSZ:
        return copy_out_small(t, arg, &tt->ws, sizeof tt->ws);
    case LX_TIOCSWINSZ:
        t->buf = sk_malloc(sizeof(struct lx_winsize));
        if (!t->buf)
            return -LX_ENOMEM;
        f->refs++;
        t->file = f;
        e = call_copy_in(t, arg, t->buf, sizeof(struct lx_winsize), winsize_read);
        return e ? errno_from_sk(e) : CALL_PENDING;
    case LX_TIOCGPGRP: {
        if (p->ctty != tt)
            return -LX_ENOTTY;
        int32_t v = tt->pgrp;
        return copy_out_small(t, arg, &v, 4);
    }
    case LX_TIOCSPGRP:
        f->refs++;
        t->file = f;
        e = call_copy_in(t, arg, &t->len, 4, pgrp_read);
        return e ? errno_from_sk(e) : CALL_PENDING;
    case LX_TIOCGSID: {
        if (p->ctty != tt || !tt->session)
            return -LX_ENOTTY;
        int32_t v = tt->session;
        return copy_out_small(t, arg, &v, 4);
    }
    case LX_TIOCSCTTY:
        if (p->ctty == tt)
            return 0;
        if (p->sid != p->pid || p->ctty)
            return -LX_EPERM;
        if (tt->session && tt->session != p->sid) {
            if (arg != 1 || p->euid != 0)
                return -LX_EPERM;
            for (struct proc *q = procs; q; q = q->all_next)
                if (q->ctty == tt)
                    q->ctty = NULL;
        }
        tty_attach_ctty(tt, p);
        return 0;
    case LX_TIOCNOTTY:
        if (p->ctty != tt)
            return -LX_ENOTTY;
        if (p->sid == p->pid)
            tty_session_ends(p);
        else
            p->ctty = NULL;
        return 0;
    case LX_FIONREAD: {
        int32_t v = 0;
        for (uint32_t i = 0; i < tt->rq_count; i++)
            if (tt->rq[(tt->rq_head + i) % TTY_BUF] != EOF_MARK)
                v++;
        return copy_out_small(t, arg, &v, 4);
    }
    case LX_TIOCOUTQ: {
        int32_t v = 0;
        return copy_out_small(t, arg, &v, 4);
    }
    case LX_TCFLSH:
        if (arg > 2)
            return -LX_EINVAL;
        if (arg == 0 || arg == 2)
            flush_input(tt);
        return 0;
    case LX_TCSBRK:
    case LX_TCXONC:
    case LX_TIOCEXCL:
    case LX_TIOCNXCL:
        return 0;
    default:
        return -LX_ENOTTY;
    }
}

/* Opening a terminal: a session leader without one takes it as its controlling terminal
   (unless O_NOCTTY). */
static long tty_open(struct file *f, struct lthread *t, uint32_t oflags)
{
    struct tty *tt = f->priv;
    struct proc *p = t->p;
    if (tt->opened) {
        long e = tt->opened(tt);
        if (e) {
            f->priv = NULL; /* (not counted open: the release that follows does nothing) */
            return e;
        }
    }
    if (!(oflags & LX_O_NOCTTY) && p->sid == p->pid && !p->ctty && !tt->session && !tt->hungup)
        tty_attach_ctty(tt, p);
    return 0;
}

static void tty_release(struct file *f)
{
    struct tty *tt = f->priv;
    if (tt && tt->closed)
        tt->closed(tt);
}

void tty_hangup(struct tty *tt)
{
    tt->hungup = 1;
    if (tt->session) {
        struct proc *leader = proc_find(tt->session);
        if (leader && leader->state == PROC_LIVE && leader->ctty == tt) {
            struct ksiginfo hup = {.signo = LX_SIGHUP, .code = LX_SI_KERNEL};
            struct ksiginfo cont = {.signo = LX_SIGCONT, .code = LX_SI_KERNEL};
            signal_send_proc(leader, &hup);
            signal_send_proc(leader, &cont);
        }
    }
    for (struct proc *q = procs; q; q = q->all_next)
        if (q->ctty == tt)
            q->ctty = NULL;
    tt->session = 0;
    tt->pgrp = 0;
    waitq_wake_all(&tt->readers);
    waitq_wake_all(&tt->writers);
    pollsrc_notify(&tt->src, LX_POLLHUP);
}

const struct file_ops tty_ops = {.read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
                                 .waitq = tty_waitq, .poll = tty_poll, .pollsrc = tty_pollsrc,
                                 .open = tty_open, .release = tty_release};

/* /dev/tty: the caller's controlling terminal, whatever it is. */
static long devtty_open(struct file *f, struct lthread *t, uint32_t oflags)
{
    (void)oflags;
    struct tty *tt = t->p->ctty;
    if (!tt)
        return -LX_ENXIO;
    if (tt->opened) {
        long e = tt->opened(tt);
        if (e)
            return e;
    }
    f->priv = tt;
    f->ops = &tty_ops;
    return 0;
}

const struct file_ops devtty_ops = {.open = devtty_open};

int tty_dev_of(struct proc *p)
{
    if (!p->ctty)
        return 0;
    return p->ctty == &console_tty ? (4 << 8 | 64) : (int)p->ctty->rdev;
}

int tty_fg_of(struct proc *p)
{
    return p->ctty ? p->ctty->pgrp : -1;
}
