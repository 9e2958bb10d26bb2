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

