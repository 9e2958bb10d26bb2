/*
 * bench-core: costs of the core kernel paths, seen from user space.
 *   null_syscall_ns   sk_nop round trip
 *   thread_switch_ns  one futex hand-off between two threads of this process
 *                     (a ping-pong round trip is two), both pinned to CPU 0: a
 *                     switch on one CPU; bench-async's thread_switch_2cpu_ns is
 *                     the cross-CPU one.
 *   page_fault_ns     first write to a page of fresh anonymous memory
 *                     (demand-zero fault, allocation and zeroing included)
 *   observe_roundtrip_ns  an observed thread's supercall stops it, its supervisor
 *                     sees the stop through an observe operation on a queue and
 *                     resumes it, and the thread's next supercall stops it again:
 *                     one round trip (resume + submit/wait + stop)
 * make bench boots it at -smp 2, the machine Linux's figures come from, and every
 * thread it runs is pinned to CPU 0 (thread_set_affinity), as Linux's cases pin
 * theirs; a `#` line says where they last ran.
 * Each figure is the median of REPS runs, timed with sk_clock_get, printed as
 * "bench <name> <value> ns".
 */
#include <sk/sk.h>
#include "../system/observe_util.h"

#include "bench_util.h"

static void bench_null_syscall(void)
{
    const uint64_t n = 100000;
    uint64_t r[REPS];
    for (int k = 0; k < REPS; k++) {
        uint64_t t0 = now();
        for (uint64_t i = 0; i < n; i++)
            sk_nop();
        r[k] = (now() - t0) * 10 / n;
    }
    report("null_syscall_ns", median(r, REPS));
}

static void bench_thread_switch(void)
{
    uint64_t r[REPS];
    int err = futex_handoffs(0, 0, 5000, r);
    bench_pin(0); /* (futex_handoffs unpins its caller) */
    if (err != 0) {
        sk_printf("bench-core: cannot start a thread\n");
        return;
    }
    report("thread_switch_ns", median(r, REPS));
}

static void bench_page_fault(void)
{
    const uint64_t pages = 1024;
    uint64_t r[REPS];
    for (int k = 0; k < REPS; k++) {
        void *p;
        if (sk_mem_map_anon(pages * SK_PAGE_SIZE, SK_PROT_READ | SK_PROT_WRITE, &p, NULL) != SK_OK) {
            sk_printf("bench-core: cannot map memory\n");
            return;
        }
        volatile uint8_t *b = p;
        uint64_t t0 = now();
        for (uint64_t i = 0; i < pages; i++)
            b[i * SK_PAGE_SIZE] = 1;
        r[k] = (now() - t0) * 10 / pages;
        sk_mem_unmap(p, pages * SK_PAGE_SIZE);
    }
    report("page_fault_ns", median(r, REPS));
}

/* Supercalls until the supervisor answers one with 1. */
static int supercall_loop(void *arg)
{
    (void)arg;
    while (supercall(SK_SUPERCALL_BASE, 0, 0, 0, 0, 0, 0, NULL) != 1)
        ;
    return 0;
}

#define OBS_ROUNDS 2000

static uint64_t observed_cpu = ~0ull; /* where the observed thread last ran */

static void bench_observe_roundtrip(void)
{
    struct rawq q;
    struct child c;
    struct sk_cqe e;
    struct sk_gregs g;
    /* created stopped, so that it runs nowhere but on CPU 0 */
    if (rawq_open(&q) != SK_OK ||
        child_start(&c, supercall_loop, NULL, SK_THREAD_OBSERVED | SK_THREAD_START_STOPPED) != SK_OK) {
        sk_printf("bench-core: cannot start an observed thread\n");
        return;
    }
    if (sk_thread_set_affinity(c.h, 1) != SK_OK || sk_thread_start(c.h) != SK_OK) {
        sk_printf("bench-core: cannot pin and start the observed thread\n");
        child_discard(&c);
        rawq_close(&q);
        return;
    }
    uint64_t r[REPS];
    int ok = observe_next(&q, c.h, &e) && e.value == SK_STOP_SUPERCALL;
    for (int k = 0; k < REPS && ok; k++) {
        uint64_t t0 = now();
        for (int j = 0; j < OBS_ROUNDS && ok; j++)
            ok = sk_thread_resume(c.h) == SK_OK && observe_next(&q, c.h, &e) &&
                 e.value == SK_STOP_SUPERCALL;
        r[k] = (now() - t0) * 10 / OBS_ROUNDS;
    }
    struct sk_thread_stats st;
    if (sk_thread_stats(c.h, &st) == SK_OK)
        observed_cpu = st.cpu;
    if (ok && sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g) == SK_OK) {
        g.rax = 1;
        ok = sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g) == SK_OK &&
             sk_thread_resume(c.h) == SK_OK;
    }
    if (child_end(&c, !ok) != SK_EXIT_DONE)
        ok = 0;
    rawq_close(&q);
    if (ok)
        report("observe_roundtrip_ns", median(r, REPS));
    else
        sk_printf("bench-core: observe round trip failed\n");
}

int main(const struct sk_start_info *si)
{
    (void)si;
    /* one CPU, as Linux's cases run pinned to CPU 0 of the same two-CPU machine */
    if (!bench_pin(0))
        sk_printf("bench-core: cannot pin to CPU 0\n");
    bench_null_syscall();
    bench_thread_switch();
    bench_page_fault();
    bench_observe_roundtrip();
    struct sk_thread_stats st;
    uint64_t cpu = sk_thread_stats(SK_THIS_THREAD, &st) == SK_OK ? st.cpu : ~0ull;
    sk_printf("#   bench-core: pinned to CPU 0; the main thread last ran on cpu %ld, the observed "
              "thread on cpu %ld\n", (long)cpu, (long)observed_cpu);
    return 0;
}
