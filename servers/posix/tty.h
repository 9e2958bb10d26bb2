/*
 * Terminals (tty.c): termios as Linux's TCGETS takes it, the window size, and the
 * state of one terminal.
 */
#pragma once
#include "posix.h"

#define LX_NCCS 19
struct lx_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[LX_NCCS];
};
_Static_assert(sizeof(struct lx_termios) == 36, "kernel termios");

struct lx_winsize {
    uint16_t rows, cols, xpixel, ypixel;
};
_Static_assert(sizeof(struct lx_winsize) == 8, "winsize");

/* c_cc indices */
#define LX_VINTR 0
#define LX_VQUIT 1
#define LX_VERASE 2
#define LX_VKILL 3
#define LX_VEOF 4
#define LX_VTIME 5
#define LX_VMIN 6
#define LX_VSTART 8
#define LX_VSTOP 9
#define LX_VSUSP 10
#define LX_VEOL 11
#define LX_VREPRINT 12
#define LX_VWERASE 14
#define LX_VLNEXT 15
#define LX_VEOL2 16
/* c_iflag */
#define LX_IGNBRK 0000001
#define LX_ISTRIP 0000040
#define LX_INLCR 0000100
#define LX_IGNCR 0000200
#define LX_ICRNL 0000400
#define LX_IXON 0002000
/* c_oflag */
#define LX_OPOST 0000001
#define LX_ONLCR 0000004
#define LX_OCRNL 0000010
/* c_lflag */
#define LX_ISIG 0000001
#define LX_ICANON 0000002
#define LX_ECHO 0000010
#define LX_ECHOE 0000020
#define LX_ECHOK 0000040
#define LX_ECHONL 0000100
#define LX_NOFLSH 0000200
#define LX_TOSTOP 0000400
#define LX_ECHOCTL 0001000
#define LX_ECHOKE 0004000
#define LX_IEXTEN 0100000
/* ioctls */
#define LX_TCGETS 0x5401
#define LX_TCSETS 0x5402
#define LX_TCSETSW 0x5403
#define LX_TCSETSF 0x5404
#define LX_TCSBRK 0x5409
#define LX_TCXONC 0x540A
#define LX_TCFLSH 0x540B
#define LX_TIOCEXCL 0x540C
#define LX_TIOCNXCL 0x540D
#define LX_TIOCSCTTY 0x540E
#define LX_TIOCGPGRP 0x540F
#define LX_TIOCSPGRP 0x5410
#define LX_TIOCOUTQ 0x5411
#define LX_TIOCGWINSZ 0x5413
#define LX_TIOCSWINSZ 0x5414
#define LX_FIONREAD 0x541B
#define LX_TIOCNOTTY 0x5422
#define LX_TIOCGSID 0x5429
#define LX_FIONBIO 0x5421
#define LX_FIONCLEX 0x5450
#define LX_FIOCLEX 0x5451

#define TTY_BUF 4096
struct tty {
    struct lx_termios tio;
    struct pollsrc src;
    struct lx_winsize ws;
    uint16_t rq[TTY_BUF]; /* bytes ready for read (and EOF marks) */
    uint32_t rq_head, rq_count;
    uint32_t lines;       /* canonical: complete lines (or EOFs) in rq */
    uint8_t line[TTY_BUF]; /* canonical: the line being edited */
    uint32_t line_len;
    int lnext;            /* the next byte is taken literally */
    uint32_t column;
    int session, pgrp;    /* the session it controls (0: none) and its foreground group */
    struct waitq readers, writers;
    void (*out)(struct tty *tt, const char *s, size_t n);
    /* ptys (pty.c): room left for output (NULL: no limit), a file of it opened (may refuse
       with -errno) and closed */
    uint64_t (*room)(struct tty *tt);
    long (*opened)(struct tty *tt);
    void (*closed)(struct tty *tt);
    int hungup;  /* its master went: reads see end of file, the rest EIO */
    uint32_t rdev; /* its device number (the controlling terminal in /proc/PID/stat) */
};

extern struct tty console_tty;
extern const struct file_ops tty_ops, devtty_ops, ptmx_ops, pty_master_ops;
/* Hang tt up (its pty master went): the session's leader gets SIGHUP and SIGCONT, and no
   process keeps it as controlling terminal. */
void tty_hangup(struct tty *tt);
/* The terminal ioctls (a pty master passes on what it does not handle itself). */
long tty_ioctl(struct file *f, struct lthread *t, uint64_t cmd, uint64_t arg);
/* /dev/ptmx and /dev/pts (pty.c). */
void pty_init(struct inode *dev);
void tty_init(struct tty *tt, void (*out)(struct tty *, const char *, size_t));
/* Bytes from the device. */
void tty_input(struct tty *tt, const char *s, size_t n);
struct tty *tty_of_file(struct file *f);
void tty_attach_ctty(struct tty *tt, struct proc *p);
void tty_session_ends(struct proc *p);
uint64_t tty_read_timeout_ns(struct file *f);

/* The serial port (uart.c). */
int uart_start(sk_handle_t hw);
void console_out(struct tty *tt, const char *s, size_t n);
