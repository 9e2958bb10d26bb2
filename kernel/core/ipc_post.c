/*
 * IPC posting and matching (docs/ipc.md "Inside the kernel"): a list of a
 * chain's actions goes onto one side of a stream, each matched with the peer's
 * first waiting action or left waiting; the matched pairs are performed by the
 * posting thread with no lock held (the common small send and receive in place,
 * several messages into one space under one hold of its lock); a flat list whose
 * every action finds a partner takes the direct path with no chain at all; the
 * end of a lane or a shutdown fails what waits. Receive rings, matched with runs
 * of sends, are in ipc_ring.c. States and lock order: k/ipc_impl.h.
 */
#include <k/ipc_impl.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/uaccess.h>
#include <k/sched.h>

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
            ipc_post_list(ns, i, side[i]->chain, side[i]->child);
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
    } else {
        sk_handle_t h = 0;
        err = universe_insert(pull->chain->universe, push->obj, push->obj_rights, &h);
        if (!err)
            put_handle(pull, h);
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
    if (ipc_is_sender(b->type) && !ipc_is_sender(a->type)) {
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
void ipc_cut_head(struct stream *s, struct ipc_action *b, uint32_t n)
{
    s->head = b;
    s->npending -= n;
    if (b)
        b->prev = NULL;
    else
        s->tail = NULL;
}

/*
 * The pairs one ipc_post_list matched, performed. The common pair, a small (staged)
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
void ipc_post_list(struct stream *s, int side, struct ipc_chain *c, int first)
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
                ipc_ring_publish(a->type == SK_ACT_recv_ring ? a : b); /* (dismissed: its records
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
        int t = ipc_ring_take(r, x, &e);
        if (t == RING_TAKEN || t == RING_FAIL) { /* x is done (with e) */
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
            if (t == RING_TAKEN)
                continue;
        }
        /* full, garbage, or a partner the ring cannot take: this posting of r ends (and a
           partner that waits meets what follows) */
        ipc_ring_publish(r);
        r->state = ACT_TAKEN;
        r->fate = FATE_END;
        r->ring_err = (int16_t)(t == RING_BAD ? SK_ERR_INVALID : e);
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
    if (r && ipc_ring_publish(r)) {
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
        ipc_cut_head(s, b, ncut);
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

/*
 * The direct path: a flat list of small sends and receives (ua, checked) that
 * the peer's waiting actions match entirely, one for one and each compatibly, is
 * performed at once and completes op without a chain: no action state is
 * built, nothing waits, nothing can be cancelled. The sends' bytes are staged
 * in the op's provider area first (they must be staged before anything is
 * matched, as on the general path). A list of sends that meets a standing ring
 * goes into it whole (ipc_ring.c), straight from the sender's memory when every
 * page is there, else staged. Returns 1 with *err the submission's result
 * (SK_OK: op completed) or 0 with nothing changed (post it the usual way). The
 * caller holds the lane.
 */
int ipc_post_direct(struct async_op *op, struct stream *s, int side, const struct sk_action *ua,
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
    if (sends_only && ipc_ring_from_user(op, s, side, ua, n, rec_bytes, ring_bytes)) {
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
        if (!sends_only || !ipc_ring_direct(b, ua, n, stage, ring_bytes)) {
            spin_unlock_irqrestore(&s->lock, f);
            return 0;
        }
        ipc_ring_done(op, s, side, b, n, rec_bytes, f);
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
    ipc_cut_head(s, b, n);
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
