/*
 * Threads of this process: a stack mapping, a kernel thread in
 * SK_THIS_UNIVERSE / SK_THIS_SPACE, and an exit word in a heap block that the
 * kernel sets and futex-wakes when the thread ends.
 */
#include <sk/sk.h>

struct sk_thread {
    volatile uint64_t exit_word; /* first: 8-byte aligned, as futex words must be */
    sk_handle_t handle;
    void *stack;
    uint64_t stack_size;
    sk_thread_fn fn;
    void *arg;
};

sk_error_t sk_exit_wait(const volatile uint64_t *word, uint64_t timeout_ns, uint64_t *status)
{
    uint64_t deadline = SK_TIMEOUT_NEVER, now;
    if (timeout_ns != SK_TIMEOUT_NEVER && sk_clock_get(&now) == SK_OK && now + timeout_ns > now)
        deadline = now + timeout_ns;
    for (;;) {
        uint64_t w = sk_atomic_load(word);
        if (w & SK_EXIT_DONE) {
            *status = w;
            return SK_OK;
        }
        uint64_t left = SK_TIMEOUT_NEVER;
        if (deadline != SK_TIMEOUT_NEVER) {
            if (sk_clock_get(&now) != SK_OK || now >= deadline)
                return SK_ERR_TIMEOUT;
            left = deadline - now;
        }
        sk_error_t e = sk_futex_wait(word, w, left);
        if (e != SK_OK && e != SK_ERR_AGAIN && e != SK_ERR_TIMEOUT)
            return e;
    }
}

__attribute__((noreturn)) static void thread_entry(struct sk_thread *t)
{
    sk_thread_exit((uint32_t)t->fn(t->arg));
}

sk_error_t sk_thread_spawn(sk_thread_fn fn, void *arg, size_t stack_size, struct sk_thread **out)
{
    struct sk_thread *t = sk_calloc(1, sizeof *t);
    if (!t)
        return SK_ERR_NO_MEMORY;
    t->fn = fn;
    t->arg = arg;
    /* the stack's lowest page is a guard: no access, so an overflow faults */
    t->stack_size = sk_page_round_up(stack_size ? stack_size : 64 * 1024) + SK_PAGE_SIZE;
    sk_error_t e = sk_mem_map_anon(t->stack_size, SK_PROT_READ | SK_PROT_WRITE, &t->stack, NULL);
    if (e == SK_OK && (e = sk_space_protect(SK_THIS_SPACE, (uint64_t)t->stack, SK_PAGE_SIZE, 0)))
        sk_mem_unmap(t->stack, t->stack_size);
    if (e != SK_OK) {
        sk_free(t);
        return e;
    }
    struct sk_thread_create tc = {
        .entry = (uint64_t)thread_entry,
        .stack = (uint64_t)t->stack + t->stack_size - 8, /* as after a call */
        .arg = (uint64_t)t,
        .exit_word = (uint64_t)&t->exit_word,
        .priority = SK_THREAD_PRIO_DEFAULT,
        .flags = 0,
    };
    e = sk_thread_create(SK_THIS_UNIVERSE, SK_THIS_SPACE, &tc, &t->handle);
    if (e != SK_OK) {
        sk_mem_unmap(t->stack, t->stack_size);
        sk_free(t);
        return e;
    }
    *out = t;
    return SK_OK;
}

sk_handle_t sk_thread_handle(const struct sk_thread *t)
{
    return t->handle;
}

const volatile uint64_t *sk_thread_exit_word(const struct sk_thread *t)
{
    return &t->exit_word;
}

uint64_t sk_thread_join(struct sk_thread *t)
{
    uint64_t status = 0;
    while (sk_exit_wait(&t->exit_word, SK_TIMEOUT_NEVER, &status) != SK_OK)
        sk_thread_yield(); /* only a broken futex gets here; keep polling */
    sk_handle_close(t->handle);
    sk_mem_unmap(t->stack, t->stack_size);
    sk_free(t);
    return status;
}
