/* Per-CPU GDT and TSS (with the IST stacks for double fault, NMI and machine check, and the
   I/O permission bitmap, all ports denied until a thread with a grant runs: ioperm.c). */
#include <arch/gdt.h>
#include <base/string.h>

void gdt_load(struct gdt_cpu *g)
{
    memset(&g->tss, 0, sizeof g->tss);
    for (int i = 0; i < 3; i++)
        g->tss.ist[i] = (uint64_t)&g->ist_stacks[i][IST_STACK_SIZE];
    g->tss.iomap_base = TSS_IOPB_OFF;
    memset(g->iopb, 0xff, sizeof g->iopb);

    g->entries[0] = 0;
    g->entries[1] = 0x00af9a000000ffff; /* kernel code 64 */
    g->entries[2] = 0x00cf92000000ffff; /* kernel data */
    g->entries[3] = 0x00cffa000000ffff; /* user code 32 (sysret layout slot) */
    g->entries[4] = 0x00cff2000000ffff; /* user data */
    g->entries[5] = 0x00affa000000ffff; /* user code 64 */
    uint64_t base = (uint64_t)&g->tss;
    uint64_t limit = sizeof(struct tss) + sizeof g->iopb - 1; /* the bitmap and its 0xff byte */
    g->entries[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    g->entries[7] = base >> 32;

    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof g->entries - 1, (uint64_t)g->entries};
    __asm__ volatile("lgdt %0\n"
                     "pushq %1\n"
                     "leaq 1f(%%rip), %%rax\n"
                     "pushq %%rax\n"
                     "lretq\n"
                     "1:\n"
                     "mov %2, %%ax\n"
                     "mov %%ax, %%ds\n"
                     "mov %%ax, %%es\n"
                     "mov %%ax, %%ss\n"
                     "ltr %w3\n"
                     :
                     : "m"(ptr), "i"((uint64_t)SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
                     : "rax", "memory");
}
