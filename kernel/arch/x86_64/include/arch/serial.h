/* COM1 serial console: 115200 8N1, polled output, polled or interrupt-driven input. */
#pragma once
#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);
/* Returns the next received byte, or -1 when none is waiting. */
int serial_getc(void);
/* Ask the UART to interrupt when a byte arrives (IRQ 4 must be routed first). */
void serial_enable_rx_irq(void);
