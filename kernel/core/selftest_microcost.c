/*
 * Unit costs of kernel primitives on the CPU at hand, in picoseconds (manual:
 * "selftest=microcost", best on the release build). Not a test of behaviour: it
 * tells, under QEMU TCG, what a lock, an allocation, a copy or a CR3 load costs,
 * and what refilling the TLB and the translation cache after a CR3 load costs per
 * page and per call site (docs/testing.md, "Profiling").
 */
#include <k/selftest.h>
#include <k/clock.h>
#include <k/heap.h>
#include <k/spinlock.h>
#include <k/log.h>
#include <k/pmm.h>
#include <k/percpu.h>
#include <k/slab.h>
#include <arch/layout.h>
#include <arch/cpu.h>
#include <base/string.h>

void fpu_save(void *area);
void fpu_restore(const void *area);

static struct spinlock L = SPINLOCK_INIT;
static volatile uint64_t sink;

/* 64 distinct small functions, called in a row: 64 call sites and 64 returns. */
#define F(i) \
    __attribute__((noinline)) static uint64_t fn##i(uint64_t x) \
    { \
        __asm__ volatile(""); \
        return x * 3 + i; \
    }
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7) F8(8)
#define C(i) x = fn##i(x);
#define C8(a) C(a##0) C(a##1) C(a##2) C(a##3) C(a##4) C(a##5) C(a##6) C(a##7)
__attribute__((noinline)) static uint64_t call64(uint64_t x)
{
    C8(1) C8(2) C8(3) C8(4) C8(5) C8(6) C8(7) C8(8) return x;
}

static uint8_t pages[64 * 4096] __attribute__((aligned(4096)));
/* One byte of each of 64 pages, or 64 bytes of one page. */
__attribute__((noinline)) static uint64_t touch(unsigned stride)
{
    uint64_t x = 0;
    for (int i = 0; i < 64; i++)
        x += ((volatile uint8_t *)pages)[i * stride];
    return x;
}

/* Time n runs of the statement and print the cost of one. */
#define TIME(name, n, stmt) \
    do { \
        uint64_t t0_ = clock_ns(); \
        for (uint64_t i_ = 0; i_ < (n); i_++) { \
            stmt; \
        } \
        kprintf("microcost %s %lu ps\n", name, (clock_ns() - t0_) * 1000 / (n)); \
    } while (0)

SELFTEST(microcost, SELFTEST_MANUAL)
{
    const uint64_t n = 200000, m = 20000;
    static uint8_t buf[512];
    static uint8_t fpu_area[4096] __attribute__((aligned(64)));
    static uint64_t slabmem[512] __attribute__((aligned(4096)));
    irq_enable();
    TIME("loop", n, sink++);
    TIME("pushf", n, sink += read_rflags());
    TIME("cli_sti", n, (irq_disable(), sink++, irq_enable()));
    TIME("irq_save_restore", n, uint64_t f = irq_save(); sink++; irq_restore(f));
    TIME("spin", n, (spin_lock(&L), sink++, spin_unlock(&L)));
    TIME("spin_irqsave", n, uint64_t f = spin_lock_irqsave(&L); sink++; spin_unlock_irqrestore(&L, f));
    TIME("atomic_add", n, __atomic_add_fetch(&sink, 1, __ATOMIC_ACQ_REL));
    TIME("this_cpu_id", n, sink += this_cpu()->id);
    TIME("clock_ns", n, sink += clock_ns());
    TIME("kmalloc_kfree_64", n, kfree(kmalloc(64)));
    TIME("kmalloc_kfree_512", n, kfree(kmalloc(512)));
    TIME("kzalloc_kfree_512", n, kfree(kzalloc(512)));
    TIME("memset_512", n, memset(buf, (int)i_, sizeof buf));
    TIME("memcpy_128", n, memcpy(buf, buf + 256, 128));
    void *p = kmalloc(512);
    uint64_t head;
    unsigned order, tag;
    TIME("pmm_block_of", n, sink += (uint64_t)pmm_block_of(virt_to_phys(p), &head, &order, &tag));
    kfree(p);
    struct slab *sl = (struct slab *)slabmem;
    struct slab_layout lay;
    slab_layout(512, 64, 4096, &lay);
    slab_init(sl, NULL, &lay);
    TIME("slab_take_put", n, sink += (uint64_t)slab_put(sl, slab_take(sl)));
    fpu_save(fpu_area);
    TIME("fpu_save_restore", m, (fpu_save(fpu_area), fpu_restore(fpu_area)));
    uint64_t cr3 = read_cr3();
    TIME("cr3_only", m, write_cr3(cr3));
    TIME("call64", m, sink += call64(i_));
    TIME("cr3_call64", m, (write_cr3(cr3), sink += call64(i_)));
    TIME("touch64", m, sink += touch(4096));
    TIME("cr3_touch64", m, (write_cr3(cr3), sink += touch(4096)));
    TIME("cr3_touch1page", m, (write_cr3(cr3), sink += touch(64)));
}
