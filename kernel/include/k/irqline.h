/*
 * Device interrupts for user-space drivers (docs/drivers.md). An IRQ object
 * (SK_OBJ_IRQ, a "sink") is attached to a line: an I/O APIC input (GSI),
 * possibly shared by several sinks, or an MSI vector of its own. Each
 * interrupt bumps every sink's sequence number and completes the irq_await
 * operations waiting for it. A level-triggered GSI stays masked from the
 * interrupt until every sink has answered (irq_ack / irq_nack) or the answer
 * timeout passes; a line nobody claims IRQLINE_STORM_REJECTS times in a row
 * is masked with back-off.
 *
 * All line and sink state is guarded by one irq-safe lock (irqline.c).
 * Lock order: that lock, then the I/O APIC lock, a CPU's timer lock, a queue's lock.
 */
#pragma once
#include <stdint.h>
#include <skoll/errors.h>
#include <k/object.h>

#define IRQLINE_STORM_REJECTS 8                /* unclaimed interrupts in a row before masking */
#define IRQLINE_BACKOFF_MIN_NS 1000000ull      /* first storm back-off: 1 ms ... */
#define IRQLINE_BACKOFF_MAX_NS 1000000000ull   /* ... doubling up to 1 s */
#define IRQLINE_ANSWER_NS 500000000ull         /* level: unanswered after 500 ms = rejected */

struct irq_line;
struct async_op;

struct irq_sink {
    struct kobject obj;        /* SK_OBJ_IRQ */
    struct irq_line *line;     /* set while attached */
    struct irq_sink *next;     /* the line's sinks */
    uint64_t seq;              /* interrupts delivered to this sink */
    uint64_t answered;         /* highest sequence number answered */
    int owes;                  /* owes an answer for the line's current level interrupt */
    struct async_op *waiters;  /* pending irq_await operations (op->priv = this sink) */
};

/* Line kinds for irqline_attach. */
#define IRQLINE_GSI 1
#define IRQLINE_MSI 2

/*
 * Attach s (fresh, not attached) to a line. GSI: the line for gsi with
 * trigger/polarity flags trig (IRQ_LEVEL, IRQ_ACTIVE_LOW), shared with the sinks
 * already there, routed and unmasked when it is new. MSI: a new line with a
 * vector of its own; *msi_addr and *msi_data get the message the device must
 * send. Returns SK_OK, SK_ERR_BUSY (the GSI is set up with other flags, or no
 * vector is free) or SK_ERR_OUT_OF_RANGE (the I/O APIC refused the GSI).
 * The caller has checked that the GSI exists and is not the kernel's.
 */
sk_error_t irqline_attach(struct irq_sink *s, int kind, uint32_t gsi, unsigned trig,
                          uint64_t *msi_addr, uint32_t *msi_data);
/*
 * Detach s: its pending awaits complete with SK_ERR_DEAD, an answer it owed
 * counts as "not mine", and a line left without sinks is masked and freed.
 * Harmless on a sink that was never attached.
 */
void irqline_detach(struct irq_sink *s);
/*
 * s answers interrupt seq: mine (claimed = 1) or not (0). Returns SK_ERR_INVALID
 * for seq 0 or beyond s's sequence, else SK_OK; see docs/drivers.md for what
 * an answer changes.
 */
sk_error_t irqline_answer(struct irq_sink *s, uint64_t seq, int claimed);
/* Queue op (an irq_await on s for a sequence beyond after); completes at once if due. */
void irqline_await(struct irq_sink *s, struct async_op *op, uint64_t after);
/* 1 if the kernel keeps gsi for itself: the PIT, and COM1 while the kernel console reads it. */
int irqline_gsi_reserved(uint32_t gsi);
