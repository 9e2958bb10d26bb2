/*
 * Kernel heap: slab caches for fixed-size objects, and kmalloc/kfree for
 * any size (power-of-two slab classes up to KMALLOC_MAX_SLAB bytes, whole
 * PMM blocks above). Allocations come from the direct map, never fail by
 * panicking (NULL instead) and are SMP-safe. Freeing a pointer twice or one
 * the heap did not hand out is a kernel bug: debug builds panic with the
 * pointer, release builds log it and leave memory untouched.
 *
 * Lock order: the cache registry lock, then one cache's lock, then the PMM lock.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define KMALLOC_MAX_SLAB 2048 /* larger requests take whole pages */
#define SLAB_CACHE_MAX_SIZE 4096

struct slab_cache;

/* Set up the kmalloc classes. Call once after vm_init. */
void heap_init(void);

/*
 * Create a cache of objects of size bytes aligned to align (a power of two,
 * <= 4096; 0 means 8). name is copied. Returns the cache or NULL for bad
 * arguments or no memory. Takes the registry lock.
 */
struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align);
/*
 * Destroy a cache whose objects have all been freed, giving its memory back.
 * Returns 0, or -1 (cache left alone) while objects are still allocated.
 */
int slab_cache_destroy(struct slab_cache *c);
/* Allocate one object. Returns NULL when memory is exhausted. Takes the cache lock. */
void *slab_alloc(struct slab_cache *c);
/* Free an object of c (NULL is ignored). Takes the cache lock. */
void slab_free(struct slab_cache *c, void *obj);

/*
 * Allocate size bytes (aligned to 16, or to 64 from 64 bytes, or to a page above 2 KiB).
 * Memory new to the heap is zero (the heap zeroes every block it takes from the PMM),
 * a reused object is not: use kzalloc when zero matters.
 */
void *kmalloc(size_t size);
/* As kmalloc, zeroed. */
void *kzalloc(size_t size);
/* Free memory from kmalloc/kzalloc (NULL is ignored). */
void kfree(void *ptr);
/* The same for memory from kmalloc(size) with this size: its cache is known, so no lookup of
   the block it lies in (a size that does not match is caught as a foreign free). */
void kfree_sized(void *ptr, size_t size);

/*
 * Give every empty slab of every cache back to the PMM. Returns the number
 * of pages freed. Takes the registry lock and each cache lock in turn.
 */
uint64_t heap_reclaim(void);
/* For leak reports: fn(name, objects allocated, arg) for every cache (after heap_reclaim, whose
   draining of the per-CPU magazines makes the counts exact). Takes the registry lock. */
void heap_census(void (*fn)(const char *name, uint64_t inuse, void *arg), void *arg);
