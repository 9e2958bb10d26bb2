/*
 * test-fuzz: the parent. Run by init like any system test, with
 *     test-fuzz.args=<seed>,<calls>,<processes>,<threads>
 * (all optional; the seed defaults to one taken from the clock and is printed first, so a
 * failing run repeats with the same arguments). It starts fuzzing children (this program
 * with "child ...", child.c), <processes> at a time with <threads> workers each, until they
 * have made <calls> system calls and queue operations between them. Each child pushes to
 * the parent, over its control lane, its statistics page and the handle of every thread
 * it makes; about a third of the children are killed at a random point of their run. When
 * a child has ended or been killed, the parent kills every thread it was told of and
 * releases the child, and the child must then go away entirely: its universe dies, which
 * ends the control lane (the parent's pulls fail with SK_ERR_END_OF_LANE).
 *
 * Result lines: PASS/FAIL test-fuzz/children (each child ended as it should), /cleanup
 * (each went away), /invariants (no call broke a documented rule), /calls (the calls were
 * made); then the figures: calls per second, and per call how many succeeded. The kernel
 * itself checks the rest: no panic, no hang, and no page leaked once init has ended.
 *
 * The parent may get the hardware-access handle from init: it then makes two MSI IRQ
 * objects (no device can raise them) for the children to fuzz, and closes the
 * hardware-access handle before any child starts. Nothing else privileged is used.
 */
#include "fuzz.h"
#include <sk/test.h>
#include <base/cpio.h>

int fz_child_main(void);
int fz_victim_main(void);
uint64_t fz_parse(const char *s);
const char *fz_call_name(uint32_t index);

#define MAX_KIDS 8
#define PULLS 8
#define NIRQ 2
/* How long a child may go without making a call (a stuck worker), run in all (however slow
   the machine, with other work on it), and take to go away once its threads are killed. A
   child makes its calls in a second or two; these keep a stuck one from taking the whole
   boot's time, so that the report comes from here. */
#define STALL_LIMIT (10000 * MS)
#define RUN_LIMIT (120000 * MS)
#define DRAIN_LIMIT (20000 * MS)

enum kid_state { K_FREE, K_RUNNING, K_DRAINING, K_ABANDONED };

struct pull {
    struct sk_op op;
    struct sk_action act;
    struct kid *k;
};

struct kid {
    enum kid_state state;
    uint64_t seed, budget, kill_at, t_start, t_drain;
    uint64_t t_progress, calls_seen; /* when its call count last moved, and to what */
    int doomed, killed;
    struct sk_process p;
    sk_handle_t lane;
    struct pull pulls[PULLS];
    int pulls_live, lane_ended;
    sk_handle_t *threads;
    uint32_t nthreads, cap;
    sk_handle_t stats_mem;
    const struct fz_stats *stats;
    uint64_t status;
    struct sk_op push_op;
    struct sk_action push_acts[NIRQ + 1];
};

static struct kid kids[MAX_KIDS];
static struct sk_queue q;
static sk_handle_t irqs[NIRQ];
static int nirq;
/* A stream two children share, one lane each (children started one after the other): IPC
   between two processes, sends copied between their spaces, handles of one landing in the
   other, one of them killed in the middle of it. */
static sk_handle_t cross[2];
static int cross_next;
/* this program's image, in a memory object of its own: what children start victims from
   (init gives us the archive without TRANSFER, so we cannot pass that on) */
static sk_handle_t image;
static uint64_t image_size;

/* results */
static uint64_t total_calls, total_syscalls, total_ops, total_victims, total_spawns;
static uint64_t total_invariant, children, killed, threads_tracked;
static uint64_t sum_total[FZ_MAX_CALLS], sum_ok[FZ_MAX_CALLS], sum_op_total[FZ_MAX_OPS],
    sum_op_ok[FZ_MAX_OPS];
static int bad_children, bad_cleanup;
static char why_children[160], why_cleanup[160];
static uint64_t seed;

static uint64_t now(void)
{
    uint64_t t = 0;
    sk_clock_get(&t);
    return t;
}

static void kill_and_close(sk_handle_t t)
{
    sk_thread_kill(t);
    sk_handle_close(t);
}

static void track(struct kid *k, sk_handle_t t)
{
    threads_tracked++;
    if (k->state == K_DRAINING) {
        kill_and_close(t);
        return;
    }
    if (k->nthreads == k->cap) {
        uint32_t cap = k->cap ? 2 * k->cap : 64;
        sk_handle_t *n = sk_malloc(cap * sizeof *n);
        if (!n) {
            kill_and_close(t); /* cannot keep it: it must not outlive the child unseen */
            return;
        }
        if (k->threads)
            memcpy(n, k->threads, k->nthreads * sizeof *n);
        sk_free(k->threads);
        k->threads = n;
        k->cap = cap;
    }
    k->threads[k->nthreads++] = t;
}

static void pull_post(struct pull *p);

static void pull_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    struct pull *p = SK_OP_CONTAINER(op, struct pull, op);
    struct kid *k = p->k;
    k->pulls_live--;
    const struct sk_ipc_result *r = sk_ipc_result(cqe, &p->act, 1, 0);
    sk_error_t e = r ? (sk_error_t)r->error : (sk_error_t)cqe->error;
    if (e == SK_ERR_END_OF_LANE || e == SK_ERR_BAD_HANDLE || e == SK_ERR_WRONG_TYPE) {
        k->lane_ended = 1;
        return;
    }
    sk_handle_t h = e == SK_OK ? sk_ipc_handle(r) : 0;
    uint64_t info;
    if (h > 0 && sk_handle_info(h, &info) == SK_OK) {
        if (SK_INFO_TYPE(info) == SK_OBJ_THREAD) {
            track(k, h);
        } else if (SK_INFO_TYPE(info) == SK_OBJ_MEMORY && !k->stats) {
            uint64_t at;
            if (sk_space_map(SK_THIS_SPACE, h, 0, 0, SK_PAGE_SIZE, SK_PROT_READ, &at) == SK_OK) {
                k->stats = (const struct fz_stats *)at;
                k->stats_mem = h;
            } else {
                sk_handle_close(h);
            }
        } else {
            sk_handle_close(h);
        }
    }
    pull_post(p);
}

static void pull_post(struct pull *p)
{
    struct kid *k = p->k;
    if (k->lane_ended || k->state == K_FREE || k->state == K_ABANDONED)
        return;
    p->act = sk_act_pull(0, 0);
    if (sk_op_ipc(&q, &p->op, k->lane, &p->act, 1, pull_done) == SK_OK)
        k->pulls_live++;
}

static void irq_push_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

static int spawn_kid(struct kid *k, uint64_t budget, int threads)
{
    sk_handle_t l[2];
    if (sk_stream_create(0, 0, l) != SK_OK)
        return 0;
    char s_seed[24], s_budget[24], s_threads[8], s_init[8];
    k->seed = fz_mix(seed + children * 0x1000193ull);
    sk_snprintf(s_seed, sizeof s_seed, "0x%lx", k->seed);
    sk_snprintf(s_budget, sizeof s_budget, "%lu", budget);
    sk_snprintf(s_threads, sizeof s_threads, "%d", threads);
    if (cross_next == 0 && sk_stream_create(0, 0, cross) != SK_OK)
        cross[0] = cross[1] = 0;
    sk_handle_t share = cross[cross_next];
    cross[cross_next] = 0;
    cross_next ^= 1;
    int ninit = nirq + (share != 0);
    sk_snprintf(s_init, sizeof s_init, "%d", ninit);
    const char *argv[] = {"test-fuzz", "child", s_seed, s_budget, s_threads, s_init};
    struct sk_spawn_args args = {
        .argc = 6,
        .argv = argv,
        .initrd = image,
        .initrd_rights = SK_RIGHT_READ | SK_RIGHT_MAP,
        .initrd_size = image_size,
        .registry = l[1], /* the control lane, where the registry's would be */
        .registry_rights = SK_RIGHT_READ | SK_RIGHT_WRITE,
    };
    sk_error_t e = sk_spawn_program("test-fuzz", &args, &k->p);
    sk_handle_close(l[1]);
    if (e != SK_OK) {
        sk_handle_close(l[0]);
        if (share)
            sk_handle_close(share);
        sk_printf("fuzz: cannot start a child: %s\n", sk_error_name(e));
        return 0;
    }
    children++;
    k->state = K_RUNNING;
    k->lane = l[0];
    k->budget = budget;
    k->t_start = k->t_progress = now();
    k->calls_seen = 0;
    k->doomed = (k->seed % 3) == 0;
    k->kill_at = budget / 8 + k->seed % (budget * 3 / 4 + 1);
    k->killed = k->lane_ended = 0;
    k->nthreads = 0;
    k->stats = NULL;
    k->stats_mem = 0;
    k->status = 0;
    /* the first actions on the lane, before any pull: the IRQ handles and the shared lane */
    if (ninit) {
        for (int i = 0; i < ninit; i++)
            k->push_acts[i] = sk_act_push(i + 1 < ninit ? SK_ACTF_CHAIN : 0,
                                          i < nirq ? irqs[i] : share,
                                          SK_RIGHTS_ALL & ~(uint32_t)((k->seed >> (8 * i)) &
                                                                      (SK_RIGHT_WAIT | SK_RIGHT_SIGNAL)));
        sk_op_ipc(&q, &k->push_op, k->lane, k->push_acts, (unsigned)ninit, irq_push_done);
        sk_queue_flush(&q); /* the kernel holds the objects now */
    }
    if (share)
        sk_handle_close(share);
    for (int i = 0; i < PULLS; i++) {
        k->pulls[i].k = k;
        pull_post(&k->pulls[i]);
    }
    return 1;
}

/* The child has ended or is to be killed: kill every thread it told us of, and its first;
   release it. It must then go away: its lane ends once its universe is gone. */
static void drain(struct kid *k, int kill)
{
    if (kill) {
        k->killed = 1;
        killed++;
        sk_thread_kill(k->p.thread);
    }
    for (uint32_t i = 0; i < k->nthreads; i++)
        kill_and_close(k->threads[i]);
    k->nthreads = 0;
    k->status = *k->p.exit_word;
    sk_process_release(&k->p);
    k->state = K_DRAINING;
    k->t_drain = now();
}

static void fail_child(struct kid *k, const char *what)
{
    char how[64];
    sk_exit_describe(k->status, how, sizeof how);
    sk_printf("fuzz: FAILED: child 0x%lx (budget %lu, %s): %s, status %s; repeat with "
              "test-fuzz.args=0x%lx,...\n",
              k->seed, k->budget, k->killed ? "killed" : "not killed", what, how, seed);
    if (!bad_children++)
        sk_snprintf(why_children, sizeof why_children, "child 0x%lx: %s (%s), parent seed 0x%lx",
                    k->seed, what, how, seed);
}

/* The child is gone (or given up on): add up its figures, free what we held. */
static void finish(struct kid *k)
{
    if (k->stats) {
        const struct fz_stats *s = k->stats;
        total_calls += s->calls;
        total_syscalls += s->syscalls;
        total_ops += s->ops;
        total_victims += s->victims;
        total_spawns += s->spawns;
        total_invariant += s->invariant;
        for (int i = 0; i < FZ_MAX_CALLS; i++)
            sum_total[i] += s->call_total[i], sum_ok[i] += s->call_ok[i];
        for (int i = 0; i < FZ_MAX_OPS; i++)
            sum_op_total[i] += s->op_total[i], sum_op_ok[i] += s->op_ok[i];
        sk_space_unmap(SK_THIS_SPACE, (uint64_t)k->stats, SK_PAGE_SIZE);
        sk_handle_close(k->stats_mem);
    }
    sk_handle_close(k->lane);
    sk_free(k->threads);
    k->threads = NULL;
    k->cap = 0;
    k->stats = NULL;
    k->state = K_FREE;
}

/* Close the handles of tracked threads that have ended (they hold kernel stacks). */
static void reap_dead(struct kid *k)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < k->nthreads; i++) {
        if (sk_thread_set_affinity(k->threads[i], SK_AFFINITY_ANY) == SK_ERR_DEAD)
            sk_handle_close(k->threads[i]);
        else
            k->threads[j++] = k->threads[i];
    }
    k->nthreads = j;
}

/* A child is stuck: say what its workers were doing and where its threads are. */
static void diagnose(struct kid *k)
{
    const struct fz_stats *s = k->stats;
    if (s)
        for (int i = 0; i < 8; i++)
            if (s->wsteps[i] || s->wdoing[i])
                sk_printf("fuzz: stuck child 0x%lx: worker %d at step %lu doing %u%s%s\n", k->seed, i,
                          s->wsteps[i], s->wdoing[i], s->wdoing[i] / 1000 == 1 ? " = " : "",
                          s->wdoing[i] / 1000 == 1 ? fz_call_name(s->wdoing[i] - 1000) : "");
    for (uint32_t i = 0; i < k->nthreads && i < 64; i++) {
        struct sk_thread_stats st = {0};
        sk_error_t e = sk_thread_stats(k->threads[i], &st);
        sk_printf("fuzz: stuck child 0x%lx: thread %u: %s, %lu syscalls, %lu switches, cpu %lu\n",
                  k->seed, i, sk_error_name(e), st.syscalls, st.switches, st.cpu);
    }
}

static void tick_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op, (void)cqe;
}

/* One look at a child. */
static void watch(struct kid *k, uint64_t t)
{
    if (k->state == K_RUNNING) {
        uint64_t st = *k->p.exit_word;
        uint64_t calls = k->stats ? k->stats->calls : 0;
        if (calls != k->calls_seen)
            k->calls_seen = calls, k->t_progress = t;
        if (st & SK_EXIT_DONE) {
            drain(k, 0);
            if (st != SK_EXIT_DONE)
                fail_child(k, "it did not exit with status 0");
        } else if (k->doomed && (calls >= k->kill_at || (!k->stats && t - k->t_start > 2000 * MS))) {
            drain(k, 1);
        } else if (t - k->t_progress > STALL_LIMIT || t - k->t_start > RUN_LIMIT) {
            diagnose(k);
            drain(k, 1);
            fail_child(k, t - k->t_start > RUN_LIMIT ? "it was still running at its time limit"
                                                     : "it made no call for 10 s");
        }
    } else if (k->state == K_DRAINING) {
        if (k->lane_ended && !k->pulls_live) {
            finish(k);
        } else if (t - k->t_drain > DRAIN_LIMIT) {
            sk_printf("fuzz: FAILED: child 0x%lx did not go away after all its threads were "
                      "killed (%d pulls pending); repeat with test-fuzz.args=0x%lx,...\n",
                      k->seed, k->pulls_live, seed);
            if (!bad_cleanup++)
                sk_snprintf(why_cleanup, sizeof why_cleanup,
                            "child 0x%lx did not go away after its threads were killed, parent "
                            "seed 0x%lx", k->seed, seed);
            finish(k);
            k->state = K_ABANDONED; /* its pulls may still complete: keep the slot */
        }
    }
}

static void copy_image(void)
{
    const struct sk_start_info *si = sk_start_info();
    uint64_t a, b, len = sk_page_round_up(si ? si->initrd_size : 0);
    struct cpio_entry e;
    if (!len || sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, len, SK_PROT_READ, &a) != SK_OK)
        return;
    if (cpio_find((const uint8_t *)a, si->initrd_size, "bin/test-fuzz", &e) == 1 &&
        sk_memory_create(sk_page_round_up(e.size), 0, &image) == SK_OK) {
        if (sk_space_map(SK_THIS_SPACE, image, 0, 0, sk_page_round_up(e.size),
                         SK_PROT_READ | SK_PROT_WRITE, &b) == SK_OK) {
            memcpy((void *)b, e.data, e.size);
            sk_space_unmap(SK_THIS_SPACE, b, sk_page_round_up(e.size));
            image_size = e.size;
        }
    }
    sk_space_unmap(SK_THIS_SPACE, a, len);
}

static void make_irqs(void)
{
    const struct sk_start_info *si = sk_start_info();
    if (!si || !si->hw_access)
        return;
    for (int i = 0; i < NIRQ; i++) {
        struct sk_irq_msi msi = {0};
        if (sk_irq_create(si->hw_access, (uint64_t)&msi, SK_IRQ_MSI, &irqs[nirq]) == SK_OK)
            nirq++;
    }
    /* nothing else of it is used: it could reprogram the machine */
    sk_handle_close(si->hw_access);
}

static void print_figures(uint64_t ms)
{
    uint64_t rate = ms ? total_calls * 1000 / ms : 0;
    sk_printf("fuzz: %lu calls (%lu system calls, %lu queue operations) in %lu ms by %lu "
              "processes (%lu killed), %lu victim threads, %lu victim processes, %lu threads "
              "tracked: %lu calls/s\n",
              total_calls, total_syscalls, total_ops, ms, children, killed, total_victims,
              total_spawns, threads_tracked, rate);
    /* a line per few calls: each entry is at most ~60 bytes, the line is flushed past 150 */
    char line[256];
    size_t n = 0;
    for (uint32_t i = 0; i < SK_SYSCALL_COUNT; i++) {
        n += sk_snprintf(line + n, sizeof line - n, " %s %lu/%lu", fz_call_name(i), sum_ok[i],
                         sum_total[i]);
        if (n > 150 || i + 1 == SK_SYSCALL_COUNT) {
            sk_printf("fuzz: calls (ok/made):%s\n", line);
            n = 0;
        }
    }
    static const char *const opnames[] = {
#define FZ_OPNAME(name, code) #name,
        SK_OPS(FZ_OPNAME)
#undef FZ_OPNAME
    };
    for (uint32_t i = 0; i < SK_OP_COUNT; i++) {
        n += sk_snprintf(line + n, sizeof line - n, " %s %lu/%lu", opnames[i], sum_op_ok[i],
                         sum_op_total[i]);
        if (n > 150 || i + 1 == SK_OP_COUNT) {
            sk_printf("fuzz: queue operations (ok/submitted):%s\n", line);
            n = 0;
        }
    }
    sk_printf("bench fuzz_calls_per_s %lu calls/s\n", rate);
}

static int parent_main(void)
{
    uint64_t calls = 20000;
    int procs = 2, threads = 3;
    uint64_t t0 = now();
    seed = fz_mix(t0 ^ 0x5eed);
    if (sk_argc() > 1 && sk_argv(1)[0])
        seed = fz_parse(sk_argv(1));
    if (sk_argc() > 2 && fz_parse(sk_argv(2)))
        calls = fz_parse(sk_argv(2));
    if (sk_argc() > 3 && fz_parse(sk_argv(3)))
        procs = (int)fz_parse(sk_argv(3));
    if (sk_argc() > 4 && fz_parse(sk_argv(4)))
        threads = (int)fz_parse(sk_argv(4));
    if (procs > MAX_KIDS)
        procs = MAX_KIDS;
    sk_printf("fuzz seed 0x%lx: %lu calls, %d processes at a time, %d threads each (repeat: "
              "test-fuzz.args=0x%lx,%lu,%d,%d)\n",
              seed, calls, procs, threads, seed, calls, procs, threads);
    make_irqs();
    copy_image();
    if (sk_queue_open(&q, 256, 256) != SK_OK) {
        sk_test_report("setup", 0, "no queue");
        return 1;
    }
    /* each child makes at most this many calls; a long run starts many children */
    uint64_t budget = calls < 4000 ? calls : 4000;
    uint64_t started = 0; /* calls the children started so far may make */
    uint64_t last_reap = t0;
    static struct sk_op tick;
    for (;;) {
        int live = 0, free_slot = -1;
        for (int i = 0; i < MAX_KIDS; i++) {
            live += kids[i].state == K_RUNNING || kids[i].state == K_DRAINING;
            if (kids[i].state == K_FREE && free_slot < 0)
                free_slot = i;
        }
        uint64_t done = total_calls;
        for (int i = 0; i < MAX_KIDS; i++)
            if (kids[i].state != K_FREE && kids[i].stats)
                done += kids[i].stats->calls;
        /* killed children fall short of their budget: start more until the calls are made */
        if (live < procs && free_slot >= 0 && started < 2 * calls && done < calls) {
            if (spawn_kid(&kids[free_slot], budget, threads))
                started += budget;
            else
                started += budget / 4; /* do not loop for ever if spawning fails */
            continue;
        }
        if (!live)
            break;
        if (tick.state == SK_OPSTATE_IDLE)
            sk_op_sleep(&q, &tick, 2 * MS, tick_done);
        sk_queue_wait(&q, 10 * MS);
        uint64_t t = now();
        for (int i = 0; i < MAX_KIDS; i++)
            watch(&kids[i], t);
        if (t - last_reap > 100 * MS) {
            last_reap = t;
            for (int i = 0; i < MAX_KIDS; i++)
                if (kids[i].state == K_RUNNING)
                    reap_dead(&kids[i]);
        }
    }
    uint64_t ms = (now() - t0) / MS;
    print_figures(ms);
    for (int i = 0; i < nirq; i++)
        sk_handle_close(irqs[i]);
    if (image)
        sk_handle_close(image);
    for (int i = 0; i < 2; i++)
        if (cross[i])
            sk_handle_close(cross[i]);
    sk_queue_close(&q); /* with the last tick in flight, and the pulls of abandoned children */

    sk_test_report("children", bad_children == 0, why_children);
    sk_test_report("cleanup", bad_cleanup == 0, why_cleanup);
    char why[160];
    sk_snprintf(why, sizeof why, "%lu calls break documented rules (seed 0x%lx)", total_invariant, seed);
    sk_test_report("invariants", total_invariant == 0, why);
    sk_snprintf(why, sizeof why, "%lu calls made, %lu asked (seed 0x%lx)", total_calls, calls, seed);
    sk_test_report("calls", total_calls >= calls, why);
    int failed = (bad_children != 0) + (bad_cleanup != 0) + (total_invariant != 0) +
                 (total_calls < calls);
    sk_printf("test-fuzz: %d passed, %d failed\n", 4 - failed, failed);
    return failed;
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 5 && strcmp(sk_argv(1), "child") == 0)
        return fz_child_main();
    if (sk_argc() > 2 && strcmp(sk_argv(1), "victim") == 0)
        return fz_victim_main();
    return parent_main();
}
