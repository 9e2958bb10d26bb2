/*
 * IPC streams (include/skoll/ipc.h, docs/ipc.md): the kernel's view.
 *
 * A stream holds two lanes (the handle-visible objects) and one FIFO of
 * pending actions: the actions of at most one side wait at any time, since an
 * action posted while the other side has some is matched with the first of
 * them at once. A lane's kobject references are its handles, the actions
 * pending on it, and short-lived holds; when the last goes the lane has ended
 * and the peer's pending and future actions fail with SK_ERR_END_OF_LANE.
 * The stream's memory lives while either lane lives or any chain that posted
 * an action to it has not been freed (mem_refs), so a canceller can always
 * lock the stream an action was posted to.
 */
#pragma once
#include <stdint.h>
#include <skoll/ipc.h>
#include <skoll/errors.h>
#include <k/object.h>
#include <k/spinlock.h>

struct ipc_action;
struct stream;

struct lane {
    struct kobject obj;         /* SK_OBJ_LANE */
    struct stream *stream;
    int side;                   /* 0 or 1 */
};

struct stream {
    struct spinlock lock;       /* guards everything below but mem_refs */
    struct lane lanes[2];
    volatile uint32_t mem_refs; /* live lanes + posted actions of unfreed chains */
    struct ipc_action *head, *tail; /* pending actions, all of side pend_side */
    uint32_t npending;              /* how many */
    int pend_side;
    uint8_t ended[2];           /* lane i has ended */
    uint8_t shut;               /* lane_shutdown was called */
    uint8_t has_creds;          /* imbue sends creds (SK_STREAM_CREDENTIALS) */
    uint8_t creds[SK_CREDENTIALS_SIZE];
};

/* Rights of the lane handles stream_create and WANT_LANE hand out. */
#define LANE_RIGHTS (SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE)

/* A new stream, with one reference to each lane for the caller, or NULL (no memory).
   creds: credentials every imbue on it sends, or NULL. */
struct stream *stream_new(const uint8_t *creds);
/* Drop a memory reference (any context). */
void stream_mem_put(struct stream *s);
void stream_mem_put_n(struct stream *s, uint32_t n); /* n references at once */
/* Called by ipc.c: end side `side` (its lane object is going) / shut the stream down:
   the pending actions that can no longer match fail with SK_ERR_END_OF_LANE. No locks held. */
void ipc_lane_ended(struct stream *s, int side);
void ipc_stream_shutdown(struct stream *s);

/* Credentials (kernel/core/creds.c). */
/* Fill out with 16 bytes no other thread or token of this boot has. */
void creds_new(uint8_t out[SK_CREDENTIALS_SIZE]);
/* The credentials of a thread or token object o into out; SK_ERR_WRONG_TYPE for others. */
sk_error_t creds_of(struct kobject *o, uint8_t out[SK_CREDENTIALS_SIZE]);
