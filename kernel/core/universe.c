/*
 * Universes: handle tables with rights, and when a universe (a process) ends.
 * The table logic is kernel/lib/handletable.c; this file adds the lock, memory,
 * object references, the special handles and the life rule of docs/processes.md
 * ("When a universe ends"):
 *
 *  - references (obj.refs) keep only the memory of the struct; they never keep
 *    its handles alive, so no loop of references can keep anything alive;
 *  - a universe is NEW until its first thread starts, ACTIVE while it has
 *    started threads that have not been reaped, ENDED after that (for good);
 *  - a NEW universe lives while it is *held*: by a handle in an ACTIVE universe
 *    or by its creator's pin; an ACTIVE one lives while it has threads, whatever
 *    holds it; ending drops every handle in the table at once.
 * Every live universe is therefore reached from a running thread (or the kernel)
 * in at most one step, and ending an ACTIVE universe can end only NEW ones (its
 * holds), whose tables count no holds: the cascade is at most two deep.
 *
 * Lock order: a universe's lock is a leaf: nothing is locked inside it, and
 * neither kobj_put nor hold_put runs under it.
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

enum { U_NEW, U_ACTIVE, U_ENDED };

struct universe {
    struct kobject obj;
    struct spinlock lock;
    struct handle_table table;
    struct ioport_map *volatile io; /* I/O ports granted to the universe's threads, or NULL */
    int state;                /* U_*, under lock */
    uint32_t threads;         /* started threads not yet reaped, under lock */
    volatile uint32_t holds;  /* handles in ACTIVE universes + the creator's pin (atomic) */
};

static void *table_alloc(size_t size) { return kmalloc(size); }
static void table_free(void *p) { kfree(p); }

static int is_universe(const struct kobject *o)
{
    return o->type == SK_OBJ_UNIVERSE;
}

static void hold_put(struct universe *u);

/* Let go of the handles of an ended universe's table (taken out of it under its lock).
   counted: the table's universe entries were holds (it was ACTIVE). */
static void drop_entries(struct handle_table *t, int counted)
{
    for (size_t i = 0; i < t->used; i++) {
        struct kobject *x = handle_table_at(t, i)->object;
        if (!x)
            continue;
        if (counted && is_universe(x))
            hold_put((struct universe *)x);
        kobj_handle_removed(x);
        kobj_put(x);
    }
    handle_table_release(t);
}

/* The last reference: the memory goes (a universe is ended before that, see drop_entries). */
static void universe_free(struct kobject *o)
{
    struct universe *u = (struct universe *)o;
    /* (a creator that drops its reference before its pin: end it here; nothing counted) */
    kassert(u->state == U_ENDED);
    u->state = U_ENDED;
    drop_entries(&u->table, 0);
    kfree(u->io);
    kfree(u);
}

/* u was moved to U_ENDED by the caller (under its lock, from state `was`): drop its handles. */
static void universe_end(struct universe *u, int was)
{
    struct handle_table t;
    uint64_t f = spin_lock_irqsave(&u->lock);
    handle_table_move(&t, &u->table);
    spin_unlock_irqrestore(&u->lock, f);
    drop_entries(&t, was == U_ACTIVE);
}

static void hold_get(struct universe *u)
{
    __atomic_add_fetch(&u->holds, 1, __ATOMIC_RELAXED);
}

/* One hold less; a NEW universe that nothing holds any more ends. */
static void hold_put(struct universe *u)
{
    if (__atomic_sub_fetch(&u->holds, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    uint64_t f = spin_lock_irqsave(&u->lock);
    int end = u->state == U_NEW && __atomic_load_n(&u->holds, __ATOMIC_ACQUIRE) == 0;
    if (end)
        u->state = U_ENDED;
    spin_unlock_irqrestore(&u->lock, f);
    if (end)
        universe_end(u, U_NEW);
}

struct universe *universe_create(void)
{
    struct universe *u = kzalloc(sizeof *u);
    if (!u)
        return NULL;
    kobj_init(&u->obj, SK_OBJ_UNIVERSE, universe_free);
    u->lock = (struct spinlock)SPINLOCK_INIT;
    handle_table_init(&u->table, table_alloc, table_free);
    u->state = U_NEW;
    u->holds = 1; /* the creator's pin */
    return u;
}

void universe_unpin(struct universe *u)
{
    hold_put(u);
}

/* Room for n more handles in u (under its lock): SK_ERR_DEAD, SK_ERR_LIMIT, SK_ERR_NO_MEMORY. */
static sk_error_t reserve_locked(struct universe *u, size_t n)
{
    if (u->state == U_ENDED)
        return SK_ERR_DEAD;
    if (n > HANDLES_MAX || u->table.live + u->table.reserved > HANDLES_MAX - n)
        return SK_ERR_LIMIT;
    return handle_table_reserve(&u->table, n) == 0 ? SK_OK : SK_ERR_NO_MEMORY;
}

/* Add o under u's lock into a reserved entry. */
static sk_handle_t add_locked(struct universe *u, struct kobject *o, uint32_t rights)
{
    kobj_get(o);
    kobj_handle_added(o);
    if (u->state == U_ACTIVE && is_universe(o))
        hold_get((struct universe *)o);
    return handle_table_add(&u->table, o, rights & SK_RIGHTS_ALL);
}

sk_error_t universe_insert(struct universe *u, struct kobject *o, uint32_t rights, sk_handle_t *out)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    sk_error_t err = reserve_locked(u, 1);
    if (!err)
        *out = add_locked(u, o, rights);
    spin_unlock_irqrestore(&u->lock, f);
    return err;
}

sk_error_t universe_reserve(struct universe *u, size_t n)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    sk_error_t err = reserve_locked(u, n);
    spin_unlock_irqrestore(&u->lock, f);
    return err;
}

void universe_unreserve(struct universe *u, size_t n)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    handle_table_unreserve(&u->table, n);
    spin_unlock_irqrestore(&u->lock, f);
}

sk_error_t universe_insert_reserved(struct universe *u, struct kobject *o, uint32_t rights,
                                    sk_handle_t *out)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    sk_error_t err = SK_ERR_DEAD; /* (ending gave the reservation back with the table) */
    if (u->state != U_ENDED) {
        *out = add_locked(u, o, rights);
        err = SK_OK;
    }
    spin_unlock_irqrestore(&u->lock, f);
    return err;
}

sk_error_t universe_remove(struct universe *u, sk_handle_t h)
{
    if (h <= 0)
        return SK_ERR_BAD_HANDLE;
    uint64_t f = spin_lock_irqsave(&u->lock);
    struct kobject *o = handle_table_remove(&u->table, h, NULL);
    int counted = o && u->state == U_ACTIVE && is_universe(o);
    spin_unlock_irqrestore(&u->lock, f);
    if (!o)
        return SK_ERR_BAD_HANDLE;
    if (counted)
        hold_put((struct universe *)o);
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

int universe_ended(struct universe *u)
{
    return __atomic_load_n(&u->state, __ATOMIC_ACQUIRE) == U_ENDED;
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

sk_error_t universe_thread_starts(struct universe *u)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    if (u->state == U_ENDED) {
        spin_unlock_irqrestore(&u->lock, f);
        return SK_ERR_DEAD;
    }
    u->threads++;
    if (u->state == U_NEW) {
        /* its universe handles become holds now */
        u->state = U_ACTIVE;
        for (size_t i = 0; i < u->table.used; i++) {
            struct kobject *x = handle_table_at(&u->table, i)->object;
            if (x && is_universe(x))
                hold_get((struct universe *)x);
        }
    }
    spin_unlock_irqrestore(&u->lock, f);
    return SK_OK;
}

void universe_thread_ends(struct universe *u)
{
    uint64_t f = spin_lock_irqsave(&u->lock);
    int end = --u->threads == 0;
    if (end)
        u->state = U_ENDED;
    spin_unlock_irqrestore(&u->lock, f);
    if (end)
        universe_end(u, U_ACTIVE);
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
