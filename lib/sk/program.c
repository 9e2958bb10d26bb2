/*
 * Starting a program of the boot archive this program was started with
 * (sk/spawn.h). Apart from spawn.c because it needs the start-up state, which
 * the host unit tests of spawn.c do not have.
 */
#include <sk/sk.h>
#include <sk/spawn.h>
#include <base/cpio.h>

sk_error_t sk_spawn_program(const char *name, const struct sk_spawn_args *args,
                            struct sk_process *p)
{
    const struct sk_start_info *si = sk_start_info();
    if (!si || !si->initrd)
        return SK_ERR_NOT_FOUND;
    char path[64];
    if (sk_snprintf(path, sizeof path, "bin/%s", name) >= sizeof path)
        return SK_ERR_TOO_BIG;
    uint64_t a, len = sk_page_round_up(si->initrd_size);
    sk_error_t e = sk_space_map(SK_THIS_SPACE, si->initrd, 0, 0, len, SK_PROT_READ, &a);
    if (e != SK_OK)
        return e;
    struct cpio_entry ce;
    e = SK_ERR_NOT_FOUND;
    if (cpio_find((const uint8_t *)a, si->initrd_size, path, &ce) == 1 && cpio_is_file(&ce))
        e = sk_spawn(ce.data, ce.size, args, p, NULL);
    sk_space_unmap(SK_THIS_SPACE, a, len);
    return e;
}
