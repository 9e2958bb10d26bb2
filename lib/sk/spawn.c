/*
 * sk_spawn: load a static ELF executable into a new universe and space and
 * start it. The child's control block is one small memory object mapped in
 * both spaces: the exit word at offset 0 (so the parent can futex-wait on it;
 * futexes are keyed by memory object and offset, not by address), then the
 * start info, the argv pointer array (child addresses) and the strings.
 */
#include <sk/sk.h>
#include <sk/spawn.h>
#include <base/elf.h>

#define CTL_INFO 64 /* offset of the start info in the control block */
#define USER_LO 0x10000ull /* nothing below 64 KiB: null-pointer accesses fault */

/* What sk_spawn has built so far, undone by cleanup() on failure. */
struct build {
    sk_handle_t universe, space, ctl_mem, thread;
    void *ctl;
    uint64_t ctl_size;
};

static void cleanup(struct build *b)
{
    if (b->ctl)
        sk_mem_unmap(b->ctl, b->ctl_size);
    if (b->ctl_mem)
        sk_handle_close(b->ctl_mem);
    if (b->space)
        sk_handle_close(b->space);
    if (b->universe)
        sk_handle_close(b->universe);
}

static uint32_t prot_of(uint32_t pf)
{
    return (pf & ELF_PF_R ? SK_PROT_READ : 0) | (pf & ELF_PF_W ? SK_PROT_WRITE : 0) |
           (pf & ELF_PF_X ? SK_PROT_EXEC : 0);
}

/* One PT_LOAD: fill a fresh object through a temporary mapping here, then map it there. */
static sk_error_t load_segment(sk_handle_t space, const uint8_t *elf, const struct elf_segment *s)
{
    uint64_t start = elf_seg_page_start(s), len = elf_seg_page_end(s) - start;
    sk_handle_t mem;
    sk_error_t e = sk_memory_create(len, 0, &mem);
    if (e != SK_OK)
        return e;
    if (s->filesz) {
        uint64_t tmp;
        e = sk_space_map(SK_THIS_SPACE, mem, 0, 0, len, SK_PROT_READ | SK_PROT_WRITE, &tmp);
        if (e == SK_OK) {
            /* The object is zero-filled on demand: the rest of the pages stays zero. */
            memcpy((uint8_t *)tmp + (s->vaddr - start), elf + s->offset, s->filesz);
            sk_space_unmap(SK_THIS_SPACE, tmp, len);
        }
    }
    uint64_t at;
    if (e == SK_OK)
        e = sk_space_map(space, mem, 0, start, len, prot_of(s->flags) | SK_MAP_FIXED, &at);
    sk_handle_close(mem);
    return e;
}

/* Size of the control block for these arguments, or 0 if they are too many / too long. */
static uint64_t ctl_size_for(const struct sk_spawn_args *a)
{
    if (a->argc < 0 || a->argc > SK_SPAWN_MAX_ARGS)
        return 0;
    uint64_t bytes = 0;
    for (int i = 0; i < a->argc; i++) {
        bytes += strnlen(a->argv[i], SK_SPAWN_MAX_ARGBYTES) + 1;
        if (bytes > SK_SPAWN_MAX_ARGBYTES)
            return 0;
    }
    return sk_page_round_up(CTL_INFO + sizeof(struct sk_start_info) + 8 * ((uint64_t)a->argc + 1) + bytes);
}

/* Write the start info, argv array and strings; child addresses are relative to caddr. */
static void fill_ctl(uint8_t *ctl, uint64_t caddr, const struct sk_spawn_args *a,
                     sk_handle_t initrd, sk_handle_t hw, sk_handle_t registry)
{
    struct sk_start_info *si = (struct sk_start_info *)(ctl + CTL_INFO);
    uint64_t argv_off = CTL_INFO + sizeof *si;
    uint64_t *argv = (uint64_t *)(ctl + argv_off);
    uint64_t str_off = argv_off + 8 * ((uint64_t)a->argc + 1);
    for (int i = 0; i < a->argc; i++) {
        size_t n = strlen(a->argv[i]) + 1;
        memcpy(ctl + str_off, a->argv[i], n);
        argv[i] = caddr + str_off;
        str_off += n;
    }
    argv[a->argc] = 0;
    si->magic = SK_START_MAGIC;
    si->initrd = initrd;
    si->initrd_size = initrd ? a->initrd_size : 0;
    si->hw_access = hw;
    si->registry = registry;
    si->argc = (uint64_t)a->argc;
    si->argv = caddr + argv_off;
}

static sk_error_t build(const uint8_t *elf, const struct elf_image *im,
                        const struct sk_spawn_args *a, struct build *b)
{
    sk_error_t e;
    if ((e = sk_universe_create(&b->universe)) != SK_OK || (e = sk_space_create(&b->space)) != SK_OK)
        return e;
    for (unsigned i = 0; i < im->nsegs; i++)
        if ((e = load_segment(b->space, elf, &im->seg[i])) != SK_OK)
            return e;

    /* Stack: rsp = top - 8, so the entry sees rsp = 8 mod 16 as after a call. Below it, a
       guard page with no access, so that an overflow faults instead of running into
       whatever is mapped underneath. */
    uint64_t stack_size = sk_page_round_up(a->stack_size ? a->stack_size : SK_SPAWN_STACK_DEFAULT);
    sk_handle_t stack_mem;
    uint64_t stack;
    if ((e = sk_memory_create(stack_size + SK_PAGE_SIZE, 0, &stack_mem)) != SK_OK)
        return e;
    e = sk_space_map(b->space, stack_mem, 0, 0, stack_size + SK_PAGE_SIZE,
                     SK_PROT_READ | SK_PROT_WRITE, &stack);
    sk_handle_close(stack_mem);
    if (e == SK_OK)
        e = sk_space_protect(b->space, stack, SK_PAGE_SIZE, 0);
    if (e != SK_OK)
        return e;
    stack += SK_PAGE_SIZE;

    /* Control block, mapped in the child and here. */
    uint64_t caddr, paddr;
    if ((e = sk_memory_create(b->ctl_size, 0, &b->ctl_mem)) != SK_OK)
        return e;
    e = sk_space_map(b->space, b->ctl_mem, 0, 0, b->ctl_size, SK_PROT_READ | SK_PROT_WRITE, &caddr);
    if (e != SK_OK)
        return e;
    e = sk_space_map(SK_THIS_SPACE, b->ctl_mem, 0, 0, b->ctl_size, SK_PROT_READ | SK_PROT_WRITE, &paddr);
    if (e != SK_OK)
        return e;
    b->ctl = (void *)paddr;

    sk_handle_t initrd = 0, hw = 0, registry = 0;
    if (a->initrd) {
        uint32_t rights = a->initrd_rights ? a->initrd_rights : SK_RIGHT_READ | SK_RIGHT_MAP;
        if ((e = sk_handle_transfer(b->universe, a->initrd, rights, &initrd)) != SK_OK)
            return e;
    }
    if (a->hw_access) {
        uint64_t info;
        uint32_t rights = a->hw_rights;
        if (!rights)
            rights = sk_handle_info(a->hw_access, &info) == SK_OK ? SK_INFO_RIGHTS(info) : SK_RIGHTS_ALL;
        if ((e = sk_handle_transfer(b->universe, a->hw_access, rights, &hw)) != SK_OK)
            return e;
    }
    if (a->registry) {
        uint64_t info;
        uint32_t rights = a->registry_rights;
        if (!rights)
            rights = sk_handle_info(a->registry, &info) == SK_OK ? SK_INFO_RIGHTS(info)
                                                                 : SK_RIGHTS_ALL;
        if ((e = sk_handle_transfer(b->universe, a->registry, rights, &registry)) != SK_OK)
            return e;
    }
    fill_ctl(b->ctl, caddr, a, initrd, hw, registry);

    struct sk_thread_create tc = {
        .entry = im->entry,
        .stack = stack + stack_size - 8,
        .arg = caddr + CTL_INFO,
        .exit_word = caddr,
        .priority = a->priority ? a->priority : SK_THREAD_PRIO_DEFAULT,
        .flags = 0,
    };
    return sk_thread_create(b->universe, b->space, &tc, &b->thread);
}

sk_error_t sk_spawn(const void *elf, size_t size, const struct sk_spawn_args *args,
                    struct sk_process *p, int *elf_error)
{
    static struct elf_image im; /* large; spawning is rare and callers serialise it */
    static struct sk_mutex im_lock;
    struct build b = {0};
    if (!(b.ctl_size = ctl_size_for(args)))
        return SK_ERR_TOO_BIG;
    sk_mutex_lock(&im_lock);
    enum elf_error ee = elf_parse(elf, size, USER_LO, SK_USER_TOP, &im);
    if (elf_error)
        *elf_error = (int)ee;
    sk_error_t e = ee == ELF_OK ? build(elf, &im, args, &b) : SK_ERR_INVALID;
    sk_mutex_unlock(&im_lock);
    if (e != SK_OK) {
        cleanup(&b);
        return e;
    }
    sk_handle_close(b.ctl_mem); /* both mappings keep the object */
    p->thread = b.thread;
    p->universe = b.universe;
    p->space = b.space;
    p->ctl = b.ctl;
    p->ctl_size = b.ctl_size;
    p->exit_word = (const volatile uint64_t *)b.ctl;
    return SK_OK;
}

sk_error_t sk_process_wait(const struct sk_process *p, uint64_t timeout_ns, uint64_t *status)
{
    return sk_exit_wait(p->exit_word, timeout_ns, status);
}

void sk_process_release(struct sk_process *p)
{
    sk_handle_close(p->thread);
    sk_handle_close(p->universe);
    sk_handle_close(p->space);
    sk_mem_unmap(p->ctl, p->ctl_size);
    p->thread = p->universe = p->space = 0;
    p->ctl = NULL;
    p->exit_word = NULL;
}
