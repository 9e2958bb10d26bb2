/* The hardware-access capability object (see k/hwaccess.h). */
#include <k/hwaccess.h>

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
