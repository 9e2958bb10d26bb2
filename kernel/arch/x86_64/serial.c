/*
 * COM1 (16550A) for the kernel: output is polled (LSR) so that panics always get out. Input is
 * taken only by the kernel console (serial_input_begin, with `kconsole` or `noinit`); otherwise
 * the kernel never reads a received byte, and a user-space driver owns COM1's input
 * (docs/drivers.md): the kernel keeps the line settings it made here and only ever polls LSR
 * and writes THR.
 */
#include <arch/serial.h>
#include <arch/cpu.h>

#define COM1 0x3f8

/* A byte that was waiting before the FIFO was switched on (which empties it). */
static int early_byte = -1;

/* Line settings only: the FIFOs are left as the firmware left them (off after a reset), since
   switching them on empties the receiver, and a byte typed ahead belongs to whoever takes
   COM1's input. */
void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 (IRQ gate) */
}

void serial_input_begin(void)
{
    if (inb(COM1 + 5) & 0x01)
        early_byte = inb(COM1);
    outb(COM1 + 2, 0xc5); /* FIFO on, transmit side cleared, 14-byte threshold */
    outb(COM1 + 1, 0x01); /* received-data-available interrupt */
}

static void put(char c)
{
    /* bounded wait: a missing UART must not hang the kernel */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            put('\r');
        put(s[i]);
    }
}

int serial_getc(void)
{
    if (early_byte >= 0) {
        int c = early_byte;
        early_byte = -1;
        return c;
    }
    if (inb(COM1 + 5) & 0x01)
        return inb(COM1);
    return -1;
}
