/* Threads, exit words, futex mutexes and atomics for native programs. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/types.h>
#include <skoll/errors.h>

/* Atomics: thin names over the compiler's builtins, sequentially consistent. */
#define sk_atomic_load(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define sk_atomic_store(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define sk_atomic_add(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define sk_atomic_sub(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_SEQ_CST)
#define sk_atomic_xchg(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
/* Compare-and-swap: true if *p was *expected (now desired); else *expected = *p. */
#define sk_atomic_cas(p, expected, desired) \
    __atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define sk_cpu_relax() __asm__ volatile("pause" ::: "memory")

/*
 * Wait until the exit word at word has SK_EXIT_DONE, at most timeout_ns
 * (SK_TIMEOUT_NEVER: no limit). Returns SK_OK with the final value in *status,
 * SK_ERR_TIMEOUT, or the futex error.
 */
sk_error_t sk_exit_wait(const volatile uint64_t *word, uint64_t timeout_ns, uint64_t *status);

/* A thread of this process, from sk_thread_spawn. */
struct sk_thread;
typedef int (*sk_thread_fn)(void *arg);

/*
 * Start fn(arg) on a new thread of this universe and space with its own stack
 * of stack_size bytes (0: 64 KiB; rounded up to pages) and an exit word in the
 * returned struct. When fn returns r, the thread exits with code r.
 */
sk_error_t sk_thread_spawn(sk_thread_fn fn, void *arg, size_t stack_size, struct sk_thread **out);
/* The thread's handle (for kill, priority) and the address of its exit word. */
sk_handle_t sk_thread_handle(const struct sk_thread *t);
const volatile uint64_t *sk_thread_exit_word(const struct sk_thread *t);
/*
 * Wait for t to end, then free its stack, handle and struct. Returns the exit
 * word (SK_EXIT_DONE | code, or with SK_EXIT_FAULT / SK_EXIT_KILLED).
 */
uint64_t sk_thread_join(struct sk_thread *t);

/* A futex mutex: 0 free, 1 held, 2 held with waiters. Zero-initialised is unlocked. */
struct sk_mutex {
    volatile uint64_t state;
};
#define SK_MUTEX_INIT {0}
void sk_mutex_lock(struct sk_mutex *m);
int sk_mutex_trylock(struct sk_mutex *m); /* 1 if taken */
void sk_mutex_unlock(struct sk_mutex *m);
