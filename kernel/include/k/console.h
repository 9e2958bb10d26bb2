/*
 * The kernel debug console (a command shell on COM1), for `kconsole` or `noinit` boots only.
 * Without it the kernel only writes to COM1 and a user-space driver may own its input.
 */
#pragma once

/* Boot, before init starts: the console will run (and owns COM1's input) when the command
   line has `kconsole` or `noinit`. */
void console_claim(const char *cmdline);
/* True when the kernel console owns COM1's input: COM1's ports (0x3f8-0x3ff) and ISA IRQ 4
   are then refused to user space (SK_ERR_BUSY). */
int console_owns_com1(void);
/* Take COM1's input (interrupt on the boot CPU) and run the shell forever in the calling kernel
   thread (it sleeps while there is no input). Only when console_owns_com1(). */
__attribute__((noreturn)) void console_run(void);
