/*
 * The child's pool of real handles, shared by its workers, and the argument generators.
 *
 * An entry packs a handle with its type, rights and flags in one word, so workers pick,
 * add and drop entries with single atomic accesses and no lock: a handle one worker closes
 * may be in use by another at that moment, which is one of the races the fuzzer is for.
 *
 * Every handle value the child must never hand to a random call (its worker threads, the
 * control lane, its private queues: everything that existed before fuzzing started) is
 * marked private in a map indexed by handle value. Handles made by asynchronous operations
 * (pulls, forks, lanes of offers) appear in the universe without anyone adding them: the
 * sweep finds them (handle values are allocated in increasing order, never reused) and
 * adopts them.
 */
#include "fuzz.h"

#define POOL_SLOTS 192
#define MAP_SIZE (1u << 20) /* handle values tracked; larger ones are neither private nor adopted */
#define GRAVE 64

enum { H_UNKNOWN = 0, H_PRIVATE = 1, H_KNOWN = 2 };

static volatile uint64_t slots[POOL_SLOTS];
static volatile uint8_t hstate[MAP_SIZE];
static volatile uint64_t grave[GRAVE];
static volatile uint32_t grave_n;
static volatile uint64_t sweep_next = 1;
static volatile int sweeping;

static uint64_t pack(sk_handle_t h, uint32_t type, uint32_t rights, uint32_t flags)
{
    return (uint64_t)(uint32_t)h | (uint64_t)(type & 0xff) << 32 | (uint64_t)(flags & 0xff) << 40 |
           (uint64_t)(rights & 0xffff) << 48;
}

static void unpack(uint64_t v, struct fz_entry *e)
{
    e->h = (sk_handle_t)(uint32_t)v;
    e->type = (uint32_t)(v >> 32) & 0xff;
    e->flags = (uint32_t)(v >> 40) & 0xff;
    e->rights = (uint32_t)(v >> 48) & 0xffff;
}

void pool_init(void)
{
    for (int i = 0; i < POOL_SLOTS; i++)
        slots[i] = 0;
}

void pool_private(sk_handle_t h)
{
    if (h > 0 && h < (sk_handle_t)MAP_SIZE)
        hstate[h] = H_PRIVATE;
}

void pool_private_below(sk_handle_t top)
{
    for (sk_handle_t h = 1; h <= top && h < (sk_handle_t)MAP_SIZE; h++)
        if (hstate[h] != H_KNOWN)
            hstate[h] = H_PRIVATE;
    if ((uint64_t)top + 1 > sweep_next)
        sweep_next = (uint64_t)top + 1;
}

int pool_is_private(sk_handle_t h)
{
    return h > 0 && h < (sk_handle_t)MAP_SIZE && hstate[h] == H_PRIVATE;
}

void pool_add(struct fz_worker *w, sk_handle_t h, uint32_t type, uint32_t rights, uint32_t flags)
{
    if (h <= 0 || h >= (1ll << 31) || pool_is_private(h))
        return;
    if (h < (sk_handle_t)MAP_SIZE)
        hstate[h] = H_KNOWN;
    uint64_t v = pack(h, type, rights, flags);
    for (int tries = 0; tries < 6; tries++) {
        uint64_t zero = 0;
        volatile uint64_t *s = &slots[below(w, POOL_SLOTS)];
        if (sk_atomic_cas(s, &zero, v))
            return;
    }
    /* full: an old entry makes room, and its handle is closed (if no one did already) */
    uint64_t old = sk_atomic_xchg(&slots[below(w, POOL_SLOTS)], v);
    if (old) {
        struct fz_entry e;
        unpack(old, &e);
        if (sk_handle_close(e.h) == SK_OK)
            pool_forget(e.h);
    }
}

void pool_add_dups(struct fz_worker *w, sk_handle_t h, uint32_t type, uint32_t rights, uint32_t flags)
{
    pool_add(w, h, type, rights, flags);
    while (one_in(w, 2)) {
        uint32_t want = (uint32_t)rnd(w) & rights;
        if (one_in(w, 2))
            want |= SK_RIGHT_DUPLICATE; /* so it can be duplicated again */
        sk_handle_t d;
        if (sk_handle_dup(h, want, &d) != SK_OK)
            return;
        pool_add(w, d, type, rights & want, flags);
    }
}

int pool_pick(struct fz_worker *w, uint32_t type, struct fz_entry *out)
{
    for (int tries = 0; tries < 12; tries++) {
        uint64_t v = slots[below(w, POOL_SLOTS)];
        if (!v)
            continue;
        unpack(v, out);
        if (type == SK_OBJ_NONE || out->type == type)
            return 1;
    }
    uint32_t start = (uint32_t)below(w, POOL_SLOTS);
    for (uint32_t i = 0; i < POOL_SLOTS; i++) {
        uint64_t v = slots[(start + i) % POOL_SLOTS];
        if (!v)
            continue;
        unpack(v, out);
        if (type == SK_OBJ_NONE || out->type == type)
            return 1;
    }
    return 0;
}

void pool_forget(sk_handle_t h)
{
    for (int i = 0; i < POOL_SLOTS; i++) {
        uint64_t v = slots[i];
        if (v && (sk_handle_t)(uint32_t)v == h)
            sk_atomic_cas(&slots[i], &v, 0);
    }
    uint32_t n = sk_atomic_add(&grave_n, 1);
    grave[n % GRAVE] = (uint64_t)h;
}

int pool_count(uint32_t type)
{
    int n = 0;
    for (int i = 0; i < POOL_SLOTS; i++) {
        uint64_t v = slots[i];
        if (v && ((v >> 32) & 0xff) == type)
            n++;
    }
    return n;
}

sk_handle_t pool_stale(struct fz_worker *w)
{
    uint32_t n = grave_n;
    if (n && !one_in(w, 4)) {
        uint64_t v = grave[below(w, n < GRAVE ? n : GRAVE)];
        if (v)
            return (sk_handle_t)v;
    }
    static const sk_handle_t never[] = {1ll << 40, 0x7fffffffffffffffll, (sk_handle_t)(1ull << 63),
                                        -4, -1000, (1ll << 31) + 5};
    return never[below(w, sizeof never / sizeof never[0])];
}

void pool_sweep(struct fz_worker *w)
{
    if (sk_atomic_xchg(&sweeping, 1))
        return;
    uint64_t h = sweep_next, last = 0;
    for (int i = 0; i < 64 && h < MAP_SIZE; i++, h++) {
        if (hstate[h] != H_UNKNOWN) {
            last = h;
            continue;
        }
        uint64_t info;
        if (sk_handle_info((sk_handle_t)h, &info) != SK_OK)
            continue;
        last = h;
        uint32_t type = SK_INFO_TYPE(info);
        /* a thread might run in our space, a universe might be ours: assume the worst */
        pool_add(w, (sk_handle_t)h, type, SK_INFO_RIGHTS(info), pf_unknown(type));
        sk_atomic_add(&fz.stats->adopted, 1);
    }
    if (last)
        sweep_next = last + 1;
    sk_atomic_add(&fz.stats->sweeps, 1);
    sk_atomic_store(&sweeping, 0);
}

/* ---- argument generators ----------------------------------------------------------------- */

sk_handle_t gen_handle(struct fz_worker *w, uint32_t type, enum role role)
{
    switch (role) { /* the role's special value, often: acting on oneself is the common case */
    case R_UNIVERSE:
        if (one_in(w, 4))
            return SK_THIS_UNIVERSE;
        break;
    case R_SPACE:
        if (one_in(w, 4))
            return SK_THIS_SPACE;
        break;
    case R_THREAD:
        if (one_in(w, 8))
            return SK_THIS_THREAD;
        break;
    default:
        break;
    }
    struct fz_entry e;
    uint64_t r = below(w, 16);
    if (r < 11 && pool_pick(w, type, &e))
        return e.h;
    if (r < 13 && pool_pick(w, SK_OBJ_NONE, &e)) /* most likely of another type */
        return e.h;
    if (r == 13)
        return SK_HANDLE_NULL;
    if (r == 14 && role != R_COPY && role != R_OBJ) /* wrong special values are still refused */
        return -1 - (sk_handle_t)below(w, 3);
    return pool_stale(w);
}

uint32_t gen_rights(struct fz_worker *w)
{
    switch (below(w, 8)) {
    case 5:
        return SK_RIGHTS_ALL;
    case 6:
        return 1u << below(w, 9);
    case 7:
        return one_in(w, 2) ? (uint32_t)rnd(w) | (1u << 9) : ~0u;
    default:
        return (uint32_t)rnd(w) & SK_RIGHTS_ALL;
    }
}

uint64_t gen_badaddr(struct fz_worker *w)
{
    switch (below(w, 7)) {
    case 0:
        return HOLE_BASE + below(w, ARENA_BASE - HOLE_BASE - 64);
    case 1:
        return below(w, 3) * 8 + (one_in(w, 2) ? 0xff8 : 0); /* the null page */
    case 2:
        return KPTR + below(w, 1ull << 30);
    case 3:
        return KTEXT + below(w, 1ull << 24);
    case 4:
        return NONCANON + below(w, 1ull << 20);
    case 5:
        return one_in(w, 2) ? ~0ull - below(w, 64) : 1ull << 63;
    default:
        /* just past the last user page (the page below it is a user address, and a large
           mapping the kernel placed may well cover it) */
        return SK_USER_TOP + below(w, 16) * 8;
    }
}

uint64_t gen_waddr(struct fz_worker *w)
{
    uint64_t r = below(w, 16);
    if (r < 9) {
        uint64_t a = ARENA_BASE + below(w, ARENA_SIZE);
        switch (below(w, 3)) {
        case 0:
            return a & ~7ull;
        case 1:
            return a & ~(uint64_t)(SK_PAGE_SIZE - 1);
        default:
            return a;
        }
    }
    if (r == 9)
        return ARENA_BASE + ARENA_SIZE - below(w, 64); /* across the arena's end */
    if (r == 10)
        return ARENA_BASE - 8 * below(w, 8); /* across the hole's end */
    if (r == 11)
        return SK_USER_TOP - 8 * (1 + below(w, 16)); /* the last user bytes, mapped or not */
    return gen_badaddr(w);
}

uint64_t gen_raddr(struct fz_worker *w)
{
    if (one_in(w, 8)) { /* our own code, read-only data and data: reading them is harmless */
        static const uint64_t own[] = {(uint64_t)fz_victim_start, (uint64_t)fz_victims,
                                       (uint64_t)&fz, (uint64_t)&gen_raddr};
        return own[below(w, sizeof own / sizeof own[0])] + below(w, 256);
    }
    return gen_waddr(w);
}

uint64_t gen_size(struct fz_worker *w)
{
    const uint64_t PG = SK_PAGE_SIZE;
    switch (below(w, 22)) {
    case 0:
        return 0;
    case 1:
        return 1 + below(w, PG - 1);
    case 2:
    case 3:
        return PG;
    case 4:
    case 5:
        return PG * (1 + below(w, 16));
    case 6:
        return PG + 1;
    case 7:
        return 64 * 1024;
    case 8:
        return 1 << 20;
    case 9:
        return 4 << 20;
    case 10:
        return (4 << 20) + PG;
    case 11:
        return 64ull << 20;
    case 12:
        return (64ull << 20) + 1;
    case 13:
        return 1ull << 32;
    case 14:
        return SK_MEM_MAX_SIZE;
    case 15:
        return SK_MEM_MAX_SIZE + PG;
    case 16:
        return 1ull << 47;
    case 17:
        return 1ull << 63;
    case 18:
        return ~0ull;
    case 19:
        return ~(PG - 1);
    case 20:
        return 0 - PG * (1 + below(w, 4));
    default:
        return rnd(w);
    }
}

uint64_t gen_len(struct fz_worker *w)
{
    switch (below(w, 10)) {
    case 0:
        return 0;
    case 1:
    case 2:
    case 3:
        return 1 + below(w, 128);
    case 4:
    case 5:
        return 1 + below(w, 4 * SK_PAGE_SIZE);
    case 6:
        return SK_PAGE_SIZE * (1 + below(w, 16));
    default:
        return gen_size(w);
    }
}

void gen_arena_range(struct fz_worker *w, uint64_t *addr, uint64_t *len)
{
    const uint64_t PG = SK_PAGE_SIZE, pages = ARENA_SIZE / PG;
    uint64_t first = below(w, pages), n = 1 + below(w, pages - first < 16 ? pages - first : 16);
    *addr = ARENA_BASE + first * PG;
    *len = n * PG;
    if (!one_in(w, 4))
        return;
    /* invalid ways to name it: each of these is refused whatever is mapped */
    switch (below(w, 7)) {
    case 0:
        *len = 0;
        break;
    case 1:
        *addr += 1 + below(w, PG - 1);
        break;
    case 2:
        *len += 1 + below(w, PG - 1);
        break;
    case 3:
        *addr = SK_USER_TOP - PG;
        *len = 2 * PG;
        break;
    case 4:
        *addr = one_in(w, 2) ? KPTR : NONCANON;
        break;
    case 5:
        *len = 0 - *addr; /* wraps to exactly 0 */
        break;
    default:
        *len = (1ull << 63) + (one_in(w, 2) ? 0 : PG);
        break;
    }
}

void gen_any_range(struct fz_worker *w, uint64_t *addr, uint64_t *len)
{
    switch (below(w, 8)) {
    case 0:
        *addr = 0;
        break;
    case 1:
        *addr = 0x10000;
        break;
    case 2:
        *addr = 0x400000; /* where programs are loaded */
        break;
    case 3:
        *addr = (rnd(w) % SK_USER_TOP) & ~(uint64_t)(SK_PAGE_SIZE - 1);
        break;
    case 4:
        *addr = SK_USER_TOP - SK_PAGE_SIZE * below(w, 4);
        break;
    case 5:
        *addr = ARENA_BASE + below(w, ARENA_SIZE / SK_PAGE_SIZE) * SK_PAGE_SIZE;
        break;
    default:
        *addr = gen_badaddr(w);
        break;
    }
    *len = one_in(w, 2) ? SK_PAGE_SIZE * (1 + below(w, 16)) : gen_size(w);
}

uint32_t gen_prot(struct fz_worker *w)
{
    static const uint32_t valid[] = {0, SK_PROT_READ, SK_PROT_READ | SK_PROT_WRITE,
                                     SK_PROT_READ | SK_PROT_EXEC,
                                     SK_PROT_READ | SK_PROT_WRITE | SK_PROT_EXEC};
    switch (below(w, 10)) {
    case 0:
        return SK_PROT_WRITE; /* without read */
    case 1:
        return SK_PROT_EXEC;
    case 2:
        return (uint32_t)rnd(w);
    case 3:
        return valid[below(w, 5)] | SK_MAP_PRIVATE;
    default:
        return valid[below(w, 5)];
    }
}

uint64_t gen_timeout(struct fz_worker *w)
{
    switch (below(w, 4)) {
    case 0:
        return 0;
    case 1:
        return below(w, 20000);
    case 2:
        return below(w, 200000);
    default:
        return below(w, MS);
    }
}

uint64_t gen_any(struct fz_worker *w)
{
    switch (below(w, 7)) {
    case 0:
        return (uint64_t)gen_handle(w, SK_OBJ_NONE, R_OBJ);
    case 1:
        return gen_waddr(w);
    case 2:
        return gen_size(w);
    case 3:
        return below(w, 64);
    case 4:
        return gen_rights(w);
    case 5: {
        static const uint64_t edge[] = {0, 1, ~0ull, 1ull << 63, SK_USER_TOP, 0xffffffff,
                                        0x100000000ull, 0x7fffffffffffffffull};
        return edge[below(w, sizeof edge / sizeof edge[0])];
    }
    default:
        return rnd(w) | (1ull << 40); /* noise: never one of our handles */
    }
}
