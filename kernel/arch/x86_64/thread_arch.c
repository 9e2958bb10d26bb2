/* x86-64 parts of threads: first-run stack layouts and the per-switch CPU state
   (kernel stack, FS/GS bases, FPU, address space, I/O permission bitmap). */
#include <k/sched.h>
#include <k/percpu.h>
#include <k/uspace.h>
#include <k/ioport.h>
#include <arch/idt.h>
#include <arch/gdt.h>
#include <arch/cpu.h>
#include <base/string.h>

extern char thread_start_kernel[], thread_start_user[];
void fpu_save(void *area);
void fpu_restore(const void *area);

/* Callee-saved registers popped by context_switch: r15 r14 r13 r12 rbx rbp, then ret. */
struct switch_frame {
    uint64_t r15, r14, r13, r12, rbx, rbp, ret;
};

void arch_thread_init_kernel(struct thread *t, void (*fn)(void *), void *arg)
{
    /* after ret, rsp = top - 16: 16-byte aligned like a fresh call site */
    struct switch_frame *sf = (struct switch_frame *)(t->kstack_top - 16 - sizeof *sf);
    memset(sf, 0, sizeof *sf);
    sf->r12 = (uint64_t)arg;
    sf->r13 = (uint64_t)fn;
    sf->ret = (uint64_t)thread_start_kernel;
    t->saved_rsp = (uint64_t)sf;
}

void arch_thread_init_user(struct thread *t, uint64_t entry, uint64_t stack, uint64_t arg)
{
    struct trap_frame *tf = (struct trap_frame *)(t->kstack_top - sizeof *tf);
    memset(tf, 0, sizeof *tf);
    tf->rip = entry;
    tf->cs = SEL_UCODE | 3;
    tf->rflags = 0x202; /* IF */
    tf->rsp = stack;
    tf->ss = SEL_UDATA | 3;
    tf->rdi = arg;
    struct switch_frame *sf = (struct switch_frame *)((uint64_t)tf - sizeof *sf);
    memset(sf, 0, sizeof *sf);
    sf->ret = (uint64_t)thread_start_user;
    t->saved_rsp = (uint64_t)sf;
}

void arch_switch_to(struct thread *prev, struct thread *next)
{
    struct cpu *c = this_cpu();
    if (prev->fpu)
        fpu_save(prev->fpu);
    if (next->fpu)
        fpu_restore(next->fpu);
    c->kstack_top = next->kstack_top;
    c->gdt.tss.rsp[0] = next->kstack_top;
    if (next->space) {
        wrmsr(MSR_FS_BASE, next->fs_base);
        wrmsr(MSR_KERNEL_GS_BASE, next->gs_base);
    }
    /* Kernel threads (no space) run on whatever page tables are loaded: the kernel half is
       the same in all of them, and under QEMU TCG every CR3 load costs the whole TLB. For
       them c->space is NULL (no user memory to copy from) and lazy_space names the tables
       still loaded, which stay counted as loaded here for TLB shootdowns; a space that goes
       away is first unloaded from every CPU (vm_space_destroy). */
    if (next->space != c->space) {
        if (!next->space) {
            if (c->space)
                c->lazy_space = c->space;
            c->space = NULL;
        } else if (next->space == c->lazy_space) {
            c->space = next->space;
            c->lazy_space = NULL;
        } else {
            vm_space_activate(next->space);
        }
    }
    arch_ioports_load(next);
}
