/*
 * The one door to user memory: copy_from_user / copy_to_user, and the
 * page-fault hook that resolves user faults (demand paging, copy-on-write)
 * and turns unresolvable faults inside the copy instructions into
 * SK_ERR_FAULT through the exception table (.ex_table, see usercopy.S).
 *
 * A user-mode fault that vm_space_fault cannot resolve ends the thread, or
 * stops it if it is observed (thread_user_fault). A kernel-mode fault is only ever handled at an
 * instruction listed in the exception table and at a user address;
 * everything else is a kernel bug and panics.
 */
#include <k/uspace.h>
#include <k/uaccess.h>
#include <k/urange.h>
#include <k/thread.h>
#include <k/percpu.h>
#include <k/vm.h>
#include <arch/idt.h>
#include <arch/cpu.h>

#define PF_RSVD (1u << 3)

struct ex_entry {
    uint64_t ip, fixup;
};

extern const struct ex_entry __ex_table_start[], __ex_table_end[];

static uint64_t ex_fixup(uint64_t ip)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
        if (e->ip == ip)
            return e->fixup;
    return 0;
}

sk_error_t copy_from_user(void *dst, uint64_t usrc, size_t n)
{
    return copy_from_user_inline(dst, usrc, n);
}

sk_error_t copy_to_user(uint64_t udst, const void *src, size_t n)
{
    if (!uaccess_range(udst, n))
        return SK_ERR_FAULT;
    if (n == 0)
        return SK_OK;
    uaccess_open();
    uint64_t left = uaccess_copy((void *)udst, src, n);
    uaccess_close();
    return left ? SK_ERR_FAULT : SK_OK;
}

/* vm_space_fault with interrupts as the faulting context had them. */
static sk_error_t resolve(struct vm_space *s, uint64_t addr, struct trap_frame *tf)
{
    if (!s || (tf->error & PF_RSVD) || addr >= SK_USER_TOP)
        return SK_ERR_FAULT;
    if (tf->rflags & RFLAGS_IF)
        irq_enable();
    sk_error_t e = vm_space_fault(s, addr, tf->error);
    irq_disable();
    return e;
}

static int page_fault_hook(struct trap_frame *tf)
{
    uint64_t addr = read_cr2();
    uaccess_close(); /* a fault inside a copy arrives with AC set; iretq restores it */
    struct vm_space *s = this_cpu()->space;
    if (tf->cs & 3) {
        if (resolve(s, addr, tf) != SK_OK)
            thread_user_fault(tf); /* returns if an observer resumed the thread */
        return 1;
    }
    uint64_t fixup = ex_fixup(tf->rip);
    if (!fixup || addr >= SK_USER_TOP)
        return 0;
    if (this_cpu()->uaccess_nofault || resolve(s, addr, tf) != SK_OK)
        tf->rip = fixup;
    return 1;
}

void usercopy_init(void)
{
    idt_set_exception_hook(14, page_fault_hook);
}
