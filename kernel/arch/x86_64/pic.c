/* The legacy 8259 PIC pair. Skoll uses the APICs; the PICs are remapped to 32-47 and masked. */
#include <arch/pic.h>
#include <arch/cpu.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

void pic_disable(void)
{
    /* ICW1: init, ICW4 follows; ICW2: vector base; ICW3: cascade on IRQ2; ICW4: 8086 mode */
    outb(PIC1_CMD, 0x11);
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, 32);
    outb(PIC2_DATA, 40);
    outb(PIC1_DATA, 4);
    outb(PIC2_DATA, 2);
    outb(PIC1_DATA, 1);
    outb(PIC2_DATA, 1);
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}
