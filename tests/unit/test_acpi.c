/* Unit tests for kernel/lib/acpi.c: synthetic ACPI tables in a fake physical memory, good and broken. */
#include "unit.h"
#include <stdint.h>
#include <string.h>
#include <k/acpi.h>

#define MEM_SIZE 0x10000
static uint8_t mem[MEM_SIZE];
static struct acpi_info info;

static const void *fake_map(uint64_t phys, size_t len)
{
    if (phys >= MEM_SIZE || len > MEM_SIZE - phys)
        return NULL;
    return mem + phys;
}

static void put16(uint64_t at, uint16_t v) { memcpy(mem + at, &v, 2); }
static void put32(uint64_t at, uint32_t v) { memcpy(mem + at, &v, 4); }
static void put64(uint64_t at, uint64_t v) { memcpy(mem + at, &v, 8); }

static void fix_sum(uint64_t at, size_t len, size_t sum_off)
{
    mem[at + sum_off] = 0;
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s += mem[at + i];
    mem[at + sum_off] = (uint8_t)-s;
}

/* SDT header with signature and length; the checksum is fixed by finish(). */
static void sdt(uint64_t at, const char *sig, uint32_t len)
{
    memset(mem + at, 0, len);
    memcpy(mem + at, sig, 4);
    put32(at + 4, len);
    mem[at + 8] = 1;
    memcpy(mem + at + 10, "SKOLLT", 6);
}

static void finish(uint64_t at)
{
    uint32_t len;
    memcpy(&len, mem + at + 4, 4);
    fix_sum(at, len, 9);
}

/* RSDP at 0x100: v1 (20 bytes) or v2 (36 bytes). */
static void rsdp(int rev, uint32_t rsdt, uint64_t xsdt)
{
    memset(mem + 0x100, 0, 36);
    memcpy(mem + 0x100, "RSD PTR ", 8);
    memcpy(mem + 0x109, "SKOLLT", 6);
    mem[0x10f] = (uint8_t)rev;
    put32(0x110, rsdt);
    if (rev >= 2) {
        put32(0x114, 36);
        put64(0x118, xsdt);
    }
    fix_sum(0x100, 20, 8);
    if (rev >= 2)
        fix_sum(0x100, 36, 32);
}

#define RSDT 0x200
#define XSDT 0x300
#define MADT 0x1000
#define HPET 0x2000
#define MCFG 0x3000

static uint32_t madt_off;
static void madt_begin(void)
{
    sdt(MADT, "APIC", 0x400);
    put32(MADT + 36, 0xfee00000);
    put32(MADT + 40, 1);
    madt_off = 44;
}
static uint8_t *madt_entry(uint8_t type, uint8_t len)
{
    uint8_t *e = mem + MADT + madt_off;
    memset(e, 0, len < 2 ? 2 : len);
    e[0] = type;
    e[1] = len;
    madt_off += len < 2 ? 2 : len;
    return e;
}
static void lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t *e = madt_entry(0, 8);
    e[2] = uid;
    e[3] = id;
    memcpy(e + 4, &flags, 4);
}
static void madt_end(void)
{
    put32(MADT + 4, madt_off);
    finish(MADT);
}

static void hpet_table(uint64_t addr)
{
    sdt(HPET, "HPET", 56);
    mem[HPET + 40] = 0;
    put64(HPET + 44, addr);
    mem[HPET + 52] = 0;
    put16(HPET + 53, 0x80);
    finish(HPET);
}

static void mcfg_table(void)
{
    sdt(MCFG, "MCFG", 44 + 32);
    put64(MCFG + 44, 0xb0000000);
    put16(MCFG + 52, 0);
    mem[MCFG + 54] = 0;
    mem[MCFG + 55] = 0xff;
    put64(MCFG + 60, 0xc0000000); /* second entry: end < start, broken */
    mem[MCFG + 70] = 5;
    mem[MCFG + 71] = 1;
    finish(MCFG);
}

/* RSDT and XSDT both naming MADT, HPET, MCFG. */
static void roots(void)
{
    sdt(RSDT, "RSDT", 36 + 12);
    put32(RSDT + 36, MADT);
    put32(RSDT + 40, HPET);
    put32(RSDT + 44, MCFG);
    finish(RSDT);
    sdt(XSDT, "XSDT", 36 + 24);
    put64(XSDT + 36, MADT);
    put64(XSDT + 44, HPET);
    put64(XSDT + 52, MCFG);
    finish(XSDT);
}

/* A typical machine: 4 CPUs (one disabled but online-capable, one unusable), an I/O APIC, overrides. */
static void standard_machine(int rev)
{
    memset(mem, 0, sizeof mem);
    madt_begin();
    lapic(0, 0, 1);
    lapic(1, 1, 1);
    lapic(2, 2, 2); /* online capable */
    lapic(3, 3, 0); /* neither: must be ignored */
    uint8_t *e = madt_entry(1, 12);
    e[2] = 0;
    memcpy(e + 4, &(uint32_t){0xfec00000}, 4);
    e = madt_entry(2, 10);
    e[3] = 0;
    memcpy(e + 4, &(uint32_t){2}, 4);
    e = madt_entry(2, 10);
    e[3] = 9;
    memcpy(e + 4, &(uint32_t){9}, 4);
    memcpy(e + 8, &(uint16_t){0xf}, 2); /* level, active low */
    e = madt_entry(4, 6);
    e[2] = 0xff;
    e[5] = 1;
    e = madt_entry(9, 16);
    memcpy(e + 4, &(uint32_t){300}, 4);
    memcpy(e + 8, &(uint32_t){1}, 4);
    memcpy(e + 12, &(uint32_t){300}, 4);
    e = madt_entry(9, 16); /* duplicate of APIC id 1 */
    memcpy(e + 4, &(uint32_t){1}, 4);
    memcpy(e + 8, &(uint32_t){1}, 4);
    madt_end();
    hpet_table(0xfed00000);
    mcfg_table();
    roots();
    rsdp(rev, RSDT, XSDT);
}

START_TEST(acpi_standard_v2)
{
    standard_machine(2);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_int_eq(info.used_xsdt, 1);
    ck_assert_str_eq(info.oem_id, "SKOLLT");
    ck_assert_int_eq(info.have_madt, 1);
    ck_assert_uint_eq(info.lapic_addr, 0xfee00000);
    ck_assert_int_eq(info.pcat_compat, 1);
    ck_assert_uint_eq(info.cpu_count, 4);
    ck_assert_int_eq(info.cpus[0].enabled, 1);
    ck_assert_int_eq(info.cpus[2].enabled, 0);
    ck_assert_int_eq(info.cpus[2].online_capable, 1);
    ck_assert_uint_eq(info.cpus[3].apic_id, 300);
    ck_assert_int_eq(info.cpus[3].x2apic, 1);
    ck_assert_uint_eq(info.ioapic_count, 1);
    ck_assert_uint_eq(info.ioapics[0].addr, 0xfec00000);
    ck_assert_uint_eq(info.iso_count, 2);
    ck_assert_uint_eq(info.nmi_count, 1);
    ck_assert_uint_eq(info.nmis[0].uid, ACPI_UID_ALL);
    ck_assert_uint_eq(info.nmis[0].lint, 1);
    ck_assert_int_eq(info.have_hpet, 1);
    ck_assert_uint_eq(info.hpet_addr, 0xfed00000);
    ck_assert_uint_eq(info.mcfg_count, 1);
    ck_assert_uint_eq(info.mcfg[0].base, 0xb0000000);
    ck_assert_uint_eq(info.mcfg[0].bus_end, 0xff);
    ck_assert_uint_eq(info.errors, 1); /* the broken MCFG entry */

    uint32_t gsi;
    uint16_t fl;
    ck_assert_int_eq(acpi_isa_to_gsi(&info, 0, &gsi, &fl), 1);
    ck_assert_uint_eq(gsi, 2);
    ck_assert_uint_eq(fl, ACPI_POL_HIGH | ACPI_TRIG_EDGE);
    ck_assert_int_eq(acpi_isa_to_gsi(&info, 9, &gsi, &fl), 1);
    ck_assert_uint_eq(fl, ACPI_POL_LOW | ACPI_TRIG_LEVEL);
    ck_assert_int_eq(acpi_isa_to_gsi(&info, 4, &gsi, &fl), 0);
    ck_assert_uint_eq(gsi, 4);
}
END_TEST

START_TEST(acpi_v1_uses_rsdt)
{
    standard_machine(0);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.used_xsdt, 0);
    ck_assert_uint_eq(info.cpu_count, 4);
    ck_assert_int_eq(info.have_hpet, 1);
}
END_TEST

START_TEST(acpi_broken_xsdt_falls_back)
{
    standard_machine(2);
    mem[XSDT + 20] ^= 0x55; /* checksum now wrong */
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_int_eq(info.used_xsdt, 0);
    ck_assert_uint_eq(info.cpu_count, 4);
    ck_assert_uint_ge(info.errors, 1);
}
END_TEST

START_TEST(acpi_bad_rsdp)
{
    standard_machine(2);
    mem[0x100] = 'X';
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), -1);
    standard_machine(2);
    mem[0x120] ^= 1; /* extended checksum broken */
    ck_assert_uint_eq(acpi_rsdp_valid(mem + 0x100, 36), 0);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), -1);
    standard_machine(2);
    ck_assert_uint_eq(acpi_rsdp_valid(mem + 0x100, 30), 0); /* v2 truncated */
    ck_assert_int_eq(acpi_parse(NULL, 0, fake_map, &info), -1);
    /* roots pointing outside memory */
    standard_machine(2);
    rsdp(2, 0xfffff000, 0xffffffff00ull);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), -1);
    ck_assert_uint_eq(info.cpu_count, 0);
}
END_TEST

START_TEST(acpi_rsdp_scan_finds)
{
    standard_machine(2);
    ck_assert_int_eq(acpi_rsdp_scan(mem, 0x1000), 0x100);
    ck_assert_int_eq(acpi_rsdp_scan(mem + 0x200, 0x800), -1);
    ck_assert_int_eq(acpi_rsdp_scan(mem, 0x10), -1);
    /* v2 RSDP straddling the end of the scanned area is not accepted */
    ck_assert_int_eq(acpi_rsdp_scan(mem, 0x100 + 30), -1);
}
END_TEST

START_TEST(acpi_madt_zero_length_entry)
{
    standard_machine(2);
    madt_begin();
    lapic(0, 0, 1);
    madt_entry(0, 0); /* zero length: must stop, not loop */
    lapic(1, 1, 1);
    madt_end();
    roots();
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_uint_eq(info.cpu_count, 1);
    ck_assert_uint_ge(info.errors, 1);
}
END_TEST

START_TEST(acpi_madt_overlong_and_short_entries)
{
    standard_machine(2);
    madt_begin();
    lapic(0, 0, 1);
    madt_entry(1, 6);                  /* I/O APIC entry too short for its type */
    uint8_t *e = madt_entry(0, 8);     /* a CPU whose entry claims to run past the table */
    e[1] = 200;
    e[4] = 1;
    madt_end();
    roots();
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_uint_eq(info.cpu_count, 1);
    ck_assert_uint_eq(info.ioapic_count, 0);
    ck_assert_uint_ge(info.errors, 2);
}
END_TEST

START_TEST(acpi_madt_too_many_cpus)
{
    standard_machine(2);
    madt_begin();
    for (int i = 0; i < ACPI_MAX_CPUS + 10; i++)
        lapic((uint8_t)i, (uint8_t)i, 1);
    madt_end();
    roots();
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_uint_eq(info.cpu_count, ACPI_MAX_CPUS);
    ck_assert_uint_eq(info.dropped, 10);
}
END_TEST

START_TEST(acpi_table_length_lies)
{
    /* MADT with a huge length, HPET with a length shorter than its header, MCFG bad checksum */
    standard_machine(2);
    put32(MADT + 4, 0x7fffffff);
    put32(HPET + 4, 20);
    mem[MCFG + 40] ^= 1;
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_int_eq(info.have_madt, 0);
    ck_assert_int_eq(info.have_hpet, 0);
    ck_assert_uint_eq(info.mcfg_count, 0);
    ck_assert_uint_eq(info.errors, 3);
}
END_TEST

START_TEST(acpi_root_count_overflows)
{
    /* RSDT length not a multiple of the entry size, and entries naming junk */
    standard_machine(0);
    sdt(RSDT, "RSDT", 36 + 4 + 4 + 3);
    put32(RSDT + 36, 0);
    put32(RSDT + 40, MADT);
    finish(RSDT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.have_madt, 1);
    ck_assert_int_eq(info.have_hpet, 0);
    ck_assert_uint_eq(info.errors, 1);
}
END_TEST

START_TEST(acpi_hpet_io_space_rejected)
{
    standard_machine(2);
    mem[HPET + 40] = 1; /* system I/O space: not usable */
    finish(HPET);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 36, fake_map, &info), 0);
    ck_assert_int_eq(info.have_hpet, 0);
}
END_TEST

/* ---- FADT and the DSDT's \_S5_ ---- */

#define FADT 0x4000
#define DSDT 0x5000
#define DSDT2 0x6000

/* A DSDT whose body is a Scope, then Name (_S5_, Package () {a, b, Zero, Zero}). */
static void dsdt_table(uint64_t at, uint8_t a, uint8_t b)
{
    static const uint8_t head[] = {0x10, 0x05, '\\', 0x00, 0x00, 0x08, '_', 'S', '5', '_',
                                   0x12, 0x08, 0x04};
    sdt(at, "DSDT", 36 + sizeof head + 6);
    memcpy(mem + at + 36, head, sizeof head);
    uint8_t *e = mem + at + 36 + sizeof head;
    e[0] = 0x0a;
    e[1] = a;
    e[2] = 0x0a;
    e[3] = b;
    e[4] = e[5] = 0x00;
    finish(at);
}

/* A FADT of len bytes (116: ACPI 1.0; 276: ACPI 6) naming DSDT, PM1a_CNT at I/O 0x604,
   SMI_CMD 0xb2 / 0xf1, and from 129 bytes on a reset register at I/O 0xcf9 = 6. */
static void fadt_table(uint32_t len, uint32_t flags)
{
    sdt(FADT, "FACP", len);
    mem[FADT + 8] = len >= 244 ? 6 : 1;
    put32(FADT + 40, DSDT);
    put32(FADT + 48, 0xb2);
    mem[FADT + 52] = 0xf1;
    put32(FADT + 64, 0x604);
    mem[FADT + 89] = 2;
    put32(FADT + 112, flags);
    if (len >= 129) {
        mem[FADT + 116] = ACPI_GAS_IO;
        mem[FADT + 117] = 8;
        put64(FADT + 120, 0xcf9);
        mem[FADT + 128] = 6;
    }
    finish(FADT);
}

/* RSDP v1 -> RSDT naming only the FADT. */
static void fadt_machine(uint32_t fadt_len, uint32_t flags)
{
    memset(mem, 0, sizeof mem);
    dsdt_table(DSDT, 5, 6);
    fadt_table(fadt_len, flags);
    sdt(RSDT, "RSDT", 36 + 4);
    put32(RSDT + 36, FADT);
    finish(RSDT);
    rsdp(0, RSDT, 0);
}

START_TEST(acpi_fadt_acpi1)
{
    fadt_machine(116, ACPI_FADT_RESET_REG_SUP);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    const struct acpi_fadt *f = &info.fadt;
    ck_assert_int_eq(f->present, 1);
    ck_assert_uint_eq(f->smi_cmd, 0xb2);
    ck_assert_uint_eq(f->acpi_enable, 0xf1);
    ck_assert_uint_eq(f->pm1a_cnt.space, ACPI_GAS_IO);
    ck_assert_uint_eq(f->pm1a_cnt.address, 0x604);
    ck_assert_uint_eq(f->pm1b_cnt.address, 0); /* absent */
    ck_assert_uint_eq(f->flags & ACPI_FADT_RESET_REG_SUP, 0); /* no room for the register */
    ck_assert_uint_eq(f->dsdt, DSDT);
    ck_assert_int_eq(f->have_s5, 1);
    ck_assert_uint_eq(f->slp_typ_a, 5);
    ck_assert_uint_eq(f->slp_typ_b, 6);
    ck_assert_uint_eq(info.errors, 0);
}
END_TEST

START_TEST(acpi_fadt_extended_fields_win)
{
    fadt_machine(276, ACPI_FADT_RESET_REG_SUP);
    dsdt_table(DSDT2, 2, 3);
    put64(FADT + 140, DSDT2); /* X_DSDT */
    mem[FADT + 172] = ACPI_GAS_MEMORY; /* X_PM1a_CNT_BLK */
    mem[FADT + 173] = 16;
    put64(FADT + 176, 0xfed80004);
    mem[FADT + 184] = 7; /* X_PM1b_CNT_BLK in an unusable space: the legacy field (0) */
    put64(FADT + 188, 0x1234);
    finish(FADT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    const struct acpi_fadt *f = &info.fadt;
    ck_assert_uint_eq(f->revision, 6);
    ck_assert_uint_eq(f->pm1a_cnt.space, ACPI_GAS_MEMORY);
    ck_assert_uint_eq(f->pm1a_cnt.address, 0xfed80004);
    ck_assert_uint_eq(f->pm1b_cnt.address, 0);
    ck_assert_uint_ne(f->flags & ACPI_FADT_RESET_REG_SUP, 0);
    ck_assert_uint_eq(f->reset_reg.space, ACPI_GAS_IO);
    ck_assert_uint_eq(f->reset_reg.address, 0xcf9);
    ck_assert_uint_eq(f->reset_value, 6);
    ck_assert_uint_eq(f->dsdt, DSDT2);
    ck_assert_int_eq(f->have_s5, 1);
    ck_assert_uint_eq(f->slp_typ_a, 2);
    ck_assert_uint_eq(f->slp_typ_b, 3);
}
END_TEST

START_TEST(acpi_fadt_broken)
{
    /* shorter than the ACPI 1.0 table: skipped */
    fadt_machine(100, 0);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.fadt.present, 0);
    ck_assert_uint_eq(info.errors, 1);
    /* a DSDT with a wrong checksum, outside memory, of another signature, without _S5_ */
    fadt_machine(116, 0);
    mem[DSDT + 40] ^= 1;
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.fadt.present, 1);
    ck_assert_int_eq(info.fadt.have_s5, 0);
    ck_assert_uint_eq(info.errors, 1);
    fadt_machine(116, 0);
    put32(FADT + 40, 0xfffff000);
    finish(FADT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.fadt.have_s5, 0);
    fadt_machine(116, 0);
    memcpy(mem + DSDT, "SSDT", 4);
    finish(DSDT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.fadt.have_s5, 0);
    fadt_machine(116, 0);
    mem[DSDT + 36 + 8] = '4'; /* _S4_ */
    finish(DSDT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.fadt.have_s5, 0);
    ck_assert_uint_eq(info.errors, 0);
    /* a DSDT whose package length runs past the table's end */
    fadt_machine(116, 0);
    mem[DSDT + 36 + 11] = 0x20;
    finish(DSDT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_int_eq(info.fadt.have_s5, 0);
    /* no PM1 control block at all (legacy length 0) */
    fadt_machine(116, 0);
    mem[FADT + 89] = 0;
    finish(FADT);
    ck_assert_int_eq(acpi_parse(mem + 0x100, 20, fake_map, &info), 0);
    ck_assert_uint_eq(info.fadt.pm1a_cnt.address, 0);
}
END_TEST

Suite *suite_acpi(void)
{
    Suite *s = suite_create("acpi");
    unit_add(s, acpi_standard_v2);
    unit_add(s, acpi_v1_uses_rsdt);
    unit_add(s, acpi_broken_xsdt_falls_back);
    unit_add(s, acpi_bad_rsdp);
    unit_add(s, acpi_rsdp_scan_finds);
    unit_add(s, acpi_madt_zero_length_entry);
    unit_add(s, acpi_madt_overlong_and_short_entries);
    unit_add(s, acpi_madt_too_many_cpus);
    unit_add(s, acpi_table_length_lies);
    unit_add(s, acpi_root_count_overflows);
    unit_add(s, acpi_hpet_io_space_rejected);
    unit_add(s, acpi_fadt_acpi1);
    unit_add(s, acpi_fadt_extended_fields_win);
    unit_add(s, acpi_fadt_broken);
    return s;
}
