/*
 * lib/sk: the native user-space runtime (freestanding, static, no libc).
 * Include this one header for everything: system calls, start-up data,
 * printing, memory, threads and synchronisation. See docs/runtime.md.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <base/string.h>
#include <sk/syscall.h>
#include <sk/mem.h>
#include <sk/thread.h>

/*
 * A function on a server's per-request path: GCC places it in .text.hot, which
 * lib/sk/user.ld puts first, so the path's code shares a few pages. Under emulation every
 * page touched after an address-space switch is a TLB refill (docs/bench.md).
 */
#define SK_HOT __attribute__((hot))
/* Variables every call touches, kept together at the start of .data (lib/sk/user.ld): under
   emulation each page touched after an address-space switch is a TLB refill. */
#define SK_HOT_DATA __attribute__((section(".data.hot")))

/* The program's entry point, called by crt0 with the block the spawner built. */
#ifndef SKOLL_HOST_TEST
int main(const struct sk_start_info *si);
#endif

/* The start-up block (NULL if the program was started without one) and its argv. */
const struct sk_start_info *sk_start_info(void);
int sk_argc(void);
const char *sk_argv(int i); /* NULL when out of range */
/* The lane to the registry the program was started with (docs/registry.md), or 0. */
sk_handle_t sk_registry_lane(void);
/* The program's name: argv[0] without directories ("test-hello"), or "?" */
const char *sk_progname(void);

/*
 * printf to the kernel log (sk_log). Formats of lib/base/fmt.c: %d %i %u %x %X
 * %o %p %s %c %% with flags, width, precision for %s, and hh h l ll z. Output is
 * buffered per call and sent in pieces of up to 256 bytes, so a short line from
 * one call is never interleaved with another thread's.
 */
size_t sk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t sk_vprintf(const char *fmt, va_list ap);
size_t sk_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Describe an exit-word value ("exit 3", "fault: vector 14 (#PF)", "killed", "running"). */
void sk_exit_describe(uint64_t status, char *buf, size_t size);

/* Print "<progname>: <msg>" and end the thread with code 127. */
__attribute__((noreturn)) void sk_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
