/* The developer's event trace (k/ktrace.h). */
#include <k/hot.h>
#include <k/ktrace.h>
#include <k/cmdline.h>
#include <k/heap.h>
#include <k/log.h>
#include <k/percpu.h>
#include <arch/cpu.h>

#define KTRACE_N 32768

struct kt_entry {
    uint64_t tsc;
    uint32_t cpu, ev;
    uint64_t a, b;
};

KHOT int ktrace_on;
static struct kt_entry *ring;
static uint64_t skip, next;

void ktrace_init(const char *cmdline)
{
    if (cmdline_get_num(cmdline, "ktrace", UINT64_MAX, &skip) != 1)
        return;
    ring = kzalloc(KTRACE_N * sizeof *ring);
    if (ring)
        ktrace_on = 1;
}

void ktrace_rec(uint32_t ev, uint64_t a, uint64_t b)
{
    uint64_t i = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
    if (i < skip || i - skip >= KTRACE_N)
        return;
    struct kt_entry *e = &ring[i - skip];
    e->tsc = rdtsc();
    e->cpu = this_cpu()->id;
    e->ev = ev;
    e->a = a;
    e->b = b;
}

void ktrace_dump(void)
{
    if (!ring)
        return;
    ktrace_on = 0;
    uint64_t n = next < skip ? 0 : next - skip;
    if (n > KTRACE_N)
        n = KTRACE_N;
    kprintf("ktrace: %lu events (of %lu)\n", (unsigned long)n, (unsigned long)next);
    for (uint64_t i = 0; i < n; i++)
        kprintf("kt %lu %u %u %lu %lu\n", (unsigned long)ring[i].tsc, ring[i].cpu, ring[i].ev,
                (unsigned long)ring[i].a, (unsigned long)ring[i].b);
}
