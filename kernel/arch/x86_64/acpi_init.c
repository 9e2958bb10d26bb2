/*
 * Finding the ACPI tables on a PC: the RSDP copy the loader handed over, else
 * a scan of the EBDA and the BIOS area 0xE0000-0xFFFFF. Parsing is the pure
 * code in kernel/lib/acpi.c; physical memory is reached only through
 * vm_map_mmio.
 */
#include <k/platform.h>
#include <k/bootinfo.h>
#include <k/log.h>
#include <k/vm.h>
#include <base/string.h>

struct acpi_info acpi_tables;

static const void *acpi_map(uint64_t phys, size_t len)
{
    return vm_map_mmio(phys, len);
}

/* Returns the RSDP's physical address from a BIOS area scan, or 0. */
static uint64_t rsdp_scan_bios(void)
{
    const uint16_t *ebda_seg = vm_map_mmio(0x40e, 2);
    if (ebda_seg) {
        uint64_t ebda = (uint64_t)*ebda_seg << 4;
        const void *p = ebda >= 0x80000 && ebda < 0xa0000 ? vm_map_mmio(ebda, 1024) : NULL;
        long off = p ? acpi_rsdp_scan(p, 1024) : -1;
        if (off >= 0)
            return ebda + (uint64_t)off;
    }
    const void *bios = vm_map_mmio(0xe0000, 0x20000);
    long off = bios ? acpi_rsdp_scan(bios, 0x20000) : -1;
    return off >= 0 ? 0xe0000 + (uint64_t)off : 0;
}

int acpi_init(void)
{
    if (boot_info.rsdp_len > 0 &&
        acpi_parse(boot_info.rsdp, boot_info.rsdp_len, acpi_map, &acpi_tables) == 0)
        return 0;
    uint64_t phys = rsdp_scan_bios();
    const void *r = phys ? vm_map_mmio(phys, 36) : NULL;
    /* the scan validated it against the bytes up to the end of the area */
    if (r && acpi_parse(r, 0x100000 - phys < 36 ? 20 : 36, acpi_map, &acpi_tables) == 0)
        return 0;
    return -1;
}

void acpi_log(void)
{
    const struct acpi_info *a = &acpi_tables;
    if (!a->have_madt && !a->cpu_count && !a->have_hpet) {
        log_warn("acpi: no usable tables (%u errors)", a->errors);
        return;
    }
    size_t enabled = 0;
    for (size_t i = 0; i < a->cpu_count; i++)
        enabled += a->cpus[i].enabled;
    log_info("acpi: rev %u, %s, oem \"%s\", %zu CPUs (%zu enabled), %zu I/O APICs, "
             "%zu overrides, local APIC at 0x%lx", a->revision, a->used_xsdt ? "XSDT" : "RSDT",
             a->oem_id, a->cpu_count, enabled, a->ioapic_count, a->iso_count, a->lapic_addr);
    for (size_t i = 0; i < a->ioapic_count; i++)
        log_info("acpi: I/O APIC %u at 0x%x, GSI base %u", a->ioapics[i].id, a->ioapics[i].addr,
                 a->ioapics[i].gsi_base);
    for (size_t i = 0; i < a->iso_count; i++)
        log_debug("acpi: ISA IRQ %u -> GSI %u flags 0x%x", a->isos[i].source, a->isos[i].gsi,
                  a->isos[i].flags);
    if (a->have_hpet)
        log_info("acpi: HPET at 0x%lx", a->hpet_addr);
    else
        log_info("acpi: no HPET");
    for (size_t i = 0; i < a->mcfg_count; i++)
        log_info("acpi: MCFG segment %u buses %u-%u at 0x%lx", a->mcfg[i].segment,
                 a->mcfg[i].bus_start, a->mcfg[i].bus_end, a->mcfg[i].base);
    if (a->errors || a->dropped)
        log_warn("acpi: %u broken entries skipped, %u entries beyond limits dropped", a->errors,
                 a->dropped);
}
