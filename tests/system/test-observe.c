/*
 * test-observe: thread observation (docs/observation.md) from a supervisor
 * thread and from a parent process. Each kind of stop (supercall, int3, #UD,
 * page fault, #GP, single step, interrupt request, exit, kill) is checked with a
 * register edit that must take effect when the thread is resumed; then
 * cancellation and the observe operation's errors. Register sets in detail and
 * hostile values: test-observe-regs.
 */
#include "observe_util.h"
#include <sk/spawn.h>

static struct rawq Q;

static inline uint64_t launder(uint64_t x)
{
    __asm__("" : "+r"(x));
    return x;
}

static int stopped_as(const struct sk_cqe *c, uint64_t reason, uint64_t value2)
{
    if (c->error != SK_OK || c->value != reason || c->value2 != value2 ||
        c->length != sizeof(struct sk_stop_info) || stop_info(c)->reason != reason) {
        sk_test_fail(__FILE__, __LINE__, "completion: error %d value %lu value2 0x%lx length %u, want reason %lu value2 0x%lx",
                     c->error, c->value, c->value2, c->length, reason, value2);
        return 0;
    }
    return 1;
}

/* ---- supercalls ---- */

#define SC(n) ((uint64_t)SK_SUPERCALL_BASE + (n))
static volatile uint64_t sc_rax, sc_rdx, sc_rax2;

static int do_supercalls(void *arg)
{
    (void)arg;
    uint64_t rdx;
    sc_rax = supercall(SC(42), 1, 2, 3, 4, 5, 6, &rdx);
    sc_rdx = rdx;
    sc_rax2 = supercall(SC(SK_SUPERCALL_COUNT - 1), 0, 0, 0, 0, 0, 0, NULL);
    return 3;
}

/* ---- foreign-personality threads: every syscall stops ---- */

static volatile uint64_t fo_getpid, fo_nop, fo_write;

static int do_linux_calls(void *arg)
{
    (void)arg;
    fo_getpid = supercall(39, 0, 0, 0, 0, 0, 0, NULL);                 /* Linux getpid */
    fo_nop = supercall(SK_SYS_nop, 0, 0, 0, 0, 0, 0, NULL);            /* a native number */
    fo_write = supercall(1, 1, (uint64_t)"hi\n", 3, 0, 0, 0, NULL);    /* Linux write */
    supercall(60, 7, 0, 0, 0, 0, 0, NULL);                             /* Linux exit */
    return 1; /* not reached: the supervisor ends the thread at exit */
}

SK_TEST(foreign_thread_stops_on_every_syscall)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    /* foreign needs observed */
    struct child bad = {0};
    SK_EXPECT_ERR(child_start(&bad, do_linux_calls, NULL, SK_THREAD_FOREIGN), SK_ERR_INVALID);
    TRY_OK(child_start(&c, do_linux_calls, NULL, SK_THREAD_OBSERVED | SK_THREAD_FOREIGN));
    /* getpid: the supervisor answers */
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, 39));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    g.rax = 4242;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    /* a native number is not executed either (nop would have returned SK_OK = 0) */
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, SK_SYS_nop));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    g.rax = 77;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    /* write(1, "hi\n", 3): the arguments arrive in the stop record */
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, 1));
    const struct sk_stop_info *si = stop_info(&e);
    SK_EXPECT_EQ(si->args[0], 1);
    SK_EXPECT_EQ(si->args[2], 3);
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    g.rax = 3;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    /* exit: the supervisor ends the thread */
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, 60));
    SK_EXPECT_EQ(stop_info(&e)->args[0], 7);
    SK_EXPECT_EQ(fo_getpid, 4242);
    SK_EXPECT_EQ(fo_nop, 77);
    SK_EXPECT_EQ(fo_write, 3);
out:
    SK_EXPECT_EQ(child_end(&c, 1) & SK_EXIT_KILLED, SK_EXIT_KILLED);
}

/* The same calls answered with one operation per stop: observe with SK_OBSERVE_RESUME ends
   the stop (rax set with SK_OBSERVE_SET_RAX) and completes at the next one. */
SK_TEST(observe_resumes_with_a_result)
{
    struct child c = {0};
    struct sk_cqe e;
    int pending = 0;
    fo_getpid = fo_nop = fo_write = 0;
    TRY_OK(child_start(&c, do_linux_calls, NULL, SK_THREAD_OBSERVED | SK_THREAD_FOREIGN));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, 39));
    /* a second observe while one stop is being answered: flags without a stop */
    rawq_put(&Q, SK_OP_observe, 1, c.h, SK_OBSERVE_RESUME | SK_OBSERVE_SET_RAX);
    Q.sq[(Q.hdr->sq_tail - 1) & (Q.hdr->sq_entries - 1)].args[2] = 5151;
    TRY(rawq_next(&Q, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, SK_SYS_nop));
    /* resume without touching rax: a syscall resumed untouched returns its own number */
    rawq_put(&Q, SK_OP_observe, 2, c.h, SK_OBSERVE_RESUME);
    TRY(rawq_next(&Q, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, 1));
    rawq_put(&Q, SK_OP_observe, 3, c.h, SK_OBSERVE_RESUME | SK_OBSERVE_SET_RAX);
    Q.sq[(Q.hdr->sq_tail - 1) & (Q.hdr->sq_entries - 1)].args[2] = 3;
    TRY(rawq_next(&Q, &e));
    TRY(stopped_as(&e, SK_STOP_SYSCALL, 60));
    SK_EXPECT_EQ(fo_getpid, 5151);
    SK_EXPECT_EQ(fo_nop, SK_SYS_nop);
    SK_EXPECT_EQ(fo_write, 3);
    /* the thread is stopped again and reported: a plain observe waits, a second is busy */
    rawq_put(&Q, SK_OP_observe, 4, c.h, 0);
    rawq_put(&Q, SK_OP_observe, 5, c.h, SK_OBSERVE_RESUME);
    pending = 1;
    TRY(rawq_next(&Q, &e));
    SK_EXPECT_EQ(e.tag, 5);
    SK_EXPECT_ERR(e.error, SK_ERR_BUSY);
out:
    SK_EXPECT_EQ(child_end(&c, 1) & SK_EXIT_KILLED, SK_EXIT_KILLED);
    /* the pending observe completes with the exit */
    if (pending && rawq_next(&Q, &e)) {
        SK_EXPECT_EQ(e.tag, 4);
        SK_EXPECT_EQ(e.value, SK_STOP_EXIT);
    }
}

SK_TEST(unobserved_supercall_is_unsupported)
{
    uint64_t rdx = 99;
    SK_EXPECT_EQ(supercall(SC(0), 0, 0, 0, 0, 0, 0, &rdx), SK_ERR_UNSUPPORTED);
    SK_EXPECT_EQ(rdx, 0);
    SK_EXPECT_EQ(supercall(SC(SK_SUPERCALL_COUNT - 1), 0, 0, 0, 0, 0, 0, NULL), SK_ERR_UNSUPPORTED);
    SK_EXPECT_ERR(sk_thread_interrupt(SK_THIS_THREAD), SK_ERR_INVALID); /* not observed */
    SK_EXPECT_ERR(sk_thread_resume(SK_THIS_THREAD), SK_ERR_NOT_STOPPED);
}

SK_TEST(supercall_returns_what_the_supervisor_wrote)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    sc_rax = sc_rdx = sc_rax2 = 0;
    TRY_OK(child_start(&c, do_supercalls, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(42)));
    const struct sk_stop_info *si = stop_info(&e);
    SK_EXPECT_EQ(si->number, SC(42));
    for (int i = 0; i < 6; i++)
        SK_EXPECT_EQ(si->args[i], (uint64_t)i + 1);
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    SK_EXPECT_EQ(g.rax, SC(42));
    SK_EXPECT_EQ(g.rdi, 1);
    SK_EXPECT_EQ(g.rsi, 2);
    SK_EXPECT_EQ(g.rdx, 3);
    SK_EXPECT_EQ(g.r10, 4);
    SK_EXPECT_EQ(g.r8, 5);
    SK_EXPECT_EQ(g.r9, 6);
    SK_EXPECT_EQ(g.rip, si->rip);
    SK_EXPECT_EQ(g.rsp, si->rsp);
    g.rax = 0x1234;
    g.rdx = 0x5678;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    /* the last number of the range stops too; resuming untouched returns the number itself */
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(SK_SUPERCALL_COUNT - 1)));
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 3));
    SK_EXPECT_EQ(stop_info(&e)->number, SK_EXIT_DONE | 3);
    SK_EXPECT_EQ(sc_rax, 0x1234);
    SK_EXPECT_EQ(sc_rdx, 0x5678);
    SK_EXPECT_EQ(sc_rax2, SC(SK_SUPERCALL_COUNT - 1));
    /* an ended thread: every later observe completes at once */
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 3));
    SK_EXPECT_ERR(sk_thread_resume(c.h), SK_ERR_DEAD);
    SK_EXPECT_ERR(sk_thread_interrupt(c.h), SK_ERR_DEAD);
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 3);
}

/* A stop with no observe pending waits to be reported; it is reported once. */
SK_TEST(stop_is_reported_once)
{
    struct child c = {0};
    struct sk_cqe e;
    TRY_OK(child_start(&c, do_supercalls, NULL, SK_THREAD_OBSERVED));
    TRY(wait_stopped(c.h));
    TRY(observe_next(&Q, c.h, &e)); /* at once: the stop happened before */
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(42)));
    rawq_put(&Q, SK_OP_observe, 77, (uint64_t)c.h, 0);
    uint64_t n = 0;
    SK_EXPECT_ERR(sk_queue_drive(Q.h, 1, 50000000, &n), SK_ERR_TIMEOUT); /* already reported */
    SK_EXPECT_EQ(n, 1);
    TRY_OK(sk_thread_resume(c.h));
    TRY(rawq_next(&Q, &e)); /* the pending one sees the next supercall */
    SK_EXPECT_EQ(e.tag, 77);
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(SK_SUPERCALL_COUNT - 1)));
    TRY_OK(sk_thread_resume(c.h));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 3);
}

/* ---- CPU exceptions ---- */

extern char obs_int3_after[], obs_ud2_at[], obs_ud2_after[], obs_step_at[], obs_step_next[];

static int do_int3(void *arg)
{
    (void)arg;
    __asm__ volatile("int3\n.globl obs_int3_after\nobs_int3_after:" ::: "memory");
    return 7;
}

SK_TEST(breakpoint_resumes_after_int3)
{
    struct child c = {0};
    struct sk_cqe e;
    TRY_OK(child_start(&c, do_int3, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_BREAKPOINT, 3));
    SK_EXPECT_EQ(stop_info(&e)->vector, 3);
    SK_EXPECT_EQ(stop_info(&e)->rip, (uint64_t)obs_int3_after);
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 7));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 7);
}

static int do_ud2(void *arg)
{
    (void)arg;
    __asm__ volatile(".globl obs_ud2_at\nobs_ud2_at: ud2\n.globl obs_ud2_after\nobs_ud2_after:" ::: "memory");
    return 8;
}

SK_TEST(invalid_opcode_skipped_by_supervisor)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    TRY_OK(child_start(&c, do_ud2, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_FAULT, 6));
    SK_EXPECT_EQ(stop_info(&e)->rip, (uint64_t)obs_ud2_at);
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    SK_EXPECT_EQ(g.rip, (uint64_t)obs_ud2_at);
    g.rip += 2;
    SK_EXPECT_EQ(g.rip, (uint64_t)obs_ud2_after);
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 8));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 8);
}

#define HOLE 0x6a0000000000ull /* nothing is mapped here until the supervisor maps it */

static int do_read_hole(void *arg)
{
    (void)arg;
    return (int)*(volatile uint64_t *)launder(HOLE + 8);
}

SK_TEST(page_fault_resolved_by_supervisor)
{
    struct child c = {0};
    struct sk_cqe e;
    sk_handle_t mem = 0;
    uint64_t at = HOLE;
    TRY_OK(child_start(&c, do_read_hole, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_FAULT, 14 | 4ull << 32)); /* user-mode read of a page not present */
    SK_EXPECT_EQ(stop_info(&e)->address, HOLE + 8);
    SK_EXPECT_EQ(stop_info(&e)->error, 4);
    /* the memory appears; resuming retries the read, which now succeeds */
    TRY_OK(sk_memory_create(SK_PAGE_SIZE, 0, &mem));
    TRY_OK(sk_space_map(SK_THIS_SPACE, mem, 0, HOLE, SK_PAGE_SIZE,
                        SK_PROT_READ | SK_PROT_WRITE | SK_MAP_FIXED, &at));
    ((volatile uint64_t *)at)[1] = 0x55;
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 0x55));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 0x55);
    if (mem) {
        sk_space_unmap(SK_THIS_SPACE, HOLE, SK_PAGE_SIZE);
        sk_handle_close(mem);
    }
}

static int do_hlt(void *arg)
{
    (void)arg;
    __asm__ volatile("hlt");
    return 1; /* never: the supervisor sends it elsewhere */
}

__attribute__((noreturn)) static void gp_recovery(uint64_t code)
{
    sk_thread_exit((uint32_t)code);
}

SK_TEST(general_protection_redirected)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    TRY_OK(child_start(&c, do_hlt, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_FAULT, 13));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    g.rip = (uint64_t)gp_recovery;
    g.rsp = (g.rsp & ~15ull) - 8; /* as just after a call */
    g.rdi = 77;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 77));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 77);
}

/* The trap flag, set by the supervisor, stops the thread after one instruction (#DB). */
static int do_step(void *arg)
{
    (void)arg;
    uint64_t x = 0;
    __asm__ volatile(".globl obs_step_at\nobs_step_at: int3\n"
                     "addq $1, %0\n.globl obs_step_next\nobs_step_next: addq $1, %0"
                     : "+r"(x));
    return (int)x;
}

SK_TEST(single_step_with_trap_flag)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    TRY_OK(child_start(&c, do_step, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_BREAKPOINT, 3));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    g.rflags |= 0x100; /* TF */
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_FAULT, 1));
    SK_EXPECT_EQ(stop_info(&e)->rip, (uint64_t)obs_step_next);
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    g.rflags &= ~0x100ull;
    TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 2));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 2);
}

/* The trap flag set by the thread itself across a native system call: the kernel must take
   the single-step trap only in user mode, after the call (docs/observation.md). */
static volatile uint64_t tf_rax;

static int do_tf_syscall(void *arg)
{
    (void)arg;
    uint64_t rax = SK_SYS_nop;
    __asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t"
                     "syscall\n\t"
                     "nop\n\tnop"
                     : "+a"(rax)
                     :
                     : "rcx", "r11", "memory");
    tf_rax = rax;
    return 13;
}

SK_TEST(trap_flag_across_a_system_call)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    tf_rax = 99;
    TRY_OK(child_start(&c, do_tf_syscall, NULL, SK_THREAD_OBSERVED));
    for (int i = 0; i < 8; i++) { /* single steps until the trap flag is cleared */
        TRY(observe_next(&Q, c.h, &e));
        TRY(stopped_as(&e, SK_STOP_FAULT, 1));
        TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
        if (i == 1) {
            g.rflags &= ~0x100ull;
            TRY_OK(sk_thread_set_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
            TRY_OK(sk_thread_resume(c.h));
            break;
        }
        TRY_OK(sk_thread_resume(c.h));
    }
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 13));
    SK_EXPECT_EQ(tf_rax, SK_OK);
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 13);
}

/* ---- interrupt requests ---- */

static volatile uint64_t spin_go, spin_count;

static int do_spin(void *arg)
{
    (void)arg;
    while (!sk_atomic_load(&spin_go))
        sk_atomic_add(&spin_count, 1);
    return 9;
}

SK_TEST(interrupt_stops_a_spinning_thread)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    spin_go = spin_count = 0;
    TRY_OK(child_start(&c, do_spin, NULL, 0));
    TRY(wait_nonzero(&spin_count));
    SK_EXPECT_ERR(sk_thread_interrupt(c.h), SK_ERR_INVALID); /* not observed yet */
    SK_EXPECT_ERR(sk_thread_resume(c.h), SK_ERR_NOT_STOPPED);
    /* observing makes the thread observed; interrupt then stops it */
    rawq_put(&Q, SK_OP_observe, 1, (uint64_t)c.h, 0);
    TRY_OK(sk_queue_drive(Q.h, 0, 0, NULL));
    TRY_OK(sk_thread_interrupt(c.h));
    TRY(rawq_next(&Q, &e));
    TRY(stopped_as(&e, SK_STOP_INTERRUPT, 0));
    SK_EXPECT_OK(sk_thread_interrupt(c.h)); /* stopped already: nothing more */
    uint64_t n1 = sk_atomic_load(&spin_count);
    sleep_ns(20000000);
    SK_EXPECT_EQ(sk_atomic_load(&spin_count), n1); /* stopped means not running */
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    SK_EXPECT(g.rip >= (uint64_t)do_spin && g.rip < (uint64_t)do_spin + 256);
    SK_EXPECT_EQ(g.rip, stop_info(&e)->rip);
    sk_atomic_store(&spin_go, 1);
    TRY_OK(sk_thread_resume(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 9));
out:
    sk_atomic_store(&spin_go, 1);
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 9);
}

static volatile uint64_t fw_word;
static volatile sk_error_t fw_result;

static int do_futex_wait(void *arg)
{
    (void)arg;
    fw_result = sk_futex_wait(&fw_word, 0, SK_TIMEOUT_NEVER);
    return 10;
}

SK_TEST(interrupt_ends_a_futex_wait)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    fw_word = 0;
    fw_result = SK_OK;
    TRY_OK(child_start(&c, do_futex_wait, NULL, SK_THREAD_OBSERVED));
    /* until the stop shows the wait's result (the request may come before the wait starts) */
    int alerted = 0;
    while (!alerted) { /* (however long the child takes to start waiting) */
        sleep_ns(10000000);
        TRY_OK(sk_thread_interrupt(c.h));
        TRY(observe_next(&Q, c.h, &e));
        TRY(stopped_as(&e, SK_STOP_INTERRUPT, 0));
        TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
        alerted = g.rax == SK_ERR_ALERTED;
        TRY_OK(sk_thread_resume(c.h));
    }
    SK_EXPECT(alerted);
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 10));
    SK_EXPECT_EQ(fw_result, SK_ERR_ALERTED);
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 10);
}

static volatile sk_error_t qw_result;

static int do_queue_wait(void *arg)
{
    (void)arg;
    struct rawq q;
    if (rawq_open(&q) != SK_OK)
        return 1;
    qw_result = sk_queue_drive(q.h, 1, SK_TIMEOUT_NEVER, NULL);
    rawq_close(&q);
    return 12;
}

SK_TEST(interrupt_ends_a_queue_wait)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    qw_result = SK_OK;
    TRY_OK(child_start(&c, do_queue_wait, NULL, SK_THREAD_OBSERVED));
    int alerted = 0;
    while (!alerted) { /* (however long the child takes to start waiting) */
        sleep_ns(10000000);
        TRY_OK(sk_thread_interrupt(c.h));
        TRY(observe_next(&Q, c.h, &e));
        TRY(stopped_as(&e, SK_STOP_INTERRUPT, 0));
        TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
        alerted = g.rax == SK_ERR_ALERTED;
        TRY_OK(sk_thread_resume(c.h));
    }
    SK_EXPECT(alerted);
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 12));
    SK_EXPECT_EQ(qw_result, SK_ERR_ALERTED);
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 12);
}

static int do_nothing(void *arg)
{
    (void)arg;
    return 11;
}

/* Interrupted before it starts, a thread stops before its first instruction. */
SK_TEST(interrupt_before_first_instruction)
{
    struct child c = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    TRY_OK(child_start(&c, do_nothing, NULL, SK_THREAD_OBSERVED | SK_THREAD_START_STOPPED));
    SK_EXPECT_ERR(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g), SK_ERR_NOT_STOPPED);
    TRY_OK(sk_thread_interrupt(c.h));
    TRY_OK(sk_thread_start(c.h));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_INTERRUPT, 0));
    TRY_OK(sk_thread_get_regs(c.h, SK_REGS_GENERAL, &g, sizeof g));
    SK_EXPECT_EQ(g.rip, (uint64_t)child_entry);
    SK_EXPECT_EQ(g.rdi, (uint64_t)&c);
    TRY_OK(sk_thread_resume(c.h));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 11);
}

/* ---- the end of a thread ---- */

SK_TEST(kill_while_stopped)
{
    struct child c = {0};
    struct sk_cqe e;
    TRY_OK(child_start(&c, do_supercalls, NULL, SK_THREAD_OBSERVED));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(42)));
    TRY_OK(sk_thread_kill(c.h));
    TRY(observe_next(&Q, c.h, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | SK_EXIT_KILLED));
out:
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | SK_EXIT_KILLED);
}

/*
 * A register call on a thread killed while stopped answers SK_ERR_DEAD at once, even when
 * the thread, on its way out, waits for the caller's CPU at a lower priority. The calls
 * used to yield until it had gone, which never lets a lower priority run: the caller spun
 * in the kernel for ever, unkillable (found by test-fuzz on one CPU). Here the calls are
 * made by a helper, so that a regression is reported: after a second the victim may run
 * anywhere again, so that with more than one CPU it ends and the helper comes back.
 */
static struct child regs_victim;
static volatile uint64_t regs_done;
static sk_error_t regs_get_err, regs_set_err;
static struct sk_gregs regs_read; /* while it was stopped: a set the kernel would take */

static int regs_of_killed(void *arg)
{
    (void)arg;
    struct sk_gregs g = {0};
    regs_get_err = sk_thread_get_regs(regs_victim.h, SK_REGS_GENERAL, &g, sizeof g);
    regs_set_err = sk_thread_set_regs(regs_victim.h, SK_REGS_GENERAL, &regs_read, sizeof regs_read);
    sk_atomic_store(&regs_done, 1);
    sk_futex_wake(&regs_done, 1, NULL);
    return 0;
}

SK_TEST(regs_of_a_thread_killed_while_stopped)
{
    struct child *c = &regs_victim, helper = {0};
    struct sk_cqe e;
    regs_done = 0;
    *c = (struct child){0};
    /* everyone on CPU 0: the victim below the others */
    TRY_OK(sk_thread_set_affinity(SK_THIS_THREAD, 1));
    TRY_OK(child_start(c, do_supercalls, NULL, SK_THREAD_OBSERVED | SK_THREAD_START_STOPPED));
    TRY_OK(sk_thread_set_affinity(c->h, 1));
    TRY_OK(sk_thread_set_priority(c->h, SK_THREAD_PRIO_MIN));
    TRY_OK(sk_thread_start(c->h));
    TRY(observe_next(&Q, c->h, &e)); /* we sleep in the drive: it runs, and stops */
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(42)));
    TRY_OK(sk_thread_get_regs(c->h, SK_REGS_GENERAL, &regs_read, sizeof regs_read));
    TRY_OK(child_start(&helper, regs_of_killed, NULL, SK_THREAD_START_STOPPED));
    TRY_OK(sk_thread_set_affinity(helper.h, 1));
    TRY_OK(sk_thread_kill(c->h)); /* runnable now, queued behind us and the helper */
    TRY_OK(sk_thread_start(helper.h));
    if (sk_futex_wait(&regs_done, 0, SEC) == SK_ERR_TIMEOUT && !sk_atomic_load(&regs_done)) {
        sk_test_fail(__FILE__, __LINE__, "register calls still waiting after 1 s");
        sk_thread_set_affinity(c->h, SK_AFFINITY_ANY);
    }
    TRY(wait_nonzero(&regs_done));
    SK_EXPECT_ERR(regs_get_err, SK_ERR_DEAD);
    SK_EXPECT_ERR(regs_set_err, SK_ERR_DEAD);
out:
    SK_EXPECT_EQ(child_end(&helper, 0), SK_EXIT_DONE);
    SK_EXPECT_EQ(child_end(c, 0), SK_EXIT_DONE | SK_EXIT_KILLED);
    sk_thread_set_affinity(SK_THIS_THREAD, SK_AFFINITY_ANY);
}

SK_TEST(observe_pending_when_the_thread_is_killed)
{
    struct child c = {0};
    struct sk_cqe e;
    spin_go = spin_count = 0;
    TRY_OK(child_start(&c, do_spin, NULL, SK_THREAD_OBSERVED));
    rawq_put(&Q, SK_OP_observe, 5, (uint64_t)c.h, 0);
    TRY_OK(sk_queue_drive(Q.h, 0, 0, NULL));
    TRY(wait_nonzero(&spin_count));
    TRY_OK(sk_thread_kill(c.h));
    TRY(rawq_next(&Q, &e));
    SK_EXPECT_EQ(e.tag, 5);
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | SK_EXIT_KILLED));
out:
    sk_atomic_store(&spin_go, 1);
    child_end(&c, 1);
}

/* A thread never started, whose last handle goes: its observer hears of the end. */
SK_TEST(observe_unstarted_thread_closed)
{
    struct child c = {0};
    struct sk_cqe e;
    sk_handle_t h2 = 0;
    TRY_OK(child_start(&c, do_nothing, NULL, SK_THREAD_START_STOPPED));
    TRY_OK(sk_handle_dup(c.h, SK_RIGHT_MANAGE | SK_RIGHT_READ, &h2));
    rawq_put(&Q, SK_OP_observe, 6, (uint64_t)h2, 0);
    TRY_OK(sk_queue_drive(Q.h, 0, 0, NULL));
    sk_handle_close(c.h);
    c.h = 0;
    sk_handle_close(h2); /* the last handle: the thread is killed */
    h2 = 0;
    TRY(rawq_next(&Q, &e));
    SK_EXPECT_EQ(e.tag, 6);
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | SK_EXIT_KILLED));
out:
    if (h2)
        sk_handle_close(h2);
    child_discard(&c);
}

/* ---- cancellation and errors ---- */

SK_TEST(cancel_and_busy)
{
    struct child c = {0};
    struct sk_cqe e;
    spin_go = spin_count = 0;
    TRY_OK(child_start(&c, do_spin, NULL, SK_THREAD_OBSERVED));
    rawq_put(&Q, SK_OP_observe, 100, (uint64_t)c.h, 0);
    rawq_put(&Q, SK_OP_observe, 101, (uint64_t)c.h, 0); /* one at a time per thread */
    TRY(rawq_next(&Q, &e));
    SK_EXPECT_EQ(e.tag, 101);
    SK_EXPECT_EQ(e.error, SK_ERR_BUSY);
    rawq_put(&Q, SK_OP_cancel, 102, 100, 0);
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        TRY(rawq_next(&Q, &e));
        if (e.tag == 100) {
            SK_EXPECT_EQ(e.error, SK_ERR_CANCELLED);
            seen |= 1;
        } else if (e.tag == 102) {
            SK_EXPECT_EQ(e.error, SK_OK);
            seen |= 2;
        }
    }
    SK_EXPECT_EQ(seen, 3);
    /* cancelled, the next observe works, and the thread still stops when asked */
    TRY_OK(sk_thread_interrupt(c.h));
    TRY(observe_next(&Q, c.h, &e));
    TRY(stopped_as(&e, SK_STOP_INTERRUPT, 0));
    sk_atomic_store(&spin_go, 1);
    TRY_OK(sk_thread_resume(c.h));
out:
    sk_atomic_store(&spin_go, 1);
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 9);
}

/* Closing a queue cancels its pending observe; the thread goes on and is freed normally. */
SK_TEST(queue_closed_with_observe_pending)
{
    struct child c = {0};
    struct rawq q2 = {0};
    spin_go = spin_count = 0;
    TRY_OK(child_start(&c, do_spin, NULL, SK_THREAD_OBSERVED));
    TRY_OK(rawq_open(&q2));
    rawq_put(&q2, SK_OP_observe, 1, (uint64_t)c.h, 0);
    TRY_OK(sk_queue_drive(q2.h, 0, 0, NULL));
    rawq_close(&q2);
    q2.h = 0;
    TRY(wait_nonzero(&spin_count));
out:
    if (q2.h)
        rawq_close(&q2);
    sk_atomic_store(&spin_go, 1);
    SK_EXPECT_EQ(child_end(&c, 0), SK_EXIT_DONE | 9);
}

SK_TEST(observe_argument_errors)
{
    struct child c = {0};
    struct sk_cqe e;
    sk_handle_t ro = 0, mem = 0;
    TRY_OK(child_start(&c, do_nothing, NULL, SK_THREAD_START_STOPPED));
    TRY_OK(sk_handle_dup(c.h, SK_RIGHT_READ | SK_RIGHT_WAIT, &ro));
    TRY_OK(sk_memory_create(SK_PAGE_SIZE, 0, &mem));
    static const struct {
        int which;     /* 0: the thread, 1: read-only dup, 2: memory, 3: bad value */
        uint64_t a1;
        sk_error_t want;
    } rows[] = {
        {3, 0, SK_ERR_BAD_HANDLE}, {1, 0, SK_ERR_NO_RIGHTS}, {2, 0, SK_ERR_WRONG_TYPE},
        {0, 4, SK_ERR_INVALID},    {0, ~0ull, SK_ERR_INVALID},
        {0, SK_OBSERVE_SET_RAX, SK_ERR_INVALID},  /* a result without resuming */
        {0, SK_OBSERVE_RESUME, SK_ERR_NOT_STOPPED}, /* an unstarted thread is not stopped */
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t h = rows[i].which == 0 ? (uint64_t)c.h : rows[i].which == 1 ? (uint64_t)ro
                     : rows[i].which == 2 ? (uint64_t)mem : 0x7fff1234ull;
        rawq_put(&Q, SK_OP_observe, 200 + i, h, rows[i].a1);
        TRY(rawq_next(&Q, &e));
        SK_EXPECT_EQ(e.tag, 200 + i);
        if (e.error != (int32_t)rows[i].want)
            sk_test_fail(__FILE__, __LINE__, "row %u: %s, want %s", i, sk_error_name(e.error),
                         sk_error_name(rows[i].want));
    }
    /* the synchronous calls want MANAGE too */
    struct sk_gregs g;
    SK_EXPECT_ERR(sk_thread_interrupt(ro), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_thread_resume(ro), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_thread_get_regs(ro, SK_REGS_GENERAL, &g, sizeof g), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_thread_set_regs(ro, SK_REGS_GENERAL, &g, sizeof g), SK_ERR_NO_RIGHTS);
    SK_EXPECT_ERR(sk_thread_resume(mem), SK_ERR_WRONG_TYPE);
out:
    if (ro)
        sk_handle_close(ro);
    if (mem)
        sk_handle_close(mem);
    child_discard(&c);
}

/* ---- another process ---- */

/* The child program: supercalls until someone observes it, then a breakpoint. */
static int child_program(void)
{
    uint64_t r;
    while ((r = supercall(SC(100), 0xabc, 0, 0, 0, 0, 0, NULL)) == SK_ERR_UNSUPPORTED)
        sk_thread_yield();
    if (r != 0x600d)
        return 1;
    __asm__ volatile("int3");
    return 0x42;
}

SK_TEST(supervise_another_process)
{
    struct sk_process p = {0};
    struct sk_cqe e;
    struct sk_gregs g;
    uint64_t st = 0;
    int spawned = 0;
    const char *argv[] = {"test-observe", "child"};
    struct sk_spawn_args args = {.argc = 2, .argv = argv};
    TRY_OK(sk_spawn_program("test-observe", &args, &p));
    spawned = 1;
    TRY(observe_next(&Q, p.thread, &e));
    TRY(stopped_as(&e, SK_STOP_SUPERCALL, SC(100)));
    SK_EXPECT_EQ(stop_info(&e)->args[0], 0xabc);
    TRY_OK(sk_thread_get_regs(p.thread, SK_REGS_GENERAL, &g, sizeof g));
    g.rax = 0x600d;
    TRY_OK(sk_thread_set_regs(p.thread, SK_REGS_GENERAL, &g, sizeof g));
    TRY_OK(sk_thread_resume(p.thread));
    TRY(observe_next(&Q, p.thread, &e));
    TRY(stopped_as(&e, SK_STOP_BREAKPOINT, 3));
    TRY_OK(sk_thread_resume(p.thread));
    TRY(observe_next(&Q, p.thread, &e));
    SK_EXPECT(stopped_as(&e, SK_STOP_EXIT, SK_EXIT_DONE | 0x42));
    SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
    SK_EXPECT_EQ(st, SK_EXIT_DONE | 0x42);
out:
    if (spawned) {
        if (st == 0) { /* (the case failed: the child may be left stopped) */
            sk_thread_kill(p.thread);
            sk_process_wait(&p, SK_TIMEOUT_NEVER, &st);
        }
        sk_process_release(&p);
    }
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 1 && strcmp(sk_argv(1), "child") == 0)
        return child_program();
    if (rawq_open(&Q) != SK_OK) {
        sk_printf("test-observe: cannot create a queue\n");
        return 1;
    }
    int failed = sk_test_run();
    rawq_close(&Q);
    return failed;
}
