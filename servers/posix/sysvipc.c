/*
 * What System V shared memory, semaphores and message queues share (sysvshm.c, sysvsem.c,
 * sysvmsg.c): the permissions every object starts with (struct ipcperm, its first member),
 * the tables of slots whose ids are the slot plus a sequence times 32768 (Linux's
 * ipc_buildid; slots taken round from a cursor as its idr_alloc_cyclic, so a stale id
 * misses), the get calls' key lookup and Linux's ipcperms check.
 */
#include "posix.h"

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define SEQ_MUL 32768

int ipc_may(struct proc *p, const struct ipcperm *ip, uint32_t want)
{
    if (p->euid == 0)
        return 1;
    uint32_t granted = ip->mode;
    if (p->euid == ip->uid || p->euid == ip->cuid)
        granted >>= 6;
    else if (proc_in_group(p, ip->gid, p->egid) || proc_in_group(p, ip->cgid, p->egid))
        granted >>= 3;
    return (want & ~granted & 7) == 0;
}

int ipc_owner(const struct proc *p, const struct ipcperm *ip)
{
    return p->euid == 0 || p->euid == ip->uid || p->euid == ip->cuid;
}

int64_t ipc_now(void)
{
    return (int64_t)((now_ns() + px.wall_offset_ns) / 1000000000ull);
}

void *ipc_of(const struct ipctab *tb, int id)
{
    if (id < 0 || id % SEQ_MUL >= tb->n)
        return NULL;
    struct ipcperm *ip = tb->slots[id % SEQ_MUL];
    return ip && ip->id == id ? ip : NULL;
}

void *ipc_at(const struct ipctab *tb, int idx)
{
    return idx >= 0 && idx < tb->n ? tb->slots[idx] : NULL;
}

void *ipc_find(const struct ipctab *tb, struct proc *p, int32_t key, uint32_t flg, long *err)
{
    *err = 0;
    if (key == IPC_PRIVATE)
        return NULL;
    for (int i = 0; i < tb->n; i++) {
        struct ipcperm *ip = tb->slots[i];
        if (!ip || ip->key != key)
            continue;
        if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
            *err = -LX_EEXIST;
        else if (!ipc_may(p, ip, (flg & 0777) >> 6 | (flg & 0777) >> 3 | (flg & 0777)))
            *err = -LX_EACCES;
        return *err ? NULL : ip;
    }
    if (!(flg & IPC_CREAT))
        *err = -LX_ENOENT;
    return NULL;
}

int ipc_free_slot(const struct ipctab *tb)
{
    for (int k = 0; k < tb->n; k++)
        if (!tb->slots[(tb->cursor + k) % tb->n])
            return (tb->cursor + k) % tb->n;
    return -1;
}

int ipc_add(struct ipctab *tb, int slot, struct ipcperm *ip, struct proc *p, int32_t key,
            uint32_t flg)
{
    ip->key = key;
    ip->uid = ip->cuid = p->euid;
    ip->gid = ip->cgid = p->egid;
    ip->mode = flg & 0777;
    ip->seq = tb->next_seq++; /* (one counter for all, as Linux: ids stay positive) */
    ip->id = ip->seq * SEQ_MUL + slot;
    tb->slots[slot] = ip;
    tb->cursor = (slot + 1) % tb->n;
    return ip->id;
}

void ipc_del(struct ipctab *tb, const struct ipcperm *ip)
{
    if (ip->id % SEQ_MUL < tb->n && tb->slots[ip->id % SEQ_MUL] == ip)
        tb->slots[ip->id % SEQ_MUL] = NULL;
}

int ipc_highest(const struct ipctab *tb, int *used)
{
    int highest = 0;
    *used = 0;
    for (int i = 0; i < tb->n; i++)
        if (tb->slots[i])
            highest = i, (*used)++;
    return highest;
}
