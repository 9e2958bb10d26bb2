/* System calls that need no object: nop, log, clock_get. */
#include <k/syscall.h>
#include <k/uspace.h>
#include <k/clock.h>
#include <k/log.h>
#include <k/sched.h>
#include <k/pmm.h>
#include <k/percpu.h>

SYSCALL_DEFINE(nop)
{
    SYSCALL_UNUSED_ARGS;
    return SK_OK;
}

/*
 * log(msg, len): one console line per call, marked "| " so that user output can
 * never pass for the kernel's (a panic marker, say); control characters become '?'.
 */
SYSCALL_DEFINE(log)
{
    SYSCALL_UNUSED_ARGS;
    uint64_t len = a1;
    if (len > SK_LOG_MAX)
        return SK_ERR_TOO_BIG;
    char buf[SK_LOG_MAX];
    sk_error_t err = copy_from_user(buf, a0, len);
    if (err)
        return err;
    /* drop one trailing newline: the console adds its own */
    if (len && buf[len - 1] == '\n')
        len--;
    for (uint64_t i = 0; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = buf[i] == '\t' ? ' ' : '?';
    kprintf("| %.*s\n", (int)len, buf);
    return SK_OK;
}

/* memory_info(out): page counts and CPUs, for the POSIX server's /proc and sysinfo. */
SYSCALL_DEFINE(memory_info)
{
    SYSCALL_UNUSED_ARGS;
    struct sk_memory_info mi = {
        .total_pages = pmm_total_count(),
        .free_pages = pmm_free_count(),
        .cpus = cpus_online,
    };
    return copy_to_user(a0, &mi, sizeof mi);
}

SYSCALL_DEFINE(clock_get)
{
    SYSCALL_UNUSED_ARGS;
    *ret = clock_ns();
    return SK_OK;
}
