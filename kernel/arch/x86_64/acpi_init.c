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
#include <base/fmt.h>

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

/* "I/O 0x604", "memory 0xfed80004", "none" for a generic address. */
static const char *gas_text(const struct acpi_gas *g, char *buf, size_t size)
{
    static const char *const spaces[] = {"memory", "I/O", "PCI config"};
    if (!g->address)
        return "none";
    fmt_snprintf(buf, size, "%s 0x%lx", g->space < 3 ? spaces[g->space] : "space ?",
                 g->address);
    return buf;
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
    const struct acpi_fadt *f = &a->fadt;
    if (f->present) {
        char pm1a[40], pm1b[40];
        log_info("acpi: FADT rev %u, flags 0x%x, PM1a_CNT %s, PM1b_CNT %s, SMI_CMD 0x%x (enable "
                 "0x%x)", f->revision, f->flags, gas_text(&f->pm1a_cnt, pm1a, sizeof pm1a),
                 gas_text(&f->pm1b_cnt, pm1b, sizeof pm1b), f->smi_cmd, f->acpi_enable);
        if (f->have_s5)
            log_info("acpi: DSDT at 0x%lx: \\_S5_ SLP_TYPa %u, SLP_TYPb %u", f->dsdt,
                     f->slp_typ_a, f->slp_typ_b);
        else
            log_warn("acpi: no \\_S5_ in the DSDT at 0x%lx: no ACPI power-off", f->dsdt);
        if (f->flags & ACPI_FADT_RESET_REG_SUP)
            log_info("acpi: reset register %s, value 0x%x",
                     gas_text(&f->reset_reg, pm1a, sizeof pm1a), f->reset_value);
    } else {
        log_warn("acpi: no FADT: no ACPI power-off or reset register");
    }
    if (a->errors || a->dropped)
        log_warn("acpi: %u broken entries skipped, %u entries beyond limits dropped", a->errors,
                 a->dropped);
}
