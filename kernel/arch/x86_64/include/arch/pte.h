/* x86-64 page-table entry bits (4-level paging). */
#pragma once

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)  /* in PDPT/PD entries: 1 GiB / 2 MiB page */
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_ADDR_2M 0x000fffffffe00000ull

#define PT_ENTRIES 512
#define PT_SHIFT(level) (12 + 9 * (level)) /* level 0 = PT ... 3 = PML4 */
#define PT_INDEX(va, level) (((va) >> PT_SHIFT(level)) & 511)

/* PAT: index 0 WB, 1 WC, 2 UC-, 3 UC (PCD|PWT), repeated for the PAT bit. */
#define PAT_VALUE 0x0007010600070106ull
#define PTE_CACHE_UC (PTE_PCD | PTE_PWT)

#define CR0_WP (1ull << 16)
