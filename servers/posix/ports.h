/*
 * I/O port access for the server's own drivers (uart.c: COM1; rtc.c: the CMOS clock), on
 * ports granted from the hardware-access handle (ioport_grant).
 */
#pragma once
#include <stdint.h>

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
