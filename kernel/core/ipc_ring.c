/*
 * IPC receive rings (docs/ipc.md "Receive rings"): a recv_ring action stands at
 * its place in the FIFO and takes each small send of a run of the peer's as a
 * record in the ring, a contiguous memory object the action holds a reference
 * to, so the kernel writes it through the direct map, from any thread, under
 * the stream's lock, without faults. The user owns tail and notify and may
 * write anything there: each is read once per use and checked; head is ours
 * (ring_head) and only published. The matching itself is in ipc_post.c.
 * States and lock order: k/ipc_impl.h.
 */
#include <k/ipc_impl.h>
#include <k/uspace.h>
#include <k/uaccess.h>
#include <arch/layout.h>

static struct sk_ipc_ring *ring_hdr(struct ipc_action *r)
{
    return (struct sk_ipc_ring *)(r->stage - sizeof(struct sk_ipc_ring));
}

/* The ring of recv_ring action r (its object m checked: contiguous, sized) as it is now. */
sk_error_t ipc_ring_open(struct ipc_action *r, struct memobj *m)
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

/* Whether n small sends (ua; `bytes` the records they make, no wrap counted) all fit the room
   ring r has (ring_room, negative: none). Lock held. */
static int ring_fits(struct ipc_action *r, int64_t room, const struct sk_action *ua, unsigned n,
                     uint32_t bytes)
{
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

/*
 * Partner x meets ring r (lock held). RING_TAKEN: a small send, now a record in
 * the ring. RING_FULL: its record does not fit (the posting ends with SK_OK, x
 * meets what follows). RING_BAD: the user's tail is garbage (the posting ends
 * with SK_ERR_INVALID, x meets what follows). RING_FAIL: x cannot go into a
 * ring (a large send: SK_ERR_BUFFER_TOO_SMALL; anything else but a dismiss:
 * SK_ERR_MISMATCH, in *err), and both fail with it, as any pair would.
 */
int ipc_ring_take(struct ipc_action *r, struct ipc_action *x, sk_error_t *err)
{
    if ((x->type != SK_ACT_send && x->type != SK_ACT_send_sg) || !x->staged) {
        *err = x->type == SK_ACT_send || x->type == SK_ACT_send_sg ? SK_ERR_BUFFER_TOO_SMALL
                                                                   : SK_ERR_MISMATCH;
        return RING_FAIL;
    }
    *err = SK_OK;
    int64_t room = ring_room(r);
    if (room < 0)
        return RING_BAD;
    if (!ring_fits(r, room, &x->ua, 1, sk_ipc_ring_record_size((uint32_t)x->len)))
        return RING_FULL;
    const uint8_t *st = x->stage;
    ring_put_sends(r, &x->ua, 1, &st); /* (x->len: a send_sg's total) */
    return RING_TAKEN;
}

/* n small sends (ua, their bytes at stage[], bytes the records they make) into ring r if all
   fit, else nothing. Lock held. */
int ipc_ring_direct(struct ipc_action *r, const struct sk_action *ua, unsigned n,
                    const uint8_t *const *stage, uint32_t bytes)
{
    if (!ring_fits(r, ring_room(r), ua, n, bytes))
        return 0;
    ring_put_sends(r, ua, n, stage);
    return 1;
}

/* Publish ring r's records; returns 1 if the posting ends now (it wrote, and the user asked
   to be told). Lock held. */
int ipc_ring_publish(struct ipc_action *r)
{
    struct sk_ipc_ring *h = ring_hdr(r);
    __atomic_store_n(&h->head, r->ring_head, __ATOMIC_RELEASE);
    /* (the user stores notify, then reads head; we store head, then read notify) */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return r->ring_count && __atomic_load_n(&h->notify, __ATOMIC_RELAXED);
}

/* n sends of op went into the peer's ring r, at the head of s (lock held, flags f): publish
   them (ending the posting if the user asked), unlock, complete op. */
void ipc_ring_done(struct async_op *op, struct stream *s, int side, struct ipc_action *r,
                   unsigned n, uint32_t rec_bytes, uint64_t f)
{
    int end = ipc_ring_publish(r);
    if (end) {
        r->state = ACT_TAKEN;
        r->holds_lane = 0;
        ipc_cut_head(s, r->next, 1);
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
int ipc_ring_from_user(struct async_op *op, struct stream *s, int side,
                       const struct sk_action *ua, unsigned n, uint32_t rec_bytes,
                       uint32_t bytes)
{
    uint64_t f = spin_lock_irqsave(&s->lock);
    struct ipc_action *r = s->head;
    if (s->shut || s->ended[!side] || s->pend_side == side || !r ||
        r->type != SK_ACT_recv_ring || !ring_fits(r, ring_room(r), ua, n, bytes) ||
        !uaccess_nofault_open()) {
        spin_unlock_irqrestore(&s->lock, f);
        return 0;
    }
    uint64_t left = ring_put_sends(r, ua, n, NULL);
    uaccess_nofault_close();
    if (left) { /* (a page not present: the staged way faults it in) */
        spin_unlock_irqrestore(&s->lock, f);
        return 0;
    }
    ipc_ring_done(op, s, side, r, n, rec_bytes, f);
    return 1;
}
