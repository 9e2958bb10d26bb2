/*
 * I/O APICs: device interrupt inputs (GSIs) routed to a vector on a CPU.
 * Every I/O APIC from the MADT is mapped and fully masked at boot; ISA IRQs
 * go through the MADT interrupt source overrides for their GSI, polarity and
 * trigger mode. Physical destination mode only (APIC IDs up to 255).
 * One lock serialises the index/data register pairs of all I/O APICs.
 */
#include <k/irq.h>
#include <k/platform.h>
#include <k/percpu.h>
#include <k/spinlock.h>
#include <k/vm.h>
#include <k/log.h>
#include <arch/idt.h>

#define IOREGSEL 0
#define IOWIN 4 /* in 32-bit words */
#define REG_VERSION 1
#define REG_REDIR(n) (0x10 + 2 * (n))
#define RED_MASKED (1u << 16)
#define RED_LEVEL (1u << 15)
#define RED_ACTIVE_LOW (1u << 13)

struct ioapic {
    volatile uint32_t *regs;
    uint32_t gsi_base;
    uint32_t inputs;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned ioapic_count;
static struct spinlock ioapic_lock = SPINLOCK_INIT;

static uint32_t io_read(struct ioapic *io, uint32_t reg)
{
    io->regs[IOREGSEL] = reg;
    return io->regs[IOWIN];
}

static void io_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->regs[IOREGSEL] = reg;
    io->regs[IOWIN] = v;
}

void irq_init(void)
{
    for (size_t i = 0; i < acpi_tables.ioapic_count && ioapic_count < ACPI_MAX_IOAPICS; i++) {
        const struct acpi_ioapic *a = &acpi_tables.ioapics[i];
        volatile uint32_t *regs = vm_map_mmio(a->addr, 0x20);
        if (!regs) {
            log_warn("ioapic: cannot map 0x%x", a->addr);
            continue;
        }
        struct ioapic *io = &ioapics[ioapic_count];
        io->regs = regs;
        io->gsi_base = a->gsi_base;
        io->inputs = ((io_read(io, REG_VERSION) >> 16) & 0xff) + 1;
        for (uint32_t n = 0; n < io->inputs; n++) {
            io_write(io, REG_REDIR(n) + 1, 0);
            io_write(io, REG_REDIR(n), RED_MASKED);
        }
        ioapic_count++;
        log_info("ioapic: id %u, GSIs %u-%u, all masked", a->id, io->gsi_base,
                 io->gsi_base + io->inputs - 1);
    }
}

/* The I/O APIC serving gsi, with *pin its input number, or NULL. */
static struct ioapic *find(uint32_t gsi, uint32_t *pin)
{
    for (unsigned i = 0; i < ioapic_count; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi >= io->gsi_base && gsi - io->gsi_base < io->inputs) {
            *pin = gsi - io->gsi_base;
            return io;
        }
    }
    return NULL;
}

int irq_route_gsi(uint32_t gsi, unsigned vector, unsigned cpu, unsigned flags)
{
    uint32_t pin;
    struct ioapic *io = find(gsi, &pin);
    if (!io || vector < VEC_DEVICE_FIRST || vector > VEC_DEVICE_LAST || cpu >= cpu_count ||
        cpus[cpu].apic_id > 0xff)
        return -1;
    uint32_t low = vector;
    if (flags & IRQ_LEVEL)
        low |= RED_LEVEL;
    if (flags & IRQ_ACTIVE_LOW)
        low |= RED_ACTIVE_LOW;
    uint64_t f = spin_lock_irqsave(&ioapic_lock);
    io_write(io, REG_REDIR(pin), RED_MASKED);
    io_write(io, REG_REDIR(pin) + 1, cpus[cpu].apic_id << 24);
    io_write(io, REG_REDIR(pin), low);
    spin_unlock_irqrestore(&ioapic_lock, f);
    return 0;
}

int irq_isa_to_gsi(unsigned isa_irq)
{
    uint32_t gsi;
    uint16_t fl;
    if (isa_irq > 15)
        return -1;
    acpi_isa_to_gsi(&acpi_tables, isa_irq, &gsi, &fl);
    return (int)gsi;
}

int irq_isa_lookup(unsigned isa_irq, uint32_t *gsi, unsigned *flags)
{
    uint16_t fl;
    if (isa_irq > 15)
        return -1;
    acpi_isa_to_gsi(&acpi_tables, isa_irq, gsi, &fl);
    *flags = 0;
    if ((fl & ACPI_POL_MASK) == ACPI_POL_LOW)
        *flags |= IRQ_ACTIVE_LOW;
    if ((fl & ACPI_TRIG_MASK) == ACPI_TRIG_LEVEL)
        *flags |= IRQ_LEVEL;
    return 0;
}

int irq_route_isa(unsigned isa_irq, unsigned vector, unsigned cpu)
{
    uint32_t gsi;
    unsigned flags;
    if (irq_isa_lookup(isa_irq, &gsi, &flags) != 0)
        return -1;
    return irq_route_gsi(gsi, vector, cpu, flags);
}

int irq_gsi_exists(uint32_t gsi)
{
    uint32_t pin;
    return find(gsi, &pin) != NULL;
}

static int set_mask(uint32_t gsi, int masked)
{
    uint32_t pin;
    struct ioapic *io = find(gsi, &pin);
    if (!io)
        return -1;
    uint64_t f = spin_lock_irqsave(&ioapic_lock);
    uint32_t low = io_read(io, REG_REDIR(pin));
    io_write(io, REG_REDIR(pin), masked ? low | RED_MASKED : low & ~RED_MASKED);
    spin_unlock_irqrestore(&ioapic_lock, f);
    return 0;
}

int irq_mask(uint32_t gsi)
{
    return set_mask(gsi, 1);
}

int irq_unmask(uint32_t gsi)
{
    return set_mask(gsi, 0);
}
