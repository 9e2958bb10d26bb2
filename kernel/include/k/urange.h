/*
 * Pure checks on user address ranges: the arithmetic behind copy_from_user /
 * copy_to_user and the argument checks of the mapping calls. No side effects,
 * no kernel state; unit-tested on the host (tests/unit/test_urange.c).
 */
#pragma once
#include <stdint.h>
#include <skoll/errors.h>
#include <skoll/syscalls.h>

/* Lowest address a mapping may start at: the first 64 KiB stay unmapped so null
   pointer dereferences (with small offsets) always fault. */
#define USER_MIN 0x10000ull
#define USER_PAGE 4096ull

/*
 * True if the n bytes at addr are all user addresses: no wrap-around and
 * addr + n <= SK_USER_TOP (which also makes them canonical). n == 0 is
 * accepted for any addr <= SK_USER_TOP.
 */
static inline int urange_ok(uint64_t addr, uint64_t n)
{
    return addr <= SK_USER_TOP && n <= SK_USER_TOP - addr;
}

/*
 * Check protection bits for map/protect: only SK_PROT_READ/WRITE/EXEC (plus
 * SK_MAP_FIXED/SK_MAP_PRIVATE when map_flags), and WRITE or EXEC only together
 * with READ. Returns SK_OK or SK_ERR_INVALID.
 */
sk_error_t urange_check_prot(unsigned prot, int map_flags);

/*
 * Check [addr, addr+len) for unmap/protect: len > 0 (SK_ERR_INVALID), both
 * page aligned (SK_ERR_ALIGNMENT), no wrap and addr + len <= SK_USER_TOP
 * (SK_ERR_OUT_OF_RANGE).
 */
sk_error_t urange_check_range(uint64_t addr, uint64_t len);

/*
 * Check a mapping request of len bytes of an object of obj_size bytes from
 * offset at addr (an exact address with SK_MAP_FIXED, otherwise a hint that
 * is only checked for alignment), flags SK_PROT_* | SK_MAP_*. In this order:
 * bad flags SK_ERR_INVALID; len == 0 SK_ERR_INVALID; addr, offset or len not
 * page aligned SK_ERR_ALIGNMENT; offset + len wraps or exceeds obj_size
 * SK_ERR_OUT_OF_RANGE; with SK_MAP_FIXED, addr < USER_MIN or addr + len wraps
 * or exceeds SK_USER_TOP SK_ERR_OUT_OF_RANGE; without it, len larger than
 * the whole user range SK_ERR_OUT_OF_RANGE.
 */
sk_error_t urange_check_map(uint64_t obj_size, uint64_t offset, uint64_t addr, uint64_t len,
                            unsigned flags);
