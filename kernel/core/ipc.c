/*
 * IPC actions (docs/ipc.md): the `ipc` queue operation. A submission is a
 * chain: a list of actions for one lane, in which an offer or accept may carry
 * a nested list for the stream it creates. The submitter's thread checks the
 * whole chain and copies what it needs (small sends, scatter-gather lists,
 * pushed objects, credentials) before posting anything; then every action
 * either waits on its stream or is matched at once with the peer's first
 * waiting action, and the pair is performed by the thread that matched it,
 * with no locks held (copies may fault pages in). A receive ring (recv_ring)
 * is matched with a run of the peer's sends instead, each written into its
 * memory as a record under the stream's lock (see "receive rings" below). Each action completes
 * exactly once; the chain completes, as one CQE holding every action's result
 * record, when its last action has.
 *
 * Action states: NEW (not posted), PENDING (on a stream's FIFO), TAKEN (off
 * it, owned by whoever completes it), DONE. PENDING -> TAKEN happens only
 * under the stream's lock, by a matcher, a canceller, or the end of a lane.
 *
 * Lock order: a stream lock is a leaf, except that kobj_get is called under
 * it; kobj_put, copies and completions happen with no lock held.
 */
#include <k/ipc.h>
#include <k/async.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/uaccess.h>
#include <k/urange.h>
#include <k/sched.h>
#include <k/thread.h>
#include <k/heap.h>
#include <base/string.h>
#include <arch/layout.h>

enum { ACT_NEW, ACT_PENDING, ACT_TAKEN, ACT_DONE };
/* How a post_list took an action: matched into a pair, taken by a ring as a record, or a ring
   whose posting ended. */
enum { FATE_PAIR, FATE_FED, FATE_END };

struct ipc_chain;

struct ipc_action {
    struct ipc_chain *chain;
    struct ipc_action *next, *prev; /* the stream's FIFO while PENDING */
    struct stream *volatile stream; /* where it was posted (the chain holds a memory ref) */
    union {
        struct sk_action ua;        /* as submitted (copied whole) ... */
        struct {                    /* ... and its fields; send_sg: len becomes the total */
            uint16_t type, flags;
            uint32_t rights;
            uint64_t buf, len;
            sk_handle_t handle;
        };
    };
    int16_t child, sibling;         /* nested list / next of this list; -1 none */
    uint16_t result_off;            /* its record in the results (the op's data) */
    uint8_t state, side, holds_lane;
    uint8_t niov;
    uint8_t staged;                 /* a send's bytes were copied at submission: stage */
    uint8_t fate;                   /* how post_list took it (FATE_*) */
    int16_t ring_err;               /* FATE_FED, FATE_END: its result */
    union {
        uint8_t *stage;             /* a small send's bytes */
        struct sk_iovec *iov;       /* a large send's buffers */
    };
    union {
        struct {
            struct kobject *obj;    /* push: the object (a reference until the chain ends;
                                       weak for a universe, see universe_weak_get);
                                       recv_ring: the ring's memory object (a reference) */
            union {
                struct {
                    uint32_t obj_rights;
                    uint8_t obj_weak;
                };
                struct {            /* recv_ring (stage: the data area, len: its size) */
                    uint32_t ring_head;  /* the next record's offset (ours, not the user's) */
                    uint32_t ring_count; /* records written in this posting */
                };
            };
        };
        uint8_t creds[SK_CREDENTIALS_SIZE]; /* imbue */
    };
};

struct ipc_chain {
    struct async_op *op;
    volatile uint32_t remaining;    /* actions not DONE */
    volatile int cancelled;
    uint16_t n, results_len;
    uint16_t first_failed;          /* index of the first action that failed (n: none yet) */
    uint8_t in_op : 1;              /* lives in the op's provider area (else kmalloc'd) */
    uint8_t pushes : 1;             /* has push or recv_ring actions (whose objects it may hold) */
    uint8_t flat : 1;               /* one list, no nested ones */
    uint8_t blocks;                 /* kmalloc'd: its size in 64-byte units (for kfree_sized) */
    struct universe *universe;      /* a weak reference when handles may be inserted (a strong
                                       one would keep the process's handles, and so maybe
                                       the lanes this chain waits on, alive) */
    struct vm_space *space;         /* a reference when user buffers are used */
    struct ipc_action acts[];       /* then the iovec arrays and staged bytes */
};

/* A call (offer, send of up to 16 bytes, recv_inline) needs no heap object but its op. */
_Static_assert(sizeof(struct ipc_chain) + 3 * sizeof(struct ipc_action) + 16 <=
                   ASYNC_PROVIDER_BYTES, "the canonical call fits in the op");

/* The result records are written where the CQE's inline data waits: the op's data. */
static uint8_t *results(struct ipc_chain *c)
{
    return c->op->data;
}

/* What each action type uses and is: the fields it may set, whether it sends. */
enum { P_BUF = 1, P_LEN = 2, P_HANDLE = 4, P_RIGHTS = 8, P_SENDER = 16, P_NEST = 32,
       P_LOAD = 64 /* load_action has more to do (a large send too) */ };
static const uint8_t act_props[SK_ACT_LIMIT] = {
    [SK_ACT_offer] = P_SENDER | P_NEST,
    [SK_ACT_accept] = P_NEST,
    [SK_ACT_send] = P_BUF | P_LEN | P_SENDER | P_LOAD,
    [SK_ACT_send_sg] = P_BUF | P_LEN | P_SENDER | P_LOAD,
    [SK_ACT_recv_inline] = P_LEN,
    [SK_ACT_recv] = P_BUF | P_LEN,
    [SK_ACT_push] = P_HANDLE | P_RIGHTS | P_SENDER | P_LOAD,
    [SK_ACT_pull] = P_RIGHTS,
    [SK_ACT_imbue] = P_HANDLE | P_SENDER | P_LOAD,
    [SK_ACT_extract] = 0,
    [SK_ACT_dismiss] = 0,
    [SK_ACT_recv_ring] = P_HANDLE | P_LOAD,
};

static int is_sender(unsigned t)
{
    return act_props[t] & P_SENDER;
}

/* The right an action needs of the lane it is posted on (a dismiss: either, see submit_chain). */
static uint32_t lane_right_needed(unsigned t)
{
    return t == SK_ACT_dismiss ? 0 : is_sender(t) ? SK_RIGHT_WRITE : SK_RIGHT_READ;
}

/* ---- completion ------------------------------------------------------------------- */

static void post_list(struct stream *s, int side, struct ipc_chain *c, int first);

static void drop_obj(struct ipc_action *a)
{
    if ((a->type != SK_ACT_push && a->type != SK_ACT_recv_ring) || !a->obj)
        return;
    if (a->type == SK_ACT_push && a->obj_weak)
        universe_weak_put((struct universe *)a->obj);
    else
        kobj_put(a->obj);
    a->obj = NULL;
}

/* Let go of the pushed objects, the universe and the space the chain holds. */
static void chain_drop_refs(struct ipc_chain *c)
{
    for (unsigned i = 0; c->pushes && i < c->n; i++)
        drop_obj(&c->acts[i]);
    c->pushes = 0;
    if (c->universe)
        universe_weak_put(c->universe);
    if (c->space)
        kobj_put(vm_space_kobj(c->space));
    c->universe = NULL;
    c->space = NULL;
}

/* The chain's last action is done: post the CQE and let go of what the chain held. */
static void chain_finish(struct ipc_chain *c)
{
    sk_error_t first = SK_OK;
    if (c->first_failed < c->n) {
        struct sk_ipc_result r;
        memcpy(&r, results(c) + c->acts[c->first_failed].result_off, sizeof r);
        first = (sk_error_t)r.error;
    }
    chain_drop_refs(c);
    /* the op (and with it c, through ipc_release) may be freed inside this call */
    async_complete_data(c->op, first, c->n, 0, results(c), c->results_len);
}

static void record(struct ipc_chain *c, struct ipc_action *a, sk_error_t err, uint32_t length)
{
    struct sk_ipc_result r = {.error = err, .length = length};
    memcpy(results(c) + a->result_off, &r, sizeof r);
}

/* (inline at every call: it runs once per action, and a call's prologue is a good part of it) */
static inline __attribute__((always_inline)) void act_done(struct ipc_action *a, sk_error_t err,
                                                           uint32_t length);

/* Every action of the list from `first` (and their nested lists) fails with err, unposted. */
static __attribute__((noinline)) void fail_list(struct ipc_chain *c, int first, sk_error_t err)
{
    for (int i = first; i >= 0; i = c->acts[i].sibling)
        act_done(&c->acts[i], err, 0);
}

/*
 * Action a is complete with err (and length bytes received), except for its
 * chain's count of actions not done, which the caller lowers (chain_sub): a
 * poster that completes many actions of one chain lowers it once. A failed
 * offer or accept takes its nested list down with it. Drops a's hold on its
 * lane. No locks held.
 */
static inline __attribute__((always_inline)) void act_settle(struct ipc_action *a, sk_error_t err,
                                                             uint32_t length)
{
    struct ipc_chain *c = a->chain;
    a->state = ACT_DONE;
    if (err != SK_OK || length) /* (a record is all zero until written: SK_OK, 0 bytes) */
        record(c, a, err, length);
    if (err != SK_OK) {
        /* the completion's error is the first failed action's, in array order */
        uint16_t i = (uint16_t)(a - c->acts), cur = __atomic_load_n(&c->first_failed,
                                                                    __ATOMIC_RELAXED);
        while (i < cur && !__atomic_compare_exchange_n(&c->first_failed, &cur, i, 0,
                                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        if (a->child >= 0)
            fail_list(c, a->child, err);
    }
    if (a->holds_lane) {
        a->holds_lane = 0;
        kobj_put(&a->stream->lanes[a->side].obj);
    }
}

/* k more actions of c are done (settled); the last one finishes the chain, which may free c. */
static inline __attribute__((always_inline)) void chain_sub(struct ipc_chain *c, uint32_t k)
{
    if (__atomic_sub_fetch(&c->remaining, k, __ATOMIC_ACQ_REL) == 0)
        chain_finish(c);
}

static inline __attribute__((always_inline)) void act_done(struct ipc_action *a, sk_error_t err,
                                                           uint32_t length)
{
    act_settle(a, err, length);
    chain_sub(a->chain, 1);
}

/* The payload slot after a's result record (received bytes, a handle, credentials). */
static uint8_t *payload(struct ipc_action *a)
{
    return results(a->chain) + a->result_off + sizeof(struct sk_ipc_result);
}

static void put_handle(struct ipc_action *a, sk_handle_t h)
{
    memcpy(payload(a), &h, sizeof h);
}

/* ---- receive rings -------------------------------------------------------------------- */

/*
 * A recv_ring action stands at its place in the FIFO and takes each send the
 * peer posts as a record in the ring (docs/ipc.md). The ring is a contiguous
 * memory object the action holds a reference to, so the kernel writes it
 * through the direct map, from any thread, under the stream's lock, without
 * faults. The user owns tail and notify and may write anything there: each is
 * read once per use and checked; head is ours (ring_head) and only published.
 */

static struct sk_ipc_ring *ring_hdr(struct ipc_action *r)
{
    return (struct sk_ipc_ring *)(r->stage - sizeof(struct sk_ipc_ring));
}

/* The ring of recv_ring action r (its object m checked: contiguous, sized) as it is now. */
static sk_error_t ring_open(struct ipc_action *r, struct memobj *m)
{
    uint64_t phys = memobj_contig_phys(m), size = memobj_size(m);
    if (!phys || size < SK_IPC_RING_MIN || size > SK_IPC_RING_MAX)
        return SK_ERR_INVALID;
    struct sk_ipc_ring *h = phys_to_virt(phys);
    uint32_t data = (uint32_t)size - (uint32_t)sizeof *h;
    uint32_t head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
    uint32_t tail = __atomic_load_n(&h->tail, __ATOMIC_RELAXED);
    if (head >= data || tail >= data || ((head | tail) & 7))
        return SK_ERR_INVALID;
    h->size = data;
    r->stage = (uint8_t *)(h + 1);
    r->len = data;
    r->ring_head = head;
    r->ring_count = 0;
    return SK_OK;
}

/* Bytes free for records in ring r now, or -1 if the user's tail is garbage. Lock held. */
static int64_t ring_room(struct ipc_action *r)
{
    uint32_t size = (uint32_t)r->len, head = r->ring_head;
    uint32_t tail = __atomic_load_n(&ring_hdr(r)->tail, __ATOMIC_ACQUIRE);
    if (tail >= size || (tail & 7))
        return -1;
    uint32_t used = head >= tail ? head - tail : size - tail + head;
    return (int64_t)size - 8 - used; /* (8 kept free: full never looks empty) */
}

/* The space a record of len bytes takes at ring r's head, a wrap included. */
static uint32_t ring_need(struct ipc_action *r, uint32_t len)
{
    uint32_t need = sk_ipc_ring_record_size(len), left = (uint32_t)r->len - r->ring_head;
    return left < need ? need + left : need;
}

/* Write a record (err, len bytes of src) at ring r's head; the caller checked the room. */
static inline __attribute__((always_inline)) void ring_put(struct ipc_action *r, sk_error_t err,
                                                           const void *src, uint32_t len)
{
    uint32_t size = (uint32_t)r->len, head = r->ring_head, need = sk_ipc_ring_record_size(len);
    if (__builtin_expect(size - head < need, 0)) {
        struct sk_ipc_result w = {.error = 0, .length = SK_IPC_RING_WRAP};
        memcpy(r->stage + head, &w, sizeof w);
        head = 0;
    }
    struct sk_ipc_result rec = {.error = err, .length = len};
    memcpy(r->stage + head, &rec, sizeof rec);
    if (len)
        memcpy_small(r->stage + head + sizeof rec, src, len);
    head += need;
    r->ring_head = head == size ? 0 : head;
    r->ring_count++;
}

/* What happened when a partner met a ring (ring_take). */
enum { TAKE_FED, TAKE_FULL, TAKE_BAD, TAKE_FAIL };

/*
 * Partner x meets ring r (lock held). TAKE_FED: a small send, now a record in
 * the ring. TAKE_FULL: its record does not fit (the posting ends with SK_OK, x
 * meets what follows). TAKE_BAD: the user's tail is garbage (the posting ends
 * with SK_ERR_INVALID, x meets what follows). TAKE_FAIL: x cannot go into a
 * ring (a large send: SK_ERR_BUFFER_TOO_SMALL; anything else but a dismiss:
 * SK_ERR_MISMATCH, in *err), and both fail with it, as any pair would.
 */
static int ring_take(struct ipc_action *r, struct ipc_action *x, sk_error_t *err)
{
    if ((x->type != SK_ACT_send && x->type != SK_ACT_send_sg) || !x->staged) {
        *err = x->type == SK_ACT_send || x->type == SK_ACT_send_sg ? SK_ERR_BUFFER_TOO_SMALL
                                                                   : SK_ERR_MISMATCH;
        return TAKE_FAIL;
    }
    *err = SK_OK;
    int64_t room = ring_room(r);
    if (room < 0)
        return TAKE_BAD;
    if (room < ring_need(r, (uint32_t)x->len))
        return TAKE_FULL;
    ring_put(r, SK_OK, x->stage, (uint32_t)x->len);
    return TAKE_FED;
}

/* Whether n small sends (ua; `bytes` the records they make, no wrap counted) all fit ring r
   now. Lock held. */
static int ring_fits(struct ipc_action *r, const struct sk_action *ua, unsigned n, uint32_t bytes)
{
    int64_t room = ring_room(r);
    if (room >= (int64_t)bytes + (int64_t)sk_ipc_ring_record_size(SK_IPC_RING_MSG_MAX))
        return 1;
    /* (near full: count the wrap exactly) */
    uint32_t size = (uint32_t)r->len, h = r->ring_head;
    int64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t need = sk_ipc_ring_record_size((uint32_t)ua[i].len), left = size - h;
        if (left < need) {
            total += left;
            h = 0;
        }
        total += need;
        h += need;
        if (h == size)
            h = 0;
    }
    return room >= 0 && total <= room;
}

/*
 * n small sends (ua, checked to fit) into ring r: their bytes from stage[i], or
 * with stage NULL straight from the current space's memory (user access open,
 * no faults). Returns nonzero if a user copy failed (the records are written
 * but not counted: r is as it was). Lock held.
 */
static inline __attribute__((always_inline)) uint64_t
ring_put_sends(struct ipc_action *r, const struct sk_action *ua, unsigned n,
               const uint8_t *const *stage)
{
    uint8_t *base = r->stage;
    uint32_t size = (uint32_t)r->len, head = r->ring_head;
    uint64_t left = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t len = (uint32_t)ua[i].len, need = sk_ipc_ring_record_size(len);
        if (__builtin_expect(size - head < need, 0)) {
            uint64_t w = (uint64_t)SK_IPC_RING_WRAP << 32; /* (error 0, length WRAP) */
            memcpy(base + head, &w, sizeof w);
            head = 0;
        }
        uint64_t rec = (uint64_t)len << 32; /* (error SK_OK, length) */
        memcpy(base + head, &rec, sizeof rec);
        if (stage)
            memcpy_small(base + head + 8, stage[i], len);
        else
            left |= uaccess_many_copy(base + head + 8, ua[i].buf, len);
        head += need;
        if (head == size)
            head = 0;
    }
    if (!left) {
        r->ring_head = head;
        r->ring_count += n;
    }
    return left;
}

/* n small sends (ua, their bytes at stage[], bytes the records they make) into ring r if all
   fit, else nothing. Lock held. */
static int ring_direct(struct ipc_action *r, const struct sk_action *ua, unsigned n,
                       const uint8_t *const *stage, uint32_t bytes)
{
    if (!ring_fits(r, ua, n, bytes))
        return 0;
    ring_put_sends(r, ua, n, stage);
    return 1;
}

/* Publish ring r's records; returns 1 if the posting ends now (it wrote, and the user asked
   to be told). Lock held. */
static int ring_publish(struct ipc_action *r)
{
    struct sk_ipc_ring *h = ring_hdr(r);
    __atomic_store_n(&h->head, r->ring_head, __ATOMIC_RELEASE);
    /* (the user stores notify, then reads head; we store head, then read notify) */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return r->ring_count && __atomic_load_n(&h->notify, __ATOMIC_RELAXED);
}

/* ---- performing a matched pair ------------------------------------------------------ */

static void do_offer(struct ipc_action *off, struct ipc_action *acc)
{
    struct stream *parent = off->stream;
    struct stream *ns = stream_new(parent->has_creds ? parent->creds : NULL);
    if (!ns) {
        act_done(off, SK_ERR_NO_MEMORY, 0);
        act_done(acc, SK_ERR_NO_MEMORY, 0);
        return;
    }
    struct ipc_action *side[2] = {off, acc};
    sk_error_t err[2] = {SK_OK, SK_OK};
    for (int i = 0; i < 2; i++) {
        struct ipc_action *a = side[i];
        if (a->flags & SK_ACTF_WANT_LANE) {
            sk_handle_t h = 0;
            err[i] = universe_insert(a->chain->universe, &ns->lanes[i].obj, LANE_RIGHTS, &h);
            if (!err[i])
                put_handle(a, h);
        }
    }
    for (int i = 0; i < 2; i++)
        if (!err[i] && side[i]->child >= 0)
            post_list(ns, i, side[i]->chain, side[i]->child);
    for (int i = 0; i < 2; i++)
        act_done(side[i], err[i], 0);
    kobj_put(&ns->lanes[0].obj);
    kobj_put(&ns->lanes[1].obj);
}

static void do_transfer(struct ipc_action *snd, struct ipc_action *rcv)
{
    uint64_t total = snd->len;
    sk_error_t err = SK_OK;
    if (total > rcv->len) {
        err = SK_ERR_BUFFER_TOO_SMALL;
    } else if (rcv->type == SK_ACT_recv_inline) {
        /* recv_inline takes at most SK_IPC_RESULTS_MAX, and sends that small are staged */
        memcpy(payload(rcv), snd->stage, total);
    } else if (snd->staged) {
        err = vm_copy_out(rcv->chain->space, rcv->buf, snd->stage, total);
    } else {
        uint64_t off = 0, done;
        for (unsigned i = 0; i < snd->niov && !err; i++) {
            err = vm_copy_between(rcv->chain->space, rcv->buf + off, snd->chain->space,
                                  snd->iov[i].base, snd->iov[i].len, &done);
            off += snd->iov[i].len;
        }
    }
    act_done(snd, err, 0);
    act_done(rcv, err, err ? 0 : (uint32_t)total);
}

static void do_push(struct ipc_action *push, struct ipc_action *pull)
{
    sk_error_t err = SK_OK;
    if ((push->obj_rights & pull->rights) != pull->rights) {
        err = SK_ERR_NO_RIGHTS;
    } else if (push->obj_weak && !kobj_get_unless_zero(push->obj)) {
        err = SK_ERR_DEAD; /* a universe that lost its last reference meanwhile */
    } else {
        sk_handle_t h = 0;
        err = universe_insert(pull->chain->universe, push->obj, push->obj_rights, &h);
        if (!err)
            put_handle(pull, h);
        if (push->obj_weak)
            kobj_put(push->obj);
    }
    act_done(push, err, 0);
    act_done(pull, err, 0);
}

static void do_creds(struct ipc_action *imbue, struct ipc_action *extract)
{
    struct stream *s = imbue->stream;
    memcpy(payload(extract),
           s->has_creds ? s->creds : imbue->creds, SK_CREDENTIALS_SIZE);
    act_done(imbue, SK_OK, 0);
    act_done(extract, SK_OK, 0);
}

/* a and b (different sides) were matched: both TAKEN. No locks held. */
static void perform(struct ipc_action *a, struct ipc_action *b)
{
    if (is_sender(b->type) && !is_sender(a->type)) {
        struct ipc_action *t = a;
        a = b;
        b = t;
    }
    unsigned ta = a->type, tb = b->type;
    if (ta == SK_ACT_dismiss || tb == SK_ACT_dismiss) {
        act_done(a, ta == SK_ACT_dismiss ? SK_OK : SK_ERR_DISMISSED, 0);
        act_done(b, tb == SK_ACT_dismiss ? SK_OK : SK_ERR_DISMISSED, 0);
    } else if (ta == SK_ACT_offer && tb == SK_ACT_accept) {
        do_offer(a, b);
    } else if ((ta == SK_ACT_send || ta == SK_ACT_send_sg) &&
               (tb == SK_ACT_recv || tb == SK_ACT_recv_inline)) {
        do_transfer(a, b);
    } else if (ta == SK_ACT_push && tb == SK_ACT_pull) {
        do_push(a, b);
    } else if (ta == SK_ACT_imbue && tb == SK_ACT_extract) {
        do_creds(a, b);
    } else {
        act_done(a, SK_ERR_MISMATCH, 0);
        act_done(b, SK_ERR_MISMATCH, 0);
    }
}

/* ---- posting ------------------------------------------------------------------------ */

/* The waiting actions before b (n of them, just matched) leave s's FIFO. Lock held. */
static void cut_head(struct stream *s, struct ipc_action *b, uint32_t n)
{
    s->head = b;
    s->npending -= n;
    if (b)
        b->prev = NULL;
    else
        s->tail = NULL;
}

/*
 * The pairs one post_list matched, performed. The common pair, a small (staged)
 * send and a receive, is done here: the bytes of consecutive ones into one
 * space go in one vm_copy_out_pieces, and the chains' counts of not-done actions
 * drop once per run of one waiting chain and once for the poster's chain c
 * (which cannot finish before: its count still holds these actions, so pairs
 * stays valid). Any other pair completes through perform(), in order: the
 * common pairs before it are completed first.
 */
struct pair_run {
    struct ipc_chain *c, *pc;   /* the poster's chain; the current waiting chain */
    uint32_t own, pk;           /* their actions settled and not yet counted */
    struct vm_space *space;     /* where the pieces go */
    unsigned n;
    struct ipc_action *snd[SK_IPC_MAX_ACTIONS], *rcv[SK_IPC_MAX_ACTIONS];
    struct vm_piece piece[SK_IPC_MAX_ACTIONS];
};

/* A common pair's actions are settled: count them. */
static inline __attribute__((always_inline)) void run_count(struct pair_run *r,
                                                            struct ipc_chain *peer)
{
    r->own++;
    if (peer != r->pc) {
        if (r->pk)
            chain_sub(r->pc, r->pk);
        r->pc = peer;
        r->pk = 0;
    }
    r->pk++;
}

/* Copy the pieces gathered so far and settle their pairs. */
static void run_flush(struct pair_run *r)
{
    if (!r->n)
        return;
    vm_copy_out_pieces(r->space, r->piece, r->n);
    for (unsigned k = 0; k < r->n; k++) {
        struct ipc_action *snd = r->snd[k], *rcv = r->rcv[k];
        sk_error_t err = r->piece[k].err;
        act_settle(snd, err, 0);
        act_settle(rcv, err, err ? 0 : (uint32_t)snd->len);
        run_count(r, (snd->chain == r->c ? rcv : snd)->chain);
    }
    r->n = 0;
}

static void perform_pairs(struct ipc_chain *c, struct ipc_action *(*pairs)[2], int np,
                          uint32_t own)
{
    struct pair_run r;
    r.c = c;
    r.pc = NULL;
    r.own = own; /* (c's actions already settled by the caller) */
    r.pk = 0;
    r.n = 0;
    for (int i = 0; i < np; i++) {
        struct ipc_action *a = pairs[i][0], *b = pairs[i][1], *snd = a, *rcv = b;
        if (b->type == SK_ACT_send) {
            snd = b;
            rcv = a;
        }
        if (snd->type != SK_ACT_send || !snd->staged || snd->len > rcv->len ||
            (rcv->type != SK_ACT_recv && rcv->type != SK_ACT_recv_inline)) {
            run_flush(&r);
            perform(a, b);
        } else if (rcv->type == SK_ACT_recv_inline) {
            memcpy_small(payload(rcv), snd->stage, snd->len);
            act_settle(snd, SK_OK, 0);
            act_settle(rcv, SK_OK, (uint32_t)snd->len);
            run_count(&r, b->chain);
        } else {
            struct vm_space *sp = rcv->chain->space;
            if (r.n && sp != r.space)
                run_flush(&r);
            r.space = sp;
            r.snd[r.n] = snd;
            r.rcv[r.n] = rcv;
            r.piece[r.n++] = (struct vm_piece){rcv->buf, snd->stage, (uint32_t)snd->len, 0};
        }
    }
    run_flush(&r);
    if (r.pk)
        chain_sub(r.pc, r.pk);
    if (r.own)
        chain_sub(c, r.own);
}

/*
 * Post the list of c's actions from `first` to side `side` of s, in order: each
 * is matched with the peer's first pending action or waits. The caller keeps
 * the lane alive for the call. No locks held.
 */
static void post_list(struct stream *s, int side, struct ipc_chain *c, int first)
{
    struct ipc_action *pairs[SK_IPC_MAX_ACTIONS][2];
    int np = 0, held = 0, i;
    uint64_t f = spin_lock_irqsave(&s->lock);
    if (c->flat) {
        /* (a flat chain is one list on one stream: its first action says which, for a
           canceller and for the release) */
        __atomic_store_n(&c->acts[first].stream, s, __ATOMIC_RELAXED);
        __atomic_add_fetch(&s->mem_refs, c->n, __ATOMIC_RELAXED);
    } else {
        int count = 0;
        for (i = first; i >= 0; i = c->acts[i].sibling, count++)
            __atomic_store_n(&c->acts[i].stream, s, __ATOMIC_RELAXED);
        __atomic_add_fetch(&s->mem_refs, count, __ATOMIC_RELAXED);
    }
    /* (a canceller stores `cancelled`, then looks at the stream an action was posted to;
       with a full barrier between our stores and our look at `cancelled`, one of the two
       sees the other, and a canceller that sees a stream waits for its lock) */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    sk_error_t dead = __atomic_load_n(&c->cancelled, __ATOMIC_RELAXED) ? SK_ERR_CANCELLED
                      : s->shut || s->ended[!side]                    ? SK_ERR_END_OF_LANE
                                                                      : SK_OK;
    if (dead) {
        struct ipc_action *failed[SK_IPC_MAX_ACTIONS];
        int nf = 0;
        for (i = first; i >= 0; i = c->acts[i].sibling) {
            struct ipc_action *a = &c->acts[i];
            a->stream = s;
            a->side = (uint8_t)side;
            a->state = ACT_TAKEN;
            failed[nf++] = a;
        }
        spin_unlock_irqrestore(&s->lock, f);
        for (i = 0; i < nf; i++)
            act_done(failed[i], dead, 0);
        return;
    }
    /* the peer's waiting actions, first come first matched; then ours wait. A ring on
       either side takes a run of the other side's small sends, each as a record, until it
       is full or meets anything else. */
    struct ipc_action *b0 = s->head && s->pend_side != side ? s->head : NULL, *b = b0;
    struct ipc_action *fed = NULL; /* the peer's ring ours went into last */
    uint32_t ncut = 0;             /* the peer's actions taken: b0 and the ones after it */
    i = first;
    while (i >= 0 && b) {
        struct ipc_action *a = &c->acts[i], *r = NULL, *x = NULL;
        a->stream = s;
        a->side = (uint8_t)side;
        if (b->type == SK_ACT_recv_ring && a->type != SK_ACT_dismiss) {
            r = b;
            x = a;
        } else if (a->type == SK_ACT_recv_ring && b->type != SK_ACT_dismiss) {
            r = a;
            x = b;
        }
        if (!r) { /* a pair */
            if (a->type == SK_ACT_recv_ring || b->type == SK_ACT_recv_ring)
                ring_publish(a->type == SK_ACT_recv_ring ? a : b); /* (dismissed: its records
                                                                       so far are published) */
            a->state = ACT_TAKEN;
            b->state = ACT_TAKEN;
            a->fate = b->fate = FATE_PAIR;
            pairs[np][0] = a;
            pairs[np++][1] = b;
            i = c->acts[i].sibling;
            b = b->next;
            ncut++;
            continue;
        }
        sk_error_t e;
        int t = ring_take(r, x, &e);
        if (t == TAKE_FED || t == TAKE_FAIL) { /* x is done (with e) */
            x->state = ACT_TAKEN;
            x->fate = FATE_FED;
            x->ring_err = (int16_t)e;
            if (x == a) {
                fed = b;
                i = c->acts[i].sibling;
            } else {
                b = b->next;
                ncut++;
            }
            if (t == TAKE_FED)
                continue;
        }
        /* full, garbage, or a partner the ring cannot take: this posting of r ends (and a
           partner that waits meets what follows) */
        ring_publish(r);
        r->state = ACT_TAKEN;
        r->fate = FATE_END;
        r->ring_err = (int16_t)(t == TAKE_BAD ? SK_ERR_INVALID : e);
        if (r == b) {
            b = b->next;
            ncut++;
        } else {
            i = c->acts[i].sibling;
        }
    }
    /* a ring that took records and stands: they are published, and it ends if asked to */
    struct ipc_action *r = i < 0 ? (fed == b ? b : NULL)
                                 : c->acts[i].type == SK_ACT_recv_ring ? &c->acts[i] : NULL;
    if (r && ring_publish(r)) {
        r->state = ACT_TAKEN;
        r->fate = FATE_END;
        r->ring_err = SK_OK;
        if (r == b) {
            b = b->next;
            ncut++;
        } else {
            i = c->acts[i].sibling;
        }
    }
    int ipend = i;
    if (ncut) {
        for (struct ipc_action *x = b0; x != b; x = x->next)
            x->holds_lane = 0; /* (their lane references are dropped below, at once) */
        cut_head(s, b, ncut);
    }
    for (; i >= 0; i = c->acts[i].sibling, held++) {
        struct ipc_action *a = &c->acts[i];
        a->stream = s;
        a->side = (uint8_t)side;
        a->next = NULL;
        a->prev = s->tail;
        if (s->tail)
            s->tail->next = a;
        else
            s->head = a;
        s->tail = a;
        a->state = ACT_PENDING;
        a->holds_lane = 1;
    }
    if (held) { /* (before the lock goes: only then can a pending action complete) */
        s->pend_side = side;
        s->npending += (uint32_t)held;
        kobj_get_n(&s->lanes[side].obj, (uint32_t)held);
    }
    spin_unlock_irqrestore(&s->lock, f);
    if (!ncut && first == ipend)
        return;
    /* The matched actions wait no more: their lane references go now (the peer's lane may
       end here, failing whatever of ours waits on it). */
    if (ncut)
        kobj_put_n(&s->lanes[!side].obj, ncut);
    /* What rings took or ended, the peer's first (each its chain's count dropped; pairs keep
       their chains), then ours (our count drops once, with the pairs'). */
    struct ipc_action *x = b0;
    for (uint32_t k = 0; k < ncut; k++) {
        struct ipc_action *nx = x->next; /* (x's chain may go once x is done) */
        if (x->fate != FATE_PAIR) {
            act_settle(x, x->ring_err, x->fate == FATE_END ? x->ring_count : 0);
            chain_sub(x->chain, 1);
        }
        x = nx;
    }
    uint32_t own = 0;
    for (i = first; i != ipend; i = c->acts[i].sibling) {
        struct ipc_action *a = &c->acts[i];
        if (a->fate != FATE_PAIR) {
            act_settle(a, a->ring_err, a->fate == FATE_END ? a->ring_count : 0);
            own++;
        }
    }
    perform_pairs(c, pairs, np, own);
}

/* n sends of op went into the peer's ring r, at the head of s (lock held, flags f): publish
   them (ending the posting if the user asked), unlock, complete op. */
static void ring_direct_done(struct async_op *op, struct stream *s, int side,
                             struct ipc_action *r, unsigned n, uint32_t rec_bytes, uint64_t f)
{
    int end = ring_publish(r);
    if (end) {
        r->state = ACT_TAKEN;
        r->holds_lane = 0;
        cut_head(s, r->next, 1);
    }
    spin_unlock_irqrestore(&s->lock, f);
    if (end) {
        kobj_put(&s->lanes[!side].obj);
        act_done(r, SK_OK, r->ring_count);
    }
    memset(op->data, 0, rec_bytes);
    async_complete_data(op, SK_OK, n, 0, op->data, rec_bytes);
}

/*
 * A list of n small sends (ua, checked; `bytes` the records they make) straight into the
 * ring standing at the head of the peer's side of s, copied from the sender's memory under
 * the lock with no staging: returns 1 (op completed) if it all fit and every page was
 * present, else 0 with nothing changed. The caller holds the lane.
 */
static int ring_from_user(struct async_op *op, struct stream *s, int side,
                          const struct sk_action *ua, unsigned n, uint32_t rec_bytes,
                          uint32_t bytes)
{
    uint64_t f = spin_lock_irqsave(&s->lock);
    struct ipc_action *r = s->head;
    if (s->shut || s->ended[!side] || s->pend_side == side || !r ||
        r->type != SK_ACT_recv_ring || !ring_fits(r, ua, n, bytes) || !uaccess_nofault_open()) {
        spin_unlock_irqrestore(&s->lock, f);
        return 0;
    }
    uint64_t left = ring_put_sends(r, ua, n, NULL);
    uaccess_nofault_close();
    if (left) { /* (a page not present: the staged way faults it in) */
        spin_unlock_irqrestore(&s->lock, f);
        return 0;
    }
    ring_direct_done(op, s, side, r, n, rec_bytes, f);
    return 1;
}

/*
 * The direct path: a flat list of small sends and receives (ua, checked) that
 * the peer's waiting actions match entirely, one for one and each compatibly, is
 * performed at once and completes op without a chain: no action state is
 * built, nothing waits, nothing can be cancelled. The sends' bytes are staged
 * in the op's provider area first (they must be staged before anything is
 * matched, as on the general path). Returns 1 with *err the submission's
 * result (SK_OK: op completed) or 0 with nothing changed (post it the usual way).
 * The caller holds the lane.
 */
static int post_direct(struct async_op *op, struct stream *s, int side, const struct sk_action *ua,
                       unsigned n, const uint16_t *roff, uint32_t rec_bytes, uint32_t ring_bytes,
                       sk_error_t *err)
{
    /* (a look without the lock, only a hint: too few of the peer's actions wait, or ours do;
       sends (ring_bytes: the records they make, 0 if not all are sends) may all go into one
       waiting ring) */
    uint32_t waiting = __atomic_load_n(&s->npending, __ATOMIC_RELAXED);
    if ((waiting < n && !(ring_bytes && waiting)) ||
        __atomic_load_n(&s->pend_side, __ATOMIC_RELAXED) == side)
        return 0;
    int sends_only = ring_bytes != 0;
    if (sends_only && ring_from_user(op, s, side, ua, n, rec_bytes, ring_bytes)) {
        *err = SK_OK;
        return 1;
    }
    const uint8_t *stage[SK_IPC_MAX_ACTIONS];
    uint8_t *more = op->provider;
    uint64_t left = 0;
    if (!uaccess_many_open()) {
        *err = SK_ERR_FAULT;
        return 1;
    }
    for (unsigned i = 0; i < n; i++) { /* (the ranges were checked at submission) */
        if (ua[i].type != SK_ACT_send)
            continue;
        stage[i] = more;
        left |= uaccess_many_copy(more, ua[i].buf, ua[i].len);
        more += (ua[i].len + 7) & ~7ull;
    }
    uaccess_many_close();
    if (left) {
        *err = SK_ERR_FAULT; /* (refused, as the general path would) */
        return 1;
    }
    struct ipc_action *peer[SK_IPC_MAX_ACTIONS];
    uint64_t f = spin_lock_irqsave(&s->lock);
    struct ipc_action *b = s->head;
    int ok = !s->shut && !s->ended[!side] && s->pend_side != side;
    if (ok && b && b->type == SK_ACT_recv_ring) {
        if (!sends_only || !ring_direct(b, ua, n, stage, ring_bytes)) {
            spin_unlock_irqrestore(&s->lock, f);
            return 0;
        }
        ring_direct_done(op, s, side, b, n, rec_bytes, f);
        *err = SK_OK;
        return 1;
    }
    for (unsigned i = 0; ok && i < n; i++, b = b->next) {
        if (!b) {
            ok = 0; /* (too few waiting) */
            break;
        }
        if (ua[i].type == SK_ACT_send) {
            ok = (b->type == SK_ACT_recv || b->type == SK_ACT_recv_inline) && ua[i].len <= b->len;
        } else {
            ok = (b->type == SK_ACT_send || b->type == SK_ACT_send_sg) && b->staged &&
                 b->len <= ua[i].len;
        }
        peer[i] = b;
    }
    if (!ok) {
        spin_unlock_irqrestore(&s->lock, f);
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        peer[i]->state = ACT_TAKEN;
        peer[i]->holds_lane = 0; /* (dropped below, all at once) */
    }
    cut_head(s, b, n);
    spin_unlock_irqrestore(&s->lock, f);
    kobj_put_n(&s->lanes[!side].obj, n);

    /* The pairs: every peer action settled first, then the peers' chain counts dropped, a
       run of one chain at a time (a chain may finish and go only once all of its actions
       here are done), then our completion. */
    memset(op->data, 0, rec_bytes);
    sk_error_t res[SK_IPC_MAX_ACTIONS];
    struct vm_piece piece[SK_IPC_MAX_ACTIONS];
    unsigned at[SK_IPC_MAX_ACTIONS], np = 0;
    struct vm_space *space = NULL;
    for (unsigned i = 0; i <= n; i++) {
        b = i < n ? peer[i] : NULL;
        /* the pieces gathered go when the space changes or at the end */
        if (np && (!b || ua[i].type != SK_ACT_send || b->type != SK_ACT_recv ||
                   b->chain->space != space)) {
            vm_copy_out_pieces(space, piece, np);
            for (unsigned k = 0; k < np; k++) {
                unsigned j = at[k];
                res[j] = piece[k].err;
                act_settle(peer[j], res[j], res[j] ? 0 : (uint32_t)ua[j].len);
            }
            np = 0;
        }
        if (!b)
            break;
        res[i] = SK_OK;
        if (ua[i].type == SK_ACT_send && b->type == SK_ACT_recv) {
            space = b->chain->space;
            at[np] = i;
            piece[np++] = (struct vm_piece){b->buf, stage[i], (uint32_t)ua[i].len, 0};
        } else if (ua[i].type == SK_ACT_send) { /* into the peer's completion record */
            memcpy_small(payload(b), stage[i], ua[i].len);
            act_settle(b, SK_OK, (uint32_t)ua[i].len);
        } else { /* a receive of ours: the peer's staged bytes into our memory or record */
            uint8_t *rec = op->data + roff[i];
            if (ua[i].type == SK_ACT_recv_inline)
                memcpy_small(rec + sizeof(struct sk_ipc_result), b->stage, b->len);
            else
                res[i] = copy_to_user(ua[i].buf, b->stage, b->len);
            struct sk_ipc_result r = {.error = res[i], .length = res[i] ? 0 : (uint32_t)b->len};
            memcpy(rec, &r, sizeof r);
            act_settle(b, res[i], 0);
        }
    }
    sk_error_t first = SK_OK;
    for (unsigned i = n; i-- > 0;) {
        if (!res[i])
            continue;
        first = res[i];
        if (ua[i].type == SK_ACT_send) { /* (a receive of ours has its record already) */
            struct sk_ipc_result r = {.error = res[i], .length = 0};
            memcpy(op->data + roff[i], &r, sizeof r);
        }
    }
    for (unsigned i = 0, k = 1; i < n; i += k, k = 1) {
        while (i + k < n && peer[i + k]->chain == peer[i]->chain)
            k++;
        chain_sub(peer[i]->chain, k);
    }
    async_complete_data(op, first, n, 0, op->data, rec_bytes);
    *err = SK_OK;
    return 1;
}

/* Take every pending action off s (lock held); returns the list, linked by next. */
static struct ipc_action *take_all(struct stream *s)
{
    struct ipc_action *list = s->head;
    for (struct ipc_action *a = list; a; a = a->next)
        a->state = ACT_TAKEN;
    s->head = s->tail = NULL;
    s->npending = 0;
    return list;
}

static void fail_taken(struct ipc_action *list, sk_error_t err)
{
    while (list) {
        struct ipc_action *a = list;
        list = a->next;
        act_done(a, err, 0);
    }
}

void ipc_lane_ended(struct stream *s, int side)
{
    uint64_t f = spin_lock_irqsave(&s->lock);
    s->ended[side] = 1;
    /* (actions of `side` hold its lane, so whatever waits is the peer's) */
    struct ipc_action *list = take_all(s);
    spin_unlock_irqrestore(&s->lock, f);
    fail_taken(list, SK_ERR_END_OF_LANE);
}

void ipc_stream_shutdown(struct stream *s)
{
    uint64_t f = spin_lock_irqsave(&s->lock);
    s->shut = 1;
    struct ipc_action *list = take_all(s);
    spin_unlock_irqrestore(&s->lock, f);
    fail_taken(list, SK_ERR_END_OF_LANE);
}

/* ---- cancellation and release ---------------------------------------------------------- */

static void ipc_cancel(struct async_op *op)
{
    struct ipc_chain *c = op->priv;
    __atomic_store_n(&c->cancelled, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < c->n; i++) {
        struct ipc_action *a = &c->acts[i];
        /* (a flat chain's actions all go to the stream its first one names) */
        struct stream *s = __atomic_load_n(&c->acts[c->flat ? 0 : i].stream, __ATOMIC_SEQ_CST);
        if (!s)
            continue; /* not posted: its poster sees `cancelled` (both sides are seq_cst) */
        int mine = 0;
        uint64_t f = spin_lock_irqsave(&s->lock);
        if (a->state == ACT_PENDING) {
            if (a->prev)
                a->prev->next = a->next;
            else
                s->head = a->next;
            if (a->next)
                a->next->prev = a->prev;
            else
                s->tail = a->prev;
            a->state = ACT_TAKEN;
            s->npending--;
            mine = 1;
        }
        spin_unlock_irqrestore(&s->lock, f);
        if (mine)
            act_done(a, SK_ERR_CANCELLED, 0);
    }
}

static void ipc_release(struct async_op *op)
{
    struct ipc_chain *c = op->priv;
    if (c->flat) { /* (posted as one list: every action went to the first one's stream) */
        if (c->acts[0].stream)
            stream_mem_put_n(c->acts[0].stream, c->n);
    } else {
        struct stream *run = NULL; /* (a list's actions went to one stream: one put for them) */
        uint32_t k = 0;
        for (unsigned i = 0; i < c->n; i++) {
            struct stream *s = c->acts[i].stream;
            if (s != run) {
                if (k)
                    stream_mem_put_n(run, k);
                run = s;
                k = 0;
            }
            k += s != NULL;
        }
        if (k)
            stream_mem_put_n(run, k);
    }
    if (!c->in_op)
        kfree_sized(c, (size_t)c->blocks * 64);
}

/* ---- submission ---------------------------------------------------------------------- */

/* Parse the list starting at *pos (its structure only). */
static sk_error_t parse_list(const struct sk_action *ua, unsigned n, unsigned *pos, int depth,
                             int16_t *child, int16_t *sibling)
{
    int prev = -1;
    for (;;) {
        if (*pos >= n)
            return SK_ERR_INVALID;
        unsigned i = (*pos)++;
        child[i] = sibling[i] = -1;
        if (prev >= 0)
            sibling[prev] = (int16_t)i;
        if (ua[i].flags & SK_ACTF_ANCILLARY) {
            if (depth + 1 > SK_IPC_MAX_DEPTH)
                return SK_ERR_TOO_BIG;
            child[i] = (int16_t)*pos;
            sk_error_t e = parse_list(ua, n, pos, depth + 1, child, sibling);
            if (e)
                return e;
        }
        if (!(ua[i].flags & SK_ACTF_CHAIN))
            return SK_OK;
        prev = (int)i;
    }
}

/* One action's fields on their own: types, flags, unused fields zero, sizes. */
static sk_error_t check_action(const struct sk_action *a)
{
    unsigned t = a->type;
    if (t - 1u >= SK_ACT_LIMIT - 1u)
        return SK_ERR_INVALID;
    unsigned p = act_props[t];
    /* the fields set, as P_* bits: each must be one the type uses */
    unsigned set = (a->buf ? P_BUF : 0) | (a->len ? P_LEN : 0) | (a->handle ? P_HANDLE : 0) |
                   (a->rights ? P_RIGHTS : 0) |
                   (a->flags & (SK_ACTF_ANCILLARY | SK_ACTF_WANT_LANE) ? P_NEST : 0);
    if ((set & ~p) | (a->flags & ~SK_ACTF_ALL) | (a->rights & ~SK_RIGHTS_ALL))
        return SK_ERR_INVALID;
    if (!(p & P_BUF))
        return SK_OK;
    if (t == SK_ACT_send_sg)
        return a->len > SK_IPC_MAX_SG                                   ? SK_ERR_TOO_BIG
               : !urange_ok(a->buf, a->len * sizeof(struct sk_iovec)) ? SK_ERR_FAULT
                                                                       : SK_OK;
    return a->len > SK_IPC_MAX_TRANSFER ? SK_ERR_TOO_BIG
           : !urange_ok(a->buf, a->len) ? SK_ERR_FAULT
                                        : SK_OK;
}

/* Bytes of kernel memory action a needs after the chain's action array. */
static uint64_t extra_size(const struct sk_action *a)
{
    if (a->type == SK_ACT_send)
        return a->len <= SK_IPC_STAGE_MAX ? (a->len + 7) & ~7ull : sizeof(struct sk_iovec);
    if (a->type == SK_ACT_send_sg)
        return a->len * sizeof(struct sk_iovec) + SK_IPC_STAGE_MAX;
    return 0;
}

/* The rest of action a (its fields set from ua, checked) for a large send, a send_sg, a push
   or an imbue: references taken, iovecs and small gathered sends copied; uses *extra. */
static sk_error_t load_action(struct ipc_chain *c, struct ipc_action *a,
                              const struct sk_action *ua, uint8_t **extra)
{
    switch (ua->type) {
    case SK_ACT_send:
        a->iov = (struct sk_iovec *)*extra;
        *extra += sizeof(struct sk_iovec);
        a->iov[0] = (struct sk_iovec){ua->buf, ua->len};
        a->niov = 1;
        return SK_OK;
    case SK_ACT_send_sg: {
        a->iov = (struct sk_iovec *)*extra;
        *extra += ua->len * sizeof(struct sk_iovec);
        uint8_t *stage = *extra;
        *extra += SK_IPC_STAGE_MAX;
        a->niov = (uint8_t)ua->len;
        sk_error_t e = copy_from_user(a->iov, ua->buf, ua->len * sizeof(struct sk_iovec));
        if (e)
            return e;
        uint64_t total = 0;
        for (unsigned k = 0; k < a->niov; k++) {
            uint64_t l = a->iov[k].len;
            if (l > SK_IPC_MAX_TRANSFER || total + l > SK_IPC_MAX_TRANSFER)
                return SK_ERR_TOO_BIG;
            if (!urange_ok(a->iov[k].base, l))
                return SK_ERR_FAULT;
            total += l;
        }
        a->len = total;
        if (total <= SK_IPC_STAGE_MAX) { /* small: gather it now */
            uint64_t off = 0;
            for (unsigned k = 0; k < a->niov; k++) {
                e = copy_from_user(stage + off, a->iov[k].base, a->iov[k].len);
                if (e)
                    return e;
                off += a->iov[k].len;
            }
            a->stage = stage; /* (the iovecs are not needed any more) */
            a->staged = 1;
        }
        return SK_OK;
    }
    case SK_ACT_push: {
        a->obj = NULL;
        a->obj_weak = 0;
        c->pushes = 1;
        uint32_t rights;
        sk_error_t e = handle_get(ua->handle, SK_OBJ_NONE, SK_RIGHT_TRANSFER, &a->obj, &rights);
        if (e)
            return e;
        a->obj_rights = rights & ua->rights;
        if (a->obj->type == SK_OBJ_UNIVERSE) {
            /* weak: a universe's handles may be what keeps this chain from completing */
            universe_weak_get((struct universe *)a->obj);
            kobj_put(a->obj);
            a->obj_weak = 1;
        }
        return SK_OK;
    }
    case SK_ACT_recv_ring: {
        a->obj = NULL;
        c->pushes = 1;
        struct kobject *o;
        sk_error_t e = handle_get(ua->handle, SK_OBJ_MEMORY, SK_RIGHT_READ | SK_RIGHT_WRITE, &o,
                                  NULL);
        if (e)
            return e;
        a->obj = o;
        return ring_open(a, (struct memobj *)o);
    }
    case SK_ACT_imbue: {
        if (!ua->handle) {
            memcpy(a->creds, current_thread()->creds, SK_CREDENTIALS_SIZE);
            return SK_OK;
        }
        struct kobject *o;
        sk_error_t e = handle_get(ua->handle, SK_OBJ_NONE, SK_RIGHT_READ, &o, NULL);
        if (e)
            return e;
        e = creds_of(o, a->creds);
        kobj_put(o);
        return e;
    }
    default:
        return SK_OK;
    }
}

static sk_error_t submit_chain(struct async_op *op);

/* ipc(lane, actions, count, flags): docs/ipc.md */
sk_error_t async_submit_ipc(struct async_op *op)
{
    if ((op->args[3] & ~(uint64_t)SK_IPC_FLAGS_ALL) || op->args[4] || op->args[5])
        return SK_ERR_INVALID;
    /* (read before submitting: a chain that completes at once may free op) */
    int close = (op->args[3] & SK_IPC_CLOSE) != 0;
    sk_handle_t lane = (sk_handle_t)op->args[0];
    sk_error_t err = submit_chain(op);
    if (close) {
        /* (handles are never reused: this is the handle the chain was posted on, if it still
           exists; pending actions hold the lane itself) */
        struct universe *u = thread_universe(current_thread());
        if (u)
            universe_remove(u, lane);
    }
    return err;
}

/* The chain of op (arguments checked) is checked, copied and posted. */
static sk_error_t submit_chain(struct async_op *op)
{
    uint64_t n = op->args[2];
    if (n == 0)
        return SK_ERR_INVALID;
    if (n > SK_IPC_MAX_ACTIONS)
        return SK_ERR_TOO_BIG;
    struct sk_action ua[SK_IPC_MAX_ACTIONS];
    sk_error_t err = copy_from_user(ua, op->args[1], n * sizeof ua[0]);
    if (err)
        return err;
    /* One pass over the actions: their fields, record offsets, kernel memory, what the
       chain needs; a structure error (below) goes before a field error. */
    uint16_t any = 0, chained = 0, roff[SK_IPC_MAX_ACTIONS];
    uint32_t kinds = 0, rec_bytes = 0;
    uint64_t extra = 0;
    int want_space_big = 0; /* a send not staged (or a gathered one) */
    sk_error_t bad = SK_OK;
    for (unsigned i = 0; i < n; i++) {
        const struct sk_action *a = &ua[i];
        any |= a->flags;
        chained += a->flags & SK_ACTF_CHAIN;
        roff[i] = (uint16_t)rec_bytes;
        rec_bytes += (uint32_t)sizeof(struct sk_ipc_result);
        /* The common action first: a small send or a receive into a buffer with no flag but
           CHAIN and no rights (type, flags and rights are the first 8 bytes: one compare),
           no handle, no payload slot. */
        uint64_t head;
        memcpy(&head, a, sizeof head);
        head &= ~((uint64_t)SK_ACTF_CHAIN << 16);
        if ((head == SK_ACT_send || head == SK_ACT_recv) && !a->handle &&
            a->len <= SK_IPC_STAGE_MAX) {
            if (!urange_ok(a->buf, a->len) && !bad)
                bad = SK_ERR_FAULT;
            kinds |= 1u << head;
            extra += head == SK_ACT_send ? (a->len + 7) & ~7ull : 0;
            continue;
        }
        sk_error_t e = check_action(a);
        if (e && !bad)
            bad = e;
        kinds |= 1u << (a->type & 31);
        rec_bytes += sk_ipc_payload_size(a);
        extra += extra_size(a);
        unsigned t = a->type;
        want_space_big |= (t == SK_ACT_send && a->len > SK_IPC_STAGE_MAX) || t == SK_ACT_send_sg;
    }
    _Static_assert(SK_ACTF_CHAIN == 1, "chained counts CHAIN flags");
    int16_t child[SK_IPC_MAX_ACTIONS], sibling[SK_IPC_MAX_ACTIONS];
    int flat = !(any & SK_ACTF_ANCILLARY);
    int dismiss = (kinds >> SK_ACT_dismiss) & 1;
    if (flat) {
        /* one flat list (the common case): every action but the last says CHAIN */
        if (chained != n - 1 || (ua[n - 1].flags & SK_ACTF_CHAIN))
            return SK_ERR_INVALID;
    } else {
        unsigned pos = 0;
        err = parse_list(ua, (unsigned)n, &pos, 0, child, sibling);
        if (!err && pos != n)
            err = SK_ERR_INVALID; /* actions after the end of the top-level list */
        if (err)
            return err;
    }
    if (bad)
        return bad;
    /* (the types are valid now) */
    uint32_t need = 0; /* (every kind in a flat list; the top-level list's, below, if nested) */
    for (uint32_t k = kinds; k; k &= k - 1)
        need |= lane_right_needed((unsigned)__builtin_ctz(k));
    int want_universe = (kinds & (1u << SK_ACT_pull)) || (any & SK_ACTF_WANT_LANE);
    int want_space = want_space_big || ((kinds >> SK_ACT_recv) & 1);
    if (rec_bytes > SK_IPC_RESULTS_MAX)
        return SK_ERR_TOO_BIG;
    struct kobject *lo;
    uint32_t rights;
    err = handle_get((sk_handle_t)op->args[0], SK_OBJ_LANE, 0, &lo, &rights);
    if (err)
        return err;
    if (!flat) { /* only the top-level list goes onto this lane */
        need = 0;
        dismiss = 0;
        for (int i = 0; i >= 0; i = sibling[i]) {
            dismiss |= ua[i].type == SK_ACT_dismiss;
            need |= lane_right_needed(ua[i].type);
        }
    }
    /* a dismiss needs either right */
    if ((rights & need) != need || (dismiss && !(rights & (SK_RIGHT_READ | SK_RIGHT_WRITE))))
        err = SK_ERR_NO_RIGHTS;
    /* small sends and receives only, their bytes fitting the op: maybe matched at once */
    if (!err && flat && !want_space_big && extra <= sizeof op->provider &&
        !(kinds & ~((1u << SK_ACT_send) | (1u << SK_ACT_recv) | (1u << SK_ACT_recv_inline)))) {
        struct lane *dl = (struct lane *)lo;
        uint32_t ring_bytes = kinds == 1u << SK_ACT_send ? (uint32_t)(extra + 8 * n) : 0;
        if (post_direct(op, dl->stream, dl->side, ua, (unsigned)n, roff, rec_bytes, ring_bytes,
                        &err)) {
            kobj_put(lo);
            return err;
        }
    }
    struct ipc_chain *c = NULL;
    if (!err) {
        /* (the staged bytes and iovecs after the actions are all written before use) */
        uint64_t size = sizeof *c + n * sizeof(struct ipc_action) + extra;
        int in_op = size <= sizeof op->provider;
        size = (size + 63) & ~63ull; /* (at most 16 actions and their extra: < 16 KiB) */
        c = in_op ? (struct ipc_chain *)op->provider : kmalloc(size);
        if (!c) {
            err = SK_ERR_NO_MEMORY;
        } else {
            c->in_op = (uint8_t)in_op;
            c->blocks = (uint8_t)(size / 64);
        }
    }
    if (err) {
        kobj_put(lo);
        return err;
    }
    c->op = op;
    c->n = (uint16_t)n;
    c->first_failed = (uint16_t)n;
    c->flat = (uint8_t)flat;
    c->cancelled = 0;
    c->pushes = 0;
    c->universe = NULL;
    c->space = NULL;
    uint8_t *more = (uint8_t *)&c->acts[n];
    unsigned i = 0;
    for (; i < n; i++) {
        struct ipc_action *a = &c->acts[i];
        const struct sk_action *u = &ua[i];
        a->chain = c;
        a->stream = NULL;
        a->ua = *u;
        a->state = ACT_NEW;
        a->holds_lane = 0;
        a->niov = 0;
        a->child = flat ? -1 : child[i];
        a->sibling = flat ? (int16_t)(i + 1 < n ? (int)i + 1 : -1) : sibling[i];
        a->result_off = roff[i];
        a->staged = 0;
        if (u->type == SK_ACT_send && u->len <= SK_IPC_STAGE_MAX) {
            a->stage = more;
            a->staged = 1;
            more += (u->len + 7) & ~7ull;
            err = copy_from_user_inline(a->stage, u->buf, u->len);
        } else if (act_props[u->type] & P_LOAD) {
            err = load_action(c, a, u, &more);
        }
        if (err)
            break;
    }
    for (unsigned j = i + 1; j < n; j++)
        c->acts[j].type = SK_ACT_dismiss; /* (not loaded: holds nothing to drop) */
    uint32_t off = rec_bytes;
    c->results_len = (uint16_t)off;
    /* slots an action leaves unwritten must not show an earlier op's bytes */
    memset(op->data, 0, off);
    if (!err && want_universe) {
        c->universe = thread_universe(current_thread());
        universe_weak_get(c->universe);
    }
    if (!err && want_space) {
        c->space = thread_space(current_thread());
        kobj_get(vm_space_kobj(c->space));
    }
    if (err) {
        chain_drop_refs(c);
        if (!c->in_op)
            kfree_sized(c, (size_t)c->blocks * 64);
        kobj_put(lo);
        return err;
    }
    c->remaining = (uint32_t)n;
    op->priv = c;
    op->release = ipc_release;
    op->cancel = ipc_cancel;
    struct lane *l = (struct lane *)lo;
    post_list(l->stream, l->side, c, 0);
    kobj_put(lo);
    return SK_OK;
}
