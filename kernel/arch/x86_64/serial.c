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

/* The FIFOs stay as they are here too: switching them on would empty the receiver, and a byte
   that arrives between reading the one waiting and the switch would be lost. */
void serial_input_begin(void)
{
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
    if (inb(COM1 + 5) & 0x01)
        return inb(COM1);
    return -1;
}
