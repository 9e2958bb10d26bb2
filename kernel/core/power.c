/*
 * Power-off and reset: the platform_power system call (docs/abi.md) and what the kernel
 * console's commands use. Both stop every other CPU the way a panic does (machine_stop), then
 * hand over to the platform's mechanisms (kernel/arch/x86_64/power.c, docs/platform.md).
 */
#include <k/power.h>
#include <k/syscall.h>
#include <k/hwaccess.h>
#include <k/panic.h>
#include <k/log.h>
#include <arch/cpu.h>

void power_off(void)
{
    char how[96];
    log_notice("power: off (%s)", arch_power_method(SK_POWER_OFF, how, sizeof how));
    machine_stop();
    arch_power_off();
    kprintf_unlocked("power: the machine is still on; halted\n");
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

void power_reset(void)
{
    char how[96];
    log_notice("power: reset (%s)", arch_power_method(SK_POWER_RESET, how, sizeof how));
    machine_stop();
    arch_reset();
}

/* platform_power(hw, action): returns only with an error; checks everything first. */
SYSCALL_DEFINE(platform_power)
{
    SYSCALL_UNUSED_ARGS;
    sk_error_t e = hw_access_check((sk_handle_t)a0);
    if (e != SK_OK)
        return e;
    if (a1 == SK_POWER_OFF) {
        if (!arch_power_off_possible())
            return SK_ERR_UNSUPPORTED;
        power_off();
    }
    if (a1 == SK_POWER_RESET)
        power_reset();
    return SK_ERR_INVALID;
}
