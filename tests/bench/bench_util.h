/* What the benchmark programs share: the clock, medians and the `bench` line format. */
#pragma once
#include <sk/sk.h>

#define REPS 7

static inline uint64_t now(void)
{
    uint64_t t = 0;
    sk_clock_get(&t);
    return t;
}

/* Median of n values (sorts v in place). */
static inline uint64_t median(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return v[n / 2];
}

/* A `bench <name> <value> ns` line for a value given in tenths of a nanosecond. */
static inline void report(const char *name, uint64_t tenths)
{
    sk_printf("bench %s %lu.%lu ns\n", name, tenths / 10, tenths % 10);
}

/* Pin the calling thread to cpu (-1: let it run anywhere). Returns 1 if done. */
static inline int bench_pin(int cpu)
{
    return sk_thread_set_affinity(SK_THIS_THREAD, cpu < 0 ? ~0ull : 1ull << cpu) == SK_OK;
}

/*
 * The futex hand-off (thread_switch_ns, thread_switch_2cpu_ns): two threads of this process
 * hand a turn back and forth through one word, each FUTEX_WAKE-ing the other and waiting until
 * the turn is back; the caller on cpu_a, its partner on cpu_b (-1: not pinned). Fills r[REPS]
 * with tenths of ns per hand-off (half a round trip) after one warm-up run of `rounds` round
 * trips; returns 0, or -1 if no thread could be started.
 */
static volatile uint64_t handoff_word;
static uint64_t handoff_rounds;
static int handoff_cpu_b;

static int handoff_partner(void *arg)
{
    (void)arg;
    if (handoff_cpu_b >= 0)
        bench_pin(handoff_cpu_b);
    for (uint64_t i = 0; i < (uint64_t)(REPS + 1) * handoff_rounds; i++) {
        while (sk_atomic_load(&handoff_word) != 2 * i + 1)
            sk_futex_wait(&handoff_word, 2 * i, SK_TIMEOUT_NEVER);
        sk_atomic_store(&handoff_word, 2 * i + 2);
        sk_futex_wake(&handoff_word, 1, NULL);
    }
    return 0;
}

static inline int futex_handoffs(int cpu_a, int cpu_b, uint64_t rounds, uint64_t r[REPS])
{
    struct sk_thread *t;
    handoff_word = 0;
    handoff_rounds = rounds;
    handoff_cpu_b = cpu_b;
    if (cpu_a >= 0)
        bench_pin(cpu_a);
    if (sk_thread_spawn(handoff_partner, NULL, 0, &t) != SK_OK)
        return -1;
    uint64_t i = 0;
    for (int k = -1; k < REPS; k++) { /* k = -1: warm-up */
        uint64_t t0 = now();
        for (uint64_t j = 0; j < rounds; j++, i++) {
            sk_atomic_store(&handoff_word, 2 * i + 1);
            sk_futex_wake(&handoff_word, 1, NULL);
            while (sk_atomic_load(&handoff_word) != 2 * i + 2)
                sk_futex_wait(&handoff_word, 2 * i + 1, SK_TIMEOUT_NEVER);
        }
        if (k >= 0)
            r[k] = (now() - t0) * 10 / (2 * rounds);
    }
    sk_thread_join(t);
    if (cpu_a >= 0)
        bench_pin(-1);
    return 0;
}
