/*
 * Queue operations and IPC: a worker writes raw entries into the SQ of a queue it maps
 * (opcodes from SK_OPS, IPC action lists built from SK_ACTIONS, unknown opcodes and flags,
 * random tags), drives the queue and throws the completions away after counting them. It
 * also writes garbage over the headers and rings of its queues and over the headers of its
 * receive rings while the kernel uses them. No dispatcher is involved: these queues are the
 * kernel's to survive, not ours to use. Every write here stays inside our own mappings,
 * whose sizes we keep ourselves (the headers say whatever we scribbled last).
 */
#include "fuzz.h"

static const uint32_t opcodes[] = {
#define FZ_OP(name, code) SK_OP_##name,
    SK_OPS(FZ_OP)
#undef FZ_OP
};
#define NOPS (sizeof opcodes / sizeof opcodes[0])
_Static_assert(NOPS == SK_OP_COUNT, "the table is the list");

static const uint16_t actions[] = {
#define FZ_ACT(name, code) SK_ACT_##name,
    SK_ACTIONS(FZ_ACT)
#undef FZ_ACT
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static struct fz_queue *my_queue(struct fz_worker *w)
{
    int start = (int)below(w, FZ_QUEUES);
    for (int i = 0; i < FZ_QUEUES; i++)
        if (w->q[(start + i) % FZ_QUEUES].h)
            return &w->q[(start + i) % FZ_QUEUES];
    return NULL;
}

/* ---- IPC action lists ----------------------------------------------------------------------- */

static void gen_action(struct fz_worker *w, struct sk_action *a, struct sk_iovec *iov)
{
    *a = (struct sk_action){.type = actions[below(w, NACTIONS)]};
    if (one_in(w, 32))
        a->type = one_in(w, 2) ? 0 : (uint16_t)rnd(w);
    struct fz_entry e;
    switch (a->type) {
    case SK_ACT_offer:
    case SK_ACT_accept:
        if (one_in(w, 2))
            a->flags |= SK_ACTF_WANT_LANE;
        break;
    case SK_ACT_send:
        a->buf = gen_raddr(w);
        a->len = one_in(w, 2) ? below(w, SK_IPC_STAGE_MAX + 1) : gen_len(w);
        break;
    case SK_ACT_send_sg:
        a->buf = one_in(w, 8) ? gen_badaddr(w) : (uint64_t)iov;
        a->len = below(w, SK_IPC_MAX_SG + 2);
        break;
    case SK_ACT_recv_inline:
        a->len = one_in(w, 8) ? gen_size(w) : below(w, 130);
        break;
    case SK_ACT_recv:
        a->buf = gen_waddr(w);
        a->len = gen_len(w);
        break;
    case SK_ACT_push: /* lands in our own universe (only we pull): a universe there is no cycle */
        a->handle = gen_handle(w, SK_OBJ_NONE, R_COPY);
        a->rights = gen_rights(w);
        break;
    case SK_ACT_pull:
        a->rights = one_in(w, 2) ? 0 : gen_rights(w);
        break;
    case SK_ACT_imbue:
        a->handle = one_in(w, 3) ? 0 : gen_handle(w, one_in(w, 2) ? SK_OBJ_TOKEN : SK_OBJ_THREAD, R_THREAD);
        break;
    case SK_ACT_recv_ring:
        if (one_in(w, 2) && w->ring[0].mem)
            a->handle = w->ring[below(w, FZ_RINGS)].mem;
        else if (pool_pick(w, SK_OBJ_MEMORY, &e))
            a->handle = e.h;
        else
            a->handle = gen_handle(w, SK_OBJ_MEMORY, R_OBJ);
        break;
    default:
        break;
    }
    if (one_in(w, 24)) { /* fields the action does not use must be 0 */
        switch (below(w, 4)) {
        case 0:
            a->rights = (uint32_t)rnd(w);
            break;
        case 1:
            a->buf = gen_any(w);
            break;
        case 2:
            a->len = gen_any(w);
            break;
        default:
            a->handle = gen_handle(w, SK_OBJ_NONE, R_COPY);
            break;
        }
    }
    if (one_in(w, 32))
        a->flags |= (uint16_t)rnd(w);
}

/* A list of actions, with nested lists after offers and accepts; returns actions written. */
static unsigned gen_list(struct fz_worker *w, struct sk_action *a, unsigned room, int depth,
                         struct sk_iovec *iov)
{
    unsigned n = 0, len = 1 + (unsigned)below(w, 4);
    for (unsigned k = 0; k < len && n < room; k++) {
        struct sk_action *x = &a[n++];
        gen_action(w, x, iov);
        if ((x->type == SK_ACT_offer || x->type == SK_ACT_accept) && n < room &&
            depth <= SK_IPC_MAX_DEPTH && one_in(w, 2)) {
            x->flags |= SK_ACTF_ANCILLARY;
            n += gen_list(w, a + n, room - n, depth + 1, iov);
        }
        if (k + 1 < len)
            x->flags |= SK_ACTF_CHAIN;
    }
    return n;
}

/* The arguments of an ipc operation: a lane, an action list, its count, flags. */
static void gen_ipc(struct fz_worker *w, struct sk_sqe *e, unsigned slot)
{
    struct sk_action *a = w->acts[slot];
    struct sk_iovec *iov = w->iov[slot];
    for (int i = 0; i < SK_IPC_MAX_SG + 2; i++)
        iov[i] = (struct sk_iovec){gen_raddr(w), one_in(w, 4) ? gen_len(w) : below(w, 64)};
    unsigned n = gen_list(w, a, SK_IPC_MAX_ACTIONS + (one_in(w, 16) ? 2 : 0), 1, iov);
    sk_handle_t lane = gen_handle(w, SK_OBJ_LANE, R_OBJ);
    if (fz.shared && one_in(w, 6))
        lane = fz.shared; /* to the other child */
    e->args[0] = (uint64_t)lane;
    e->args[1] = one_in(w, 16) ? (one_in(w, 2) ? gen_badaddr(w) : gen_waddr(w)) : (uint64_t)a;
    e->args[2] = one_in(w, 8) ? (one_in(w, 2) ? below(w, SK_IPC_MAX_ACTIONS + 3) : gen_any(w)) : n;
    e->args[3] = 0;
    if (one_in(w, 8)) {
        e->args[3] = SK_IPC_CLOSE; /* the kernel closes the lane handle */
        pool_forget(lane);
    } else if (one_in(w, 32)) {
        e->args[3] = rnd(w);
    }
}

/* ---- matched chains: one on each lane of a stream, built to fit each other ---------------- */

static uint8_t sendbuf[64 * 1024]; /* what well-formed sends send: readable, never written */

/* A receive for a send of len bytes: inline, into a buffer of the arena, or a ring. */
static void fit_recv(struct fz_worker *w, struct sk_action *a, uint64_t len)
{
    if (len <= 120 && one_in(w, 2))
        *a = SK_ACT_RECV_INLINE(0, len + below(w, 121 - len));
    else
        *a = SK_ACT_RECV(0, (void *)(ARENA_BASE + SK_PAGE_SIZE * below(w, 32)), len + below(w, 64));
}

static void fit_send(struct fz_worker *w, struct sk_action *a, uint64_t len)
{
    *a = SK_ACT_SEND(0, sendbuf + below(w, sizeof sendbuf - len), len);
}

/* Lists for lane a (x) and lane b (y) that match action for action; returns via *nx, *ny. */
static void gen_matched(struct fz_worker *w, struct sk_action *x, unsigned *nx, struct sk_action *y,
                        unsigned *ny, struct sk_iovec *iov)
{
    uint64_t len = one_in(w, 4) ? below(w, sizeof sendbuf / 4) : below(w, SK_IPC_STAGE_MAX + 1);
    struct fz_entry e;
    *nx = *ny = 1;
    switch (below(w, 9)) {
    case 0: /* send / receive */
        fit_send(w, x, len);
        fit_recv(w, y, len);
        break;
    case 1: { /* several of them in one list each */
        unsigned n = 2 + (unsigned)below(w, 6);
        for (unsigned i = 0; i < n; i++) {
            uint64_t l = below(w, SK_IPC_STAGE_MAX + 1);
            fit_send(w, &x[i], l);
            fit_recv(w, &y[i], l);
            if (i + 1 < n)
                x[i].flags |= SK_ACTF_CHAIN, y[i].flags |= SK_ACTF_CHAIN;
        }
        *nx = *ny = n;
        break;
    }
    case 2: /* the canonical request: offer { send, recv_inline } / accept { recv_inline, send } */
        x[0] = SK_ACT_OFFER(SK_ACTF_ANCILLARY | (one_in(w, 2) ? SK_ACTF_WANT_LANE : 0));
        fit_send(w, &x[1], len % 100);
        x[1].flags |= SK_ACTF_CHAIN;
        x[2] = SK_ACT_RECV_INLINE(0, 64);
        y[0] = SK_ACT_ACCEPT(SK_ACTF_ANCILLARY | (one_in(w, 2) ? SK_ACTF_WANT_LANE : 0));
        y[1] = SK_ACT_RECV_INLINE(SK_ACTF_CHAIN, 100);
        fit_send(w, &y[2], below(w, 65));
        *nx = *ny = 3;
        break;
    case 3: /* a handle */
        x[0] = sk_act_push(0, pool_pick(w, SK_OBJ_NONE, &e) ? e.h : 0, gen_rights(w) & SK_RIGHTS_ALL);
        y[0] = sk_act_pull(0, one_in(w, 2) ? 0 : gen_rights(w) & SK_RIGHTS_ALL);
        break;
    case 4: /* credentials */
        x[0] = sk_act_imbue(0, one_in(w, 2) ? 0 : gen_handle(w, SK_OBJ_TOKEN, R_THREAD));
        y[0] = SK_ACT_EXTRACT(0);
        break;
    case 5: /* a dismiss meets anything */
        x[0] = SK_ACT_DISMISS(0);
        fit_recv(w, y, len);
        break;
    case 6: /* scatter-gather */
        for (int i = 0; i < 4; i++)
            iov[i] = (struct sk_iovec){(uint64_t)sendbuf + below(w, 1024), below(w, 32)};
        x[0] = SK_ACT_SEND_SG(0, iov, 1 + below(w, 4));
        fit_recv(w, y, 128);
        break;
    case 7: { /* a receive ring against a run of sends */
        struct fz_ring *r = &w->ring[below(w, FZ_RINGS)];
        if (!r->mem)
            return fz_scribble(w), (void)(*nx = *ny = 0);
        if (one_in(w, 2))
            r->hdr->notify = 0;
        y[0] = (struct sk_action){.type = SK_ACT_recv_ring, .handle = r->mem};
        unsigned n = 1 + (unsigned)below(w, 8);
        for (unsigned i = 0; i < n; i++) {
            fit_send(w, &x[i], below(w, SK_IPC_STAGE_MAX + 1));
            if (i + 1 < n)
                x[i].flags |= SK_ACTF_CHAIN;
        }
        *nx = n;
        break;
    }
    default: /* a large send, copied between the spaces at match time */
        len = SK_PAGE_SIZE + below(w, sizeof sendbuf - SK_PAGE_SIZE);
        fit_send(w, x, len);
        y[0] = SK_ACT_RECV(0, (void *)(ARENA_BASE + SK_PAGE_SIZE * below(w, 16)), len);
        break;
    }
}

/* ---- one operation ---------------------------------------------------------------------------- */

static void gen_op(struct fz_worker *w, struct fz_queue *fq, struct sk_sqe *e, unsigned slot)
{
    uint32_t op = opcodes[below(w, NOPS)];
    if (one_in(w, 3))
        op = SK_OP_ipc; /* the largest surface */
    if (one_in(w, 32))
        op = one_in(w, 2) ? SK_OP_COUNT + (uint32_t)below(w, 4) : (uint32_t)rnd(w);
    e->opcode = op;
    e->flags = one_in(w, 6) ? SK_SQE_SKIP_SUCCESS : 0;
    if (one_in(w, 32))
        e->flags = (uint32_t)rnd(w);
    e->tag = (w->tagseq++ << 16) | 0xa500 | (op & 0xff);
    if (one_in(w, 32))
        e->tag = rnd(w);
    fq->tags[w->tagseq % 8] = e->tag;
    for (int i = 0; i < 6; i++)
        e->args[i] = 0;
    uint64_t addr, len, now = 0;
    sk_handle_t space;
    switch (op) {
    case SK_OP_nop:
        break;
    case SK_OP_clock_await:
        sk_clock_get(&now);
        switch (below(w, 5)) {
        case 0:
            e->args[0] = 0;
            break;
        case 1:
            e->args[0] = now + below(w, MS);
            break;
        case 2:
            e->args[0] = now + 10000 * MS; /* waits until cancelled or the queue goes */
            break;
        case 3:
            e->args[0] = ~0ull - below(w, 2);
            break;
        default:
            e->args[0] = now - below(w, MS);
            break;
        }
        break;
    case SK_OP_event_await:
        e->args[0] = (uint64_t)gen_handle(w, SK_OBJ_EVENT, R_OBJ);
        e->args[1] = one_in(w, 2) ? below(w, 4) : gen_any(w);
        break;
    case SK_OP_cancel:
        e->args[0] = one_in(w, 4) ? rnd(w) : fq->tags[below(w, 8)];
        break;
    case SK_OP_mem_protect:
        space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
        gen_range_in(w, space, &addr, &len);
        e->args[0] = (uint64_t)space;
        e->args[1] = addr;
        e->args[2] = len;
        e->args[3] = gen_prot(w);
        break;
    case SK_OP_mem_read:
    case SK_OP_mem_write:
        space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
        e->args[0] = (uint64_t)space;
        if (op == SK_OP_mem_write && space == SK_THIS_SPACE) /* written: the arena only */
            e->args[1] = one_in(w, 2) ? gen_waddr(w) : (gen_arena_range(w, &e->args[1], &len), e->args[1]);
        else if (one_in(w, 4))
            e->args[1] = gen_raddr(w);
        else
            gen_range_in(w, space, &e->args[1], &len);
        if (one_in(w, 4) && e->args[1] >= ARENA_BASE + SK_PAGE_SIZE)
            e->args[1] -= below(w, SK_PAGE_SIZE); /* not page aligned (and still not below it) */
        e->args[2] = op == SK_OP_mem_read ? gen_waddr(w) : gen_raddr(w);
        e->args[3] = gen_len(w);
        break;
    case SK_OP_mem_copy: /* source space, addr, target space, addr, len */
        space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
        e->args[0] = (uint64_t)space;
        if (one_in(w, 4))
            e->args[1] = gen_raddr(w);
        else
            gen_range_in(w, space, &e->args[1], &len);
        space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
        e->args[2] = (uint64_t)space;
        if (space == SK_THIS_SPACE) /* written: the arena only */
            e->args[3] = one_in(w, 2) ? gen_waddr(w) : (gen_arena_range(w, &e->args[3], &len), e->args[3]);
        else
            gen_range_in(w, space, &e->args[3], &len);
        e->args[4] = gen_len(w);
        break;
    case SK_OP_mem_fork:
        e->args[0] = (uint64_t)gen_handle(w, SK_OBJ_MEMORY, R_OBJ);
        break;
    case SK_OP_observe: /* never SK_THIS_THREAD: a worker must not become observed */
        e->args[0] = (uint64_t)gen_handle(w, SK_OBJ_THREAD, R_OBJ);
        break;
    case SK_OP_irq_await:
        e->args[0] = (uint64_t)gen_handle(w, SK_OBJ_IRQ, R_OBJ);
        e->args[1] = one_in(w, 2) ? below(w, 3) : gen_any(w);
        break;
    case SK_OP_ipc:
        gen_ipc(w, e, slot);
        break;
    default: /* unknown opcodes, and any operation without a generator of its own */
        for (int i = 0; i < 6; i++) {
            e->args[i] = gen_any(w);
            if (pool_is_private((sk_handle_t)e->args[i]))
                e->args[i] = (uint64_t)pool_stale(w);
        }
        break;
    }
    if (one_in(w, 32)) /* arguments an operation does not use must be 0 */
        e->args[1 + below(w, 5)] = gen_any(w) | (1ull << 40);
    if (op < FZ_MAX_OPS)
        w->local_op_total[op]++;
    w->calls++;
}

/* Two ipc entries, one on each lane of a stream this worker made. */
static uint32_t gen_pair(struct fz_worker *w, struct fz_queue *fq, struct sk_sqe *sq, uint32_t tail,
                         uint32_t room)
{
    struct fz_pair *p = &w->pairs[below(w, FZ_PAIRS)];
    if (room < 2)
        return 0;
    if (!p->a || one_in(w, 2)) {
        /* a fresh stream: on one used for a while, actions left waiting by random lists
           (a pull no push ever meets) come first, and ours fail with mismatches */
        sk_handle_t l[2] = {0, 0};
        fz_note(w, SK_SYS_stream_create - SK_SYSCALL_BASE, sk_stream_create(0, 0, l));
        if (!l[0])
            return 0;
        pool_add(w, l[0], SK_OBJ_LANE, SK_RIGHTS_ALL, 0);
        pool_add(w, l[1], SK_OBJ_LANE, SK_RIGHTS_ALL, 0);
        *p = (struct fz_pair){l[0], l[1]};
    }
    unsigned nx, ny;
    gen_matched(w, w->acts[0], &nx, w->acts[1], &ny, w->iov[0]);
    if (!nx || !ny)
        return 0;
    int swap = one_in(w, 2);
    for (uint32_t i = 0; i < 2; i++) {
        struct sk_sqe *e = &sq[(tail + i) & (fq->sq_entries - 1)];
        e->opcode = SK_OP_ipc;
        e->flags = one_in(w, 8) ? SK_SQE_SKIP_SUCCESS : 0;
        e->tag = (w->tagseq++ << 16) | 0xa500 | SK_OP_ipc;
        e->args[0] = (uint64_t)((i ^ swap) ? p->b : p->a);
        e->args[1] = (uint64_t)w->acts[i];
        e->args[2] = i ? ny : nx;
        e->args[3] = e->args[4] = e->args[5] = 0;
        w->local_op_total[SK_OP_ipc]++;
        w->calls++;
    }
    return 2;
}

void fz_retire_queue(struct fz_worker *w, struct fz_queue *fq)
{
    (void)w;
    if (!fq->h)
        return;
    sk_space_unmap(SK_THIS_SPACE, (uint64_t)fq->hdr, fq->size);
    if (sk_handle_close(fq->h) == SK_OK) /* its last handle, unless the pool has more */
        pool_forget(fq->h);
    *fq = (struct fz_queue){0};
}

void fz_queue_batch(struct fz_worker *w)
{
    struct fz_queue *fq = my_queue(w);
    if (!fq)
        return;
    struct sk_queue_header *hdr = fq->hdr;
    struct sk_sqe *sq = (struct sk_sqe *)((uint8_t *)hdr + sizeof *hdr);
    struct sk_cqe *cq = (struct sk_cqe *)(sq + fq->sq_entries);
    uint32_t n = 1 + (uint32_t)below(w, FZ_BATCH);
    if (n > fq->sq_entries)
        n = fq->sq_entries;
    uint32_t tail = hdr->sq_tail, first = 0;
    if (tail - hdr->sq_head > fq->sq_entries - n && !one_in(w, 8))
        tail = hdr->sq_head; /* scribbled over, or full: start again where the kernel is */
    if (one_in(w, 2))
        first = gen_pair(w, fq, sq, tail, n);
    for (uint32_t i = first; i < n; i++)
        gen_op(w, fq, &sq[(tail + i) & (fq->sq_entries - 1)], i);
    __atomic_store_n(&hdr->sq_tail, tail + (one_in(w, 16) ? (uint32_t)below(w, 2 * n + 2) : n),
                     __ATOMIC_RELEASE);
    if (one_in(w, 16))
        fz_scribble(w);
    sk_handle_t qh = one_in(w, 16) ? gen_handle(w, SK_OBJ_QUEUE, R_OBJ) : fq->h;
    uint64_t done = 0;
    sk_error_t err = sk_queue_drive(qh, below(w, 3), gen_timeout(w), &done);
    fz_note(w, SK_SYS_queue_drive - SK_SYSCALL_BASE, err);
    /* operations that wait for ever (timers far ahead, events nobody raises, lists nobody
       matches) fill the queue until the kernel takes nothing more: then it goes, and the
       kernel cancels them all */
    if (qh == fq->h && (err == SK_ERR_BAD_HANDLE || /* closed by a random call */
                        ((err == SK_OK || err == SK_ERR_TIMEOUT) && done == 0 && ++fq->stuck >= 3))) {
        fz_retire_queue(w, fq);
        return;
    }
    if (done)
        fq->stuck = 0;
    /* count what completed well (ours since last time, by our tags), then give the slots back */
    uint32_t ctail = __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE);
    uint32_t avail = ctail - fq->cq_seen;
    if (avail > fq->cq_entries)
        avail = fq->cq_entries;
    for (uint32_t i = 0; i < avail; i++) {
        const struct sk_cqe *c = &cq[(ctail - avail + i) & (fq->cq_entries - 1)];
        uint32_t op = (uint32_t)c->tag & 0xff;
        if (c->error == SK_OK && (c->tag & 0xff00) == 0xa500 && op < FZ_MAX_OPS)
            w->local_op_ok[op]++;
    }
    fq->cq_seen = ctail;
    __atomic_store_n(&hdr->cq_head, one_in(w, 32) ? (uint32_t)rnd(w) : ctail, __ATOMIC_RELEASE);
}

/* ---- garbage over shared memory --------------------------------------------------------------- */

void fz_scribble(struct fz_worker *w)
{
    sk_atomic_add(&fz.stats->scribbles, 1);
    struct fz_ring *r = &w->ring[below(w, FZ_RINGS)];
    if (r->hdr && one_in(w, 2)) {
        /* a receive ring's header (and data) while an action may stand on it */
        volatile uint32_t *h = (volatile uint32_t *)r->hdr;
        uint32_t data = (uint32_t)(r->size - sizeof(struct sk_ipc_ring));
        switch (below(w, 6)) {
        case 0:
            h[below(w, 4)] = (uint32_t)rnd(w);
            break;
        case 1:
            r->hdr->tail = r->hdr->head; /* everything read */
            break;
        case 2:
            r->hdr->tail = (uint32_t)below(w, data) & ~7u;
            break;
        case 3:
            r->hdr->notify = (uint32_t)below(w, 2);
            break;
        case 4:
            r->hdr->tail = data - (uint32_t)below(w, 3) * 8;
            break;
        default:
            ((volatile uint8_t *)r->hdr)[sizeof(struct sk_ipc_ring) + below(w, data)] = (uint8_t)rnd(w);
            break;
        }
        return;
    }
    struct fz_queue *fq = my_queue(w);
    if (!fq)
        return;
    volatile uint32_t *words = (volatile uint32_t *)fq->hdr;
    switch (below(w, 6)) {
    case 0:
        words[below(w, 16)] = (uint32_t)rnd(w); /* any header word, the kernel's too */
        break;
    case 1:
        words[below(w, 4)] += (uint32_t)below(w, 16) - 8;
        break;
    case 2:
        words[below(w, fq->size / 4)] = (uint32_t)rnd(w); /* anywhere in the rings */
        break;
    case 3:
        words[16 + below(w, fq->sq_entries * 16)] = (uint32_t)rnd(w); /* an SQ entry */
        break;
    default: /* plausible indices again, so the kernel keeps taking entries */
        fq->hdr->sq_tail = fq->hdr->sq_head + (uint32_t)below(w, fq->sq_entries + 1u);
        fq->hdr->cq_head = fq->hdr->cq_tail - (uint32_t)below(w, fq->cq_entries + 1u);
        break;
    }
}
