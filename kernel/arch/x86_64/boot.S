/*
 * Boot entry. Owns the two ways into Skoll: GRUB multiboot2 (BIOS and UEFI)
 * and QEMU/Xen PVH direct boot. Both arrive in 32-bit protected mode with
 * paging off; this file builds throw-away page tables (identity + direct map
 * + higher-half kernel for the first 4 GiB), enters long mode and calls
 * kmain(protocol, info_phys) on the boot stack in the higher half.
 */
#include <arch/layout.h>

#define MB2_MAGIC      0xe85250d6
#define MB2_ARCH_I386  0
#define MB2_BOOT_MAGIC 0x36d76289
#define PVH_MAGIC      0x336ec578

        .section .boot.header, "a"
        .balign 8
mb2_header:
        .long MB2_MAGIC
        .long MB2_ARCH_I386
        .long mb2_header_end - mb2_header
        .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        /* entry address tag: the 32-bit physical entry point */
        .balign 8
        .word 3, 0
        .long 12
        .long _start
        /* information request: we need cmdline(1), modules(3), mmap(6), acpi(14/15) */
        .balign 8
        .word 1, 0
        .long 8 + 4 * 5
        .long 1, 3, 6, 14, 15
        /* modules page aligned */
        .balign 8
        .word 6, 0
        .long 8
        /* end tag */
        .balign 8
        .word 0, 0
        .long 8
mb2_header_end:

        /* PVH: Xen ELF note type 18 (PHYS32_ENTRY) naming the 32-bit entry */
        .section .note.pvh, "a"
        .balign 4
        .long 4                 /* namesz: "Xen\0" */
        .long 8                 /* descsz */
        .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .balign 4
        .quad _start_pvh

        .section .boot.text, "ax"
        .code32
        .global _start
_start:                         /* multiboot2: eax = magic, ebx = info */
        cli
        cld
        cmpl $MB2_BOOT_MAGIC, %eax
        jne 1f
        movl $BOOT_PROTO_MB2, %esi
        jmp common32
1:      movl $BOOT_PROTO_UNKNOWN, %esi
        jmp common32

        .global _start_pvh
_start_pvh:                     /* PVH: ebx = hvm_start_info */
        cli
        cld
        movl $BOOT_PROTO_UNKNOWN, %esi
        cmpl $PVH_MAGIC, (%ebx)
        jne common32
        movl $BOOT_PROTO_PVH, %esi

common32:
        movl %esi, boot_proto_saved
        movl %ebx, boot_info_saved
        movl $boot_stack32_top, %esp

        /* the loaders zero NOLOAD space, but do not rely on it */
        movl $boot_pml4, %edi
        movl $(4096 * 7 / 4), %ecx
        xorl %eax, %eax
        rep stosl

        /* PML4[0] and PML4[256] -> low PDPT (identity and direct map), PML4[511] -> high PDPT */
        movl $boot_pdpt_low + 3, %eax
        movl %eax, boot_pml4
        movl %eax, boot_pml4 + 256 * 8
        movl $boot_pdpt_high + 3, %eax
        movl %eax, boot_pml4 + 511 * 8
        /* low PDPT[0..3] -> the four PDs */
        movl $boot_pd + 3, %eax
        movl %eax, boot_pdpt_low + 0
        movl %eax, boot_pdpt_high + 510 * 8
        addl $4096, %eax
        movl %eax, boot_pdpt_low + 8
        movl %eax, boot_pdpt_high + 511 * 8
        addl $4096, %eax
        movl %eax, boot_pdpt_low + 16
        addl $4096, %eax
        movl %eax, boot_pdpt_low + 24
        /* 2048 2 MiB pages covering 0..4 GiB */
        xorl %ecx, %ecx
2:      movl %ecx, %eax
        shll $21, %eax
        orl $0x83, %eax         /* present, writable, 2 MiB */
        movl %eax, boot_pd(, %ecx, 8)
        movl %ecx, %eax
        shrl $11, %eax          /* high bits of the address (0 below 4 GiB) */
        movl %eax, boot_pd + 4(, %ecx, 8)
        incl %ecx
        cmpl $2048, %ecx
        jne 2b

        movl %cr4, %eax
        orl $(1 << 5), %eax     /* PAE */
        movl %eax, %cr4
        movl $boot_pml4, %eax
        movl %eax, %cr3
        movl $0xc0000080, %ecx  /* EFER */
        rdmsr
        orl $(1 << 8), %eax     /* LME */
        wrmsr
        movl %cr0, %eax
        orl $0x80010001, %eax   /* PG | WP | PE */
        movl %eax, %cr0
        lgdt boot_gdt_ptr
        ljmp $0x08, $long64

        .code64
long64:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorw %ax, %ax
        movw %ax, %fs
        movw %ax, %gs
        movabsq $long_high, %rax
        jmp *%rax

        .section .boot.data, "aw"
        .balign 16
boot_gdt:
        .quad 0
        .quad 0x00af9a000000ffff        /* 64-bit code */
        .quad 0x00cf92000000ffff        /* data */
boot_gdt_end:
boot_gdt_ptr:
        .word boot_gdt_end - boot_gdt - 1
        .long boot_gdt
        .global boot_proto_saved, boot_info_saved
boot_proto_saved: .long 0
boot_info_saved:  .long 0

        .section .boot.bss, "aw", @nobits
        .balign 4096
        .global boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_stack32:   .skip 1024
boot_stack32_top:

        .text
long_high:
        /* zero .bss (loaders should, but do not rely on it) */
        movabsq $__bss_start, %rdi
        movabsq $__bss_end, %rcx
        subq %rdi, %rcx
        xorl %eax, %eax
        rep stosb
        movabsq $boot_stack_top, %rsp
        xorl %ebp, %ebp
        movl boot_proto_saved, %edi
        movl boot_info_saved, %esi
        call kmain
3:      cli
        hlt
        jmp 3b

        .bss
        .balign 16
        .global boot_stack, boot_stack_top
boot_stack:     .skip 16384
boot_stack_top:
