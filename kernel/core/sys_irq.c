/*
 * IRQ objects as user space sees them: irq_create, irq_ack, irq_nack and the
 * irq_await queue operation (docs/abi.md, docs/drivers.md). The line logic
 * is kernel/core/irqline.c.
 */
#include <k/syscall.h>
#include <k/hwaccess.h>
#include <k/irqline.h>
#include <k/irq.h>
#include <k/async.h>
#include <k/universe.h>
#include <k/thread.h>
#include <k/uspace.h>
#include <k/heap.h>

/* Rights of a new IRQ handle: await (WAIT), answer (SIGNAL), pass on. */
#define IRQ_RIGHTS (SK_RIGHT_READ | SK_RIGHT_WAIT | SK_RIGHT_SIGNAL | SK_RIGHT_TRANSFER | \
                    SK_RIGHT_DUPLICATE)
#define IRQ_FLAGS (SK_IRQ_KIND_MASK | SK_IRQ_LEVEL | SK_IRQ_ACTIVE_LOW)

static void sink_destroy(struct kobject *o)
{
    struct irq_sink *s = (struct irq_sink *)o;
    irqline_detach(s);
    kfree(s);
}

/*
 * irq_create(hw, line, flags) -> handle. Checks everything before attaching:
 * the capability, the flags, the line (ISA IRQ, GSI, or the MSI struct).
 */
SYSCALL_DEFINE(irq_create)
{
    SYSCALL_UNUSED_ARGS;
    sk_error_t e = hw_access_check((sk_handle_t)a0);
    if (e != SK_OK)
        return e;
    if (a2 & ~(uint64_t)IRQ_FLAGS)
        return SK_ERR_INVALID;
    unsigned kind = (unsigned)a2 & SK_IRQ_KIND_MASK, trig = 0;
    uint32_t gsi = 0;
    struct sk_irq_msi msi;
    if (kind == SK_IRQ_ISA) {
        if (a2 & (SK_IRQ_LEVEL | SK_IRQ_ACTIVE_LOW))
            return SK_ERR_INVALID; /* ISA lines take their mode from the firmware */
        if (a1 > 15 || irq_isa_lookup((unsigned)a1, &gsi, &trig) != 0)
            return SK_ERR_OUT_OF_RANGE;
        if (!irq_gsi_exists(gsi))
            return SK_ERR_OUT_OF_RANGE;
    } else if (kind == SK_IRQ_GSI) {
        if (a1 > SK_IRQ_MAX_GSI || !irq_gsi_exists((uint32_t)a1))
            return SK_ERR_OUT_OF_RANGE;
        gsi = (uint32_t)a1;
        trig = (a2 & SK_IRQ_LEVEL ? IRQ_LEVEL : 0) | (a2 & SK_IRQ_ACTIVE_LOW ? IRQ_ACTIVE_LOW : 0);
    } else if (kind == SK_IRQ_MSI) {
        if (a2 & (SK_IRQ_LEVEL | SK_IRQ_ACTIVE_LOW))
            return SK_ERR_INVALID; /* MSIs are edge-triggered messages */
        e = copy_from_user(&msi, a1, sizeof msi);
        if (e != SK_OK)
            return e;
        if (msi.reserved != 0)
            return SK_ERR_INVALID;
    } else {
        return SK_ERR_INVALID;
    }
    if (kind != SK_IRQ_MSI && irqline_gsi_reserved(gsi))
        return SK_ERR_BUSY;
    struct universe *u = thread_universe(current_thread());
    if (!u)
        return SK_ERR_DEAD;
    /* everything that can fail before the line is attached: the MSI output is writable,
       the handle has room, the sink has memory */
    if (kind == SK_IRQ_MSI && (e = copy_to_user(a1, &msi, sizeof msi)) != SK_OK)
        return e;
    e = universe_reserve(u, 1);
    if (e != SK_OK)
        return e;
    struct irq_sink *s = kzalloc(sizeof *s);
    if (!s) {
        universe_unreserve(u, 1);
        return SK_ERR_NO_MEMORY;
    }
    kobj_init(&s->obj, SK_OBJ_IRQ, sink_destroy);
    e = irqline_attach(s, kind == SK_IRQ_MSI ? IRQLINE_MSI : IRQLINE_GSI, gsi, trig,
                       &msi.address, &msi.data);
    if (e == SK_OK && kind == SK_IRQ_MSI)
        e = copy_to_user(a1, &msi, sizeof msi); /* (fails only if unmapped meanwhile) */
    sk_handle_t h = SK_HANDLE_NULL;
    if (e == SK_OK)
        universe_insert_reserved(u, &s->obj, IRQ_RIGHTS, &h); /* (our own: cannot fail) */
    else
        universe_unreserve(u, 1);
    kobj_put(&s->obj); /* on failure this detaches and frees it again */
    if (e == SK_OK)
        *ret = (uint64_t)h;
    return e;
}

static sk_error_t answer(uint64_t h, uint64_t seq, int claimed)
{
    struct kobject *o;
    sk_error_t e = handle_get((sk_handle_t)h, SK_OBJ_IRQ, SK_RIGHT_SIGNAL, &o, NULL);
    if (e != SK_OK)
        return e;
    e = irqline_answer((struct irq_sink *)o, seq, claimed);
    kobj_put(o);
    return e;
}

/* irq_ack(irq, seq): interrupt seq was this driver's. */
SYSCALL_DEFINE(irq_ack)
{
    SYSCALL_UNUSED_ARGS;
    return answer(a0, a1, 1);
}

/* irq_nack(irq, seq): interrupt seq was not this driver's. */
SYSCALL_DEFINE(irq_nack)
{
    SYSCALL_UNUSED_ARGS;
    return answer(a0, a1, 0);
}

/* SK_OP_irq_await: args[0] = IRQ handle (WAIT), args[1] = sequence number seen. */
sk_error_t async_submit_irq_await(struct async_op *op)
{
    struct kobject *o;
    sk_error_t e = handle_get((sk_handle_t)op->args[0], SK_OBJ_IRQ, SK_RIGHT_WAIT, &o, NULL);
    if (e != SK_OK)
        return e;
    irqline_await((struct irq_sink *)o, op, op->args[1]);
    kobj_put(o); /* the op holds no reference: destroying the sink completes it */
    return SK_OK;
}
