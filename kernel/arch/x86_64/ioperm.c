/*
 * Per-CPU I/O permission bitmap: each CPU's TSS carries the bitmap of the
 * universe whose thread runs there (k/ioport.h). Threads without grants just
 * get an iomap_base beyond the TSS limit (one store); the bitmap is copied
 * only when a thread with another map version runs, and only the bytes that
 * either version may have cleared.
 */
#include <k/ioport.h>
#include <k/sched.h>
#include <k/percpu.h>
#include <k/universe.h>
#include <base/string.h>

void arch_ioports_load(struct thread *t)
{
    struct cpu *c = this_cpu();
    struct ioport_map *m = t->universe ? universe_ioports(t->universe) : NULL;
    if (!m) {
        c->gdt.tss.iomap_base = TSS_IOPB_OFF;
        return;
    }
    uint64_t stamp = __atomic_load_n(&m->stamp, __ATOMIC_ACQUIRE);
    if (c->io_stamp != stamp) {
        /* a grant racing with this copy gets a newer stamp, so the next switch copies again */
        uint32_t n = __atomic_load_n(&m->extent, __ATOMIC_ACQUIRE);
        if (n > TSS_IOPB_BYTES)
            n = TSS_IOPB_BYTES;
        memcpy(c->gdt.iopb, m->bits, n);
        if (c->io_extent > n)
            memset(c->gdt.iopb + n, 0xff, c->io_extent - n);
        c->io_extent = n;
        c->io_stamp = stamp;
    }
    c->gdt.tss.iomap_base = TSS_IOPB_ON;
}
