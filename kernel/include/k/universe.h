/*
 * Universes: per-process handle tables. A handle is a 64-bit integer local to
 * one universe, never reused within it, carrying rights bits (SK_RIGHT_*).
 * Lock order: a universe's lock is a leaf (nothing is locked inside it and
 * kobj_put is never called under it).
 */
#pragma once
#include <stdint.h>
#include <skoll/types.h>
#include <skoll/errors.h>
#include <k/object.h>

struct universe;

/* A new empty universe with one reference for the caller, or NULL without memory. */
struct universe *universe_create(void);
static inline struct kobject *universe_kobj(struct universe *u) { return (struct kobject *)u; }

/*
 * Insert o with rights; takes its own reference to o. Returns the new handle (> 0)
 * in *out, or SK_ERR_NO_MEMORY / SK_ERR_LIMIT / SK_ERR_DEAD (u has lost its last reference).
 */
sk_error_t universe_insert(struct universe *u, struct kobject *o, uint32_t rights, sk_handle_t *out);

/*
 * Resolve handle h in the calling thread's universe: the special values
 * SK_THIS_UNIVERSE, SK_THIS_THREAD and SK_THIS_SPACE included. Checks the type
 * (SK_OBJ_NONE accepts any) and that every bit of need is among the handle's
 * rights. On success returns a new reference in *out and the handle's rights
 * in *rights (may be NULL). Errors: SK_ERR_BAD_HANDLE, SK_ERR_WRONG_TYPE,
 * SK_ERR_NO_RIGHTS.
 */
sk_error_t handle_get(sk_handle_t h, uint32_t type, uint32_t need, struct kobject **out,
                      uint32_t *rights);

/*
 * Weak references: they keep u's memory but not its handles. When the last
 * (strong) reference goes, u drops every handle and universe_insert fails with
 * SK_ERR_DEAD from then on. For kernel holders that must not keep a process's
 * handles alive (an IPC chain waiting for a handle to insert). Get needs a
 * strong reference held at the time.
 */
void universe_weak_get(struct universe *u);
void universe_weak_put(struct universe *u);
/* Remove h from u, dropping its reference. Returns SK_OK or SK_ERR_BAD_HANDLE. */
sk_error_t universe_remove(struct universe *u, sk_handle_t h);
/* Number of live handles (for tests). */
uint64_t universe_count(struct universe *u);

struct ioport_map;
/* The universe's I/O port map (k/ioport.h), or NULL if it was never granted a port. Any context. */
struct ioport_map *universe_ioports(struct universe *u);
/* Install m as u's map unless it has one; returns the map u ends up with (free m if not m). */
struct ioport_map *universe_install_ioports(struct universe *u, struct ioport_map *m);

struct thread;
/*
 * Unstarted threads refer to their universe weakly (see universe.c). hold: record t
 * (sets t->universe). claim: at start, turn it into a real reference; NULL if the
 * universe is gone. drop: t is destroyed without having started.
 */
void universe_hold_unstarted(struct universe *u, struct thread *t);
struct universe *universe_claim_unstarted(struct thread *t);
void universe_drop_unstarted(struct thread *t);
