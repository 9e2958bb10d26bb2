/*
 * TEMPORARY while the asynchronous core is built in parallel: weak defaults for
 * the calls and operations other parts provide. Each fails cleanly with
 * SK_ERR_UNSUPPORTED; the real ones replace them.
 */
#include <k/async.h>
#include <k/syscall.h>

#define WEAK __attribute__((weak))
#define PENDING_SYSCALL(name) \
    WEAK SYSCALL_DEFINE(name) \
    { \
        SYSCALL_UNUSED_ARGS; \
        return SK_ERR_UNSUPPORTED; \
    }
#define PENDING_OP(name) \
    WEAK sk_error_t async_submit_##name(struct async_op *op) \
    { \
        (void)op; \
        return SK_ERR_UNSUPPORTED; \
    }

PENDING_SYSCALL(queue_create)
PENDING_SYSCALL(queue_drive)
PENDING_SYSCALL(queue_alert)
PENDING_SYSCALL(event_create)
PENDING_SYSCALL(event_raise)
PENDING_SYSCALL(thread_stats)
PENDING_SYSCALL(irq_create)
PENDING_SYSCALL(irq_ack)
PENDING_SYSCALL(irq_nack)
PENDING_SYSCALL(ioport_grant)

PENDING_OP(nop)
PENDING_OP(clock_await)
PENDING_OP(event_await)
PENDING_OP(cancel)
PENDING_OP(mem_protect)
PENDING_OP(mem_read)
PENDING_OP(mem_write)
PENDING_OP(mem_fork)
PENDING_OP(irq_await)
