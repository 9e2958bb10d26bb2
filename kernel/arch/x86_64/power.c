/*
 * Power-off and reset on a PC (docs/platform.md). Power-off is ACPI S5: enter ACPI mode
 * through SMI_CMD if SCI_EN is clear, then SLP_TYPx and SLP_EN into the PM1a/PM1b control
 * registers (the sleep control register on hardware-reduced ACPI). Reset tries, in turn, the
 * FADT's reset register, port 0xCF9, the keyboard controller and a triple fault. The other CPUs
 * are stopped first (kernel/core/power.c), so nothing here may lock or map: memory-space
 * registers are mapped at boot by arch_power_init.
 */
#include <k/power.h>
#include <k/platform.h>
#include <k/clock.h>
#include <k/log.h>
#include <k/vm.h>
#include <base/fmt.h>
#include <skoll/syscalls.h>
#include <arch/cpu.h>

#define SETTLE_NS 100000000ull     /* how long a mechanism gets to act before the next one */
#define ACPI_ENABLE_NS 1000000000ull /* how long the firmware gets to set SCI_EN */

static volatile uint8_t *pm1a_mem, *pm1b_mem, *sleep_mem, *reset_mem;

static volatile uint8_t *map_register(const struct acpi_gas *g, size_t size)
{
    if (g->space != ACPI_GAS_MEMORY || !g->address)
        return NULL;
    return vm_map_mmio(g->address, size);
}

/* Can g be reached: an I/O port, or a memory register mapped at boot (mem)? */
static int reachable(const struct acpi_gas *g, volatile uint8_t *mem)
{
    if (!g->address)
        return 0;
    if (g->space == ACPI_GAS_IO)
        return g->address <= 0xfffe;
    return g->space == ACPI_GAS_MEMORY && mem;
}

static uint16_t read16(const struct acpi_gas *g, volatile uint8_t *mem)
{
    return g->space == ACPI_GAS_IO ? inw((uint16_t)g->address) : *(volatile uint16_t *)mem;
}

static void write16(const struct acpi_gas *g, volatile uint8_t *mem, uint16_t v)
{
    if (g->space == ACPI_GAS_IO)
        outw((uint16_t)g->address, v);
    else
        *(volatile uint16_t *)mem = v;
}

void arch_power_init(void)
{
    const struct acpi_fadt *f = &acpi_tables.fadt;
    if (!f->present)
        return;
    pm1a_mem = map_register(&f->pm1a_cnt, 2);
    pm1b_mem = map_register(&f->pm1b_cnt, 2);
    sleep_mem = map_register(&f->sleep_control, 1);
    if (f->flags & ACPI_FADT_RESET_REG_SUP)
        reset_mem = map_register(&f->reset_reg, 1);
    if (!(f->flags & ACPI_FADT_HW_REDUCED) && reachable(&f->pm1a_cnt, pm1a_mem))
        log_info("power: SCI_EN %s (ACPI mode %s)",
                 read16(&f->pm1a_cnt, pm1a_mem) & ACPI_PM1_SCI_EN ? "set" : "clear",
                 read16(&f->pm1a_cnt, pm1a_mem) & ACPI_PM1_SCI_EN ? "on" : "entered at power-off "
                                                                         "through SMI_CMD");
}

static int hw_reduced(void)
{
    return (acpi_tables.fadt.flags & ACPI_FADT_HW_REDUCED) != 0;
}

int arch_power_off_possible(void)
{
    const struct acpi_fadt *f = &acpi_tables.fadt;
    if (!f->present || !f->have_s5)
        return 0;
    if (hw_reduced())
        return reachable(&f->sleep_control, sleep_mem);
    return reachable(&f->pm1a_cnt, pm1a_mem);
}

static int reset_reg_usable(void)
{
    const struct acpi_fadt *f = &acpi_tables.fadt;
    const struct acpi_gas *g = &f->reset_reg;
    if (!(f->flags & ACPI_FADT_RESET_REG_SUP))
        return 0;
    if (g->space == ACPI_GAS_PCI_CONFIG) /* bus 0: device, function, offset (ACPI 6.5 §5.2.3.2) */
        return (g->address >> 32 & 0xffff) < 32 && (g->address >> 16 & 0xffff) < 8 &&
               (g->address & 0xffff) < 256 && !(g->address >> 48);
    return reachable(g, reset_mem);
}

static const char *space_name(uint8_t space)
{
    return space == ACPI_GAS_IO ? "I/O" : space == ACPI_GAS_MEMORY ? "memory" : "PCI config";
}

const char *arch_power_method(unsigned action, char *buf, size_t size)
{
    const struct acpi_fadt *f = &acpi_tables.fadt;
    if (action == SK_POWER_OFF) {
        if (!arch_power_off_possible())
            fmt_snprintf(buf, size, "no ACPI S5");
        else if (hw_reduced())
            fmt_snprintf(buf, size, "ACPI S5, sleep control %s 0x%lx, SLP_TYP %u",
                         space_name(f->sleep_control.space), f->sleep_control.address,
                         f->slp_typ_a);
        else
            fmt_snprintf(buf, size, "ACPI S5, PM1a_CNT %s 0x%lx, SLP_TYPa %u",
                         space_name(f->pm1a_cnt.space), f->pm1a_cnt.address, f->slp_typ_a);
    } else if (reset_reg_usable()) {
        fmt_snprintf(buf, size, "ACPI reset register, %s 0x%lx = 0x%x",
                     space_name(f->reset_reg.space), f->reset_reg.address, f->reset_value);
    } else {
        fmt_snprintf(buf, size, "port 0xcf9");
    }
    return buf;
}

/* Spin for ns (interrupts are off; the TSC clock still runs). */
static void settle(uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while (clock_ns() < end)
        cpu_relax();
}

/* ACPI mode: SCI_EN set. If the firmware still owns the hardware, ask it through SMI_CMD. */
static void enter_acpi_mode(const struct acpi_fadt *f)
{
    if (read16(&f->pm1a_cnt, pm1a_mem) & ACPI_PM1_SCI_EN)
        return;
    if (!f->smi_cmd || f->smi_cmd > 0xffff || !f->acpi_enable) {
        kprintf_unlocked("power: SCI_EN is clear and there is no SMI_CMD to set it; trying "
                         "anyway\n");
        return;
    }
    outb((uint16_t)f->smi_cmd, f->acpi_enable);
    uint64_t end = clock_ns() + ACPI_ENABLE_NS;
    while (!(read16(&f->pm1a_cnt, pm1a_mem) & ACPI_PM1_SCI_EN)) {
        if (clock_ns() > end) {
            kprintf_unlocked("power: the firmware did not enter ACPI mode; trying anyway\n");
            return;
        }
        cpu_relax();
    }
}

/* SLP_TYP into one PM1 control register, keeping its other bits; with SLP_EN if en. */
static void pm1_sleep(const struct acpi_gas *g, volatile uint8_t *mem, uint8_t typ, int en)
{
    uint16_t v = read16(g, mem) & (uint16_t)~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN);
    v |= (uint16_t)((typ & 7u) << ACPI_PM1_SLP_TYP_SHIFT);
    if (en)
        v |= ACPI_PM1_SLP_EN;
    write16(g, mem, v);
}

void arch_power_off(void)
{
    const struct acpi_fadt *f = &acpi_tables.fadt;
    if (!arch_power_off_possible())
        return;
    if (hw_reduced()) {
        uint8_t v = (uint8_t)(((f->slp_typ_a & 7u) << ACPI_SLEEP_TYP_SHIFT) | ACPI_SLEEP_EN);
        if (f->sleep_control.space == ACPI_GAS_IO)
            outb((uint16_t)f->sleep_control.address, v);
        else
            *sleep_mem = v;
    } else {
        enter_acpi_mode(f);
        int b = reachable(&f->pm1b_cnt, pm1b_mem);
        /* as ACPI asks: the sleep type first, then the sleep type with SLP_EN */
        pm1_sleep(&f->pm1a_cnt, pm1a_mem, f->slp_typ_a, 0);
        if (b)
            pm1_sleep(&f->pm1b_cnt, pm1b_mem, f->slp_typ_b, 0);
        pm1_sleep(&f->pm1a_cnt, pm1a_mem, f->slp_typ_a, 1);
        if (b)
            pm1_sleep(&f->pm1b_cnt, pm1b_mem, f->slp_typ_b, 1);
    }
    settle(SETTLE_NS);
}

static void write_reset_reg(const struct acpi_fadt *f)
{
    const struct acpi_gas *g = &f->reset_reg;
    if (g->space == ACPI_GAS_IO) {
        outb((uint16_t)g->address, f->reset_value);
    } else if (g->space == ACPI_GAS_MEMORY) {
        *reset_mem = f->reset_value;
    } else {
        uint32_t dev = (uint32_t)(g->address >> 32) & 0x1f, fn = (uint32_t)(g->address >> 16) & 7;
        uint32_t off = (uint32_t)g->address & 0xff;
        outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
        outb((uint16_t)(0xcfc + (off & 3)), f->reset_value);
    }
}

void arch_reset(void)
{
    const struct acpi_fadt *f = &acpi_tables.fadt;
    if (reset_reg_usable()) {
        write_reset_reg(f);
        settle(SETTLE_NS);
        kprintf_unlocked("power: the ACPI reset register did not reset; trying port 0xcf9\n");
    }
    outb(0xcf9, 0x02); /* reset control register (PIIX/ICH): hard reset, then go */
    outb(0xcf9, 0x06);
    settle(SETTLE_NS);
    kprintf_unlocked("power: port 0xcf9 did not reset; trying the keyboard controller\n");
    for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++) /* its input buffer empty */
        cpu_relax();
    outb(0x64, 0xfe); /* pulse the reset line */
    settle(SETTLE_NS);
    kprintf_unlocked("power: the keyboard controller did not reset; triple fault\n");
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) none = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(none));
    for (;;)
        cpu_halt();
}
