/*
 * Program entry. The spawner (lib/sk/spawn.c) or the kernel (for init) starts
 * the first thread here with rdi = struct sk_start_info * and rsp = 8 mod 16,
 * as just after a call. We end the frame-pointer chain, keep the alignment and
 * hand over to C.
 */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    push %rbp           /* a zero return address ends backtraces; rsp is now 0 mod 16 */
    call sk_start       /* rdi still holds the start info */
    ud2
    .size _start, . - _start
    .section .note.GNU-stack, "", @progbits
