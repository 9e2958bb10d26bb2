/*
 * The POSIX server (docs/posix.md): it fills a tmpfs root from the boot
 * archive, makes /dev, starts the first Linux program as pid 1 with the
 * console on descriptors 0, 1 and 2, and then runs its queue until that
 * program ends. Arguments (init's "posix.args="): the program's path and its
 * argv[1..]; default /sbin/init. "-v" first turns on diagnostics.
 * The server exits with pid 1's exit code (128 + the signal if it was killed).
 */
#include "posix.h"
#include "tty.h"
#include "calls.h"
#include <base/fmt.h>
#include <stdarg.h>

SK_HOT_DATA struct posix px = {.next_pid = 1};
static SK_HOT_DATA int init_done;
static int init_status, shutdown_how;

void posix_shutdown(int how)
{
    shutdown_how = how;
    /* every process ends now (init last), as the kernel's reboot does after init's own
       shutdown scripts ran */
    for (struct proc *p = procs; p; p = p->all_next)
        if (p->pid != 1 && p->state == PROC_LIVE)
            proc_exit(p, LX_SIGKILL);
    struct proc *init = proc_find(1);
    if (init && init->state == PROC_LIVE)
        proc_exit(init, 0);
    init_done = 1;
}

void posix_init_exited(int wstatus)
{
    init_done = 1;
    init_status = wstatus;
}

static int open_console(struct proc *p)
{
    struct inode *con;
    if (vfs_lookup(NULL, vfs_root, "/dev/console", LOOKUP_FOLLOW, &con, NULL))
        return -1;
    for (int fd = 0; fd < 3; fd++) {
        struct file *f = file_open(con, LX_O_RDWR);
        if (!f || fd_install(p->fds, fd, f, 0) != fd)
            return -1;
    }
    return 0;
}

/* The loop, until init ends (in hot text, as what it runs: docs/posix.md). 1 if the queue failed. */
SK_HOT __attribute__((noinline)) static int serve(void)
{
    while (!init_done) {
        waitq_run_ready();
        if (pipe_bytes_held()) {
            /* writers may wait for the room those copies hold: hand them over first */
            sk_queue_flush(&px.q);
            call_release_held();
        }
        sk_error_t err = sk_queue_wait(&px.q, SK_TIMEOUT_NEVER);
        if (err != SK_OK && err != SK_ERR_TIMEOUT && err != SK_ERR_ALERTED) {
            plog("queue: %s\n", sk_error_name(err));
            return 1;
        }
        posix_sweep();
    }
    return 0;
}

int main(const struct sk_start_info *si)
{
    if (!si || !si->initrd) {
        plog("started without the boot archive\n");
        return 1;
    }
    uint64_t addr;
    if (sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, sk_page_round_up(si->initrd_size),
                     SK_PROT_READ, &addr) != SK_OK) {
        plog("cannot map the boot archive\n");
        return 1;
    }
    px.archive = (const uint8_t *)addr;
    px.archive_size = si->initrd_size;
    sk_clock_get(&px.boot_ns);
    rtc_init(si->hw_access);
    if (sk_queue_open(&px.q, 256, 1024) != SK_OK) {
        plog("no queue\n");
        return 1;
    }
    sk_timers_init(&px.timers, &px.q);
    if (vfs_load_archive(px.archive, px.archive_size)) {
        plog("cannot build the root file system\n");
        return 1;
    }
    tty_init(&console_tty, console_out);
    dev_init();
    procfs_init();
    loadavg_start();
    if (si->hw_access && uart_start(si->hw_access) != 0)
        plog("no serial port; the console writes to the kernel log\n");

    int first = 1;
    for (; first < sk_argc(); first++) {
        if (strcmp(sk_argv(first), "-v") == 0)
            px.verbose = 1;
        else if (strcmp(sk_argv(first), "--system") == 0)
            px.system = 1;
        else if (strcmp(sk_argv(first), "--trace") == 0)
            px.trace = px.verbose = 1;
        else
            break;
    }
    const char *path = sk_argc() > first ? sk_argv(first) : "/sbin/init";
    int argc = sk_argc() > first ? sk_argc() - first : 1;
    char *argv[16];
    argv[0] = (char *)path;
    for (int i = 1; i < argc && i < 16; i++)
        argv[i] = (char *)sk_argv(first + i);
    if (argc > 16)
        argc = 16;
    char *envp[] = {"HOME=/", "TERM=vt100", "PATH=/sbin:/usr/sbin:/bin:/usr/bin", "SKOLL=1"};

    struct proc *p = proc_new(NULL);
    if (!p || !(p->fds = fdt_new()) || open_console(p)) {
        plog("cannot make the first process\n");
        return 1;
    }
    uint64_t entry, sp;
    int e = exec_image(p, vfs_root, path, argv, argc, envp, 4, &entry, &sp);
    if (e) {
        plog("cannot start %s: errno %d\n", path, -e);
        return 1;
    }
    struct lthread *t = thread_new(p, entry, sp, 0);
    if (!t) {
        plog("cannot start a thread\n");
        return 1;
    }
    call_start(t);
    if (serve())
        return 1;
    console_flush();
    if (px.system) {
        /* the system's end: power off (or restart) the machine, as Linux does after init */
        if (!shutdown_how)
            plog("init ended (status 0x%x): powering off\n", init_status);
        sk_error_t e = sk_platform_power(si->hw_access, shutdown_how == POSIX_REBOOT ? SK_POWER_RESET
                                                                                     : SK_POWER_OFF);
        plog("platform_power: %s\n", sk_error_name(e)); /* it returned: it failed */
        return 1;
    }
    if (shutdown_how)
        return 0;
    if (init_status & 0x7f)
        return 128 + (init_status & 0x7f);
    return (init_status >> 8) & 0xff;
}

/* ---- the log ring and syslog(2) ---- */

#define LOG_RING (16u << 10)
static char log_ring[LOG_RING];
static uint64_t log_written; /* bytes ever written; the ring holds the last LOG_RING */

static void log_put(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        log_ring[(log_written + i) % LOG_RING] = s[i];
    log_written += n;
}

void plog(const char *fmt, ...)
{
    char line[300];
    uint64_t now = 0;
    sk_clock_get(&now);
    now -= px.boot_ns;
    size_t n = sk_snprintf(line, sizeof line, "[%5lu.%06lu] posix: ", (unsigned long)(now / 1000000000ull),
                           (unsigned long)(now % 1000000000ull / 1000));
    size_t body = n;
    va_list ap;
    va_start(ap, fmt);
    n += fmt_vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (n >= sizeof line)
        n = sizeof line - 1;
    log_put(line, n);
    if (!px.system || px.verbose)
        sk_printf("posix: %.*s", (int)(n - body), line + body);
}

#define LX_SYSLOG_ACTION_READ 2
#define LX_SYSLOG_ACTION_READ_ALL 3
#define LX_SYSLOG_ACTION_READ_CLEAR 4
#define LX_SYSLOG_ACTION_CLEAR 5
#define LX_SYSLOG_ACTION_SIZE_UNREAD 9
#define LX_SYSLOG_ACTION_SIZE_BUFFER 10
static uint64_t log_cleared; /* log_written when last cleared */

long sys_syslog(struct lthread *t)
{
    int type = (int)t->a[0];
    uint64_t held = log_written - log_cleared;
    if (held > LOG_RING)
        held = LOG_RING;
    switch (type) {
    case 0: /* close */
    case 1: /* open */
    case 6: /* console off */
    case 7: /* console on */
    case 8: /* console level */
        return type == 8 && (t->a[2] < 1 || t->a[2] > 8) ? -LX_EINVAL : 0;
    case LX_SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_RING;
    case LX_SYSLOG_ACTION_SIZE_UNREAD:
        return (long)held;
    case LX_SYSLOG_ACTION_CLEAR:
        if (t->p->euid != 0)
            return -LX_EPERM;
        log_cleared = log_written;
        return 0;
    case LX_SYSLOG_ACTION_READ:
    case LX_SYSLOG_ACTION_READ_ALL:
    case LX_SYSLOG_ACTION_READ_CLEAR: {
        if (t->p->euid != 0)
            return -LX_EPERM; /* dmesg_restrict, as Debian sets it */
        if ((int64_t)t->a[2] < 0)
            return -LX_EINVAL;
        uint64_t n = held < t->a[2] ? held : t->a[2];
        if (!n)
            return 0;
        char *b = sk_malloc(n);
        if (!b)
            return -LX_ENOMEM;
        /* the last n bytes held */
        for (uint64_t i = 0; i < n; i++)
            b[i] = log_ring[(log_written - n + i) % LOG_RING];
        t->buf = b;
        t->ret = (long)n;
        if (type != LX_SYSLOG_ACTION_READ_ALL)
            log_cleared = log_written;
        sk_error_t e = call_copy_out(t, t->a[1], b, n, call_done_step);
        return e ? errno_from_sk(e) : CALL_PENDING;
    }
    default:
        return -LX_EINVAL;
    }
}
