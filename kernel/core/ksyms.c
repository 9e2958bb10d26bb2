/* Symbol lookup over the sorted table that the build generates from the first link pass. */
#include <k/ksyms.h>
#include <base/string.h>

/* Emitted by tools/gen-ksyms.sh: addresses ascending, names NUL-separated. */
extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern const char __text_start[], __text_end[];

const char *ksyms_lookup(uint64_t addr, uint64_t *offset)
{
    if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end || ksyms_count == 0)
        return NULL;
    uint64_t lo = 0, hi = ksyms_count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ksyms_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_addrs[lo] > addr)
        return NULL;
    *offset = addr - ksyms_addrs[lo];
    return ksyms_names + ksyms_name_offsets[lo];
}

uint64_t ksyms_address(const char *name)
{
    for (uint64_t i = 0; i < ksyms_count; i++)
        if (strcmp(ksyms_names + ksyms_name_offsets[i], name) == 0)
            return ksyms_addrs[i];
    return 0;
}
