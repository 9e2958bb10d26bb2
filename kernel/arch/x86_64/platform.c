/*
 * Platform bring-up order on the boot CPU: ACPI tables, PICs off, HPET, TSC
 * clock (early, so log timestamps are real), local APIC and its timer, I/O
 * APICs, cross-CPU calls, then the other CPUs.
 */
#include <k/platform.h>
#include <k/percpu.h>
#include <k/timer.h>
#include <k/smp.h>
#include <k/irq.h>
#include <k/log.h>
#include <k/panic.h>
#include <k/power.h>
#include <arch/lapic.h>
#include <arch/hpet.h>
#include <arch/pic.h>
#include <arch/time.h>
#include <arch/cpu.h>

void platform_init(void)
{
    int acpi_ok = acpi_init() == 0;
    pic_disable();
    int hpet_ok = acpi_tables.have_hpet && hpet_init(acpi_tables.hpet_addr) == 0;
    tsc_calibrate();
    if (acpi_ok)
        acpi_log();
    else
        log_warn("acpi: no usable tables found, running on one CPU");
    arch_power_init();
    if (acpi_tables.have_hpet && !hpet_ok)
        log_warn("hpet: unusable");
    if (lapic_init_bsp(acpi_tables.lapic_addr) != 0)
        panic("no local APIC");
    cpus[0].apic_id = lapic_id();
    for (size_t k = 0; k < acpi_tables.cpu_count; k++)
        if (acpi_tables.cpus[k].apic_id == cpus[0].apic_id)
            cpus[0].acpi_uid = acpi_tables.cpus[k].uid;
    lapic_init_cpu();
    log_info("lapic: %s, boot CPU APIC ID %u", lapic_is_x2apic() ? "x2APIC" : "xAPIC",
             cpus[0].apic_id);
    cpus[0].lapic_ticks_per_ms = lapic_timer_init_bsp();
    timer_init_cpu();
    irq_init();
    smp_call_init();
    smp_boot();
    irq_enable();
}
