/*
 * MMIO mappings: device ranges are mapped uncached into a window of their
 * own (VM_MMIO_BASE), handed out upwards with a guard page after each. The
 * window is never reused; a request inside a range mapped before gets the
 * earlier mapping, so callers that map the same device registers twice
 * (ACPI tables, LAPIC, IOAPIC, HPET) do not use up the window.
 */
#include <k/vm.h>
#include <k/pmm.h>
#include <arch/paging.h>
#include <arch/layout.h>

#define MMIO_RECORDS 64

struct mmio_record {
    uint64_t phys; /* page aligned */
    uint64_t size; /* page multiple */
    uint64_t virt;
};

static struct mmio_record records[MMIO_RECORDS];
static size_t nrecords;
static uint64_t window_used;

void *vm_map_mmio(uint64_t phys, size_t size)
{
    if (!size || phys + size < phys || phys + size > (1ull << 52))
        return NULL;
    if (rangeset_contains(&vm_ram, phys, phys + size))
        return phys_to_virt(phys);
    uint64_t start = phys & ~(PAGE_SIZE - 1);
    uint64_t len = ((phys + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) - start;
    void *ret = NULL;
    uint64_t f = spin_lock_irqsave(&vm_lock);
    for (size_t i = 0; i < nrecords; i++) {
        struct mmio_record *r = &records[i];
        if (r->phys <= start && start + len <= r->phys + r->size) {
            ret = (void *)(r->virt + (phys - r->phys));
            goto out;
        }
    }
    if (len + PAGE_SIZE > VM_MMIO_SIZE - window_used)
        goto out;
    uint64_t virt = VM_MMIO_BASE + window_used;
    if (paging_map(virt, start, len, paging_leaf_bits(VM_WRITE | VM_UNCACHED, 0), 0) != 0) {
        paging_unmap(virt, len);
        goto out;
    }
    window_used += len + PAGE_SIZE;
    if (nrecords < MMIO_RECORDS)
        records[nrecords++] = (struct mmio_record){start, len, virt};
    ret = (void *)(virt + (phys - start));
out:
    spin_unlock_irqrestore(&vm_lock, f);
    return ret;
}
