/*
 * Universes: handle tables with rights. The table logic is kernel/lib/handletable.c;
 * this file adds the lock, memory, object references and the special handles.
 * Lock order: the universe lock is taken last and nothing that may sleep or
 * drop an object reference runs under it.
 */
#include <k/universe.h>
#include <k/handletable.h>
#include <k/spinlock.h>
#include <k/heap.h>
#include <k/thread.h>
#include <k/uspace.h>
#include <base/string.h>

#define HANDLES_MAX (1u << 20)

struct universe {
    struct kobject obj;
    struct spinlock lock;
    struct handle_table table;
};

static void universe_destroy(struct kobject *o)
{
    struct universe *u = (struct universe *)o;
    /* no lock: nobody else can reach a universe with no references */
    for (size_t i = 0; i < u->table.used; i++) {
        struct kobject *x = u->table.e[i].object;
        if (x) {
            u->table.e[i].object = NULL;
            kobj_handle_removed(x);
            kobj_put(x);
        }
    }
    kfree(u->table.e);
    kfree(u);
}

struct universe *universe_create(void)
{
    struct universe *u = kzalloc(sizeof *u);
    if (!u)
        return NULL;
    kobj_init(&u->obj, SK_OBJ_UNIVERSE, universe_destroy);
    u->lock = (struct spinlock)SPINLOCK_INIT;
    handle_table_init(&u->table);
    return u;
}

sk_error_t universe_insert(struct universe *u, struct kobject *o, uint32_t rights, sk_handle_t *out)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    if (u->table.live >= HANDLES_MAX) {
        spin_unlock_irqrestore(&u->lock, f);
        return SK_ERR_LIMIT;
    }
    if (handle_table_full(&u->table)) {
        size_t cap = handle_table_want(&u->table);
        struct handle_entry *e = kmalloc(cap * sizeof *e);
        if (!e) {
            spin_unlock_irqrestore(&u->lock, f);
            return SK_ERR_NO_MEMORY;
        }
        struct handle_entry *old = u->table.e;
        handle_table_adopt(&u->table, e, cap);
        kfree(old);
    }
    kobj_get(o);
    kobj_handle_added(o);
    *out = handle_table_add(&u->table, o, rights & SK_RIGHTS_ALL);
    spin_unlock_irqrestore(&u->lock, f);
    return SK_OK;
}

sk_error_t universe_remove(struct universe *u, sk_handle_t h)
{
    if (h <= 0)
        return SK_ERR_BAD_HANDLE;
    uint64_t f = spin_lock_irqsave(&u->lock);
    struct kobject *o = handle_table_remove(&u->table, h, NULL);
    spin_unlock_irqrestore(&u->lock, f);
    if (!o)
        return SK_ERR_BAD_HANDLE;
    kobj_handle_removed(o);
    kobj_put(o);
    return SK_OK;
}

uint64_t universe_count(struct universe *u)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    uint64_t n = u->table.live;
    spin_unlock_irqrestore(&u->lock, f);
    return n;
}

sk_error_t handle_get(sk_handle_t h, uint32_t type, uint32_t need, struct kobject **out,
                      uint32_t *rights)
{
    struct thread *self = current_thread();
    struct universe *u = thread_universe(self);
    struct kobject *o = NULL;
    uint32_t r = SK_RIGHTS_ALL;
    if (h == SK_THIS_UNIVERSE) {
        o = (struct kobject *)u;
    } else if (h == SK_THIS_THREAD) {
        o = (struct kobject *)self;
    } else if (h == SK_THIS_SPACE) {
        o = (struct kobject *)thread_space(self);
    } else if (h > 0 && u) {
        uint64_t f = spin_lock_irqsave(&u->lock);
        struct handle_entry *e = handle_table_find(&u->table, h);
        if (e) {
            o = e->object;
            r = e->rights;
            kobj_get(o);
        }
        spin_unlock_irqrestore(&u->lock, f);
        if (!o)
            return SK_ERR_BAD_HANDLE;
        goto check;
    }
    if (!o)
        return SK_ERR_BAD_HANDLE;
    kobj_get(o);
check:
    if (type != SK_OBJ_NONE && o->type != type) {
        kobj_put(o);
        return SK_ERR_WRONG_TYPE;
    }
    if ((r & need) != need) {
        kobj_put(o);
        return SK_ERR_NO_RIGHTS;
    }
    *out = o;
    if (rights)
        *rights = r;
    return SK_OK;
}
