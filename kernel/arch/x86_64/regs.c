/*
 * The register sets of a stopped user thread (thread_get_regs / set_regs,
 * include/skoll/observe.h): general registers in the trap frame at the top of
 * its kernel stack, the FPU/vector save area, and the FS/GS bases. Values are
 * checked by arch_regs_check before arch_regs_set may store them, so that
 * nothing written can make the way back to user mode fault in the kernel.
 */
#include <k/observe.h>
#include <k/sched.h>
#include <arch/idt.h>
#include <arch/gdt.h>
#include <arch/cpu.h>
#include <base/string.h>
#include <skoll/syscalls.h>

struct trap_frame *arch_user_frame(struct thread *t)
{
    /* interrupts and syscalls from user mode build it right under kstack_top */
    return (struct trap_frame *)(t->kstack_top - sizeof(struct trap_frame));
}

uint64_t arch_regs_size(uint32_t kind)
{
    switch (kind) {
    case SK_REGS_GENERAL:
        return sizeof(struct sk_gregs);
    case SK_REGS_FPU:
        return fpu_state_size();
    case SK_REGS_BASES:
        return sizeof(struct sk_base_regs);
    default:
        return 0;
    }
}

static int user_addr(uint64_t a)
{
    return a < SK_USER_TOP;
}

sk_error_t arch_regs_check(uint32_t kind, const void *buf)
{
    switch (kind) {
    case SK_REGS_GENERAL: {
        const struct sk_gregs *g = buf;
        if (g->cs != (SEL_UCODE | 3) || g->ss != (SEL_UDATA | 3))
            return SK_ERR_INVALID;
        if (!user_addr(g->rip) || !user_addr(g->rsp))
            return SK_ERR_OUT_OF_RANGE;
        return SK_OK; /* rflags is sanitised, not refused */
    }
    case SK_REGS_FPU:
        return fpu_image_check(buf);
    case SK_REGS_BASES: {
        const struct sk_base_regs *b = buf;
        return user_addr(b->fs_base) && user_addr(b->gs_base) ? SK_OK : SK_ERR_OUT_OF_RANGE;
    }
    default:
        return SK_ERR_INVALID;
    }
}

void arch_regs_get(struct thread *t, uint32_t kind, void *buf)
{
    const struct trap_frame *tf = arch_user_frame(t);
    switch (kind) {
    case SK_REGS_GENERAL: {
        struct sk_gregs *g = buf;
        *g = (struct sk_gregs){
            .rax = tf->rax, .rbx = tf->rbx, .rcx = tf->rcx, .rdx = tf->rdx,
            .rsi = tf->rsi, .rdi = tf->rdi, .rbp = tf->rbp, .rsp = tf->rsp,
            .r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11,
            .r12 = tf->r12, .r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15,
            .rip = tf->rip, .rflags = tf->rflags, .cs = tf->cs, .ss = tf->ss,
        };
        break;
    }
    case SK_REGS_FPU:
        memcpy(buf, t->fpu, fpu_state_size());
        fpu_image_normalise(buf);
        break;
    case SK_REGS_BASES: {
        struct sk_base_regs *b = buf;
        b->fs_base = t->fs_base;
        b->gs_base = t->gs_base;
        break;
    }
    }
}

void arch_regs_set(struct thread *t, uint32_t kind, const void *buf)
{
    struct trap_frame *tf = arch_user_frame(t);
    switch (kind) {
    case SK_REGS_GENERAL: {
        const struct sk_gregs *g = buf;
        tf->rax = g->rax, tf->rbx = g->rbx, tf->rcx = g->rcx, tf->rdx = g->rdx;
        tf->rsi = g->rsi, tf->rdi = g->rdi, tf->rbp = g->rbp, tf->rsp = g->rsp;
        tf->r8 = g->r8, tf->r9 = g->r9, tf->r10 = g->r10, tf->r11 = g->r11;
        tf->r12 = g->r12, tf->r13 = g->r13, tf->r14 = g->r14, tf->r15 = g->r15;
        tf->rip = g->rip;
        tf->rflags = (g->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2;
        break;
    }
    case SK_REGS_FPU:
        memcpy(t->fpu, buf, fpu_state_size());
        break;
    case SK_REGS_BASES: {
        const struct sk_base_regs *b = buf;
        t->fs_base = b->fs_base; /* loaded into the MSRs when the thread is switched to */
        t->gs_base = b->gs_base;
        break;
    }
    }
}
