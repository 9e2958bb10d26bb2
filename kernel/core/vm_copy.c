/*
 * Copies into and out of the user memory of any address space, not only the
 * current thread's: IPC transfers run in whichever thread completes a match,
 * and mem_read/mem_write copy between two spaces. A space that is not the one
 * loaded is loaded for one chunk at a time with interrupts off (so nothing can
 * switch threads while it is in CR3), then the previous one is restored; page
 * faults inside the copy resolve against the loaded space as usual.
 */
#include <k/uspace.h>
#include <k/heap.h>
#include <k/percpu.h>
#include <arch/cpu.h>

#define CHUNK 4096u

/* Copy within one chunk to (out) or from user memory of s, with s loaded only for the copy. */
static sk_error_t chunk(struct vm_space *s, uint64_t uaddr, void *kbuf, size_t n, int out)
{
    struct vm_space *old = this_cpu()->space;
    if (s == old)
        return out ? copy_to_user(uaddr, kbuf, n) : copy_from_user(kbuf, uaddr, n);
    uint64_t f = irq_save();
    old = this_cpu()->space;
    vm_space_activate(s);
    sk_error_t e = out ? copy_to_user(uaddr, kbuf, n) : copy_from_user(kbuf, uaddr, n);
    vm_space_activate(old);
    irq_restore(f);
    return e;
}

sk_error_t vm_copy_out(struct vm_space *s, uint64_t udst, const void *src, size_t n)
{
    for (size_t off = 0; off < n;) {
        size_t c = n - off < CHUNK ? n - off : CHUNK;
        sk_error_t e = chunk(s, udst + off, (void *)((const uint8_t *)src + off), c, 1);
        if (e)
            return e;
        off += c;
    }
    return SK_OK;
}

sk_error_t vm_copy_in(struct vm_space *s, void *dst, uint64_t usrc, size_t n)
{
    for (size_t off = 0; off < n;) {
        size_t c = n - off < CHUNK ? n - off : CHUNK;
        sk_error_t e = chunk(s, usrc + off, (uint8_t *)dst + off, c, 0);
        if (e)
            return e;
        off += c;
    }
    return SK_OK;
}

sk_error_t vm_copy_between(struct vm_space *dst, uint64_t daddr, struct vm_space *src,
                           uint64_t saddr, uint64_t n, uint64_t *done)
{
    *done = 0;
    if (!n)
        return SK_OK;
    uint8_t *buf = kmalloc(CHUNK);
    if (!buf)
        return SK_ERR_NO_MEMORY;
    sk_error_t e = SK_OK;
    while (*done < n) {
        size_t c = n - *done < CHUNK ? n - *done : CHUNK;
        e = chunk(src, saddr + *done, buf, c, 0);
        if (!e)
            e = chunk(dst, daddr + *done, buf, c, 1);
        if (e)
            break;
        *done += c;
    }
    kfree(buf);
    return e;
}
