/*
 * ioport_grant: I/O ports for the caller's universe (docs/abi.md,
 * docs/drivers.md). Grants are per universe and only add ports; the ports the
 * kernel drives itself are never granted (COM1's only while the kernel console reads it). The bitmap reaches the CPUs through
 * arch_ioports_load at each thread switch.
 */
#include <k/syscall.h>
#include <k/hwaccess.h>
#include <k/ioport.h>
#include <k/universe.h>
#include <k/thread.h>
#include <k/spinlock.h>
#include <k/heap.h>
#include <k/console.h>
#include <base/string.h>
#include <arch/cpu.h>

/* Ports the kernel owns or that could take the machine away from it. */
static const struct {
    uint16_t first, last;
} reserved[] = {
    {0x20, 0x23},   /* master 8259 PIC, IMCR */
    {0x40, 0x43},   /* PIT (TSC calibration, self tests) */
    {0x61, 0x61},   /* PIT channel 2 gate, NMI status */
    {0xa0, 0xa1},   /* slave 8259 PIC */
    {0xf4, 0xf7},   /* QEMU debug exit (test runs) */
    {0x4d0, 0x4d1}, /* 8259 edge/level control */
    {0xcf8, 0xcff}, /* PCI configuration mechanism 1 and reset control: drivers use ECAM */
};

static struct spinlock grant_lock = SPINLOCK_INIT;
static uint64_t next_stamp = 1;

static int overlaps(uint32_t base, uint32_t count, uint32_t first, uint32_t last)
{
    return base <= last && base + count - 1 >= first;
}

static int overlaps_reserved(uint32_t base, uint32_t count)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (overlaps(base, count, reserved[i].first, reserved[i].last))
            return 1;
    /* COM1, while the kernel console reads it (kconsole, noinit); else the kernel only writes
       its lines there (polling LSR) and a user-space driver may own it (docs/drivers.md) */
    return console_owns_com1() && overlaps(base, count, 0x3f8, 0x3ff);
}

/* ioport_grant(hw, base, count): ports [base, base + count) for the caller's universe. */
SYSCALL_DEFINE(ioport_grant)
{
    SYSCALL_UNUSED_ARGS;
    sk_error_t e = hw_access_check((sk_handle_t)a0);
    if (e != SK_OK)
        return e;
    if (a2 == 0)
        return SK_ERR_INVALID;
    if (a2 > SK_IOPORT_COUNT || a1 > SK_IOPORT_COUNT - a2)
        return SK_ERR_OUT_OF_RANGE;
    uint32_t base = (uint32_t)a1, count = (uint32_t)a2;
    if (overlaps_reserved(base, count))
        return SK_ERR_BUSY;
    struct universe *u = thread_universe(current_thread());
    if (!u)
        return SK_ERR_DEAD;
    struct ioport_map *m = universe_ioports(u);
    if (!m) {
        struct ioport_map *fresh = kmalloc(sizeof *fresh);
        if (!fresh)
            return SK_ERR_NO_MEMORY;
        memset(fresh->bits, 0xff, sizeof fresh->bits);
        fresh->extent = 0;
        fresh->stamp = __atomic_fetch_add(&next_stamp, 1, __ATOMIC_RELAXED);
        m = universe_install_ioports(u, fresh);
        if (m != fresh)
            kfree(fresh);
    }

    uint64_t f = spin_lock_irqsave(&grant_lock);
    for (uint32_t p = base; p < base + count; p++)
        m->bits[p / 8] &= (uint8_t)~(1u << (p % 8));
    uint32_t end = (base + count + 7) / 8;
    if (end > m->extent)
        __atomic_store_n(&m->extent, end, __ATOMIC_RELEASE);
    __atomic_store_n(&m->stamp, __atomic_fetch_add(&next_stamp, 1, __ATOMIC_RELAXED),
                     __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&grant_lock, f);

    /* the caller can use the ports at once; its other threads after their next switch */
    f = irq_save();
    arch_ioports_load(current_thread());
    irq_restore(f);
    return SK_OK;
}
