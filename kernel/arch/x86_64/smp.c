/*
 * Bringing up the other CPUs: INIT-SIPI-SIPI through the real-mode trampoline
 * at TRAMP_BASE, one AP at a time (they share the trampoline's parameter
 * block), each on its own static boot stack. Every wait has a timeout: a CPU
 * that does not answer is logged, parked with another INIT and skipped.
 */
#include <k/smp.h>
#include <k/percpu.h>
#include <k/platform.h>
#include <k/timer.h>
#include <k/clock.h>
#include <k/vm.h>
#include <k/log.h>
#include <arch/lapic.h>
#include <arch/time.h>
#include <arch/trampoline.h>
#include <k/bootinfo.h>
#include <k/sched.h>
#include <arch/cpu.h>
#include <base/string.h>

#define AP_STACK_SIZE 16384
#define EFER_LME (1u << 8)
#define ALIVE_TIMEOUT_NS 1000000000ull /* SIPI until the trampoline runs */
#define ONLINE_TIMEOUT_NS 2000000000ull /* trampoline until the CPU is online */

static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t *tramp; /* the copy at TRAMP_BASE, through its identity mapping */

void ap_entry(struct cpu *c);

/* 64-bit C entry of an AP, on its boot stack, interrupts off. */
void ap_entry(struct cpu *c)
{
    percpu_init_this(c);
    vm_cpu_init();
    lapic_init_cpu();
    timer_init_cpu();
    fpu_init_cpu();
    syscall_init_cpu();
    sched_start_cpu();
    __atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&cpus_online, 1, __ATOMIC_ACQ_REL);
    irq_enable();
    sched_idle_loop();
}

static void tramp_put(const uint8_t *field, const void *v, size_t n)
{
    memcpy(tramp + (field - trampoline_start), v, n);
}

static volatile uint16_t *tramp_alive_flag(void)
{
    return (volatile uint16_t *)(tramp + (tramp_alive - trampoline_start));
}

/* Spin until *flag is nonzero or timeout_ns pass. Returns the flag. */
static int wait_flag16(volatile uint16_t *flag, uint64_t timeout_ns)
{
    uint64_t end = clock_ns() + timeout_ns;
    while (!*flag && clock_ns() < end)
        cpu_relax();
    return *flag != 0;
}

static int wait_online(struct cpu *c, uint64_t timeout_ns)
{
    uint64_t end = clock_ns() + timeout_ns;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && clock_ns() < end)
        cpu_relax();
    return c->online;
}

/* Start cpus[i], which has had its INIT. Returns 0 when it came online. */
static int start_ap(unsigned i)
{
    struct cpu *c = &cpus[i];
    uint64_t stack = (uint64_t)&ap_stacks[i][AP_STACK_SIZE];
    uint64_t entry = (uint64_t)ap_entry, arg = (uint64_t)c;
    tramp_put(tramp_stack, &stack, 8);
    tramp_put(tramp_entry, &entry, 8);
    tramp_put(tramp_arg, &arg, 8);
    *tramp_alive_flag() = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* the second SIPI is ignored by a CPU the first one already started */
    lapic_send_ipi(c->apic_id, ICR_STARTUP | ICR_ASSERT | (TRAMP_BASE >> 12));
    if (!wait_flag16(tramp_alive_flag(), 1000000)) {
        lapic_send_ipi(c->apic_id, ICR_STARTUP | ICR_ASSERT | (TRAMP_BASE >> 12));
        wait_flag16(tramp_alive_flag(), ALIVE_TIMEOUT_NS);
    }
    if (*tramp_alive_flag() && wait_online(c, ONLINE_TIMEOUT_NS))
        return 0;
    log_warn("smp: CPU %u (APIC %u) did not come online%s, skipped", i, c->apic_id,
             *tramp_alive_flag() ? " after starting" : "");
    /* park it, so that it cannot wake later on another CPU's stack */
    lapic_send_ipi(c->apic_id, ICR_INIT | ICR_ASSERT);
    return -1;
}

/* Fill cpus[] from the MADT: index 0 is this CPU. Returns the number of CPUs. */
static unsigned enumerate(void)
{
    uint32_t self = lapic_id();
    unsigned n = 1;
    cpus[0].apic_id = self;
    for (size_t k = 0; k < acpi_tables.cpu_count; k++) {
        const struct acpi_cpu *a = &acpi_tables.cpus[k];
        if (!a->enabled)
            continue;
        if (a->apic_id == self) {
            cpus[0].acpi_uid = a->uid;
            continue;
        }
        if (n >= MAX_CPUS || (!lapic_is_x2apic() && a->apic_id > 0xfe)) {
            log_warn("smp: CPU with APIC ID %u not usable, skipped", a->apic_id);
            continue;
        }
        cpus[n].id = n;
        cpus[n].apic_id = a->apic_id;
        cpus[n].acpi_uid = a->uid;
        cpus[n].lapic_ticks_per_ms = cpus[0].lapic_ticks_per_ms;
        n++;
    }
    return n;
}

/*
 * The trampoline page must be RAM the firmware calls usable and must not hold a
 * boot module (loaders may put modules in low memory, e.g. GRUB under UEFI).
 */
static int tramp_page_free(void)
{
    uint64_t lo = TRAMP_BASE, hi = TRAMP_BASE + 4096;
    for (size_t i = 0; i < boot_info.module_count; i++)
        if (boot_info.modules[i].start < hi && boot_info.modules[i].end > lo)
            return 0;
    for (size_t i = 0; i < boot_info.mmap_count; i++) {
        const struct boot_mem_region *r = &boot_info.mmap[i];
        if (r->type == BOOT_MEM_USABLE && r->base <= lo && r->base + r->len >= hi)
            return 1;
    }
    return 0;
}

/* Copy the trampoline and its fixed parameters. Returns 0 or -1. */
static int tramp_setup(void)
{
    if (!tramp_page_free())
        return -1;
    uint64_t cr3 = vm_kernel_pml4_phys();
    size_t size = (size_t)(trampoline_end - trampoline_start);
    if (cr3 >= (1ull << 32) || size > 4096 ||
        vm_map_range(TRAMP_BASE, TRAMP_BASE, 4096, VM_WRITE | VM_EXEC) != 0)
        return -1;
    tramp = (uint8_t *)TRAMP_BASE;
    memcpy(tramp, trampoline_start, size);
    uint32_t cr3_32 = (uint32_t)cr3;
    uint32_t efer = (uint32_t)(rdmsr(MSR_EFER) & EFER_NXE) | EFER_LME;
    tramp_put(tramp_cr3, &cr3_32, 4);
    tramp_put(tramp_efer, &efer, 4);
    return 0;
}

void smp_boot(void)
{
    cpu_count = enumerate();
    if (cpu_count > 1 && tramp_setup() != 0) {
        log_error("smp: cannot set up the trampoline at 0x%x", TRAMP_BASE);
    } else if (cpu_count > 1) {
        for (unsigned i = 1; i < cpu_count; i++)
            lapic_send_ipi(cpus[i].apic_id, ICR_INIT | ICR_ASSERT);
        /* the 10 ms INIT settle time real hardware asks for; emulators need little */
        uint32_t a, b, c, d;
        cpuid(1, 0, &a, &b, &c, &d);
        udelay(c & (1u << 31) ? 1000 : 10000);
        for (unsigned i = 1; i < cpu_count; i++)
            start_ap(i);
        vm_unmap_range(TRAMP_BASE, 4096);
        tramp = NULL;
    }
    log_info("smp: %u CPUs online", cpus_online);
    if (cpus_online != cpu_count)
        log_warn("smp: %u of %u CPUs did not start", cpu_count - cpus_online, cpu_count);
}
