/*
 * Parsers for the two boot protocols (multiboot2 and PVH). Pure code: every
 * pointer the loader hands us is reached through p2v and bounds-checked, so
 * the host unit tests can feed synthetic and broken structures.
 */
#include <k/bootinfo.h>
#include <base/string.h>
#include <base/unaligned.h>
#include <arch/layout.h>

static void copy_str(char *dst, size_t cap, const char *src, size_t max)
{
    size_t n = 0;
    while (n + 1 < cap && n < max && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void add_region(struct bootinfo *out, uint64_t base, uint64_t len, uint32_t type)
{
    if (out->mmap_count >= BOOT_MMAP_MAX || len == 0)
        return;
    if (type < BOOT_MEM_USABLE || type > BOOT_MEM_BAD)
        type = BOOT_MEM_RESERVED;
    out->mmap[out->mmap_count++] = (struct boot_mem_region){base, len, type};
}

static void add_module(struct bootinfo *out, uint64_t start, uint64_t end, const char *name,
                       size_t name_max)
{
    if (out->module_count >= BOOT_MODULES_MAX || end < start)
        return;
    struct boot_module *m = &out->modules[out->module_count++];
    m->start = start;
    m->end = end;
    if (name)
        copy_str(m->name, sizeof m->name, name, name_max);
    else
        m->name[0] = '\0';
}

int bootinfo_parse_mb2(const void *info, boot_p2v_fn p2v, struct bootinfo *out)
{
    (void)p2v;
    const uint8_t *base = info;
    uint32_t total = load_le32(base);
    memset(out, 0, sizeof *out);
    out->proto = BOOT_PROTO_MB2;
    out->info_size = total;
    if (total < 16 || total > (1u << 24))
        return -1;
    size_t off = 8;
    int seen_end = 0;
    while (off + 8 <= total) {
        uint32_t type = load_le32(base + off);
        uint32_t size = load_le32(base + off + 4);
        if (size < 8 || size > total - off)
            return -1;
        const uint8_t *body = base + off + 8;
        size_t blen = size - 8;
        switch (type) {
        case 0:
            seen_end = 1;
            break;
        case 1: /* command line */
            copy_str(out->cmdline, sizeof out->cmdline, (const char *)body, blen);
            break;
        case 3: /* module */
            if (blen >= 8)
                add_module(out, load_le32(body), load_le32(body + 4), (const char *)body + 8, blen - 8);
            break;
        case 6: { /* memory map */
            if (blen < 8)
                return -1;
            uint32_t esz = load_le32(body);
            if (esz < 24)
                return -1;
            for (size_t e = 8; e + esz <= blen; e += esz)
                add_region(out, load_le64(body + e), load_le64(body + e + 8), load_le32(body + e + 16));
            break;
        }
        case 14: /* ACPI 1.0 RSDP copy */
        case 15: /* ACPI 2.0+ RSDP copy */
            if (blen >= 20 && (type == 15 || out->rsdp_len == 0)) {
                out->rsdp_len = blen < sizeof out->rsdp ? blen : sizeof out->rsdp;
                memcpy(out->rsdp, body, out->rsdp_len);
            }
            break;
        default:
            break;
        }
        if (seen_end)
            break;
        off += (size + 7) & ~7u;
    }
    return seen_end ? 0 : -1;
}

#define PVH_MAGIC 0x336ec578

int bootinfo_parse_pvh(const void *start_info, boot_p2v_fn p2v, struct bootinfo *out)
{
    const uint8_t *si = start_info;
    memset(out, 0, sizeof *out);
    out->proto = BOOT_PROTO_PVH;
    out->info_size = 56;
    if (load_le32(si) != PVH_MAGIC)
        return -1;
    uint32_t version = load_le32(si + 4);
    uint32_t nr_modules = load_le32(si + 12);
    uint64_t modlist = load_le64(si + 16);
    uint64_t cmdline = load_le64(si + 24);
    uint64_t rsdp = load_le64(si + 32);

    if (cmdline) {
        const char *c = p2v(cmdline, 1);
        if (c)
            copy_str(out->cmdline, sizeof out->cmdline, c, BOOT_CMDLINE_MAX - 1);
    }
    if (nr_modules && modlist) {
        if (nr_modules > BOOT_MODULES_MAX)
            nr_modules = BOOT_MODULES_MAX;
        const uint8_t *ml = p2v(modlist, (size_t)nr_modules * 32);
        if (!ml)
            return -1;
        for (uint32_t i = 0; i < nr_modules; i++) {
            const uint8_t *m = ml + i * 32;
            uint64_t pa = load_le64(m), sz = load_le64(m + 8), name = load_le64(m + 16);
            const char *n = name ? p2v(name, 1) : NULL;
            if (pa + sz < pa)
                return -1;
            add_module(out, pa, pa + sz, n, BOOT_MODNAME_MAX - 1);
        }
    }
    if (rsdp) {
        const uint8_t *r = p2v(rsdp, 36);
        if (r) {
            out->rsdp_len = 36;
            memcpy(out->rsdp, r, 36);
        }
    }
    if (version < 1)
        return -1; /* no memory map: cannot run */
    uint64_t mmap = load_le64(si + 40);
    uint32_t entries = load_le32(si + 48);
    if (!mmap || !entries || entries > 4096)
        return -1;
    const uint8_t *mm = p2v(mmap, (size_t)entries * 24);
    if (!mm)
        return -1;
    for (uint32_t i = 0; i < entries; i++)
        add_region(out, load_le64(mm + i * 24), load_le64(mm + i * 24 + 8), load_le32(mm + i * 24 + 16));
    out->info_size = 56;
    return 0;
}
