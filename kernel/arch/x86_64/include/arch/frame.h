/*
 * Constants and macros shared by the entry code and C: the general-register
 * part of struct trap_frame (arch/idt.h), pushed and popped in one place for
 * interrupts and system calls, and the per-CPU fields the entry code reads
 * (checked against struct cpu in kernel/core/percpu.c).
 */
#pragma once

#define CPU_OFF_KSTACK_TOP 8 /* struct cpu.kstack_top */
#define CPU_OFF_USER_RSP 16  /* struct cpu.user_rsp */
#define SYSCALL_VECTOR 0x100 /* trap_frame.vector of a system call */

#ifdef __ASSEMBLER__

/* Push rax..r15 so that r15 ends up at the lowest address (struct trap_frame order). */
.macro PUSH_GPRS
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
.endm

.macro POP_GPRS
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
.endm

#endif
