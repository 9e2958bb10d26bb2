/* Reference counting for kernel objects (struct kobject). */
#include <k/object.h>
#include <k/panic.h>

volatile uint64_t kobj_live[KOBJ_TYPES];

void kobj_init(struct kobject *o, uint32_t type, void (*destroy)(struct kobject *o))
{
    if (destroy)
        __atomic_fetch_add(&kobj_live[type % KOBJ_TYPES], 1, __ATOMIC_RELAXED);
    o->type = type;
    o->refs = 1;
    o->handles = 0;
    o->destroy = destroy;
    o->last_handle = 0;
}

int kobj_get_unless_zero(struct kobject *o)
{
    uint32_t old = __atomic_load_n(&o->refs, __ATOMIC_RELAXED);
    while (old) {
        if (__atomic_compare_exchange_n(&o->refs, &old, old + 1, 1, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return 1;
    }
    return 0;
}

void kobj_handle_added(struct kobject *o)
{
    __atomic_fetch_add(&o->handles, 1, __ATOMIC_RELAXED);
}

void kobj_handle_removed(struct kobject *o)
{
    if (__atomic_fetch_sub(&o->handles, 1, __ATOMIC_ACQ_REL) == 1 && o->last_handle)
        o->last_handle(o);
}
