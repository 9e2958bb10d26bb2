/*
 * The native system call entry. `syscall` arrives here on the user's stack with
 * user GS; we switch to the thread's kernel stack, build the same trap frame an
 * interrupt builds (vector SYSCALL_VECTOR), and call syscall_dispatch(frame).
 * Return is by sysret when the frame's rip is a canonical user address
 * (always: an observer can only set user addresses), otherwise by iret; and by
 * iret through syscall_return_iret after the thread stopped for an observer.
 */
#include <arch/frame.h>
#include <arch/gdt.h>

        .section .text.entry, "ax"
        .global syscall_entry
syscall_entry:
        swapgs
        movq %rsp, %gs:CPU_OFF_USER_RSP
        movq %gs:CPU_OFF_KSTACK_TOP, %rsp
        pushq $(SEL_UDATA | 3)
        pushq %gs:CPU_OFF_USER_RSP
        pushq %r11
        pushq $(SEL_UCODE | 3)
        pushq %rcx
        pushq $0
        pushq $SYSCALL_VECTOR
        PUSH_GPRS
        cld
        movq %rsp, %rdi
        xorl %ebp, %ebp
        call syscall_dispatch       /* returns with interrupts off */
        POP_GPRS
        addq $16, %rsp
        /* rsp -> rip, cs, rflags, rsp, ss. sysret needs a canonical user rip. */
        movq (%rsp), %rcx
        movq %rcx, %r11
        shrq $47, %r11
        jnz 1f
        movq 16(%rsp), %r11
        movq 24(%rsp), %rsp
        swapgs
        sysretq
1:      swapgs
        iretq

/* void syscall_return_iret(struct trap_frame *tf): leave through tf by iret (interrupts off). */
        .global syscall_return_iret
syscall_return_iret:
        movq %rdi, %rsp
        jmp isr_return
