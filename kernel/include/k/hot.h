/*
 * Variables read on the hot paths (system call entry, stops, queue drive, scheduling), kept
 * together in .data.hot at the start of .data: under emulation every page touched after an
 * address-space switch is a TLB refill (docs/bench.md, "The POSIX server"), and these used
 * to lie on eight pages of .bss. Zero-initialised ones take a few bytes of the image.
 */
#pragma once
#define KHOT __attribute__((section(".data.hot")))
