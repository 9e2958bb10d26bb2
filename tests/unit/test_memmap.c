/* Unit tests for kernel/lib/memmap.c: unsorted, overlapping and odd memory maps. */
#include "unit.h"
#include <k/memmap.h>

static struct rangeset s;

START_TEST(memmap_unsorted_overlapping)
{
    struct boot_mem_region map[] = {
        {0x100000, 0x7f00000, BOOT_MEM_USABLE},      /* 1 MiB .. 128 MiB */
        {0x0, 0x9fc00, BOOT_MEM_USABLE},
        {0x9fc00, 0x400, BOOT_MEM_RESERVED},
        {0x4000000, 0x2000000, BOOT_MEM_USABLE},     /* duplicate inside the first */
        {0x7fe0000, 0x20000, BOOT_MEM_ACPI_RECLAIM}, /* overlaps the usable end */
        {0x2000800, 0x100, BOOT_MEM_BAD},            /* odd hole: whole page lost */
        {0x100000000, 0x40000000, BOOT_MEM_USABLE},  /* above 4 GiB */
    };
    struct range res[] = {{0, 0x100000}, {0x100000, 0x180123}};
    uint64_t usable = 0;
    ck_assert_int_eq(memmap_free_ranges(map, 7, res, 2, 4096, &s, &usable), 0);
    ck_assert_uint_eq(usable, 0x9fc00 + 0x7f00000 + 0x40000000);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_uint_eq(s.r[0].start, 0x181000);
    ck_assert_uint_eq(s.r[0].end, 0x2000000);
    ck_assert_uint_eq(s.r[1].start, 0x2001000);
    ck_assert_uint_eq(s.r[1].end, 0x7fe0000);
    ck_assert_uint_eq(s.r[2].start, 0x100000000);
    ck_assert_uint_eq(s.r[2].end, 0x140000000);
}
END_TEST

START_TEST(memmap_wrapping_entry)
{
    struct boot_mem_region map[] = {
        {0xfffffffffff00000ull, 0x200000, BOOT_MEM_USABLE}, /* wraps: clipped at the top */
        {0x200000, 0x1000, BOOT_MEM_USABLE},
    };
    ck_assert_int_eq(memmap_free_ranges(map, 2, NULL, 0, 4096, &s, NULL), 0);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_uint_eq(s.r[0].start, 0x200000);
    ck_assert_uint_eq(s.r[1].start, 0xfffffffffff00000ull);
    ck_assert_uint_eq(s.r[1].end, 0xfffffffffffff000ull);
}
END_TEST

START_TEST(memmap_nothing_usable)
{
    struct boot_mem_region map[] = {{0, 0x100000, BOOT_MEM_RESERVED}};
    ck_assert_int_eq(memmap_free_ranges(map, 1, NULL, 0, 4096, &s, NULL), 0);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

Suite *suite_memmap(void)
{
    Suite *s = suite_create("memmap");
    unit_add(s, memmap_unsorted_overlapping);
    unit_add(s, memmap_wrapping_entry);
    unit_add(s, memmap_nothing_usable);
    return s;
}
