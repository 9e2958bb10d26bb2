/* kmain: the boot sequence, from the loader hand-off to the self tests or the console. */
#include <k/ktrace.h>
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
#include <k/initproc.h>
#include <k/heap.h>
#include <k/async.h>
#include <k/clock.h>
#include <k/object.h>
#include <base/string.h>
#include <base/fmt.h>
#include <skoll/syscalls.h>
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
}

/* loglevel= first, so that the boot lines after it follow it. */
static void log_setup(uint32_t proto)
{
    char level[16];
    if (cmdline_get(boot_info.cmdline, "loglevel", level, sizeof level) > 0) {
        int l = log_level_named(level);
        if (l >= 0)
            log_set_level((enum log_level)l);
        else
            log_warn("boot: unknown loglevel \"%s\" (error, warn, notice, info, debug)", level);
    }
    log_info("boot: %s, cmdline \"%s\"", proto == BOOT_PROTO_MB2 ? "multiboot2" : "PVH",
             boot_info.cmdline);
    for (size_t i = 0; i < boot_info.module_count; i++)
        log_info("boot: module %zu \"%s\" at 0x%lx-0x%lx", i, boot_info.modules[i].name,
                 boot_info.modules[i].start, boot_info.modules[i].end);
}

static int selftest_failures;
static volatile uint64_t init_status;
static volatile int init_done;
static struct thread *init_waiter; /* kmain_thread in a test run, woken when init ends */

/* bin/init ended (in its own context): report it; kmain_thread takes it from there. */
static void init_exited(struct thread *t, uint64_t status)
{
    (void)t;
    int ok = status == SK_EXIT_DONE;
    log_printf(ok ? LOG_INFO : LOG_WARN, "init: exited with status 0x%lx (%s)",
               (unsigned long)status,
               ok ? "success" : status & SK_EXIT_FAULT ? "fault" : status & SK_EXIT_KILLED ? "killed"
                                                                                       : "failure");
    if (!console_owns_com1() && !cmdline_has(boot_info.cmdline, "qemu_exit"))
        log_notice("init has ended: nothing runs any more (kconsole on the command line gives "
                   "the kernel console)");
    init_status = status;
    __atomic_store_n(&init_done, 1, __ATOMIC_SEQ_CST);
    struct thread *w = __atomic_load_n(&init_waiter, __ATOMIC_SEQ_CST);
    if (w)
        sched_wake(w);
}

#define REAP_NOTE_NS 5000000000ull

/* Every REAP_NOTE_NS of waiting, say in the log what the leak check still waits for. */
static void reap_wait_note(uint64_t *note, const char *what, uint64_t threads_before)
{
    if (clock_ns() < *note)
        return;
    log_warn("no_page_leak: still waiting for %s to be reaped (%lu threads, %lu before init)",
             what, (unsigned long)thread_count(), (unsigned long)threads_before);
    *note = clock_ns() + REAP_NOTE_NS;
}

/*
 * Test runs (qemu_exit): once init and every thread it caused have ended and been
 * reaped, the free-page count must be what it was before init started. Then end
 * QEMU with the overall result. The wait for the reaper has no time limit (a host
 * may stall the guest for any length of time); a thread that never ends hangs the
 * run, which the runner reports, with the threads still there in the log.
 */
static uint64_t objects_before[KOBJ_TYPES];
static uint64_t pages_before[PMM_CENSUS_TAGS];
#define CACHES_MAX 48
static struct {
    char name[24];
    uint64_t inuse;
} caches_before[CACHES_MAX];

static void cache_snapshot(const char *name, uint64_t inuse, void *arg)
{
    unsigned *n = arg;
    if (*n < CACHES_MAX) {
        fmt_snprintf(caches_before[*n].name, sizeof caches_before[*n].name, "%s", name);
        caches_before[(*n)++].inuse = inuse;
    }
}

static void cache_compare(const char *name, uint64_t inuse, void *arg)
{
    (void)arg;
    uint64_t before = 0;
    for (unsigned i = 0; i < CACHES_MAX; i++)
        if (strcmp(caches_before[i].name, name) == 0)
            before = caches_before[i].inuse;
    if (inuse != before)
        kprintf("  heap cache %s: %lu objects before init, %lu after\n", name,
                (unsigned long)before, (unsigned long)inuse);
}

/* Before init: what the leak report compares with. */
static void census_before(void)
{
    for (unsigned i = 0; i < KOBJ_TYPES; i++)
        objects_before[i] = __atomic_load_n(&kobj_live[i], __ATOMIC_RELAXED);
    pmm_census(pages_before);
    unsigned n = 0;
    heap_census(cache_snapshot, &n);
}

/* After a leak: where the pages went (owners of frames, heap caches, kernel objects). */
static void report_objects(void)
{
    static const char *const owners[PMM_CENSUS_TAGS] = {"user memory, page tables, stacks",
                                                        "heap slabs", "heap large blocks",
                                                        "other"};
    uint64_t pages[PMM_CENSUS_TAGS];
    pmm_census(pages);
    for (unsigned t = 0; t < PMM_CENSUS_TAGS; t++)
        if (pages[t] != pages_before[t])
            kprintf("  pages of %s: %lu before init, %lu after\n", owners[t],
                    (unsigned long)pages_before[t], (unsigned long)pages[t]);
    heap_census(cache_compare, NULL);
    static const char *const opnames[] = {
#define OP_NAME(name, code) [code] = #name,
        SK_OPS(OP_NAME)
#undef OP_NAME
    };
    uint64_t ops[SK_OP_COUNT + 1];
    async_census(ops);
    for (unsigned i = 0; i <= SK_OP_COUNT; i++)
        if (ops[i])
            kprintf("  queue operations %s still allocated: %lu\n",
                    i < SK_OP_COUNT ? opnames[i] : "(unknown)", (unsigned long)ops[i]);
    static const char *const names[] = {
#define OBJ_NAME(name, value, desc) [value] = desc,
        SK_OBJECT_TYPES(OBJ_NAME)
#undef OBJ_NAME
    };
    for (unsigned i = 0; i < KOBJ_TYPES; i++) {
        uint64_t now = __atomic_load_n(&kobj_live[i], __ATOMIC_RELAXED);
        if (now != objects_before[i])
            kprintf("  objects of type %u (%s): %lu before init, %lu after\n", i,
                    i < sizeof names / sizeof names[0] && names[i] ? names[i] : "?",
                    (unsigned long)objects_before[i], (unsigned long)now);
    }
}

static void finish_test_run(struct thread *init, uint64_t free_before, uint64_t threads_before)
{
    int failed = selftest_failures != 0;
    if (init) {
        /* woken by init_exited (a benchmark's CPUs see no 1 ms tick of ours); the
           timeout only covers the wake-up that comes between the look and the sleep */
        __atomic_store_n(&init_waiter, current_thread(), __ATOMIC_SEQ_CST);
        while (!__atomic_load_n(&init_done, __ATOMIC_SEQ_CST))
            sched_sleep_ns(100000000);
        failed |= init_status != SK_EXIT_DONE;
        uint64_t note = clock_ns() + REAP_NOTE_NS;
        while (init->space) { /* until reaped */
            reap_wait_note(&note, "init", threads_before);
            sched_sleep_ns(1000000);
        }
        kobj_put(&init->obj);
        while (thread_count() != threads_before) {
            reap_wait_note(&note, "its threads", threads_before);
            sched_sleep_ns(1000000);
        }
        heap_reclaim();
        uint64_t free_after = pmm_free_count();
        if (free_after == free_before && thread_count() == threads_before) {
            kprintf("PASS no_page_leak\n");
        } else {
            kprintf("FAIL no_page_leak: %lu free pages before init, %lu after; %lu threads "
                    "before, %lu after\n",
                    (unsigned long)free_before, (unsigned long)free_after,
                    (unsigned long)threads_before, (unsigned long)thread_count());
            report_objects();
            failed = 1;
        }
    }
    ktrace_dump();
    qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}

/* The rest of the boot, in a kernel thread: self tests, init, then the console. */
static void kmain_thread(void *arg)
{
    (void)arg;
    char tests[256];
    if (cmdline_get(boot_info.cmdline, "selftest", tests, sizeof tests) > 0)
        selftest_failures = selftest_run(tests);
    heap_reclaim();
    uint64_t free_before = pmm_free_count(), threads_before = thread_count();
    census_before();
    struct thread *init = NULL;
    if (!cmdline_has(boot_info.cmdline, "noinit")) {
        if (cmdline_has(boot_info.cmdline, "qemu_exit"))
            kprintf("PLAN no_page_leak\n"); /* finish_test_run reports it */
        initproc_start(init_exited, &init);
    }
    if (cmdline_has(boot_info.cmdline, "qemu_exit"))
        finish_test_run(init, free_before, threads_before);
    log_info("boot complete: %u CPUs online, %lu MiB free", cpus_online,
             (unsigned long)(pmm_free_count() * PAGE_SIZE >> 20));
    if (console_owns_com1())
        console_run();
    /* no kernel console: COM1's input is user space's; this thread's work is done */
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
    log_setup(proto);
    console_claim(boot_info.cmdline);
    uint64_t poll_us;
    if (cmdline_get_num(boot_info.cmdline, "idle.poll_us", 1000000, &poll_us) == 1)
        sched_idle_poll_ns = poll_us * 1000;

    /* memory: physical allocator, kernel page tables, heap */
    mem_init();
    ktrace_init(boot_info.cmdline);

    /* platform: ACPI, interrupt controllers, timers, other CPUs */
    platform_init();

    /* scheduling: this context becomes the boot CPU's idle thread */
    fpu_init_cpu();
    syscall_init_cpu();
    sched_init();
    sched_start_cpu();
    reaper_init();
    queue_init();
    if (!kthread_create(kmain_thread, NULL, 8, "kmain"))
        panic("cannot start the kmain thread");
    irq_enable();
    sched_idle_loop();
}
