/*
 * Reading the loader's memory map into range sets. The map may be unsorted
 * and its entries may overlap; where a usable entry and any other entry
 * claim the same byte, the other entry wins. Pure code, unit-tested on the host.
 */
#pragma once
#include <k/bootinfo.h>
#include <k/rangeset.h>

/*
 * Fill out with the bytes only BOOT_MEM_USABLE entries cover, minus the
 * ranges in reserved[0..nreserved) (each [start, end)), shrunk to whole
 * pages of page_size. *usable_bytes (if not NULL) gets the usable total
 * before anything was taken out. Returns 0, or -1 if a set overflowed
 * (out then holds less than it should, never more).
 */
int memmap_free_ranges(const struct boot_mem_region *map, size_t n, const struct range *reserved,
                       size_t nreserved, uint64_t page_size, struct rangeset *out,
                       uint64_t *usable_bytes);
