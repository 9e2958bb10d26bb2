/*
 * The instructions that touch user memory, each with an exception-table
 * entry (.ex_table: pairs of faulting address and fixup address, read by the
 * page-fault hook in usercopy.c). Nothing else in the kernel reads or writes
 * user addresses.
 *
 * uint64_t uaccess_copy(void *dst, const void *src, uint64_t n)
 *   Copy n bytes; returns 0, or the number of bytes not copied when a fault
 *   could not be resolved. Eight bytes at a time, then the rest (one string
 *   instruction step per qword: much cheaper than per byte under emulation).
 *   rep movs is restartable, so a fault the hook resolves (demand paging)
 *   simply resumes it.
 */
        .section .text.entry, "ax"
        .global uaccess_copy
        .type uaccess_copy, @function
uaccess_copy:
        movq %rdx, %rcx
        shrq $3, %rcx
        andl $7, %edx
1:      rep movsq
        movq %rdx, %rcx
2:      rep movsb
        xorl %eax, %eax
        ret
3:      leaq (%rdx,%rcx,8), %rax        /* faulted in the qwords: they and the tail are left */
        ret
4:      movq %rcx, %rax
        ret
        .size uaccess_copy, . - uaccess_copy

        .section .ex_table, "a"
        .balign 8
        .quad 1b, 3b
        .quad 2b, 4b
