/*
 * System V semaphores: semget (keys, IPC_PRIVATE, counts), semctl (SETVAL/GETVAL, SETALL/
 * GETALL, GETPID, GETNCNT/GETZCNT, IPC_STAT, IPC_SET, IPC_RMID), semop's all-or-nothing
 * operations (IPC_NOWAIT's EAGAIN leaving every value as it was, ERANGE, EFBIG, E2BIG), a
 * blocked semop woken by another process, wait-for-zero, semtimedop's timeout, SEM_UNDO undone
 * at exit, a signal (EINTR) and removal (EIDRM) ending a wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static void vals(const char *what, int id, int n)
{
    unsigned short a[8];
    union semun u = {.array = a};
    semctl(id, 0, GETALL, u);
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %u", a[i]);
    printf("\n");
}

static void on_alarm(int s) { (void)s; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = 0x5e0116;
    int old = semget(key, 0, 0);
    if (old >= 0)
        semctl(old, 0, IPC_RMID);
    printf("get missing: %s\n", res(semget(key, 3, 0600)));
    printf("create with 0: %s\n", res(semget(key, 0, IPC_CREAT | 0600)));
    printf("create too many: %s\n", res(semget(key, 100000, IPC_CREAT | 0600)));
    int id = semget(key, 3, IPC_CREAT | 0600);
    printf("create: %d\n", id >= 0);
    printf("EXCL: %s\n", res(semget(key, 3, IPC_CREAT | IPC_EXCL | 0600)));
    printf("get with fewer: %d\n", semget(key, 2, 0) == id);
    printf("get with more: %s\n", res(semget(key, 4, 0)));
    vals("new", id, 3);
    union semun u = {.val = 5};
    printf("SETVAL: %s\n", res(semctl(id, 1, SETVAL, u)));
    u.val = 40000;
    printf("SETVAL too big: %s\n", res(semctl(id, 1, SETVAL, u)));
    printf("GETVAL: %d\n", semctl(id, 1, GETVAL));
    printf("GETVAL of no semaphore: %s\n", res(semctl(id, 3, GETVAL)));
    unsigned short all[3] = {1, 2, 3};
    u.array = all;
    printf("SETALL: %s\n", res(semctl(id, 0, SETALL, u)));
    vals("after SETALL", id, 3);
    struct semid_ds ds;
    u.buf = &ds;
    semctl(id, 0, IPC_STAT, u);
    printf("stat: nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, (unsigned)(ds.sem_perm.mode & 0777));

    /* all or nothing */
    struct sembuf two[2] = {{0, -1, IPC_NOWAIT}, {1, -5, IPC_NOWAIT}};
    printf("semop that cannot all happen: %s\n", res(semop(id, two, 2)));
    vals("unchanged", id, 3);
    two[1].sem_op = -2;
    printf("semop that can: %s\n", res(semop(id, two, 2)));
    vals("after", id, 3);
    printf("GETPID is me: %d\n", semctl(id, 0, GETPID) == getpid());
    struct sembuf big = {2, 32767, 0};
    printf("past SEMVMX: %s\n", res(semop(id, &big, 1)));
    struct sembuf nosem = {7, 1, 0};
    printf("no such semaphore: %s\n", res(semop(id, &nosem, 1)));
    printf("no operations: %s\n", res(semop(id, &nosem, 0)));
    static struct sembuf many[600];
    printf("too many operations: %s\n", res(semop(id, many, 600)));

    /* a blocked decrement woken by another process */
    struct sembuf down = {0, -1, 0};
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        struct sembuf up = {0, 2, 0};
        semop(id, &up, 1);
        _exit(0);
    }
    printf("blocked down: %s\n", res(semop(id, &down, 1)));
    waitpid(c, NULL, 0);
    vals("after the up", id, 3);

    /* GETNCNT while a child waits; wait-for-zero */
    c = fork();
    if (c == 0) {
        struct sembuf d = {2, -10, 0};
        semop(id, &d, 1);
        _exit(0);
    }
    while (semctl(id, 2, GETNCNT) == 0)
        usleep(1000);
    printf("GETNCNT: %d\n", semctl(id, 2, GETNCNT));
    struct sembuf up10 = {2, 10, 0};
    semop(id, &up10, 1);
    waitpid(c, NULL, 0);
    vals("after the child's down", id, 3);
    c = fork();
    if (c == 0) {
        struct sembuf z = {0, 0, 0};
        _exit(semop(id, &z, 1) == 0 ? 0 : 1);
    }
    while (semctl(id, 0, GETZCNT) == 0)
        usleep(1000);
    printf("GETZCNT: %d\n", semctl(id, 0, GETZCNT));
    struct sembuf d1 = {0, -1, 0};
    semop(id, &d1, 1);
    int st;
    waitpid(c, &st, 0);
    printf("wait for zero ended: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* semtimedop */
    struct timespec ts = {0, 30000000};
    struct sembuf d0 = {0, -1, 0};
    printf("semtimedop: %s\n", res(semtimedop(id, &d0, 1, &ts)));
    ts.tv_nsec = 2000000000;
    printf("semtimedop bad timeout: %s\n", res(semtimedop(id, &d0, 1, &ts)));

    /* SEM_UNDO: a child's changes go back when it exits */
    c = fork();
    if (c == 0) {
        struct sembuf u1 = {1, 4, SEM_UNDO};
        semop(id, &u1, 1);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    vals("after a SEM_UNDO child", id, 3);

    /* a signal ends a wait with EINTR, even with SA_RESTART */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    ualarm(30000, 0);
    printf("signalled: %s\n", res(semop(id, &d0, 1)));

    /* removal ends a wait with EIDRM */
    c = fork();
    if (c == 0) {
        usleep(50000);
        semctl(id, 0, IPC_RMID);
        _exit(0);
    }
    printf("removed while waiting: %s\n", res(semop(id, &d0, 1)));
    waitpid(c, NULL, 0);
    printf("gone: %s\n", res(semctl(id, 0, GETVAL)));
    int p1 = semget(IPC_PRIVATE, 1, 0600), p2 = semget(IPC_PRIVATE, 1, 0600);
    printf("private: two %d\n", p1 >= 0 && p2 >= 0 && p1 != p2);
    semctl(p1, 0, IPC_RMID);
    semctl(p2, 0, IPC_RMID);
    return 0;
}
