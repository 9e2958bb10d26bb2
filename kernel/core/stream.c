/*
 * Stream and lane objects (k/ipc.h): creation, the end of a lane, shutdown.
 * The actions themselves are kernel/core/ipc.c.
 */
#include <k/ipc.h>
#include <k/syscall.h>
#include <k/universe.h>
#include <k/thread.h>
#include <k/heap.h>
#include <k/uspace.h>
#include <base/string.h>

static void lane_destroy(struct kobject *o)
{
    struct lane *l = (struct lane *)o;
    struct stream *s = l->stream;
    ipc_lane_ended(s, l->side);
    stream_mem_put(s);
}

struct stream *stream_new(const uint8_t *creds)
{
    struct stream *s = kzalloc(sizeof *s);
    if (!s)
        return NULL;
    s->lock = (struct spinlock)SPINLOCK_INIT;
    s->mem_refs = 2;
    for (int i = 0; i < 2; i++) {
        kobj_init(&s->lanes[i].obj, SK_OBJ_LANE, lane_destroy);
        s->lanes[i].stream = s;
        s->lanes[i].side = i;
    }
    if (creds) {
        s->has_creds = 1;
        memcpy(s->creds, creds, SK_CREDENTIALS_SIZE);
    }
    return s;
}

void stream_mem_put(struct stream *s)
{
    stream_mem_put_n(s, 1);
}

void stream_mem_put_n(struct stream *s, uint32_t n)
{
    if (__atomic_sub_fetch(&s->mem_refs, n, __ATOMIC_ACQ_REL) == 0)
        kfree_sized(s, sizeof *s);
}

/* stream_create(flags, creds_handle, lanes*) -> lanes[0], lanes[1] (also lanes[0] in rdx) */
SYSCALL_DEFINE(stream_create)
{
    SYSCALL_UNUSED_ARGS;
    uint8_t creds[SK_CREDENTIALS_SIZE];
    if (a0 & ~(uint64_t)SK_STREAM_CREDENTIALS)
        return SK_ERR_INVALID;
    if (a0 & SK_STREAM_CREDENTIALS) {
        struct kobject *o;
        sk_handle_t h = a1 ? (sk_handle_t)a1 : SK_THIS_THREAD;
        sk_error_t err = handle_get(h, SK_OBJ_NONE, SK_RIGHT_READ, &o, NULL);
        if (err)
            return err;
        err = creds_of(o, creds);
        kobj_put(o);
        if (err)
            return err;
    } else if (a1) {
        return SK_ERR_INVALID;
    }
    sk_handle_t out[2] = {0, 0};
    sk_error_t err = copy_to_user(a2, out, sizeof out); /* writable? before anything exists */
    if (err)
        return err;
    struct universe *u = thread_universe(current_thread());
    err = universe_reserve(u, 2);
    if (err)
        return err;
    struct stream *s = stream_new((a0 & SK_STREAM_CREDENTIALS) ? creds : NULL);
    if (!s) {
        universe_unreserve(u, 2);
        return SK_ERR_NO_MEMORY;
    }
    /* (our own universe, reserved: cannot fail) */
    universe_insert_reserved(u, &s->lanes[0].obj, LANE_RIGHTS, &out[0]);
    universe_insert_reserved(u, &s->lanes[1].obj, LANE_RIGHTS, &out[1]);
    {
        err = copy_to_user(a2, out, sizeof out);
        if (err) { /* unmapped meanwhile by another thread */
            universe_remove(u, out[0]);
            universe_remove(u, out[1]);
        }
    }
    kobj_put(&s->lanes[0].obj);
    kobj_put(&s->lanes[1].obj);
    if (!err)
        *ret = (uint64_t)out[0];
    return err;
}

/* lane_shutdown(lane): needs WRITE. Ends the whole stream for both sides. */
SYSCALL_DEFINE(lane_shutdown)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_LANE, SK_RIGHT_WRITE, &o, NULL);
    if (err)
        return err;
    ipc_stream_shutdown(((struct lane *)o)->stream);
    kobj_put(o);
    return SK_OK;
}
