/*
 * The kernel debug console: a small command shell on COM1, run only when the command line
 * asks for it (`kconsole`) or when there is no init (`noinit`). Then it owns COM1's input:
 * the kernel refuses COM1's ports and ISA IRQ 4 to user space. Otherwise the kernel never
 * reads COM1 (it only writes its lines) and a user-space driver may take it (docs/drivers.md).
 * Bytes arrive through COM1's interrupt into a ring buffer (or by polling if no interrupt is
 * routed); a kernel thread runs the shell and sleeps while there is no input. Commands only read
 * kernel state, reboot or power off; nothing here can change memory on the user's say-so.
 */
#include <k/console.h>
#include <k/log.h>
#include <k/clock.h>
#include <k/percpu.h>
#include <k/selftest.h>
#include <k/pmm.h>
#include <k/panic.h>
#include <k/sched.h>
#include <k/cmdline.h>
#include <k/irq.h>
#include <k/power.h>
#include <arch/serial.h>
#include <arch/cpu.h>
#include <arch/idt.h>
#include <base/string.h>

#define RING 256
static volatile uint8_t ring[RING];
static volatile uint32_t ring_head, ring_tail; /* head: producer (irq), tail: consumer */
static int irq_driven;
static struct thread *volatile console_thread;
static int owns_com1;

void console_claim(const char *cmdline)
{
    owns_com1 = cmdline_has(cmdline, "kconsole") || cmdline_has(cmdline, "noinit");
}

int console_owns_com1(void)
{
    return owns_com1;
}

static void com1_irq(struct trap_frame *tf)
{
    (void)tf;
    int c;
    while ((c = serial_getc()) >= 0) {
        uint32_t h = ring_head;
        if (h - ring_tail < RING) {
            ring[h % RING] = (uint8_t)c;
            __atomic_store_n(&ring_head, h + 1, __ATOMIC_SEQ_CST);
        }
    }
    if (console_thread)
        sched_wake(console_thread);
}

/* Take COM1's input: its interrupt (routed to the boot CPU before the UART may raise it),
   then the UART's receive interrupt, then whatever was typed before. */
static void attach_input(void)
{
    idt_set_handler(VEC_CONSOLE, com1_irq);
    irq_driven = irq_route_isa(4, VEC_CONSOLE, 0) == 0;
    if (!irq_driven)
        log_warn("console: COM1 interrupt not routed, polling");
    serial_input_begin();
    if (irq_driven)
        com1_irq(NULL); /* bytes typed before the interrupt was on raise no new edge */
}

/* Next input byte, or -1. */
static int next_byte(void)
{
    if (!irq_driven)
        return serial_getc();
    uint32_t t = ring_tail;
    if (t == __atomic_load_n(&ring_head, __ATOMIC_ACQUIRE))
        return -1;
    int c = ring[t % RING];
    __atomic_store_n(&ring_tail, t + 1, __ATOMIC_RELEASE);
    return c;
}

static void cmd_help(const char *arg)
{
    (void)arg;
    kprintf("commands:\n"
            "  help            this list\n"
            "  info            CPUs, memory and uptime\n"
            "  cpus            every CPU and its APIC id\n"
            "  selftest LIST   run self tests (\"all\" or names separated by commas)\n"
            "  reboot          reset the machine (QEMU exits with -no-reboot)\n"
            "  poweroff        turn the machine off (ACPI S5; QEMU exits)\n");
}

static void cmd_info(const char *arg)
{
    (void)arg;
    uint64_t ns = clock_ns();
    kprintf("Skoll: %u of %u CPUs online, %lu MiB free of %lu MiB, up %lu.%03lu s\n",
            cpus_online, cpu_count, pmm_free_count() / 256, pmm_total_count() / 256,
            ns / 1000000000, ns / 1000000 % 1000);
}

static void cmd_cpus(const char *arg)
{
    (void)arg;
    for (uint32_t i = 0; i < cpu_count; i++)
        kprintf("cpu %u: apic id %u, %s\n", i, cpus[i].apic_id,
                cpus[i].online ? "online" : "offline");
}

static void cmd_selftest(const char *arg)
{
    if (!*arg) {
        kprintf("usage: selftest all|name,name\n");
        return;
    }
    selftest_run(arg);
}

static void cmd_reboot(const char *arg)
{
    (void)arg;
    kprintf("rebooting\n");
    power_reset();
}

static void cmd_poweroff(const char *arg)
{
    (void)arg;
    kprintf("powering off\n");
    power_off();
}

static const struct {
    const char *name;
    void (*fn)(const char *arg);
} commands[] = {
    {"help", cmd_help},     {"info", cmd_info},     {"cpus", cmd_cpus},
    {"selftest", cmd_selftest}, {"reboot", cmd_reboot}, {"poweroff", cmd_poweroff},
};

static void execute(char *line)
{
    while (*line == ' ')
        line++;
    if (!*line)
        return;
    char *arg = line;
    while (*arg && *arg != ' ')
        arg++;
    if (*arg)
        *arg++ = '\0';
    while (*arg == ' ')
        arg++;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, line) == 0) {
            commands[i].fn(arg);
            return;
        }
    }
    kprintf("unknown command \"%s\" (try help)\n", line);
}

void console_run(void)
{
    char line[128];
    size_t len = 0;
    attach_input();
    kprintf("Skoll console: type help\n> ");
    console_thread = current_thread();
    for (;;) {
        int c = next_byte();
        if (c < 0) {
            if (!irq_driven) {
                sched_yield();
                continue;
            }
            /* Sleep until the interrupt queues a byte. BLOCKED is set before the ring is
               looked at, and the interrupt looks at the state after queueing. */
            struct thread *t = current_thread();
            uint64_t f = irq_save();
            __atomic_store_n(&t->state, THREAD_BLOCKED, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&ring_head, __ATOMIC_SEQ_CST) != ring_tail)
                sched_cancel_block();
            else
                sched_block();
            irq_restore(f);
            continue;
        }
        if (c == '\r' || c == '\n') {
            kprintf("\n");
            line[len] = '\0';
            execute(line);
            len = 0;
            kprintf("> ");
        } else if (c == 0x7f || c == 0x08) {
            if (len) {
                len--;
                kprintf("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7f && len + 1 < sizeof line) {
            line[len++] = (char)c;
            kprintf("%c", c);
        }
    }
}
