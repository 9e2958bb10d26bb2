/* Panic reporting: marker, registers, symbolised backtrace, stop all CPUs (machine_stop, which
   power-off and reset share). */
#include <k/hot.h>
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

void (*machine_stop_others)(void);
static KHOT volatile int machine_stopping;

/* A frame pointer is followed only if it lies in kernel memory and is aligned. */
static int frame_ok(uint64_t fp)
{
    return fp >= DIRECT_MAP_BASE && (fp & 7) == 0 && fp < 0xfffffffffffff000ull;
}

/* Is addr a return address: inside kernel text, right after a 5-byte near call? */
static int is_return_address(uint64_t addr)
{
    uint64_t off;
    return ksyms_lookup(addr - 1, &off) && ksyms_lookup(addr - 5, &off) &&
           *(const uint8_t *)(addr - 5) == 0xe8;
}

static void print_frame(int depth, uint64_t rip, int is_return, const char *mark)
{
    /* return addresses name the call (rip - 1), which matters when the call was a
       function's last instruction (a noreturn callee) */
    uint64_t off = 0, at = is_return ? rip - 1 : rip;
    const char *name = ksyms_lookup(at, &off);
    kprintf_unlocked("  #%-2d 0x%016lx %s%s+0x%lx\n", depth, rip, mark, name ? name : "??",
                     off + (rip - at));
}

void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp)
{
    if (!rbp) {
        /* start at our caller: its rip is our return address, its frame our saved rbp */
        rbp = *(const uint64_t *)__builtin_frame_address(0);
        rip = (uint64_t)__builtin_return_address(0);
    }
    kprintf_unlocked("backtrace:\n");
    int depth = 0;
    print_frame(depth++, rip, 0, "");
    /* A trap in a leaf function that set up no frame: its caller's return address is on
       top of the stack, not in the frame chain. Shown with "?" as it is a guess. */
    if (rsp && frame_ok(rsp)) {
        uint64_t top = *(const uint64_t *)rsp;
        uint64_t chained = frame_ok(rbp) ? ((const uint64_t *)rbp)[1] : 0;
        if (top != chained && is_return_address(top))
            print_frame(depth++, top, 1, "? ");
    }
    for (; depth < 32; depth++) {
        if (!frame_ok(rbp))
            break;
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t next = frame[0];
        rip = frame[1];
        if (!rip)
            break;
        print_frame(depth, rip, 1, "");
        if (next <= rbp)
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

void machine_stop(void)
{
    irq_disable();
    if (__atomic_exchange_n(&machine_stopping, 1, __ATOMIC_ACQ_REL)) {
        for (;;)
            cpu_halt();
    }
    if (machine_stop_others)
        machine_stop_others();
}

/* The first CPU to panic (or to stop the machine) goes on alone; later ones just stop. */
static void panic_enter(void)
{
    machine_stop();
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
    backtrace_print(0, 0, 0);
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
    backtrace_print(tf->rip, tf->rbp, tf->rsp);
    panic_finish();
}
