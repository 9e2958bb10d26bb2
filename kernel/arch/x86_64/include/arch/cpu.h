/* Thin inline wrappers around x86-64 instructions the kernel needs. */
#pragma once
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
/*
 * A spin-wait's pace: a pause once every 32 turns (*turn counts them). Under QEMU's TCG every
 * PAUSE leaves the translated code for the emulator's outer loop and its global lock (about
 * a microsecond), and every RDTSC takes a lock the CPUs share: a watcher that pauses and
 * reads the clock on every turn sees its event late and slows the other CPUs' emulation.
 * Real CPUs still pause every few hundred nanoseconds. cpu_relax_paced returns 1 on the
 * turns that paused (a timed watch reads its clock then).
 */
static inline int cpu_relax_paced(unsigned *turn)
{
    if ((++*turn & 31) == 0) {
        cpu_relax();
        return 1;
    }
    __asm__ volatile("" ::: "memory");
    return 0;
}
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline uint64_t read_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f; }
static inline int irq_enabled(void) { return (read_rflags() >> 9) & 1; }
/* Save the interrupt flag and disable interrupts; restore with irq_restore. */
static inline uint64_t irq_save(void) { uint64_t f = read_rflags(); irq_disable(); return f; }
/* (popf, not sti: under QEMU TCG it is the cheaper of the two; f holds the flags of irq_save) */
static inline void irq_restore(uint64_t f) { __asm__ volatile("pushq %0; popfq" ::"r"(f) : "memory", "cc"); }

#define MSR_EFER          0xc0000080
#define MSR_FS_BASE       0xc0000100
#define MSR_GS_BASE       0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE     0x1b
#define MSR_PAT           0x277
#define EFER_NXE          (1u << 11)
#define CR4_SMEP          (1ull << 20)
#define CR4_SMAP          (1ull << 21)
#define RFLAGS_IF         (1ull << 9)
#define RFLAGS_AC         (1ull << 18)
/* Flags user space may hold: CF PF AF ZF SF TF DF OF, and AC; IF is always set. */
#define RFLAGS_USER_MASK  0x40dd5ull
