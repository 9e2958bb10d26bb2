/* Virtual memory layout constants, shared by assembly and C. */
#pragma once

#define KERNEL_VBASE      0xffffffff80000000   /* higher-half kernel image: phys + this */
#define DIRECT_MAP_BASE   0xffff800000000000   /* all physical memory: phys + this */
#define KERNEL_PHYS_LOAD  0x100000

#define BOOT_PROTO_UNKNOWN 0
#define BOOT_PROTO_MB2     1
#define BOOT_PROTO_PVH     2

#ifndef __ASSEMBLER__
#include <stdint.h>
static inline void *phys_to_virt(uint64_t phys) { return (void *)(phys + DIRECT_MAP_BASE); }
static inline uint64_t virt_to_phys(const void *virt)
{
    uint64_t v = (uint64_t)virt;
    return v >= KERNEL_VBASE ? v - KERNEL_VBASE : v - DIRECT_MAP_BASE;
}
#endif
