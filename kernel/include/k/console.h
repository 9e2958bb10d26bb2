/* The interactive serial console (a command shell on COM1). */
#pragma once

/* Take COM1 receive interrupts on this vector (already routed to the boot CPU). */
void console_attach_irq(unsigned vector);
/* Run the shell forever in the calling kernel thread (it sleeps while there is no input). */
__attribute__((noreturn)) void console_run(void);
