/* GDT and TSS layout. Selector order fits syscall/sysret (see docs/boot.md). */
#pragma once

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x20
#define SEL_UCODE 0x28
#define SEL_TSS 0x30

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE 4096

#ifndef __ASSEMBLER__
#include <stdint.h>

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS size");

/*
 * The I/O permission bitmap follows the TSS directly (Intel SDM vol. 1, 19.5.2):
 * 8192 bytes for 65536 ports and the 0xff byte the CPU may read past the end.
 * iomap_base is TSS_IOPB_ON while the running thread has ports granted, else
 * TSS_IOPB_OFF (beyond the TSS limit: every user port access faults).
 */
#define TSS_IOPB_BYTES 8192
#define TSS_IOPB_ON 104
#define TSS_IOPB_OFF 0xffff

struct gdt_cpu {
    uint64_t entries[8];
    struct tss tss;
    uint8_t iopb[TSS_IOPB_BYTES + 1];
    uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

_Static_assert(__builtin_offsetof(struct gdt_cpu, iopb) ==
               __builtin_offsetof(struct gdt_cpu, tss) + TSS_IOPB_ON, "bitmap follows the TSS");

/* Build and load this CPU's GDT and TSS, reload segments. */
void gdt_load(struct gdt_cpu *g);
#endif
