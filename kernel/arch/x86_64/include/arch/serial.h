/* COM1 serial port: 115200 8N1, polled output; input only for the kernel console. */
#pragma once
#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);
/* Kernel console only: ask the UART to interrupt when a byte arrives (IRQ 4 must be routed
   first). A byte typed ahead stays waiting for serial_getc. */
void serial_input_begin(void);
/* Kernel console only: the next received byte, or -1 when none is waiting. */
int serial_getc(void);
