/* The AP start-up trampoline (trampoline.S): code and the parameter block the boot CPU fills. */
#pragma once
#include <stdint.h>

#define TRAMP_BASE 0x8000 /* physical page the trampoline runs from; SIPI vector 0x08 */

extern const uint8_t trampoline_start[], trampoline_end[];
/* Parameter block, addressed in the original; write them at the same offsets in the copy. */
extern const uint8_t tramp_cr3[], tramp_efer[], tramp_stack[], tramp_entry[], tramp_arg[],
    tramp_alive[];
