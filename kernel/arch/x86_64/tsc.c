/*
 * TSC calibration. The TSC is measured over a few milliseconds against the
 * HPET (preferred: known period, readable at any time) or, without one, PIT
 * channel 2 counting down in mode 0 with its output visible in port 0x61.
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

/* Returns the TSC rate in kHz, or 0 if the HPET does not advance. */
static uint64_t calibrate_hpet(void)
{
    uint64_t period = hpet_period_fs();
    uint64_t want = (uint64_t)CALIB_US * 1000000000ull / period; /* ticks in CALIB_US */
    uint64_t h0 = hpet_counter(), t0 = rdtsc();
    uint64_t ticks = 0;
    for (uint64_t spins = 0; (ticks = hpet_ticks_since(h0)) < want; spins++)
        if (spins > 100000000ull)
            return 0;
    uint64_t t1 = rdtsc();
    uint64_t ns = ticks * period / 1000000u;
    return ns ? (t1 - t0) * 1000000u / ns : 0;
}

/* Returns the TSC rate in kHz, or 0 if the PIT output never rises. */
static uint64_t calibrate_pit(void)
{
    uint32_t count = (uint32_t)((uint64_t)PIT_HZ * CALIB_US / 1000000u);
    /* gate channel 2 on, speaker off; channel 2, lobyte/hibyte, mode 0 */
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xb0);
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    uint64_t t0 = rdtsc();
    for (uint64_t spins = 0; !(inb(0x61) & 0x20); spins++)
        if (spins > 100000000ull)
            return 0;
    uint64_t t1 = rdtsc();
    uint64_t ns = (uint64_t)count * 1000000000ull / PIT_HZ;
    return (t1 - t0) * 1000000u / ns;
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
