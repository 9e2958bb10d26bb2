/*
 * test-fuzz: the in-system fuzzer (docs/testing.md, "The fuzzer"). Shared declarations of
 * its parts:
 *
 *   main.c    the program's three roles: the parent (a system test run by init: spawns
 *             fuzzing children, tracks every thread they make, kills some of them in the
 *             middle, checks they all go away), a child ("child <seed> ..."), a victim
 *             process ("victim <seed>", started by children as a target)
 *   child.c   a fuzzing child: setup, its worker threads and their loop
 *   pool.c    the child's pool of real handles, the map of handle values it must never
 *             touch, the sweep that adopts handles made by asynchronous operations, the
 *             random number generator and the argument generators
 *   calls.c   one generator per system call of SK_SYSCALLS (a generic one for calls without
 *             their own), run through the list, so a new call is fuzzed as soon as it exists
 *   ops.c     queue operations of SK_OPS and IPC action chains of SK_ACTIONS written into
 *             the child's own queues, and garbage written over its queue and receive rings
 *   victim.S  code victim threads run: no memory writes, no stack, only harmless calls
 *
 * What the fuzzer must never do to itself (it must not die by its own hand, which would be
 * a false failure): unmap, protect or write its own code, data or stacks (its own space is
 * reached only through SK_THIS_SPACE, and then only inside its arena, a region nothing else
 * uses); let the kernel write anywhere but the arena; touch its private handles (worker
 * threads, the control lane, its private queues); make a thread that runs in its own space
 * execute anything but victim.S; block without a time limit. Everything else is fair game.
 */
#pragma once
#include <sk/sk.h>
#include <sk/queue.h>
#include <sk/ipc.h>
#include <sk/spawn.h>

/*
 * Loops of handles through universes (a universe holding itself, two holding each other, by
 * dup, transfer or IPC push) are fair game: no loop keeps anything alive (docs/processes.md,
 * "When a universe ends"). Build with -DFUZZ_AVOID_UNIVERSE_CYCLES=1 to leave them out (to
 * tell a leak they cause from another).
 */
#ifndef FUZZ_AVOID_UNIVERSE_CYCLES
#define FUZZ_AVOID_UNIVERSE_CYCLES 0
#endif

#define MS 1000000ull

/* ---- the address layout of a child ------------------------------------------------------ */

/*
 * The arena: the only part of the child's own space that random calls may map, unmap or
 * protect, and the only place the kernel is asked to write into (out-pointers, receive
 * buffers, mem_read, exit words of victim threads). The child never touches it itself.
 * Below it, the hole: never mapped, so pointers into it always fault.
 */
#define ARENA_BASE 0x600000000000ull
#define ARENA_SIZE (1ull << 20)
#define HOLE_BASE (ARENA_BASE - (1ull << 20))
#define KPTR 0xffff800000000000ull      /* the kernel's direct map */
#define KTEXT 0xffffffff80000000ull     /* the kernel image */
#define NONCANON 0x0000800000000000ull  /* first non-canonical address */

/* ---- random numbers ---------------------------------------------------------------------- */

static inline uint64_t fz_mix(uint64_t x) /* splitmix64 */
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- the statistics page a child shares with its parent --------------------------------- */

#define FZ_STATS_MAGIC 0x5a5a46555a5a0001ull
#define FZ_MAX_CALLS 64 /* syscall indices counted */
#define FZ_MAX_OPS 16
struct fz_stats {
    uint64_t magic;
    volatile uint64_t calls;     /* system calls + queue operations submitted */
    volatile uint64_t syscalls, ops, drives;
    volatile uint64_t victims, spawns, scribbles, sweeps, adopted, invariant;
    volatile uint64_t call_total[FZ_MAX_CALLS], call_ok[FZ_MAX_CALLS];
    volatile uint64_t op_total[FZ_MAX_OPS], op_ok[FZ_MAX_OPS];
    volatile uint64_t wsteps[8];  /* per worker: steps taken, and what it is doing */
    volatile uint32_t wdoing[8];  /* (FZ_DOING_*), for a parent that finds a child stuck */
};
#define FZ_DOING_CALL 1000 /* + the call's index */
#define FZ_DOING_BATCH 2000
#define FZ_DOING_SCRIBBLE 3000
#define FZ_DOING_RESHAPE 4000
#define FZ_DOING_RESTOCK 5000
#define FZ_DOING_SPAWN 6000
#define FZ_DOING_SWEEP 7000
#define FZ_DOING_TRACK 8000
#define FZ_DOING_DONE 9000
_Static_assert(sizeof(struct fz_stats) <= SK_PAGE_SIZE, "one page");
_Static_assert(SK_SYSCALL_COUNT <= FZ_MAX_CALLS && SK_OP_COUNT <= FZ_MAX_OPS, "widen fz_stats");

/* ---- a worker ------------------------------------------------------------------------------ */

/* A queue of the pool that this worker maps, to write garbage over it and submit raw entries. */
struct fz_queue {
    sk_handle_t h;
    struct sk_queue_header *hdr; /* the mapping (never unmapped while listed) */
    uint64_t size;
    uint32_t sq_entries, cq_entries;
    uint64_t tags[8];            /* recent tags, for cancels */
    uint32_t cq_seen;            /* completions counted up to here */
    int stuck;                   /* drives that took nothing: too many operations wait */
};

/* A contiguous memory object this worker maps, for recv_ring actions and scribbling. */
struct fz_ring {
    sk_handle_t mem;
    struct sk_ipc_ring *hdr;
    uint64_t size;
};

/* A mapping this worker made in its own space outside the arena (a non-fixed space_map),
   or one it made in the arena or in another space (kept to aim protects, unmaps, reads and
   writes at something that was mapped once; anything may have happened to it since). */
struct fz_map {
    sk_handle_t space;
    uint64_t addr, len;
};

/* The two lanes of a stream this worker made: matched chains go one on each. */
struct fz_pair {
    sk_handle_t a, b;
};

#define FZ_QUEUES 3
#define FZ_RINGS 2
#define FZ_MAPS 8
#define FZ_PAIRS 4
#define FZ_KIDS 2
#define FZ_TRACK_OPS 64
#define FZ_BATCH 8 /* queue entries written per batch, at most */

struct fz_track { /* a push of a new thread's handle to the parent */
    struct sk_op op;
    struct sk_action act;
    int failed;
};

struct fz_worker {
    int id;
    uint64_t rng;
    uint64_t steps, calls;        /* calls counted here, added to stats now and then */
    uint64_t flushed;
    struct sk_queue ctl;          /* private: pushes to the parent over the control lane */
    struct fz_track track[FZ_TRACK_OPS];
    struct fz_queue q[FZ_QUEUES];
    struct fz_ring ring[FZ_RINGS];
    struct fz_map maps[FZ_MAPS];     /* outside the arena: ours to unmap */
    struct fz_map known[FZ_MAPS];    /* in the arena or in other spaces */
    struct fz_pair pairs[FZ_PAIRS];
    struct sk_process kid[FZ_KIDS];
    int kid_live[FZ_KIDS];
    uint64_t tagseq;
    /* private buffers: the kernel only reads them (or writes their results, then we read) */
    struct sk_action acts[FZ_BATCH][SK_IPC_MAX_ACTIONS + 2]; /* one list per entry of a batch */
    struct sk_iovec iov[FZ_BATCH][SK_IPC_MAX_SG + 2];
    struct sk_thread_create tc;
    struct sk_queue_params qp;
    sk_handle_t lanes[2];
    uint8_t regs[4096] __attribute__((aligned(64)));
    uint64_t local_total[FZ_MAX_CALLS], local_ok[FZ_MAX_CALLS];
    uint64_t local_op_total[FZ_MAX_OPS], local_op_ok[FZ_MAX_OPS];
};

/* The child's shared state. */
struct fz_child {
    uint64_t seed, budget;
    int nworkers;
    sk_handle_t lane;             /* the control lane to the parent (private) */
    sk_handle_t shared;           /* a lane whose peer another child holds (in the pool), or 0 */
    struct fz_stats *stats;
    const volatile uint64_t *main_exit; /* the first thread's exit word: when it is done, stop */
    volatile int stop;
    const void *image;            /* this program's ELF image, mapped: victim processes */
    uint64_t image_size;
};
extern struct fz_child fz;

/* ---- rng (pool.c) ----------------------------------------------------------------------------- */
static inline uint64_t rnd(struct fz_worker *w)
{
    uint64_t x = w->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return w->rng = x;
}
static inline uint64_t below(struct fz_worker *w, uint64_t n)
{
    return n ? rnd(w) % n : 0;
}
static inline int one_in(struct fz_worker *w, uint64_t n)
{
    return below(w, n) == 0;
}

/* ---- the pool (pool.c) ------------------------------------------------------------------------ */

/* flags of a pool entry */
#define PF_OWN 1u     /* a thread that runs, or may run, in this child's own space */
#define PF_CONTIG 2u  /* a physically contiguous memory object (a ring, a queue's memory) */
#define PF_KID 4u     /* a victim process's universe, space or thread */
#define PF_SELF 8u    /* a universe that may be our own: threads made in it run in our space */
#define PF_STUB 16u   /* a thread known to run only victim code (ours, in our space): it may
                         have any priority; others may run anything, even loops for ever, and
                         stay at or below the workers' priority so that they cannot starve them */

/* Flags for a handle of the type found without knowing where it came from. */
static inline uint32_t pf_unknown(uint32_t type)
{
    return type == SK_OBJ_THREAD ? PF_OWN : type == SK_OBJ_UNIVERSE ? PF_SELF : 0;
}

struct fz_entry {
    sk_handle_t h;
    uint32_t type, rights, flags;
};

void pool_init(void);
/* Never hand h to a random call (and never adopt it): the child's own plumbing. */
void pool_private(sk_handle_t h);
/* Handles up to this value existed before fuzzing started: private unless added. */
void pool_private_below(sk_handle_t h);
int pool_is_private(sk_handle_t h);
/* Add h (made by a call) to the pool; a full pool closes a random old entry to make room. */
void pool_add(struct fz_worker *w, sk_handle_t h, uint32_t type, uint32_t rights, uint32_t flags);
/* Add h, and sometimes duplicates of it with fewer rights. */
void pool_add_dups(struct fz_worker *w, sk_handle_t h, uint32_t type, uint32_t rights, uint32_t flags);
/* A random entry of the type (SK_OBJ_NONE: any); 0 if the pool has none. */
int pool_pick(struct fz_worker *w, uint32_t type, struct fz_entry *out);
/* h was closed: forget it (it becomes a stale value for later calls). */
void pool_forget(sk_handle_t h);
/* Count of entries of a type. */
int pool_count(uint32_t type);
/* Adopt handles made by operations (pulls, forks, lanes) that nobody added. */
void pool_sweep(struct fz_worker *w);
/* A closed (stale) handle value, or one that will never exist. */
sk_handle_t pool_stale(struct fz_worker *w);

/* ---- argument generators (pool.c) ------------------------------------------------------- */

/* Roles of a handle argument: which special values it may get. */
enum role {
    R_OBJ,      /* an object to use: pool handles, stale and invalid values, SK_HANDLE_NULL */
    R_COPY,     /* an object to duplicate, transfer or push: no special values */
    R_UNIVERSE, /* a universe to act in: may be SK_THIS_UNIVERSE */
    R_SPACE,    /* a space to act on: may be SK_THIS_SPACE (then ranges stay in the arena) */
    R_THREAD,   /* a thread to inspect: may be SK_THIS_THREAD */
};
/* A handle of (preferably) the type, for the role. */
sk_handle_t gen_handle(struct fz_worker *w, uint32_t type, enum role role);
/* Rights: a random subset, all of them, or undefined bits. */
uint32_t gen_rights(struct fz_worker *w);
/* An address the kernel may write to: the arena, the hole, or never a user address. */
uint64_t gen_waddr(struct fz_worker *w);
/* An address the kernel only reads: any of the above, or this program's own code and data. */
uint64_t gen_raddr(struct fz_worker *w);
/* An address never mapped or not a user address at all (reads and writes fault): the hole,
   the null page, kernel and non-canonical addresses, just past SK_USER_TOP. */
uint64_t gen_badaddr(struct fz_worker *w);
/* A size: small, page multiples, near limits, near 2^64. */
uint64_t gen_size(struct fz_worker *w);
/* A length for copies: small mostly, sometimes at or past a limit. */
uint64_t gen_len(struct fz_worker *w);
/* A page-aligned range in the arena (addr, len) or an invalid one that maps nothing. */
void gen_arena_range(struct fz_worker *w, uint64_t *addr, uint64_t *len);
/* Any range, for spaces other than our own. */
void gen_any_range(struct fz_worker *w, uint64_t *addr, uint64_t *len);
/* A range in space: often part of a mapping made there; in our own space always in the arena
   (or invalid); anywhere for other spaces. */
void gen_range_in(struct fz_worker *w, sk_handle_t space, uint64_t *addr, uint64_t *len);
/* Protection bits: valid combinations, flags, undefined bits. */
uint32_t gen_prot(struct fz_worker *w);
/* A timeout that never blocks long: 0, a few microseconds, at most a millisecond. */
uint64_t gen_timeout(struct fz_worker *w);
/* Anything: a handle, an address, a size, a boundary, noise. */
uint64_t gen_any(struct fz_worker *w);

/* ---- calls (calls.c) and operations (ops.c) -------------------------------------------- */

/* One random system call of SK_SYSCALLS. */
void fz_syscall(struct fz_worker *w);
/* A batch of queue operations on one of the worker's queues, driven. */
void fz_queue_batch(struct fz_worker *w);
/* Close a queue of the worker's with whatever is in flight, and unmap it. */
void fz_retire_queue(struct fz_worker *w, struct fz_queue *fq);
/* Garbage over a queue's header or rings, or a receive ring's header. */
void fz_scribble(struct fz_worker *w);
/* Keep the pool stocked with every kind of object; make rings and queues to map. */
void fz_restock(struct fz_worker *w);
/* Create a thread (always stopped), have its handle tracked by the parent, maybe start it. */
void fz_make_thread(struct fz_worker *w, sk_handle_t universe, sk_handle_t space,
                    const struct sk_thread_create *tc, int own_space);
/* Start a victim process (this program, "victim <seed>"); its handles join the pool. */
void fz_spawn_victim(struct fz_worker *w);
/* Have the parent track a thread handle; returns 1 once the kernel holds the push. */
int fz_track(struct fz_worker *w, sk_handle_t thread);
/* Record the outcome of a system call (counts; the error must be a known code). */
void fz_note(struct fz_worker *w, uint32_t index, sk_error_t e);
/* Remember the lanes of a new stream, to post matched chains on them. */
void fz_pair_add(struct fz_worker *w, sk_handle_t a, sk_handle_t b);
/* Map a queue or ring memory object in our own space outside the arena (kernel's choice). */
int fz_map_private(sk_handle_t mem, uint64_t size, void **out);

/* ---- victim code (victim.S) ------------------------------------------------------------- */
extern const char fz_victim_start[], fz_victim_end[];
#define FZ_VICTIMS 12
extern void *const fz_victims[FZ_VICTIMS];
