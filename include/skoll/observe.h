/*
 * Thread observation (docs/observation.md): what a supervisor learns when an
 * observed thread stops, and the register sets it can read and write while
 * the thread is stopped (thread_get_regs / thread_set_regs). The stop reasons
 * SK_STOP_* are in skoll/queue.h with the observe operation.
 */
#pragma once
#include <stdint.h>

/*
 * Inline data of an observe completion (sk_cqe.data, length = sizeof) and the
 * SK_REGS_STOP register set. Fields a reason does not use are 0.
 */
struct sk_stop_info {
    uint32_t reason;   /* SK_STOP_* (also sk_cqe.value) */
    uint32_t vector;   /* FAULT, BREAKPOINT: the CPU exception vector */
    uint64_t error;    /* FAULT: the exception's error code (0 if it has none) */
    uint64_t address;  /* FAULT with vector 14: the fault address (cr2) */
    uint64_t rip;      /* the user rip the thread will resume at (after int3 / syscall) */
    uint64_t rsp;
    uint64_t number;   /* SUPERCALL: the number (rax); EXIT: the exit status */
    uint64_t args[6];  /* SUPERCALL: rdi, rsi, rdx, r10, r8, r9 */
};
_Static_assert(sizeof(struct sk_stop_info) == 96, "sk_stop_info layout");
_Static_assert(__builtin_offsetof(struct sk_stop_info, number) == 40, "sk_stop_info layout");

/* thread_get_regs / thread_set_regs kinds; each has a fixed size (see docs/abi.md). */
#define SK_REGS_GENERAL 0 /* struct sk_gregs */
#define SK_REGS_FPU 1     /* the FPU/vector image: FXSAVE layout, then the XSAVE header and
                             standard-format components when the CPU has XSAVE; size from the
                             kernel (get with size 0) */
#define SK_REGS_BASES 2   /* struct sk_base_regs */
#define SK_REGS_STOP 3    /* struct sk_stop_info of the current stop (read only) */
#define SK_REGS_KINDS 4

/* General registers. cs and ss are read only: a write must pass the values read. */
struct sk_gregs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint64_t cs, ss;
};
_Static_assert(sizeof(struct sk_gregs) == 160, "sk_gregs layout");
_Static_assert(__builtin_offsetof(struct sk_gregs, rip) == 128, "sk_gregs layout");

/* FS and GS base (the values thread_set_base sets). */
struct sk_base_regs {
    uint64_t fs_base, gs_base;
};
_Static_assert(sizeof(struct sk_base_regs) == 16, "sk_base_regs layout");

/* Offsets in the SK_REGS_FPU image (the FXSAVE legacy area, the same with XSAVE). */
#define SK_FPU_FCW 0        /* uint16_t x87 control word */
#define SK_FPU_MXCSR 24     /* uint32_t */
#define SK_FPU_ST0 32       /* 8 x 16 bytes */
#define SK_FPU_XMM0 160     /* 16 x 16 bytes */
#define SK_FPU_XSTATE_BV 512 /* uint64_t, when the image is longer than 512 bytes */
#define SK_FPU_LEGACY_SIZE 512
