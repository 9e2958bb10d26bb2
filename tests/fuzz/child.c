/*
 * A fuzzing child: test-fuzz started by the parent with "child <seed> <calls> <threads>
 * <irqs>". It sets up its arena, its pool and its private plumbing (the control lane to
 * the parent, one private queue per worker for the pushes that tell the parent of every
 * thread it makes), marks everything that exists at that point private, then runs its
 * workers until they have made <calls> calls between them, and exits. The parent may kill
 * it at any moment; the workers also stop as soon as the first thread has ended.
 *
 * Threads: every thread the child makes (workers, victims, victim processes' first threads)
 * is pushed to the parent before it can run, so the parent can kill them all: a victim
 * stopped by an observer that has gone, or sleeping for ever, would otherwise keep the
 * child's universe alive.
 */
#include "fuzz.h"

struct fz_child fz;

#define FZ_MAX_WORKERS 8
static struct fz_worker workers[FZ_MAX_WORKERS];
static volatile uint64_t go;

/* ---- plumbing ------------------------------------------------------------------------------ */

void fz_pair_add(struct fz_worker *w, sk_handle_t a, sk_handle_t b)
{
    w->pairs[below(w, FZ_PAIRS)] = (struct fz_pair){a, b};
}

int fz_map_private(sk_handle_t mem, uint64_t size, void **out)
{
    uint64_t at;
    sk_error_t e = sk_space_map(SK_THIS_SPACE, mem, 0, 0, sk_page_round_up(size),
                                SK_PROT_READ | SK_PROT_WRITE, &at);
    if (e == SK_OK)
        *out = (void *)at;
    return e;
}

static void track_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct fz_track *t = SK_OP_CONTAINER(op, struct fz_track, op);
    t->failed = cqe->error != SK_OK;
}

/* Push `h` to the parent over the control lane, keeping `rights`. Returns 1 once the kernel
   holds the push (it waits for the parent's pull), 0 if it could not be posted. */
static int push_to_parent(struct fz_worker *w, sk_handle_t h, uint32_t rights)
{
    struct sk_queue *q = &w->ctl;
    sk_queue_poll(q);
    /* room in flight: pushes complete as the parent pulls them */
    for (int i = 0; i < 200 && sk_queue_inflight(q) + 1 >= q->limit; i++)
        sk_queue_wait(q, MS);
    struct fz_track *t = NULL;
    for (int i = 0; i < FZ_TRACK_OPS && !t; i++)
        if (w->track[i].op.state == SK_OPSTATE_IDLE)
            t = &w->track[i];
    if (!t || sk_queue_inflight(q) + 1 >= q->limit)
        return 0;
    t->act = sk_act_push(0, h, rights);
    t->failed = 0;
    if (sk_op_ipc(q, &t->op, fz.lane, &t->act, 1, track_done) != SK_OK)
        return 0;
    sk_queue_flush(q);
    sk_queue_poll(q); /* a push refused at submission has completed already */
    return !t->failed && t->op.state != SK_OPSTATE_BACKLOG;
}

int fz_track(struct fz_worker *w, sk_handle_t thread)
{
    return push_to_parent(w, thread, SK_RIGHT_MANAGE | SK_RIGHT_READ);
}

void fz_make_thread(struct fz_worker *w, sk_handle_t universe, sk_handle_t space,
                    const struct sk_thread_create *tc, int own_space)
{
    uint64_t h;
    sk_error_t e = sk_raw_thread_create((uint64_t)universe, (uint64_t)space, (uint64_t)tc, &h);
    fz_note(w, SK_SYS_thread_create - SK_SYSCALL_BASE, e);
    if (e != SK_OK)
        return;
    if (!(tc->flags & SK_THREAD_START_STOPPED) || !fz_track(w, (sk_handle_t)h)) {
        /* closing its only handle kills it before it ever runs */
        sk_thread_kill((sk_handle_t)h);
        sk_handle_close((sk_handle_t)h);
        return;
    }
    sk_atomic_add(&fz.stats->victims, 1);
    int stub = own_space && (uint64_t)tc->entry >= (uint64_t)fz_victim_start &&
               (uint64_t)tc->entry < (uint64_t)fz_victim_end;
    pool_add_dups(w, (sk_handle_t)h, SK_OBJ_THREAD, SK_RIGHTS_ALL,
                  (own_space ? PF_OWN : 0) | (stub || own_space ? PF_STUB : 0));
    if (one_in(w, 2))
        fz_note(w, SK_SYS_thread_start - SK_SYSCALL_BASE, sk_thread_start((sk_handle_t)h));
}

void fz_spawn_victim(struct fz_worker *w)
{
    int k = (int)below(w, FZ_KIDS);
    struct sk_process *p = &w->kid[k];
    if (w->kid_live[k]) { /* the older one goes: killed, its handles closed */
        sk_thread_kill(p->thread);
        sk_process_release(p);
        w->kid_live[k] = 0;
    }
    if (!fz.image)
        return;
    char seed[24];
    sk_snprintf(seed, sizeof seed, "%lx", rnd(w));
    const char *argv[] = {"test-fuzz", "victim", seed};
    struct sk_spawn_args args = {.argc = 3, .argv = argv};
    if (sk_spawn(fz.image, fz.image_size, &args, p, NULL) != SK_OK)
        return;
    w->kid_live[k] = 1;
    pool_private(p->thread);
    pool_private(p->universe);
    pool_private(p->space);
    if (!fz_track(w, p->thread)) {
        sk_thread_kill(p->thread);
        sk_process_release(p);
        w->kid_live[k] = 0;
        return;
    }
    sk_atomic_add(&fz.stats->spawns, 1);
    /* duplicates join the pool, with random rights; ours stay for the release */
    sk_handle_t d;
    if (sk_handle_dup(p->universe, gen_rights(w) & SK_RIGHTS_ALL, &d) == SK_OK)
        pool_add(w, d, SK_OBJ_UNIVERSE, SK_RIGHTS_ALL, PF_KID);
    if (sk_handle_dup(p->space, gen_rights(w) & SK_RIGHTS_ALL, &d) == SK_OK)
        pool_add(w, d, SK_OBJ_SPACE, SK_RIGHTS_ALL, PF_KID);
    if (sk_handle_dup(p->thread, gen_rights(w) & SK_RIGHTS_ALL, &d) == SK_OK)
        pool_add(w, d, SK_OBJ_THREAD, SK_RIGHTS_ALL, PF_KID);
}

/* ---- keeping the pool stocked ----------------------------------------------------------------- */

static void make_ring(struct fz_worker *w)
{
    for (int i = 0; i < FZ_RINGS; i++) {
        if (w->ring[i].mem)
            continue;
        uint64_t size = SK_PAGE_SIZE << below(w, 3);
        sk_handle_t mem;
        void *m = NULL;
        if (sk_memory_create(size, SK_MEM_CONTIGUOUS, &mem) != SK_OK)
            return;
        if (fz_map_private(mem, size, &m) != SK_OK) {
            sk_handle_close(mem);
            return;
        }
        sk_handle_t d; /* the pool gets a duplicate: it may close it; the ring stays ours */
        if (sk_handle_dup(mem, SK_RIGHTS_ALL, &d) == SK_OK)
            pool_add(w, d, SK_OBJ_MEMORY, SK_RIGHTS_ALL, PF_CONTIG);
        pool_private(mem);
        w->ring[i] = (struct fz_ring){.mem = mem, .hdr = m, .size = size};
        return;
    }
}

void fz_restock(struct fz_worker *w)
{
    sk_handle_t h, l[2];
    if (pool_count(SK_OBJ_UNIVERSE) < 2 && sk_universe_create(&h) == SK_OK)
        pool_add_dups(w, h, SK_OBJ_UNIVERSE, SK_RIGHTS_ALL, 0);
    if (pool_count(SK_OBJ_SPACE) < 2 && sk_space_create(&h) == SK_OK)
        pool_add_dups(w, h, SK_OBJ_SPACE, SK_RIGHTS_ALL, 0);
    if (pool_count(SK_OBJ_MEMORY) < 4 && sk_memory_create(SK_PAGE_SIZE << below(w, 4), 0, &h) == SK_OK)
        pool_add_dups(w, h, SK_OBJ_MEMORY, SK_RIGHTS_ALL, 0);
    if (pool_count(SK_OBJ_EVENT) < 2 && sk_event_create((uint32_t)below(w, 2), &h) == SK_OK)
        pool_add_dups(w, h, SK_OBJ_EVENT, SK_RIGHTS_ALL, 0);
    if ((pool_count(SK_OBJ_LANE) < 4 || !w->pairs[below(w, FZ_PAIRS)].a) &&
        sk_stream_create(0, 0, l) == SK_OK) {
        pool_add_dups(w, l[0], SK_OBJ_LANE, SK_RIGHTS_ALL, 0);
        pool_add_dups(w, l[1], SK_OBJ_LANE, SK_RIGHTS_ALL, 0);
        fz_pair_add(w, l[0], l[1]);
    }
    if (pool_count(SK_OBJ_TOKEN) < 1 && sk_token_create(&h) == SK_OK)
        pool_add_dups(w, h, SK_OBJ_TOKEN, SK_RIGHTS_ALL, 0);
    int queues = 0;
    for (int i = 0; i < FZ_QUEUES; i++)
        queues += w->q[i].h != 0;
    if (queues < 2 || pool_count(SK_OBJ_QUEUE) < 2) {
        struct sk_queue_params p = {.sq_entries = 1u << below(w, 7)};
        p.cq_entries = p.sq_entries << below(w, 2);
        if (sk_queue_create(&p, &h) == SK_OK) {
            void *m = NULL;
            for (int i = 0; i < FZ_QUEUES; i++) {
                if (w->q[i].h || fz_map_private(p.memory, p.size, &m) != SK_OK)
                    continue;
                w->q[i] = (struct fz_queue){.h = h, .hdr = m, .size = p.size,
                                            .sq_entries = p.sq_entries, .cq_entries = p.cq_entries};
                break;
            }
            pool_add_dups(w, h, SK_OBJ_QUEUE, SK_RIGHTS_ALL, 0);
            pool_add(w, p.memory, SK_OBJ_MEMORY, SK_RIGHTS_ALL, PF_CONTIG);
        }
    }
    if (pool_count(SK_OBJ_THREAD) < 2) {
        struct sk_thread_create *tc = &w->tc;
        *tc = (struct sk_thread_create){
            .entry = (uint64_t)fz_victims[below(w, FZ_VICTIMS)],
            .stack = gen_waddr(w),
            .arg = gen_waddr(w),
            .priority = (uint32_t)below(w, SK_THREAD_PRIO_DEFAULT + 1),
            .flags = SK_THREAD_START_STOPPED | (one_in(w, 2) ? SK_THREAD_OBSERVED : 0),
        };
        fz_make_thread(w, SK_THIS_UNIVERSE, SK_THIS_SPACE, tc, 1);
    }
    if (!w->ring[FZ_RINGS - 1].mem)
        make_ring(w);
    if (one_in(w, 64)) /* closed with everything in flight */
        fz_retire_queue(w, &w->q[below(w, FZ_QUEUES)]);
}

/* ---- the workers ------------------------------------------------------------------------------- */

static void flush_stats(struct fz_worker *w)
{
    struct fz_stats *s = fz.stats;
    uint64_t sys = 0, ops = 0;
    for (int i = 0; i < FZ_MAX_CALLS; i++) {
        sys += w->local_total[i];
        if (w->local_total[i]) {
            sk_atomic_add(&s->call_total[i], w->local_total[i]);
            sk_atomic_add(&s->call_ok[i], w->local_ok[i]);
            w->local_total[i] = w->local_ok[i] = 0;
        }
    }
    for (int i = 0; i < FZ_MAX_OPS; i++) {
        ops += w->local_op_total[i];
        if (w->local_op_total[i] || w->local_op_ok[i]) {
            sk_atomic_add(&s->op_total[i], w->local_op_total[i]);
            sk_atomic_add(&s->op_ok[i], w->local_op_ok[i]);
            w->local_op_total[i] = w->local_op_ok[i] = 0;
        }
    }
    sk_atomic_add(&s->syscalls, sys);
    sk_atomic_add(&s->ops, ops);
    sk_atomic_add(&s->calls, w->calls - w->flushed);
    w->flushed = w->calls;
}

/* A duplicate with fewer rights, or a transfer into another universe, of a pool handle. */
static void reshape(struct fz_worker *w)
{
    struct fz_entry e, u;
    if (!pool_pick(w, SK_OBJ_NONE, &e))
        return;
    sk_handle_t h;
    if (one_in(w, 2) || !pool_pick(w, SK_OBJ_UNIVERSE, &u)) {
        uint32_t want = (uint32_t)rnd(w) & e.rights;
        if (sk_handle_dup(e.h, want, &h) == SK_OK)
            pool_add(w, h, e.type, want, e.flags);
        return;
    }
#if FUZZ_AVOID_UNIVERSE_CYCLES
    if (e.type == SK_OBJ_UNIVERSE)
        return;
#endif
    fz_note(w, SK_SYS_handle_transfer - SK_SYSCALL_BASE,
            sk_handle_transfer(u.h, e.h, (uint32_t)rnd(w) & SK_RIGHTS_ALL, &h));
}

static void doing(struct fz_worker *w, uint32_t what)
{
    if (w->id < 8)
        fz.stats->wdoing[w->id] = what;
}

static void step(struct fz_worker *w)
{
    uint64_t r = below(w, 100);
    if (w->id < 8)
        fz.stats->wsteps[w->id] = w->steps;
    if (r < 50) {
        fz_syscall(w); /* notes what it does itself */
    } else if (r < 82) {
        doing(w, FZ_DOING_BATCH);
        fz_queue_batch(w);
    } else if (r < 90) {
        doing(w, FZ_DOING_SCRIBBLE);
        fz_scribble(w);
    } else if (r < 96) {
        doing(w, FZ_DOING_RESHAPE);
        reshape(w);
    } else {
        doing(w, FZ_DOING_RESTOCK);
        fz_restock(w);
    }
    w->steps++;
    if ((w->steps & 31) == 0) {
        doing(w, FZ_DOING_RESTOCK);
        fz_restock(w);
    }
    if ((w->steps & 127) == 0) {
        doing(w, FZ_DOING_SWEEP);
        pool_sweep(w);
    }
    if (one_in(w, 4000)) {
        doing(w, FZ_DOING_SPAWN);
        fz_spawn_victim(w);
    }
    if ((w->steps & 15) == 0) {
        sk_queue_poll(&w->ctl);
        flush_stats(w);
    }
}

static int stopping(void)
{
    return fz.stop || (*fz.main_exit & SK_EXIT_DONE) || fz.stats->calls >= fz.budget;
}

static int worker_main(void *arg)
{
    struct fz_worker *w = arg;
    while (!sk_atomic_load(&go)) {
        if (*fz.main_exit & SK_EXIT_DONE)
            return 0;
        sk_futex_wait(&go, 0, 10 * MS);
    }
    fz_restock(w);
    while (!stopping())
        step(w);
    flush_stats(w);
    doing(w, FZ_DOING_DONE);
    fz.stop = 1;
    /* victim processes: killed and released (the parent kills whatever else is left) */
    for (int k = 0; k < FZ_KIDS; k++) {
        if (w->kid_live[k]) {
            sk_thread_kill(w->kid[k].thread);
            sk_process_release(&w->kid[k]);
        }
    }
    return 0;
}

static uint64_t parse_num(const char *s)
{
    uint64_t v = 0;
    int base = 10;
    if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    for (; s && *s; s++) {
        int d = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                         : 99;
        if (d >= base)
            break;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    return v;
}
uint64_t fz_parse(const char *s)
{
    return parse_num(s);
}

/* Pull the handles the parent pushes first, if any: IRQs, a lane shared with another child
   (found afterwards by their types). */
static void irqs_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

static void take_irqs(struct fz_worker *w, int n)
{
    static struct sk_op op;
    static struct sk_action acts[4];
    if (n <= 0)
        return;
    if (n > 4)
        n = 4;
    for (int i = 0; i < n; i++)
        acts[i] = sk_act_pull(i + 1 < n ? SK_ACTF_CHAIN : 0, 0);
    if (sk_op_ipc(&w->ctl, &op, fz.lane, acts, (unsigned)n, irqs_done) != SK_OK)
        return;
    for (int i = 0; i < 5000 && op.state != SK_OPSTATE_IDLE; i++)
        sk_queue_wait(&w->ctl, MS);
}

int fz_child_main(void)
{
    fz.seed = fz_parse(sk_argv(2));
    fz.budget = fz_parse(sk_argv(3));
    fz.nworkers = (int)fz_parse(sk_argv(4));
    int ninit = (int)fz_parse(sk_argv(5));
    if (fz.nworkers < 1)
        fz.nworkers = 1;
    if (fz.nworkers > FZ_MAX_WORKERS)
        fz.nworkers = FZ_MAX_WORKERS;
    fz.lane = sk_registry_lane();
    /* our own image, to start victim processes from (the parent passes it as the archive) */
    const struct sk_start_info *si = sk_start_info();
    uint64_t img;
    if (si->initrd && sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, sk_page_round_up(si->initrd_size),
                                   SK_PROT_READ, &img) == SK_OK) {
        fz.image = (const void *)img;
        fz.image_size = si->initrd_size;
    }
    fz.main_exit = (const volatile uint64_t *)((const uint8_t *)sk_start_info() - 64);
    pool_init();

    /* the statistics page, shared with the parent: the first thing pushed after the IRQs */
    void *page;
    sk_handle_t stats_mem;
    if (sk_mem_map_anon(SK_PAGE_SIZE, SK_PROT_READ | SK_PROT_WRITE, &page, &stats_mem) != SK_OK)
        return 10;
    fz.stats = page;
    fz.stats->magic = FZ_STATS_MAGIC;
    /* the arena: one object mapped at its start; random calls map, unmap and protect the rest */
    sk_handle_t arena;
    uint64_t at;
    if (sk_memory_create(64 * SK_PAGE_SIZE, 0, &arena) != SK_OK ||
        sk_space_map(SK_THIS_SPACE, arena, 0, ARENA_BASE, 64 * SK_PAGE_SIZE,
                     SK_PROT_READ | SK_PROT_WRITE | SK_MAP_FIXED, &at) != SK_OK)
        return 11;
    for (int i = 0; i < fz.nworkers; i++) {
        struct fz_worker *w = &workers[i];
        w->id = i;
        w->rng = fz_mix(fz.seed ^ fz_mix((uint64_t)i + 1)) | 1;
        w->known[0] = (struct fz_map){SK_THIS_SPACE, ARENA_BASE, 64 * SK_PAGE_SIZE};
        if (sk_queue_open(&w->ctl, 64, 64) != SK_OK)
            return 12;
    }
    struct fz_worker *w0 = &workers[0];

    /* handles from the parent (it pushes them before pulling anything) */
    take_irqs(w0, ninit);
    if (!push_to_parent(w0, stats_mem, SK_RIGHT_READ | SK_RIGHT_MAP))
        return 13;

    struct sk_thread *threads[FZ_MAX_WORKERS] = {0};
    for (int i = 1; i < fz.nworkers; i++) {
        if (sk_thread_spawn(worker_main, &workers[i], 128 * 1024, &threads[i]) != SK_OK)
            return 14;
        if (!fz_track(w0, sk_thread_handle(threads[i])))
            return 15;
    }
    /* everything so far is ours alone: the pool starts with the arena and the IRQs */
    sk_handle_t top;
    if (sk_event_create(SK_EVENT_BITSET, &top) != SK_OK)
        return 16;
    int irqs = 0, shared = 0;
    for (sk_handle_t h = 1; h < top; h++) {
        uint64_t info;
        if (pool_is_private(h) || h == fz.lane || sk_handle_info(h, &info) != SK_OK)
            continue;
        if (SK_INFO_TYPE(info) == SK_OBJ_IRQ) {
            pool_add(w0, h, SK_OBJ_IRQ, SK_INFO_RIGHTS(info), 0);
            irqs++;
        } else if (SK_INFO_TYPE(info) == SK_OBJ_LANE) { /* its peer is in another child */
            pool_add(w0, h, SK_OBJ_LANE, SK_INFO_RIGHTS(info), 0);
            fz.shared = h;
            shared++;
        }
    }
    pool_add(w0, arena, SK_OBJ_MEMORY, SK_RIGHTS_ALL, 0);
    pool_add(w0, top, SK_OBJ_EVENT, SK_RIGHTS_ALL, 0);
    pool_private_below(top);
    sk_atomic_store(&go, 1);
    sk_futex_wake(&go, FZ_MAX_WORKERS, NULL);

    worker_main(w0);
    for (int i = 1; i < fz.nworkers; i++)
        sk_thread_join(threads[i]);
    struct fz_stats *s = fz.stats;
    sk_printf("fuzz: child 0x%lx: %lu calls, %d IRQs, %d shared lanes, %lu victim threads, %lu "
              "victim processes, %lu scribbles, %lu handles adopted\n",
              fz.seed, s->calls, irqs, shared, s->victims, s->spawns, s->scribbles, s->adopted);
    return s->invariant ? 1 : 0;
}

/* ---- a victim process ------------------------------------------------------------------------ */

int fz_victim_main(void)
{
    uint64_t rng = fz_mix(fz_parse(sk_argv(2))) | 1;
    static volatile uint64_t word;
    int rounds = 20 + (int)(rng % 200);
    for (int i = 0; i < rounds; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        sk_handle_t h;
        switch (rng % 5) {
        case 0:
            sk_thread_yield();
            break;
        case 1:
            sk_futex_wait(&word, 0, 200000);
            break;
        case 2:
            if (sk_memory_create(SK_PAGE_SIZE, 0, &h) == SK_OK)
                sk_handle_close(h);
            break;
        case 3:
            if (sk_event_create(SK_EVENT_BITSET, &h) == SK_OK) {
                sk_event_raise(h, rng);
                sk_handle_close(h);
            }
            break;
        default:
            sk_nop();
            break;
        }
    }
    return 0;
}
