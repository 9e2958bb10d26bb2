/*
 * Per-CPU data. Each CPU's GS base points at its struct cpu, whose first
 * field points at itself, so this_cpu() is one load.
 */
#pragma once
#include <stdint.h>
#include <arch/gdt.h>
#include <arch/frame.h>
#include <k/spinlock.h>
#include <k/timer.h>

#define MAX_CPUS 64

struct thread;
struct vm_space;

/* One CPU's run queue: a FIFO per priority and a bitmap of the non-empty ones. */
struct runqueue {
    struct spinlock lock;
    uint32_t bitmap;
    uint32_t count;
    struct thread *head[16], *tail[16];
};

struct cpu {
    struct cpu *self;          /* must stay first: gs:0 */
    uint64_t kstack_top;       /* gs:8: kernel stack of the running thread (syscall entry) */
    uint64_t user_rsp;         /* gs:16: scratch for the user rsp at syscall entry */
    struct thread *current;    /* the running thread */
    struct thread *idle;       /* this CPU's idle thread (its boot context) */
    struct runqueue rq;
    volatile int need_resched;
    int irq_depth;             /* > 0 while handling a hardware interrupt or IPI */
    int uaccess_nofault;       /* a user copy here fails on a page that is not present
                                  instead of faulting it in (k/uaccess.h) */
    volatile int idling;       /* in the idle loop, about to halt or halted */
    volatile int polling;      /* in the idle loop, watching its queue (no IPI needed) */
    int sched_ready;           /* sched_start_cpu has run here */
    struct timer slice_timer;
    uint64_t slice_end;         /* the current thread's slice ends then (0: idle, no slice) */
    uint32_t id;               /* logical index, 0 = boot CPU */
    uint32_t apic_id;
    uint32_t acpi_uid;         /* ACPI processor UID (matches MADT NMI entries) */
    volatile int online;
    int panicking;
    uint64_t lapic_ticks_per_ms;
    int lapic_timer_ready;      /* its divide and LVT registers are set for one-shot use */
    volatile uint64_t ipi_count;
    uint64_t io_stamp;         /* version of the I/O port map in gdt.iopb (0: none) */
    uint32_t io_extent;        /* bytes of gdt.iopb that may hold a clear bit */
    struct vm_space *space;    /* user address space in CR3, NULL for the kernel tables
                                  (set by vm_space_activate) */
    struct vm_space *lazy_space; /* while a kernel thread runs (space NULL): the user space
                                  whose tables CR3 still holds, if any (see arch_switch_to) */
    /* last: the GDT and TSS with its 8 KiB I/O bitmap, so that the fields every switch reads
       share the struct's first page (each page touched after a switch is a TLB refill
       under emulation) */
    struct gdt_cpu gdt;        /* this CPU's GDT and TSS */
} __attribute__((aligned(4096))); /* (each CPU's hot fields, GDT and TSS on one page) */

extern struct cpu cpus[MAX_CPUS];
extern uint32_t cpu_count;        /* CPUs found in the MADT (or 1) */
extern volatile uint32_t cpus_online;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* Point GS at c and load its GDT/TSS/IDT. Called once per CPU during bring-up. */
void percpu_init_this(struct cpu *c);
