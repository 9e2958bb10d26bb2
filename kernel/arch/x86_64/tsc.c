/*
 * TSC calibration. The TSC is measured over a few milliseconds against the
 * HPET (preferred: known period, readable at any time) or, without one, PIT
 * channel 2 counting down in mode 0, read through its latch.
 */
#include <arch/time.h>
#include <arch/hpet.h>
#include <arch/cpu.h>
#include <k/clock.h>
#include <k/log.h>
#include <k/cmdline.h>
#include <k/bootinfo.h>
#include <k/platform.h>

#define CALIB_US 5000
#define PIT_HZ 1193182u
#define SAMPLES 8

/*
 * Calibration pairs a TSC value with a reference-counter value. The vCPU (or a
 * real CPU taking an SMI) can be held up at any moment, so each pair is the
 * tightest of several TSC-bracketed reads: a delay between the two pairs
 * costs nothing, a delay inside a pair is thrown away.
 */
struct pair {
    uint64_t tsc;
    uint64_t ref;
};

static struct pair sample(uint64_t (*read_ref)(void))
{
    struct pair best = {0, 0};
    uint64_t best_width = ~0ull;
    for (int i = 0; i < SAMPLES; i++) {
        uint64_t a = rdtsc();
        uint64_t r = read_ref();
        uint64_t b = rdtsc();
        if (b - a < best_width) {
            best_width = b - a;
            best = (struct pair){a + (b - a) / 2, r};
        }
    }
    return best;
}

static uint64_t read_hpet(void)
{
    return hpet_counter();
}

/* Returns the TSC rate in kHz, or 0 if the HPET does not advance. */
static uint64_t calibrate_hpet(void)
{
    uint64_t period = hpet_period_fs();
    uint64_t want = (uint64_t)CALIB_US * 1000000000ull / period; /* ticks in CALIB_US */
    struct pair p0 = sample(read_hpet);
    for (uint64_t spins = 0; hpet_ticks_since(p0.ref) < want; spins++)
        if (spins > 100000000ull)
            return 0;
    struct pair p1 = sample(read_hpet);
    uint64_t ns = (p1.ref - p0.ref) * period / 1000000u;
    if (p1.ref < p0.ref) /* a 32-bit counter wrapped */
        ns = hpet_ticks_since(p0.ref) * period / 1000000u;
    return ns ? (p1.tsc - p0.tsc) * 1000000u / ns : 0;
}

/* PIT channel 2's current count (mode 0 counts down), latched so both bytes match. */
static uint64_t read_pit(void)
{
    outb(0x43, 0x80);
    uint8_t lo = inb(0x42);
    uint8_t hi = inb(0x42);
    return (uint64_t)(hi << 8 | lo);
}

/* Returns the TSC rate in kHz, or 0 if the PIT does not count. */
static uint64_t calibrate_pit(void)
{
    uint32_t want = (uint32_t)((uint64_t)PIT_HZ * CALIB_US / 1000000u);
    for (int attempt = 0; attempt < 4; attempt++) {
        /* gate channel 2 on, speaker off; channel 2, lobyte/hibyte, mode 0, from 0xffff */
        outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
        outb(0x43, 0xb0);
        outb(0x42, 0xff);
        outb(0x42, 0xff);
        struct pair p0 = sample(read_pit);
        uint64_t spins = 0;
        while (p0.ref - read_pit() < want && !(inb(0x61) & 0x20) && ++spins < 100000000ull)
            ;
        struct pair p1 = sample(read_pit);
        /* output high: the count reached zero (55 ms passed), so it may have wrapped */
        if (inb(0x61) & 0x20 || p1.ref >= p0.ref)
            continue;
        uint64_t ns = (p0.ref - p1.ref) * 1000000000ull / PIT_HZ;
        if (ns)
            return (p1.tsc - p0.tsc) * 1000000u / ns;
    }
    return 0;
}

uint64_t tsc_calibrate(void)
{
    const char *src = "HPET";
    uint64_t khz = 0;
    if (hpet_present() && !cmdline_has(boot_info.cmdline, "nohpet"))
        khz = calibrate_hpet();
    if (!khz) {
        src = "PIT";
        khz = calibrate_pit();
    }
    if (!khz) {
        /* better a wrong clock than none: timeouts still end */
        src = "nothing (guessed)";
        khz = 1000000;
    }
    clock_set_tsc_khz(khz);
    log_info("time: TSC %lu.%03lu MHz (calibrated against %s)", (unsigned long)(khz / 1000),
             (unsigned long)(khz % 1000), src);
    return khz;
}

void udelay(uint64_t us)
{
    uint64_t end = clock_ns() + us * 1000;
    while (clock_ns() < end)
        cpu_relax();
}
