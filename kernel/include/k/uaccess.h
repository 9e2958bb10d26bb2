/*
 * copy_from_user in a form that inlines (kernel/arch/x86_64/usercopy.c has the
 * rest of the one door to user memory): the same checks, and the copy itself
 * through uaccess_copy (usercopy.S), whose faults the exception table turns
 * into SK_ERR_FAULT. For hot paths that copy many small pieces (IPC staging);
 * copy_from_user is this, out of line.
 */
#pragma once
#include <stddef.h>
#include <skoll/errors.h>
#include <k/urange.h>
#include <k/percpu.h>
#include <k/vm.h>

uint64_t uaccess_copy(void *dst, const void *src, uint64_t n);

/* With SMAP, user pages are reachable only while RFLAGS.AC is set. */
static inline void uaccess_open(void)
{
    if (vm_smap_enabled())
        __asm__ volatile("stac" ::: "memory");
}

static inline void uaccess_close(void)
{
    if (vm_smap_enabled())
        __asm__ volatile("clac" ::: "memory");
}

/* The lower half of the kernel's own tables is no user memory (it may hold the SMP trampoline). */
static inline int uaccess_range(uint64_t uaddr, size_t n)
{
    return urange_ok(uaddr, n) && this_cpu()->space != NULL;
}

/*
 * Many small copies from the current space under one opening of user access:
 * uaccess_many_open (0 if there is no user space: copy nothing), then
 * uaccess_many_copy for each piece, whose source range the caller has checked
 * with urange_ok (returns bytes not copied: nonzero is SK_ERR_FAULT), then
 * uaccess_many_close. Nothing else in between.
 */
static inline int uaccess_many_open(void)
{
    if (this_cpu()->space == NULL)
        return 0;
    uaccess_open();
    return 1;
}

static inline uint64_t uaccess_many_copy(void *dst, uint64_t usrc, size_t n)
{
    return n ? uaccess_copy(dst, (const void *)usrc, n) : 0;
}

static inline void uaccess_many_close(void)
{
    uaccess_close();
}

/*
 * The same where nothing may sleep or take a lock (a spinlock held, interrupts
 * off): a page that is not present (or not writable, or copy-on-write) fails
 * the copy instead of being faulted in; the caller then lets go of its lock and
 * takes the ordinary way, which faults it in.
 */
static inline int uaccess_nofault_open(void)
{
    if (!uaccess_many_open())
        return 0;
    this_cpu()->uaccess_nofault = 1;
    return 1;
}

static inline void uaccess_nofault_close(void)
{
    this_cpu()->uaccess_nofault = 0;
    uaccess_close();
}

static inline sk_error_t copy_from_user_inline(void *dst, uint64_t usrc, size_t n)
{
    if (!uaccess_range(usrc, n))
        return SK_ERR_FAULT;
    if (n == 0)
        return SK_OK;
    uaccess_open();
    uint64_t left = uaccess_copy(dst, (const void *)usrc, n);
    uaccess_close();
    return left ? SK_ERR_FAULT : SK_OK;
}
