/*
 * The wall clock: read once at start from the PC's CMOS real-time clock (ports 0x70/0x71,
 * granted from the hardware-access handle), as Linux does at boot, and kept as an offset from
 * the monotonic clock; clock_settime/settimeofday move the offset. Without the handle (or an
 * RTC that never settles) the wall clock starts at RTC_FALLBACK.
 */
#include "posix.h"
#include "ports.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_FALLBACK 1767225600ull /* 2026-01-01 00:00:00 UTC */


static uint8_t cmos(uint8_t reg)
{
    outb(RTC_INDEX, reg); /* bit 7 clear: NMIs stay enabled */
    return inb(RTC_DATA);
}

struct rtc_time {
    uint8_t sec, min, hour, day, mon, year, century;
};

/* One reading, outside an update cycle; 0 if the clock kept updating. */
static int rtc_sample(struct rtc_time *t)
{
    for (int spins = 0; cmos(0x0a) & 0x80; spins++)
        if (spins > 100000)
            return 0;
    t->sec = cmos(0x00);
    t->min = cmos(0x02);
    t->hour = cmos(0x04);
    t->day = cmos(0x07);
    t->mon = cmos(0x08);
    t->year = cmos(0x09);
    t->century = cmos(0x32); /* the ACPI century register QEMU and PCs have */
    return 1;
}

static unsigned bcd(uint8_t v)
{
    return (v & 0x0f) + (v >> 4) * 10u;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
    y -= m <= 2;
    uint64_t era = y / 400, yoe = y - era * 400;
    uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Seconds since the epoch now, from the RTC; 0 if it cannot be read. */
static uint64_t rtc_read(sk_handle_t hw)
{
    if (!hw || sk_ioport_grant(hw, RTC_INDEX, 2) != SK_OK)
        return 0;
    struct rtc_time a, b;
    int ok = 0;
    for (int tries = 0; tries < 5 && !ok; tries++)
        ok = rtc_sample(&a) && rtc_sample(&b) && memcmp(&a, &b, sizeof a) == 0;
    if (!ok)
        return 0;
    uint8_t status_b = cmos(0x0b);
    int binary = status_b & 0x04, h24 = status_b & 0x02;
    int pm = !h24 && (a.hour & 0x80);
    a.hour &= 0x7f;
    unsigned sec = binary ? a.sec : bcd(a.sec), min = binary ? a.min : bcd(a.min);
    unsigned hour = binary ? a.hour : bcd(a.hour), day = binary ? a.day : bcd(a.day);
    unsigned mon = binary ? a.mon : bcd(a.mon), year = binary ? a.year : bcd(a.year);
    unsigned century = binary ? a.century : bcd(a.century);
    if (!h24)
        hour = hour % 12 + (pm ? 12 : 0);
    year += century >= 19 && century <= 99 ? century * 100 : 2000;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return 0;
    return days_from_civil(year, mon, day) * 86400ull + hour * 3600ull + min * 60ull + sec;
}

void rtc_init(sk_handle_t hw)
{
    uint64_t now = 0;
    sk_clock_get(&now);
    uint64_t secs = rtc_read(hw);
    if (!secs)
        secs = RTC_FALLBACK;
    px.wall_offset_ns = secs * 1000000000ull - now;
}
