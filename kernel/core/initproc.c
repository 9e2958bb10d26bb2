/*
 * Starting the first program: the kernel loads bin/init from the boot archive
 * with the contract of docs/abi.md ("Program start-up"), the same one lib/sk's
 * spawner gives every other program, and hands it the archive and the
 * hardware-access capability. Everything after that is user space's business.
 */
#include <k/initproc.h>
#include <k/bootinfo.h>
#include <k/sched.h>
#include <k/universe.h>
#include <k/uspace.h>
#include <k/hwaccess.h>
#include <k/heap.h>
#include <k/log.h>
#include <base/cpio.h>
#include <base/elf.h>
#include <base/string.h>
#include <arch/layout.h>

#define INIT_PATH "bin/init"
#define STACK_SIZE (256 * 1024)
#define USER_LO 0x10000ull
#define ARGS_MAX 64
#define STRINGS_MAX (16 * 1024)
#define CB_INFO_OFF 64

/* Copy len bytes into m at off through a temporary writable mapping in s. */
static sk_error_t fill(struct vm_space *s, struct memobj *m, uint64_t off, const void *src,
                       size_t len)
{
    uint64_t page = off & ~(uint64_t)(SK_PAGE_SIZE - 1);
    uint64_t span = (off + len - page + SK_PAGE_SIZE - 1) & ~(uint64_t)(SK_PAGE_SIZE - 1);
    uint64_t addr = 0;
    sk_error_t err = vm_space_map(s, m, page, &addr, span, SK_PROT_READ | SK_PROT_WRITE);
    if (err)
        return err;
    vm_space_activate(s);
    err = copy_to_user(addr + (off - page), src, len);
    vm_space_activate(NULL);
    vm_space_unmap(s, addr, span);
    return err;
}

static unsigned prot_of(uint32_t pf)
{
    return (pf & ELF_PF_R ? SK_PROT_READ : 0) | (pf & ELF_PF_W ? SK_PROT_WRITE : 0) |
           (pf & ELF_PF_X ? SK_PROT_EXEC : 0);
}

/* Map every PT_LOAD of img from file into s. */
static sk_error_t load_segments(struct vm_space *s, const uint8_t *file, const struct elf_image *img)
{
    for (unsigned i = 0; i < img->nsegs; i++) {
        const struct elf_segment *seg = &img->seg[i];
        uint64_t start = elf_seg_page_start(seg), len = elf_seg_page_end(seg) - start;
        struct memobj *m;
        sk_error_t err = memobj_create_anon(len, 0, &m);
        if (err)
            return err;
        if (seg->filesz)
            err = fill(s, m, seg->vaddr - start, file + seg->offset, seg->filesz);
        uint64_t addr = start;
        if (!err)
            err = vm_space_map(s, m, 0, &addr, len, SK_MAP_FIXED | prot_of(seg->flags));
        kobj_put((struct kobject *)m); /* the mapping keeps it */
        if (err)
            return err;
    }
    return SK_OK;
}

/* The boot archive as a memory object: its own pages when page aligned, else a copy. */
static sk_error_t archive_object(struct vm_space *s, const struct boot_module *mod,
                                 struct memobj **out)
{
    uint64_t size = mod->end - mod->start;
    uint64_t pages = (size + SK_PAGE_SIZE - 1) & ~(uint64_t)(SK_PAGE_SIZE - 1);
    if (!(mod->start & (SK_PAGE_SIZE - 1)))
        return memobj_create_phys(mod->start, pages, SK_CACHE_WRITEBACK, out);
    sk_error_t err = memobj_create_anon(pages, 0, out);
    if (!err && (err = fill(s, *out, 0, phys_to_virt(mod->start), size)) != SK_OK)
        kobj_put((struct kobject *)*out);
    return err;
}

/*
 * Lay out the control block: exit word at 0, start info at 64, argv pointers, strings.
 * cb_user is where it will be mapped. Returns its size, or 0 if the arguments do not fit.
 */
static size_t build_control_block(uint8_t *cb, size_t cap, uint64_t cb_user, const char *cmdline,
                                   sk_handle_t initrd, uint64_t initrd_size, sk_handle_t hw)
{
    const char *words[ARGS_MAX];
    size_t lens[ARGS_MAX];
    unsigned argc = 0;
    words[argc] = INIT_PATH;
    lens[argc++] = strlen(INIT_PATH);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if (argc == ARGS_MAX)
            return 0;
        words[argc] = w;
        lens[argc++] = (size_t)(p - w);
    }
    size_t argv_off = CB_INFO_OFF + sizeof(struct sk_start_info);
    size_t str_off = argv_off + (argc + 1) * 8, total = str_off;
    for (unsigned i = 0; i < argc; i++)
        total += lens[i] + 1;
    if (total > cap || total - str_off > STRINGS_MAX)
        return 0;
    memset(cb, 0, total);
    struct sk_start_info si = {
        .magic = SK_START_MAGIC,
        .initrd = initrd,
        .initrd_size = initrd_size,
        .hw_access = hw,
        .argc = argc,
        .argv = cb_user + argv_off,
    };
    memcpy(cb + CB_INFO_OFF, &si, sizeof si);
    size_t at = str_off;
    for (unsigned i = 0; i < argc; i++) {
        uint64_t ptr = cb_user + at;
        memcpy(cb + argv_off + i * 8, &ptr, 8);
        memcpy(cb + at, words[i], lens[i]);
        at += lens[i] + 1;
    }
    return total;
}

sk_error_t initproc_start(void (*on_exit)(struct thread *t, uint64_t status), struct thread **out)
{
    if (boot_info.module_count == 0) {
        log_warn("init: no boot archive");
        return SK_ERR_NOT_FOUND;
    }
    const struct boot_module *mod = &boot_info.modules[0];
    const uint8_t *archive = phys_to_virt(mod->start);
    struct cpio_entry e;
    if (cpio_find(archive, mod->end - mod->start, INIT_PATH, &e) != 1 || !cpio_is_file(&e)) {
        log_warn("init: %s not in the boot archive (as a file)", INIT_PATH);
        return SK_ERR_NOT_FOUND;
    }
    struct elf_image img;
    enum elf_error ee = elf_parse(e.data, e.size, USER_LO, SK_USER_TOP, &img);
    if (ee != ELF_OK) {
        log_error("init: %s: %s", INIT_PATH, elf_strerror(ee));
        return SK_ERR_INVALID;
    }

    struct universe *u = universe_create();
    struct vm_space *s = NULL;
    struct memobj *stack = NULL, *cbm = NULL, *arch = NULL;
    uint8_t *cb = NULL;
    struct thread *t = NULL;
    sk_error_t err = u ? vm_space_create(&s) : SK_ERR_NO_MEMORY;
    if (!err)
        err = load_segments(s, e.data, &img);
    uint64_t stack_addr = 0, cb_addr = 0, cb_size = 0;
    /* the stack, with a no-access guard page below it */
    if (!err)
        err = memobj_create_anon(STACK_SIZE + SK_PAGE_SIZE, 0, &stack);
    if (!err)
        err = vm_space_map(s, stack, 0, &stack_addr, STACK_SIZE + SK_PAGE_SIZE,
                           SK_PROT_READ | SK_PROT_WRITE);
    if (!err)
        err = vm_space_protect(s, stack_addr, SK_PAGE_SIZE, 0);
    stack_addr += SK_PAGE_SIZE;
    sk_handle_t h_arch = 0, h_hw = 0;
    if (!err)
        err = archive_object(s, mod, &arch);
    if (!err)
        err = universe_insert(u, (struct kobject *)arch,
                              SK_RIGHT_READ | SK_RIGHT_MAP | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE,
                              &h_arch);
    if (!err)
        err = universe_insert(u, hw_access_object(),
                              SK_RIGHT_MANAGE | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE, &h_hw);
    size_t cap = CB_INFO_OFF + sizeof(struct sk_start_info) + (ARGS_MAX + 1) * 8 + STRINGS_MAX;
    cb_size = (cap + SK_PAGE_SIZE - 1) & ~(uint64_t)(SK_PAGE_SIZE - 1);
    if (!err)
        err = memobj_create_anon(cb_size, 0, &cbm);
    if (!err)
        err = vm_space_map(s, cbm, 0, &cb_addr, cb_size, SK_PROT_READ | SK_PROT_WRITE);
    if (!err && !(cb = kmalloc(cap)))
        err = SK_ERR_NO_MEMORY;
    if (!err) {
        size_t n = build_control_block(cb, cap, cb_addr, boot_info.cmdline, h_arch,
                                       mod->end - mod->start, h_hw);
        err = n ? fill(s, cbm, 0, cb, n) : SK_ERR_TOO_BIG;
    }
    if (!err)
        err = thread_create_user(u, s, img.entry, stack_addr + STACK_SIZE - 8,
                                 cb_addr + CB_INFO_OFF, SK_THREAD_PRIO_DEFAULT, cb_addr, &t);
    if (!err) {
        t->on_exit = on_exit;
        err = thread_start(t);
    }
    kfree(cb);
    if (cbm)
        kobj_put((struct kobject *)cbm);
    if (arch)
        kobj_put((struct kobject *)arch);
    if (stack)
        kobj_put((struct kobject *)stack);
    if (s)
        kobj_put((struct kobject *)s);
    if (u) {
        universe_unpin(u); /* init's thread keeps it now; on failure it ends here */
        kobj_put(universe_kobj(u));
    }
    if (err) {
        log_error("init: cannot start %s: error %d", INIT_PATH, err);
        if (t)
            kobj_put(&t->obj);
        return err;
    }
    log_info("init: started %s (entry 0x%lx)", INIT_PATH, img.entry);
    *out = t;
    return SK_OK;
}
