/*
 * Self tests of copy-on-write: forked memory objects, private mappings, and
 * concurrent faults and unmaps from several CPUs (the other CPUs run their
 * part in a cross-CPU call, in the same space). Helpers in selftest_uspace.h.
 */
#include "selftest_uspace.h"
#include <k/smp.h>
#include <base/string.h>
#include <arch/cpu.h>
#include <arch/layout.h>

static uint64_t frame_of(struct vm_space *s, uint64_t va)
{
    uint64_t phys;
    unsigned fl;
    return vm_space_query(s, va, &phys, &fl) == 0 ? phys : 0;
}

static void fork_test(struct ust *t)
{
    struct memobj *a, *b;
    ST_CHECK(memobj_create_anon(8 * PG, 0, &a) == SK_OK);
    uint64_t x = 0x400000, y = 0x800000;
    ST_CHECK(vm_space_map(t->s, a, 0, &x, 8 * PG, RW | SK_MAP_FIXED) == SK_OK);
    for (uint64_t i = 0; i < 4; i++)
        ST_CHECK(ust_put64(x + i * PG, 0xa0 + i) == SK_OK);
    uint64_t before = pmm_free_count();
    ST_CHECK(memobj_fork(a, &b) == SK_OK);
    ST_CHECK(memobj_pages_present(b) == 4);
    ST_CHECK(before - pmm_free_count() <= 1); /* shares frames: one radix node at most */
    uint64_t phys;
    unsigned fl;
    ST_CHECK(vm_space_query(t->s, x, &phys, &fl) == 0 && !(fl & UPT_WRITE));
    ST_CHECK(vm_space_map(t->s, b, 0, &y, 8 * PG, RW | SK_MAP_FIXED) == SK_OK);
    for (uint64_t i = 0; i < 4; i++)
        ST_CHECK(ust_get64(y + i * PG) == 0xa0 + i);
    ST_CHECK(frame_of(t->s, x) == frame_of(t->s, y)); /* shared until written */
    ST_CHECK(ust_put64(y + PG, 0xb1) == SK_OK);       /* the fork copies */
    ST_CHECK(ust_get64(x + PG) == 0xa1 && ust_get64(y + PG) == 0xb1);
    ST_CHECK(ust_put64(x + 2 * PG, 0xa2a2) == SK_OK); /* the original copies */
    ST_CHECK(ust_get64(y + 2 * PG) == 0xa2 && ust_get64(x + 2 * PG) == 0xa2a2);
    uint64_t f0 = frame_of(t->s, y);
    ST_CHECK(ust_put64(x, 0xaaaa) == SK_OK);
    ST_CHECK(frame_of(t->s, x) != f0 && frame_of(t->s, y) == f0 && ust_get64(y) == 0xa0);
    ST_CHECK(ust_put64(y, 0xbbbb) == SK_OK); /* last sharer: written in place */
    ST_CHECK(frame_of(t->s, y) == f0);
    /* pages absent at fork time stay independent */
    ST_CHECK(ust_put64(x + 6 * PG, 0xa6) == SK_OK && ust_get64(y + 6 * PG) == 0);
    /* the original goes first; the fork keeps its contents */
    ST_CHECK(vm_space_unmap(t->s, x, 8 * PG) == SK_OK);
    kobj_put(memobj_kobj(a));
    ST_CHECK(ust_get64(y + 3 * PG) == 0xa3 && ust_get64(y + PG) == 0xb1);
    /* a fork of a fork, and a fork of a contiguous object */
    struct memobj *c, *d, *e;
    ST_CHECK(memobj_fork(b, &c) == SK_OK);
    kobj_put(memobj_kobj(c));
    ST_CHECK(ust_put64(y + 3 * PG, 0xb3) == SK_OK);
    ST_CHECK(memobj_create_anon(2 * PG, SK_MEM_CONTIGUOUS, &d) == SK_OK);
    x = 0x400000;
    ST_CHECK(vm_space_map(t->s, d, 0, &x, 2 * PG, RW | SK_MAP_FIXED) == SK_OK);
    ST_CHECK(ust_put64(x + PG, 0xd1) == SK_OK);
    ST_CHECK(memobj_fork(d, &e) == SK_OK);
    ST_CHECK(memobj_pages_present(e) == 2);
    ST_CHECK(ust_put64(x + PG, 0xd2) == SK_OK); /* contiguous frames stay in place */
    ST_CHECK(frame_of(t->s, x + PG) == d->phys + PG);
    uint64_t z = 0xc00000;
    ST_CHECK(vm_space_map(t->s, e, 0, &z, 2 * PG, SK_PROT_READ | SK_MAP_FIXED) == SK_OK);
    ST_CHECK(ust_get64(z + PG) == 0xd1);
    kobj_put(memobj_kobj(d));
    kobj_put(memobj_kobj(e));
    kobj_put(memobj_kobj(b));
}

SELFTEST(uspace_cow_fork, 0)
{
    UST_RUN(fork_test);
}

static void private_test(struct ust *t)
{
    struct memobj *m, *k;
    ST_CHECK(memobj_create_anon(8 * PG, 0, &m) == SK_OK);
    uint64_t x = 0x400000, z = 0x800000, off;
    ST_CHECK(vm_space_map(t->s, m, 0, &x, 8 * PG, RW | SK_MAP_FIXED) == SK_OK);
    for (uint64_t i = 0; i < 4; i++)
        ST_CHECK(ust_put64(x + i * PG, 0xa0 + i) == SK_OK);
    ST_CHECK(vm_space_map(t->s, m, 0, &z, 8 * PG, RW | SK_MAP_FIXED | SK_MAP_PRIVATE) == SK_OK);
    ST_CHECK(ust_get64(z + 3 * PG) == 0xa3);
    ST_CHECK(frame_of(t->s, z + 3 * PG) == frame_of(t->s, x + 3 * PG));
    ST_CHECK(ust_put64(z + 3 * PG, 0xc3) == SK_OK); /* private copy */
    ST_CHECK(ust_get64(x + 3 * PG) == 0xa3 && ust_get64(z + 3 * PG) == 0xc3);
    ST_CHECK(ust_put64(x + PG, 0xa1a1) == SK_OK); /* unwritten private pages follow the object */
    ST_CHECK(ust_get64(z + PG) == 0xa1a1);
    ST_CHECK(ust_put64(x + 3 * PG, 0xa3a3) == SK_OK); /* written ones do not */
    ST_CHECK(ust_get64(z + 3 * PG) == 0xc3);
    ST_CHECK(ust_put64(z + 6 * PG, 0xc6) == SK_OK); /* the object has no page 6 */
    ST_CHECK(memobj_pages_present(m) == 4 && ust_get64(x + 6 * PG) == 0);
    /* futex keys: the private pages' object, the shared mapping's object */
    ST_CHECK(vm_space_resolve(t->s, x + PG + 4, &k, &off) == SK_OK);
    ST_CHECK(k == m && off == PG + 4);
    kobj_put(memobj_kobj(k));
    ST_CHECK(vm_space_resolve(t->s, z + 2 * PG, &k, &off) == SK_OK);
    ST_CHECK(k != m && off == 2 * PG);
    kobj_put(memobj_kobj(k));
    ST_CHECK(vm_space_resolve(t->s, 0x300000, &k, &off) == SK_ERR_FAULT);
    /* split a private mapping: both pieces keep their private pages */
    ST_CHECK(vm_space_unmap(t->s, z + 4 * PG, PG) == SK_OK);
    ST_CHECK(ust_get64(z + 3 * PG) == 0xc3 && ust_get64(z + 6 * PG) == 0xc6);
    /* a read-only object mapped private and writable (an ELF .data) */
    ST_CHECK(vm_space_unmap(t->s, z, 8 * PG) == SK_OK);
    ST_CHECK(vm_space_map_max(t->s, m, PG, &z, 2 * PG, RW | SK_MAP_PRIVATE,
                              SK_PROT_READ | SK_PROT_WRITE) == SK_OK);
    ST_CHECK(ust_put64(z, 0xd0) == SK_OK && ust_get64(x + PG) == 0xa1a1);
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_cow_private, 0)
{
    UST_RUN(private_test);
}

/* Work done on every CPU at once, the test's CPU included. */
struct smp_ctx {
    struct vm_space *s;
    uint64_t base;
    volatile int go, stop;
    volatile uint32_t ready, done;
    volatile uint32_t errors;
    int mode; /* 0: writes to one shared page; 1: reads racing with unmaps */
};

static void wait_flag(volatile int *f)
{
    while (!__atomic_load_n(f, __ATOMIC_ACQUIRE)) {
        smp_call_poll();
        cpu_relax();
    }
}

static void smp_part(struct smp_ctx *c, unsigned me)
{
    if (c->mode == 0) {
        for (uint64_t k = 0; k < 4; k++)
            if (ust_put64(c->base + me * 64 + k * 8, (me << 8) | k) != SK_OK)
                __atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
        return;
    }
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        uint64_t v = ust_get64(c->base);
        if (v != 0xdeadbeef && v != 0x77)
            __atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
        smp_call_poll();
    }
}

static void smp_worker(void *arg)
{
    struct smp_ctx *c = arg;
    struct vm_space *prev = this_cpu()->space;
    vm_space_activate(c->s);
    __atomic_fetch_add(&c->ready, 1, __ATOMIC_RELEASE);
    wait_flag(&c->go);
    smp_part(c, this_cpu()->id);
    vm_space_activate(prev);
    __atomic_fetch_add(&c->done, 1, __ATOMIC_RELEASE);
}

/* Start up to max other CPUs on c; returns how many. */
static uint32_t start_others(struct smp_ctx *c, uint32_t max)
{
    uint32_t n = 0;
    for (unsigned cpu = 0; cpu < cpu_count && n < max; cpu++)
        if (cpu != this_cpu()->id && smp_call(cpu, smp_worker, c, 0) == 0)
            n++;
    while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) < n)
        cpu_relax();
    return n;
}

static void wait_others(struct smp_ctx *c, uint32_t n)
{
    while (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) < n) {
        smp_call_poll();
        cpu_relax();
    }
}

static void concurrent_cow(struct ust *t)
{
    struct memobj *m, *f = NULL;
    ST_CHECK(memobj_create_anon(PG, 0, &m) == SK_OK);
    uint64_t x = 0x400000;
    ST_CHECK(vm_space_map(t->s, m, 0, &x, PG, RW | SK_MAP_FIXED) == SK_OK);
    uint64_t f0 = irq_save(); /* this CPU's part must not be preempted by calls either */
    for (int round = 0; round < 3 && !st_failed(); round++) {
        ST_CHECK(ust_put64(x + 4000, 0xf0f0) == SK_OK);
        if (f)
            kobj_put(memobj_kobj(f));
        ST_CHECK(memobj_fork(m, &f) == SK_OK); /* the page is shared again */
        struct smp_ctx c = {.s = t->s, .base = x, .mode = 0};
        uint32_t n = start_others(&c, MAX_CPUS);
        __atomic_store_n(&c.go, 1, __ATOMIC_RELEASE);
        smp_part(&c, this_cpu()->id);
        wait_others(&c, n);
        ST_CHECK(c.errors == 0);
        for (unsigned cpu = 0; cpu < cpu_count; cpu++)
            for (uint64_t k = 0; k < 4; k++)
                if (cpu == this_cpu()->id || cpus[cpu].online)
                    ST_CHECK(ust_get64(x + cpu * 64 + k * 8) == ((cpu << 8) | k));
        /* the fork saw none of it */
        uint64_t fp;
        uint64_t lf = vm_spin_lock(&f->lock);
        sk_error_t e = memobj_page_locked(f, 0, 0, &fp);
        vm_spin_unlock(&f->lock, lf);
        ST_CHECK(e == SK_OK && fp != frame_of(t->s, x));
        ST_CHECK(((uint64_t *)phys_to_virt(fp))[500] == 0xf0f0);
    }
    irq_restore(f0);
    if (f)
        kobj_put(memobj_kobj(f));
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_smp_cow, 0)
{
    if (cpus_online < 2)
        ST_SKIP("one CPU: no other CPU to write at the same time");
    UST_RUN(concurrent_cow);
}

static void unmap_race(struct ust *t)
{
    struct memobj *m;
    ST_CHECK(memobj_create_anon(PG, 0, &m) == SK_OK);
    uint64_t x = 0x400000;
    ST_CHECK(vm_space_map(t->s, m, 0, &x, PG, RW | SK_MAP_FIXED) == SK_OK);
    ST_CHECK(ust_put64(x, 0x77) == SK_OK);
    struct smp_ctx c = {.s = t->s, .base = x, .mode = 1};
    uint64_t f0 = irq_save();
    uint32_t n = start_others(&c, 1); /* one reader is race enough */
    __atomic_store_n(&c.go, 1, __ATOMIC_RELEASE);
    for (int k = 0; k < 6; k++) {
        uint64_t a = x;
        if (vm_space_unmap(t->s, x, PG) != SK_OK ||
            vm_space_map(t->s, m, 0, &a, PG, RW | SK_MAP_FIXED) != SK_OK)
            __atomic_fetch_add(&c.errors, 1, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    wait_others(&c, n);
    irq_restore(f0);
    ST_CHECK(c.errors == 0);
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_unmap_race, 0)
{
    if (cpus_online < 2)
        ST_SKIP("one CPU: no other CPU to race with");
    UST_RUN(unmap_race);
}
