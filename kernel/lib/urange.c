/*
 * User range arithmetic (see k/urange.h). Every check is written so that no
 * intermediate sum can wrap: compare against what is left, never add first.
 */
#include <k/urange.h>

sk_error_t urange_check_prot(unsigned prot, int map_flags)
{
    unsigned allowed = SK_PROT_READ | SK_PROT_WRITE | SK_PROT_EXEC;
    if (map_flags)
        allowed |= SK_MAP_FIXED | SK_MAP_PRIVATE;
    if (prot & ~allowed)
        return SK_ERR_INVALID;
    if ((prot & (SK_PROT_WRITE | SK_PROT_EXEC)) && !(prot & SK_PROT_READ))
        return SK_ERR_INVALID;
    return SK_OK;
}

sk_error_t urange_check_range(uint64_t addr, uint64_t len)
{
    if (len == 0)
        return SK_ERR_INVALID;
    if ((addr | len) & (USER_PAGE - 1))
        return SK_ERR_ALIGNMENT;
    if (!urange_ok(addr, len))
        return SK_ERR_OUT_OF_RANGE;
    return SK_OK;
}

sk_error_t urange_check_map(uint64_t obj_size, uint64_t offset, uint64_t addr, uint64_t len,
                            unsigned flags)
{
    sk_error_t e = urange_check_prot(flags, 1);
    if (e != SK_OK)
        return e;
    if (len == 0)
        return SK_ERR_INVALID;
    if ((addr | offset | len) & (USER_PAGE - 1))
        return SK_ERR_ALIGNMENT;
    if (offset > obj_size || len > obj_size - offset)
        return SK_ERR_OUT_OF_RANGE;
    if (len > SK_USER_TOP - USER_MIN)
        return SK_ERR_OUT_OF_RANGE;
    if ((flags & SK_MAP_FIXED) && (addr < USER_MIN || !urange_ok(addr, len)))
        return SK_ERR_OUT_OF_RANGE;
    return SK_OK;
}
