/* The IDT, the common interrupt dispatcher and the exception-to-panic path. */
#include <k/hot.h>
#include <arch/idt.h>
#include <arch/gdt.h>
#include <arch/cpu.h>
#include <k/panic.h>
#include <k/log.h>
#include <k/sched.h>
#include <k/percpu.h>

struct idt_entry {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_fn handlers[256];
static KHOT int (*exception_hooks[32])(struct trap_frame *tf);
extern const uint64_t isr_stubs[256];
void (*irq_eoi)(void);

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FP error", "alignment check", "machine check",
    "SIMD FP error", "virtualization", "control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "hypervisor injection",
    "VMM communication", "security", "reserved"};

void idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t a = isr_stubs[v];
        idt[v] = (struct idt_entry){
            .off_lo = (uint16_t)a,
            .sel = SEL_KCODE,
            .ist = 0,
            .type = 0x8e, /* present, DPL 0, interrupt gate */
            .off_mid = (uint16_t)(a >> 16),
            .off_hi = (uint32_t)(a >> 32),
        };
    }
    /* int3 and into may be used from user mode (breakpoints, overflow checks) */
    idt[3].type = 0xee;
    idt[4].type = 0xee;
    idt[8].ist = IST_DOUBLE_FAULT;
    idt[2].ist = IST_NMI;
    idt[18].ist = IST_MACHINE_CHECK;
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof idt - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(ptr));
}

void idt_set_handler(unsigned vector, irq_handler_fn fn)
{
    if (vector >= 32 && vector < 256)
        handlers[vector] = fn;
}

void idt_set_exception_hook(unsigned vector, int (*hook)(struct trap_frame *tf))
{
    if (vector < 32)
        exception_hooks[vector] = hook;
}

const char *idt_exception_name(unsigned vector)
{
    return vector < 32 ? exception_names[vector] : "interrupt";
}

void isr_dispatch(struct trap_frame *tf);
void isr_dispatch(struct trap_frame *tf)
{
    unsigned v = (unsigned)tf->vector;
    int from_user = (tf->cs & 3) != 0;
    if (v < 32) {
        if (!(exception_hooks[v] && exception_hooks[v](tf))) {
            if (!from_user)
                panic_trap(tf, exception_names[v]);
            thread_user_fault(tf); /* returns if an observer resumed the thread */
        }
    } else {
        struct cpu *c = this_cpu();
        c->irq_depth++;
        if (handlers[v])
            handlers[v](tf);
        else if (v != VEC_SPURIOUS)
            log_warn("unexpected interrupt vector %u", v);
        c->irq_depth--;
        if (v != VEC_SPURIOUS && irq_eoi)
            irq_eoi();
    }
    if (from_user)
        sched_return_to_user();
}
