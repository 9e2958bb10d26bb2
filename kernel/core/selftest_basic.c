/* Self tests of the boot path itself: loader hand-off, symbols, and the deliberate panic. */
#include <k/selftest.h>
#include <k/bootinfo.h>
#include <k/cmdline.h>
#include <k/ksyms.h>
#include <base/cpio.h>
#include <arch/layout.h>
#include <arch/cpu.h>
#include <base/string.h>

SELFTEST(boot_cmdline, 0)
{
    /* the runner always passes qemu_exit; its presence proves the command line arrived */
    ST_CHECK(cmdline_has(boot_info.cmdline, "qemu_exit"));
    ST_CHECK(boot_info.mmap_count > 0);
}

SELFTEST(ksyms, 0)
{
    uint64_t off = 99;
    uint64_t a = ksyms_address("selftest_run");
    ST_CHECK(a != 0);
    const char *n = ksyms_lookup(a + 3, &off);
    ST_CHECK(n && strcmp(n, "selftest_run") == 0);
    ST_CHECK(off == 3);
}

/* Deliberately faults: the runner expects a panic with a symbolised backtrace naming this. */
__attribute__((noinline)) static void selftest_fault_deep(volatile uint64_t *p)
{
    *p = 0xdead;
}

SELFTEST(fault, SELFTEST_MANUAL)
{
    selftest_fault_deep((volatile uint64_t *)0x700000000010ull);
}

/* The boot archive arrived as module 0 and holds the file the build put there. */
SELFTEST(initrd, 0)
{
    ST_CHECK(boot_info.module_count >= 1);
    const struct boot_module *m = &boot_info.modules[0];
    ST_CHECK(m->end > m->start);
    const uint8_t *archive = phys_to_virt(m->start);
    struct cpio_entry e;
    ST_CHECK(cpio_find(archive, m->end - m->start, "etc/skoll-release", &e) == 1);
    ST_CHECK(e.size >= 5 && memcmp(e.data, "Skoll", 5) == 0);
}

/* The runner's own checks: it must see this failure as "fail" and the next as "hang". */
SELFTEST(deliberate_fail, SELFTEST_MANUAL)
{
    st_fail("deliberate failure");
}

SELFTEST(deliberate_hang, SELFTEST_MANUAL)
{
    irq_disable();
    for (;;)
        cpu_halt();
}
