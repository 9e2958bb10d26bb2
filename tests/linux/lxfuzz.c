/*
 * Hostile Linux calls (issue 14, docs/testing.md "Hostile Linux calls"): workers make random
 * system calls with random arguments (small numbers, -1, huge values, pointers to their own
 * buffers with random contents, pointers that end at an unmapped page, into the kernel's
 * half, non-canonical, NULL) for tens of thousands of rounds in several processes at once.
 * The parent restarts workers that die, then checks that the system still works (a pipe from
 * /bin/echo) and, on Skoll, that the POSIX server's own counts (/proc/skoll/posix) are back
 * where they were: nothing leaked.
 *
 *   lxfuzz [seed [rounds [workers]]]      (seed 0 or absent: a new one, printed)
 *
 * Prints PLAN lines, then PASS/FAIL lxfuzz (the run), lxfuzz-alive (echo through a pipe) and
 * lxfuzz-leaks (SKIP where there is no /proc/skoll/posix, i.e. on Linux). Exit status 0 when
 * nothing failed. Not a differential case (not in cases.list): its output is Skoll's own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCRATCH "/tmp/lxfuzz"
#define MAX_WORKERS 16
#define MAX_NR 460          /* numbers are drawn from 0..MAX_NR-1, and some out of range */
#define STALL_NS 3000000000 /* a worker that makes no progress for this long is killed */
#define TICK_US 20000       /* workers' interval timer: a blocking call ends with EINTR */
#define RESET_EVERY 16      /* rounds between a worker's restoring its timer, mask, SIGALRM */
#define MAX_CHILDREN 4      /* live children of one worker (fork, vfork, clone) */

/* ---- what the parent and the workers share (MAP_SHARED, made before the first fork) ---- */
struct slot {
    volatile uint64_t done;  /* rounds made by this slot's workers, all generations */
    volatile uint64_t calls; /* system calls made (the fuzzed ones) */
    volatile int64_t last_nr;
    volatile int32_t pid;
};
static struct slot *slots;

/* ---- a seeded generator (splitmix64): the same seed makes the same calls in a worker ---- */
static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t n)
{
    return rnd() % n;
}

/* The raw call, so that nothing of the C library (errno in TLS, cancellation) is involved:
   a fuzzed arch_prctl may have replaced the thread pointer. */
static long raw6(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
    long ret;
    register uint64_t r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define raw(nr, a, b, c) raw6((nr), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0, 0)

/* ---- the worker's buffers: what a fuzzed pointer may point at ---- */
#define BUF 8192
static unsigned char randbuf[BUF] __attribute__((aligned(4096)));
static char pathbuf[512];
static uint64_t iovbuf[64]; /* struct iovec[32], each part pointing into randbuf */
static unsigned char *guard; /* two pages, the second PROT_NONE: pointers end at its start */

/* Random bytes, without '/': a random buffer used as a path then names something in the
   worker's directory (relative, one component), never a file of the rest of the system. */
static void fill_random(void)
{
    for (int i = 0; i < BUF; i += 8) {
        uint64_t v = rnd();
        memcpy(randbuf + i, &v, 8);
    }
    for (int i = 0; i < BUF; i++)
        if (randbuf[i] == '/')
            randbuf[i] = 'x';
}

/* A short relative path: a few components of a small alphabet (so names meet again),
   sometimes "." or a name too long; never ".." and never absolute, for the same reason. */
static void fill_path(void)
{
    static const char *const parts[] = {"a", "b", "c", "d", ".", "f0", "f1", "fifo", "dir", ""};
    size_t n = 0;
    int k = 1 + (int)below(3);
    pathbuf[0] = 0;
    if (below(32) == 0) { /* ENAMETOOLONG */
        memset(pathbuf, 'n', 300);
        pathbuf[300] = 0;
        return;
    }
    for (int i = 0; i < k; i++) {
        const char *p = parts[below(sizeof parts / sizeof *parts)];
        if (i == 0 && k > 1 && !*p)
            p = "."; /* "" then "/a" would be absolute */
        size_t l = strlen(p);
        if (n + l + 2 >= sizeof pathbuf)
            break;
        if (i)
            pathbuf[n++] = '/';
        memcpy(pathbuf + n, p, l);
        n += l;
        pathbuf[n] = 0;
    }
}

static void fill_iov(void)
{
    for (int i = 0; i < 32; i++) {
        iovbuf[2 * i] = (uint64_t)(randbuf + below(BUF));
        iovbuf[2 * i + 1] = below(4) == 0 ? rnd() : below(BUF / 4);
    }
}

static uint64_t arg(void)
{
    static const uint64_t huge[] = {0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                    0x7fffffffffffffffull, 0x8000000000000000ull,
                                    0xfffffffffffff000ull, 0x7ffffffff000ull, 1ull << 47};
    switch (below(18)) {
    case 0:
        return 0;
    case 1:
        return (uint64_t)-1;
    case 2:
    case 3:
        return below(66); /* descriptors, signal numbers, small sizes and flags */
    case 4:
        return rnd();
    case 5:
        return huge[below(sizeof huge / sizeof *huge)] + below(3) - 1;
    case 6:
        return 4096 * below(64);
    case 7:
    case 8:
        fill_random();
        return (uint64_t)(randbuf + (below(2) ? 0 : 8 * below(BUF / 8)));
    case 9:
    case 10:
        fill_path();
        return (uint64_t)pathbuf;
    case 11: /* the end of a mapped page: the object runs into the unmapped one */
        fill_random();
        memset(guard, below(2) ? 0 : 'g', 4096);
        return (uint64_t)(guard + 4096 - below(17));
    case 12: /* the kernel's half, and non-canonical */
        return below(2) ? 0xffff800000000000ull + 4096 * below(1u << 20) + below(16)
                        : 0x0000800000000000ull + below(1u << 30);
    case 13: /* unmapped user addresses */
        return below(2) ? 4096 * below(16) : 0x10000000ull + 4096 * below(1u << 20);
    case 14:
        fill_random();
        fill_iov();
        return (uint64_t)iovbuf;
    case 15:
        return (uint64_t)-(int64_t)(1 + below(4096));
    case 16:
        return 1ull << below(64);
    default: /* a few flag bits */
        return (1ull << below(32)) | (1ull << below(12)) | below(4);
    }
}

/* ---- the worker ---- */
static pid_t me;
static int children;

static void on_alarm(int sig)
{
    (void)sig; /* only there to make a blocked call return EINTR */
}

/* Restore what keeps a blocking call from hanging: SIGALRM caught and unblocked, the interval
   timer running. The fuzzed calls may undo any of it between two resets; then the parent's
   watchdog ends the worker. */
static void worker_reset(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    struct itimerval it = {{0, TICK_US}, {0, TICK_US}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void reap_children(void)
{
    int st;
    while (children > 0) {
        long r = raw6(SYS_wait4, (uint64_t)-1, (uint64_t)&st, WNOHANG | __WALL, 0, 0, 0);
        if (r <= 0)
            break;
        children--;
    }
}

/* A target for the signal calls: this worker, its group (it leads its own session), or a
   child of it; never another process of the system. */
static uint64_t own_pid(void)
{
    switch (below(4)) {
    case 0:
        return (uint64_t)me;
    case 1:
        return (uint64_t)-(int64_t)me;
    case 2:
        return 0;
    default:
        return 0x7ffffff0; /* no such process */
    }
}

static int pick_nr(uint64_t *a)
{
    for (;;) {
        long nr;
        if (below(64) == 0) {
            static const long odd[] = {-1, 512, 547, 1000, 0x40000000, 0x40000000 + 1,
                                       0x7fffffff, 0x100000000};
            nr = odd[below(sizeof odd / sizeof *odd)];
        } else {
            nr = (long)below(MAX_NR);
        }
        for (int i = 0; i < 6; i++)
            a[i] = arg();
        switch (nr) {
        /* Exclusions and rewrites, each because the call would end the test, not test the
           server: */
        case SYS_reboot: /* ends the POSIX server (or the machine) by design */
            continue;
        case SYS_kill: /* as root the signal calls may kill anything: aim at ourselves */
        case SYS_tkill:
        case SYS_rt_sigqueueinfo:
            a[0] = own_pid();
            break;
        case SYS_tgkill:
        case SYS_rt_tgsigqueueinfo:
            a[0] = own_pid();
            a[1] = own_pid();
            break;
        case SYS_prlimit64: /* as root it could lower the limits of any process */
            a[0] = below(2) ? 0 : (uint64_t)me;
            break;
        case SYS_exit:
        case SYS_exit_group: /* allowed, but rarely: a worker's life is worth some rounds */
            if (below(32))
                continue;
            break;
        case SYS_fork:
        case SYS_vfork:
        case SYS_clone:
        case 435: /* clone3: a bounded number of children, each ends at once (below) */
            if (children >= MAX_CHILDREN)
                continue;
            break;
        }
        return (int)nr;
    }
}

static void worker(int idx, uint64_t seed, uint64_t quota)
{
    struct slot *s = &slots[idx];
    char dir[64];
    me = getpid();
    rng = seed;
    setsid();
    snprintf(dir, sizeof dir, SCRATCH "/w%d", idx);
    mkdir(dir, 0777);
    if (chdir(dir) != 0)
        _exit(120);
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
        dup2(null, fd);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard == MAP_FAILED || mprotect(guard + 4096, 4096, PROT_NONE) != 0)
        _exit(121);
    worker_reset();
    /* Our own count: a fuzzed mmap or munmap may take the shared page away (then the parent
       sees no progress, and its watchdog ends us). */
    for (uint64_t round = s->done; round < quota; round++) {
        uint64_t a[6];
        int nr = pick_nr(a);
        s->last_nr = nr;
        long r = raw6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone || nr == 435) {
            if (r == 0 && raw(SYS_getpid, 0, 0, 0) != me)
                raw(SYS_exit_group, 0, 0, 0); /* the child: done */
            if (r == 0 && raw(SYS_gettid, 0, 0, 0) != me)
                raw(SYS_exit, 0, 0, 0); /* a thread (CLONE_THREAD) of ours: it ends alone */
            if (r > 0)
                children++;
        }
        s->calls++;
        s->done = round + 1;
        if (round % RESET_EVERY == RESET_EVERY - 1) {
            reap_children();
            worker_reset();
        }
    }
    /* Children still running belong to the parent's reaping (they are reparented). */
    _exit(0);
}

/* ---- the parent ---- */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* /proc/skoll/posix: "name value" lines. Returns the number read, 0 if there is none. */
#define NCOUNTERS 11
static const char *const counter_names[NCOUNTERS] = {
    "processes",      "threads",      "files",       "inodes",     "memory_objects",
    "calls_in_flight", "calls_parked", "heap_blocks", "heap_bytes", "heap_mapped",
    "free_pages"};
enum { C_HEAP_BYTES = 8, C_HEAP_MAPPED = 9, C_FREE_PAGES = 10 };

/* Plain open and read into a static buffer: the parent allocates nothing after the
   baseline, so its own heap (brk, mappings) cannot look like the server's leak. */
static int read_counters(long *v)
{
    static char buf[1024];
    int fd = open("/proc/skoll/posix", O_RDONLY);
    if (fd < 0)
        return 0;
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = 0;
    int found = 0;
    for (int i = 0; i < NCOUNTERS; i++) {
        size_t l = strlen(counter_names[i]);
        v[i] = -1;
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, counter_names[i], l) == 0 && line[l] == ' ') {
                v[i] = strtol(line + l + 1, NULL, 10);
                found++;
                break;
            }
    }
    return found;
}

/* Compare the counters after a run with those before; returns the first that differs (NULL:
   none), looking again for up to 5 s, since the server frees a dead thread's state lazily, at
   its sweep. The heap's bytes and arenas and the free pages are not counts of objects:
   heap_bytes moves with blocks' rounding, arenas are kept once mapped, and free_pages moves
   with the kernel's own caches, so free_pages may drop by the heap's growth plus LEAK_SLACK
   pages (the kernel's exact page-leak check, no_page_leak, runs when the boot ends). */
#define LEAK_SLACK 256
static const char *settle(const long *before, long *after)
{
    const char *bad = "unreadable";
    for (int tries = 0; tries < 50; tries++) {
        if (read_counters(after) != NCOUNTERS)
            return "unreadable";
        bad = NULL;
        for (int i = 0; i < C_HEAP_BYTES && !bad; i++)
            if (after[i] != before[i])
                bad = counter_names[i];
        long heap_growth = (after[C_HEAP_MAPPED] - before[C_HEAP_MAPPED]) / 4096;
        if (!bad && before[C_FREE_PAGES] - after[C_FREE_PAGES] >
                        (heap_growth > 0 ? heap_growth : 0) + LEAK_SLACK)
            bad = "free_pages";
        if (!bad)
            break;
        nap_ms(100);
    }
    return bad;
}

static int counter_index(const char *name)
{
    for (int i = 0; i < NCOUNTERS; i++)
        if (strcmp(counter_names[i], name) == 0)
            return i;
    return 0;
}

/* rm -r of dir's contents, with descriptors and the stack only (no malloc, see above). */
static void rm_tree(int dirfd, int depth)
{
    char buf[2048];
    long n;
    if (depth > 64)
        return;
    while ((n = syscall(SYS_getdents64, dirfd, buf, sizeof buf)) > 0) {
        int removed = 0;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            if (unlinkat(dirfd, d->d_name, 0) == 0) {
                removed = 1;
                continue;
            }
            int sub = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (sub >= 0) {
                fchmod(sub, 0700);
                rm_tree(sub, depth + 1);
                close(sub);
            }
            if (unlinkat(dirfd, d->d_name, AT_REMOVEDIR) == 0)
                removed = 1;
        }
        if (removed) /* the directory changed under the listing: read it again */
            lseek(dirfd, 0, SEEK_SET);
    }
}

/* System V segments and semaphore sets outlive their makers by design: the workers' are
   removed with the scratch files (SHM_STAT_ANY/SEM_STAT_ANY over the slots in use, then
   IPC_RMID). */
static void remove_ipc(void)
{
    char buf[128];
    long hi = syscall(SYS_shmctl, 0, 14 /* SHM_INFO: the highest slot in use */, buf);
    for (long i = 0; i <= hi; i++) {
        long id = syscall(SYS_shmctl, i, 15 /* SHM_STAT_ANY */, buf);
        if (id >= 0)
            syscall(SYS_shmctl, id, 0 /* IPC_RMID */, NULL);
    }
    hi = syscall(SYS_msgctl, 0, 12 /* MSG_INFO */, buf);
    for (long i = 0; i <= hi; i++) {
        long id = syscall(SYS_msgctl, i, 13 /* MSG_STAT_ANY */, buf);
        if (id >= 0)
            syscall(SYS_msgctl, id, 0 /* IPC_RMID */, NULL);
    }
    hi = syscall(SYS_semctl, 0, 0, 19 /* SEM_INFO */, buf);
    for (long i = 0; i <= hi; i++) {
        long id = syscall(SYS_semctl, i, 0, 20 /* SEM_STAT_ANY */, buf);
        if (id >= 0)
            syscall(SYS_semctl, id, 0, 0 /* IPC_RMID */);
    }
}

static int remove_scratch(void)
{
    remove_ipc();
    int fd = open(SCRATCH, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd >= 0) {
        fchmod(fd, 0700);
        rm_tree(fd, 0);
        close(fd);
        rmdir(SCRATCH);
    }
    return access(SCRATCH, F_OK) == 0 ? -1 : 0;
}

/* "Other processes keep working": /bin/echo's output through a pipe. */
static int echo_works(char *why, size_t whylen)
{
    int p[2];
    if (pipe(p) != 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return 0;
    }
    pid_t c = fork();
    if (c == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl("/bin/echo", "echo", "still", "alive", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[64] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    close(p[0]);
    int st = -1;
    if (c > 0)
        waitpid(c, &st, 0);
    if (c < 0 || strcmp(buf, "still alive\n") != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(why, whylen, "fork %d, output '%.20s', status 0x%x", (int)c, buf, st);
        return 0;
    }
    return 1;
}

/* Orphans of the workers (their children) come to us: wait for every last one. */
static void reap_orphans(void)
{
    for (int tries = 0; tries < 500; tries++) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
        if (pid < 0 && errno == ECHILD)
            break;
        if (pid <= 0)
            nap_ms(20);
    }
}

static pid_t start_worker(int idx, uint64_t seed, uint64_t gen, uint64_t quota)
{
    uint64_t wseed = seed ^ (0x1000193ull * (uint64_t)(idx + 1)) ^ (gen << 40) ^ (gen * 0x9e37ull);
    pid_t pid = fork();
    if (pid == 0)
        worker(idx, wseed, quota);
    if (pid > 0)
        slots[idx].pid = pid;
    return pid;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
    uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 0) : 20000;
    int nworkers = argc > 3 ? atoi(argv[3]) : 4;
    if (nworkers < 1 || nworkers > MAX_WORKERS)
        nworkers = 4;
    if (!seed)
        seed = now_ns() ^ ((uint64_t)getpid() << 32);
    uint64_t quota = (rounds + (uint64_t)nworkers - 1) / (uint64_t)nworkers;
    printf("PLAN lxfuzz\nPLAN lxfuzz-alive\nPLAN lxfuzz-leaks\n");
    printf("lxfuzz seed 0x%llx, %llu rounds in %d workers (repeat: lxfuzz 0x%llx %llu %d)\n",
           (unsigned long long)seed, (unsigned long long)(quota * (uint64_t)nworkers), nworkers,
           (unsigned long long)seed, (unsigned long long)rounds, nworkers);

    /* away from where the workers' own mappings go (top down from below the stack) */
    slots = mmap((void *)0x5a0000000000ull, 4096, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) {
        printf("FAIL lxfuzz: mmap of the shared page: %s\n", strerror(errno));
        return 1;
    }
    memset(slots, 0, 4096);
    long before[NCOUNTERS], after[NCOUNTERS];
    if (access("/proc/self", F_OK) != 0) /* the first program of a boot: no one mounted it */
        mount("proc", "/proc", "proc", 0, NULL);
    /* Warm up what the server keeps once made (its timer heap's array, made at the first
       timer) and what our own first reading allocates, then take the baseline. */
    nap_ms(1);
    read_counters(before);
    int skoll = read_counters(before) == NCOUNTERS;
    long before0[NCOUNTERS]; /* before the run; before moves with one worker (below) */
    memcpy(before0, before, sizeof before0);

    remove_scratch();
    if (mkdir("/tmp", 0777) != 0 && errno != EEXIST) {
        printf("FAIL lxfuzz: mkdir /tmp: %s\n", strerror(errno));
        return 1;
    }
    if (mkdir(SCRATCH, 0777) != 0) {
        printf("FAIL lxfuzz: mkdir " SCRATCH ": %s\n", strerror(errno));
        return 1;
    }

    /* To replay one life of a single worker: lxfuzz SEED END 1 LIFE START (the rounds from
       START to END with that life's seed; the run's leak lines print them). */
    uint64_t gen = argc > 4 ? strtoull(argv[4], NULL, 0) : 0;
    if (argc > 5 && nworkers == 1)
        slots[0].done = strtoull(argv[5], NULL, 0);
    uint64_t life_start = slots[0].done;
    uint64_t start = now_ns(), deaths = 0, stalls = 0, by_signal[65] = {0};
    uint64_t last_done[MAX_WORKERS], last_move[MAX_WORKERS];
    int running = 0, failed = 0;
    for (int i = 0; i < nworkers; i++) {
        if (start_worker(i, seed, gen++, quota) > 0)
            running++;
        last_done[i] = 0;
        last_move[i] = start;
    }
    uint64_t limit = start + 600ull * 1000000000ull; /* the whole run's watchdog */
    while (running > 0) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
        if (pid < 0 && errno != EINTR) {
            printf("FAIL lxfuzz: waitpid: %s with %d workers running\n", strerror(errno), running);
            failed = 1;
            break;
        }
        if (pid <= 0) {
            nap_ms(20);
            uint64_t t = now_ns();
            for (int i = 0; i < nworkers; i++) {
                if (!slots[i].pid)
                    continue;
                if (slots[i].done != last_done[i]) {
                    last_done[i] = slots[i].done;
                    last_move[i] = t;
                } else if (t - last_move[i] > STALL_NS) {
                    kill(slots[i].pid, SIGKILL);
                    stalls++;
                    last_move[i] = t;
                }
            }
            if (t > limit) {
                printf("FAIL lxfuzz: the run took over 600 s\n");
                for (int i = 0; i < nworkers; i++)
                    if (slots[i].pid)
                        kill(slots[i].pid, SIGKILL);
                limit = ~0ull;
                failed = 1;
            }
            continue;
        }
        int idx = -1;
        for (int i = 0; i < nworkers; i++)
            if (slots[i].pid == pid)
                idx = i;
        if (idx < 0)
            continue; /* a worker's orphan, reparented to us */
        slots[idx].pid = 0;
        running--;
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0 && slots[idx].done >= quota)) {
            deaths++;
            if (WIFSIGNALED(st) && WTERMSIG(st) < 65)
                by_signal[WTERMSIG(st)]++;
            if (WIFEXITED(st) && WEXITSTATUS(st) >= 120 && WEXITSTATUS(st) <= 121) {
                printf("FAIL lxfuzz: worker %d could not start (status %d)\n", idx,
                       WEXITSTATUS(st));
                failed = 1;
            }
        }
        if (nworkers == 1 && skoll) {
            /* one worker: check after each of its lives (its files removed), to name the one
               that leaked */
            long now[NCOUNTERS];
            reap_orphans();
            remove_scratch();
            if (settle(before, now)) {
                printf("lxfuzz: life %llu of worker 0 (rounds %llu to %llu, status 0x%x; replay: "
                       "lxfuzz 0x%llx %llu 1 %llu %llu) leaked:", (unsigned long long)gen - 1,
                       (unsigned long long)life_start, (unsigned long long)slots[0].done, st,
                       (unsigned long long)seed, (unsigned long long)slots[0].done,
                       (unsigned long long)gen - 1, (unsigned long long)life_start);
                for (int i = 0; i < C_HEAP_BYTES; i++)
                    if (now[i] != before[i])
                        printf(" %s %ld->%ld", counter_names[i], before[i], now[i]);
                printf("\n");
                memcpy(before, now, sizeof now);
            }
            mkdir(SCRATCH, 0777);
            life_start = slots[0].done;
        }
        if (!failed && slots[idx].done < quota && start_worker(idx, seed, gen++, quota) > 0) {
            running++;
            last_done[idx] = slots[idx].done;
            last_move[idx] = now_ns();
        }
    }
    reap_orphans();
    uint64_t secs_x10 = (now_ns() - start) / 100000000ull, done = 0, calls = 0;
    for (int i = 0; i < nworkers; i++)
        done += slots[i].done, calls += slots[i].calls;
    if (remove_scratch() != 0) {
        printf("FAIL lxfuzz: could not remove " SCRATCH "\n");
        failed = 1;
    }
    if (!failed) {
        printf("PASS lxfuzz: %llu rounds, %llu calls in %llu.%llu s, %llu worker deaths "
               "(%llu stalled, killed)",
               (unsigned long long)done, (unsigned long long)calls,
               (unsigned long long)(secs_x10 / 10), (unsigned long long)(secs_x10 % 10),
               (unsigned long long)deaths, (unsigned long long)stalls);
        for (int i = 1; i < 65; i++)
            if (by_signal[i])
                printf(", %llu by signal %d", (unsigned long long)by_signal[i], i);
        printf("\n");
    }

    char why[128];
    if (echo_works(why, sizeof why)) {
        printf("PASS lxfuzz-alive\n");
    } else {
        printf("FAIL lxfuzz-alive: %s\n", why);
        failed = 1;
    }

    if (!skoll) {
        printf("SKIP lxfuzz-leaks: not Skoll (no /proc/skoll/posix)\n");
        return failed;
    }
    const char *bad = settle(before0, after);
    if (bad) {
        int i = counter_index(bad);
        printf("FAIL lxfuzz-leaks: %s before %ld after %ld", bad, before0[i], after[i]);
        failed = 1;
    } else {
        printf("PASS lxfuzz-leaks:");
    }
    for (int i = 0; i < NCOUNTERS; i++)
        printf(" %s %ld->%ld", counter_names[i], before0[i], after[i]);
    printf("\n");
    return failed;
}
