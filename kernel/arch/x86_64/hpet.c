/* HPET: only the main counter is used (TSC calibration, clock self test); no comparators. */
#include <arch/hpet.h>
#include <k/vm.h>

#define HPET_CAP 0x00
#define HPET_CONFIG 0x10
#define HPET_COUNTER 0xf0
#define HPET_CAP_64BIT (1u << 13)
#define HPET_ENABLE 1u

static volatile uint8_t *hpet;
static uint64_t period_fs;
static int wide;

static uint64_t rd(unsigned reg) { return *(volatile uint64_t *)(hpet + reg); }
static void wr(unsigned reg, uint64_t v) { *(volatile uint64_t *)(hpet + reg) = v; }

int hpet_init(uint64_t phys)
{
    volatile uint8_t *h = vm_map_mmio(phys, 1024);
    if (!h)
        return -1;
    uint64_t cap = *(volatile uint64_t *)(h + HPET_CAP);
    uint64_t period = cap >> 32;
    /* the specification bounds the period to (0, 100 ns] */
    if (period == 0 || period > 100000000ull)
        return -1;
    hpet = h;
    period_fs = period;
    wide = (cap & HPET_CAP_64BIT) != 0;
    wr(HPET_CONFIG, rd(HPET_CONFIG) | HPET_ENABLE);
    return 0;
}

int hpet_present(void)
{
    return hpet != 0;
}

uint64_t hpet_counter(void)
{
    if (!hpet)
        return 0;
    if (wide)
        return rd(HPET_COUNTER);
    return *(volatile uint32_t *)(hpet + HPET_COUNTER);
}

uint64_t hpet_period_fs(void)
{
    return period_fs;
}

uint64_t hpet_ticks_since(uint64_t start)
{
    uint64_t now = hpet_counter();
    return wide ? now - start : (uint32_t)(now - start);
}
