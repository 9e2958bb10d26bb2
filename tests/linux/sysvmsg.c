/*
 * System V message queues: msgget; msgsnd/msgrcv by type (0, a type, MSG_EXCEPT, a negative
 * bound), E2BIG and MSG_NOERROR, ENOMSG with IPC_NOWAIT, a full queue (msg_qbytes lowered by
 * IPC_SET) giving EAGAIN, a blocked receive woken by another process, IPC_STAT's counts, and
 * IPC_RMID ending a wait with EIDRM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

struct m {
    long type;
    char text[64];
};

static void put(int id, long type, const char *s)
{
    struct m msg = {.type = type};
    strcpy(msg.text, s);
    printf("send %ld '%s': %s\n", type, s, res(msgsnd(id, &msg, strlen(s) + 1, IPC_NOWAIT)));
}

static void get(int id, long type, int flags, size_t room)
{
    struct m msg;
    memset(&msg, 0, sizeof msg);
    long n = msgrcv(id, &msg, room, type, flags | IPC_NOWAIT);
    if (n < 0)
        printf("receive %ld: %s\n", type, errname(errno));
    else
        printf("receive %ld: %ld bytes, type %ld '%.*s'\n", type, n, msg.type, (int)n, msg.text);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = 0x5e0117;
    int old = msgget(key, 0);
    if (old >= 0)
        msgctl(old, IPC_RMID, NULL);
    printf("get missing: %s\n", res(msgget(key, 0600)));
    int id = msgget(key, IPC_CREAT | 0600);
    printf("create: %d, again same %d, EXCL %s\n", id >= 0, msgget(key, 0) == id,
           res(msgget(key, IPC_CREAT | IPC_EXCL | 0600)));
    put(id, 1, "one");
    put(id, 2, "two");
    put(id, 3, "three");
    put(id, 2, "deux");
    struct m bad = {.type = 0};
    printf("send type 0: %s\n", res(msgsnd(id, &bad, 4, IPC_NOWAIT)));
    printf("send too big: %s\n", res(msgsnd(id, &bad, 100000, IPC_NOWAIT)));
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    printf("stat: qnum %lu cbytes %lu qbytes %lu lspid is me %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid());
    get(id, 2, 0, 64);
    get(id, -2, 0, 64);
    get(id, 2, MSG_EXCEPT, 64);
    get(id, 2, 0, 2);
    get(id, 2, MSG_NOERROR, 2);
    get(id, 0, 0, 64);
    get(id, 0, 0, 64);

    /* a full queue */
    ds.msg_qbytes = 16;
    printf("IPC_SET qbytes 16: %s\n", res(msgctl(id, IPC_SET, &ds)));
    put(id, 5, "0123456789");
    put(id, 5, "0123456789");

    /* a blocked receive woken by another process */
    get(id, 0, 0, 64);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        struct m msg = {.type = 9};
        strcpy(msg.text, "late");
        msgsnd(id, &msg, 5, 0);
        _exit(0);
    }
    struct m msg;
    long n = msgrcv(id, &msg, sizeof msg.text, 9, 0);
    printf("blocked receive: %ld '%s'\n", n, n > 0 ? msg.text : "");
    waitpid(c, NULL, 0);

    /* removal ends a wait */
    c = fork();
    if (c == 0) {
        usleep(50000);
        msgctl(id, IPC_RMID, NULL);
        _exit(0);
    }
    printf("removed while waiting: %s\n", res(msgrcv(id, &msg, sizeof msg.text, 0, 0)));
    waitpid(c, NULL, 0);
    printf("gone: %s\n", res(msgctl(id, IPC_STAT, &ds)));
    return 0;
}
