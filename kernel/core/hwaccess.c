/* The hardware-access capability object (see k/hwaccess.h). */
#include <k/hwaccess.h>
#include <k/universe.h>
#include <stddef.h>

static struct kobject hw;
static int ready;

struct kobject *hw_access_object(void)
{
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        kobj_init(&hw, SK_OBJ_HW_ACCESS, 0); /* static: no destroy, one permanent reference */
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    return &hw;
}

sk_error_t hw_access_check(sk_handle_t h)
{
    struct kobject *o;
    sk_error_t e = handle_get(h, SK_OBJ_HW_ACCESS, SK_RIGHT_MANAGE, &o, NULL);
    if (e == SK_OK)
        kobj_put(o); /* the capability is permanent; only the check matters */
    return e;
}
