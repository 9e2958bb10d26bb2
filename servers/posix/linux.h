/*
 * The Linux x86-64 ABI as the POSIX server needs it: errno values, flag values
 * and structures, with their sizes and offsets checked. This is the only place
 * Linux's definitions live (CONVENTIONS 14); written from the man pages and the
 * kernel's UAPI documentation, not copied.
 */
#pragma once
#include <stdint.h>

/* ---- errno ---- */
#define LX_EPERM 1
#define LX_ENOENT 2
#define LX_ESRCH 3
#define LX_EINTR 4
#define LX_EIO 5
#define LX_ENXIO 6
#define LX_E2BIG 7
#define LX_ENOEXEC 8
#define LX_ELIBBAD 80
#define LX_EBADF 9
#define LX_ECHILD 10
#define LX_EAGAIN 11
#define LX_ENOMEM 12
#define LX_EACCES 13
#define LX_EFAULT 14
#define LX_EBUSY 16
#define LX_EEXIST 17
#define LX_EXDEV 18
#define LX_ENODEV 19
#define LX_ENOTDIR 20
#define LX_EISDIR 21
#define LX_EINVAL 22
#define LX_ENFILE 23
#define LX_EMFILE 24
#define LX_ENOTTY 25
#define LX_ETXTBSY 26
#define LX_EFBIG 27
#define LX_ENOSPC 28
#define LX_ESPIPE 29
#define LX_EROFS 30
#define LX_EMLINK 31
#define LX_EPIPE 32
#define LX_EDOM 33
#define LX_ERANGE 34
#define LX_EDEADLK 35
#define LX_ENAMETOOLONG 36
#define LX_ENOLCK 37
#define LX_ENOSYS 38
#define LX_ENOTEMPTY 39
#define LX_ELOOP 40
#define LX_EOVERFLOW 75
#define LX_ENOTSUP 95
#define LX_EOPNOTSUPP 95
#define LX_ENOMSG 42
#define LX_EIDRM 43
#define LX_ENOTSOCK 88
#define LX_EMSGSIZE 90
#define LX_EPROTOTYPE 91
#define LX_ENOPROTOOPT 92
#define LX_EPROTONOSUPPORT 93
#define LX_ESOCKTNOSUPPORT 94
#define LX_EAFNOSUPPORT 97
#define LX_EADDRINUSE 98
#define LX_ECONNRESET 104
#define LX_ENOBUFS 105
#define LX_EISCONN 106
#define LX_ENOTCONN 107
#define LX_ECONNREFUSED 111
#define LX_ETIMEDOUT 110
#define LX_ERESTARTSYS 512 /* internal: restart if SA_RESTART, else EINTR */

/* ---- open, fcntl ---- */
#define LX_O_ACCMODE 3
#define LX_O_RDONLY 0
#define LX_O_WRONLY 1
#define LX_O_RDWR 2
#define LX_O_CREAT 0100
#define LX_O_EXCL 0200
#define LX_O_NOCTTY 0400
#define LX_O_TRUNC 01000
#define LX_O_APPEND 02000
#define LX_O_NONBLOCK 04000
#define LX_O_DSYNC 010000
#define LX_O_DIRECT 040000
#define LX_O_LARGEFILE 0100000
#define LX_O_DIRECTORY 0200000
#define LX_O_NOFOLLOW 0400000
#define LX_O_NOATIME 01000000
#define LX_O_CLOEXEC 02000000
#define LX_O_PATH 010000000
#define LX_O_TMPFILE 020200000
#define LX_O_TMPFILE_BIT 020000000 /* __O_TMPFILE: O_TMPFILE is it with O_DIRECTORY */
#define LX_AT_FDCWD (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_REMOVEDIR 0x200
#define LX_AT_SYMLINK_FOLLOW 0x400
#define LX_AT_EACCESS 0x200
#define LX_AT_EMPTY_PATH 0x1000

#define LX_S_IFMT 0170000
#define LX_S_IFSOCK 0140000
#define LX_S_IFLNK 0120000
#define LX_S_IFREG 0100000
#define LX_S_IFBLK 0060000
#define LX_S_IFDIR 0040000
#define LX_S_IFCHR 0020000
#define LX_S_IFIFO 0010000

/* ---- mmap ---- */
#define LX_PROT_READ 1
#define LX_PROT_WRITE 2
#define LX_PROT_EXEC 4
#define LX_MAP_SHARED 0x01
#define LX_MAP_PRIVATE 0x02
#define LX_MAP_SHARED_VALIDATE 0x03
#define LX_MAP_TYPE 0x0f
#define LX_MAP_FIXED 0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_MAP_GROWSDOWN 0x0100
#define LX_MAP_DENYWRITE 0x0800
#define LX_MAP_EXECUTABLE 0x1000
#define LX_MAP_LOCKED 0x2000
#define LX_MAP_NORESERVE 0x4000
#define LX_MAP_POPULATE 0x8000
#define LX_MAP_NONBLOCK 0x10000
#define LX_MAP_STACK 0x20000
#define LX_MAP_HUGETLB 0x40000
#define LX_MAP_FIXED_NOREPLACE 0x100000
#define LX_MREMAP_MAYMOVE 1
#define LX_MREMAP_FIXED 2

/* ---- arch_prctl ---- */
#define LX_ARCH_SET_GS 0x1001
#define LX_ARCH_SET_FS 0x1002
#define LX_ARCH_GET_FS 0x1003
#define LX_ARCH_GET_GS 0x1004

/* ---- auxv ---- */
#define LX_AT_NULL 0
#define LX_AT_PHDR 3
#define LX_AT_PHENT 4
#define LX_AT_PHNUM 5
#define LX_AT_PAGESZ 6
#define LX_AT_BASE 7
#define LX_AT_FLAGS 8
#define LX_AT_ENTRY 9
#define LX_AT_UID 11
#define LX_AT_EUID 12
#define LX_AT_GID 13
#define LX_AT_EGID 14
#define LX_AT_PLATFORM 15
#define LX_AT_HWCAP 16
#define LX_AT_CLKTCK 17
#define LX_AT_SECURE 23
#define LX_AT_RANDOM 25
#define LX_AT_HWCAP2 26
#define LX_AT_EXECFN 31

/* ---- wait ---- */
#define LX_WNOHANG 1
#define LX_WUNTRACED 2
#define LX_WEXITED 4
#define LX_WCONTINUED 8
#define LX_WNOWAIT 0x01000000
#define LX_WALL 0x40000000
#define LX_WCLONE 0x80000000u

/* ---- structures ---- */
struct lx_timespec {
    int64_t tv_sec, tv_nsec;
};
_Static_assert(sizeof(struct lx_timespec) == 16, "timespec");

struct lx_iovec {
    uint64_t base, len;
};
_Static_assert(sizeof(struct lx_iovec) == 16, "iovec");

struct lx_stat {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    struct lx_timespec st_atim, st_mtim, st_ctim;
    int64_t reserved[3];
};
_Static_assert(sizeof(struct lx_stat) == 144, "struct stat");
_Static_assert(__builtin_offsetof(struct lx_stat, st_mode) == 24, "struct stat");
_Static_assert(__builtin_offsetof(struct lx_stat, st_size) == 48, "struct stat");
_Static_assert(__builtin_offsetof(struct lx_stat, st_mtim) == 88, "struct stat");

struct lx_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
_Static_assert(sizeof(struct lx_utsname) == 390, "utsname");

struct lx_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t pad;
};
struct lx_statx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct lx_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t stx_mnt_id;
    uint32_t stx_dio_mem_align, stx_dio_offset_align;
    uint64_t spare[12];
};
_Static_assert(sizeof(struct lx_statx) == 256, "statx");
_Static_assert(__builtin_offsetof(struct lx_statx, stx_rdev_major) == 128, "statx");
#define LX_STATX_BASIC_STATS 0x7ffu
#define LX_STATX_MNT_ID 0x1000u
#define LX_STATX__RESERVED 0x80000000u
#define LX_AT_STATX_SYNC_TYPE 0x6000u

/* getdents64 record header; the name follows, NUL-terminated, padded to 8 bytes */
struct lx_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};
_Static_assert(__builtin_offsetof(struct lx_dirent64, d_name) == 19, "dirent64");
#define LX_DT_UNKNOWN 0
#define LX_DT_FIFO 1
#define LX_DT_CHR 2
#define LX_DT_DIR 4
#define LX_DT_BLK 6
#define LX_DT_REG 8
#define LX_DT_LNK 10
#define LX_DT_SOCK 12

struct lx_rlimit {
    uint64_t cur, max;
};
#define LX_RLIM_INFINITY (~0ull)
#define LX_RLIMIT_NLIMITS 16
#define LX_RLIMIT_CPU 0
#define LX_RLIMIT_STACK 3
#define LX_RLIMIT_CORE 4
#define LX_RLIMIT_NPROC 6
#define LX_RLIMIT_NOFILE 7
#define LX_RLIMIT_MEMLOCK 8
#define LX_RLIMIT_SIGPENDING 11
#define LX_RLIMIT_MSGQUEUE 12
#define LX_RLIMIT_NICE 13

/* ---- poll ---- */
#define LX_POLLIN 0x001
#define LX_POLLPRI 0x002
#define LX_POLLOUT 0x004
#define LX_POLLERR 0x008
#define LX_POLLHUP 0x010
#define LX_POLLNVAL 0x020
#define LX_POLLRDNORM 0x040
#define LX_POLLRDBAND 0x080
#define LX_POLLWRNORM 0x100
#define LX_POLLWRBAND 0x200
#define LX_POLLRDHUP 0x2000
struct lx_pollfd {
    int32_t fd;
    int16_t events, revents;
};
_Static_assert(sizeof(struct lx_pollfd) == 8, "pollfd");

struct lx_statfs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct lx_statfs) == 120, "statfs");
#define LX_TMPFS_MAGIC 0x01021994
#define LX_PROC_SUPER_MAGIC 0x9fa0
#define LX_PIPEFS_MAGIC 0x50495045
/* statfs f_flags */
#define LX_ST_RDONLY 0x0001
#define LX_ST_NOSUID 0x0002
#define LX_ST_NODEV 0x0004
#define LX_ST_NOEXEC 0x0008
#define LX_ST_VALID 0x0020
#define LX_ST_NOATIME 0x0400
#define LX_ST_RELATIME 0x1000
/* mount flags */
#define LX_MS_RDONLY 1u
#define LX_MS_NOSUID 2u
#define LX_MS_NODEV 4u
#define LX_MS_NOEXEC 8u
#define LX_MS_REMOUNT 32u
#define LX_MS_NOATIME 1024u
#define LX_MS_BIND 4096u
#define LX_MS_SILENT 32768u
#define LX_MS_RELATIME (1u << 21)
#define LX_MS_STRICTATIME (1u << 24)
#define LX_MS_KERNMOUNT (1u << 22)

/* ---- signals ---- */
#define LX_NSIG 64
#define LX_SIG_DFL 0ull
#define LX_SIG_IGN 1ull
#define LX_SA_NOCLDSTOP 0x00000001u
#define LX_SA_NOCLDWAIT 0x00000002u
#define LX_SA_SIGINFO 0x00000004u
#define LX_SA_RESTORER 0x04000000u
#define LX_SA_ONSTACK 0x08000000u
#define LX_SA_RESTART 0x10000000u
#define LX_SA_NODEFER 0x40000000u
#define LX_SA_RESETHAND 0x80000000u
#define LX_SIG_BLOCK 0
#define LX_SIG_UNBLOCK 1
#define LX_SIG_SETMASK 2
#define LX_SS_ONSTACK 1
#define LX_SS_DISABLE 2
#define LX_MINSIGSTKSZ 2048
#define LX_SI_USER 0
#define LX_SI_KERNEL 0x80
#define LX_SI_TKILL (-6)
#define LX_SI_TIMER (-2)
#define LX_UTS_RELEASE "6.1.0-skoll" /* uname's release, /proc/sys/kernel/osrelease */
/* memfd seals (fcntl F_ADD_SEALS) */
#define LX_F_SEAL_SEAL 0x1
#define LX_F_SEAL_SHRINK 0x2
#define LX_F_SEAL_GROW 0x4
#define LX_F_SEAL_WRITE 0x8
#define LX_F_SEAL_FUTURE_WRITE 0x10
#define LX_SEGV_MAPERR 1
#define LX_SEGV_ACCERR 2
#define LX_CLD_EXITED 1
#define LX_CLD_KILLED 2
#define LX_CLD_DUMPED 3
#define LX_CLD_STOPPED 5
#define LX_CLD_CONTINUED 6

/* rt_sigaction's struct as the kernel takes it */
struct lx_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
_Static_assert(sizeof(struct lx_sigaction) == 32, "kernel sigaction");

struct lx_stack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};
_Static_assert(sizeof(struct lx_stack) == 24, "stack_t");

struct lx_siginfo {
    int32_t si_signo, si_errno, si_code, pad0;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
            int32_t status;
            int32_t pad;
            int64_t utime, stime;
        } child;
        struct {
            int32_t pid;
            uint32_t uid;
            uint64_t value;
        } kill;
        uint64_t addr;
        uint8_t bytes[112];
    };
};
_Static_assert(sizeof(struct lx_siginfo) == 128, "siginfo");
_Static_assert(__builtin_offsetof(struct lx_siginfo, child.status) == 24, "siginfo");
_Static_assert(__builtin_offsetof(struct lx_siginfo, child.utime) == 32, "siginfo");

/* x86-64 struct sigcontext: the general registers in Linux's order */
struct lx_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* user address of the FXSAVE image, 0 if none */
    uint64_t reserved1[8];
};
_Static_assert(sizeof(struct lx_sigcontext) == 256, "sigcontext");
_Static_assert(__builtin_offsetof(struct lx_sigcontext, rip) == 128, "sigcontext");
_Static_assert(__builtin_offsetof(struct lx_sigcontext, fpstate) == 184, "sigcontext");

struct lx_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct lx_stack uc_stack;
    struct lx_sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};
_Static_assert(sizeof(struct lx_ucontext) == 304, "ucontext");
#define LX_UC_SIGCONTEXT_SS 2
#define LX_UC_STRICT_RESTORE_SS 4

/* What the handler finds at its rsp: the return address (sa_restorer), then the rest. */
struct lx_rt_sigframe {
    uint64_t pretcode;
    struct lx_ucontext uc;
    struct lx_siginfo info;
};
_Static_assert(sizeof(struct lx_rt_sigframe) == 440, "rt_sigframe");
_Static_assert(__builtin_offsetof(struct lx_rt_sigframe, info) == 312, "rt_sigframe");

/* ---- ELF (the loader's view) ---- */
#define LX_PAGE 4096ull
