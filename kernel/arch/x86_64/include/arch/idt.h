/* Interrupt descriptor table, trap frames and vector allocation. */
#pragma once
#include <stdint.h>

/* Saved by isr.S on every interrupt/exception, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*irq_handler_fn)(struct trap_frame *tf);

/* Vectors: 0-31 exceptions, 32-47 legacy PIC (masked), 48-239 devices, 240-254 IPIs, 255 spurious. */
#define VEC_DEVICE_FIRST 48
#define VEC_DEVICE_LAST 239
#define VEC_CONSOLE 239     /* COM1 receive (kernel console), routed by kmain */
#define VEC_IPI_FIRST 240
#define VEC_IPI_CALL 240    /* smp_call: run queued functions */
#define VEC_IPI_RESCHED 241 /* reserved for the scheduler */
#define VEC_LAPIC_ERROR 253 /* local APIC error */
#define VEC_TIMER 254       /* local APIC timer (per-CPU kernel timers) */
#define VEC_SPURIOUS 255

/* Fill the shared IDT once (boot CPU). */
void idt_init(void);
/* Load the IDT on this CPU. */
void idt_load(void);
/* Install a handler for a vector (>= 32). Not for exceptions. */
void idt_set_handler(unsigned vector, irq_handler_fn fn);
/* Install an exception hook; it returns 1 if it handled the exception, 0 to panic. */
void idt_set_exception_hook(unsigned vector, int (*hook)(struct trap_frame *tf));
/* Called at the end of a hardware interrupt; set by the local APIC code. */
extern void (*irq_eoi)(void);
