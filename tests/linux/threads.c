/*
 * Threads: pthread_create and join (return values, the tid word cleared at exit), getpid the
 * same and gettid different in each thread, memory and descriptors shared, a mutex and a
 * condition variable under contention (the counts must come out exact), a detached thread,
 * pthread_exit from a thread, a thread's signal mask its own, a signal sent to one thread
 * with tgkill, futex calls made directly (EAGAIN on a changed word, ETIMEDOUT, the wake count,
 * requeue, EINVAL for bad arguments), a thread's exit(3) ending the whole process, execve
 * from a thread, and the leader leaving with pthread_exit while another thread finishes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

/* (linux/futex.h is not in musl's headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define N 4
#define ROUNDS 2000

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static long futex(uint32_t *a, int op, uint32_t v, const struct timespec *ts, uint32_t *a2, uint32_t v3)
{
    return syscall(SYS_futex, a, op, v, ts, a2, v3);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter, turns;
static int whose_turn;
static pid_t main_pid, main_tid;

struct info {
    int idx;
    pid_t pid, tid;
};

static void *worker(void *arg)
{
    struct info *in = arg;
    in->pid = getpid();
    in->tid = gettid_();
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    /* take turns in order through one condition variable */
    for (int r = 0; r < 25; r++) {
        pthread_mutex_lock(&mu);
        while (whose_turn != in->idx)
            pthread_cond_wait(&cv, &mu);
        turns++;
        whose_turn = (whose_turn + 1) % N;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return (void *)(intptr_t)(in->idx * 10);
}

static void *exiter(void *arg)
{
    (void)arg;
    pthread_exit((void *)42);
    return NULL;
}

static volatile int detached_ran;
static void *detached(void *arg)
{
    (void)arg;
    detached_ran = 1;
    return NULL;
}

static volatile sig_atomic_t got_usr1_in;
static void on_usr1(int s)
{
    (void)s;
    got_usr1_in = gettid_() == main_tid ? 1 : 2;
}

static uint32_t word;
static void *waiter(void *arg)
{
    (void)arg;
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return (void *)(intptr_t)(r == 0 ? 1 : -errno);
}

static volatile int sig_thread_ready;
static pthread_t sig_thread;
static void *sig_target(void *arg)
{
    (void)arg;
    sig_thread_ready = 1;
    while (got_usr1_in == 0)
        usleep(1000);
    return NULL;
}

static void *forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static pthread_mutex_t *robust;
static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(robust);
    return NULL; /* ends with the lock held */
}

static int cancel_pipe[2];
static void *reads_forever(void *arg)
{
    (void)arg;
    char c;
    read(cancel_pipe[0], &c, 1);
    return (void *)1;
}

static void *sleeps_forever(void *arg)
{
    (void)arg;
    sleep(1000);
    return (void *)1;
}

static volatile int named, name_seen;
static pid_t named_tid;
static char own_name[16];
static void *names_itself(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "worker-1");
    prctl(PR_GET_NAME, own_name);
    named_tid = gettid_();
    named = 1;
    while (!name_seen)
        usleep(1000);
    return NULL;
}

static void *blocker(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return (void *)(intptr_t)sigismember(&now, SIGUSR2);
}

static void *exec_thread(void *arg)
{
    char *const argv[] = {(char *)arg, "execed", NULL};
    execv("/proc/self/exe", argv);
    return NULL;
}

static void *slow_exit(void *arg)
{
    usleep(20000);
    printf("the last thread finishes after the leader left\n");
    if (arg)
        syscall(SYS_exit, 9); /* this thread only: the wait status is the leader's */
    exit(7);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "execed") == 0) {
        printf("exec from a thread: new image, pid kept %d, tid is the pid %d\n",
               getpid() == atoi(getenv("THREADS_PID")), gettid_() == getpid());
        return 0;
    }
    if (argc > 1 && strncmp(argv[1], "exit-from-thread", 16) == 0) {
        pthread_t t;
        pthread_create(&t, NULL, slow_exit, argv[1][16] ? argv : NULL);
        pthread_exit(NULL); /* the leader goes first; the process lives on */
    }
    main_pid = getpid();
    main_tid = gettid_();
    printf("main: tid is pid %d\n", main_tid == main_pid);

    pthread_t th[N];
    struct info in[N];
    for (int i = 0; i < N; i++) {
        in[i].idx = i;
        if (pthread_create(&th[i], NULL, worker, &in[i]))
            printf("pthread_create failed\n");
    }
    int ok_ids = 1, ok_ret = 1;
    for (int i = 0; i < N; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        ok_ret &= (intptr_t)ret == i * 10;
        ok_ids &= in[i].pid == main_pid && in[i].tid != main_tid && in[i].tid > 0;
        for (int j = 0; j < i; j++)
            ok_ids &= in[j].tid != in[i].tid;
    }
    printf("joined %d threads: return values %d, same pid and own tids %d\n", N, ok_ret, ok_ids);
    printf("mutex counter %ld (want %d), condvar turns %ld (want %d)\n", counter, N * ROUNDS,
           turns, N * 25);

    pthread_t t;
    void *ret;
    pthread_create(&t, NULL, exiter, NULL);
    pthread_join(t, &ret);
    printf("pthread_exit value %ld\n", (long)(intptr_t)ret);

    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &at, detached, NULL);
    for (int i = 0; i < 1000 && !detached_ran; i++)
        usleep(1000);
    printf("detached thread ran %d\n", detached_ran);

    /* the signal mask is per thread */
    pthread_create(&t, NULL, blocker, NULL);
    pthread_join(t, &ret);
    sigset_t mine;
    pthread_sigmask(SIG_BLOCK, NULL, &mine);
    printf("thread blocked SIGUSR2 %ld, main still not %d\n", (long)(intptr_t)ret,
           !sigismember(&mine, SIGUSR2));

    /* a thread-directed signal goes to that thread */
    signal(SIGUSR1, on_usr1);
    pthread_create(&sig_thread, NULL, sig_target, NULL);
    while (!sig_thread_ready)
        usleep(1000);
    pthread_kill(sig_thread, SIGUSR1);
    pthread_join(sig_thread, NULL);
    printf("pthread_kill: handled in the target thread %d\n", got_usr1_in == 2);

    /* the futex calls themselves */
    word = 1;
    printf("FUTEX_WAIT on a changed word: %s\n",
           futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) ? errname(errno) : "0");
    struct timespec ts = {0, 20 * 1000 * 1000};
    printf("FUTEX_WAIT with a timeout: %s\n",
           futex(&word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0) ? errname(errno) : "0");
    struct timespec bad = {0, 1000000000};
    printf("FUTEX_WAIT with a bad timeout: %s\n",
           futex(&word, FUTEX_WAIT_PRIVATE, 1, &bad, NULL, 0) ? errname(errno) : "0");
    printf("FUTEX_WAIT unaligned: %s\n",
           futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0) ? errname(errno) : "0");
    printf("FUTEX_WAIT_BITSET with no bits: %s\n",
           futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0) ? errname(errno) : "0");
    printf("FUTEX_WAKE with nobody waiting: %ld\n", futex(&word, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0));
    printf("FUTEX_WAIT on an unmapped word: %s\n",
           futex((uint32_t *)8, FUTEX_WAIT, 1, NULL, NULL, 0) ? errname(errno) : "0");
    printf("an unknown futex op: %s\n",
           futex(&word, 99, 1, NULL, NULL, 0) ? errname(errno) : "0");
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 10 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000)
        ts.tv_sec++, ts.tv_nsec -= 1000000000;
    printf("FUTEX_WAIT_BITSET with an absolute deadline: %s\n",
           futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &ts, NULL, FUTEX_BITSET_MATCH_ANY) ? errname(errno) : "0");

    /* three waiters: wake one, requeue one to another word, wake the rest there */
    word = 0;
    pthread_t w[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, waiter, NULL);
    usleep(50000); /* (they are asleep by then) */
    static uint32_t other;
    long woke = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    long moved = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1, &other, 0);
    long stale = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1, &other, 5);
    long rest = futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
    long there = futex(&other, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
    printf("woke %ld, cmp_requeue %ld, with a stale value %s, then %ld and %ld\n", woke, moved,
           stale < 0 ? errname(errno) : "ok", rest, there);
    int all = 1;
    for (int i = 0; i < 3; i++) {
        pthread_join(w[i], &ret);
        all &= (intptr_t)ret == 1;
    }
    printf("every waiter woke with 0: %d\n", all);

    /* FUTEX_WAKE_OP: the second word changes atomically, the waiters of the first wake,
       those of the second only if its old value passes the test */
    word = 0;
    static uint32_t word2 = 5;
    pthread_t wk;
    pthread_create(&wk, NULL, waiter, NULL);
    usleep(50000);
    uint32_t enc = (1u << 28) | (4u << 24) | (3u << 12) | 4u; /* ADD 3; old > 4 */
    long r = futex(&word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1, &word2, enc);
    pthread_join(wk, &ret);
    printf("FUTEX_WAKE_OP woke %ld, word2 %u, the waiter got 0 %d\n", r, word2, (intptr_t)ret == 1);
    enc = (8u << 28) | (2u << 28) | (1u << 24) | (4u << 12) | 8u; /* OR 1 << 4; old != 8 */
    r = futex(&word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1, &word2, enc);
    printf("FUTEX_WAKE_OP with a shift: %ld, word2 %u\n", r, word2);
    r = futex(&word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1, &word2, 7u << 28);
    printf("FUTEX_WAKE_OP with a bad op: %s, word2 %u\n", r < 0 ? errname(errno) : "ok", word2);
    r = futex(&word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1, (uint32_t *)8, 0);
    printf("FUTEX_WAKE_OP on an unmapped word: %s\n", r < 0 ? errname(errno) : "ok");

    /* robust mutexes: a thread that dies holding one leaves EOWNERDEAD to the next owner */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    static pthread_mutex_t rm;
    pthread_mutex_init(&rm, &ma);
    robust = &rm;
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    int lr = pthread_mutex_lock(&rm);
    printf("lock after the owner thread died: %s, consistent %d\n", lr ? errname(lr) : "0",
           lr == EOWNERDEAD ? pthread_mutex_consistent(&rm) : -1);
    pthread_mutex_unlock(&rm);
    /* and across processes, in shared memory */
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_t *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutex_init(sm, &ma);
    fflush(stdout);
    pid_t holder = fork();
    if (holder == 0) {
        pthread_mutex_lock(sm);
        _exit(0);
    }
    waitpid(holder, NULL, 0);
    lr = pthread_mutex_lock(sm);
    printf("lock after the owner process died: %s\n", lr ? errname(lr) : "0");
    size_t rlen = 0;
    void *rhead = NULL;
    long gr = syscall(SYS_get_robust_list, 0, &rhead, &rlen);
    printf("get_robust_list: %ld, len %zu\n", gr, rlen);
    gr = syscall(SYS_get_robust_list, 0x3ffffff0, &rhead, &rlen);
    printf("get_robust_list of no thread: %s\n", gr ? errname(errno) : "ok");
    printf("set_robust_list with a bad size: %s\n",
           syscall(SYS_set_robust_list, rhead, 12) ? errname(errno) : "ok");

    /* pthread_cancel of threads blocked in read and in sleep */
    pipe(cancel_pipe);
    pthread_t cr, cs;
    pthread_create(&cr, NULL, reads_forever, NULL);
    pthread_create(&cs, NULL, sleeps_forever, NULL);
    usleep(50000);

    /* /proc/self/task lists every thread; each has its own stat; status counts them */
    int ntask = 0, own = 1;
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        ntask++;
        char path[300], buf[256] = {0};
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", de->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0)
            own = 0;
        else
            own &= atoi(buf) == atoi(de->d_name);
        close(fd);
    }
    if (d)
        closedir(d);
    char status[2048] = {0};
    int sfd = open("/proc/self/status", O_RDONLY);
    read(sfd, status, sizeof status - 1);
    close(sfd);
    const char *thr = strstr(status, "Threads:");
    printf("/proc/self/task: %d threads, each its own stat %d; status says %d\n", ntask, own,
           thr ? atoi(thr + 8) : -1);

    /* a thread's name is its own (PR_SET_NAME), shown in its task directory */
    pthread_t nt;
    pthread_create(&nt, NULL, names_itself, NULL);
    while (!named)
        usleep(1000);
    char cpath[64], tcomm[32] = {0}, pcomm[32] = {0};
    snprintf(cpath, sizeof cpath, "/proc/self/task/%d/comm", named_tid);
    int cf = open(cpath, O_RDONLY);
    read(cf, tcomm, sizeof tcomm - 1);
    close(cf);
    cf = open("/proc/self/comm", O_RDONLY);
    read(cf, pcomm, sizeof pcomm - 1);
    close(cf);
    char main_name[16] = {0};
    prctl(PR_GET_NAME, main_name);
    name_seen = 1;
    pthread_join(nt, NULL);
    printf("thread named itself %s; its comm %s", own_name, tcomm);
    printf("the process's %s", pcomm);
    printf("main's own name unchanged %d\n", strcmp(main_name, "worker-1") != 0);

    pthread_cancel(cr);
    pthread_cancel(cs);
    void *rr, *rs;
    pthread_join(cr, &rr);
    pthread_join(cs, &rs);
    printf("cancelled in read %d, in sleep %d\n", rr == PTHREAD_CANCELED, rs == PTHREAD_CANCELED);

    /* RLIMIT_NPROC counts a user's threads: 5 allow four more than the first */
    fflush(stdout);
    pid_t lim = fork();
    if (lim == 0) {
        struct rlimit rl = {5, 5};
        setrlimit(RLIMIT_NPROC, &rl);
        if (setuid(4321))
            _exit(2);
        int made = 0, err = 0;
        for (int i = 0; i < 8; i++) {
            pthread_t x;
            err = pthread_create(&x, NULL, forever, NULL);
            if (err)
                break;
            made++;
        }
        printf("as a user with RLIMIT_NPROC 5: %d threads made, then %s\n", made, errname(err));
        _exit(0);
    }
    waitpid(lim, NULL, 0);

    /* execve from a thread: the others end, the image is new */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char pidbuf[16];
        snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
        setenv("THREADS_PID", pidbuf, 1);
        pthread_t e, idle;
        pthread_create(&idle, NULL, forever, NULL);
        pthread_create(&e, NULL, exec_thread, argv[0]);
        pthread_join(e, NULL);
        _exit(1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("exec child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* the leader leaves first; the last thread's exit(7) is the status */
    c = fork();
    if (c == 0) {
        execl("/proc/self/exe", argv[0], "exit-from-thread", (char *)NULL);
        _exit(1);
    }
    waitpid(c, &st, 0);
    printf("leader left first, then exit(7): status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    c = fork();
    if (c == 0) {
        execl("/proc/self/exe", argv[0], "exit-from-thread-sys", (char *)NULL);
        _exit(1);
    }
    waitpid(c, &st, 0);
    printf("leader left first, then SYS_exit(9): status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
