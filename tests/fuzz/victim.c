/*
 * The code victim threads run when they live in the fuzzer's own space (and, since a
 * victim process is this same program, in victim processes too). A fuzzing call may stop
 * such a thread anywhere, rewrite its registers and resume it, so this code is written to
 * stay harmless whatever its registers hold: it never writes memory, never uses its stack
 * (rsp may be anything), sets every register it passes to a system call right before the
 * call except rdi (a harmless value: an exit code, an address only read, a handle), and
 * makes only calls that cannot hurt the process (exit, yield, futex_wait, queue_drive, a
 * supercall). A thread whose registers were rewritten is resumed only at one of the entry
 * points below (calls.c), so it never runs into the middle of a sequence.
 */
#include "fuzz.h"

/* The numbers are literals in the assembly below; these keep them right. */
_Static_assert(SK_SYS_thread_exit == 0x10000012, "victim.c: thread_exit");
_Static_assert(SK_SYS_thread_yield == 0x10000013, "victim.c: thread_yield");
_Static_assert(SK_SYS_futex_wait == 0x10000016, "victim.c: futex_wait");
_Static_assert(SK_SYS_queue_drive == 0x1000001a, "victim.c: queue_drive");
_Static_assert(SK_SUPERCALL_BASE == 0x20000000, "victim.c: supercalls");

__asm__(".text\n"
        ".p2align 4\n"
        ".globl fz_victim_start\n"
        "fz_victim_start:\n"
        /* exit with the code in rdi */
        ".globl fz_v_exit\nfz_v_exit:\n"
        "  mov $0x10000012, %eax\n  syscall\n  ud2\n"
        ".globl fz_v_exit0\nfz_v_exit0:\n"
        "  xor %edi, %edi\n  mov $0x10000012, %eax\n  syscall\n  ud2\n"
        /* spin a while */
        ".globl fz_v_spin\nfz_v_spin:\n"
        "  mov $20000, %r12d\n"
        "1: pause\n  dec %r12\n  jnz 1b\n  jmp fz_v_exit0\n"
        /* yield a few times */
        ".globl fz_v_yield\nfz_v_yield:\n"
        "  mov $20, %r12d\n"
        "1: mov $0x10000013, %eax\n  syscall\n  dec %r12\n  jnz 1b\n  jmp fz_v_exit0\n"
        /* futex_wait(rdi, 0, 1 ms) */
        ".globl fz_v_futex\nfz_v_futex:\n"
        "  xor %esi, %esi\n  mov $1000000, %edx\n  mov $0x10000016, %eax\n  syscall\n"
        "  jmp fz_v_exit0\n"
        /* futex_wait(rdi, 0, forever): sleeps until killed if the word is 0 */
        ".globl fz_v_futex_never\nfz_v_futex_never:\n"
        "  xor %esi, %esi\n  mov $-1, %rdx\n  mov $0x10000016, %eax\n  syscall\n"
        "  jmp fz_v_exit0\n"
        /* faults: #UD for ever (an observer sees a stop each time), int3, #PF, #GP, #DE */
        ".globl fz_v_ud2\nfz_v_ud2:\n"
        "1: ud2\n  jmp 1b\n"
        ".globl fz_v_int3\nfz_v_int3:\n"
        "  int3\n  jmp fz_v_exit0\n"
        ".globl fz_v_pf\nfz_v_pf:\n"
        "  movq 0x8, %rax\n  jmp fz_v_exit0\n"
        ".globl fz_v_gp\nfz_v_gp:\n"
        "  hlt\n  jmp fz_v_exit0\n"
        ".globl fz_v_de\nfz_v_de:\n"
        "  xor %ecx, %ecx\n  xor %edx, %edx\n  mov $1, %eax\n  div %ecx\n  jmp fz_v_exit0\n"
        /* a supercall: stops an observed thread, SK_ERR_UNSUPPORTED for the others */
        ".globl fz_v_super\nfz_v_super:\n"
        "  mov $0x20000007, %eax\n  syscall\n  jmp fz_v_exit0\n"
        /* queue_drive(rdi, 1, 100 us) */
        ".globl fz_v_drive\nfz_v_drive:\n"
        "  mov $1, %esi\n  mov $100000, %edx\n  mov $0x1000001a, %eax\n  syscall\n"
        "  jmp fz_v_exit0\n"
        ".globl fz_victim_end\n"
        "fz_victim_end:\n");

extern const char fz_v_exit[], fz_v_spin[], fz_v_yield[], fz_v_futex[], fz_v_futex_never[],
    fz_v_ud2[], fz_v_int3[], fz_v_pf[], fz_v_gp[], fz_v_de[], fz_v_super[], fz_v_drive[];

void *const fz_victims[FZ_VICTIMS] = {
    (void *)fz_v_exit, (void *)fz_v_spin, (void *)fz_v_yield, (void *)fz_v_futex,
    (void *)fz_v_futex_never, (void *)fz_v_ud2, (void *)fz_v_int3, (void *)fz_v_pf,
    (void *)fz_v_gp, (void *)fz_v_de, (void *)fz_v_super, (void *)fz_v_drive,
};
