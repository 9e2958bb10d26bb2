/* System calls on handles and universes: close, dup, transfer, info, universe_create. */
#include <k/syscall.h>
#include <k/universe.h>
#include <k/sched.h>

static struct universe *my_universe(void)
{
    return thread_universe(current_thread());
}

/* handle_close(h) */
SYSCALL_DEFINE(handle_close)
{
    SYSCALL_UNUSED_ARGS;
    sk_handle_t h = (sk_handle_t)a0;
    if (h <= 0 || !my_universe())
        return SK_ERR_BAD_HANDLE;
    return universe_remove(my_universe(), h);
}

/* handle_dup(h, rights) -> new handle with rights & the old rights; needs SK_RIGHT_DUPLICATE */
SYSCALL_DEFINE(handle_dup)
{
    SYSCALL_UNUSED_ARGS;
    if (a1 & ~(uint64_t)SK_RIGHTS_ALL)
        return SK_ERR_INVALID;
    struct kobject *o;
    uint32_t rights;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_NONE, SK_RIGHT_DUPLICATE, &o, &rights);
    if (err)
        return err;
    sk_handle_t h;
    err = universe_insert(my_universe(), o, rights & (uint32_t)a1, &h);
    kobj_put(o);
    if (!err)
        *ret = (uint64_t)h;
    return err;
}

/*
 * handle_transfer(universe, h, rights) -> handle in that universe. The universe handle
 * needs SK_RIGHT_MANAGE, h needs SK_RIGHT_TRANSFER; the copy gets rights & h's rights.
 */
SYSCALL_DEFINE(handle_transfer)
{
    SYSCALL_UNUSED_ARGS;
    if (a2 & ~(uint64_t)SK_RIGHTS_ALL)
        return SK_ERR_INVALID;
    struct kobject *u, *o;
    uint32_t rights;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_UNIVERSE, SK_RIGHT_MANAGE, &u, NULL);
    if (err)
        return err;
    err = handle_get((sk_handle_t)a1, SK_OBJ_NONE, SK_RIGHT_TRANSFER, &o, &rights);
    if (err) {
        kobj_put(u);
        return err;
    }
    sk_handle_t h;
    err = universe_insert((struct universe *)u, o, rights & (uint32_t)a2, &h);
    kobj_put(o);
    kobj_put(u);
    if (!err)
        *ret = (uint64_t)h;
    return err;
}

/* handle_info(h) -> type | rights << 32 */
SYSCALL_DEFINE(handle_info)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    uint32_t rights;
    sk_error_t err = handle_get((sk_handle_t)a0, SK_OBJ_NONE, 0, &o, &rights);
    if (err)
        return err;
    *ret = o->type | (uint64_t)rights << 32;
    kobj_put(o);
    return SK_OK;
}

/* universe_create() -> handle with every right */
SYSCALL_DEFINE(universe_create)
{
    SYSCALL_UNUSED_ARGS;
    struct universe *nu = universe_create();
    if (!nu)
        return SK_ERR_NO_MEMORY;
    sk_handle_t h;
    sk_error_t err = universe_insert(my_universe(), universe_kobj(nu), SK_RIGHTS_ALL, &h);
    universe_unpin(nu); /* the new handle holds it now (docs/processes.md) */
    kobj_put(universe_kobj(nu));
    if (!err)
        *ret = (uint64_t)h;
    return err;
}
