/*
 * syscall/sysret set-up and the dispatcher. The table comes from the one list
 * in include/skoll/syscalls.h; a number outside it returns SK_ERR_UNSUPPORTED.
 */
#include <k/syscall.h>
#include <k/sched.h>
#include <k/percpu.h>
#include <k/observe.h>
#include <arch/idt.h>
#include <arch/gdt.h>
#include <arch/cpu.h>

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define EFER_SCE 1u

extern char syscall_entry[];

typedef sk_error_t (*syscall_fn)(SYSCALL_ARGS);

static const syscall_fn table[SK_SYSCALL_COUNT] = {
#define SYSCALL_ENTRY(name, index, nargs) [index] = sys_##name,
    SK_SYSCALLS(SYSCALL_ENTRY)
#undef SYSCALL_ENTRY
};

void syscall_init_cpu(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* sysret: CS = base + 16, SS = base + 8 with base 0x18 | 3; syscall: CS 0x08, SS 0x10 */
    wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    /* clear IF, TF, DF, AC and NT on entry */
    wrmsr(MSR_SFMASK, (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18) | (1u << 14));
}

/* Leave for user mode by iret from a syscall frame (syscall_entry.S): every register exact. */
__attribute__((noreturn)) void syscall_return_iret(struct trap_frame *tf);

void syscall_dispatch(struct trap_frame *tf);
void syscall_dispatch(struct trap_frame *tf)
{
    irq_enable();
    current_thread()->syscalls++;
    uint64_t nr = tf->rax - SK_SYSCALL_BASE, ret = 0;
    if (current_thread()->obs.foreign) {
        observe_supercall(tf); /* a foreign thread: every syscall stops, none is executed */
    } else if (tf->rax >= SK_SYSCALL_BASE && nr < SK_SYSCALL_COUNT && table[nr]) {
        sk_error_t err = table[nr](tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9, &ret);
        tf->rax = err;
        tf->rdx = ret;
    } else if (!observe_supercall(tf)) {
        /* a supercall of an observed thread returns with what its observer wrote */
        tf->rax = SK_ERR_UNSUPPORTED;
        tf->rdx = 0;
    }
    irq_disable();
    sched_return_to_user();
    tf->rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2;
    /* sysret would load rcx and r11 from rip and rflags: after a stop, where an observer
       may have set them, return by iret */
    if (observe_take_exact_return(this_cpu()->current))
        syscall_return_iret(tf);
}
