/*
 * Helpers shared by test-observe and test-observe-regs: a queue driven
 * through the raw ABI (include/skoll/queue.h; the runtime is not needed), child
 * threads created observed, supercalls, and short sleeps. What must happen (a
 * stop, an exit) is waited for with no time limit: one that never comes hangs
 * the test, which the runner reports; a loaded host may be slow for any time.
 */
#pragma once
#include <sk/test.h>
#include <skoll/observe.h>

#define SEC 1000000000ull
/* Only when a case has already failed (its child may be left stopped): how long child_end
   lets the child end by itself before killing it. */
#define OBS_CLEANUP_WAIT (10 * SEC)

/* Fail the current case and jump to its clean-up. */
#define TRY(cond) \
    do { \
        if (!(cond)) { \
            sk_test_fail(__FILE__, __LINE__, "%s", #cond); \
            goto out; \
        } \
    } while (0)
#define TRY_OK(expr) \
    do { \
        sk_error_t try_e_ = (expr); \
        if (try_e_ != SK_OK) { \
            sk_test_fail(__FILE__, __LINE__, "%s: %s", #expr, sk_error_name(try_e_)); \
            goto out; \
        } \
    } while (0)

/* ---- a raw queue ---- */

struct rawq {
    sk_handle_t h;
    struct sk_queue_header *hdr;
    struct sk_sqe *sq;
    struct sk_cqe *cq;
    uint64_t addr, size;
};

static inline sk_error_t rawq_open(struct rawq *q)
{
    struct sk_queue_params p = {.sq_entries = 16, .cq_entries = 16};
    sk_error_t e = sk_queue_create(&p, &q->h);
    if (e)
        return e;
    e = sk_space_map(SK_THIS_SPACE, p.memory, 0, 0, p.size, SK_PROT_READ | SK_PROT_WRITE, &q->addr);
    sk_handle_close(p.memory);
    if (e) {
        sk_handle_close(q->h);
        return e;
    }
    q->size = p.size;
    q->hdr = (struct sk_queue_header *)q->addr;
    q->sq = (struct sk_sqe *)(q->addr + q->hdr->sq_offset);
    q->cq = (struct sk_cqe *)(q->addr + q->hdr->cq_offset);
    return SK_OK;
}

static inline void rawq_close(struct rawq *q)
{
    sk_handle_close(q->h);
    sk_space_unmap(SK_THIS_SPACE, q->addr, q->size);
}

/* Queue one operation (handed to the kernel by the next drive). */
static inline void rawq_put(struct rawq *q, uint32_t op, uint64_t tag, uint64_t a0, uint64_t a1)
{
    uint32_t t = q->hdr->sq_tail;
    q->sq[t & (q->hdr->sq_entries - 1)] = (struct sk_sqe){.opcode = op, .tag = tag, .args = {a0, a1}};
    __atomic_store_n(&q->hdr->sq_tail, t + 1, __ATOMIC_RELEASE);
}

/* Submit what is queued and take the next completion, waiting for it. 1 if one came, 0 if
   the drive failed. */
static inline int rawq_next(struct rawq *q, struct sk_cqe *out)
{
    for (;;) {
        uint32_t h = q->hdr->cq_head;
        if (h != __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_ACQUIRE)) {
            *out = q->cq[h & (q->hdr->cq_entries - 1)];
            __atomic_store_n(&q->hdr->cq_head, h + 1, __ATOMIC_RELEASE);
            return 1;
        }
        sk_error_t e = sk_queue_drive(q->h, 1, SK_TIMEOUT_NEVER, NULL);
        if (e != SK_OK && e != SK_ERR_ALERTED)
            return 0;
    }
}

/* Submit an observe operation on thread h and wait for its completion. */
static inline int observe_next(struct rawq *q, sk_handle_t h, struct sk_cqe *out)
{
    rawq_put(q, SK_OP_observe, (uint64_t)h, (uint64_t)h, 0);
    return rawq_next(q, out);
}

static inline const struct sk_stop_info *stop_info(const struct sk_cqe *c)
{
    return (const struct sk_stop_info *)c->data;
}

/* ---- child threads in this process ---- */

struct child {
    volatile uint64_t exit_word; /* first: 8-byte aligned */
    sk_handle_t h;
    void *stack;
    uint64_t stack_size;
    int (*fn)(void *);
    void *arg;
};

__attribute__((noreturn)) static void child_entry(struct child *c)
{
    sk_thread_exit((uint32_t)c->fn(c->arg));
}

/* Start fn(arg) on a new thread of this process, created with SK_THREAD_* flags. */
static inline sk_error_t child_start(struct child *c, int (*fn)(void *), void *arg, uint32_t flags)
{
    *c = (struct child){.fn = fn, .arg = arg, .stack_size = 64 * 1024};
    sk_error_t e = sk_mem_map_anon(c->stack_size, SK_PROT_READ | SK_PROT_WRITE, &c->stack, NULL);
    if (e)
        return e;
    struct sk_thread_create tc = {
        .entry = (uint64_t)child_entry,
        .stack = (uint64_t)c->stack + c->stack_size - 8,
        .arg = (uint64_t)c,
        .exit_word = (uint64_t)&c->exit_word,
        .priority = SK_THREAD_PRIO_DEFAULT,
        .flags = flags,
    };
    e = sk_thread_create(SK_THIS_UNIVERSE, SK_THIS_SPACE, &tc, &c->h);
    if (e)
        sk_mem_unmap(c->stack, c->stack_size);
    return e;
}

/*
 * End a child: kill it if kill is set, wait for its exit word, free it. Returns the status.
 * If the case has failed already the child may be left stopped: then it gets
 * OBS_CLEANUP_WAIT to end by itself before it is killed (the case fails either way).
 */
static inline uint64_t child_end(struct child *c, int kill)
{
    uint64_t st = 0;
    if (!c->h)
        return 0;
    if (kill)
        sk_thread_kill(c->h);
    uint64_t wait = kill || !sk_test_failures() ? SK_TIMEOUT_NEVER : OBS_CLEANUP_WAIT;
    if (sk_exit_wait(&c->exit_word, wait, &st) != SK_OK) {
        sk_thread_kill(c->h);
        sk_exit_wait(&c->exit_word, SK_TIMEOUT_NEVER, &st);
    }
    sk_handle_close(c->h);
    c->h = 0;
    /* the exit word is written before the thread has left its stack for good */
    sk_thread_yield();
    sk_mem_unmap(c->stack, c->stack_size);
    return st;
}

/* Free a child that never started: closing its handle ends it. */
static inline void child_discard(struct child *c)
{
    if (c->h)
        sk_handle_close(c->h);
    c->h = 0;
    if (c->stack)
        sk_mem_unmap(c->stack, c->stack_size);
    c->stack = NULL;
}

/* ---- supercalls and time ---- */

/* A system call with number nr; *rdx_out gets rdx afterwards. Returns rax. */
static inline uint64_t supercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                 uint64_t a4, uint64_t a5, uint64_t *rdx_out)
{
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    register uint64_t r9 __asm__("r9") = a5;
    uint64_t rax = nr, rdx = a2;
    __asm__ volatile("syscall"
                     : "+a"(rax), "+D"(a0), "+S"(a1), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    if (rdx_out)
        *rdx_out = rdx;
    return rax;
}

static inline void sleep_ns(uint64_t ns)
{
    static volatile uint64_t never;
    sk_futex_wait(&never, 0, ns);
}

/* Wait until *w is non-zero. */
static inline int wait_nonzero(const volatile uint64_t *w)
{
    while (!sk_atomic_load(w))
        sleep_ns(1000000);
    return 1;
}

/* Wait until thread h is stopped (get_regs stops failing with SK_ERR_NOT_STOPPED). */
static inline int wait_stopped(sk_handle_t h)
{
    struct sk_gregs g;
    for (;;) {
        sk_error_t e = sk_thread_get_regs(h, SK_REGS_GENERAL, &g, sizeof g);
        if (e == SK_OK)
            return 1;
        if (e != SK_ERR_NOT_STOPPED)
            return 0;
        sleep_ns(1000000);
    }
}
