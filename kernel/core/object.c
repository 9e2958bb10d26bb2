/*
 * Kernel object reference counting: an atomic count, destroy() at zero.
 * (The user-memory branch's minimal version; the objects branch owns this file.)
 */
#include <k/object.h>

void kobj_init(struct kobject *o, uint32_t type, void (*destroy)(struct kobject *o))
{
    o->type = type;
    o->refs = 1;
    o->destroy = destroy;
}

void kobj_get(struct kobject *o)
{
    __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
}

void kobj_put(struct kobject *o)
{
    if (__atomic_fetch_sub(&o->refs, 1, __ATOMIC_ACQ_REL) == 1)
        o->destroy(o);
}
