/*
 * System V shared memory: shmget (IPC_PRIVATE, keys, IPC_CREAT/IPC_EXCL, sizes, permissions),
 * shmat (anywhere, at an address, SHM_RND, SHM_RDONLY, overlaps), shmdt, shmctl (IPC_STAT with
 * the attach count and pids, IPC_SET, IPC_RMID while attached and the segment going at the
 * last detach); the same bytes in a forked child and in an unrelated attach; fork and exit
 * count in the attach count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static long nattch(int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0)
        return -1;
    return (long)ds.shm_nattch;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = 0x5e0115;
    int old = shmget(key, 0, 0);
    if (old >= 0)
        shmctl(old, IPC_RMID, NULL);
    printf("get missing key: %s\n", res(shmget(key, 4096, 0600)));
    printf("create size 0: %s\n", res(shmget(key, 0, IPC_CREAT | 0600)));
    int id = shmget(key, 10000, IPC_CREAT | 0640);
    printf("create: %d\n", id >= 0);
    printf("create again, EXCL: %s\n", res(shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600)));
    printf("get again, same id: %d\n", shmget(key, 5000, 0) == id);
    printf("get bigger: %s\n", res(shmget(key, 20000, 0)));
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("stat: size %zu mode %o nattch %lu cpid is me %d key matches %d\n", (size_t)ds.shm_segsz,
           (unsigned)(ds.shm_perm.mode & 0777), (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid(),
           ds.shm_perm.__key == key);

    char *a = shmat(id, NULL, 0);
    printf("attach: %s\n", a == (void *)-1 ? errname(errno) : "ok");
    printf("nattch %ld, page aligned %d\n", nattch(id), ((uintptr_t)a & 4095) == 0);
    strcpy(a, "shared bytes");
    char *b = shmat(id, NULL, SHM_RDONLY);
    printf("second attach sees: %s\n", b);
    printf("nattch %ld\n", nattch(id));
    shmctl(id, IPC_STAT, &ds);
    printf("lpid is me %d, atime set %d\n", ds.shm_lpid == getpid(), ds.shm_atime != 0);
    /* the read-only attach faults on a store */
    pid_t c = fork();
    if (c == 0) {
        b[0] = 'X';
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("store to a read-only attach: signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    /* a child inherits the attaches and writes through them */
    c = fork();
    if (c == 0) {
        long n = nattch(id);
        strcpy(a, "from the child");
        _exit(n == 4 ? 0 : 1);
    }
    waitpid(c, &st, 0);
    printf("child saw nattch 4: %d, parent reads: %s, nattch after %ld\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0, a, nattch(id));
    printf("detach the second: %s\n", res(shmdt(b)));
    printf("detach it again: %s\n", res(shmdt(b)));
    printf("detach a non-attach: %s\n", res(shmdt(&st)));
    printf("nattch %ld\n", nattch(id));

    /* at an address: unaligned, rounded, overlapping */
    char *want = (char *)0x7f0000100000ull;
    printf("at unaligned: %s\n", shmat(id, want + 5, 0) == (void *)-1 ? errname(errno) : "ok");
    char *r = shmat(id, want + 5, SHM_RND);
    printf("at unaligned with SHM_RND: %d\n", r == want);
    printf("over an existing mapping: %s\n", shmat(id, want, 0) == (void *)-1 ? errname(errno) : "ok");
    char *rm = shmat(id, want, SHM_REMAP);
    printf("with SHM_REMAP: %d, reads %s\n", rm == want, rm);
    printf("nattch %ld\n", nattch(id));
    shmdt(want);
    printf("nattch after its detach %ld\n", nattch(id));

    /* IPC_SET and permissions */
    ds.shm_perm.mode = 0600;
    printf("IPC_SET: %s\n", res(shmctl(id, IPC_SET, &ds)));
    shmctl(id, IPC_STAT, &ds);
    printf("mode now %o\n", (unsigned)(ds.shm_perm.mode & 0777));
    printf("bad id: %s\n", res(shmctl(id + 32768 * 7, IPC_STAT, &ds)));
    printf("bad command: %s\n", res(shmctl(id, 99, &ds)));
    printf("attach a bad id: %s\n", shmat(-1, NULL, 0) == (void *)-1 ? errname(errno) : "ok");

    /* IPC_RMID while attached: the key goes, the bytes stay until the last detach */
    printf("IPC_RMID: %s\n", res(shmctl(id, IPC_RMID, NULL)));
    printf("key gone: %s\n", res(shmget(key, 0, 0)));
    shmctl(id, IPC_STAT, &ds);
    printf("marked: %d, still reads %s\n", (ds.shm_perm.mode & 01000) != 0, a);
    shmdt(a);
    printf("after the last detach: %s\n", res(shmctl(id, IPC_STAT, &ds)));

    /* IPC_PRIVATE: always new */
    int p1 = shmget(IPC_PRIVATE, 4096, 0600), p2 = shmget(IPC_PRIVATE, 4096, 0600);
    printf("private: two %d\n", p1 >= 0 && p2 >= 0 && p1 != p2);
    /* a segment stays after its creator's attach ends with the process */
    c = fork();
    if (c == 0) {
        char *x = shmat(p1, NULL, 0);
        strcpy(x, "left behind");
        _exit(0);
    }
    waitpid(c, &st, 0);
    char *y = shmat(p1, NULL, 0);
    printf("after the child's exit: nattch %ld, reads %s\n", nattch(p1), y);
    shmdt(y);
    shmctl(p1, IPC_RMID, NULL);
    shmctl(p2, IPC_RMID, NULL);
    return 0;
}
