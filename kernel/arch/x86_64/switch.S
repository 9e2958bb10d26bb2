/*
 * Kernel stack switching and the first run of a new thread.
 * struct thread *context_switch(uint64_t *prev_rsp, uint64_t next_rsp, struct thread *prev)
 */
        .section .text.entry, "ax"
        .global context_switch
context_switch:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, (%rdi)
        movq %rsi, %rsp
        movq %rdx, %rax
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret

/* First run of a kernel thread: r12 = arg, r13 = fn, rax = the thread switched away from. */
        .global thread_start_kernel
thread_start_kernel:
        movq %rax, %rdi
        call sched_finish_switch
        sti
        movq %r12, %rdi
        call *%r13
        xorl %edi, %edi
        call kthread_exit
        ud2

/* First run of a user thread: its trap frame is at the top of its kernel stack. */
        .global thread_start_user
thread_start_user:
        movq %rax, %rdi
        call sched_finish_switch
        call sched_return_to_user
        jmp isr_return
