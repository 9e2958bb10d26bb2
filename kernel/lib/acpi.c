/*
 * ACPI static table parser: RSDP, RSDT/XSDT, MADT, HPET, MCFG, FADT (with the DSDT's \_S5_
 * package, kernel/lib/acpi_aml.c). Pure code,
 * shared with the host unit tests. Every table is mapped through the caller's
 * callback, its length bounded and its checksum verified before any field is
 * read; every MADT entry is bounds-checked against its table. Anything broken
 * is skipped and counted, never trusted.
 */
#include <k/acpi.h>
#include <base/string.h>
#include <base/unaligned.h>

#define SDT_HEADER_LEN 36

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

size_t acpi_rsdp_valid(const void *p, size_t avail)
{
    const uint8_t *r = p;
    if (!r || avail < 20 || memcmp(r, "RSD PTR ", 8) != 0 || sum8(r, 20) != 0)
        return 0;
    if (r[15] < 2)
        return 20;
    if (avail < 36)
        return 0;
    uint32_t len = load_le32(r + 20);
    if (len < 36 || len > avail || sum8(r, len) != 0)
        return 0;
    return len;
}

long acpi_rsdp_scan(const void *area, size_t len)
{
    const uint8_t *a = area;
    for (size_t off = 0; off + 20 <= len; off += 16)
        if (acpi_rsdp_valid(a + off, len - off))
            return (long)off;
    return -1;
}

/* Map a whole SDT: header first, then its full length. Returns the table or NULL. */
static const uint8_t *map_sdt(acpi_map_fn map, uint64_t phys, const char *want_sig,
                              uint32_t *len_out, struct acpi_info *out)
{
    if (!phys)
        goto bad;
    const uint8_t *h = map(phys, SDT_HEADER_LEN);
    if (!h)
        goto bad;
    uint32_t len = load_le32(h + 4);
    if ((want_sig && memcmp(h, want_sig, 4) != 0) || len < SDT_HEADER_LEN || len > ACPI_MAX_TABLE_LEN)
        goto bad;
    const uint8_t *t = map(phys, len);
    if (!t || sum8(t, len) != 0)
        goto bad;
    *len_out = len;
    return t;
bad:
    out->errors++;
    return NULL;
}

static void add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    int x2apic)
{
    int enabled = flags & 1, capable = (flags >> 1) & 1;
    if (!enabled && !capable)
        return; /* the firmware says: never use this one */
    for (size_t i = 0; i < out->cpu_count; i++)
        if (out->cpus[i].apic_id == apic_id)
            return; /* listed as both local APIC and x2APIC */
    if (out->cpu_count >= ACPI_MAX_CPUS) {
        out->dropped++;
        return;
    }
    out->cpus[out->cpu_count++] = (struct acpi_cpu){
        .apic_id = apic_id, .uid = uid, .enabled = (uint8_t)enabled,
        .online_capable = (uint8_t)(!enabled && capable), .x2apic = (uint8_t)x2apic};
}

static void add_nmi(struct acpi_info *out, uint32_t uid, uint16_t flags, uint8_t lint)
{
    if (lint > 1) {
        out->errors++;
        return;
    }
    if (out->nmi_count >= ACPI_MAX_NMIS) {
        out->dropped++;
        return;
    }
    out->nmis[out->nmi_count++] = (struct acpi_lapic_nmi){uid, flags, lint};
}

/* One MADT entry of len bytes (len >= 2, fits the table). */
static void madt_entry(struct acpi_info *out, const uint8_t *e, uint8_t len)
{
    static const uint8_t min_len[] = {[0] = 8, [1] = 12, [2] = 10, [4] = 6, [5] = 12,
                                      [9] = 16, [10] = 12};
    uint8_t type = e[0];
    if (type < sizeof min_len && min_len[type] && len < min_len[type]) {
        out->errors++;
        return;
    }
    switch (type) {
    case 0: /* processor local APIC */
        add_cpu(out, e[3], e[2], load_le32(e + 4), 0);
        break;
    case 1: /* I/O APIC */
        if (out->ioapic_count >= ACPI_MAX_IOAPICS) {
            out->dropped++;
            break;
        }
        out->ioapics[out->ioapic_count++] =
            (struct acpi_ioapic){.id = e[2], .addr = load_le32(e + 4), .gsi_base = load_le32(e + 8)};
        break;
    case 2: /* interrupt source override */
        if (out->iso_count >= ACPI_MAX_ISOS) {
            out->dropped++;
            break;
        }
        out->isos[out->iso_count++] = (struct acpi_iso){e[2], e[3], load_le32(e + 4), load_le16(e + 8)};
        break;
    case 4: /* local APIC NMI */
        add_nmi(out, e[2] == 0xff ? ACPI_UID_ALL : e[2], load_le16(e + 3), e[5]);
        break;
    case 5: /* local APIC address override */
        out->lapic_addr = load_le64(e + 4);
        break;
    case 9: /* processor local x2APIC */
        add_cpu(out, load_le32(e + 4), load_le32(e + 12), load_le32(e + 8), 1);
        break;
    case 10: /* local x2APIC NMI */
        add_nmi(out, load_le32(e + 4), load_le16(e + 2), e[8]);
        break;
    default:
        break;
    }
}

static void parse_madt(struct acpi_info *out, const uint8_t *t, uint32_t len)
{
    if (len < 44) {
        out->errors++;
        return;
    }
    out->have_madt = 1;
    /* an address override (type 5) may replace this while walking */
    out->lapic_addr = load_le32(t + 36);
    out->pcat_compat = load_le32(t + 40) & 1;
    uint32_t off = 44;
    while (off + 2 <= len) {
        uint8_t elen = t[off + 1];
        if (elen < 2 || elen > len - off) {
            out->errors++; /* a zero length would loop forever; an overlong one overruns */
            break;
        }
        madt_entry(out, t + off, elen);
        off += elen;
    }
}

static void parse_hpet(struct acpi_info *out, const uint8_t *t, uint32_t len)
{
    /* base address is a Generic Address Structure at 40; space 0 = system memory */
    if (len < 56 || t[40] != 0 || load_le64(t + 44) == 0) {
        out->errors++;
        return;
    }
    out->have_hpet = 1;
    out->hpet_addr = load_le64(t + 44);
    out->hpet_number = t[52];
    out->hpet_min_tick = load_le16(t + 53);
}

static void parse_mcfg(struct acpi_info *out, const uint8_t *t, uint32_t len)
{
    if (len < 44) {
        out->errors++;
        return;
    }
    for (uint32_t off = 44; off + 16 <= len; off += 16) {
        const uint8_t *e = t + off;
        uint64_t base = load_le64(e);
        uint8_t start = e[10], end = e[11];
        if (!base || end < start) {
            out->errors++;
            continue;
        }
        if (out->mcfg_count >= ACPI_MAX_MCFG) {
            out->dropped++;
            continue;
        }
        out->mcfg[out->mcfg_count++] = (struct acpi_mcfg){base, load_le16(e + 8), start, end};
    }
}

static struct acpi_gas gas_at(const uint8_t *p)
{
    return (struct acpi_gas){.space = p[0], .bit_width = p[1], .bit_offset = p[2],
                             .access_size = p[3], .address = load_le64(p + 4)};
}

/* A PM1 control block: the extended GAS when the table has one that is usable (I/O or memory
   space, non-zero), else the legacy I/O port (PM1_CNT_LEN >= 2), else absent (address 0). */
static struct acpi_gas pm1_cnt(const uint8_t *t, uint32_t len, uint32_t legacy_off,
                               uint32_t x_off, uint8_t cnt_len)
{
    if (len >= x_off + 12) {
        struct acpi_gas x = gas_at(t + x_off);
        if (x.address && (x.space == ACPI_GAS_IO || x.space == ACPI_GAS_MEMORY))
            return x;
    }
    uint32_t port = load_le32(t + legacy_off);
    if (port && port <= 0xfffe && cnt_len >= 2)
        return (struct acpi_gas){.space = ACPI_GAS_IO, .bit_width = 16, .access_size = 2,
                                 .address = port};
    return (struct acpi_gas){0};
}

/*
 * FADT (ACPI 6.5 §5.2.9): the fields power-off and reset use; the table may be any revision,
 * so each field is read only when the table's length covers it. Then the DSDT it names, for
 * the \_S5_ package.
 */
static void parse_fadt(struct acpi_info *out, acpi_map_fn map, const uint8_t *t, uint32_t len)
{
    if (len < 116) { /* up to and including Flags: every FADT since ACPI 1.0 has them */
        out->errors++;
        return;
    }
    struct acpi_fadt *f = &out->fadt;
    f->present = 1;
    f->revision = t[8];
    f->smi_cmd = load_le32(t + 48);
    f->acpi_enable = t[52];
    f->flags = load_le32(t + 112);
    f->pm1a_cnt = pm1_cnt(t, len, 64, 172, t[89]);
    f->pm1b_cnt = pm1_cnt(t, len, 68, 184, t[89]);
    if (len >= 129) {
        f->reset_reg = gas_at(t + 116);
        f->reset_value = t[128];
    } else {
        f->flags &= ~ACPI_FADT_RESET_REG_SUP; /* an ACPI 1.0 table cannot have one */
    }
    if (len >= 256)
        f->sleep_control = gas_at(t + 244);
    f->dsdt = load_le32(t + 40);
    if (len >= 148 && load_le64(t + 140))
        f->dsdt = load_le64(t + 140);
    uint32_t dlen = 0;
    const uint8_t *d = map_sdt(map, f->dsdt, "DSDT", &dlen, out);
    if (d && acpi_aml_find_s5(d + SDT_HEADER_LEN, dlen - SDT_HEADER_LEN, &f->slp_typ_a,
                              &f->slp_typ_b) == 0)
        f->have_s5 = 1;
}

/* Walk a root table (entry_size 4 = RSDT, 8 = XSDT) and parse the tables we know. */
static void walk_root(struct acpi_info *out, acpi_map_fn map, const uint8_t *root, uint32_t len,
                      unsigned entry_size)
{
    uint32_t n = (len - SDT_HEADER_LEN) / entry_size;
    if (n > ACPI_MAX_ROOT_ENTRIES)
        n = ACPI_MAX_ROOT_ENTRIES;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = root + SDT_HEADER_LEN + i * entry_size;
        uint64_t phys = entry_size == 8 ? load_le64(e) : load_le32(e);
        uint32_t tlen = 0;
        const uint8_t *t = map_sdt(map, phys, NULL, &tlen, out);
        if (!t)
            continue;
        /* the first valid table of each kind wins */
        if (!memcmp(t, "APIC", 4) && !out->have_madt)
            parse_madt(out, t, tlen);
        else if (!memcmp(t, "HPET", 4) && !out->have_hpet)
            parse_hpet(out, t, tlen);
        else if (!memcmp(t, "MCFG", 4) && !out->mcfg_count)
            parse_mcfg(out, t, tlen);
        else if (!memcmp(t, "FACP", 4) && !out->fadt.present)
            parse_fadt(out, map, t, tlen);
    }
}

int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, struct acpi_info *out)
{
    memset(out, 0, sizeof *out);
    size_t rlen = acpi_rsdp_valid(rsdp, rsdp_len);
    if (!rlen) {
        out->errors++;
        return -1;
    }
    const uint8_t *r = rsdp;
    uint8_t rev = r[15];
    uint32_t len = 0;
    const uint8_t *root = NULL;
    unsigned esz = 4;
    if (rev >= 2) {
        root = map_sdt(map, load_le64(r + 24), "XSDT", &len, out);
        esz = 8;
    }
    if (!root) {
        root = map_sdt(map, load_le32(r + 16), "RSDT", &len, out);
        esz = 4;
    }
    if (!root) {
        unsigned errors = out->errors + 1;
        memset(out, 0, sizeof *out);
        out->errors = errors;
        return -1;
    }
    out->revision = rev;
    out->used_xsdt = esz == 8;
    memcpy(out->oem_id, r + 9, 6);
    out->oem_id[6] = '\0';
    walk_root(out, map, root, len, esz);
    return 0;
}

int acpi_isa_to_gsi(const struct acpi_info *info, unsigned isa_irq, uint32_t *gsi,
                    uint16_t *flags)
{
    *gsi = isa_irq;
    *flags = ACPI_POL_HIGH | ACPI_TRIG_EDGE;
    for (size_t i = 0; i < info->iso_count; i++) {
        const struct acpi_iso *o = &info->isos[i];
        if (o->bus != 0 || o->source != isa_irq)
            continue;
        *gsi = o->gsi;
        uint16_t pol = o->flags & ACPI_POL_MASK, trig = o->flags & ACPI_TRIG_MASK;
        /* 0 means "conforms to the bus" (ISA: active high, edge); 2 is reserved */
        *flags = (uint16_t)((pol == ACPI_POL_LOW ? ACPI_POL_LOW : ACPI_POL_HIGH) |
                            (trig == ACPI_TRIG_LEVEL ? ACPI_TRIG_LEVEL : ACPI_TRIG_EDGE));
        return 1;
    }
    return 0;
}
