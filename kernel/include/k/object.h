/*
 * Kernel objects that handles can name. Each embeds struct kobject first;
 * lifetime is reference counted and destroy() runs when the last reference
 * (handle or kernel pointer) goes.
 */
#pragma once
#include <stdint.h>
#include <skoll/objects.h>

struct kobject {
    uint32_t type;                         /* enum sk_object_type */
    volatile uint32_t refs;
    void (*destroy)(struct kobject *o);    /* frees the object; called with no locks held */
};

/* Initialise with one reference held by the caller. */
void kobj_init(struct kobject *o, uint32_t type, void (*destroy)(struct kobject *o));
/* Take another reference. */
void kobj_get(struct kobject *o);
/* Drop a reference; destroys the object when it was the last. Never call with spinlocks held. */
void kobj_put(struct kobject *o);
