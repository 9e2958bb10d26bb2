/*
 * test-fault: a thread that takes a CPU exception is killed with SK_EXIT_FAULT
 * and the vector in its exit word, and the rest of the process goes on. Then a
 * whole program (this one, started again with argv[1] = "crash") faults and
 * its parent sees that through the exit word shared by sk_spawn.
 */
#include <sk/test.h>
#include <sk/spawn.h>
#include <base/cpio.h>

/* Hide a constant address from the optimiser (it rightly warns about dereferencing them). */
static inline uint64_t launder(uint64_t x)
{
    __asm__("" : "+r"(x));
    return x;
}
#define AT(addr) (*(volatile int *)launder(addr))

#define FAULT(vec) (SK_EXIT_DONE | SK_EXIT_FAULT | ((uint64_t)(vec) << 32))

static int do_null(void *a) { (void)a; return AT(0); }
static int do_ud2(void *a) { (void)a; __asm__ volatile("ud2"); return 0; }
static int do_int3(void *a) { (void)a; __asm__ volatile("int3"); return 0; }
static int do_hlt(void *a) { (void)a; __asm__ volatile("hlt"); return 0; }
static int do_cli(void *a) { (void)a; __asm__ volatile("cli"); return 0; }
static int do_kernel_read(void *a) { (void)a; return AT(0xffffffff80000000ull); }
static int do_kernel_jump(void *a) { (void)a; ((void (*)(void))launder(0xffffffff80100000ull))(); return 0; }
static int do_noncanonical(void *a) { (void)a; return AT(0x0000800000000000ull); }
static int do_cr3(void *a)
{
    (void)a;
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return (int)v;
}
static int do_div0(void *a)
{
    volatile int zero = (int)(uint64_t)a;
    return 100 / zero;
}
/* x87 divide by zero with the exception unmasked: #MF at the next x87 instruction. (SSE's
   #XM would be the same idea, but QEMU's emulator never raises it.) */
static int do_x87(void *a)
{
    (void)a;
    uint16_t cw = 0x37f & ~(1u << 2); /* unmask ZE */
    volatile double one = 1.0, zero = 0.0, r;
    __asm__ volatile("fldcw %1\n\t"
                     "fldl %2\n\t"
                     "fdivl %3\n\t"
                     "fstpl %0\n\t"
                     "fwait"
                     : "=m"(r)
                     : "m"(cw), "m"(one), "m"(zero));
    return (int)r;
}
static int do_bad_stack(void *a)
{
    (void)a;
    __asm__ volatile("mov $0x10, %%rsp\n\tpush %%rax" ::: "memory");
    return 0;
}

static const struct {
    const char *name;
    sk_thread_fn fn;
    unsigned vector;
    unsigned alt; /* another vector also accepted */
} faults[] = {
    {"null_read", do_null, 14, 14},
    {"ud2", do_ud2, 6, 6},
    {"int3", do_int3, 3, 3},
    {"hlt", do_hlt, 13, 13},
    {"cli", do_cli, 13, 13},
    {"mov_cr3", do_cr3, 13, 13},
    {"kernel_read", do_kernel_read, 14, 14},
    {"kernel_jump", do_kernel_jump, 14, 14},
    {"noncanonical", do_noncanonical, 13, 13},
    {"divide_by_zero", do_div0, 0, 0},
    {"x87_exception", do_x87, 16, 16},
    {"bad_stack", do_bad_stack, 14, 14},
};

/* Recurse until the stack runs out: the guard page below it must stop the thread. */
static volatile uint64_t recurse_limit = UINT64_MAX; /* never reached: it just looks finite */

static __attribute__((noinline)) uint64_t recurse(uint64_t depth)
{
    volatile uint8_t frame[256];
    frame[0] = (uint8_t)depth;
    if (depth >= recurse_limit)
        return frame[0];
    return recurse(depth + 1) + frame[0];
}

static int do_overflow(void *a)
{
    (void)a;
    return (int)recurse(0);
}

SK_TEST(stack_overflow_hits_guard)
{
    static volatile uint64_t canary[512] __attribute__((aligned(4096)));
    canary[0] = 0x5a5a;
    struct sk_thread *t;
    SK_ASSERT_OK(sk_thread_spawn(do_overflow, NULL, 16 * 1024, &t));
    SK_EXPECT_EQ(sk_thread_join(t), SK_EXIT_DONE | SK_EXIT_FAULT | (14ull << 32));
    SK_EXPECT_EQ(canary[0], 0x5a5a);
}

SK_TEST(faulting_threads_die)
{
    for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        struct sk_thread *t;
        SK_ASSERT_OK(sk_thread_spawn(faults[i].fn, NULL, 0, &t));
        uint64_t st = sk_thread_join(t);
        unsigned alt = faults[i].alt;
        if (st != FAULT(faults[i].vector) && st != FAULT(alt)) {
            char how[64];
            sk_exit_describe(st, how, sizeof how);
            sk_test_fail(__FILE__, __LINE__, "%s: %s, want vector %u", faults[i].name, how,
                         faults[i].vector);
        }
    }
}

/* Many faults at once on every CPU: the kernel keeps going and counts them all. */
SK_TEST(fault_storm)
{
    struct sk_thread *t[32];
    for (unsigned i = 0; i < 32; i++)
        SK_ASSERT_OK(sk_thread_spawn(do_null, NULL, 0, &t[i]));
    unsigned n = 0;
    for (unsigned i = 0; i < 32; i++)
        n += sk_thread_join(t[i]) == FAULT(14);
    SK_EXPECT_EQ(n, 32);
}

static volatile uint64_t survivor_ticks;
static int survivor(void *a)
{
    (void)a;
    for (int i = 0; i < 1000; i++) {
        sk_atomic_add(&survivor_ticks, 1);
        sk_thread_yield();
    }
    return 5;
}

SK_TEST(other_threads_go_on)
{
    struct sk_thread *s, *f;
    survivor_ticks = 0;
    SK_ASSERT_OK(sk_thread_spawn(survivor, NULL, 0, &s));
    SK_ASSERT_OK(sk_thread_spawn(do_null, NULL, 0, &f));
    SK_EXPECT_EQ(sk_thread_join(f), FAULT(14));
    SK_EXPECT_EQ(sk_thread_join(s), SK_EXIT_DONE | 5);
    SK_EXPECT_EQ(survivor_ticks, 1000);
}

SK_TEST(faulting_program)
{
    const struct sk_start_info *si = sk_start_info();
    SK_ASSERT(si && si->initrd); /* init passes the boot archive on */
    uint64_t a;
    uint64_t len = sk_page_round_up(si->initrd_size);
    SK_ASSERT_OK(sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, len, SK_PROT_READ, &a));
    struct cpio_entry e;
    SK_ASSERT(cpio_find((const uint8_t *)a, si->initrd_size, "bin/test-fault", &e) == 1);
    const char *argv[] = {"test-fault", "crash"};
    struct sk_spawn_args args = {.argc = 2, .argv = argv};
    for (int round = 0; round < 3; round++) {
        struct sk_process p;
        SK_ASSERT_OK(sk_spawn(e.data, e.size, &args, &p, NULL));
        uint64_t st = 0;
        SK_EXPECT_OK(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st));
        SK_EXPECT_EQ(st, FAULT(14));
        sk_process_release(&p);
    }
    /* A refused image is reported, not started. */
    struct sk_process p;
    int why = 0;
    SK_EXPECT_ERR(sk_spawn(e.data, 100, &args, &p, &why), SK_ERR_INVALID);
    SK_EXPECT(why != 0);
    SK_EXPECT_OK(sk_space_unmap(SK_THIS_SPACE, a, len));
}

int main(const struct sk_start_info *si)
{
    (void)si;
    if (sk_argc() > 1 && strcmp(sk_argv(1), "crash") == 0) {
        sk_printf("test-fault: child crashing on purpose\n");
        return AT(8);
    }
    return sk_test_run();
}
