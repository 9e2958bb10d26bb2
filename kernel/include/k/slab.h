/*
 * One slab: a naturally aligned block of memory holding a header (this
 * struct) followed by equal-sized objects, with a bitmap of which objects are
 * in use. The bitmap (rather than a free list threaded through the objects)
 * means a stray write into a free object cannot corrupt the allocator, and a
 * double free is always detected. Pure code, no locking: the heap
 * (kernel/core/heap.c) owns the lists and the locks. Unit-tested on the host.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define SLAB_MAGIC 0x51ab51abu
#define SLAB_MAX_OBJECTS 512
#define SLAB_MIN_OBJECT 8

/* slab_put results */
#define SLAB_OK 0
#define SLAB_ERR_FOREIGN (-1) /* not the start of an object of this slab */
#define SLAB_ERR_DOUBLE (-2)  /* object is not allocated */

struct slab {
    uint32_t magic;
    uint16_t capacity; /* objects in this slab */
    uint16_t inuse;
    uint32_t obj_size;
    uint32_t first;    /* offset of object 0 from the slab start */
    uint32_t hint;     /* bitmap word to start searching at */
    struct slab *next, *prev; /* the owner's lists */
    void *owner;
    uint64_t used[SLAB_MAX_OBJECTS / 64];
    /* objects freed into a per-CPU cache of the heap: still "used" above, marked here
       (atomically: CPUs park and unpark without the owner's lock) */
    uint64_t parked[SLAB_MAX_OBJECTS / 64];
};

struct slab_layout {
    uint32_t obj_size; /* size rounded up to the alignment */
    uint32_t first;
    uint32_t capacity;
};

/*
 * Work out where objects of size bytes with alignment align (a power of two)
 * go in a slab of slab_bytes. Returns 0, or -1 if not even one fits.
 */
int slab_layout(size_t size, size_t align, size_t slab_bytes, struct slab_layout *out);
/* Bytes of a slab_bytes slab that hold no object (header, padding, tail). */
size_t slab_waste(const struct slab_layout *l, size_t slab_bytes);
/* Initialise the slab header at the start of the block s. */
void slab_init(struct slab *s, void *owner, const struct slab_layout *l);
/* Take a free object. Returns it, or NULL if the slab is full. */
void *slab_take(struct slab *s);
/* Give back obj. Returns SLAB_OK, SLAB_ERR_FOREIGN or SLAB_ERR_DOUBLE (slab unchanged on errors). */
int slab_put(struct slab *s, void *obj);
/*
 * Mark the allocated object obj as parked (freed into a per-CPU cache, not yet
 * back in the bitmap). Returns SLAB_OK, SLAB_ERR_FOREIGN, or SLAB_ERR_DOUBLE if
 * obj is free or parked already. Atomic: needs no lock.
 */
int slab_park(struct slab *s, void *obj);
/* obj (parked, checked by slab_park) is handed out again or goes back: unmark it. */
void slab_unpark(struct slab *s, void *obj);
/* Is obj (the start of an object of s) allocated? */
int slab_object_used(const struct slab *s, const void *obj);
