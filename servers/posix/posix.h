/*
 * The POSIX server's shared types (docs/posix.md): processes and their Linux
 * threads, the address-space model, descriptors, files and inodes. Each .c
 * file owns one of these concepts; this header is the map.
 */
#pragma once
#include <sk/sk.h>
#include <sk/queue.h>
#include <sk/req.h>
#include "linux.h"
#include "systab.h"

/* ---- the server ---- */
struct posix {
    struct sk_queue q;
    struct sk_timers timers;
    const uint8_t *archive; /* the boot archive (mapped) */
    uint64_t archive_size;
    int next_pid;
    uint64_t boot_ns;
    uint64_t wall_offset_ns; /* CLOCK_REALTIME = clock_get + this (rtc.c) */
    uint64_t cpu_reaped_ns;  /* CPU time of processes gone (for /proc/stat) */
    int verbose;
    int system;    /* --system: the machine's POSIX system (power off at the end) */
    int trace;     /* --trace: every call and its result to the log, as strace would */
    char hostname[65], domainname[65];
    /* live objects, counted where they are made and freed (the leak checks read them in
       /proc/skoll/posix) */
    int64_t n_procs, n_threads, n_files, n_inodes, n_mobjs;
    struct lthread *held;   /* threads holding a buffer a forgotten copy reads (call.c) */
    uint32_t n_direct;      /* of them, copies straight from file data (copy_direct) */
    uint64_t handoffs;      /* writes handed straight to a waiting reader (rw_hand_over) */
    struct unmap_later *unmap_later; /* file data unmapped once no such copy is left */
    struct lthread *recheck; /* threads a signal reached while their call was between steps */
    uint64_t forget_failures_seen;
};
extern struct posix px;

/* ---- memory objects and the address-space model (mm.c) ---- */
/* The kernel's clock (ns since boot; the server's deadlines are on it). */
static inline uint64_t now_ns(void)
{
    uint64_t now = 0;
    sk_clock_get(&now);
    return now;
}

/* Nanoseconds of a timespec (beyond 4e9 seconds, in 2096 as an absolute real time: about
   146 years, never, with room to add the clock), or -LX_EINVAL for a negative or
   out-of-range one. */
static inline int64_t timespec_ns(const struct lx_timespec *ts)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
        return -LX_EINVAL;
    if (ts->tv_sec > 4000000000ll)
        return INT64_MAX / 2;
    return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

#define PAGE_UP(x) (((x) + LX_PAGE - 1) & ~(LX_PAGE - 1))

struct mobj {
    sk_handle_t h;
    uint64_t size;     /* bytes, page multiple (a resizable one's current size) */
    uint32_t refs;
    uint8_t resizable; /* a file's pages (SK_MEM_RESIZABLE): mappings reach past the size */
};
struct mobj *mobj_new(uint64_t size);
/* A file's pages: size 0, resized with the file (mobj_resize); NULL without memory. */
struct mobj *mobj_new_resizable(void);
/* A resizable object's new size (page multiple); every mapping of it stays. 0 or -LX_ENOSPC. */
int mobj_resize(struct mobj *m, uint64_t size);
/* How far a mapping of m may reach: its size, or the kernel's limit for a resizable one
   (pages past the size fault: SIGBUS, signal.c). */
uint64_t mobj_map_limit(const struct mobj *m);
struct mobj *mobj_fork(struct mobj *src); /* (resizable as src is) */
struct mobj *mobj_get(struct mobj *m);
void mobj_put(struct mobj *m);

#define VMA_SHARED 1u /* MAP_SHARED: forks share the object */
#define VMA_BRK 2u    /* the heap brk() moves */
#define VMA_STACK 4u  /* the main thread's stack */
#define VMA_ANON 8u   /* anonymous memory (not a file's) */
/* A private view of an object shared with others (an executable's text: the file's own
   pages), never writable since it was mapped: mapped SK_MAP_PRIVATE, shared by forks as it
   is, turned into a private copy of its own by an mprotect that adds PROT_WRITE. */
#define VMA_FILE_RO 16u
#define VMA_LOCKED 32u /* mlock: counted in VmLck and RLIMIT_MEMLOCK (memory is never paged out) */
struct vma {
    uint64_t start, end; /* page aligned */
    uint32_t prot;       /* LX_PROT_* */
    uint32_t flags;      /* VMA_* */
    struct mobj *obj;
    uint64_t offset;     /* of start in obj */
    struct inode *file;  /* the file mapped (a reference; its program for an image's
                            segments), or NULL: keeps its file system busy (umount) */
    struct shmseg *shm;  /* a System V segment's attach: each such vma counts in its
                            shm_nattch (sysvshm.c) */
    struct vma *next;    /* sorted by start */
};
struct mm {
    sk_handle_t space;
    struct vma *vmas;
    uint64_t brk_start, brk, brk_limit; /* brk_limit: how far the heap may grow */
    uint64_t mmap_top; /* mappings without an address go below this, top down */
    struct inode *exe; /* the executable this image was made from (write-denied while held) */
    int lock_future;   /* mlockall(MCL_FUTURE): new mappings are VMA_LOCKED */
};
/* Set (on) or clear VMA_LOCKED over [addr, addr + len), which must be mapped (-ENOMEM). */
int mm_lock(struct mm *mm, uint64_t addr, uint64_t len, int on);
/* Bytes of mm's mappings with VMA_LOCKED, overall or within [addr, addr + len). */
uint64_t mm_locked_bytes(struct mm *mm, uint64_t addr, uint64_t len);
/* The image is made from ino: hold it and deny writes to it until mm_free. */
void mm_set_exe(struct mm *mm, struct inode *ino);
struct mm *mm_new(void);
void mm_free(struct mm *mm);
/* Map obj[offset, +len) at addr (page aligned, fixed) with Linux prot; replaces what is there. */
int mm_map_fixed(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                 struct mobj *obj, uint64_t offset, struct inode *file);
int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len);
/* A free range of len bytes (0 if none), below mm->mmap_top, at hint if free there. */
uint64_t mm_find_free(struct mm *mm, uint64_t hint, uint64_t len);
int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot);
/* Is [addr, addr + len) mapped writable throughout (so a mem_write there cannot fail but for
   lack of memory)? */
/* The vma of mm (NULL allowed) holding addr, or NULL. */
struct vma *mm_vma_at(struct mm *mm, uint64_t addr);
/* The 32-bit word at uaddr of mm mapped into the server (read-write with write) for an
   atomic access, as the program's own mapping allows it; NULL (EFAULT) if it does not or the
   word lies past a file's end. mm_word_unmap(*base) when done. */
uint32_t *mm_word_map(struct mm *mm, uint64_t uaddr, int write, uint64_t *base);
void mm_word_unmap(uint64_t base);
/* Does mm map anything shared (memory another process may see)? */
int mm_has_shared(struct mm *mm);
int mm_range_writable(struct mm *mm, uint64_t addr, uint64_t len);
/* The same for reading: mapped readable, within the objects' sizes (a copy cannot fault). */
int mm_range_readable(struct mm *mm, uint64_t addr, uint64_t len);
/* The child's copy for fork: private objects forked copy-on-write, shared ones shared. */
struct mm *mm_fork(struct mm *parent, int *err);

/* ---- inodes and files (vfs.c, tmpfs.c, dev.c) ---- */
struct inode;
struct file;
struct lthread;
struct proc;
struct tty;

/* Threads parked until something changes (pipe data, space, a child's exit). */
struct waitq {
    struct lthread *head;
};
/* Park t's request on wq with step; the step runs with SK_OK at waitq_wake, or with the
   cancel reason (it is then off the queue already). */
void waitq_park(struct waitq *wq, struct lthread *t, sk_req_fn step);
void waitq_wake_all(struct waitq *wq);
/* Park at the tail (the queue is then in arrival order: wakes go oldest first). */
void waitq_park_tail(struct waitq *wq, struct lthread *t, sk_req_fn step);
/* Wake t, parked on wq, alone. */
void waitq_wake_one(struct waitq *wq, struct lthread *t);
/* Move t, parked on from, to the tail of to (still parked). */
void waitq_move_tail(struct waitq *from, struct waitq *to, struct lthread *t);
/* futex.c: wake one waiter of the word at uaddr (a thread's clear_tid at its exit); what
   restart_syscall does after a timed futex wait. */
/* A thread's name: the process's comm for its leader, its own for the others (Linux: each
   task has one; /proc/PID shows the leader's). */
char *thread_comm(struct lthread *t);
/* The live thread tid names (0: t itself), or NULL. */
struct lthread *thread_find(struct lthread *t, int tid);
void futex_wake_word(struct mm *mm, uint64_t uaddr);
/* t is ending (all_going: with its whole address space): its robust futex list
   (set_robust_list) is walked as Linux's exit_robust_list does. */
void futex_robust_exit(struct lthread *t, int all_going);
long futex_restart(struct lthread *t);
/* Run the steps of every thread woken since the last call (the main loop, after each round
   of completions); returns how many ran. */
int waitq_run_ready(void);

struct file_ops {
    /* read/write between the file and the server buffer buf; return bytes or -errno, or
       CALL_PENDING after parking t (the op completes the call itself) */
    long (*read)(struct file *f, struct lthread *t, void *buf, uint64_t len, uint64_t off);
    long (*write)(struct file *f, struct lthread *t, const void *buf, uint64_t len, uint64_t off);
    /* files whose bytes are in the server's memory: where the bytes at off are, with *len cut
       to how many there are (NULL at the end or for anything read must handle); the bytes
       stay readable until the next drive (call_unmap_later) */
    const void *(*peek)(struct file *f, uint64_t off, uint64_t *len);
    /* after a peek whose bytes went to the caller: they are read (a pipe consumes them) */
    void (*taken)(struct file *f, uint64_t len);
    /* a write may go straight to a reader waiting on the returned queue (a pipe with nothing
       in it: rw_hand_over); NULL: not now */
    struct waitq *(*handoff)(struct file *f);
    long (*ioctl)(struct file *f, struct lthread *t, uint64_t cmd, uint64_t arg);
    /* where a read (writing 0) or write that returned -EAGAIN waits, or NULL: never waits */
    struct waitq *(*waitq)(struct file *f, int writing);
    /* readiness for poll/select (LX_POLLIN, LX_POLLOUT, LX_POLLHUP, ...); NULL: in and out
       (and epoll cannot watch the file: EPERM) */
    uint32_t (*poll)(struct file *f);
    /* where the file's readiness changes are announced (pollsrc_notify), for epoll */
    struct pollsrc *(*pollsrc)(struct file *f);
    /* reads and writes are whole messages: one read or write of the file per call, never
       continued into the caller's next piece (eventfd) */
    int message;
    /* an anonymous inode's name in /proc/PID/fd ("anon_inode:[eventfd]"), or NULL */
    const char *anon_name;
    /* a reference to f went, not the last (sockets: one that is only in flight may have
       become garbage) */
    void (*unref)(struct file *f);
    /* a device opened (0 or -errno); may replace f->ops and f->priv */
    long (*open)(struct file *f, struct lthread *t, uint32_t oflags);
    void (*release)(struct file *f);
};

/*
 * A file system instance (Linux's super block): every inode names the one it lives on. It
 * gives stat's st_dev and statfs's answer, keeps the mount flags (read-only, nosuid, nodev,
 * noexec) the calls check, and tells two file systems apart (rename and link: EXDEV).
 */
struct super {
    uint32_t magic; /* statfs f_type */
    uint32_t dev;   /* st_dev: an anonymous device (major 0), as tmpfs and proc have */
    uint32_t flags; /* LX_MS_RDONLY, LX_MS_NOSUID, LX_MS_NODEV, LX_MS_NOEXEC, LX_MS_NOATIME */
    uint32_t refs;  /* its inodes */
};
struct super *super_new(uint32_t magic, uint32_t flags);
uint32_t super_dev_new(void); /* a device number for a file system that is not made here */
struct super *super_get(struct super *sb);
void super_put(struct super *sb);
/* The file system ino lives on (never NULL: inodes made outside any are on an anonymous one). */
struct super *super_of(const struct inode *ino);
/* Is ino on a read-only file system? */
int super_rdonly(const struct inode *ino);

struct dentry {
    char *name;
    struct inode *ino;
    struct dentry *next;
};

struct inode {
    struct super *sb; /* the file system it is on (held; set when first linked in a directory) */
    uint64_t ino;
    uint32_t mode, uid, gid, nlink;
    uint32_t rdev;
    int64_t size;
    struct lx_timespec atime, mtime, ctime;
    uint32_t refs; /* open files, cwds, mappings hold it; dentries count in nlink */
    /* regular files: open files that may write it (> 0), or running images of it (< 0, as
       Linux's i_writecount): the one excludes the other (ETXTBSY) */
    int32_t writecount;
    int linkable; /* made by O_TMPFILE without O_EXCL: linkat may give it a name */
    /* regular files: the data's object, mapped in the server at map (capacity cap) */
    struct mobj *data;
    uint8_t *map;
    uint64_t cap;
    /* directories */
    struct dentry *children;
    struct inode *parent;
    /* symlinks */
    char *target;
    /* character devices */
    const struct file_ops *dev;
    void *dev_priv;
    /* FIFOs: the pipe behind them while open */
    struct pipe *fifo;
    /* sockets: the AF_UNIX socket bound to this name, while it lives (socket.c) */
    struct usock *sock;
    /* inotify watches on it (inotify.c) */
    struct iwatch *iwatches;
    /* memfd_create: its name (NULL: not a memfd) and its seals (F_ADD_SEALS) */
    char *memfd_name;
    uint32_t seals;
    /* file locks (lock.c), while there are any or waiters */
    struct lockset *locks;
    /* procfs: what generates this node (content, link target, children) */
    const struct proc_gen *gen;
    int gen_pid, gen_fd;
};

struct file {
    uint32_t refs;
    uint32_t flags; /* LX_O_* status flags and access mode */
    uint64_t pos;
    struct inode *ino;
    const struct file_ops *ops;
    void *priv;
    struct epitem *epitems; /* epoll items watching this file (removed at its last close) */
    /* the directory and name it was opened through, while inotify watches anything (its
       events go to that directory's watches too) */
    struct inode *dir;
    char *name;
};

#define CALL_PENDING ((long)0x8000000000000000ll)

struct inode *inode_new(uint32_t mode);
void inode_put(struct inode *ino);
struct inode *inode_get(struct inode *ino);
struct inode *dir_lookup(struct inode *dir, const char *name, size_t len);
int dir_link(struct inode *dir, const char *name, struct inode *ino);
int file_set_size(struct inode *ino, uint64_t size);
struct file *file_open(struct inode *ino, uint32_t flags);
/* What an offset is relative to (SEEK_SET, SEEK_CUR, SEEK_END) for f: 0 or -EINVAL. */
int file_whence_base(struct file *f, uint64_t whence, int64_t *base);
void file_put(struct file *f);
extern const struct file_ops tmpfs_file_ops;

/* procfs (procfs.c): generated nodes. */
struct strbuf {
    char *s;
    size_t len, cap;
};
struct proc_gen {
    /* files: the content now, as viewer sees it (0 or -errno) */
    int (*content)(struct inode *ino, struct proc *viewer, struct strbuf *sb);
    /* symlinks: the target now */
    int (*link)(struct inode *ino, struct proc *viewer, struct strbuf *sb);
    /* magic links (/proc/PID/fd/N, exe, cwd): what following them reaches, the inode itself,
       not its name (a deleted file, a pipe, a memfd), or NULL */
    struct inode *(*jump)(struct inode *ino, struct proc *viewer);
    /* directories: bring the children up to date before a lookup or listing */
    void (*refresh)(struct inode *dir, struct proc *viewer);
    /* files that take writes: one write's bytes (the length taken, or -errno) */
    long (*store)(struct inode *ino, struct lthread *t, const char *buf, size_t len);
    /* files whose content never changes: the text (content is then proc_text) */
    const char *text;
};
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_put(struct strbuf *sb, const char *s, size_t n);
extern struct inode *procfs_root;
void procfs_init(void);
/* The load averages (procfs.c): folded every 5 s from loadavg_start on; loadavg_get gives
   them in fixed point with 11 + shift fraction bits. */
void loadavg_start(void);
void loadavg_get(uint64_t out[3], int shift);
/* A generated file opened: its content is taken now. */
int procfs_open(struct file *f, struct proc *viewer);
/* The target of a symlink, generated ones included (into sb; 0 or -errno). */
int vfs_link_target(struct inode *ino, struct proc *viewer, struct strbuf *sb);
/* Bring a generated directory's children up to date. */
void vfs_refresh(struct inode *dir, struct proc *viewer);

/* Mounts (vfs.c): a file system root over a directory. */
struct mount {
    struct inode *where, *root;
    char type[16], source[64];
    struct mount *next;
};
extern struct mount *mounts;
int vfs_mount(struct inode *where, struct inode *root, const char *type, const char *source);
/* Unmount the file system mounted at root: -EBUSY while something below is mounted or, unless
   lazy (MNT_DETACH), while a process has a file of it open, works in it or runs from it. */
int vfs_umount(struct inode *root, int lazy);

/* The root and path walking. */
extern struct inode *vfs_root;
/* May p reach ino with mask (4 read, 2 write, 1 execute/search)? 0 or -EACCES. */
int vfs_permission(struct proc *p, struct inode *ino, int mask);
int vfs_permission_ids(struct proc *p, uint32_t uid, uint32_t gid, struct inode *ino, int mask);
/* Is gid p's group (gid given) or one of its supplementary groups? */
int proc_in_group(struct proc *p, uint32_t gid, uint32_t primary);
/* Remove name from dir (the entry's inode loses a link). */
int dir_unlink(struct inode *dir, const char *name);
struct dentry *dir_entry(struct inode *dir, const char *name, size_t len);
#define LOOKUP_FOLLOW 1u /* follow a final symlink */
#define LOOKUP_PARENT 2u /* stop at the parent; *last = the final name */
/* Walk path from cwd (absolute paths from the root) as process p (NULL: no permission
   checks). LOOKUP_PARENT stops at the last component's directory, *last = that name. */
int vfs_lookup(struct proc *p, struct inode *cwd, const char *path, uint32_t flags, struct inode **out,
               const char **last);
int vfs_load_archive(const uint8_t *archive, uint64_t size);
/* bind(2) of a socket to path: a socket node (mode 0777 less the umask) made as mknod would,
   *made a reference to it; -EEXIST if the name is taken. */
long fs_make_socket(struct lthread *t, const char *path, struct inode **made);
int vfs_path_of(struct inode *ino, char *buf, size_t size);
void dev_init(void);

/* ---- descriptors (fd.c) ---- */
#define FD_MAX 4096 /* RLIMIT_NOFILE's default hard limit; poll and select take no more */
#define FD_DEFAULT 1024 /* RLIMIT_NOFILE's default soft limit */
struct fdtable {
    uint32_t refs;
    uint32_t count;
    uint32_t limit; /* RLIMIT_NOFILE of the process that set it last: fds below it */
    struct file **files;
    uint8_t *cloexec;
};
struct fdtable *fdt_new(void);
struct fdtable *fdt_copy(struct fdtable *t);
void fdt_put(struct fdtable *t);
struct file *fd_get(struct fdtable *t, int fd);
int fd_install(struct fdtable *t, int min, struct file *f, int cloexec);
int fd_close(struct fdtable *t, int fd);
void fdt_close_on_exec(struct fdtable *t);

/* The wall clock from the CMOS RTC (rtc.c). */
void rtc_init(sk_handle_t hw);

/* ---- file locks (lock.c) ---- */
struct lockset;
/* fcntl's F_GETLK, F_SETLK(W) and the OFD forms on f (t->a as fcntl's). */
long lock_fcntl(struct lthread *t, struct file *f);
/* A descriptor table closed a descriptor of ino: its POSIX locks there go. */
void lock_table_closed(struct fdtable *t, struct inode *ino);
/* An open file's last reference went: its OFD and flock locks go. */
void lock_file_gone(struct file *f);

/* ---- processes and threads (proc.c) ---- */
enum { PROC_LIVE, PROC_ZOMBIE, PROC_REAPED };

struct proc {
    int pid, pgid, sid;
    int state;
    int wstatus;             /* wait status once a zombie */
    struct proc *parent, *children, *sibling;
    sk_handle_t universe;
    struct mm *mm;
    struct fdtable *fds;
    struct inode *cwd;
    struct tty *ctty;        /* the controlling terminal */
    uint32_t umask;
    uint32_t uid, euid, suid, gid, egid, sgid;
    uint32_t *groups, ngroups; /* supplementary groups, sorted (setgroups) */
    struct lthread *threads;
    struct waitq child_exit; /* threads parked in wait4 on this process's children */
    struct waitq vfork_done; /* a vfork parent, until this child execs or exits */
    struct lx_sigaction sig[LX_NSIG];
    uint64_t pending;        /* process-directed signals, their infos in pend */
    struct sigpend *pend;
    int jobstop;             /* stopped by a stop signal */
    int report;              /* for wait: LX_CLD_STOPPED / LX_CLD_CONTINUED not yet reported */
    int report_sig;
    struct sk_timer alarm;   /* alarm / ITIMER_REAL */
    int pdeathsig, undumpable, subreaper; /* prctl */
    uint64_t alarm_interval;
    uint64_t alarm_last;     /* when the alarm last expired */
    /* ITIMER_VIRTUAL and ITIMER_PROF: the process CPU time (proc_cpu_ns) at which each
       expires (0: disarmed) and its interval; looked at every CPU_TIMER_TICK_NS */
    uint64_t cpu_timer_at[2], cpu_timer_interval[2];
    struct ptimer *ptimers;  /* POSIX timers (ptimer.c) */
    struct semundo *semundo; /* System V semaphores' SEM_UNDO adjustments (sysvsem.c) */
    int next_timer_id;
    struct lx_rlimit rlim[LX_RLIMIT_NLIMITS]; /* inherited by fork, kept by exec */
    int nice;                /* -20..19 (setpriority); inherited by fork, kept by exec */
    uint64_t cpu_dead_ns;     /* CPU time of its threads that ended (and images exec left) */
    uint64_t cpu_children_ns; /* of its reaped children and theirs */
    char comm[16];
    char *exe;               /* the executable's path, for /proc/PID/exe */
    uint64_t start_ns;       /* when it was created (clock_get) */
    char *cmdline;           /* argv joined by NULs, for /proc */
    uint32_t cmdline_len;
    char *environ;           /* envp as exec gave it, joined by NULs (/proc/PID/environ) */
    uint32_t environ_len;
    uint64_t nosys_logged[(LINUX_SYSCALL_MAX + 63) / 64];
    struct proc *all_next;
};

/* One Linux thread: its kernel thread and the system call it is making (its request). */
struct lthread {
    struct sk_req req;       /* observe, then the steps of the current call */
    int tid;
    struct proc *p;
    sk_handle_t h;
    uint64_t nr, a[6];       /* the call being made */
    uint64_t rip, rsp;
    long ret;                /* the result to return after a last copy (call_done_step) */
    uint64_t clear_tid;      /* set_tid_address */
    int dead;
    int in_call;             /* between a syscall stop and its answer */
    int uninterruptible;     /* parked where only death ends the wait (vfork's parent) */
    int policy;              /* SCHED_OTHER, SCHED_BATCH or SCHED_IDLE (all run as OTHER) */
    void *lock_waiting_for;  /* F_SETLKW: the POSIX lock owner it waits on (deadlock check) */
    uint64_t sleep_until;    /* a relative sleep's end (clock_get ns) */
    uint64_t restart_until;  /* restart_syscall goes on sleeping until then (0: nothing to do) */
    uint64_t affinity;       /* sched_setaffinity's CPUs (0: every CPU) */
    int jobstopped;          /* held stopped by its process's job stop */
    int held_has_result;     /* how to resume it then */
    long held_result;
    uint64_t sigmask, pending;
    uint64_t sigwait;        /* rt_sigtimedwait: the signals it waits for */
    struct sigpend *pend;
    struct lx_stack altstack;
    uint64_t saved_mask;     /* rt_sigsuspend: the mask to restore after the handler */
    int restore_mask;
    struct deliver_state *deliver; /* a handler's frame being written */
    /* scratch for the call in flight */
    int phase;
    void *buf;
    void (*buf_free)(void *buf); /* what buf holds besides itself, freed first (or NULL) */
    uint64_t len, done;
    struct file *file;
    sk_req_fn string_next;     /* call_read_string's continuation */
    long string_toolong;       /* its answer for a string too long (0: -ENAMETOOLONG) */
    struct lx_iovec *iov;      /* read/write: the caller's pieces (&iov_one for one) */
    struct lx_iovec iov_one;
    uint32_t iov_n, iov_i;
    uint64_t iov_off;
    int64_t rw_pos;            /* -1: the file's position */
    int rw_append;             /* pwritev2 RWF_APPEND: at the end, as O_APPEND */
    int tty_timed_out;         /* a VTIME read's wait ended */
    int sendfile_in;           /* t->iov holds sendfile's input file, not iovecs */
    struct execargs *exec;     /* execve: what has been gathered */
    char *path1;               /* two-path calls: the first path while the second is read */
    uint8_t *fork_regs;        /* a fork child's registers, set at its first stop */
    uint64_t fork_fpu_size;
    struct lthread *fork_child; /* clone: the child to start once the tid words are written */
    struct lthread *wait_next; /* on a wait list */
    struct waitq *waiting_on;  /* the waitq it is parked on */
    sk_req_fn wait_step;       /* what runs when it is woken */
    /* a last copy out handed to the kernel with the answer (call_copy_out's fast path):
       its op, and what it copies from until the next drive has taken it */
    struct sk_op copy_op;
    uint8_t copy_stage[128];
    void *copy_held;
    int copy_direct;           /* it copies from a file's data in the server (call_copy_out_direct) */
    int on_held;               /* on px.held (held_next links it) */
    struct lthread *held_next; /* on px.held while copy_held or copy_direct is set */
    /* futex.c: the word it waits on (key, bits, value, address, deadline), whether a wake
       came while the word was being read (1 reading, 2 woken then), its link on the
       bucket's list of those, and a timed wait to go on with at restart_syscall */
    uint64_t futex_space, futex_addr, futex_uaddr, futex_deadline;
    uint32_t futex_bits, futex_val;
    int futex_state, restart_futex;
    uint64_t robust_head;      /* set_robust_list */
    char comm[16];             /* a thread other than the leader: its name (PR_SET_NAME; the
                                  leader's is its process's comm, thread_comm) */
    struct lthread *futex_next;
    struct lthread *recheck_next; /* on px.recheck (signal_recheck) */
    int on_recheck;
    struct lthread *next;      /* in its process */
};
/* May t's last copy out go with the answer (nothing can fail but memory)? */
int call_copy_out_fast_ok(struct lthread *t, uint64_t uaddr, uint64_t len);
/*
 * The last len bytes of a call go from src, a file's data in the server (file_ops.peek),
 * straight to uaddr with the answer: 1 if queued (the caller answers at once, before it
 * submits anything else); 0 if that cannot be (the caller then takes the ordinary path).
 */
int call_copy_out_direct(struct lthread *t, uint64_t uaddr, const void *src, uint64_t len);
/* Unmap a server mapping of file data once no copy straight from it is in flight. */
void call_unmap_later(uint64_t addr, uint64_t len);
/* A read-write file on an anonymous inode (mode 0600, no type: eventfd, timerfd) with ops and
   priv (the file's from now on: freed with sk_free if no file can be made, else by
   ops->release), at the lowest free descriptor; LX_O_NONBLOCK and LX_O_CLOEXEC from flags.
   The descriptor or -errno. */
int anon_fd_install(struct lthread *t, const struct file_ops *ops, void *priv, uint32_t flags);
/* The pid a pidfd (descriptor fd of t) stands for; -EBADF (no descriptor, or not a pidfd) or
   -ESRCH (its process is gone, reaped). */
int pidfd_pid(struct lthread *t, int fd);
/* Hand the queued copies from server memory to the kernel now (before pages they read from
   go away: a file truncated in the round that answered a read from it). */
void call_flush_direct(void);
void call_release_held(void);

extern struct proc *procs;
struct proc *proc_find(int pid);
/* A new process (no threads) with the given parent (NULL for the first). */
struct proc *proc_new(struct proc *parent);
/* Start a thread in p at rip with rsp; it stops at its first system call. */
struct lthread *thread_new(struct proc *p, uint64_t rip, uint64_t rsp, int start_stopped);
void proc_exit(struct proc *p, int wstatus);
/* Is process group pgid orphaned (no live member has a parent in another group of the same
   session)? */
int proc_pgrp_orphaned(int pgid);
/* CPU time p's threads have run (all user time: the server's work for them is its own). */
uint64_t proc_cpu_ns(struct proc *p);
/* The CPU time of one kernel thread so far (0 if it cannot be read). */
uint64_t thread_cpu_ns(sk_handle_t h);
/* A Linux struct rusage (144 bytes) with this user time and nothing else. */
void rusage_fill(uint8_t *ru, uint64_t user_ns);
/* Linux's limits for the first process (sys_misc.c). */
void limits_default(struct lx_rlimit *rlim);
void thread_gone(struct lthread *t);

/* ---- system calls (call.c) ---- */
typedef long (*sys_fn)(struct lthread *t);
/* Resume t from a stop that was no call (registers untouched) and observe it again. */
void call_resume(struct lthread *t);
/* Answer t's call with value and observe it again (no look at signals). */
void call_answer(struct lthread *t, long value);
/* Free a call's scratch (buffers, file reference, iovecs). */
void call_cleanup_public(struct lthread *t);
/* execve replaced t's kernel thread: observe the new one (no answer to give). */
void call_exec_done(struct lthread *t);
/* A step that ends the call with t->ret once its copy worked. */
sk_error_t call_done_step(struct sk_req *r, sk_error_t err, const struct sk_cqe *cqe);
void exec_cleanup(struct lthread *t);
void call_start(struct lthread *t);
void call_return(struct lthread *t, long value);
/* Copy steps: len bytes between the caller's memory and buf; next runs after. */
sk_error_t call_copy_in(struct lthread *t, uint64_t uaddr, void *buf, uint64_t len, sk_req_fn next);
sk_error_t call_copy_out(struct lthread *t, uint64_t uaddr, const void *buf, uint64_t len,
                         sk_req_fn next);
/* Read a NUL-terminated string (at most max bytes with the NUL) into t->buf; next runs after. */
sk_error_t call_read_string(struct lthread *t, uint64_t uaddr, uint64_t max, sk_req_fn next);
struct lthread *call_thread(struct sk_req *r);
long errno_from_sk(sk_error_t e);

/* ---- signals (signal.c) ---- */
#define LX_SIGHUP 1
#define LX_SIGINT 2
#define LX_SIGQUIT 3
#define LX_SIGILL 4
#define LX_SIGTRAP 5
#define LX_SIGABRT 6
#define LX_SIGBUS 7
#define LX_SIGFPE 8
#define LX_SIGKILL 9
#define LX_SIGUSR1 10
#define LX_SIGSEGV 11
#define LX_SIGUSR2 12
#define LX_SIGPIPE 13
#define LX_SIGALRM 14
#define LX_SIGTERM 15
#define LX_SIGCHLD 17
#define LX_SIGCONT 18
#define LX_SIGSTOP 19
#define LX_SIGTSTP 20
#define LX_SIGTTIN 21
#define LX_SIGTTOU 22
#define LX_SIGURG 23
#define LX_SIGVTALRM 26
#define LX_SIGPROF 27
#define LX_SIGWINCH 28
#define SIGBIT(s) (1ull << ((s) - 1))
/* The wait status of a death by a core-dumping signal. No core file is written
   (RLIMIT_CORE is 0, as on Debian), and Linux sets the core bit (0x80) only when a
   core was written, so it is never set here. */
#define CORE_STATUS(sig) (sig)

/* A signal waiting to be delivered, with what its siginfo says. */
struct ksiginfo {
    int signo, code, pid, status;
    uint32_t uid;
    uint64_t addr;  /* faults: si_addr; rt signals: si_value */
};
struct sigpend {
    struct sigpend *next;
    struct ksiginfo info;
};

struct sk_stop_info;
void signal_fault(struct lthread *t, const struct sk_stop_info *si);
void signal_interrupted(struct lthread *t);
/* Queue sig for process p (a thread that does not block it takes it) or thread t. */
/* Send a signal; 1 if it is now pending (or acted on at once), 0 if it was dropped (ignored,
   or the target is gone). */
int signal_send_proc(struct proc *p, const struct ksiginfo *info);
int signal_send_thread(struct lthread *t, const struct ksiginfo *info);
/* POSIX timers (ptimer.c): a timer's signal was taken (its overrun goes into info, a
   periodic timer is armed again); a process's timers end (exec, exit). */
void ptimer_dequeued(struct proc *p, struct ksiginfo *info);
void ptimer_proc_gone(struct proc *p);
/* A vma of a System V segment was made (split, forked) or went. */
void shm_attached(struct shmseg *s);
void shm_detached(struct shmseg *s);
/* System V IPC (sysvipc.c): the first member of every object, its table of slots. */
struct ipcperm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq;
    int id;
};
struct ipctab {
    void **slots; /* objects, each starting with its struct ipcperm */
    int n;
    uint16_t next_seq;
    int cursor;
};
/* Linux's ipcperms: want (rwx bits, 07) against the owner's, group's or others' bits; root
   passes. ipc_owner: may change or remove it (owner, creator or root). */
int ipc_may(struct proc *p, const struct ipcperm *ip, uint32_t want);
int ipc_owner(const struct proc *p, const struct ipcperm *ip);
int64_t ipc_now(void); /* seconds of the wall clock (the objects' times) */
void *ipc_of(const struct ipctab *tb, int id); /* the object id names, or NULL */
void *ipc_at(const struct ipctab *tb, int idx); /* the object in slot idx (*_STAT) */
/* The get calls' key lookup: the object, or NULL with *err 0 (make one) or -errno
   (EEXIST, EACCES, ENOENT). */
void *ipc_find(const struct ipctab *tb, struct proc *p, int32_t key, uint32_t flg, long *err);
int ipc_free_slot(const struct ipctab *tb); /* the next free slot round, or -1 */
/* Fill ip (key, creator, mode from flg, seq, id) into slot: its id. */
int ipc_add(struct ipctab *tb, int slot, struct ipcperm *ip, struct proc *p, int32_t key,
            uint32_t flg);
void ipc_del(struct ipctab *tb, const struct ipcperm *ip);
int ipc_highest(const struct ipctab *tb, int *used); /* the highest slot in use, how many */
/* p ends: its SEM_UNDO adjustments are applied (sysvsem.c). */
void sem_proc_gone(struct proc *p);
/* The siginfo a handler, sigtimedwait or waitid sees for k. */
void signal_fill_siginfo(struct lx_siginfo *si, const struct ksiginfo *k);
/* Before t returns to user mode: 1 if a signal must be acted on first. */
int signal_deliverable(struct lthread *t);
/* Take the first pending signal of set for t (0 if none). */
int signal_take(struct lthread *t, uint64_t set, struct ksiginfo *info);
/* Act on pending signals, then resume t (with rax = result when has_result). */
void signal_deliver_and_resume(struct lthread *t, int has_result, long result);
/* A process's dispositions for fork (copied), exec (reset but ignored ones) and exit. */
void signal_fork(struct proc *child, struct proc *parent, struct lthread *ct, struct lthread *pt);
void signal_exec(struct proc *p);
void signal_drop_pending(struct sigpend **list);
/* A signal may have come while t's call could not be cancelled (between steps, or before the
   call began): look again after this round, and end the call's wait if it parked (sweep). */
void signal_recheck_later(struct lthread *t);
void signal_recheck(void);
/* A SIGALRM was taken from p's queue: a periodic ITIMER_REAL is armed again (sys_signal.c). */
void alarm_dequeued(struct proc *p);
/* The child p ended, stopped or continued (CLD_*): tell its parent. */
void signal_child_changed(struct proc *p, int code);

/* ---- exec (exec.c) ---- */
/* Load path into p (argv/envp from server memory); on success p runs the new image. */
int exec_image(struct proc *p, struct inode *cwd, const char *path, char *const *argv, int argc,
               char *const *envp, int envc, uint64_t *entry_out, uint64_t *sp_out);

/* ---- the rest ---- */
/* The server's diagnostics: into its log ring, read with syslog(2) (busybox dmesg), and on
   the console as well when it is not the system's (tests) or with -v. */
void plog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t posix_random64(void);
int tty_dev_of(struct proc *p);
int tty_fg_of(struct proc *p);
void console_flush(void);
void posix_sweep(void);
void posix_init_exited(int wstatus);
/* reboot(2): every process ends, then the machine powers off or restarts. */
#define POSIX_POWER_OFF 1
#define POSIX_REBOOT 2
void posix_shutdown(int how);
int pipe_create(struct file **rd, struct file **wr, uint32_t flags);
/* Pipes whose readers' copies straight from the ring are in flight (pipe_taken); making
   their room free again once the kernel has taken those copies (call_release_held). */
int pipe_bytes_held(void);
void pipe_release_held(void);
/* Open a FIFO inode: 0 with *out, -errno, or CALL_PENDING (t parked until the other end
   opens; then the open completes the call itself). */
long fifo_open(struct lthread *t, struct inode *ino, uint32_t flags);
/* Poll readiness (LX_POLL* bits) and the queue woken when any file's readiness changes. */
extern struct waitq poll_waitq;
void poll_notify(void);

/*
 * A readiness source (docs/posix.md, "Readiness sources"): embedded in every object whose
 * readiness can change; epoll items watching a file of it hang here. pollsrc_notify says the
 * readiness may have changed in the way events names (LX_POLLIN: data came; LX_POLLOUT: room;
 * LX_POLLHUP/LX_POLLERR: an end closed): it wakes poll and select, and triggers the epoll
 * items whose events meet it. An object with watchers is never freed before its files.
 */
struct pollsrc {
    struct epitem *watchers;
};
void pollsrc_notify(struct pollsrc *s, uint32_t events);
/* f's last reference is going: its epoll items leave their instances (epoll.c). */
void epoll_file_gone(struct file *f);
#define PID_MAX 4194304 /* pids wrap after this (/proc/sys/kernel/pid_max) */
/* The thread whose poll, select, epoll_wait or epoll_ctl asks a file's readiness now (a
   signalfd answers for it, as Linux answers for current); NULL outside those. */
extern struct lthread *poll_thread;
/* sig was queued for some thread or process: signalfds whose mask holds it look again. */
void signalfd_queued(int sig);
/* inotify (inotify.c): an event of ino (mask IN_*), told to its own watches and, with name,
   to dir's (dir NULL: none); a rename's pair shares a cookie; ino's last link went. */
void inotify_event(struct inode *ino, struct inode *dir, const char *name, uint32_t mask,
                   uint32_t cookie);
void inotify_gone(struct inode *ino);
uint32_t inotify_cookie(void);
int inotify_active(void);
#define IN_EV_ACCESS 0x1u
#define IN_EV_MODIFY 0x2u
#define IN_EV_ATTRIB 0x4u
#define IN_EV_CLOSE_WRITE 0x8u
#define IN_EV_CLOSE_NOWRITE 0x10u
#define IN_EV_OPEN 0x20u
#define IN_EV_MOVED_FROM 0x40u
#define IN_EV_MOVED_TO 0x80u
#define IN_EV_CREATE 0x100u
#define IN_EV_DELETE 0x200u
#define IN_EV_MOVE_SELF 0x800u
/* p has ended: its pidfds become readable (eventfd.c); a pidfd opened PIDFD_NONBLOCK. */
int pidfd_nonblock(struct lthread *t, int fd);
void pidfd_proc_ended(struct proc *p);
void proc_reap(struct proc *p);
/* End a process that never ran (a failed fork): no zombie, nobody told. */
void proc_discard(struct proc *p);
int fd_install_at(struct fdtable *t, int fd, struct file *f, int cloexec);
