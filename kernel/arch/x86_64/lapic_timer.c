/*
 * Local APIC timer in one-shot mode, driven by the per-CPU kernel timer queue
 * (kernel/core/timer.c). Calibrated once against the TSC clock; every CPU's
 * timer runs from the same bus clock, so the boot CPU's rate is used for all.
 */
#include <k/hot.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/time.h>
#include <k/timer.h>
#include <k/clock.h>
#include <k/percpu.h>
#include <k/log.h>

#define DIV_16 0x3
#define LVT_MASKED (1u << 16)
#define CALIB_US 2000
#define MAX_SHOT_NS 4000000000ull

static KHOT uint64_t ticks_per_ms;

static void timer_vector(struct trap_frame *tf)
{
    (void)tf;
    timer_interrupt();
}

uint64_t lapic_timer_init_bsp(void)
{
    lapic_write(LAPIC_TIMER_DIV, DIV_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
    uint64_t t0 = clock_ns();
    udelay(CALIB_US);
    uint32_t cur = lapic_read(LAPIC_TIMER_CUR);
    uint64_t ns = clock_ns() - t0;
    lapic_write(LAPIC_TIMER_INIT, 0);
    uint64_t ticks = 0xffffffffu - cur;
    ticks_per_ms = ns ? ticks * 1000000u / ns : 0;
    if (!ticks_per_ms)
        ticks_per_ms = 1;
    idt_set_handler(VEC_TIMER, timer_vector);
    log_info("time: local APIC timer %lu ticks/ms (divide by 16)", (unsigned long)ticks_per_ms);
    return ticks_per_ms;
}

void lapic_timer_oneshot_ns(uint64_t ns)
{
    if (!ns) {
        lapic_write(LAPIC_TIMER_INIT, 0);
        return;
    }
    if (ns > MAX_SHOT_NS)
        ns = MAX_SHOT_NS; /* fires early; the queue re-arms for the rest */
    uint64_t count = ns * ticks_per_ms / 1000000u;
    if (count == 0)
        count = 1;
    if (count > 0xffffffffu)
        count = 0xffffffffu;
    struct cpu *c = this_cpu();
    if (!c->lapic_timer_ready) {
        /* once per CPU: each register write is a trap under virtualisation */
        lapic_write(LAPIC_TIMER_DIV, DIV_16);
        lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
        c->lapic_timer_ready = 1;
    }
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}

void arch_timer_program(uint64_t deadline_ns)
{
    if (deadline_ns == TIMER_NEVER) {
        lapic_timer_oneshot_ns(0);
        return;
    }
    uint64_t now = clock_ns();
    lapic_timer_oneshot_ns(deadline_ns > now ? deadline_ns - now : 1);
}
