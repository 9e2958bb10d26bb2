/*
 * Kernel objects that handles can name. Each embeds struct kobject first.
 * Two counts: refs (every reference, handles included) decides when the
 * memory goes; handles (references held by handle-table entries) lets an
 * object act when its last handle goes (a thread is killed then).
 */
#pragma once
#include <stdint.h>
#include <skoll/objects.h>
#include <k/panic.h>

struct kobject {
    uint32_t type;                         /* enum sk_object_type */
    volatile uint32_t refs;
    volatile uint32_t handles;
    void (*destroy)(struct kobject *o);    /* frees the object; called with no locks held */
    void (*last_handle)(struct kobject *o); /* optional; called with no locks held */
    struct kobject *defer_next;            /* the reaper's list (kobj_put_anywhere) */
};

/* Objects alive, by type (those with a destroy function), for the leak check's report. */
#define KOBJ_TYPES 16
extern volatile uint64_t kobj_live[KOBJ_TYPES];
static inline void kobj_count_destroyed(const struct kobject *o)
{
    __atomic_fetch_sub(&kobj_live[o->type % KOBJ_TYPES], 1, __ATOMIC_RELAXED);
}

/* Initialise with one reference held by the caller and no handles. */
void kobj_init(struct kobject *o, uint32_t type, void (*destroy)(struct kobject *o));
/* Take another reference. */
static inline void kobj_get(struct kobject *o)
{
    uint32_t old = __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
    kassert(old > 0 && old < 0xfffffff0u);
    (void)old;
}
/* n references at once (n > 0). */
static inline void kobj_get_n(struct kobject *o, uint32_t n)
{
    uint32_t old = __atomic_fetch_add(&o->refs, n, __ATOMIC_RELAXED);
    kassert(old > 0 && old < 0xfffffff0u - n);
    (void)old;
}
/* Take a reference unless the count is already 0 (the object is being destroyed; its memory
   must still be valid, e.g. through a weak reference). Returns 1 if taken. */
int kobj_get_unless_zero(struct kobject *o);
/* Drop a reference; destroys the object when it was the last. Never call with spinlocks held. */
static inline void kobj_put(struct kobject *o)
{
    uint32_t old = __atomic_fetch_sub(&o->refs, 1, __ATOMIC_ACQ_REL);
    kassert(old > 0);
    if (old == 1 && o->destroy) {
        kobj_count_destroyed(o);
        o->destroy(o);
    }
}
/* Drop n references at once (n > 0), as kobj_put. */
static inline void kobj_put_n(struct kobject *o, uint32_t n)
{
    uint32_t old = __atomic_fetch_sub(&o->refs, n, __ATOMIC_ACQ_REL);
    kassert(old >= n);
    if (old == n && o->destroy) {
        kobj_count_destroyed(o);
        o->destroy(o);
    }
}
/* Handle-table bookkeeping: a handle now refers to o / no longer does (calls last_handle at 0). */
void kobj_handle_added(struct kobject *o);
void kobj_handle_removed(struct kobject *o);

/*
 * kobj_put from any context: in an interrupt handler the last reference is
 * handed to the reaper thread (kernel/core/reaper.c), which drops it soon after.
 */
void kobj_put_anywhere(struct kobject *o);
/* Start the reaper thread (boot, once, after the scheduler). */
void reaper_init(void);
