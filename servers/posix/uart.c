/*
 * The serial console's driver: COM1 (a 16550 UART at port 0x3f8, ISA IRQ 4)
 * driven from the POSIX server with a port grant and an IRQ object, as a
 * driver would be (docs/drivers.md: only IER and MCR are ours to change; the
 * kernel keeps writing its log lines). Received bytes go to the console
 * terminal's line discipline; output is written byte by byte when the
 * transmitter is empty. Without the hardware capability (a test that does not
 * give it) the console writes whole lines to the kernel log instead and reads
 * nothing.
 */
#include "posix.h"
#include "ports.h"
#include "tty.h"

#define COM1 0x3f8
#define RBR 0
#define THR 0
#define IER 1
#define IIR 2
#define MCR 4
#define LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define MCR_OUT2 0x08

static int have_uart;
static sk_handle_t irq;
static struct sk_op irq_op;
static uint64_t irq_seq;


/* ---- without the port: lines to the kernel log ---- */
static char log_line[1000];
static size_t log_len;

void console_flush(void)
{
    if (log_len)
        sk_log(log_line, log_len);
    log_len = 0;
}

static void log_out(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            console_flush();
            continue;
        }
        if (s[i] == '\r')
            continue;
        if (log_len == sizeof log_line)
            console_flush();
        log_line[log_len++] = s[i];
    }
}

void console_out(struct tty *tt, const char *s, size_t n)
{
    (void)tt;
    if (!have_uart) {
        log_out(s, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        for (unsigned spin = 0; !(inb(COM1 + LSR) & LSR_THRE) && spin < 1000000; spin++)
            __builtin_ia32_pause();
        outb(COM1 + THR, (uint8_t)s[i]);
    }
}

/* Everything the UART holds now goes to the terminal. */
static void drain(void)
{
    char buf[64];
    size_t n = 0;
    for (unsigned guard = 0; guard < 4096 && (inb(COM1 + LSR) & LSR_DR); guard++) {
        buf[n++] = (char)inb(COM1 + RBR);
        if (n == sizeof buf) {
            tty_input(&console_tty, buf, n);
            n = 0;
        }
    }
    if (n)
        tty_input(&console_tty, buf, n);
}

static void irq_done(struct sk_op *op, const struct sk_cqe *cqe);

static void irq_wait(void)
{
    sk_op_submit(&px.q, &irq_op, SK_OP_irq_await, irq_done, (uint64_t)irq, irq_seq, 0, 0);
}

static void irq_done(struct sk_op *op, const struct sk_cqe *cqe)
{
    (void)op;
    if (cqe->error != SK_OK) {
        if (cqe->error != SK_ERR_CANCELLED && cqe->error != SK_ERR_DEAD)
            plog("console interrupt: %s\n", sk_error_name(cqe->error));
        return;
    }
    irq_seq = cqe->value;
    (void)inb(COM1 + IIR); /* edge-triggered: take every pending cause now */
    drain();
    sk_irq_ack(irq, irq_seq);
    irq_wait();
}

int uart_start(sk_handle_t hw)
{
    if (!hw || sk_ioport_grant(hw, COM1, 8) != SK_OK)
        return -1;
    if (sk_irq_create(hw, 4, SK_IRQ_ISA, &irq) != SK_OK)
        return -1;
    have_uart = 1;
    console_flush();
    outb(COM1 + IER, 0x01);                           /* received data available */
    outb(COM1 + MCR, inb(COM1 + MCR) | MCR_OUT2);     /* the IRQ line through to the PIC */
    drain(); /* what was typed ahead of us */
    irq_wait();
    return 0;
}
