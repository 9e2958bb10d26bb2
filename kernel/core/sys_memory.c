/*
 * System calls for memory objects and address spaces (docs/abi.md has the
 * contract of each). Every handler resolves its handles and lets the
 * vm_ / memobj_ call check every other argument before anything changes;
 * new objects reach the caller's universe only once they are complete.
 */
#include <k/syscall.h>
#include <k/hwaccess.h>
#include <k/universe.h>
#include <k/thread.h>
#include <k/uspace_impl.h>

/* Rights of a new memory object's handle, and of a new space's. */
#define MEMORY_RIGHTS (SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_EXECUTE | SK_RIGHT_MAP | \
                       SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE)
#define SPACE_RIGHTS (SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP | SK_RIGHT_MANAGE | \
                      SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE)

/* Hand o (our reference) to the caller's universe with rights; the handle goes to *ret. */
static sk_error_t publish(struct kobject *o, uint32_t rights, uint64_t *ret)
{
    struct universe *u = thread_universe(current_thread());
    sk_handle_t h = SK_HANDLE_NULL;
    sk_error_t e = u ? universe_insert(u, o, rights, &h) : SK_ERR_DEAD;
    kobj_put(o); /* the universe holds its own reference */
    if (e == SK_OK)
        *ret = (uint64_t)h;
    return e;
}

SYSCALL_DEFINE(memory_create)
{
    SYSCALL_UNUSED_ARGS;
    struct memobj *m;
    sk_error_t e = memobj_create_anon(a0, a1 > UINT32_MAX ? UINT32_MAX : (unsigned)a1, &m);
    return e == SK_OK ? publish(memobj_kobj(m), MEMORY_RIGHTS, ret) : e;
}

SYSCALL_DEFINE(memory_create_physical)
{
    SYSCALL_UNUSED_ARGS;
    sk_error_t e = hw_access_check((sk_handle_t)a0);
    if (e != SK_OK)
        return e;
    if (a3 > UINT32_MAX)
        return SK_ERR_INVALID;
    struct memobj *m;
    e = memobj_create_phys(a1, a2, (unsigned)a3, &m);
    return e == SK_OK ? publish(memobj_kobj(m), MEMORY_RIGHTS, ret) : e;
}

SYSCALL_DEFINE(memory_fork)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    uint32_t rights;
    sk_error_t e = handle_get((sk_handle_t)a0, SK_OBJ_MEMORY, SK_RIGHT_READ, &o, &rights);
    if (e != SK_OK)
        return e;
    struct memobj *f;
    e = memobj_fork((struct memobj *)o, &f);
    kobj_put(o);
    /* The copy is the caller's own: writable, otherwise no more than the source handle. */
    return e == SK_OK ? publish(memobj_kobj(f), (rights | SK_RIGHT_WRITE) & MEMORY_RIGHTS, ret)
                      : e;
}

SYSCALL_DEFINE(memory_size)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t e = handle_get((sk_handle_t)a0, SK_OBJ_MEMORY, 0, &o, NULL);
    if (e != SK_OK)
        return e;
    *ret = memobj_size((struct memobj *)o);
    kobj_put(o);
    return SK_OK;
}

SYSCALL_DEFINE(memory_resize)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *o;
    sk_error_t e = handle_get((sk_handle_t)a0, SK_OBJ_MEMORY, SK_RIGHT_WRITE, &o, NULL);
    if (e != SK_OK)
        return e;
    e = memobj_resize((struct memobj *)o, a1);
    kobj_put(o);
    return e;
}

SYSCALL_DEFINE(space_create)
{
    SYSCALL_UNUSED_ARGS;
    struct vm_space *s;
    sk_error_t e = vm_space_create(&s);
    return e == SK_OK ? publish(vm_space_kobj(s), SPACE_RIGHTS, ret) : e;
}

SYSCALL_DEFINE(space_map)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *so, *mo;
    uint32_t rights;
    sk_error_t e = handle_get((sk_handle_t)a0, SK_OBJ_SPACE, SK_RIGHT_MAP, &so, NULL);
    if (e != SK_OK)
        return e;
    e = handle_get((sk_handle_t)a1, SK_OBJ_MEMORY, SK_RIGHT_MAP | SK_RIGHT_READ, &mo, &rights);
    if (e != SK_OK) {
        kobj_put(so);
        return e;
    }
    unsigned prot = a5 > UINT32_MAX ? UINT32_MAX : (unsigned)a5; /* bad bits: SK_ERR_INVALID */
    /* Writes through a private mapping never reach the object. */
    unsigned maxprot = SK_PROT_READ |
                       ((rights & SK_RIGHT_WRITE) || (prot & SK_MAP_PRIVATE) ? SK_PROT_WRITE : 0) |
                       ((rights & SK_RIGHT_EXECUTE) ? SK_PROT_EXEC : 0);
    uint64_t addr = a3;
    e = vm_space_map_max((struct vm_space *)so, (struct memobj *)mo, a2, &addr, a4, prot, maxprot);
    kobj_put(mo);
    kobj_put(so);
    if (e == SK_OK)
        *ret = addr;
    return e;
}

SYSCALL_DEFINE(space_unmap)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *so;
    sk_error_t e = handle_get((sk_handle_t)a0, SK_OBJ_SPACE, SK_RIGHT_MAP, &so, NULL);
    if (e != SK_OK)
        return e;
    e = vm_space_unmap((struct vm_space *)so, a1, a2);
    kobj_put(so);
    return e;
}

SYSCALL_DEFINE(space_protect)
{
    SYSCALL_UNUSED_ARGS;
    struct kobject *so;
    sk_error_t e = handle_get((sk_handle_t)a0, SK_OBJ_SPACE, SK_RIGHT_MAP, &so, NULL);
    if (e != SK_OK)
        return e;
    unsigned prot = a3 > UINT32_MAX ? UINT32_MAX : (unsigned)a3;
    e = vm_space_protect((struct vm_space *)so, a1, a2, prot);
    kobj_put(so);
    return e;
}
