/*
 * Inter-processor interrupts: sending vectors, cross-CPU function calls and
 * stopping every other CPU on panic.
 *
 * Each CPU has a ring of pending calls. Callers serialise on the ring's lock
 * only to append; the owning CPU consumes without the lock (single consumer)
 * from its VEC_IPI_CALL handler. A caller that waits - for ring space or for
 * its call to finish - keeps serving its own ring with interrupts off, so two
 * CPUs calling each other with interrupts disabled cannot deadlock.
 */
#include <k/smp.h>
#include <k/ktrace.h>
#include <stddef.h>
#include <k/percpu.h>
#include <k/spinlock.h>
#include <k/panic.h>
#include <k/clock.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/cpu.h>

#define CALL_SLOTS 16
#define STOP_TIMEOUT_NS 100000000ull

struct call {
    void (*fn)(void *);
    void *arg;
    volatile int *done;
};

struct call_ring {
    struct spinlock lock; /* producers only */
    volatile uint32_t head, tail;
    struct call slots[CALL_SLOTS];
};

static struct call_ring rings[MAX_CPUS];
static volatile int stopping;
static volatile uint32_t stopped;

/* Run every call queued for this CPU. Interrupts must be off. */
static void serve_calls(void)
{
    struct call_ring *r = &rings[this_cpu()->id];
    for (;;) {
        uint32_t h = r->head;
        if (h == __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE))
            return;
        struct call c = r->slots[h % CALL_SLOTS];
        __atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
        c.fn(c.arg);
        if (c.done)
            __atomic_store_n(c.done, 1, __ATOMIC_RELEASE);
    }
}

void smp_call_poll(void)
{
    if (!irq_enabled())
        serve_calls();
}

static void call_vector(struct trap_frame *tf)
{
    (void)tf;
    this_cpu()->ipi_count++;
    serve_calls();
}

static int cpu_ok(unsigned cpu)
{
    return cpu < cpu_count && __atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE);
}

int smp_send_ipi(unsigned cpu, unsigned vector)
{
    if (!cpu_ok(cpu) || vector < 32 || vector > 255)
        return -1;
    ktrace(KT_IPI, cpu, vector);
    return lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void smp_send_ipi_others(unsigned vector)
{
    if (vector >= 32 && vector <= 255 && cpus_online > 1)
        lapic_send_ipi(0, ICR_FIXED | ICR_ASSERT | ICR_ALL_BUT_SELF | vector);
}

int smp_call(unsigned cpu, void (*fn)(void *), void *arg, int wait)
{
    if (!fn || !cpu_ok(cpu))
        return -1;
    uint64_t f = irq_save();
    if (cpu == this_cpu()->id) {
        fn(arg);
        irq_restore(f);
        return 0;
    }
    volatile int done = 0;
    struct call_ring *r = &rings[cpu];
    for (;;) {
        spin_lock(&r->lock);
        if (r->tail - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) < CALL_SLOTS)
            break;
        spin_unlock(&r->lock);
        serve_calls();
        cpu_relax();
    }
    r->slots[r->tail % CALL_SLOTS] = (struct call){fn, arg, wait ? &done : NULL};
    __atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
    spin_unlock(&r->lock);
    lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | ICR_ASSERT | VEC_IPI_CALL);
    while (wait && !__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        serve_calls();
        cpu_relax();
    }
    irq_restore(f);
    return 0;
}

/* NMI: halt for good when another CPU stops the machine (panic, power-off, reset); otherwise
   let it panic. */
static int nmi_hook(struct trap_frame *tf)
{
    (void)tf;
    if (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
        return 0;
    __atomic_fetch_add(&stopped, 1, __ATOMIC_ACQ_REL);
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

/* machine_stop_others: NMI everyone else, wait briefly until they have halted. */
static void stop_others(void)
{
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
    if (cpus_online <= 1)
        return;
    lapic_send_ipi(0, ICR_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF);
    uint64_t end = clock_ns() + STOP_TIMEOUT_NS;
    for (uint64_t spins = 0; __atomic_load_n(&stopped, __ATOMIC_ACQUIRE) < cpus_online - 1;
         spins++) {
        if (clock_ns() > end || spins > 100000000ull)
            break;
        cpu_relax();
    }
}

void smp_call_init(void)
{
    idt_set_handler(VEC_IPI_CALL, call_vector);
    idt_set_exception_hook(2, nmi_hook);
    machine_stop_others = stop_others;
}
