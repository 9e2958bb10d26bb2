/*
 * System calls with random and boundary arguments, driven by the one list SK_SYSCALLS:
 * fz_syscall picks an entry of the table generated from it and runs the call's own
 * generator, or the generic one (every argument a handle, an address the kernel may write,
 * a size, a boundary value or noise) for a call that has none yet, so a call added to the
 * ABI is fuzzed from the day it exists. A generator of its own is needed where the generic
 * arguments could hurt the fuzzer itself (its own space, its own threads, calls that block
 * or end the caller), or to reach the interesting cases more often; the rules are in fuzz.h.
 */
#include "fuzz.h"

static const struct call {
    uint32_t num;
    uint32_t nargs;
    const char *name;
} calls[] = {
#define FZ_CALL(name, index, nargs) {SK_SYS_##name, nargs, #name},
    SK_SYSCALLS(FZ_CALL)
#undef FZ_CALL
};
#define NCALLS (sizeof calls / sizeof calls[0])
_Static_assert(NCALLS == SK_SYSCALL_COUNT, "the table is the list");

const char *fz_call_name(uint32_t index)
{
    return index < NCALLS ? calls[index].name : "?";
}

#define IDX(name) (SK_SYS_##name - SK_SYSCALL_BASE)

void fz_note(struct fz_worker *w, uint32_t index, sk_error_t e)
{
    w->calls++;
    if (index < FZ_MAX_CALLS) {
        w->local_total[index]++;
        if (e == SK_OK)
            w->local_ok[index]++;
    }
    if ((uint32_t)e >= SK_ERROR_COUNT) {
        sk_atomic_add(&fz.stats->invariant, 1);
        sk_printf("fuzz: INVARIANT: %s returned error %u, not an sk_error_t (seed 0x%lx)\n",
                  fz_call_name(index), (uint32_t)e, fz.seed);
    }
}

/* Make call `index` with raw arguments; count it. */
static sk_error_t sys(struct fz_worker *w, uint32_t index, uint64_t a0, uint64_t a1, uint64_t a2,
                      uint64_t a3, uint64_t a4, uint64_t a5, uint64_t *val)
{
    uint64_t v = 0;
    sk_error_t e = sk_syscall6(SK_SYSCALL_BASE + index, a0, a1, a2, a3, a4, a5, &v);
    fz_note(w, index, e);
    if (val)
        *val = v;
    return e;
}

static void invariant(struct fz_worker *w, const char *what, uint64_t a, uint64_t b)
{
    (void)w;
    sk_atomic_add(&fz.stats->invariant, 1);
    sk_printf("fuzz: INVARIANT: %s (0x%lx, 0x%lx; seed 0x%lx)\n", what, a, b, fz.seed);
}

/* A new handle made by a call: check what handle_info says of it, then pool it. */
static void adopt(struct fz_worker *w, uint64_t h, uint32_t type, uint32_t rights, uint32_t flags)
{
    uint64_t info = 0;
    if (sk_handle_info((sk_handle_t)h, &info) == SK_OK && SK_INFO_TYPE(info) != type)
        invariant(w, "a new handle has another type", h, info);
    pool_add_dups(w, (sk_handle_t)h, type, rights, flags);
}

/* An entry of the pool (or a stale or invalid value) for a role, with what we know of it. */
static void pick(struct fz_worker *w, uint32_t type, enum role role, struct fz_entry *e)
{
    if (one_in(w, 8) || !pool_pick(w, one_in(w, 6) ? SK_OBJ_NONE : type, e))
        *e = (struct fz_entry){.h = gen_handle(w, type, role), .type = SK_OBJ_NONE};
}

/* ---- memory and spaces ------------------------------------------------------------------- */

static void c_memory_create(struct fz_worker *w)
{
    uint32_t flags = 0;
    switch (below(w, 8)) {
    case 0:
        flags = SK_MEM_CONTIGUOUS;
        break;
    case 1:
        flags = SK_MEM_BELOW_4G;
        break;
    case 2:
        flags = SK_MEM_CONTIGUOUS | SK_MEM_BELOW_4G;
        break;
    case 3:
        flags = (uint32_t)rnd(w);
        break;
    case 4:
        flags = SK_MEM_RESIZABLE;
        break;
    }
    uint64_t size = gen_size(w), h;
    /* a contiguous object is taken at once: keep them small, but try the limit sometimes */
    if ((flags & SK_MEM_CONTIGUOUS) && size > 64 * 1024 && size <= SK_MEM_MAX_SIZE && !one_in(w, 16))
        size = SK_PAGE_SIZE * (1 + below(w, 16));
    if (sys(w, IDX(memory_create), size, flags, 0, 0, 0, 0, &h) != SK_OK)
        return;
    if ((flags & SK_MEM_CONTIGUOUS) && size > (256u << 10)) {
        sk_handle_close((sk_handle_t)h); /* do not hold megabytes of contiguous memory */
        return;
    }
    adopt(w, h, SK_OBJ_MEMORY, SK_RIGHTS_ALL & ~(SK_RIGHT_MANAGE | SK_RIGHT_WAIT | SK_RIGHT_SIGNAL),
          (flags & SK_MEM_CONTIGUOUS) ? PF_CONTIG : 0);
}

/* Forget a mapping made outside the arena, unmapping it. */
static void unmap_own(struct fz_worker *w, int i)
{
    sk_error_t e = sys(w, IDX(space_unmap), (uint64_t)SK_THIS_SPACE, w->maps[i].addr, w->maps[i].len,
                       0, 0, 0, NULL);
    if (e != SK_OK)
        invariant(w, "unmapping our own mapping failed", w->maps[i].addr, e);
    w->maps[i].len = 0;
}

/* A memory handle and a range of it: mostly one that fits the object. */
static sk_handle_t gen_mem_range(struct fz_worker *w, uint64_t *off, uint64_t *len)
{
    sk_handle_t mem = gen_handle(w, SK_OBJ_MEMORY, R_OBJ);
    uint64_t size = 0;
    if (!one_in(w, 4) && sk_memory_size(mem, &size) == SK_OK && size >= SK_PAGE_SIZE) {
        uint64_t pages = size / SK_PAGE_SIZE, first = below(w, pages < 64 ? pages : 64);
        uint64_t n = 1 + below(w, pages - first < 16 ? pages - first : 16);
        *off = first * SK_PAGE_SIZE;
        *len = n * SK_PAGE_SIZE;
        return mem;
    }
    *off = one_in(w, 2) ? 0 : (one_in(w, 2) ? SK_PAGE_SIZE * below(w, 4) : gen_size(w));
    *len = one_in(w, 2) ? SK_PAGE_SIZE * (1 + below(w, 4)) : gen_size(w);
    return mem;
}

static void c_space_map(struct fz_worker *w)
{
    sk_handle_t space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
    uint64_t off, len, addr, alen, at;
    sk_handle_t mem = gen_mem_range(w, &off, &len);
    uint32_t prot = gen_prot(w) & ~(uint32_t)SK_MAP_FIXED;
    if (space == SK_THIS_SPACE) {
        /* our own space: exactly in the arena, or where the kernel likes (recorded) */
        gen_arena_range(w, &addr, &alen);
        if (one_in(w, 3)) {
            int slot = (int)below(w, FZ_MAPS);
            if (w->maps[slot].len)
                unmap_own(w, slot);
            if (one_in(w, 2))
                addr = 0;
            if (sys(w, IDX(space_map), (uint64_t)space, (uint64_t)mem, off, addr, len, prot, &at) ==
                SK_OK)
                w->maps[slot] = (struct fz_map){SK_THIS_SPACE, at, len};
            return;
        }
        if (addr >= ARENA_BASE && addr < ARENA_BASE + ARENA_SIZE && len <= ARENA_BASE + ARENA_SIZE - addr &&
            !one_in(w, 8))
            alen = len; /* the object's range, where it fits in the arena */
        if (sys(w, IDX(space_map), (uint64_t)space, (uint64_t)mem, off, addr, alen,
                prot | SK_MAP_FIXED, &at) == SK_OK)
            w->known[below(w, FZ_MAPS)] = (struct fz_map){space, addr, alen};
        return;
    }
    gen_any_range(w, &addr, &alen);
    if (!one_in(w, 4))
        alen = len;
    if (one_in(w, 2))
        prot |= SK_MAP_FIXED;
    if (sys(w, IDX(space_map), (uint64_t)space, (uint64_t)mem, off, addr, alen, prot, &at) == SK_OK)
        w->known[below(w, FZ_MAPS)] = (struct fz_map){space, at, alen};
}

void gen_range_in(struct fz_worker *w, sk_handle_t space, uint64_t *addr, uint64_t *len)
{
    if (space == SK_THIS_SPACE)
        gen_arena_range(w, addr, len);
    else
        gen_any_range(w, addr, len);
    if (one_in(w, 4))
        return;
    int start = (int)below(w, FZ_MAPS);
    for (int i = 0; i < FZ_MAPS; i++) {
        const struct fz_map *m = &w->known[(start + i) % FZ_MAPS];
        if (!m->len || m->space != space || m->len > (1ull << 40))
            continue;
        uint64_t pages = m->len / SK_PAGE_SIZE, first = below(w, pages);
        *addr = m->addr + first * SK_PAGE_SIZE;
        *len = (1 + below(w, pages - first < 64 ? pages - first : 64)) * SK_PAGE_SIZE;
        return;
    }
}

static void c_space_range(struct fz_worker *w, uint32_t index)
{
    sk_handle_t space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
    uint64_t addr, len;
    int slot = (int)below(w, FZ_MAPS);
    if (space == SK_THIS_SPACE && index == IDX(space_unmap) && w->maps[slot].len && one_in(w, 2)) {
        unmap_own(w, slot);
        return;
    }
    gen_range_in(w, space, &addr, &len);
    sys(w, index, (uint64_t)space, addr, len, index == IDX(space_protect) ? gen_prot(w) : 0, 0, 0,
        NULL);
}

/* ---- threads ------------------------------------------------------------------------------- */

/* An entry point for a thread in our own space: victim code, or somewhere that faults. */
static uint64_t own_entry(struct fz_worker *w)
{
    if (one_in(w, 6))
        return gen_badaddr(w);
    return (uint64_t)fz_victims[below(w, FZ_VICTIMS)];
}

static void gen_thread_args(struct fz_worker *w, struct sk_thread_create *tc, int own)
{
    tc->entry = own || one_in(w, 2) ? own_entry(w) : gen_any(w);
    tc->stack = one_in(w, 2) ? gen_waddr(w) : gen_any(w); /* victim code never uses it */
    struct fz_entry q;
    if (one_in(w, 3) && pool_pick(w, SK_OBJ_QUEUE, &q))
        tc->arg = (uint64_t)q.h; /* for fz_v_drive */
    else
        tc->arg = one_in(w, 2) ? gen_waddr(w) : rnd(w); /* an exit code, a futex word (read) */
    /* the kernel writes the exit status there, in the thread's space */
    tc->exit_word = one_in(w, 3) ? 0 : (own ? gen_waddr(w) : gen_any(w));
    /* above the workers only for victim code, which always ends or stops by itself */
    tc->priority = one_in(w, 16) ? SK_THREAD_PRIO_MAX + 1 + (uint32_t)below(w, 1u << 31)
                                 : (uint32_t)below(w, (own ? SK_THREAD_PRIO_MAX : SK_THREAD_PRIO_DEFAULT) + 1);
    tc->flags = SK_THREAD_START_STOPPED; /* tracked by the parent before it ever runs */
    if (one_in(w, 2))
        tc->flags |= SK_THREAD_OBSERVED;
    if (one_in(w, 8))
        tc->flags |= SK_THREAD_FOREIGN;
    if (one_in(w, 32))
        tc->flags |= 1u << (3 + below(w, 29));
}

static void c_thread_create(struct fz_worker *w)
{
    struct fz_entry u;
    pick(w, SK_OBJ_UNIVERSE, R_UNIVERSE, &u);
    sk_handle_t space = gen_handle(w, SK_OBJ_SPACE, R_SPACE);
    /* A thread of our own universe runs only victim code in our own space: anywhere else
       its code and registers could be anything, and its calls would use our handles. */
    int ours = u.h == SK_THIS_UNIVERSE || u.type != SK_OBJ_UNIVERSE || (u.flags & PF_SELF);
    if (ours && space != SK_THIS_SPACE && !one_in(w, 8))
        space = SK_THIS_SPACE;
    else if (ours && space != SK_THIS_SPACE)
        space = pool_stale(w); /* refused */
    int own = space == SK_THIS_SPACE;
    if (one_in(w, 8)) { /* arguments the kernel cannot read: never a thread */
        uint64_t v;
        if (sys(w, IDX(thread_create), (uint64_t)u.h, (uint64_t)space, gen_badaddr(w), 0, 0, 0,
                &v) == SK_OK)
            invariant(w, "thread_create read a bad pointer", v, 0);
        return;
    }
    gen_thread_args(w, &w->tc, own);
    fz_make_thread(w, u.h, space, &w->tc, own);
}

/* thread_exit ends the caller: a victim thread makes the call. */
static void c_thread_exit(struct fz_worker *w)
{
    struct sk_thread_create *tc = &w->tc;
    gen_thread_args(w, tc, 1);
    tc->entry = (uint64_t)fz_victims[0]; /* fz_v_exit: thread_exit(arg) */
    tc->arg = rnd(w);
    tc->flags = SK_THREAD_START_STOPPED;
    w->calls++;
    w->local_total[IDX(thread_exit)]++; /* made by the victim, if it gets to run */
    fz_make_thread(w, one_in(w, 2) ? SK_THIS_UNIVERSE : gen_handle(w, SK_OBJ_UNIVERSE, R_UNIVERSE),
                   SK_THIS_SPACE, tc, 1);
}

/* Read a stopped thread's registers, change them (safely, if it may run in our space), write
   them back; or write with wrong kinds, sizes and pointers. */
static void c_thread_set_regs(struct fz_worker *w)
{
    struct fz_entry t;
    pick(w, SK_OBJ_THREAD, R_OBJ, &t);
    int own = t.type != SK_OBJ_THREAD || (t.flags & PF_OWN);
    uint32_t kind = one_in(w, 8) ? (uint32_t)below(w, SK_REGS_KINDS + 1) : (uint32_t)below(w, 3);
    uint64_t size = 0;
    if (kind < SK_REGS_KINDS)
        sk_thread_regs_size(t.h, kind, &size);
    if (size > sizeof w->regs)
        size = sizeof w->regs;
    if (one_in(w, 4)) { /* wrong sizes and pointers: refused, nothing written */
        uint64_t buf = one_in(w, 2) ? gen_badaddr(w) : (uint64_t)w->regs;
        sys(w, IDX(thread_set_regs), (uint64_t)t.h, one_in(w, 4) ? rnd(w) : kind, buf,
            one_in(w, 2) ? size : gen_size(w), 0, 0, NULL);
        return;
    }
    if (one_in(w, 2) && sys(w, IDX(thread_interrupt), (uint64_t)t.h, 0, 0, 0, 0, 0, NULL) == SK_OK)
        sk_thread_yield(); /* an observed thread: it stops at its next return to user mode */
    if (!size || sys(w, IDX(thread_get_regs), (uint64_t)t.h, kind, (uint64_t)w->regs, size, 0, 0,
                     NULL) != SK_OK)
        return;
    if (kind == SK_REGS_GENERAL) {
        struct sk_gregs *g = (struct sk_gregs *)w->regs;
        g->rflags = one_in(w, 2) ? g->rflags : rnd(w);
        if (one_in(w, 2))
            g->rsp = one_in(w, 4) ? gen_badaddr(w) : rnd(w) % SK_USER_TOP;
        if (own) {
            /* victim code stays harmless only if it starts over from an entry point (then any
               other register is fine) or carries on with the registers it had */
            if (one_in(w, 2)) {
                g->rip = one_in(w, 8) ? gen_badaddr(w) : (uint64_t)fz_victims[below(w, FZ_VICTIMS)];
                uint64_t *r = &g->rax;
                for (int i = 0; i < 16; i++)
                    if (i != 7 && one_in(w, 2)) /* not rsp: set above */
                        r[i] = gen_any(w);
            }
        } else {
            uint64_t *r = &g->rax;
            for (int i = 0; i < 16; i++)
                if (i != 7 && one_in(w, 3))
                    r[i] = gen_any(w);
            if (one_in(w, 3))
                g->rip = one_in(w, 2) ? rnd(w) % SK_USER_TOP : gen_any(w);
            if (one_in(w, 16))
                g->cs = rnd(w);
        }
    } else if (kind == SK_REGS_BASES) {
        struct sk_base_regs *b = (struct sk_base_regs *)w->regs;
        b->fs_base = one_in(w, 4) ? gen_any(w) : rnd(w) % SK_USER_TOP;
        b->gs_base = one_in(w, 4) ? gen_badaddr(w) : rnd(w) % SK_USER_TOP;
    } else if (kind == SK_REGS_FPU) {
        /* any image the kernel accepts cannot fault xrstor; victim code uses no FPU */
        for (int i = (int)below(w, 8); i >= 0; i--) /* registers: x87, then the XMM ones */
            w->regs[SK_FPU_ST0 + below(w, 16 * 24)] = (uint8_t)rnd(w);
        if (one_in(w, 2))
            *(uint32_t *)(w->regs + SK_FPU_MXCSR) = 0x1f80 | ((uint32_t)rnd(w) & 0x3f);
        if (one_in(w, 8)) /* anywhere: the control words, the XSAVE header (often refused) */
            w->regs[below(w, size)] = (uint8_t)rnd(w);
    }
    sys(w, IDX(thread_set_regs), (uint64_t)t.h, kind, (uint64_t)w->regs, size, 0, 0, NULL);
    if (one_in(w, 2))
        sys(w, IDX(thread_resume), (uint64_t)t.h, 0, 0, 0, 0, 0, NULL);
}

/* ---- the rest ------------------------------------------------------------------------------ */

static void c_queue_create(struct fz_worker *w)
{
    struct sk_queue_params *p = &w->qp;
    uint64_t addr = (uint64_t)p;
    if (one_in(w, 8))
        addr = one_in(w, 2) ? gen_badaddr(w) : gen_waddr(w);
    uint32_t sq = 1u << below(w, 9), cq = sq << below(w, 3);
    if (one_in(w, 64)) /* the largest: 2.6 MB of contiguous memory, closed at once */
        sq = cq = SK_QUEUE_MAX_ENTRIES;
    else if (one_in(w, 8))
        sq = (uint32_t)gen_size(w), cq = one_in(w, 2) ? sq : (uint32_t)rnd(w);
    *p = (struct sk_queue_params){.sq_entries = sq, .cq_entries = cq};
    uint64_t h;
    if (sys(w, IDX(queue_create), addr, 0, 0, 0, 0, 0, &h) != SK_OK || addr != (uint64_t)p)
        return;
    sk_handle_t mem = p->memory;
    if (p->size > (512u << 10)) {
        sk_handle_close((sk_handle_t)h);
        sk_handle_close(mem);
        return;
    }
    /* map it here to write garbage over it, if this worker has room for another */
    for (int i = 0; i < FZ_QUEUES; i++) {
        if (w->q[i].h)
            continue;
        void *m = NULL;
        if (fz_map_private(mem, p->size, &m) != SK_OK)
            break;
        w->q[i] = (struct fz_queue){.h = (sk_handle_t)h, .hdr = m, .size = p->size,
                                    .sq_entries = sq, .cq_entries = cq};
        break;
    }
    adopt(w, h, SK_OBJ_QUEUE, SK_RIGHTS_ALL & ~SK_RIGHT_EXECUTE, 0);
    adopt(w, (uint64_t)mem, SK_OBJ_MEMORY,
          SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP | SK_RIGHT_DUPLICATE, PF_CONTIG);
}

static void c_stream_create(struct fz_worker *w)
{
    uint32_t flags = one_in(w, 3) ? SK_STREAM_CREDENTIALS : 0;
    if (one_in(w, 16))
        flags = (uint32_t)rnd(w);
    sk_handle_t creds = 0;
    if (flags & SK_STREAM_CREDENTIALS || one_in(w, 16))
        creds = gen_handle(w, one_in(w, 2) ? SK_OBJ_TOKEN : SK_OBJ_THREAD, R_THREAD);
    uint64_t out = (uint64_t)w->lanes;
    if (one_in(w, 8))
        out = gen_waddr(w);
    w->lanes[0] = w->lanes[1] = 0;
    if (sys(w, IDX(stream_create), flags, (uint64_t)creds, out, 0, 0, 0, NULL) != SK_OK ||
        out != (uint64_t)w->lanes)
        return;
    uint32_t r = SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE;
    adopt(w, (uint64_t)w->lanes[0], SK_OBJ_LANE, r, 0);
    adopt(w, (uint64_t)w->lanes[1], SK_OBJ_LANE, r, 0);
    fz_pair_add(w, w->lanes[0], w->lanes[1]);
}

static void c_handle_dup(struct fz_worker *w)
{
    struct fz_entry e;
    pick(w, SK_OBJ_NONE, R_COPY, &e);
#if !FUZZ_AVOID_UNIVERSE_CYCLES
    if (one_in(w, 16)) /* our own universe, into itself */
        e = (struct fz_entry){.h = SK_THIS_UNIVERSE, .type = SK_OBJ_UNIVERSE,
                              .rights = SK_RIGHTS_ALL, .flags = PF_SELF};
#endif
    uint32_t rights = gen_rights(w);
    uint64_t h;
    if (sys(w, IDX(handle_dup), (uint64_t)e.h, rights, 0, 0, 0, 0, &h) != SK_OK)
        return;
    uint64_t after = 0;
    if (sk_handle_info((sk_handle_t)h, &after) == SK_OK && e.type != SK_OBJ_NONE) {
        if (SK_INFO_RIGHTS(after) & ~(rights & e.rights))
            invariant(w, "handle_dup gave more rights than asked or held", after, rights);
        if (SK_INFO_TYPE(after) != e.type)
            invariant(w, "handle_dup changed the type", after, e.type);
    }
    pool_add(w, (sk_handle_t)h, SK_INFO_TYPE(after), SK_INFO_RIGHTS(after),
             e.type == SK_OBJ_NONE ? pf_unknown(SK_INFO_TYPE(after)) : e.flags);
}

static void c_handle_transfer(struct fz_worker *w)
{
    sk_handle_t u = gen_handle(w, SK_OBJ_UNIVERSE, R_UNIVERSE);
    struct fz_entry e;
    pick(w, SK_OBJ_NONE, R_COPY, &e);
#if FUZZ_AVOID_UNIVERSE_CYCLES
    if (e.type == SK_OBJ_UNIVERSE) /* into another universe, or into its own: a cycle */
        e.h = pool_stale(w);
    if (e.type == SK_OBJ_NONE && e.h > 0) { /* not from the pool: make sure of the type */
        uint64_t info;
        if (sk_handle_info(e.h, &info) == SK_OK && SK_INFO_TYPE(info) == SK_OBJ_UNIVERSE)
            e.h = pool_stale(w);
    }
#endif
    uint32_t rights = gen_rights(w);
    uint64_t h;
    uint64_t info;
    if (sys(w, IDX(handle_transfer), (uint64_t)u, (uint64_t)e.h, rights, 0, 0, 0, &h) == SK_OK &&
        u == SK_THIS_UNIVERSE && sk_handle_info((sk_handle_t)h, &info) == SK_OK)
        pool_add(w, (sk_handle_t)h, SK_INFO_TYPE(info), SK_INFO_RIGHTS(info),
                 e.type == SK_OBJ_NONE ? pf_unknown(SK_INFO_TYPE(info)) : e.flags);
}

static void c_handle_close(struct fz_worker *w)
{
    sk_handle_t h = one_in(w, 16) ? -1 - (sk_handle_t)below(w, 3) /* refused */
                                  : gen_handle(w, SK_OBJ_NONE, R_OBJ);
    if (sys(w, IDX(handle_close), (uint64_t)h, 0, 0, 0, 0, 0, NULL) == SK_OK)
        pool_forget(h);
}

static void c_futex(struct fz_worker *w, uint32_t index)
{
    static volatile uint64_t word;
    uint64_t addr = one_in(w, 4) ? (uint64_t)&word : gen_waddr(w);
    if (one_in(w, 4))
        addr &= ~7ull;
    if (index == IDX(futex_wait))
        sys(w, index, addr, one_in(w, 2) ? 0 : rnd(w), gen_timeout(w), 0, 0, 0, NULL);
    else
        sys(w, index, addr, one_in(w, 2) ? below(w, 4) : rnd(w), 0, 0, 0, 0, NULL);
}

/* Every argument generic: what a call without a generator of its own gets. */
static void c_generic(struct fz_worker *w, uint32_t index)
{
    uint64_t a[6] = {0};
    for (uint32_t i = 0; i < calls[index].nargs && i < 6; i++) {
        a[i] = gen_any(w);
        if (pool_is_private((sk_handle_t)a[i])) /* a small number that is one of ours */
            a[i] = (uint64_t)pool_stale(w);
    }
    sys(w, index, a[0], a[1], a[2], a[3], a[4], a[5], NULL);
    /* a handle it made, if any, is adopted by the sweep */
}

void fz_syscall(struct fz_worker *w)
{
    uint32_t index = (uint32_t)below(w, NCALLS);
    uint64_t v;
    if (w->id < 8)
        fz.stats->wdoing[w->id] = FZ_DOING_CALL + index;
    switch (calls[index].num) {
    case SK_SYS_log: {
        /* every line a log call prints lands in the test log: few of them, and never bytes
           that could read as a result line */
        static const char msg[SK_LOG_MAX + 64] = "fuzz: a log message";
        uint64_t at = (uint64_t)msg, len = 1 + below(w, 64);
        switch (below(w, 8)) {
        case 0:
            if (one_in(w, 16))
                len = 19;
            else
                at = gen_badaddr(w);
            break;
        case 1:
        case 2:
        case 3:
            at = gen_badaddr(w);
            if (one_in(w, 2))
                len = gen_size(w) | 1;
            break;
        case 4:
        case 5:
            at = ARENA_BASE - 8 * (1 + below(w, 4)); /* starts in the hole */
            break;
        default:
            len = SK_LOG_MAX + 1 + (one_in(w, 2) ? below(w, 63) : gen_size(w) % (1ull << 40));
            break;
        }
        sys(w, index, at, len, 0, 0, 0, 0, NULL);
        break;
    }
    case SK_SYS_handle_close:
        c_handle_close(w);
        break;
    case SK_SYS_handle_dup:
        c_handle_dup(w);
        break;
    case SK_SYS_handle_transfer:
        c_handle_transfer(w);
        break;
    case SK_SYS_handle_info:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_NONE, one_in(w, 4) ? R_THREAD : R_OBJ), 0, 0,
            0, 0, 0, NULL);
        break;
    case SK_SYS_universe_create:
        if (sys(w, index, 0, 0, 0, 0, 0, 0, &v) == SK_OK)
            adopt(w, v, SK_OBJ_UNIVERSE, SK_RIGHTS_ALL, 0);
        break;
    case SK_SYS_memory_create:
        c_memory_create(w);
        break;
    case SK_SYS_memory_fork:
        if (sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_MEMORY, R_OBJ), 0, 0, 0, 0, 0, &v) == SK_OK)
            adopt(w, v, SK_OBJ_MEMORY, SK_RIGHTS_ALL, 0);
        break;
    case SK_SYS_memory_size:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_MEMORY, R_OBJ), 0, 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_memory_resize:
        /* small sizes mostly (touching a grown object takes memory), any value sometimes */
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_MEMORY, R_OBJ),
            one_in(w, 4) ? gen_size(w) : SK_PAGE_SIZE * below(w, 64), 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_space_create:
        if (sys(w, index, 0, 0, 0, 0, 0, 0, &v) == SK_OK)
            adopt(w, v, SK_OBJ_SPACE, SK_RIGHTS_ALL & ~(SK_RIGHT_EXECUTE | SK_RIGHT_WAIT | SK_RIGHT_SIGNAL), 0);
        break;
    case SK_SYS_space_map:
        c_space_map(w);
        break;
    case SK_SYS_space_unmap:
    case SK_SYS_space_protect:
        c_space_range(w, index);
        break;
    case SK_SYS_thread_create:
        c_thread_create(w);
        break;
    case SK_SYS_thread_start:
    case SK_SYS_thread_kill:
    case SK_SYS_thread_interrupt:
        /* never SK_THIS_THREAD: a worker must not stop or end itself */
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_THREAD, R_OBJ), 0, 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_thread_exit:
        c_thread_exit(w);
        break;
    case SK_SYS_thread_set_priority: {
        /* above the workers' priority only for victim code: anything else (a worker, a thread
           running who knows what) could starve the workers */
        struct fz_entry e;
        pick(w, SK_OBJ_THREAD, R_THREAD, &e);
        if (one_in(w, 8))
            e.h = SK_THIS_THREAD, e.flags = 0;
        v = below(w, ((e.flags & PF_STUB) ? SK_THREAD_PRIO_MAX : SK_THREAD_PRIO_DEFAULT) + 1);
        if (one_in(w, 8))
            v = SK_THREAD_PRIO_MAX + 1 + below(w, 1ull << 40); /* refused */
        sys(w, index, (uint64_t)e.h, v, 0, 0, 0, 0, NULL);
        break;
    }
    case SK_SYS_thread_set_base:
        sys(w, index, one_in(w, 8) ? rnd(w) : below(w, 3), gen_any(w), 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_futex_wait:
    case SK_SYS_futex_wake:
        c_futex(w, index);
        break;
    case SK_SYS_queue_create:
        c_queue_create(w);
        break;
    case SK_SYS_queue_drive:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_QUEUE, R_OBJ),
            one_in(w, 4) ? gen_any(w) : below(w, 3), gen_timeout(w), 0, 0, 0, NULL);
        break;
    case SK_SYS_event_create:
        if (sys(w, index, one_in(w, 8) ? rnd(w) : below(w, 2), 0, 0, 0, 0, 0, &v) == SK_OK)
            adopt(w, v, SK_OBJ_EVENT,
                  SK_RIGHT_WAIT | SK_RIGHT_SIGNAL | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE, 0);
        break;
    case SK_SYS_event_raise:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_EVENT, R_OBJ), one_in(w, 2) ? 0 : rnd(w), 0, 0,
            0, 0, NULL);
        break;
    case SK_SYS_thread_stats:
    case SK_SYS_credentials_get:
        sys(w, index, (uint64_t)gen_handle(w, one_in(w, 3) ? SK_OBJ_TOKEN : SK_OBJ_THREAD, R_THREAD),
            gen_waddr(w), 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_memory_info:
        sys(w, index, gen_waddr(w), 0, 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_thread_resume:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_THREAD, R_THREAD), 0, 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_thread_get_regs:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_THREAD, R_THREAD),
            one_in(w, 8) ? rnd(w) : below(w, SK_REGS_KINDS + 1), gen_waddr(w),
            one_in(w, 2) ? 0 : (one_in(w, 2) ? 160 : gen_size(w)), 0, 0, NULL);
        break;
    case SK_SYS_thread_set_regs:
        c_thread_set_regs(w);
        break;
    case SK_SYS_irq_ack:
    case SK_SYS_irq_nack:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_IRQ, R_OBJ),
            one_in(w, 2) ? below(w, 4) : gen_any(w), 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_thread_set_affinity:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_THREAD, R_THREAD),
            one_in(w, 2) ? 1ull << below(w, 64) : rnd(w), 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_stream_create:
        c_stream_create(w);
        break;
    case SK_SYS_lane_shutdown:
        sys(w, index, (uint64_t)gen_handle(w, SK_OBJ_LANE, R_OBJ), 0, 0, 0, 0, 0, NULL);
        break;
    case SK_SYS_token_create:
        if (sys(w, index, 0, 0, 0, 0, 0, 0, &v) == SK_OK)
            adopt(w, v, SK_OBJ_TOKEN, SK_RIGHT_READ | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE, 0);
        break;
    default:
        /* nop, clock_get, thread_yield, queue_alert, memory_create_physical, irq_create and
           ioport_grant (no hardware-access handle ever reaches a child), and any new call */
        c_generic(w, index);
        break;
    }
}
