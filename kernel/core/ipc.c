/*
 * IPC actions (docs/ipc.md): the `ipc` queue operation. A submission is a
 * chain: a list of actions for one lane, in which an offer or accept may carry
 * a nested list for the stream it creates. The submitter's thread checks the
 * whole chain and copies what it needs (small sends, scatter-gather lists,
 * pushed objects, credentials) before posting anything (this file); then every
 * action either waits on its stream or is matched at once with the peer's first
 * waiting action (ipc_post.c), or a receive ring takes a run of the peer's sends
 * (ipc_ring.c). Each action completes exactly once; the chain completes, as one
 * CQE holding every action's result record, when its last action has (this
 * file); and it can be cancelled and is released here. States and lock order:
 * k/ipc_impl.h.
 */
#include <k/ipc_impl.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/uaccess.h>
#include <k/urange.h>
#include <k/thread.h>
#include <k/sched.h>
#include <k/heap.h>

/* What each action type uses: the fields it may set, whether load_action has work. */
enum { P_BUF = 1, P_LEN = 2, P_HANDLE = 4, P_RIGHTS = 8, P_NEST = 16,
       P_LOAD = 32 /* load_action has more to do (a large send too) */ };
static const uint8_t act_props[SK_ACT_LIMIT] = {
    [SK_ACT_offer] = P_NEST,
    [SK_ACT_accept] = P_NEST,
    [SK_ACT_send] = P_BUF | P_LEN | P_LOAD,
    [SK_ACT_send_sg] = P_BUF | P_LEN | P_LOAD,
    [SK_ACT_recv_inline] = P_LEN,
    [SK_ACT_recv] = P_BUF | P_LEN,
    [SK_ACT_push] = P_HANDLE | P_RIGHTS | P_LOAD,
    [SK_ACT_pull] = P_RIGHTS,
    [SK_ACT_imbue] = P_HANDLE | P_LOAD,
    [SK_ACT_extract] = 0,
    [SK_ACT_dismiss] = 0,
    [SK_ACT_recv_ring] = P_HANDLE | P_LOAD,
};


/* The right an action needs of the lane it is posted on (a dismiss: either, see submit_chain). */
static uint32_t lane_right_needed(unsigned t)
{
    return t == SK_ACT_dismiss ? 0 : ipc_is_sender(t) ? SK_RIGHT_WRITE : SK_RIGHT_READ;
}

/* ---- completion ------------------------------------------------------------------- */

static void drop_obj(struct ipc_action *a)
{
    if ((a->type != SK_ACT_push && a->type != SK_ACT_recv_ring) || !a->obj)
        return;
    kobj_put(a->obj);
    a->obj = NULL;
}

/* Let go of the pushed objects, the universe and the space the chain holds. */
static void chain_drop_refs(struct ipc_chain *c)
{
    for (unsigned i = 0; c->holds_objs && i < c->n; i++)
        drop_obj(&c->acts[i]);
    c->holds_objs = 0;
    if (c->universe)
        kobj_put(universe_kobj(c->universe));
    if (c->space)
        kobj_put(vm_space_kobj(c->space));
    c->universe = NULL;
    c->space = NULL;
}

/* The chain's last action is done: post the CQE and let go of what the chain held. */
void ipc_chain_finish(struct ipc_chain *c)
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

void ipc_fail_list(struct ipc_chain *c, int first, sk_error_t err)
{
    for (int i = first; i >= 0; i = c->acts[i].sibling)
        act_done(&c->acts[i], err, 0);
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

/* The rest of action a (its fields set from ua, checked) for a large send, a send_sg, a push,
   an imbue or a receive ring: references taken, iovecs and small gathered sends copied, the
   ring opened; uses *extra. */
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
        c->holds_objs = 1;
        uint32_t rights;
        sk_error_t e = handle_get(ua->handle, SK_OBJ_NONE, SK_RIGHT_TRANSFER, &a->obj, &rights);
        if (e)
            return e;
        a->obj_rights = rights & ua->rights;
        return SK_OK;
    }
    case SK_ACT_recv_ring: {
        a->obj = NULL;
        c->holds_objs = 1;
        struct kobject *o;
        sk_error_t e = handle_get(ua->handle, SK_OBJ_MEMORY, SK_RIGHT_READ | SK_RIGHT_WRITE, &o,
                                  NULL);
        if (e)
            return e;
        a->obj = o;
        return ipc_ring_open(a, (struct memobj *)o);
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
    if (close && err == SK_OK) { /* (a refused submission changes nothing) */
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
        if (ipc_post_direct(op, dl->stream, dl->side, ua, (unsigned)n, roff, rec_bytes, ring_bytes,
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
    c->holds_objs = 0;
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
        kobj_get(universe_kobj(c->universe));
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
    ipc_post_list(l->stream, l->side, c, 0);
    kobj_put(lo);
    return SK_OK;
}
