/* Unit costs of kernel primitives under the current CPU (manual: "selftest=microcost"). */
#include <k/selftest.h>
#include <k/clock.h>
#include <k/heap.h>
#include <k/spinlock.h>
#include <k/log.h>
#include <base/string.h>
#include <k/pmm.h>
#include <k/percpu.h>
#include <k/slab.h>
#include <arch/layout.h>

#define N 200000
#define M 20000

#define F(i) __attribute__((noinline)) static uint64_t fn##i(uint64_t x) { __asm__ volatile(""); return x * 3 + i; }
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7) F8(8)
#define C(i) x = fn##i(x);
#define C8(a) C(a##0) C(a##1) C(a##2) C(a##3) C(a##4) C(a##5) C(a##6) C(a##7)
__attribute__((noinline)) static uint64_t call64(uint64_t x) { C8(1) C8(2) C8(3) C8(4) C8(5) C8(6) C8(7) C8(8) return x; }
static uint8_t pages[64 * 4096] __attribute__((aligned(4096)));
__attribute__((noinline)) static uint64_t touch64(void) { uint64_t x = 0; for (int i = 0; i < 64; i++) x += ((volatile uint8_t *)pages)[i * 4096]; return x; }
__attribute__((noinline)) static uint64_t touch1(void) { uint64_t x = 0; for (int i = 0; i < 64; i++) x += ((volatile uint8_t *)pages)[i * 64]; return x; }


static struct spinlock L = SPINLOCK_INIT;
static volatile uint64_t sink;
void fpu_save(void *area);
void fpu_restore(const void *area);

SELFTEST(microcost, SELFTEST_MANUAL)
{
    uint64_t t0, t1;
    static uint8_t buf[512];
    irq_enable();
    t0 = clock_ns();
    for (int i = 0; i < N; i++) sink++;
    t1 = clock_ns();
    kprintf("microcost loop %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { uint64_t f = irq_save(); sink++; irq_restore(f); }
    t1 = clock_ns();
    kprintf("microcost irq_save_restore %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { sink += read_rflags(); }
    t1 = clock_ns();
    kprintf("microcost pushf %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { irq_disable(); sink++; irq_enable(); }
    t1 = clock_ns();
    kprintf("microcost cli_sti %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { irq_disable(); sink++; __asm__ volatile("pushq $0x202; popfq" ::: "memory"); }
    t1 = clock_ns();
    kprintf("microcost cli_popf %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { sink += this_cpu()->id; }
    t1 = clock_ns();
    kprintf("microcost this_cpu_id %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { uint64_t f = spin_lock_irqsave(&L); sink++; spin_unlock_irqrestore(&L, f); }
    t1 = clock_ns();
    kprintf("microcost spin_irqsave %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { spin_lock(&L); sink++; spin_unlock(&L); }
    t1 = clock_ns();
    kprintf("microcost spin %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) __atomic_add_fetch(&sink, 1, __ATOMIC_ACQ_REL);
    t1 = clock_ns();
    kprintf("microcost atomic_add %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { void *p = kmalloc(512); kfree(p); }
    t1 = clock_ns();
    kprintf("microcost kmalloc_kfree_512 %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { void *p = kzalloc(512); kfree(p); }
    t1 = clock_ns();
    kprintf("microcost kzalloc_kfree_512 %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { void *p = kmalloc(64); kfree(p); }
    t1 = clock_ns();
    kprintf("microcost kmalloc_kfree_64 %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { memset(buf, i, 512); }
    t1 = clock_ns();
    kprintf("microcost memset_512 %lu ps\n", (t1 - t0) * 1000 / N);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { memcpy(buf, buf + 256, 128); }
    t1 = clock_ns();
    kprintf("microcost memcpy_128 %lu ps\n", (t1 - t0) * 1000 / N);
    void *p = kmalloc(512);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { uint64_t h; unsigned o, t; sink += pmm_block_of(virt_to_phys(p), &h, &o, &t); }
    t1 = clock_ns();
    kprintf("microcost pmm_block_of %lu ps\n", (t1 - t0) * 1000 / N);
    static uint64_t slabmem[512] __attribute__((aligned(4096)));
    struct slab *sl = (struct slab *)slabmem;
    struct slab_layout lay;
    slab_layout(512, 64, 4096, &lay);
    slab_init(sl, NULL, &lay);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) { void *o = slab_take(sl); sink += slab_put(sl, o); }
    t1 = clock_ns();
    kprintf("microcost slab_take_put %lu ps\n", (t1 - t0) * 1000 / N);
    kfree(p);
    static uint8_t fpu_area[4096] __attribute__((aligned(64)));
    fpu_save(fpu_area);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { fpu_save(fpu_area); fpu_restore(fpu_area); }
    t1 = clock_ns();
    kprintf("microcost fpu_save_restore %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { __asm__ volatile("fxsave64 (%0)" ::"r"(fpu_area) : "memory"); __asm__ volatile("fxrstor64 (%0)" ::"r"(fpu_area) : "memory"); }
    t1 = clock_ns();
    kprintf("microcost fxsave_fxrstor %lu ps\n", (t1 - t0) * 1000 / M);
    uint64_t cr3 = read_cr3();
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { write_cr3(cr3); }
    t1 = clock_ns();
    kprintf("microcost cr3_only %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { sink += call64(i); }
    t1 = clock_ns();
    kprintf("microcost call64 %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { write_cr3(cr3); sink += call64(i); }
    t1 = clock_ns();
    kprintf("microcost cr3_call64 %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { sink += touch64(); }
    t1 = clock_ns();
    kprintf("microcost touch64 %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { write_cr3(cr3); sink += touch64(); }
    t1 = clock_ns();
    kprintf("microcost cr3_touch64 %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < M; i++) { write_cr3(cr3); sink += touch1(); }
    t1 = clock_ns();
    kprintf("microcost cr3_touch1page %lu ps\n", (t1 - t0) * 1000 / M);
    t0 = clock_ns();
    for (int i = 0; i < N; i++) sink += clock_ns();
    t1 = clock_ns();
    kprintf("microcost clock_ns %lu ps\n", (t1 - t0) * 1000 / N);
}
