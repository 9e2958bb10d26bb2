/*
 * AP start-up trampoline. Copied to physical TRAMP_BASE (a page below 1 MiB,
 * identity mapped while APs start); a SIPI with vector TRAMP_BASE >> 12 starts
 * an AP here in real mode. It goes 16 -> 32 -> 64 bit with its own small GDT,
 * loads the CR3/EFER values and the stack, entry and argument the boot CPU
 * wrote into the parameter block at the end, and jumps to the kernel.
 * The code is position dependent on TRAMP_BASE: T(x) is x's address there.
 */
#define TRAMP_BASE 0x8000
#define T(x) ((x) - trampoline_start + TRAMP_BASE)

        .section .rodata
        .balign 16
        .global trampoline_start, trampoline_end
        .global tramp_cr3, tramp_efer, tramp_stack, tramp_entry, tramp_arg, tramp_alive
        .code16
trampoline_start:
        cli
        cld
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $1, T(tramp_alive)
        lgdtl T(tramp_gdtr)
        movl %cr0, %eax
        orl $1, %eax                    /* PE */
        movl %eax, %cr0
        ljmpl $0x18, $T(tramp32)

        .code32
tramp32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movl %cr4, %eax
        orl $(1 << 5), %eax             /* PAE */
        movl %eax, %cr4
        movl T(tramp_cr3), %eax
        movl %eax, %cr3
        movl $0xc0000080, %ecx          /* EFER: LME, plus NXE if the boot CPU uses it */
        movl T(tramp_efer), %eax
        xorl %edx, %edx
        wrmsr
        movl %cr0, %eax
        orl $0x80010001, %eax           /* PG | WP | PE */
        movl %eax, %cr0
        ljmp $0x08, $T(tramp64)

        .code64
tramp64:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorw %ax, %ax
        movw %ax, %fs
        movw %ax, %gs
        movq T(tramp_stack), %rsp
        movq T(tramp_arg), %rdi
        movq T(tramp_entry), %rax
        xorl %ebp, %ebp
        pushq $0                        /* no return address: ends backtraces, aligns the stack */
        jmp *%rax

        .balign 8
tramp_gdt:
        .quad 0
        .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
        .quad 0x00cf92000000ffff        /* 0x10: data */
        .quad 0x00cf9a000000ffff        /* 0x18: 32-bit code */
tramp_gdtr:
        .word tramp_gdtr - tramp_gdt - 1
        .long T(tramp_gdt)
        .balign 8
tramp_cr3:      .long 0
tramp_efer:     .long 0
tramp_stack:    .quad 0
tramp_entry:    .quad 0
tramp_arg:      .quad 0
tramp_alive:    .word 0
trampoline_end:
