/*
 * procfs: a tree of generated nodes. Directories are real inodes whose children
 * are brought up to date on each lookup or listing (/proc gets a directory per
 * live process, /proc/PID/fd a link per descriptor); a file's content is
 * generated when it is opened and read from that snapshot, as Linux's seq
 * files do; symlinks (self, exe, cwd, fd/N) are generated when followed or read.
 * Mounted with mount -t proc (the boot's inittab does it).
 */
#include "posix.h"
#include <base/fmt.h>

struct inode *procfs_root;

/* ---- strbuf ---- */

static int sb_reserve(struct strbuf *sb, size_t more)
{
    if (sb->len + more + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + more + 1)
        cap *= 2;
    char *s = sk_malloc(cap);
    if (!s)
        return -1;
    if (sb->len)
        memcpy(s, sb->s, sb->len);
    sk_free(sb->s);
    sb->s = s;
    sb->cap = cap;
    return 0;
}

void sb_put(struct strbuf *sb, const char *s, size_t n)
{
    if (sb_reserve(sb, n))
        return;
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

static void sb_sink(void *ctx, const char *s, size_t n)
{
    sb_put(ctx, s, n);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(sb_sink, sb, fmt, ap);
    va_end(ap);
    if (!sb->s)
        sb_put(sb, "", 0);
}

/* ---- helpers ---- */

static struct proc *node_proc(struct inode *ino)
{
    struct proc *p = proc_find(ino->gen_pid);
    return p && p->state != PROC_REAPED ? p : NULL;
}


static uint64_t ticks(uint64_t ns)
{
    return ns / 10000000ull; /* USER_HZ = 100 */
}

static uint64_t vm_bytes(struct proc *p)
{
    uint64_t n = 0;
    if (p->mm)
        for (struct vma *v = p->mm->vmas; v; v = v->next)
            n += v->end - v->start;
    return n;
}

static int nthreads(struct proc *p)
{
    int n = 0;
    for (struct lthread *t = p->threads; t; t = t->next)
        n++;
    return n;
}

/* The thread a /proc/PID/task/TID file is about (gen_fd: the tid), NULL for the process's
   own files (gen_fd -1); *gone when that thread has ended. */
static struct lthread *node_thread(const struct inode *ino, struct proc *p, int *gone)
{
    *gone = 0;
    if (ino->gen_fd <= 0)
        return NULL;
    for (struct lthread *t = p->threads; t; t = t->next)
        if (t->tid == ino->gen_fd)
            return t;
    *gone = 1;
    return NULL;
}

static char thread_state(const struct lthread *t)
{
    return !t->in_call || !t->req.parked ? 'R' : 'S';
}

static char state_of(struct proc *p)
{
    if (p->state == PROC_ZOMBIE)
        return 'Z';
    if (p->jobstop)
        return 'T';
    for (struct lthread *t = p->threads; t; t = t->next)
        if (thread_state(t) == 'R')
            return 'R';
    return 'S';
}

static const char *state_name(char c)
{
    switch (c) {
    case 'R':
        return "R (running)";
    case 'S':
        return "S (sleeping)";
    case 'T':
        return "T (stopped)";
    default:
        return "Z (zombie)";
    }
}

/* ---- per-process files ---- */

static int gen_stat(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    int gone;
    struct lthread *th = p ? node_thread(ino, p, &gone) : NULL;
    if (!p || gone)
        return -LX_ESRCH;
    uint64_t sigign = 0, sigcatch = 0;
    for (int i = 0; i < LX_NSIG; i++) {
        if (p->sig[i].handler == LX_SIG_IGN)
            sigign |= 1ull << i;
        else if (p->sig[i].handler != LX_SIG_DFL)
            sigcatch |= 1ull << i;
    }
    struct lthread *first = th ? th : p->threads;
    uint64_t blocked = first ? first->sigmask : 0;
    int tty = tty_dev_of(p), tpgid = tty_fg_of(p);
    char state = th && p->state == PROC_LIVE && !p->jobstop ? thread_state(th) : state_of(p);
    sb_printf(sb, "%d (%s) %c %d %d %d %d %d %u %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %d %ld %lu ",
              th ? th->tid : p->pid, th ? thread_comm(th) : p->comm, state,
              p->parent ? p->parent->pid : 0, p->pgid, p->sid, tty,
              tpgid, 0x400000u, 0ul, 0ul, 0ul, 0ul,
              (unsigned long)((p->state == PROC_LIVE ? proc_cpu_ns(p) : p->cpu_dead_ns) / 10000000ull),
              0ul, (long)(p->cpu_children_ns / 10000000ull), 0l, 20l + p->nice, (long)p->nice,
              nthreads(p), 0l,
              (unsigned long)ticks(p->start_ns - px.boot_ns));
    struct sk_thread_stats ts = {0}; /* field 39: the CPU it last ran on */
    if (first && first->h)
        sk_thread_stats(first->h, &ts);
    sb_printf(sb, "%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %d %d %u %u %lu %lu %ld ",
              (unsigned long)vm_bytes(p), 0ul, ~0ul, 0ul, 0ul, 0ul, 0ul, 0ul,
              (unsigned long)(p->pending & 0xffffffff), (unsigned long)(blocked & 0xffffffff),
              (unsigned long)(sigign & 0xffffffff), (unsigned long)(sigcatch & 0xffffffff), 0ul, 0ul,
              0ul, LX_SIGCHLD, (int)ts.cpu, 0u, 0u, 0ul, 0ul, 0l);
    uint64_t brk_start = p->mm ? p->mm->brk_start : 0;
    sb_printf(sb, "%lu %lu %lu %lu %lu %lu %lu %d\n", 0ul, 0ul, (unsigned long)brk_start, 0ul, 0ul,
              0ul, 0ul, p->state == PROC_ZOMBIE ? p->wstatus : 0);
    return 0;
}

static int gen_status(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    int gone;
    struct lthread *th = p ? node_thread(ino, p, &gone) : NULL;
    if (!p || gone)
        return -LX_ESRCH;
    struct lthread *first = th ? th : p->threads;
    char state = th && p->state == PROC_LIVE && !p->jobstop ? thread_state(th) : state_of(p);
    uint64_t sigign = 0, sigcatch = 0;
    for (int i = 0; i < LX_NSIG; i++) {
        if (p->sig[i].handler == LX_SIG_IGN)
            sigign |= 1ull << i;
        else if (p->sig[i].handler != LX_SIG_DFL)
            sigcatch |= 1ull << i;
    }
    uint64_t vm = vm_bytes(p) >> 10;
    char groups[256]; /* "g1 g2 ... \n" (as many as fit; Linux lists them all) */
    size_t gl = 0;
    for (uint32_t i = 0; i < p->ngroups && gl + 12 < sizeof groups; i++)
        gl += (size_t)sk_snprintf(groups + gl, sizeof groups - gl, "%u ", p->groups[i]);
    sk_snprintf(groups + gl, sizeof groups - gl, "\n");
    sb_printf(sb, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
                  "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%u\n"
                  "Groups:\t%sVmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\n"
                  "VmRSS:\t%8lu kB\nThreads:\t%d\n"
                  "SigQ:\t0/0\nSigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\n"
                  "SigCgt:\t%016lx\n",
              th ? thread_comm(th) : p->comm, p->umask, state_name(state), p->pid, th ? th->tid : p->pid,
              p->parent ? p->parent->pid : 0, p->uid, p->euid, p->suid, p->euid, p->gid, p->egid,
              p->sgid, p->egid, p->fds ? p->fds->count : 0, groups, (unsigned long)vm, (unsigned long)vm,
              (unsigned long)(p->mm ? mm_locked_bytes(p->mm, 0, 0) / 1024 : 0), 0ul, nthreads(p), (unsigned long)(first ? first->pending : 0),
              (unsigned long)p->pending, (unsigned long)(first ? first->sigmask : 0),
              (unsigned long)sigign, (unsigned long)sigcatch);
    return 0;
}

static int gen_cmdline(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    if (!p)
        return -LX_ESRCH;
    if (p->cmdline)
        sb_put(sb, p->cmdline, p->cmdline_len);
    else
        sb_put(sb, "", 0);
    return 0;
}

static int gen_environ(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    struct proc *p = node_proc(ino);
    if (!p)
        return -LX_ESRCH;
    if (viewer && viewer->euid != 0 && viewer->euid != p->uid)
        return -LX_EACCES; /* (Linux: ptrace read access) */
    sb_put(sb, p->environ ? p->environ : "", p->environ ? p->environ_len : 0);
    return 0;
}

static int gen_limits(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    static const char *const names[LX_RLIMIT_NLIMITS][2] = {
        {"Max cpu time", "seconds"}, {"Max file size", "bytes"}, {"Max data size", "bytes"},
        {"Max stack size", "bytes"}, {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
        {"Max processes", "processes"}, {"Max open files", "files"},
        {"Max locked memory", "bytes"}, {"Max address space", "bytes"},
        {"Max file locks", "locks"}, {"Max pending signals", "signals"},
        {"Max msgqueue size", "bytes"}, {"Max nice priority", NULL},
        {"Max realtime priority", NULL}, {"Max realtime timeout", "us"}};
    struct proc *p = node_proc(ino);
    if (!p)
        return -LX_ESRCH;
    sb_printf(sb, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (int i = 0; i < LX_RLIMIT_NLIMITS; i++) {
        char cur[24], max[24];
        if (p->rlim[i].cur == UINT64_MAX)
            sk_snprintf(cur, sizeof cur, "unlimited");
        else
            sk_snprintf(cur, sizeof cur, "%lu", (unsigned long)p->rlim[i].cur);
        if (p->rlim[i].max == UINT64_MAX)
            sk_snprintf(max, sizeof max, "unlimited");
        else
            sk_snprintf(max, sizeof max, "%lu", (unsigned long)p->rlim[i].max);
        sb_printf(sb, "%-25s %-20s %-20s ", names[i][0], cur, max);
        if (names[i][1])
            sb_printf(sb, "%-10s\n", names[i][1]);
        else
            sb_put(sb, "\n", 1);
    }
    return 0;
}

/* /proc/PID/fdinfo/N: Linux's first four lines (the close-on-exec bit in the flags). */
static int gen_fdinfo(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    struct file *f = p && p->fds ? fd_get(p->fds, ino->gen_fd) : NULL;
    if (!f)
        return -LX_ENOENT;
    uint32_t flags = f->flags | (p->fds->cloexec[ino->gen_fd] ? LX_O_CLOEXEC : 0);
    sb_printf(sb, "pos:\t%lu\nflags:\t0%o\nmnt_id:\t%u\nino:\t%lu\n", (unsigned long)f->pos,
              flags, super_of(f->ino)->dev & 0xfffff, (unsigned long)f->ino->ino);
    return 0;
}

/* /proc/PID/mountinfo: id, parent, major:minor, root, mount point, options, -, type, source,
   super options (Linux's proc_pid_mountinfo; ids from 21, the root's parent is itself). */
static int gen_mountinfo(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    struct super *rs = super_of(vfs_root);
    const char *ro = super_rdonly(vfs_root) ? "ro" : "rw";
    sb_printf(sb, "21 21 0:%u / / %s - rootfs rootfs %s\n", rs->dev & 0xff, ro, ro);
    int id = 22;
    for (struct mount *m = mounts; m; m = m->next, id++) {
        char buf[512];
        if (vfs_path_of(m->where, buf, sizeof buf) < 0)
            continue;
        struct super *s = super_of(m->root);
        uint32_t f = s->flags;
        sb_printf(sb, "%d 21 0:%u / %s %s%s%s%s%s - %s %s %s\n", id, s->dev & 0xff, buf,
                  f & LX_MS_RDONLY ? "ro" : "rw", f & LX_MS_NOSUID ? ",nosuid" : "",
                  f & LX_MS_NODEV ? ",nodev" : "", f & LX_MS_NOEXEC ? ",noexec" : "",
                  f & LX_MS_NOATIME ? ",noatime" : f & LX_MS_STRICTATIME ? "" : ",relatime", m->type,
                  m->source, f & LX_MS_RDONLY ? "ro" : "rw");
    }
    return 0;
}

/* Writing /proc/PID/comm (or task/TID/comm): the thread's name, cut to 15 bytes, as
   PR_SET_NAME; the process's own threads (Linux: same thread group) or root. */
static long store_comm(struct inode *ino, struct lthread *t, const char *buf, size_t len)
{
    struct proc *p = node_proc(ino);
    int gone;
    struct lthread *th = p ? node_thread(ino, p, &gone) : NULL;
    if (!p || (ino->gen_fd > 0 && gone))
        return -LX_ESRCH;
    if (p != t->p && t->p->euid != 0)
        return -LX_EINVAL;
    if (!th)
        th = p->threads ? thread_find(t, p->pid) : NULL;
    char *dst = th ? thread_comm(th) : p->comm;
    size_t n = len < 15 ? len : 15;
    memset(dst, 0, 16);
    memcpy(dst, buf, n);
    return (long)len;
}

static int gen_comm(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    int gone;
    struct lthread *th = p ? node_thread(ino, p, &gone) : NULL;
    if (!p || gone)
        return -LX_ESRCH;
    sb_printf(sb, "%s\n", th ? thread_comm(th) : p->comm);
    return 0;
}

/* Linux's format: range, permissions, offset, device and inode of a file mapping, and after
   padding to column 73 the file's path, [heap] or [stack]. */
static int gen_maps(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    if (!p)
        return -LX_ESRCH;
    sb_put(sb, "", 0);
    if (!p->mm)
        return 0;
    for (struct vma *v = p->mm->vmas; v; v = v->next) {
        char line[128], path[1024];
        const char *name = NULL;
        uint32_t dev = 0;
        uint64_t inum = 0;
        if (v->file) {
            dev = super_of(v->file)->dev;
            inum = v->file->ino;
            if (vfs_path_of(v->file, path, sizeof path) > 0)
                name = path;
        } else if (v->flags & VMA_STACK) {
            name = "[stack]";
        } else if (v->flags & VMA_BRK) {
            name = "[heap]";
        }
        int n = sk_snprintf(line, sizeof line, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ",
                            (unsigned long)v->start, (unsigned long)v->end,
                            v->prot & LX_PROT_READ ? 'r' : '-', v->prot & LX_PROT_WRITE ? 'w' : '-',
                            v->prot & LX_PROT_EXEC ? 'x' : '-', v->flags & VMA_SHARED ? 's' : 'p',
                            (unsigned long)(v->file ? v->offset : 0), dev >> 8, dev & 0xff,
                            (unsigned long)inum);
        sb_put(sb, line, (size_t)n);
        if (name) {
            for (; n < 73; n++)
                sb_put(sb, " ", 1);
            sb_put(sb, name, strlen(name));
        }
        sb_put(sb, "\n", 1);
    }
    return 0;
}

static int link_exe(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    if (!p || !p->exe)
        return -LX_ENOENT;
    sb_printf(sb, "%s", p->exe);
    return 0;
}

static int link_cwd(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    if (!p || !p->cwd)
        return -LX_ENOENT;
    char buf[1024];
    int n = vfs_path_of(p->cwd, buf, sizeof buf);
    if (n < 0)
        return n;
    sb_printf(sb, "%s", buf);
    return 0;
}

static int link_fd(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    struct file *f = p && p->fds ? fd_get(p->fds, ino->gen_fd) : NULL;
    if (!f)
        return -LX_ENOENT;
    uint32_t type = f->ino->mode & LX_S_IFMT;
    if (f->ops && f->ops->anon_name) {
        sb_printf(sb, "anon_inode:%s", f->ops->anon_name);
        return 0;
    }
    if (f->ino->memfd_name) {
        sb_printf(sb, "/memfd:%s (deleted)", f->ino->memfd_name);
        return 0;
    }
    if (type == LX_S_IFIFO && !f->ino->parent && f->ino->nlink <= 1 && f->ops != &tmpfs_file_ops &&
        f->priv && !f->ino->fifo) {
        sb_printf(sb, "pipe:[%lu]", (unsigned long)f->ino->ino);
        return 0;
    }
    char buf[1024];
    int n = vfs_path_of(f->ino, buf, sizeof buf);
    if (n < 0) {
        sb_printf(sb, "%s:[%lu]", type == LX_S_IFIFO ? "pipe" : type == LX_S_IFSOCK ? "socket" : "anon_inode",
                  (unsigned long)f->ino->ino);
        return 0;
    }
    sb_printf(sb, "%s", buf);
    return 0;
}

static int link_self(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino;
    if (!viewer)
        return -LX_ENOENT;
    sb_printf(sb, "%d", viewer->pid);
    return 0;
}

/* ---- whole-system files ---- */

static int gen_meminfo(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    uint64_t total = mi.total_pages * 4, free = mi.free_pages * 4;
    sb_printf(sb, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
                  "Buffers:        %8lu kB\nCached:         %8lu kB\nSwapCached:     %8lu kB\n"
                  "Active:         %8lu kB\nInactive:       %8lu kB\nSwapTotal:      %8lu kB\n"
                  "SwapFree:       %8lu kB\nDirty:          %8lu kB\nShmem:          %8lu kB\n"
                  "Slab:           %8lu kB\nSReclaimable:   %8lu kB\n",
              (unsigned long)total, (unsigned long)free, (unsigned long)free, 0ul, 0ul, 0ul,
              (unsigned long)(total - free), 0ul, 0ul, 0ul, 0ul, 0ul, 0ul, 0ul);
    return 0;
}

static int gen_uptime(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    uint64_t up = now_ns() - px.boot_ns;
    sb_printf(sb, "%lu.%02lu 0.00\n", (unsigned long)(up / 1000000000ull),
              (unsigned long)(up % 1000000000ull / 10000000ull));
    return 0;
}

/*
 * The load averages, as Linux keeps them (kernel/sched/loadavg.c): every 5 s the number of
 * runnable processes (not parked in a call, not stopped) is folded into three exponentially
 * decaying averages over 1, 5 and 15 minutes, in fixed point with 11 fraction bits. Linux
 * counts uninterruptible sleeps too; a parked call here is always interruptible.
 */
#define LOAD_SHIFT 11
#define LOAD_ONE (1ul << LOAD_SHIFT)
#define LOAD_PERIOD_NS 5000000000ull
static uint64_t avenrun[3];
static struct sk_timer load_tick;

static int runnable_count(int *total)
{
    int running = 0, n = 0;
    for (struct proc *p = procs; p; p = p->all_next)
        if (p->state == PROC_LIVE) {
            n++;
            running += state_of(p) == 'R';
        }
    if (total)
        *total = n;
    return running;
}

static void load_fold(struct sk_timer *tm)
{
    /* exp(-5 s / 1, 5, 15 min) in fixed point */
    static const uint64_t decay[3] = {1884, 2014, 2037};
    uint64_t active = (uint64_t)runnable_count(NULL) * LOAD_ONE;
    for (int i = 0; i < 3; i++) {
        uint64_t v = avenrun[i] * decay[i] + active * (LOAD_ONE - decay[i]);
        if (active >= avenrun[i])
            v += LOAD_ONE - 1; /* round up while rising */
        avenrun[i] = v / LOAD_ONE;
    }
    sk_timer_start(&px.timers, tm, tm->at + LOAD_PERIOD_NS, load_fold);
}

void loadavg_start(void)
{
    uint64_t now = 0;
    sk_clock_get(&now);
    sk_timer_start(&px.timers, &load_tick, now + LOAD_PERIOD_NS, load_fold);
}

void loadavg_get(uint64_t out[3], int shift)
{
    for (int i = 0; i < 3; i++)
        out[i] = avenrun[i] << shift;
}

static int gen_loadavg(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    int total = 0, running = runnable_count(&total);
    for (int i = 0; i < 3; i++) {
        uint64_t a = avenrun[i] + LOAD_ONE / 200; /* (rounded to hundredths, as Linux) */
        sb_printf(sb, "%lu.%02lu ", (unsigned long)(a >> LOAD_SHIFT),
                  (unsigned long)(((a & (LOAD_ONE - 1)) * 100) >> LOAD_SHIFT));
    }
    sb_printf(sb, "%d/%d %d\n", running, total, px.next_pid - 1);
    return 0;
}

static int gen_stat_sys(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    int running = 0;
    uint64_t user = px.cpu_reaped_ns; /* Linux programs' time; the rest of the machine idles */
    for (struct proc *p = procs; p; p = p->all_next) {
        user += p->state == PROC_LIVE ? proc_cpu_ns(p) : p->cpu_dead_ns;
        running += p->state == PROC_LIVE && state_of(p) == 'R';
    }
    uint64_t cpus = mi.cpus ? mi.cpus : 1, all = (now_ns() - px.boot_ns) * cpus;
    uint64_t idle = all > user ? all - user : 0;
    /* (per CPU the totals are shared out evenly: which CPU ran what is not kept) */
    sb_printf(sb, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", (unsigned long)ticks(user),
              (unsigned long)ticks(idle));
    for (uint64_t c = 0; c < cpus; c++)
        sb_printf(sb, "cpu%lu %lu 0 0 %lu 0 0 0 0 0 0\n", (unsigned long)c,
                  (unsigned long)ticks(user / cpus), (unsigned long)ticks(idle / cpus));
    sb_printf(sb, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %d\nprocs_blocked 0\n",
              (unsigned long)(px.wall_offset_ns / 1000000000ull), px.next_pid - 1,
              running ? running : 1);
    return 0;
}

static int gen_mounts(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    sb_printf(sb, "rootfs / rootfs %s 0 0\n", super_rdonly(vfs_root) ? "ro" : "rw");
    for (struct mount *m = mounts; m; m = m->next) {
        char buf[512];
        if (vfs_path_of(m->where, buf, sizeof buf) < 0)
            continue;
        uint32_t f = super_of(m->root)->flags;
        sb_printf(sb, "%s %s %s %s%s%s%s%s 0 0\n", m->source, buf, m->type,
                  f & LX_MS_RDONLY ? "ro" : "rw", f & LX_MS_NOSUID ? ",nosuid" : "",
                  f & LX_MS_NODEV ? ",nodev" : "", f & LX_MS_NOEXEC ? ",noexec" : "",
                  f & LX_MS_NOATIME ? ",noatime" : f & LX_MS_STRICTATIME ? "" : ",relatime");
    }
    return 0;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static int gen_cpuinfo(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    uint32_t r[4];
    char vendor[13] = {0}, brand[49] = {0};
    cpuid(0, 0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000004u) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002u + i, 0, r);
            memcpy(brand + 16 * i, r, 16);
        }
    }
    cpuid(1, 0, r);
    uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf, stepping = r[0] & 0xf;
    if (family == 0xf)
        family += (r[0] >> 20) & 0xff;
    if (family >= 6)
        model |= ((r[0] >> 16) & 0xf) << 4;
    static const char *const dnames[32] = {
        "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", NULL, "sep", "mtrr",
        "pge", "mca", "cmov", "pat", "pse36", NULL, "clflush", NULL, NULL, NULL, "mmx", "fxsr",
        "sse", "sse2", NULL, "ht", NULL, NULL, NULL};
    static const char *const cnames[32] = {
        "pni", "pclmulqdq", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "ssse3", NULL, NULL, "fma",
        "cx16", NULL, NULL, NULL, "pcid", NULL, "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt",
        NULL, "aes", "xsave", NULL, "avx", "f16c", "rdrand", "hypervisor"};
    for (uint64_t c = 0; c < (mi.cpus ? mi.cpus : 1); c++) {
        sb_printf(sb, "processor\t: %lu\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
                      "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: 1000.000\ncache size\t: 512 KB\n"
                      "physical id\t: 0\nsiblings\t: %lu\ncore id\t\t: %lu\ncpu cores\t: %lu\n"
                      "apicid\t\t: %lu\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n"
                      "wp\t\t: yes\nflags\t\t:",
                  (unsigned long)c, vendor, family, model, brand[0] ? brand : "unknown", stepping,
                  (unsigned long)mi.cpus, (unsigned long)c, (unsigned long)mi.cpus, (unsigned long)c);
        for (int i = 0; i < 32; i++)
            if ((r[3] >> i & 1) && dnames[i])
                sb_printf(sb, " %s", dnames[i]);
        for (int i = 0; i < 32; i++)
            if ((r[2] >> i & 1) && cnames[i])
                sb_printf(sb, " %s", cnames[i]);
        sb_printf(sb, "\nbogomips\t: 2000.00\nclflush size\t: 64\ncache_alignment\t: 64\n"
                      "address sizes\t: 40 bits physical, 48 bits virtual\npower management:\n\n");
    }
    return 0;
}

/* ---- the tree ---- */

static const struct proc_gen g_stat = {.content = gen_stat};
static const struct proc_gen g_status = {.content = gen_status};
static const struct proc_gen g_cmdline = {.content = gen_cmdline};
static const struct proc_gen g_comm = {.content = gen_comm, .store = store_comm};
static const struct proc_gen g_environ = {.content = gen_environ};
static const struct proc_gen g_limits = {.content = gen_limits};
static const struct proc_gen g_mountinfo = {.content = gen_mountinfo};
static const struct proc_gen g_fdinfo = {.content = gen_fdinfo};
static const struct proc_gen g_maps = {.content = gen_maps};
static const struct proc_gen g_mounts = {.content = gen_mounts};
/* Following /proc/PID/fd/N reaches the open file's inode (Linux's magic links: a deleted
   file, a pipe, a memfd, a socket all reopen), exe the image's, cwd the directory. */
static struct inode *jump_fd(struct inode *ino, struct proc *viewer)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    struct file *f = p && p->fds ? fd_get(p->fds, ino->gen_fd) : NULL;
    return f ? f->ino : NULL;
}

static struct inode *jump_exe(struct inode *ino, struct proc *viewer)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    return p && p->mm ? p->mm->exe : NULL;
}

static struct inode *jump_cwd(struct inode *ino, struct proc *viewer)
{
    (void)viewer;
    struct proc *p = node_proc(ino);
    return p ? p->cwd : NULL;
}

static const struct proc_gen g_exe = {.link = link_exe, .jump = jump_exe};
static const struct proc_gen g_cwd = {.link = link_cwd, .jump = jump_cwd};
static const struct proc_gen g_fdlink = {.link = link_fd, .jump = jump_fd};
static const struct proc_gen g_self = {.link = link_self};
static void refresh_fd(struct inode *dir, struct proc *viewer);
static const struct proc_gen g_fddir = {.refresh = refresh_fd};
static const struct proc_gen g_fdinfodir = {.refresh = refresh_fd};
static void refresh_root(struct inode *dir, struct proc *viewer);
static const struct proc_gen g_root = {.refresh = refresh_root};
static void refresh_task(struct inode *dir, struct proc *viewer);
static const struct proc_gen g_taskdir = {.refresh = refresh_task};

static struct inode *add(struct inode *dir, const char *name, uint32_t mode,
                         const struct proc_gen *gen, int pid, int fd)
{
    struct inode *ino = inode_new(mode);
    if (!ino)
        return NULL;
    ino->gen = gen;
    ino->gen_pid = pid;
    ino->gen_fd = fd;
    if (dir_link(dir, name, ino)) {
        inode_put(ino);
        return NULL;
    }
    inode_put(ino); /* the entry holds it */
    return ino;
}

static void refresh_fd(struct inode *dir, struct proc *viewer)
{
    (void)viewer;
    /* rebuilt from the process's table each time */
    while (dir->children)
        dir_unlink(dir, dir->children->name);
    struct proc *p = node_proc(dir);
    if (!p || !p->fds)
        return;
    int info = dir->gen == &g_fdinfodir;
    for (uint32_t i = 0; i < p->fds->count; i++)
        if (p->fds->files[i]) {
            char name[16];
            sk_snprintf(name, sizeof name, "%u", i);
            struct inode *l = info ? add(dir, name, LX_S_IFREG | 0444, &g_fdinfo, p->pid, (int)i)
                                   : add(dir, name, LX_S_IFLNK | 0700, &g_fdlink, p->pid, (int)i);
            if (l)
                l->uid = p->uid, l->gid = p->gid;
        }
}

/* /proc/PID/task: a directory per thread, in the order they were made (the leader first),
   each with the thread's own stat, status and comm; rebuilt at each look. */
static void refresh_task(struct inode *dir, struct proc *viewer)
{
    (void)viewer;
    while (dir->children)
        dir_unlink(dir, dir->children->name);
    struct proc *p = node_proc(dir);
    if (!p || p->state != PROC_LIVE)
        return;
    int n = nthreads(p), i = n;
    int *tids = sk_malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!tids)
        return;
    for (struct lthread *t = p->threads; t; t = t->next)
        tids[--i] = t->tid; /* (the list is newest first) */
    for (i = 0; i < n; i++) {
        char name[16];
        sk_snprintf(name, sizeof name, "%d", tids[i]);
        struct inode *d = add(dir, name, LX_S_IFDIR | 0555, NULL, p->pid, tids[i]);
        if (!d)
            break;
        d->uid = p->uid;
        d->gid = p->gid;
        add(d, "stat", LX_S_IFREG | 0444, &g_stat, p->pid, tids[i]);
        add(d, "status", LX_S_IFREG | 0444, &g_status, p->pid, tids[i]);
        struct inode *c = add(d, "comm", LX_S_IFREG | 0644, &g_comm, p->pid, tids[i]);
        if (c)
            c->uid = p->uid, c->gid = p->gid;
    }
    sk_free(tids);
}

static void make_pid_dir(struct proc *p)
{
    char name[16];
    sk_snprintf(name, sizeof name, "%d", p->pid);
    struct inode *d = add(procfs_root, name, LX_S_IFDIR | 0555, NULL, p->pid, -1);
    if (!d)
        return;
    d->uid = p->uid;
    d->gid = p->gid;
    add(d, "stat", LX_S_IFREG | 0444, &g_stat, p->pid, -1);
    add(d, "status", LX_S_IFREG | 0444, &g_status, p->pid, -1);
    add(d, "cmdline", LX_S_IFREG | 0444, &g_cmdline, p->pid, -1);
    struct inode *c = add(d, "comm", LX_S_IFREG | 0644, &g_comm, p->pid, -1);
    if (c)
        c->uid = p->uid, c->gid = p->gid;
    add(d, "maps", LX_S_IFREG | 0444, &g_maps, p->pid, -1);
    add(d, "environ", LX_S_IFREG | 0400, &g_environ, p->pid, -1);
    add(d, "limits", LX_S_IFREG | 0444, &g_limits, p->pid, -1);
    add(d, "mountinfo", LX_S_IFREG | 0444, &g_mountinfo, p->pid, -1);
    add(d, "fdinfo", LX_S_IFDIR | 0500, &g_fdinfodir, p->pid, -1);
    add(d, "mounts", LX_S_IFREG | 0444, &g_mounts, p->pid, -1);
    add(d, "exe", LX_S_IFLNK | 0777, &g_exe, p->pid, -1);
    add(d, "cwd", LX_S_IFLNK | 0777, &g_cwd, p->pid, -1);
    add(d, "fd", LX_S_IFDIR | 0500, &g_fddir, p->pid, -1);
    add(d, "task", LX_S_IFDIR | 0555, &g_taskdir, p->pid, -1);
}

static void refresh_root(struct inode *dir, struct proc *viewer)
{
    (void)viewer;
    /* drop the directories of processes that are gone */
    for (struct dentry *d = dir->children, *n; d; d = n) {
        n = d->next;
        if (d->ino->gen_pid > 0 && !d->ino->gen && !node_proc(d->ino))
            dir_unlink(dir, d->name);
    }
    /* and add the new ones (processes are listed newest first: insert in pid order) */
    for (struct proc *p = procs; p; p = p->all_next) {
        if (p->state == PROC_REAPED)
            continue;
        char name[16];
        sk_snprintf(name, sizeof name, "%d", p->pid);
        if (!dir_lookup(dir, name, strlen(name)))
            make_pid_dir(p);
    }
}

static const struct proc_gen g_meminfo = {.content = gen_meminfo};
static const struct proc_gen g_uptime = {.content = gen_uptime};
static const struct proc_gen g_loadavg = {.content = gen_loadavg};
static const struct proc_gen g_statsys = {.content = gen_stat_sys};
static const struct proc_gen g_cpuinfo = {.content = gen_cpuinfo};
/* A file whose content is fixed: its proc_gen's text. */
static int proc_text(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)viewer;
    sb_printf(sb, "%s", ino->gen->text);
    return 0;
}

static const struct proc_gen g_version = {
    .content = proc_text, .text = "Linux version " LX_UTS_RELEASE " (skoll@skoll) (gcc) #1 SMP Skoll POSIX server\n"};
static const struct proc_gen g_filesystems = {.content = proc_text,
                                              .text = "nodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n"};

/* /proc/skoll/posix: the server's own state, Skoll's alone (not Linux's): its live objects,
   the calls it is serving, its heap and the machine's free pages. Leak checks and the
   benchmarks' memory figures read it (docs/posix.md). */
static int gen_skoll_posix(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino;
    long calls = 0, parked = 0;
    for (struct proc *p = procs; p; p = p->all_next)
        for (struct lthread *t = p->threads; t; t = t->next) {
            calls += t->in_call != 0;
            parked += t->waiting_on != NULL;
        }
    struct sk_heap_stats hs;
    sk_heap_stats(&hs);
    struct sk_memory_info mi = {0};
    sk_memory_info(&mi);
    /* where the server's thread and the reader's last ran, and how often they were switched
       to (placement: are a client and the server on one CPU?) */
    struct sk_thread_stats me = {0}, them = {0};
    sk_thread_stats(SK_THIS_THREAD, &me);
    if (viewer && viewer->threads)
        sk_thread_stats(viewer->threads->h, &them);
    sb_printf(sb, "server_cpu %lu\nserver_switches %lu\nreader_cpu %lu\nreader_switches %lu\n",
              (unsigned long)me.cpu, (unsigned long)me.switches, (unsigned long)them.cpu,
              (unsigned long)them.switches);
    sb_printf(sb, "processes %ld\nthreads %ld\nfiles %ld\ninodes %ld\nmemory_objects %ld\n"
                  "calls_in_flight %ld\ncalls_parked %ld\nheap_blocks %lu\nheap_bytes %lu\n"
                  "heap_mapped %lu\nfree_pages %lu\npipe_handoffs %lu\n",
              (long)px.n_procs, (long)px.n_threads, (long)px.n_files, (long)px.n_inodes,
              (long)px.n_mobjs, calls, parked, (unsigned long)hs.blocks,
              (unsigned long)hs.bytes, (unsigned long)hs.mapped, (unsigned long)mi.free_pages,
              (unsigned long)px.handoffs);
    return 0;
}
static const struct proc_gen g_skoll_posix = {.content = gen_skoll_posix};

/* ---- /proc/sys ---- */

static int gen_hostname(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    sb_printf(sb, "%s\n", px.hostname[0] ? px.hostname : "skoll");
    return 0;
}

static int gen_domainname(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    sb_printf(sb, "%s\n", px.domainname[0] ? px.domainname : "(none)");
    return 0;
}

/* A name written: up to 64 bytes, a trailing newline dropped; root only (CAP_SYS_ADMIN). */
static long store_name(char *dst, struct lthread *t, const char *buf, size_t len)
{
    if (t->p->euid != 0)
        return -LX_EPERM;
    size_t n = len;
    if (n && buf[n - 1] == '\n')
        n--;
    if (n > 64)
        n = 64;
    memset(dst, 0, 65);
    memcpy(dst, buf, n);
    return (long)len;
}

static long store_hostname(struct inode *ino, struct lthread *t, const char *buf, size_t len)
{
    (void)ino;
    return store_name(px.hostname, t, buf, len);
}

static long store_domainname(struct inode *ino, struct lthread *t, const char *buf, size_t len)
{
    (void)ino;
    return store_name(px.domainname, t, buf, len);
}

static int gen_pidmax(struct inode *ino, struct proc *viewer, struct strbuf *sb)
{
    (void)ino, (void)viewer;
    sb_printf(sb, "%d\n", PID_MAX);
    return 0;
}

static long store_readonly(struct inode *ino, struct lthread *t, const char *buf, size_t len)
{
    (void)ino, (void)buf, (void)len;
    return t->p->euid != 0 ? -LX_EPERM : -LX_EINVAL; /* (not changeable here) */
}

static const struct proc_gen g_ostype = {.content = proc_text, .text = "Linux\n"};
static const struct proc_gen g_osrelease = {.content = proc_text, .text = LX_UTS_RELEASE "\n"};
static const struct proc_gen g_hostname = {.content = gen_hostname, .store = store_hostname};
static const struct proc_gen g_domainname = {.content = gen_domainname, .store = store_domainname};
static const struct proc_gen g_pidmax = {.content = gen_pidmax, .store = store_readonly};
/* (heuristic overcommit, Linux's default) */
static const struct proc_gen g_overcommit = {.content = proc_text, .text = "0\n", .store = store_readonly};

void procfs_init(void)
{
    procfs_root = inode_new(LX_S_IFDIR | 0555);
    if (!procfs_root)
        return;
    procfs_root->gen = &g_root;
    procfs_root->sb = super_new(LX_PROC_SUPER_MAGIC, 0); /* (its flags: mount's) */
    add(procfs_root, "self", LX_S_IFLNK | 0777, &g_self, 0, -1);
    add(procfs_root, "meminfo", LX_S_IFREG | 0444, &g_meminfo, 0, -1);
    add(procfs_root, "uptime", LX_S_IFREG | 0444, &g_uptime, 0, -1);
    add(procfs_root, "loadavg", LX_S_IFREG | 0444, &g_loadavg, 0, -1);
    add(procfs_root, "stat", LX_S_IFREG | 0444, &g_statsys, 0, -1);
    add(procfs_root, "mounts", LX_S_IFREG | 0444, &g_mounts, 0, -1);
    add(procfs_root, "cpuinfo", LX_S_IFREG | 0444, &g_cpuinfo, 0, -1);
    add(procfs_root, "version", LX_S_IFREG | 0444, &g_version, 0, -1);
    add(procfs_root, "filesystems", LX_S_IFREG | 0444, &g_filesystems, 0, -1);
    struct inode *sys = add(procfs_root, "sys", LX_S_IFDIR | 0555, NULL, 0, -1);
    struct inode *kern = sys ? add(sys, "kernel", LX_S_IFDIR | 0555, NULL, 0, -1) : NULL;
    struct inode *vm = sys ? add(sys, "vm", LX_S_IFDIR | 0555, NULL, 0, -1) : NULL;
    if (kern) {
        add(kern, "ostype", LX_S_IFREG | 0444, &g_ostype, 0, -1);
        add(kern, "osrelease", LX_S_IFREG | 0444, &g_osrelease, 0, -1);
        add(kern, "hostname", LX_S_IFREG | 0644, &g_hostname, 0, -1);
        add(kern, "domainname", LX_S_IFREG | 0644, &g_domainname, 0, -1);
        add(kern, "pid_max", LX_S_IFREG | 0644, &g_pidmax, 0, -1);
    }
    if (vm)
        add(vm, "overcommit_memory", LX_S_IFREG | 0644, &g_overcommit, 0, -1);
    struct inode *skoll = add(procfs_root, "skoll", LX_S_IFDIR | 0555, NULL, 0, -1);
    if (skoll)
        add(skoll, "posix", LX_S_IFREG | 0444, &g_skoll_posix, 0, -1);
}

/* ---- open files of procfs ---- */

static long proc_read(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off)
{
    (void)t;
    struct strbuf *sb = f->priv;
    if (!sb || off >= sb->len)
        return 0;
    if (len > sb->len - off)
        len = sb->len - off;
    memcpy(buf, sb->s + off, len);
    return (long)len;
}

static void proc_release(struct file *f)
{
    struct strbuf *sb = f->priv;
    if (sb) {
        sk_free(sb->s);
        sk_free(sb);
    }
}

static long proc_write(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off)
{
    (void)off;
    struct inode *ino = f->ino;
    if (!ino->gen || !ino->gen->store)
        return -LX_EINVAL;
    return ino->gen->store(ino, t, buf, len);
}

static const struct file_ops proc_file_ops = {.read = proc_read, .write = proc_write,
                                              .release = proc_release, .message = 1};

int procfs_open(struct file *f, struct proc *viewer)
{
    struct inode *ino = f->ino;
    if (!ino->gen || !ino->gen->content)
        return 0;
    struct strbuf *sb = sk_calloc(1, sizeof *sb);
    if (!sb)
        return -LX_ENOMEM;
    int e = ino->gen->content(ino, viewer, sb);
    if (e) {
        sk_free(sb->s);
        sk_free(sb);
        return e;
    }
    f->priv = sb;
    f->ops = &proc_file_ops;
    return 0;
}
