/* Anonymous memory mapped into this space. */
#include <sk/sk.h>

sk_error_t sk_mem_map_anon(uint64_t size, uint32_t prot, void **addr, sk_handle_t *mem)
{
    if (size == 0 || size > SK_MEM_MAX_SIZE)
        return SK_ERR_INVALID;
    size = sk_page_round_up(size);
    sk_handle_t h;
    sk_error_t e = sk_memory_create(size, 0, &h);
    if (e != SK_OK)
        return e;
    uint64_t a;
    e = sk_space_map(SK_THIS_SPACE, h, 0, 0, size, prot, &a);
    if (e != SK_OK) {
        sk_handle_close(h);
        return e;
    }
    *addr = (void *)a;
    if (mem)
        *mem = h;
    else
        sk_handle_close(h);
    return SK_OK;
}

sk_error_t sk_mem_unmap(void *addr, uint64_t size)
{
    return sk_space_unmap(SK_THIS_SPACE, (uint64_t)addr, sk_page_round_up(size));
}
