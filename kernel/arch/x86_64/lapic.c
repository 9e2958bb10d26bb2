/*
 * Local APIC. One mode for the whole machine, chosen on the boot CPU: x2APIC
 * (MSRs) when the CPU supports it or the firmware already enabled it,
 * otherwise xAPIC through an uncached MMIO mapping shared by all CPUs (each
 * CPU sees its own APIC at the same address).
 */
#include <k/hot.h>
#include <arch/lapic.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <k/platform.h>
#include <k/percpu.h>
#include <k/vm.h>
#include <k/log.h>

#define APIC_BASE_ENABLE (1u << 11)
#define APIC_BASE_X2 (1u << 10)
#define LVT_MASKED (1u << 16)
#define LVT_NMI 0x400
#define LVT_LEVEL (1u << 15)
#define LVT_ACTIVE_LOW (1u << 13)
#define ICR_BUSY (1u << 12)
#define SVR_ENABLE 0x100

static volatile uint32_t *mmio;
static KHOT int x2;

uint32_t lapic_read(unsigned reg)
{
    return x2 ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : mmio[reg / 4];
}

void lapic_write(unsigned reg, uint32_t v)
{
    if (x2)
        wrmsr(0x800 + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

int lapic_is_x2apic(void)
{
    return x2;
}

uint32_t lapic_id(void)
{
    return x2 ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

static void error_vector(struct trap_frame *tf)
{
    (void)tf;
    lapic_write(LAPIC_ESR, 0);
    log_warn("lapic: error 0x%x on APIC %u", lapic_read(LAPIC_ESR), lapic_id());
}

int lapic_init_bsp(uint64_t phys)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!(d & (1u << 9)))
        return -1;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    x2 = (c & (1u << 21)) || (base & APIC_BASE_X2);
    if (!x2) {
        if (!phys)
            phys = base & 0xffffff000ull;
        mmio = vm_map_mmio(phys, 4096);
        if (!mmio)
            return -1;
    }
    /* the ID register is readable from here on; lapic_init_cpu finishes the set-up */
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | (x2 ? APIC_BASE_X2 : 0));
    idt_set_handler(VEC_LAPIC_ERROR, error_vector);
    irq_eoi = lapic_eoi;
    return 0;
}

/* LINT pin setting for this CPU from the MADT local APIC NMI entries. */
static uint32_t lint_config(unsigned pin)
{
    uint32_t uid = this_cpu()->acpi_uid;
    for (size_t i = 0; i < acpi_tables.nmi_count; i++) {
        const struct acpi_lapic_nmi *n = &acpi_tables.nmis[i];
        if (n->lint != pin || (n->uid != ACPI_UID_ALL && n->uid != uid))
            continue;
        uint32_t v = LVT_NMI;
        if ((n->flags & ACPI_POL_MASK) == ACPI_POL_LOW)
            v |= LVT_ACTIVE_LOW;
        if ((n->flags & ACPI_TRIG_MASK) == ACPI_TRIG_LEVEL)
            v |= LVT_LEVEL;
        return v;
    }
    return LVT_MASKED; /* LINT0 would be ExtINT from the (masked) PIC: keep it off */
}

void lapic_init_cpu(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
    if (x2)
        base |= APIC_BASE_X2;
    wrmsr(MSR_APIC_BASE, base);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    unsigned max_lvt = (lapic_read(LAPIC_VERSION) >> 16) & 0xff;
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    if (max_lvt >= 4)
        lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
    if (max_lvt >= 5)
        lapic_write(LAPIC_LVT_THERMAL, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT0, lint_config(0));
    lapic_write(LAPIC_LVT_LINT1, lint_config(1));
    lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
    lapic_write(LAPIC_ESR, 0); /* clear stale errors (two writes: the register latches) */
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_TPR, 0);
    lapic_eoi();
}

int lapic_send_ipi(uint32_t apic_id, uint32_t low)
{
    if (x2) {
        /* x2APIC ICR writes are accepted at once; no delivery status to poll */
        wrmsr(0x800 + (LAPIC_ICR_LO >> 4), ((uint64_t)apic_id << 32) | low);
        return 0;
    }
    uint64_t f = irq_save();
    int rc = 0;
    for (unsigned spins = 0; lapic_read(LAPIC_ICR_LO) & ICR_BUSY; spins++)
        if (spins > 1000000) {
            rc = -1;
            goto out;
        }
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, low);
    for (unsigned spins = 0; lapic_read(LAPIC_ICR_LO) & ICR_BUSY; spins++)
        if (spins > 1000000) {
            rc = -1;
            break;
        }
out:
    irq_restore(f);
    return rc;
}
