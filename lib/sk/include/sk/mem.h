/* Anonymous memory and the heap of native programs. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/types.h>
#include <skoll/errors.h>

static inline uint64_t sk_page_round_up(uint64_t x)
{
    return (x + SK_PAGE_SIZE - 1) & ~(uint64_t)(SK_PAGE_SIZE - 1);
}

/*
 * Create an anonymous memory object of size bytes (rounded up to pages) and map
 * it into this space with prot (SK_PROT_*); *addr receives the address. If mem
 * is not NULL it receives the object's handle, otherwise the handle is closed
 * (the mapping keeps the object alive).
 */
sk_error_t sk_mem_map_anon(uint64_t size, uint32_t prot, void **addr, sk_handle_t *mem);
/* Unmap [addr, addr + size) (size rounded up to pages) from this space. */
sk_error_t sk_mem_unmap(void *addr, uint64_t size);

/* The heap: 16-byte aligned blocks; thread safe. NULL when out of memory. */
void *sk_malloc(size_t size);
void *sk_calloc(size_t n, size_t size);
void sk_free(void *p);
/* What the heap holds now: blocks handed out and their bytes (headers and rounding
   included), and the bytes of memory it has taken from the kernel. */
struct sk_heap_stats {
    uint64_t blocks, bytes, mapped;
};
void sk_heap_stats(struct sk_heap_stats *out);
