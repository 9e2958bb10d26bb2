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
#include <k/ioport.h>
#include <k/thread.h>
#include <k/sched.h>
#include <k/uspace.h>
#include <base/string.h>

#define HANDLES_MAX (1u << 20)

struct universe {
    struct kobject obj;
    struct spinlock lock;
    struct handle_table table;
    struct thread *unstarted; /* threads created here and not started: weak references */
    struct ioport_map *volatile io; /* I/O ports granted to the universe's threads, or NULL */
    int closed;               /* its references are gone: handles dropped, no more inserts */
    volatile uint32_t weak;   /* weak references, +1 while any reference remains */
};

/*
 * Unstarted threads point at their universe without a reference, so that a
 * universe holding handles to its own unstarted threads is not kept alive by
 * them (a cycle nothing could break). This lock guards those pointers.
 */
static struct spinlock unstarted_lock = SPINLOCK_INIT;

static void universe_free(struct universe *u)
{
    kfree(u->table.e);
    kfree(u->io);
    kfree(u);
}

void universe_weak_get(struct universe *u)
{
    __atomic_add_fetch(&u->weak, 1, __ATOMIC_RELAXED);
}

void universe_weak_put(struct universe *u)
{
    if (__atomic_sub_fetch(&u->weak, 1, __ATOMIC_ACQ_REL) == 0)
        universe_free(u);
}

/* The last reference went: drop every handle. Weak holders may still insert-and-fail. */
static void universe_destroy(struct kobject *o)
{
    struct universe *u = (struct universe *)o;
    uint64_t f = spin_lock_irqsave(&unstarted_lock);
    for (struct thread *t = u->unstarted; t; t = t->unstarted_next)
        t->universe = NULL; /* it can never start now */
    u->unstarted = NULL;
    spin_unlock_irqrestore(&unstarted_lock, f);
    /* only weak holders can reach u now, and they only insert, which `closed` refuses */
    f = spin_lock_irqsave(&u->lock);
    u->closed = 1;
    spin_unlock_irqrestore(&u->lock, f);
    for (size_t i = 0; i < u->table.used; i++) {
        struct kobject *x = u->table.e[i].object;
        if (x) {
            u->table.e[i].object = NULL;
            kobj_handle_removed(x);
            kobj_put(x);
        }
    }
    universe_weak_put(u);
}

struct universe *universe_create(void)
{
    struct universe *u = kzalloc(sizeof *u);
    if (!u)
        return NULL;
    kobj_init(&u->obj, SK_OBJ_UNIVERSE, universe_destroy);
    u->lock = (struct spinlock)SPINLOCK_INIT;
    handle_table_init(&u->table);
    u->weak = 1;
    return u;
}

sk_error_t universe_insert(struct universe *u, struct kobject *o, uint32_t rights, sk_handle_t *out)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    if (u->closed) {
        spin_unlock_irqrestore(&u->lock, f);
        return SK_ERR_DEAD;
    }
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

void universe_hold_unstarted(struct universe *u, struct thread *t)
{
    uint64_t f = spin_lock_irqsave(&unstarted_lock);
    t->universe = u;
    t->unstarted_next = u->unstarted;
    u->unstarted = t;
    spin_unlock_irqrestore(&unstarted_lock, f);
}

static void unlink_unstarted(struct universe *u, struct thread *t)
{
    for (struct thread **pp = &u->unstarted; *pp; pp = &(*pp)->unstarted_next) {
        if (*pp == t) {
            *pp = t->unstarted_next;
            break;
        }
    }
    t->unstarted_next = NULL;
}

struct universe *universe_claim_unstarted(struct thread *t)
{
    uint64_t f = spin_lock_irqsave(&unstarted_lock);
    struct universe *u = t->universe;
    /* Its last reference may be gone already, with universe_destroy on its way to this lock
       to clear t->universe: then it is gone for t too (a plain kobj_get here revived a
       universe being destroyed; found by test-fuzz). Its memory lasts until destroy has
       passed the lock (the weak count), so the count can be looked at. */
    if (u && kobj_get_unless_zero(&u->obj))
        unlink_unstarted(u, t);
    else
        u = NULL;
    spin_unlock_irqrestore(&unstarted_lock, f);
    return u;
}

void universe_drop_unstarted(struct thread *t)
{
    uint64_t f = spin_lock_irqsave(&unstarted_lock);
    if (t->universe)
        unlink_unstarted(t->universe, t);
    t->universe = NULL;
    spin_unlock_irqrestore(&unstarted_lock, f);
}

struct ioport_map *universe_ioports(struct universe *u)
{
    return __atomic_load_n(&u->io, __ATOMIC_ACQUIRE);
}

struct ioport_map *universe_install_ioports(struct universe *u, struct ioport_map *m)
{
    struct ioport_map *expect = NULL;
    if (__atomic_compare_exchange_n(&u->io, &expect, m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return m;
    return expect;
}
