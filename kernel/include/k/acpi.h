/*
 * ACPI static tables the kernel needs (RSDP, RSDT/XSDT, MADT, HPET, MCFG, FADT
 * and the \_S5_ object of the DSDT), reduced to one plain struct. The parser (kernel/lib/acpi.c) is pure code:
 * it reaches physical memory only through a map callback and treats every
 * table as possibly broken, so the host unit tests feed it synthetic tables.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS 24
#define ACPI_MAX_NMIS 16
#define ACPI_MAX_MCFG 8
#define ACPI_MAX_TABLE_LEN (1u << 20) /* longer tables are treated as broken */
#define ACPI_MAX_ROOT_ENTRIES 256

/* Interrupt source override / NMI flags (MPS INTI flags). */
#define ACPI_POL_MASK 0x3
#define ACPI_POL_HIGH 0x1
#define ACPI_POL_LOW 0x3
#define ACPI_TRIG_MASK 0xc
#define ACPI_TRIG_EDGE 0x4
#define ACPI_TRIG_LEVEL 0xc

#define ACPI_UID_ALL 0xffffffffu /* local APIC NMI applying to every processor */

struct acpi_cpu {
    uint32_t apic_id;
    uint32_t uid;           /* ACPI processor UID */
    uint8_t enabled;        /* usable now */
    uint8_t online_capable; /* disabled, but may be hot-added */
    uint8_t x2apic;         /* came from an x2APIC entry */
};

struct acpi_ioapic {
    uint32_t id;
    uint32_t addr; /* physical MMIO base */
    uint32_t gsi_base;
};

struct acpi_iso {
    uint8_t bus;    /* 0 = ISA */
    uint8_t source; /* ISA IRQ */
    uint32_t gsi;
    uint16_t flags; /* ACPI_POL_* | ACPI_TRIG_* (0 = bus default) */
};

struct acpi_lapic_nmi {
    uint32_t uid; /* ACPI_UID_ALL for all processors */
    uint16_t flags;
    uint8_t lint; /* LINT0 or LINT1 */
};

struct acpi_mcfg {
    uint64_t base; /* ECAM base address */
    uint16_t segment;
    uint8_t bus_start;
    uint8_t bus_end;
};

/* Generic Address Structure (ACPI 6.5 §5.2.3.2); address 0 = absent. */
#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1
#define ACPI_GAS_PCI_CONFIG 2
struct acpi_gas {
    uint8_t space; /* ACPI_GAS_* */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size; /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
};

/* FADT flags */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)

/* PM1 control register bits */
#define ACPI_PM1_SCI_EN (1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK (7u << 10)
#define ACPI_PM1_SLP_EN (1u << 13)
/* Sleep control register (hardware-reduced ACPI) bits */
#define ACPI_SLEEP_TYP_SHIFT 2
#define ACPI_SLEEP_EN (1u << 5)

/* What power-off and reset need from the FADT and the DSDT. */
struct acpi_fadt {
    int present;
    uint8_t revision;
    uint32_t flags;       /* ACPI_FADT_* */
    uint32_t smi_cmd;     /* I/O port of the SMI command register, 0: none (always in ACPI mode) */
    uint8_t acpi_enable;  /* value to write there to enter ACPI mode */
    struct acpi_gas pm1a_cnt, pm1b_cnt; /* X_PM1x_CNT_BLK, else the legacy I/O port */
    struct acpi_gas sleep_control;      /* hardware-reduced ACPI only */
    struct acpi_gas reset_reg;          /* valid when flags has ACPI_FADT_RESET_REG_SUP */
    uint8_t reset_value;
    uint64_t dsdt;        /* X_DSDT, else DSDT */
    int have_s5;          /* \_S5_ found in the DSDT */
    uint8_t slp_typ_a, slp_typ_b; /* its SLP_TYPa and SLP_TYPb (3 bits each) */
};

struct acpi_info {
    uint8_t revision; /* RSDP revision (0 = ACPI 1.0) */
    uint8_t used_xsdt;
    char oem_id[7];

    int have_madt;
    uint64_t lapic_addr;
    uint8_t pcat_compat; /* dual 8259s present, must be masked */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    size_t cpu_count;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    size_t ioapic_count;
    struct acpi_iso isos[ACPI_MAX_ISOS];
    size_t iso_count;
    struct acpi_lapic_nmi nmis[ACPI_MAX_NMIS];
    size_t nmi_count;

    int have_hpet;
    uint64_t hpet_addr;
    uint8_t hpet_number;
    uint16_t hpet_min_tick;

    struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
    size_t mcfg_count;

    struct acpi_fadt fadt;

    unsigned errors;  /* broken tables or entries that were skipped */
    unsigned dropped; /* valid entries that did not fit the arrays */
};

/* Returns a pointer to len readable bytes at physical address phys, or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len);

/*
 * Check an RSDP candidate of avail bytes: signature, ACPI 1.0 checksum and,
 * for revision >= 2, the length and extended checksum. Returns the RSDP's
 * length (20 or >= 36) or 0 when it is not a valid RSDP.
 */
size_t acpi_rsdp_valid(const void *p, size_t avail);

/*
 * Scan len bytes at area (BIOS memory) for an RSDP on a 16-byte boundary.
 * Returns its offset from area, or -1 when there is none.
 */
long acpi_rsdp_scan(const void *area, size_t len);

/*
 * Parse everything reachable from the RSDP at rsdp (rsdp_len bytes) into out.
 * Prefers the XSDT and falls back to the RSDT when the XSDT is missing or
 * broken. Broken tables and entries are skipped and counted in out->errors.
 * Returns 0 when a root table was found, -1 otherwise (out is then zeroed
 * apart from errors).
 */
int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, struct acpi_info *out);

/*
 * Find the package `Name (\_S5_, Package () {SLP_TYPa, SLP_TYPb, ...})` in an AML byte
 * stream (a DSDT's body, after its 36-byte header) and return the two values. The AML is
 * untrusted: every byte read is within aml[0..len), and an occurrence that is not exactly
 * such a package of integer constants (Zero, One, Ones, Byte/Word/DWord/QWord constants)
 * is passed over. A package of one element holds SLP_TYPa in bits 0-2 and SLP_TYPb in bits
 * 8-10 (ACPI 1.0 style). Returns 0 when found, -1 otherwise.
 */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b);

/*
 * Translate an ISA IRQ through the interrupt source overrides. Stores the GSI
 * and the flags (ACPI_POL_* | ACPI_TRIG_*, with bus defaults filled in as
 * active-high edge). Returns 1 when an override applied, 0 for identity.
 */
int acpi_isa_to_gsi(const struct acpi_info *info, unsigned isa_irq, uint32_t *gsi,
                     uint16_t *flags);
