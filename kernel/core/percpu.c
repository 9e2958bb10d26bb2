/* Per-CPU areas: the array of struct cpu and loading one on the current CPU. */
#include <k/percpu.h>
#include <arch/cpu.h>
#include <arch/idt.h>

struct cpu cpus[MAX_CPUS];
_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == CPU_OFF_KSTACK_TOP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == CPU_OFF_USER_RSP, "cpu layout");
uint32_t cpu_count = 1;
volatile uint32_t cpus_online;

void percpu_init_this(struct cpu *c)
{
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    gdt_load(&c->gdt);
    idt_load();
}
