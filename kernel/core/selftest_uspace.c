/*
 * Self tests of memory objects and address spaces: demand-zero pages,
 * contiguous and physical objects, argument errors, and unmap/protect
 * semantics with splitting. Copy-on-write and SMP tests are in
 * selftest_cow.c. Helpers in selftest_uspace.h.
 */
#include "selftest_uspace.h"
#include <k/urange.h>
#include <k/vm.h>
#include <base/string.h>
#include <arch/layout.h>
#include <arch/cpu.h>

static void demand_zero(struct ust *t)
{
    struct memobj *m;
    ST_CHECK(memobj_create_anon(16 * PG, 0, &m) == SK_OK);
    uint64_t a = 0x400000;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 16 * PG, RW | SK_MAP_FIXED) == SK_OK);
    ST_CHECK(a == 0x400000 && memobj_pages_present(m) == 0);
    uint64_t before = pmm_free_count();
    static uint8_t buf[PG];
    memset(buf, 0x5a, sizeof buf);
    ST_CHECK(copy_from_user(buf, a + 5 * PG, PG) == SK_OK);
    for (size_t i = 0; i < PG; i++)
        ST_CHECK(buf[i] == 0);
    ST_CHECK(memobj_pages_present(m) == 1);
    ST_CHECK(copy_to_user(a + 7 * PG + 100, "hello", 6) == SK_OK);
    ST_CHECK(memobj_pages_present(m) == 2);
    char back[6];
    ST_CHECK(copy_from_user(back, a + 7 * PG + 100, 6) == SK_OK && !memcmp(back, "hello", 6));
    ST_CHECK(ust_put64(a + 10 * PG - 4, 0x1122334455667788ull) == SK_OK); /* spans two pages */
    ST_CHECK(memobj_pages_present(m) == 4);
    ST_CHECK(ust_get64(a + 10 * PG - 4) == 0x1122334455667788ull);
    /* four frames, the object's radix node, the page tables of one 2 MiB stretch (PDPT, PD, PT) */
    uint64_t used = before - pmm_free_count();
    if (used != 4 + 1 + 3)
        st_fail("%lu pages used for 4 demand-zero pages", used);
    uint64_t phys;
    unsigned fl;
    ST_CHECK(vm_space_query(t->s, a + 5 * PG, &phys, &fl) == 0 && (fl & UPT_WRITE));
    ST_CHECK(vm_space_query(t->s, a + 6 * PG, &phys, &fl) == -1);
    ST_CHECK(vm_space_unmap(t->s, a, 16 * PG) == SK_OK);
    ST_CHECK(vm_space_region_count(t->s) == 0);
    ST_CHECK(memobj_pages_present(m) == 4); /* the object keeps its pages */
    ST_CHECK(copy_from_user(buf, a + 5 * PG, 8) == SK_ERR_FAULT);
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_demand_zero, 0)
{
    UST_RUN(demand_zero);
}

/* vm_copy_out_pieces: each piece ends as vm_copy_out would, on the quick path (a remembered
   page) and the slow ones (a page to fault in, a piece across pages, a read-only page, a
   range outside user memory, a page unmapped since it was remembered). */
static void copy_pieces(struct ust *t)
{
    struct memobj *m;
    ST_CHECK(memobj_create_anon(4 * PG, 0, &m) == SK_OK);
    uint64_t a = 0x400000, ro = 0x500000;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 3 * PG, RW | SK_MAP_FIXED) == SK_OK);
    ST_CHECK(vm_space_map(t->s, m, 3 * PG, &ro, PG, SK_PROT_READ | SK_MAP_FIXED) == SK_OK);
    static const char msg[16] = "fifteen bytes..";
    struct vm_piece p[] = {
        {a + 8, msg, 16, -1},              /* not present yet: faulted in */
        {a + 40, msg, 16, -1},             /* the same page, remembered */
        {a + 64, msg + 3, 5, -1},          /* a short one */
        {a + PG - 4, msg, 12, -1},         /* across two pages */
        {ro + 16, msg, 16, -1},            /* read-only */
        {a + 2 * PG, msg, 0, -1},          /* nothing */
        {SK_USER_TOP - 8, msg, 16, -1},    /* past the end of user memory */
        {a + 2 * PG + 8, msg, 16, -1},     /* after the read-only one: still copied */
    };
    unsigned n = sizeof p / sizeof p[0];
    vm_copy_out_pieces(t->s, p, n);
    sk_error_t want[] = {SK_OK, SK_OK, SK_OK, SK_OK, SK_ERR_FAULT, SK_OK, SK_ERR_FAULT, SK_OK};
    for (unsigned i = 0; i < n; i++)
        if (p[i].err != want[i])
            st_fail("piece %u: error %d, wanted %d", i, p[i].err, want[i]);
    char back[16];
    ST_CHECK(copy_from_user(back, a + 8, 16) == SK_OK && !memcmp(back, msg, 16));
    ST_CHECK(copy_from_user(back, a + 40, 16) == SK_OK && !memcmp(back, msg, 16));
    ST_CHECK(copy_from_user(back, a + 64, 5) == SK_OK && !memcmp(back, msg + 3, 5));
    ST_CHECK(copy_from_user(back, a + PG - 4, 12) == SK_OK && !memcmp(back, msg, 12));
    ST_CHECK(copy_from_user(back, a + 2 * PG + 8, 16) == SK_OK && !memcmp(back, msg, 16));
    ST_CHECK(copy_from_user(back, ro + 16, 16) == SK_OK && back[0] == 0);
    /* the page remembered last goes away: the next piece there must fail, not land in the
       frame the mapping had */
    ST_CHECK(vm_space_unmap(t->s, a + 2 * PG, PG) == SK_OK);
    struct vm_piece gone = {a + 2 * PG + 32, msg, 16, -1};
    vm_copy_out_pieces(t->s, &gone, 1);
    ST_CHECK(gone.err == SK_ERR_FAULT);
    ST_CHECK(vm_space_unmap(t->s, a, 2 * PG) == SK_OK && vm_space_unmap(t->s, ro, PG) == SK_OK);
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_copy_pieces, 0)
{
    UST_RUN(copy_pieces);
}

static void contiguous(struct ust *t)
{
    struct memobj *m;
    ST_CHECK(memobj_create_anon(3 * PG, SK_MEM_CONTIGUOUS | SK_MEM_BELOW_4G, &m) == SK_OK);
    uint64_t a = 0;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 3 * PG, RW) == SK_OK);
    ST_CHECK(a == VM_MAP_BASE);
    ST_CHECK(ust_put64(a, 1) == SK_OK && ust_put64(a + 2 * PG, 3) == SK_OK);
    ST_CHECK(ust_get64(a + PG) == 0);
    uint64_t p0, p2;
    unsigned fl;
    ST_CHECK(vm_space_query(t->s, a, &p0, &fl) == 0);
    ST_CHECK(vm_space_query(t->s, a + 2 * PG, &p2, &fl) == 0);
    ST_CHECK(p2 == p0 + 2 * PG && p2 < (4ull << 30));
    ST_CHECK(*(uint64_t *)phys_to_virt(p2) == 3);
    kobj_put(memobj_kobj(m)); /* the mapping keeps it alive */
    ST_CHECK(ust_get64(a) == 1);
}

SELFTEST(uspace_contiguous, 0)
{
    UST_RUN(contiguous);
}

static void map_errors(struct ust *t)
{
    struct memobj *m, *p;
    const uint64_t F = SK_MAP_FIXED, size = 4 * PG;
    ST_CHECK(memobj_create_anon(0, 0, &m) == SK_ERR_INVALID);
    ST_CHECK(memobj_create_anon(PG + 1, 0, &m) == SK_ERR_ALIGNMENT);
    ST_CHECK(memobj_create_anon(SK_MEM_MAX_SIZE + PG, 0, &m) == SK_ERR_TOO_BIG);
    ST_CHECK(memobj_create_anon(PG, 0x80, &m) == SK_ERR_INVALID);
    ST_CHECK(memobj_create_anon(8ull << 20, SK_MEM_CONTIGUOUS, &m) == SK_ERR_TOO_BIG);
    ST_CHECK(memobj_create_phys(0x1000800, PG, SK_CACHE_WRITEBACK, &p) == SK_ERR_ALIGNMENT);
    ST_CHECK(memobj_create_phys(1ull << 36, PG, 7, &p) == SK_ERR_INVALID);
    ST_CHECK(memobj_create_phys(0xfffffffffffff000ull, 2 * PG, 0, &p) == SK_ERR_OUT_OF_RANGE);
    ST_CHECK(memobj_create_anon(size, 0, &m) == SK_OK);
    uint64_t a = 0x400000;
    ST_CHECK(vm_space_map(t->s, m, 0x800, &a, PG, RW) == SK_ERR_ALIGNMENT);
    a = 0x400800;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, PG, RW | F) == SK_ERR_ALIGNMENT);
    a = 0x400000;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, PG + 8, RW | F) == SK_ERR_ALIGNMENT);
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 0, RW | F) == SK_ERR_INVALID);
    ST_CHECK(vm_space_map(t->s, m, 0, &a, size + PG, RW | F) == SK_ERR_OUT_OF_RANGE);
    ST_CHECK(vm_space_map(t->s, m, size, &a, PG, RW | F) == SK_ERR_OUT_OF_RANGE);
    ST_CHECK(vm_space_map(t->s, m, 0xfffffffffffff000ull, &a, 2 * PG, RW | F) ==
             SK_ERR_OUT_OF_RANGE);
    ST_CHECK(vm_space_map(t->s, m, 0, &a, PG, SK_PROT_WRITE | F) == SK_ERR_INVALID);
    ST_CHECK(vm_space_map(t->s, m, 0, &a, PG, RW | F | (1u << 12)) == SK_ERR_INVALID);
    a = SK_USER_TOP - PG;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 2 * PG, RW | F) == SK_ERR_OUT_OF_RANGE);
    a = 0xfffffffffffff000ull;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 2 * PG, RW | F) == SK_ERR_OUT_OF_RANGE);
    a = 0xffff800000000000ull;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, PG, RW | F) == SK_ERR_OUT_OF_RANGE);
    a = 0;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, PG, RW | F) == SK_ERR_OUT_OF_RANGE);
    a = 0x400000;
    ST_CHECK(vm_space_map_max(t->s, m, 0, &a, PG, RW | F, SK_PROT_READ) == SK_ERR_NO_RIGHTS);
    ST_CHECK(vm_space_region_count(t->s) == 0);
    /* the one good mapping, then collisions */
    ST_CHECK(vm_space_map_max(t->s, m, 0, &a, 2 * PG, SK_PROT_READ | F, SK_PROT_READ) == SK_OK);
    uint64_t b = a + PG;
    ST_CHECK(vm_space_map(t->s, m, 0, &b, 2 * PG, RW | F) == SK_ERR_BUSY);
    b = a; /* a hint on a taken address goes elsewhere */
    ST_CHECK(vm_space_map(t->s, m, 0, &b, 2 * PG, RW) == SK_OK);
    ST_CHECK(b >= a + 2 * PG && vm_space_region_count(t->s) == 2);
    ST_CHECK(vm_space_protect(t->s, a, PG, RW) == SK_ERR_NO_RIGHTS);
    ST_CHECK(vm_space_protect(t->s, a, PG, SK_PROT_WRITE) == SK_ERR_INVALID);
    ST_CHECK(b == a + 2 * PG); /* the first gap after the hint */
    ST_CHECK(vm_space_protect(t->s, a, 5 * PG, SK_PROT_READ) == SK_ERR_NOT_FOUND);
    ST_CHECK(vm_space_protect(t->s, a + 1, PG, SK_PROT_READ) == SK_ERR_ALIGNMENT);
    ST_CHECK(vm_space_unmap(t->s, a, 0) == SK_ERR_INVALID);
    ST_CHECK(vm_space_unmap(t->s, a + 8, PG) == SK_ERR_ALIGNMENT);
    ST_CHECK(vm_space_unmap(t->s, SK_USER_TOP, PG) == SK_ERR_OUT_OF_RANGE);
    ST_CHECK(vm_space_unmap(t->s, 0x1000, 0xfffffffffffff000ull) == SK_ERR_OUT_OF_RANGE);
    ST_CHECK(vm_space_unmap(t->s, 0x10000, PG) == SK_OK); /* nothing there: fine */
    ST_CHECK(vm_space_region_count(t->s) == 2);
    /* the one door refuses what is not user memory */
    uint64_t v = 0;
    ST_CHECK(copy_to_user((uint64_t)&v, &v, 8) == SK_ERR_FAULT);
    ST_CHECK(copy_from_user(&v, 0x0000800000000000ull, 8) == SK_ERR_FAULT);
    ST_CHECK(copy_from_user(&v, SK_USER_TOP - 4, 8) == SK_ERR_FAULT);
    ST_CHECK(copy_from_user(&v, 0xfffffffffffffffcull, 8) == SK_ERR_FAULT);
    ST_CHECK(copy_from_user(&v, 0, 8) == SK_ERR_FAULT); /* null: nothing mapped */
    ST_CHECK(copy_from_user(&v, a, 0) == SK_OK);
    ST_CHECK(copy_to_user(a, &v, 8) == SK_ERR_FAULT); /* read-only mapping */
    /* device memory cannot be forked or mapped private */
    ST_CHECK(memobj_create_phys(1ull << 36, PG, SK_CACHE_UNCACHED, &p) == SK_OK);
    struct memobj *f;
    ST_CHECK(memobj_fork(p, &f) == SK_ERR_INVALID);
    b = 0x800000;
    ST_CHECK(vm_space_map(t->s, p, 0, &b, PG, RW | F | SK_MAP_PRIVATE) == SK_ERR_INVALID);
    kobj_put(memobj_kobj(p));
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_map_errors, 0)
{
    UST_RUN(map_errors);
}

static void unmap_protect(struct ust *t)
{
    struct memobj *m;
    ST_CHECK(memobj_create_anon(8 * PG, 0, &m) == SK_OK);
    uint64_t a = 0x7000000;
    ST_CHECK(vm_space_map(t->s, m, 0, &a, 8 * PG, RW | SK_MAP_FIXED) == SK_OK);
    for (uint64_t i = 0; i < 8; i++)
        ST_CHECK(ust_put64(a + i * PG, 100 + i) == SK_OK);
    /* protect the middle: three regions */
    ST_CHECK(vm_space_protect(t->s, a + 2 * PG, 2 * PG, SK_PROT_READ) == SK_OK);
    ST_CHECK(vm_space_region_count(t->s) == 3);
    ST_CHECK(ust_put64(a + 2 * PG, 1) == SK_ERR_FAULT);
    ST_CHECK(ust_put64(a + 3 * PG + 8, 1) == SK_ERR_FAULT);
    ST_CHECK(ust_get64(a + 3 * PG) == 103);
    ST_CHECK(ust_put64(a + PG, 201) == SK_OK && ust_put64(a + 4 * PG, 204) == SK_OK);
    /* a copy running from a writable page into the read-only one fails */
    uint64_t two[2] = {1, 2};
    ST_CHECK(copy_to_user(a + 2 * PG - 8, two, 16) == SK_ERR_FAULT);
    /* unmap one page inside the last region: split around a hole */
    ST_CHECK(vm_space_unmap(t->s, a + 6 * PG, PG) == SK_OK);
    ST_CHECK(vm_space_region_count(t->s) == 4);
    ST_CHECK(ust_put64(a + 6 * PG, 1) == SK_ERR_FAULT);
    ST_CHECK(ust_get64(a + 7 * PG) == 107); /* the piece after the hole keeps its offset */
    ST_CHECK(ust_get64(a + 5 * PG) == 105);
    ST_CHECK(copy_from_user(two, a + 6 * PG - 8, 16) == SK_ERR_FAULT);
    /* no access at all, then back */
    ST_CHECK(vm_space_protect(t->s, a, PG, 0) == SK_OK);
    ST_CHECK(ust_get64(a) == 0xdeadbeef);
    ST_CHECK(vm_space_protect(t->s, a, 4 * PG, RW) == SK_OK);
    ST_CHECK(ust_get64(a) == 100);
    ST_CHECK(ust_put64(a + 2 * PG, 302) == SK_OK && ust_get64(a + 2 * PG) == 302);
    /* protect across the hole changes nothing */
    ST_CHECK(vm_space_protect(t->s, a + 5 * PG, 3 * PG, SK_PROT_READ) == SK_ERR_NOT_FOUND);
    ST_CHECK(ust_put64(a + 5 * PG, 405) == SK_OK);
    /* unmap across regions and holes, beyond the end too */
    ST_CHECK(vm_space_unmap(t->s, a + PG, 16 * PG) == SK_OK);
    ST_CHECK(vm_space_region_count(t->s) == 1);
    ST_CHECK(ust_get64(a) == 100 && ust_get64(a + PG) == 0xdeadbeef);
    ST_CHECK(memobj_pages_present(m) == 8);
    kobj_put(memobj_kobj(m));
}

SELFTEST(uspace_unmap_protect, 0)
{
    UST_RUN(unmap_protect);
}

extern char __rodata_start[];

static void physical(struct ust *t)
{
    struct memobj *p;
    uint64_t page = pmm_alloc_page();
    ST_CHECK(page != 0);
    ST_CHECK(memobj_create_phys(page, PG, SK_CACHE_WRITEBACK, &p) == SK_ERR_BUSY);
    pmm_free_page(page);
    /* kernel read-only data: RAM the PMM does not manage */
    uint64_t ro = (uint64_t)__rodata_start - KERNEL_VBASE;
    ST_CHECK(memobj_create_phys(ro, PG, SK_CACHE_UNCACHED, &p) == SK_ERR_INVALID);
    ST_CHECK(memobj_create_phys(ro, PG, SK_CACHE_WRITEBACK, &p) == SK_OK);
    ST_CHECK(memobj_size(p) == PG);
    uint64_t a = 0x600000;
    ST_CHECK(vm_space_map(t->s, p, 0, &a, PG, SK_PROT_READ | SK_MAP_FIXED) == SK_OK);
    char buf[64];
    ST_CHECK(copy_from_user(buf, a + 64, sizeof buf) == SK_OK);
    ST_CHECK(memcmp(buf, __rodata_start + 64, sizeof buf) == 0);
    uint64_t phys;
    unsigned fl;
    ST_CHECK(vm_space_query(t->s, a, &phys, &fl) == 0 && phys == ro && fl == 0);
    ST_CHECK(memobj_pages_present(p) == 0);
    kobj_put(memobj_kobj(p));
    /* caching modes on memory that is no RAM (nothing answers there: reads are harmless) */
    uint64_t hole = 1ull << 36;
    const unsigned modes[2] = {SK_CACHE_UNCACHED, SK_CACHE_WRITECOMBINE};
    const unsigned want[2] = {UPT_UC, UPT_WC};
    for (int k = 0; k < 2; k++) {
        ST_CHECK(memobj_create_phys(hole, 2 * PG, modes[k], &p) == SK_OK);
        a = 0x600000 + (uint64_t)(k + 1) * 0x10000;
        ST_CHECK(vm_space_map(t->s, p, PG, &a, PG, RW | SK_MAP_FIXED) == SK_OK);
        kobj_put(memobj_kobj(p));
        ST_CHECK(copy_from_user(buf, a, 8) == SK_OK);
        ST_CHECK(vm_space_query(t->s, a, &phys, &fl) == 0);
        ST_CHECK(phys == hole + PG && fl == (UPT_WRITE | want[k]));
    }
    ST_CHECK(vm_space_unmap(t->s, 0x600000, 0x100000) == SK_OK);
}

SELFTEST(uspace_physical, 0)
{
    UST_RUN(physical);
}

SELFTEST(uspace_cpu_features, 0)
{
    ST_CHECK(!vm_smap_enabled() || (read_cr4() & CR4_SMAP));
    ST_CHECK(!vm_smep_enabled() || (read_cr4() & CR4_SMEP));
    /* with no user space loaded there is no user memory (not even the trampoline page) */
    uint64_t v;
    ST_CHECK(this_cpu()->space != NULL || copy_from_user(&v, 0x8000, 8) == SK_ERR_FAULT);
    /* every upper-half PML4 slot exists, so later kernel mappings reach every space */
    const uint64_t *pml4 = phys_to_virt(vm_kernel_pml4_phys());
    for (int i = 256; i < 512; i++)
        ST_CHECK(pml4[i] & 1);
}

/* Manual (expected to panic with SMAP): the kernel touching a user page directly. */
SELFTEST(uspace_smap_violation, SELFTEST_MANUAL)
{
    struct ust t;
    struct memobj *m;
    ST_CHECK(vm_smap_enabled());
    ST_CHECK(ust_begin(&t));
    ST_CHECK(memobj_create_anon(PG, 0, &m) == SK_OK);
    uint64_t a = 0x400000;
    ST_CHECK(vm_space_map(t.s, m, 0, &a, PG, RW | SK_MAP_FIXED) == SK_OK);
    ST_CHECK(ust_put64(a, 1) == SK_OK);
    volatile uint64_t *p = (volatile uint64_t *)a;
    (void)*p; /* must not be reached without a panic */
    st_fail("read a user page outside usercopy without a fault");
}
