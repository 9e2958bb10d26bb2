/*
 * The native system call entry. `syscall` arrives here on the user's stack with
 * user GS; we switch to the thread's kernel stack, build the same trap frame an
 * interrupt builds (vector SYSCALL_VECTOR), and call syscall_dispatch(frame).
 * Return is by sysret when the frame's rip is a canonical user address
 * (always, unless an observer changed it), otherwise by iret.
 */
#define SEL_UDATA_RPL3 0x23
#define SEL_UCODE_RPL3 0x2b
#define SYSCALL_VECTOR 0x100
#define CPU_OFF_KSTACK_TOP 8
#define CPU_OFF_USER_RSP 16

        .text
        .global syscall_entry
syscall_entry:
        swapgs
        movq %rsp, %gs:CPU_OFF_USER_RSP
        movq %gs:CPU_OFF_KSTACK_TOP, %rsp
        pushq $SEL_UDATA_RPL3
        pushq %gs:CPU_OFF_USER_RSP
        pushq %r11
        pushq $SEL_UCODE_RPL3
        pushq %rcx
        pushq $0
        pushq $SYSCALL_VECTOR
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        cld
        movq %rsp, %rdi
        xorl %ebp, %ebp
        call syscall_dispatch       /* returns with interrupts off */
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
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
