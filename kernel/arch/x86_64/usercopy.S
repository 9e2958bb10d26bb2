/*
 * The instructions that touch user memory, each with an exception-table
 * entry (.ex_table: pairs of faulting address and fixup address, read by the
 * page-fault hook in usercopy.c). Nothing else in the kernel reads or writes
 * user addresses.
 *
 * uint64_t uaccess_copy(void *dst, const void *src, uint64_t n)
 *   Copy n bytes; returns 0, or the number of bytes not copied when a fault
 *   could not be resolved. rep movsb is restartable, so a fault the hook
 *   resolves (demand paging) simply resumes it.
 */
        .text
        .global uaccess_copy
        .type uaccess_copy, @function
uaccess_copy:
        movq %rdx, %rcx
1:      rep movsb
        xorl %eax, %eax
        ret
2:      movq %rcx, %rax
        ret
        .size uaccess_copy, . - uaccess_copy

        .section .ex_table, "a"
        .balign 8
        .quad 1b, 2b
