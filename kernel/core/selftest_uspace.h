/*
 * Helpers for the user-memory self tests: each test runs in a fresh address
 * space activated on this CPU, touches user addresses only through
 * copy_to_user / copy_from_user, and must leave the PMM free count exactly
 * where it found it (empty slabs are reclaimed on both sides).
 */
#pragma once
#include <k/selftest.h>
#include <k/uspace_impl.h>
#include <k/percpu.h>
#include <k/heap.h>
#include <k/pmm.h>

struct ust {
    struct vm_space *s, *prev;
    uint64_t free0;
};

static inline int ust_begin(struct ust *t)
{
    heap_reclaim();
    t->free0 = pmm_free_count();
    if (vm_space_create(&t->s) != SK_OK) {
        st_fail("vm_space_create failed");
        return 0;
    }
    t->prev = this_cpu()->space;
    vm_space_activate(t->s);
    return 1;
}

static inline void ust_end(struct ust *t)
{
    vm_space_activate(t->prev);
    kobj_put(vm_space_kobj(t->s));
    heap_reclaim();
    uint64_t now = pmm_free_count();
    if (now != t->free0)
        st_fail("leak: %ld pages not given back", (long)(t->free0 - now));
}

/* Run body(t) inside a fresh space with the leak check around it. */
#define UST_RUN(body) \
    do { \
        struct ust t_; \
        if (ust_begin(&t_)) { \
            body(&t_); \
            ust_end(&t_); \
        } \
    } while (0)

static inline uint64_t ust_get64(uint64_t uaddr)
{
    uint64_t v = 0xdeadbeef;
    if (copy_from_user(&v, uaddr, sizeof v) != SK_OK)
        return 0xdeadbeef;
    return v;
}

static inline sk_error_t ust_put64(uint64_t uaddr, uint64_t v)
{
    return copy_to_user(uaddr, &v, sizeof v);
}

#define RW (SK_PROT_READ | SK_PROT_WRITE)
#define PG 4096ull
