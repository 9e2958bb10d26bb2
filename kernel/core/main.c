/* kmain: the boot sequence, from the loader hand-off to the self tests or the console. */
#include <k/log.h>
#include <k/bootinfo.h>
#include <k/cmdline.h>
#include <k/percpu.h>
#include <k/panic.h>
#include <k/selftest.h>
#include <k/qemu.h>
#include <k/platform.h>
#include <k/mem.h>
#include <k/pmm.h>
#include <k/irq.h>
#include <k/console.h>
#include <k/sched.h>
#include <arch/serial.h>
#include <arch/idt.h>
#include <arch/layout.h>
#include <arch/cpu.h>

struct bootinfo boot_info;
void kmain(uint32_t proto, uint32_t info_phys);

/* Loader structures live below 4 GiB, which the boot page tables map. */
static const void *boot_p2v(uint64_t phys, size_t len)
{
    if (phys + len < phys || phys + len > (4ull << 30))
        return NULL;
    return phys_to_virt(phys);
}

static void parse_boot_info(uint32_t proto, uint32_t info_phys)
{
    int rc = -1;
    if (proto == BOOT_PROTO_MB2)
        rc = bootinfo_parse_mb2(phys_to_virt(info_phys), boot_p2v, &boot_info);
    else if (proto == BOOT_PROTO_PVH)
        rc = bootinfo_parse_pvh(phys_to_virt(info_phys), boot_p2v, &boot_info);
    boot_info.info_phys = info_phys;
    if (rc != 0)
        panic("unusable boot information (protocol %u at 0x%x)", proto, info_phys);
    log_info("boot: %s, cmdline \"%s\"", proto == BOOT_PROTO_MB2 ? "multiboot2" : "PVH",
             boot_info.cmdline);
    for (size_t i = 0; i < boot_info.module_count; i++)
        log_info("boot: module %zu \"%s\" at 0x%lx-0x%lx", i, boot_info.modules[i].name,
                 boot_info.modules[i].start, boot_info.modules[i].end);
}

/* The rest of the boot, in a kernel thread: self tests, then the console. */
static void kmain_thread(void *arg)
{
    (void)arg;
    char tests[256];
    if (cmdline_get(boot_info.cmdline, "selftest", tests, sizeof tests) > 0) {
        int nfail = selftest_run(tests);
        if (cmdline_has(boot_info.cmdline, "qemu_exit"))
            qemu_exit(nfail ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
    }
    log_info("boot complete: %u CPUs online, %lu MiB free", cpus_online,
             (unsigned long)(pmm_free_count() * PAGE_SIZE >> 20));
    console_attach_irq(VEC_CONSOLE);
    if (irq_route_isa(4, VEC_CONSOLE, 0) != 0)
        log_warn("console: COM1 interrupt not routed");
    console_run();
}

void kmain(uint32_t proto, uint32_t info_phys)
{
    serial_init();
    kprintf("\nSkoll kernel starting\n");
    idt_init();
    percpu_init_this(&cpus[0]);
    cpus[0].online = 1;
    cpus_online = 1;
    parse_boot_info(proto, info_phys);
    char level[16];
    if (cmdline_get(boot_info.cmdline, "loglevel", level, sizeof level) > 0 &&
        level[0] == 'd')
        log_set_level(LOG_DEBUG);

    /* memory: physical allocator, kernel page tables, heap */
    mem_init();

    /* platform: ACPI, interrupt controllers, timers, other CPUs */
    platform_init();

    /* scheduling: this context becomes the boot CPU's idle thread */
    fpu_init_cpu();
    syscall_init_cpu();
    sched_init();
    sched_start_cpu();
    if (!kthread_create(kmain_thread, NULL, 8, "kmain"))
        panic("cannot start the kmain thread");
    irq_enable();
    sched_idle_loop();
}
