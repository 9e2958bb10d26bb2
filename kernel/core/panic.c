/* Panic reporting: marker, registers, symbolised backtrace, stop all CPUs. */
#include <k/panic.h>
#include <k/log.h>
#include <k/ksyms.h>
#include <k/percpu.h>
#include <k/bootinfo.h>
#include <k/cmdline.h>
#include <k/qemu.h>
#include <arch/idt.h>
#include <arch/cpu.h>
#include <arch/layout.h>
#include <base/fmt.h>

void (*panic_stop_others)(void);
static volatile int panic_in_progress;

/* A frame pointer is followed only if it lies in kernel memory and is aligned. */
static int frame_ok(uint64_t fp)
{
    return fp >= DIRECT_MAP_BASE && (fp & 7) == 0 && fp < 0xfffffffffffff000ull;
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
    if (!rbp) {
        rbp = (uint64_t)__builtin_frame_address(0);
        rip = (uint64_t)__builtin_return_address(0);
    }
    kprintf_unlocked("backtrace:\n");
    for (int depth = 0; depth < 32; depth++) {
        uint64_t off = 0;
        const char *name = ksyms_lookup(rip, &off);
        kprintf_unlocked("  #%-2d 0x%016lx %s+0x%lx\n", depth, rip, name ? name : "??", off);
        if (!frame_ok(rbp))
            break;
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t next = frame[0];
        rip = frame[1];
        if (!rip || next <= rbp)
            break;
        rbp = next;
    }
}

static int cpu_index(void)
{
    /* GS may not be set up yet on a very early panic */
    uint64_t gs = rdmsr(MSR_GS_BASE);
    return gs ? (int)((struct cpu *)gs)->id : -1;
}

__attribute__((noreturn)) static void panic_finish(void)
{
    kprintf_unlocked(PANIC_END_MARKER "\n");
    if (cmdline_has(boot_info.cmdline, "qemu_exit"))
        qemu_exit(QEMU_EXIT_PANIC);
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

/* Returns 0 for the first CPU to panic; later ones just stop. */
static void panic_enter(void)
{
    irq_disable();
    if (__atomic_exchange_n(&panic_in_progress, 1, __ATOMIC_ACQ_REL)) {
        for (;;)
            cpu_halt();
    }
    if (panic_stop_others)
        panic_stop_others();
}

void panic(const char *fmt, ...)
{
    panic_enter();
    kprintf_unlocked("\n" PANIC_MARKER " cpu %d: ", cpu_index());
    va_list ap;
    va_start(ap, fmt);
    char buf[256];
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kprintf_unlocked("%s\n", buf);
    backtrace_print(0, 0);
    panic_finish();
}

void panic_trap(struct trap_frame *tf, const char *what)
{
    panic_enter();
    kprintf_unlocked("\n" PANIC_MARKER " cpu %d: %s (vector %lu, error 0x%lx)\n", cpu_index(), what,
                     tf->vector, tf->error);
    if (tf->vector == 14)
        kprintf_unlocked("fault address 0x%016lx\n", read_cr2());
    kprintf_unlocked("rip %016lx cs %04lx rflags %08lx rsp %016lx ss %04lx\n", tf->rip, tf->cs,
                     tf->rflags, tf->rsp, tf->ss);
    kprintf_unlocked("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx,
                     tf->rdx);
    kprintf_unlocked("rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", tf->rsi, tf->rdi, tf->rbp,
                     tf->r8);
    kprintf_unlocked("r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", tf->r9, tf->r10, tf->r11,
                     tf->r12);
    kprintf_unlocked("r13 %016lx r14 %016lx r15 %016lx\n", tf->r13, tf->r14, tf->r15);
    kprintf_unlocked("cr0 %016lx cr3 %016lx cr4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
    backtrace_print(tf->rip, tf->rbp);
    panic_finish();
}
