/* The monotonic clock: nanoseconds derived from the TSC with a calibrated rate. */
#include <k/hot.h>
#include <k/clock.h>
#include <arch/cpu.h>

static KHOT uint64_t tsc_khz;
static KHOT uint64_t tsc_base;

void clock_set_tsc_khz(uint64_t khz)
{
    tsc_base = rdtsc();
    tsc_khz = khz;
}

uint64_t clock_tsc_khz(void)
{
    return tsc_khz;
}

uint64_t clock_ns(void)
{
    if (!tsc_khz)
        return 0;
    uint64_t d = rdtsc() - tsc_base;
    /* d * 1e6 / khz, split so that nothing overflows */
    return d / tsc_khz * 1000000u + d % tsc_khz * 1000000u / tsc_khz;
}
