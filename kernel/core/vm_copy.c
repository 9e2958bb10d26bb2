/*
 * Copies into and out of the user memory of any address space, not only the
 * current thread's: IPC transfers run in whichever thread completes a match,
 * and mem_read/mem_write copy between two spaces.
 *
 * Another space's page is reached through the kernel's direct map: under that
 * space's lock (which keeps its regions, and so the frames they hold, in place)
 * the page table entry is read, and if the page is not present with the access
 * needed it is faulted in (copy-on-write broken) first. Nothing is loaded into
 * CR3, so no TLB is flushed (which under emulation costs more than the copy).
 * The space remembers the last page reached this way, checked against the page
 * tables' generation (which every change of an entry moves), so a run of small
 * copies into one page walks the tables once.
 * Pages that are not ordinary RAM (device memory, other cache modes) are copied
 * the old way instead: that space is loaded for the one chunk with interrupts
 * off, so its own mapping, with its cache mode, is used. A copy between the
 * current space and another goes page by page straight between the two while
 * every page is there (the current space's side through user copies that fail
 * rather than fault, under the other's lock), else through a bounce buffer; so
 * does a copy between two other spaces (both locked, in address order).
 */
#include <k/uspace_impl.h>
#include <k/upt.h>
#include <k/urange.h>
#include <k/pmm.h>
#include <k/heap.h>
#include <k/percpu.h>
#include <k/uaccess.h>
#include <arch/cpu.h>
#include <arch/layout.h>
#include <base/string.h>

#define PF_USER (1u << 2)
#define PF_WRITE (1u << 1)

#define CHUNK 4096u

/* s->lock held: the remembered translation is the page at va's and still valid. */
static inline int remembered(struct vm_space *s, uint64_t va)
{
    return s->copy_va == va && s->copy_gen == __atomic_load_n(&s->pt.gen, __ATOMIC_ACQUIRE);
}

/*
 * With s->lock held: make the remembered translation (s->copy_*) the page at
 * va's, walking the tables unless it already is. Returns 1 if the page is
 * mapped, 0 if not, -1 if it is not ordinary RAM (nothing remembered).
 */
static int remember(struct vm_space *s, uint64_t va)
{
    /* (the last page copied to or from, unchanged since, needs no walk: IPC copies many
       small messages into one page) */
    if (remembered(s, va))
        return 1;
    uint64_t phys = 0;
    unsigned flags = 0;
    uint64_t g = vm_spin_lock(&s->pt.lock);
    int present = upt_query(&s->pt, va, &phys, &flags) == 0;
    uint64_t gen = s->pt.gen;
    vm_spin_unlock(&s->pt.lock, g);
    if (present && (flags & (UPT_UC | UPT_WC) || !pmm_manages(phys, PAGE_SIZE)))
        return -1;
    s->copy_va = present ? va : 1;
    s->copy_gen = gen;
    s->copy_phys = phys;
    s->copy_flags = flags;
    return present;
}

/*
 * Copy n bytes within one page of s (not the current space) through the direct
 * map. Returns SK_OK, SK_ERR_FAULT, or SK_ERR_UNSUPPORTED when the page is not
 * ordinary RAM (the caller then loads s instead).
 */
static sk_error_t page_copy(struct vm_space *s, uint64_t uaddr, void *kbuf, size_t n, int out)
{
    uint64_t va = uaddr & ~(uint64_t)(PAGE_SIZE - 1);
    for (int tries = 0;; tries++) {
        uint64_t f = vm_spin_lock(&s->lock);
        int present = remember(s, va);
        if (present < 0) {
            vm_spin_unlock(&s->lock, f);
            return SK_ERR_UNSUPPORTED;
        }
        if (present && (!out || (s->copy_flags & UPT_WRITE))) {
            uint8_t *p = (uint8_t *)phys_to_virt(s->copy_phys) + (uaddr - va);
            if (out)
                memcpy(p, kbuf, n);
            else
                memcpy(kbuf, p, n);
            vm_spin_unlock(&s->lock, f);
            return SK_OK;
        }
        vm_spin_unlock(&s->lock, f);
        if (tries) /* faulted in, and gone again: another thread is unmapping it */
            return SK_ERR_FAULT;
        sk_error_t e = vm_space_fault(s, uaddr, PF_USER | (out ? PF_WRITE : 0));
        if (e)
            return e;
    }
}

/* Copy within one chunk to (out) or from user memory of s, with s loaded only for the copy. */
static sk_error_t chunk(struct vm_space *s, uint64_t uaddr, void *kbuf, size_t n, int out)
{
    struct vm_space *old = this_cpu()->space;
    if (s == old)
        return out ? copy_to_user(uaddr, kbuf, n) : copy_from_user(kbuf, uaddr, n);
    if (!urange_ok(uaddr, n))
        return SK_ERR_FAULT;
    sk_error_t pe = SK_OK;
    for (size_t done = 0; done < n && pe == SK_OK;) {
        uint64_t a = uaddr + done;
        size_t c = PAGE_SIZE - (a & (PAGE_SIZE - 1));
        c = c < n - done ? c : n - done;
        pe = page_copy(s, a, (uint8_t *)kbuf + done, c, out);
        done += c;
    }
    if (pe != SK_ERR_UNSUPPORTED)
        return pe;
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
    /* a small copy within one page (an IPC message), whichever space: straight through the
       remembered translation */
    if (n && n <= PAGE_SIZE - (udst & (PAGE_SIZE - 1)) && urange_ok(udst, n)) {
        sk_error_t e = page_copy(s, udst, (void *)src, n, 1);
        if (e != SK_ERR_UNSUPPORTED)
            return e;
    }
    for (size_t off = 0; off < n;) {
        size_t c = n - off < CHUNK ? n - off : CHUNK;
        sk_error_t e = chunk(s, udst + off, (void *)((const uint8_t *)src + off), c, 1);
        if (e)
            return e;
        off += c;
    }
    return SK_OK;
}

void vm_copy_out_pieces(struct vm_space *s, struct vm_piece *p, unsigned n)
{
    /* one lock for the pieces that fall into mapped, writable RAM pages; the others
       (faults to take, pages across, device memory) one at a time after it */
    unsigned slow = 0;
    uint64_t f = vm_spin_lock(&s->lock);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = p[i].udst, va = a & ~(uint64_t)(PAGE_SIZE - 1);
        p[i].err = SK_OK;
        if (!p[i].len)
            continue;
        if (p[i].len > PAGE_SIZE - (a - va) || !urange_ok(a, p[i].len) ||
            (!remembered(s, va) && remember(s, va) != 1) ||
            !(s->copy_flags & UPT_WRITE)) {
            p[i].err = SK_ERR_UNSUPPORTED; /* (for the loop below) */
            slow++;
            continue;
        }
        memcpy_small((uint8_t *)phys_to_virt(s->copy_phys) + (a - va), p[i].src, p[i].len);
    }
    vm_spin_unlock(&s->lock, f);
    for (unsigned i = 0; slow && i < n; i++)
        if (p[i].err == SK_ERR_UNSUPPORTED) {
            p[i].err = vm_copy_out(s, p[i].udst, p[i].src, p[i].len);
            slow--;
        }
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

/*
 * Copy n bytes within one page of s (not the current space) straight to (out) or from the
 * current space's memory at ucur, with no bounce buffer: under s's lock, with user copies
 * that fail rather than fault. Returns 1 if done, 0 if not (s's page not present with the
 * access needed or not ordinary RAM, or a page of ours not present or not writable): the
 * caller then takes the bounce way, which faults pages in.
 */
static int page_copy_current(struct vm_space *s, uint64_t uaddr, uint64_t ucur, size_t n,
                             int out)
{
    uint64_t va = uaddr & ~(uint64_t)(PAGE_SIZE - 1), left = 1;
    uint64_t f = vm_spin_lock(&s->lock);
    if (remember(s, va) == 1 && (!out || (s->copy_flags & UPT_WRITE)) && uaccess_nofault_open()) {
        uint8_t *p = (uint8_t *)phys_to_virt(s->copy_phys) + (uaddr - va);
        left = out ? uaccess_copy(p, (const void *)ucur, n) : uaccess_copy((void *)ucur, p, n);
        uaccess_nofault_close();
    }
    vm_spin_unlock(&s->lock, f);
    return left == 0;
}

/*
 * Copy up to n bytes from src's page at saddr to dst's page at daddr, neither space the
 * current one, straight through the direct map: both spaces' locks held (taken in address
 * order; nothing else holds two spaces' locks), both pages present with the access needed.
 * Returns how many bytes (the rest of the shorter page, at most n), or 0 when a page is not
 * there as needed or not ordinary RAM (the caller then takes the bounce way, which faults
 * pages in).
 */
static size_t page_copy_two(struct vm_space *dst, uint64_t daddr, struct vm_space *src,
                            uint64_t saddr, size_t n)
{
    size_t c = PAGE_SIZE - (saddr & (PAGE_SIZE - 1));
    size_t cd = PAGE_SIZE - (daddr & (PAGE_SIZE - 1));
    c = c < cd ? c : cd;
    c = c < n ? c : n;
    uint64_t sva = saddr & ~(uint64_t)(PAGE_SIZE - 1), dva = daddr & ~(uint64_t)(PAGE_SIZE - 1);
    struct vm_space *first = src < dst ? src : dst, *second = src < dst ? dst : src;
    uint64_t f1 = vm_spin_lock(&first->lock), f2 = 0;
    if (second != first)
        f2 = vm_spin_lock(&second->lock);
    size_t copied = 0;
    if (remember(src, sva) == 1) {
        uint64_t sphys = src->copy_phys; /* (src == dst: the next remember replaces it) */
        if (remember(dst, dva) == 1 && (dst->copy_flags & UPT_WRITE)) {
            memcpy((uint8_t *)phys_to_virt(dst->copy_phys) + (daddr - dva),
                   (const uint8_t *)phys_to_virt(sphys) + (saddr - sva), c);
            copied = c;
        }
    }
    if (second != first)
        vm_spin_unlock(&second->lock, f2);
    vm_spin_unlock(&first->lock, f1);
    return copied;
}

sk_error_t vm_copy_between(struct vm_space *dst, uint64_t daddr, struct vm_space *src,
                           uint64_t saddr, uint64_t n, uint64_t *done)
{
    *done = 0;
    if (!n)
        return SK_OK;
    /* One side the current space (the thread that matched a send and a receive is the
       sender or the receiver): page by page straight between the two, no bounce, as far as
       every page is there; the rest the bounce way. */
    struct vm_space *cur = this_cpu()->space;
    if ((src == cur) != (dst == cur) && urange_ok(saddr, n) && urange_ok(daddr, n)) {
        int out = src == cur;
        struct vm_space *other = out ? dst : src;
        uint64_t oaddr = out ? daddr : saddr, caddr = out ? saddr : daddr;
        while (*done < n) {
            uint64_t a = oaddr + *done;
            size_t c = PAGE_SIZE - (a & (PAGE_SIZE - 1));
            c = c < n - *done ? c : n - *done;
            if (!page_copy_current(other, a, caddr + *done, c, out))
                break;
            *done += c;
        }
        if (*done == n)
            return SK_OK;
    } else if (src != cur && dst != cur && urange_ok(saddr, n) && urange_ok(daddr, n)) {
        /* neither (a server handing one client's bytes to another): page to page the same
           way, both spaces locked */
        while (*done < n) {
            size_t c = page_copy_two(dst, daddr + *done, src, saddr + *done, n - *done);
            if (!c)
                break;
            *done += c;
        }
        if (*done == n)
            return SK_OK;
    }
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
