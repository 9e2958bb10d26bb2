/*
 * The handle table behind a universe: entries sorted by handle value (values
 * only grow, so inserting appends), found by binary search; removed entries
 * leave holes that are compacted when they outnumber the live ones. The
 * entries live in fixed-size chunks named by a directory, so a table of a
 * million handles needs no large contiguous allocation; a small table has one
 * small chunk that grows to full size first. Room is reserved before entries
 * are added, so a caller can make every allocation before it changes anything.
 * A small cache keyed by the handle's low bits remembers where recent lookups
 * found their entries (a server's calls look up the same few handles over
 * and over, among thousands); it is emptied whenever entries move (a chunk
 * reallocated, a compaction, a release or a move), and a hit is checked
 * against the entry's own handle and object, so it never answers a removed
 * handle.
 * Pure code (unit-tested on the host); the caller provides locking and the
 * allocator.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

struct handle_entry {
    int64_t handle;  /* > 0 */
    void *object;    /* NULL: removed */
    uint32_t rights;
};

/* Entries per full chunk: one 4 KiB page of 24-byte entries. */
#define HT_CHUNK 170u
/* Lookup cache slots (a power of two). */
#define HT_CACHE 16u

struct handle_table {
    struct handle_entry **dir; /* dir[i]: entries i*HT_CHUNK .. ; &one while there is one chunk */
    struct handle_entry *one;
    size_t nchunks;  /* chunks allocated */
    size_t dir_cap;  /* slots in dir (1: the inline one) */
    size_t first_cap; /* entries in chunk 0 (grows to HT_CHUNK before a second chunk) */
    size_t used;     /* entries in use, holes included */
    size_t live;
    size_t reserved; /* room promised to handle_table_reserve callers */
    int64_t next;    /* next handle value to hand out */
    struct handle_entry *cache[HT_CACHE]; /* where handle h was found: slot h % HT_CACHE */
    void *(*alloc)(size_t size);
    void (*free)(void *p);
};

void handle_table_init(struct handle_table *t, void *(*alloc)(size_t), void (*free)(void *));
/* Move a table to dst (src is left empty and usable). */
void handle_table_move(struct handle_table *dst, struct handle_table *src);
/* Free every chunk; the entries' objects are the caller's business. */
void handle_table_release(struct handle_table *t);
/* Promise room for n more handle_table_add calls: allocates what they need.
   Returns 0, or -1 without memory (nothing changed). */
int handle_table_reserve(struct handle_table *t, size_t n);
/* Give back n promised entries that will not be added. */
void handle_table_unreserve(struct handle_table *t, size_t n);
/* Append, using one reserved entry (the caller reserved it). Returns the new handle. */
int64_t handle_table_add(struct handle_table *t, void *object, uint32_t rights);
/* Entry i (< used), live or a hole. */
static inline struct handle_entry *handle_table_at(const struct handle_table *t, size_t i)
{
    return &t->dir[i / HT_CHUNK][i % HT_CHUNK];
}
/* The live entry for h, or NULL. */
struct handle_entry *handle_table_find(struct handle_table *t, int64_t h);
/* Remove h; returns its object (NULL if h was not live). Compacts when worth it. */
void *handle_table_remove(struct handle_table *t, int64_t h, uint32_t *rights);
