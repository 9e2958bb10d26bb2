/* Memory-map processing for the PMM: usable bytes minus everything else. Pure code. */
#include <k/memmap.h>

static uint64_t region_end(const struct boot_mem_region *m)
{
    return m->base + m->len < m->base ? UINT64_MAX : m->base + m->len;
}

int memmap_free_ranges(const struct boot_mem_region *map, size_t n, const struct range *reserved,
                       size_t nreserved, uint64_t page_size, struct rangeset *out,
                       uint64_t *usable_bytes)
{
    int rc = 0;
    rangeset_init(out);
    for (size_t i = 0; i < n; i++)
        if (map[i].type == BOOT_MEM_USABLE && rangeset_add(out, map[i].base, region_end(&map[i])))
            rc = -1;
    if (usable_bytes)
        *usable_bytes = rangeset_total(out);
    for (size_t i = 0; i < n; i++) {
        if (map[i].type != BOOT_MEM_USABLE && rangeset_remove(out, map[i].base, region_end(&map[i]))) {
            rangeset_init(out); /* cannot take it out: hand out nothing rather than too much */
            return -1;
        }
    }
    for (size_t i = 0; i < nreserved; i++) {
        if (rangeset_remove(out, reserved[i].start, reserved[i].end)) {
            rangeset_init(out);
            return -1;
        }
    }
    rangeset_align_inward(out, page_size);
    return rc;
}
