/*
 * Universes: per-process handle tables. A handle is a 64-bit integer local to
 * one universe, never reused within it, carrying rights bits (SK_RIGHT_*).
 * Lock order: a universe's lock is a leaf (nothing is locked inside it and
 * kobj_put is never called under it).
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <skoll/types.h>
#include <skoll/errors.h>
#include <k/object.h>

struct universe;

/*
 * A new empty universe (NEW: no thread started yet) with one reference and one pin for
 * the caller, or NULL without memory. A NEW universe lives while it is held: by the
 * pin, or by a handle in a universe that has running threads (docs/processes.md, "When
 * a universe ends"). Drop the pin with universe_unpin (before the reference).
 */
struct universe *universe_create(void);
void universe_unpin(struct universe *u);
static inline struct kobject *universe_kobj(struct universe *u) { return (struct kobject *)u; }

/*
 * Insert o with rights; takes its own reference to o. Returns the new handle (> 0)
 * in *out, or SK_ERR_NO_MEMORY / SK_ERR_LIMIT (2^20 handles) / SK_ERR_DEAD (u has ended).
 */
sk_error_t universe_insert(struct universe *u, struct kobject *o, uint32_t rights, sk_handle_t *out);
/*
 * Reserve room for n handles first, so that a call can allocate and check everything
 * before it publishes anything: the same errors as universe_insert. insert_reserved uses
 * one reservation and fails only with SK_ERR_DEAD (u ended meanwhile: never the caller's
 * own universe). unreserve gives back reservations that will not be used.
 */
sk_error_t universe_reserve(struct universe *u, size_t n);
void universe_unreserve(struct universe *u, size_t n);
sk_error_t universe_insert_reserved(struct universe *u, struct kobject *o, uint32_t rights,
                                    sk_handle_t *out);

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

/* Remove h from u, dropping its reference. Returns SK_OK or SK_ERR_BAD_HANDLE. */
sk_error_t universe_remove(struct universe *u, sk_handle_t h);
/* Number of live handles (for tests). */
uint64_t universe_count(struct universe *u);
/* Has u ended (its handles dropped, for good)? */
int universe_ended(struct universe *u);

/*
 * A thread of u starts: the first makes a NEW universe ACTIVE; SK_ERR_DEAD if u has
 * ended. ends: a started thread was reaped; the last one ends u (drops every handle).
 * Called by kernel/core/thread.c only.
 */
sk_error_t universe_thread_starts(struct universe *u);
void universe_thread_ends(struct universe *u);

struct ioport_map;
/* The universe's I/O port map (k/ioport.h), or NULL if it was never granted a port. Any context. */
struct ioport_map *universe_ioports(struct universe *u);
/* Install m as u's map unless it has one; returns the map u ends up with (free m if not m). */
struct ioport_map *universe_install_ioports(struct universe *u, struct ioport_map *m);

