/*
 * Interrupt lines for user-space drivers: vector allocation, the interrupt
 * handler, the ack/nack accounting of level-triggered lines and storm masking
 * with back-off (k/irqline.h, docs/drivers.md).
 *
 * A line is a vector: lines[] is indexed by it and never freed, so a timer or
 * an interrupt that arrives after a line was released finds it unused and does
 * nothing. One lock (irq_lock, irq-safe) guards every line and sink.
 * Lock order: irq_lock, then the I/O APIC lock, a CPU's timer lock, a queue's lock.
 */
#include <k/irqline.h>
#include <k/irq.h>
#include <k/async.h>
#include <k/clock.h>
#include <k/timer.h>
#include <k/spinlock.h>
#include <k/percpu.h>
#include <k/log.h>
#include <k/console.h>
#include <arch/idt.h>
#include <arch/lapic.h>

/* Vectors handed to user lines; the rest of the device range stays with the kernel. */
#define VEC_USER_FIRST 64
#define VEC_USER_LAST 191

struct irq_line {
    int used;
    int kind;                 /* IRQLINE_GSI / IRQLINE_MSI */
    uint32_t gsi;
    unsigned trig;            /* IRQ_LEVEL | IRQ_ACTIVE_LOW */
    unsigned vector, cpu;
    struct irq_sink *sinks;
    unsigned owed;            /* level: sinks yet to answer the current interrupt */
    int held;                 /* level: masked until the current interrupt is answered */
    int claimed;              /* level: a sink said "mine" to the current interrupt */
    unsigned rejects;         /* interrupts in a row nobody claimed */
    int storm;                /* masked for a storm; the back-off timer unmasks it */
    uint64_t backoff_ns;
    uint64_t storms;          /* times masked for a storm (reported in value2) */
    int logged;
    uint64_t answer_deadline;
    struct timer answer_timer, backoff_timer;
};

static struct irq_line lines[256];
static struct spinlock irq_lock = SPINLOCK_INIT;
static int handlers_installed;
static unsigned next_vector = VEC_USER_FIRST, next_cpu;

static int level(const struct irq_line *l)
{
    return l->kind == IRQLINE_GSI && (l->trig & IRQ_LEVEL);
}

/* Complete s's waiters that asked for a sequence below s->seq. Lock held. */
static void wake_waiters(struct irq_sink *s, uint64_t storms)
{
    struct async_op **pp = &s->waiters;
    while (*pp) {
        struct async_op *op = *pp;
        if (op->args[1] < s->seq) {
            *pp = op->next;
            op->priv = NULL;
            async_complete(op, SK_OK, s->seq, storms);
        } else {
            pp = &op->next;
        }
    }
}

static void backoff_expired(struct timer *t);
static void irqline_cancel(struct async_op *op);

/* Every sink has answered the current level interrupt (or time ran out). Lock held. */
static void finish(struct irq_line *l)
{
    timer_cancel(&l->answer_timer);
    l->held = 0;
    l->owed = 0;
    for (struct irq_sink *s = l->sinks; s; s = s->next)
        s->owes = 0;
    if (l->claimed) {
        l->rejects = 0;
        l->backoff_ns = 0;
        irq_unmask(l->gsi);
        return;
    }
    if (++l->rejects < IRQLINE_STORM_REJECTS) {
        irq_unmask(l->gsi);
        return;
    }
    /* a storm: leave it masked and let a timer try again later */
    l->storm = 1;
    l->storms++;
    l->backoff_ns = l->backoff_ns ? l->backoff_ns * 2 : IRQLINE_BACKOFF_MIN_NS;
    if (l->backoff_ns > IRQLINE_BACKOFF_MAX_NS)
        l->backoff_ns = IRQLINE_BACKOFF_MAX_NS;
    if (!l->logged) {
        l->logged = 1;
        log_warn("irq: GSI %u: %u interrupts in a row nobody claimed, masking with back-off",
                 l->gsi, l->rejects);
    }
    if (timer_arm(&l->backoff_timer, clock_ns() + l->backoff_ns, backoff_expired, l) != 0)
        log_warn("irq: GSI %u: back-off timer busy", l->gsi);
}

static void backoff_expired(struct timer *t)
{
    struct irq_line *l = t->arg;
    uint64_t f = spin_lock_irqsave(&irq_lock);
    if (l->used && l->storm) {
        l->storm = 0;
        l->rejects = IRQLINE_STORM_REJECTS - 1; /* one more unclaimed interrupt masks again */
        irq_unmask(l->gsi);
    }
    spin_unlock_irqrestore(&irq_lock, f);
}

static void answer_expired(struct timer *t)
{
    struct irq_line *l = t->arg;
    uint64_t f = spin_lock_irqsave(&irq_lock);
    if (l->used && l->held) {
        if (clock_ns() >= l->answer_deadline)
            finish(l); /* silence counts as "not mine" */
        else
            timer_arm(&l->answer_timer, l->answer_deadline, answer_expired, l);
    }
    spin_unlock_irqrestore(&irq_lock, f);
}

/* The handler of every user vector. Interrupt context. */
static void line_interrupt(struct trap_frame *tf)
{
    struct irq_line *l = &lines[tf->vector & 0xff];
    spin_lock(&irq_lock); /* interrupts are off in a handler */
    if (!l->used || l->held || l->storm) {
        spin_unlock(&irq_lock);
        return;
    }
    if (level(l)) {
        irq_mask(l->gsi);
        l->held = 1;
        l->claimed = 0;
        l->owed = 0;
        l->answer_deadline = clock_ns() + IRQLINE_ANSWER_NS;
        timer_arm(&l->answer_timer, l->answer_deadline, answer_expired, l);
    }
    for (struct irq_sink *s = l->sinks; s; s = s->next) {
        s->seq++;
        if (level(l)) {
            s->owes = 1;
            l->owed++;
        }
        wake_waiters(s, l->storms);
    }
    spin_unlock(&irq_lock);
}

int irqline_gsi_reserved(uint32_t gsi)
{
    /* the PIT (ISA 0, used by the self tests) and COM1 (ISA 4) while the kernel console
       reads it (kconsole, noinit) */
    return (int)gsi == irq_isa_to_gsi(0) || (console_owns_com1() && (int)gsi == irq_isa_to_gsi(4));
}

/* A free vector, or 0. Lock held. */
static unsigned alloc_vector(void)
{
    unsigned n = VEC_USER_LAST - VEC_USER_FIRST + 1;
    for (unsigned i = 0; i < n; i++) {
        unsigned v = VEC_USER_FIRST + (next_vector - VEC_USER_FIRST + i) % n;
        if (!lines[v].used) {
            next_vector = v + 1 > VEC_USER_LAST ? VEC_USER_FIRST : v + 1;
            return v;
        }
    }
    return 0;
}

/* The next online CPU, round robin, for a new line. Lock held. */
static unsigned pick_cpu(void)
{
    for (unsigned i = 0; i < cpu_count; i++) {
        unsigned c = next_cpu++ % cpu_count;
        if (cpus[c].online && cpus[c].apic_id <= 0xff)
            return c;
    }
    return 0;
}

sk_error_t irqline_attach(struct irq_sink *s, int kind, uint32_t gsi, unsigned trig,
                          uint64_t *msi_addr, uint32_t *msi_data)
{
    sk_error_t e = SK_OK;
    uint64_t f = spin_lock_irqsave(&irq_lock);
    if (!handlers_installed) {
        for (unsigned v = VEC_USER_FIRST; v <= VEC_USER_LAST; v++)
            idt_set_handler(v, line_interrupt);
        handlers_installed = 1;
    }
    struct irq_line *l = NULL;
    if (kind == IRQLINE_GSI) {
        for (unsigned v = VEC_USER_FIRST; v <= VEC_USER_LAST && !l; v++)
            if (lines[v].used && lines[v].kind == IRQLINE_GSI && lines[v].gsi == gsi)
                l = &lines[v];
        if (l && l->trig != trig) {
            e = SK_ERR_BUSY;
            goto out;
        }
    }
    if (!l) {
        unsigned v = alloc_vector();
        if (!v) {
            e = SK_ERR_BUSY;
            goto out;
        }
        l = &lines[v];
        /* keep the timer structs: an old callback may still be on its way in */
        timer_cancel(&l->answer_timer);
        timer_cancel(&l->backoff_timer);
        l->kind = kind;
        l->gsi = gsi;
        l->trig = trig;
        l->vector = v;
        l->cpu = pick_cpu();
        l->sinks = NULL;
        l->owed = l->rejects = 0;
        l->held = l->claimed = l->storm = l->logged = 0;
        l->backoff_ns = l->storms = 0;
        if (kind == IRQLINE_GSI && irq_route_gsi(gsi, v, l->cpu, trig) != 0) {
            e = SK_ERR_OUT_OF_RANGE;
            goto out;
        }
        l->used = 1;
    }
    if (kind == IRQLINE_MSI) {
        /* fixed delivery, physical destination, edge: Intel SDM vol. 3, 11.11 */
        *msi_addr = 0xfee00000ull | (uint64_t)cpus[l->cpu].apic_id << 12;
        *msi_data = l->vector;
    }
    s->line = l;
    s->next = l->sinks;
    l->sinks = s;
out:
    spin_unlock_irqrestore(&irq_lock, f);
    return e;
}

void irqline_detach(struct irq_sink *s)
{
    uint64_t f = spin_lock_irqsave(&irq_lock);
    struct irq_line *l = s->line;
    while (s->waiters) {
        struct async_op *op = s->waiters;
        s->waiters = op->next;
        op->priv = NULL;
        async_complete(op, SK_ERR_DEAD, s->seq, 0);
    }
    if (l) {
        struct irq_sink **pp = &l->sinks;
        while (*pp && *pp != s)
            pp = &(*pp)->next;
        if (*pp)
            *pp = s->next;
        s->line = NULL;
        if (!l->sinks) {
            if (l->kind == IRQLINE_GSI)
                irq_mask(l->gsi);
            timer_cancel(&l->answer_timer);
            timer_cancel(&l->backoff_timer);
            l->used = 0;
        } else if (l->held && s->owes && --l->owed == 0) {
            finish(l);
        }
    }
    spin_unlock_irqrestore(&irq_lock, f);
}

sk_error_t irqline_answer(struct irq_sink *s, uint64_t seq, int claimed)
{
    uint64_t f = spin_lock_irqsave(&irq_lock);
    if (seq == 0 || seq > s->seq) {
        spin_unlock_irqrestore(&irq_lock, f);
        return SK_ERR_INVALID;
    }
    if (seq > s->answered)
        s->answered = seq;
    struct irq_line *l = s->line;
    if (l && l->held && s->owes && seq == s->seq) {
        s->owes = 0;
        if (claimed)
            l->claimed = 1;
        if (--l->owed == 0)
            finish(l);
    }
    spin_unlock_irqrestore(&irq_lock, f);
    return SK_OK;
}

void irqline_await(struct irq_sink *s, struct async_op *op, uint64_t after)
{
    uint64_t f = spin_lock_irqsave(&irq_lock);
    op->args[1] = after;
    op->priv = s;
    op->cancel = irqline_cancel;
    op->next = s->waiters;
    s->waiters = op;
    wake_waiters(s, s->line ? s->line->storms : 0);
    spin_unlock_irqrestore(&irq_lock, f);
}

/* op->cancel of an irq_await: complete it unless an interrupt already did. */
static void irqline_cancel(struct async_op *op)
{
    uint64_t f = spin_lock_irqsave(&irq_lock);
    struct irq_sink *s = op->priv;
    if (s) {
        struct async_op **pp = &s->waiters;
        while (*pp && *pp != op)
            pp = &(*pp)->next;
        if (*pp)
            *pp = op->next;
        op->priv = NULL;
        async_complete(op, SK_ERR_CANCELLED, s->seq, 0);
    }
    spin_unlock_irqrestore(&irq_lock, f);
}
