/*
 * The handle table behind a universe: entries sorted by handle value (values
 * only grow, so inserting appends), found by binary search; removed entries
 * leave holes that are compacted when they outnumber the live ones. Pure code
 * (unit-tested on the host); the caller provides locking and memory.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

struct handle_entry {
    int64_t handle;  /* > 0 */
    void *object;    /* NULL: removed */
    uint32_t rights;
};

struct handle_table {
    struct handle_entry *e;
    size_t used;     /* entries in use, holes included */
    size_t cap;
    size_t live;
    int64_t next;    /* next handle value to hand out */
};

void handle_table_init(struct handle_table *t);
/* Room for one more entry? If not, the caller grows e to at least handle_table_want(t). */
int handle_table_full(const struct handle_table *t);
size_t handle_table_want(const struct handle_table *t);
/* Adopt a larger array (already holding the old entries' copy) of capacity cap. */
void handle_table_adopt(struct handle_table *t, struct handle_entry *e, size_t cap);
/* Append; the table must not be full. Returns the new handle. */
int64_t handle_table_add(struct handle_table *t, void *object, uint32_t rights);
/* The live entry for h, or NULL. */
struct handle_entry *handle_table_find(struct handle_table *t, int64_t h);
/* Remove h; returns its object (NULL if h was not live). Compacts when worth it. */
void *handle_table_remove(struct handle_table *t, int64_t h, uint32_t *rights);
