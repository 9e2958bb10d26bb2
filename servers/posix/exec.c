/*
 * execve's image: find the file, follow "#!" interpreters, check the ELF
 * (ET_EXEC and ET_DYN, static or with a PT_INTERP program interpreter, the
 * dynamic loader, which is loaded too and started first with AT_BASE and
 * AT_ENTRY telling it where it and the program are), build a new address space
 * with the segments, a heap and a stack holding argv, envp and the auxiliary
 * vector as Linux lays them out. Nothing of the process changes until the image is
 * complete; then its space is swapped (exec_commit).
 */
#include "posix.h"

#define STACK_TOP SK_USER_TOP
#define STACK_SIZE (8ull << 20)
#define ARG_MAX_BYTES (2ull << 20)
#define PIE_BASE 0x0000555555554000ull
#define BRK_RESERVE (1ull << 30)

struct ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct ehdr) == 64 && sizeof(struct phdr) == 56, "ELF64 headers");
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6

static uint32_t lx_prot_of(uint32_t pf)
{
    return (pf & 4 ? LX_PROT_READ : 0) | (pf & 2 ? LX_PROT_WRITE : 0) | (pf & 1 ? LX_PROT_EXEC : 0);
}

/* What load_elf found and where it put it. */
struct loaded {
    uint64_t entry, phdr, brk, base; /* base: where its lowest page went */
    uint16_t phnum;
    char interp[256];                /* PT_INTERP's path ("" for none) */
};

/* Map the image's segments into mm (fobj: the file's object, or NULL). An ET_DYN image goes
   at PIE_BASE, or (as_interp: the program interpreter) below the mappings' top, which then
   moves below it, as Linux places ld.so. */
static int load_elf(struct mm *mm, struct inode *fino, struct mobj *fobj, const uint8_t *file,
                    uint64_t size, int as_interp, struct loaded *out)
{
    out->interp[0] = '\0';
    if (size < sizeof(struct ehdr))
        return -LX_ENOEXEC;
    const struct ehdr *eh = (const struct ehdr *)file;
    if (memcmp(eh->ident, "\x7f" "ELF", 4) != 0 || eh->ident[4] != 2 || eh->ident[5] != 1 ||
        eh->ident[6] != 1 || eh->machine != 62 || (eh->type != 2 && eh->type != 3) ||
        eh->phentsize != sizeof(struct phdr) || eh->phnum == 0 || eh->phnum > 64 ||
        eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct phdr) > size - eh->phoff)
        return -LX_ENOEXEC;
    const struct phdr *ph = (const struct phdr *)(file + eh->phoff);
    uint64_t lo = ~0ull, hi = 0, phdr_va = 0;
    int nload = 0;
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type == PT_INTERP) {
            /* the program interpreter's path, NUL-terminated in the file (an interpreter
               may not have one of its own: Linux's ELIBBAD) */
            if (as_interp)
                return -LX_ELIBBAD;
            if (ph[i].filesz < 2 || ph[i].filesz > sizeof out->interp || ph[i].offset > size ||
                ph[i].filesz > size - ph[i].offset || file[ph[i].offset + ph[i].filesz - 1] != 0)
                return -LX_ENOEXEC;
            memcpy(out->interp, file + ph[i].offset, ph[i].filesz);
            if (strlen(out->interp) + 1 != ph[i].filesz)
                return -LX_ENOEXEC;
        }
        if (ph[i].type == PT_PHDR)
            phdr_va = ph[i].vaddr;
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        if (ph[i].filesz > ph[i].memsz || ph[i].offset > size || ph[i].filesz > size - ph[i].offset ||
            ph[i].vaddr + ph[i].memsz < ph[i].vaddr || ph[i].vaddr + ph[i].memsz > (1ull << 46) ||
            (ph[i].vaddr & (LX_PAGE - 1)) != (ph[i].offset & (LX_PAGE - 1)))
            return -LX_ENOEXEC;
        nload++;
        if ((ph[i].vaddr & ~(LX_PAGE - 1)) < lo)
            lo = ph[i].vaddr & ~(LX_PAGE - 1);
        uint64_t end = (ph[i].vaddr + ph[i].memsz + LX_PAGE - 1) & ~(LX_PAGE - 1);
        if (end > hi)
            hi = end;
    }
    if (!nload)
        return -LX_ENOEXEC;
    uint64_t bias = 0;
    if (eh->type == 3 && as_interp) {
        if (hi - lo > mm->mmap_top / 2)
            return -LX_ENOMEM;
        bias = ((mm->mmap_top - (hi - lo)) & ~(LX_PAGE - 1)) - lo;
        mm->mmap_top = lo + bias;
    } else if (eh->type == 3) {
        bias = PIE_BASE - lo;
    }
    if (lo + bias < 0x10000 || hi + bias > SK_USER_TOP - STACK_SIZE)
        return -LX_ENOEXEC;
    /* Each segment as Linux maps it, in order, a later one replacing the pages it shares
       with an earlier one: a segment that is never writable and has no zero fill maps the
       file's own pages (private: VMA_FILE_RO, docs/posix.md "Memory"), so an exec copies
       nothing of a program's text; a writable one gets pages of its own holding the file's
       bytes from its first page's start and zeros after them. */
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        uint64_t a = ph[i].vaddr & ~(LX_PAGE - 1);
        uint64_t fend = (ph[i].vaddr + ph[i].filesz + LX_PAGE - 1) & ~(LX_PAGE - 1);
        uint64_t mend = (ph[i].vaddr + ph[i].memsz + LX_PAGE - 1) & ~(LX_PAGE - 1);
        uint64_t foff = ph[i].offset & ~(LX_PAGE - 1);
        uint32_t prot = lx_prot_of(ph[i].flags);
        int err;
        if (!(prot & LX_PROT_WRITE) && fend == mend && fobj && foff + (mend - a) <= fobj->size) {
            err = mm_map_fixed(mm, a + bias, mend - a, prot, VMA_FILE_RO, fobj, foff, fino);
        } else {
            /* (its pages at the file's offsets in an object of their own, so the mapping's
               offset is the file's, as /proc/PID/maps shows it; pages below are never
               touched, so they cost nothing) */
            struct mobj *seg = mobj_new(foff + (mend - a));
            if (!seg)
                return -LX_ENOMEM;
            uint64_t view;
            if (sk_space_map(SK_THIS_SPACE, seg->h, foff, 0, mend - a, SK_PROT_READ | SK_PROT_WRITE,
                             &view) != SK_OK) {
                mobj_put(seg);
                return -LX_ENOMEM;
            }
            memcpy((uint8_t *)view, file + foff, ph[i].offset + ph[i].filesz - foff);
            sk_space_unmap(SK_THIS_SPACE, view, mend - a);
            err = mm_map_fixed(mm, a + bias, mend - a, prot, 0, seg, foff, fino);
            mobj_put(seg);
        }
        if (err)
            return err;
    }
    out->entry = eh->entry + bias;
    out->base = lo + bias;
    if (!phdr_va) {
        /* the headers as loaded: inside the first segment that covers phoff */
        for (int i = 0; i < eh->phnum; i++)
            if (ph[i].type == PT_LOAD && ph[i].offset <= eh->phoff &&
                eh->phoff < ph[i].offset + ph[i].filesz)
                phdr_va = ph[i].vaddr + (eh->phoff - ph[i].offset);
    }
    out->phdr = phdr_va ? phdr_va + bias : 0;
    out->phnum = eh->phnum;
    out->brk = hi + bias;
    return 0;
}

/* Find and check a file to execute (a program or its interpreter); 0 and *out, or -errno. */
static int exec_file(struct proc *p, struct inode *cwd, const char *path, struct inode **out)
{
    struct inode *ino;
    int err = vfs_lookup(p, cwd, path, LOOKUP_FOLLOW, &ino, NULL);
    if (err)
        return err;
    if ((ino->mode & LX_S_IFMT) == LX_S_IFDIR)
        return -LX_EACCES;
    if ((ino->mode & LX_S_IFMT) != LX_S_IFREG || !(ino->mode & 0111) ||
        (super_of(ino)->flags & LX_MS_NOEXEC))
        return -LX_EACCES;
    if ((err = vfs_permission(p, ino, 1)))
        return err;
    if (ino->writecount > 0)
        return -LX_ETXTBSY; /* open for writing */
    *out = ino;
    return 0;
}

/* Lay out the initial stack in mm; *sp out. */
static int build_stack(struct mm *mm, char *const *argv, int argc, char *const *envp, int envc,
                       const char *execfn, const uint64_t *auxv_in, int nauxv, uint64_t *sp)
{
    struct mobj *stk = mobj_new(STACK_SIZE);
    if (!stk)
        return -LX_ENOMEM;
    int err = mm_map_fixed(mm, STACK_TOP - STACK_SIZE, STACK_SIZE, LX_PROT_READ | LX_PROT_WRITE,
                           VMA_STACK | VMA_ANON, stk, 0, NULL);
    if (err) {
        mobj_put(stk);
        return err;
    }
    /* strings first, from the top */
    uint64_t strbytes = strlen(execfn) + 1 + 7 /* "x86_64" */ + 16 /* AT_RANDOM */;
    for (int i = 0; i < argc; i++)
        strbytes += strlen(argv[i]) + 1;
    for (int i = 0; i < envc; i++)
        strbytes += strlen(envp[i]) + 1;
    uint64_t ptrbytes = 8 * (1 + (uint64_t)argc + 1 + (uint64_t)envc + 1 + 2 * ((uint64_t)nauxv + 4));
    uint64_t total = ((strbytes + 15) & ~15ull) + ptrbytes + 16;
    if (total > ARG_MAX_BYTES) {
        mobj_put(stk);
        return -LX_E2BIG;
    }
    uint64_t window = (total + 64 + LX_PAGE - 1) & ~(LX_PAGE - 1);
    uint64_t view;
    if (sk_space_map(SK_THIS_SPACE, stk->h, STACK_SIZE - window, 0, window,
                     SK_PROT_READ | SK_PROT_WRITE, &view) != SK_OK) {
        mobj_put(stk);
        return -LX_ENOMEM;
    }
    uint8_t *w = (uint8_t *)view;               /* server view of [STACK_TOP - window, top) */
    uint64_t ubase = STACK_TOP - window;
#define UADDR(off) (ubase + (off))
    uint64_t pos = window - 16;                 /* a zero word at the very top */
    uint64_t *argp = sk_malloc(8 * ((uint64_t)argc + (uint64_t)envc + 2));
    if (!argp) {
        sk_space_unmap(SK_THIS_SPACE, view, window);
        mobj_put(stk);
        return -LX_ENOMEM;
    }
#define PUSH_STR(s) ({ size_t n_ = strlen(s) + 1; pos -= n_; memcpy(w + pos, s, n_); UADDR(pos); })
    uint64_t fn_addr = PUSH_STR(execfn);
    for (int i = envc - 1; i >= 0; i--)
        argp[argc + 1 + i] = PUSH_STR(envp[i]);
    for (int i = argc - 1; i >= 0; i--)
        argp[i] = PUSH_STR(argv[i]);
    uint64_t plat = PUSH_STR("x86_64");
    pos -= 16;
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = posix_random64();
        memcpy(w + pos + i, &r, 8);
    }
    uint64_t rnd = UADDR(pos);
    pos &= ~15ull;
    /* words from argc up: argc, argv..., 0, envp..., 0, auxv pairs..., AT_NULL */
    uint64_t nwords = 1 + (uint64_t)argc + 1 + (uint64_t)envc + 1 + 2 * ((uint64_t)nauxv + 4);
    pos -= nwords * 8;
    pos &= ~15ull;
    uint64_t *v = (uint64_t *)(w + pos);
    uint64_t k = 0;
    v[k++] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        v[k++] = argp[i];
    v[k++] = 0;
    for (int i = 0; i < envc; i++)
        v[k++] = argp[argc + 1 + i];
    v[k++] = 0;
    for (int i = 0; i < nauxv; i++) {
        v[k++] = auxv_in[2 * i];
        v[k++] = auxv_in[2 * i + 1];
    }
    v[k++] = LX_AT_RANDOM, v[k++] = rnd;
    v[k++] = LX_AT_EXECFN, v[k++] = fn_addr;
    v[k++] = LX_AT_PLATFORM, v[k++] = plat;
    v[k++] = LX_AT_NULL, v[k++] = 0;
#undef PUSH_STR
#undef UADDR
    sk_free(argp);
    sk_space_unmap(SK_THIS_SPACE, view, window);
    mobj_put(stk);
    *sp = ubase + pos;
    return 0;
}

/* The strings v[0..n) joined by their NULs into a new *out (kept as it was if memory runs
   out): /proc/PID/cmdline and environ. */
static void join_strings(char *const *v, int n, char **out, uint32_t *out_len)
{
    uint64_t len = 0;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *j = sk_malloc(len ? len : 1);
    if (!j)
        return;
    uint64_t o = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        memcpy(j + o, v[i], l);
        o += l;
    }
    sk_free(*out);
    *out = j;
    *out_len = (uint32_t)len;
}

/* argv for "#!interp [arg]" scripts: interp, arg, path, argv[1..]. */
static int script_args(const struct inode *ino, const char *path, char *const *argv, int argc,
                       char ***nargv, int *nargc, char **interp_out)
{
    size_t n = ino->size < 256 ? (size_t)ino->size : 256;
    char line[257];
    memcpy(line, ino->map, n);
    line[n] = '\0';
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    char *s = line + 2;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return -LX_ENOEXEC;
    char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    char *arg = NULL;
    if (*e) {
        *e++ = '\0';
        while (*e == ' ' || *e == '\t')
            e++;
        if (*e) {
            arg = e;
            size_t l = strlen(arg);
            while (l && (arg[l - 1] == ' ' || arg[l - 1] == '\t'))
                arg[--l] = '\0';
        }
    }
    int m = 0;
    char **v = sk_malloc(sizeof(char *) * ((size_t)argc + 3));
    if (!v)
        return -LX_ENOMEM;
    size_t slen = strlen(s) + 1, alen = arg ? strlen(arg) + 1 : 0;
    char *store = sk_malloc(slen + alen);
    if (!store) {
        sk_free(v);
        return -LX_ENOMEM;
    }
    memcpy(store, s, slen);
    v[m++] = store;
    if (arg) {
        memcpy(store + slen, arg, alen);
        v[m++] = store + slen;
    }
    v[m++] = (char *)path;
    for (int i = 1; i < argc; i++)
        v[m++] = argv[i];
    *nargv = v;
    *nargc = m;
    *interp_out = store;
    return 0;
}

int exec_image(struct proc *p, struct inode *cwd, const char *path, char *const *argv, int argc,
               char *const *envp, int envc, uint64_t *entry_out, uint64_t *sp_out)
{
    char *const *av = argv;
    int ac = argc;
    char **owned_v[5] = {0};
    char *owned_s[5] = {0};
    int depth = 0, err;
    const char *file_path = path;
    struct inode *ino;
    for (;;) {
        if ((err = exec_file(p, cwd, file_path, &ino)))
            goto out;
        if (ino->size >= 2 && ino->map[0] == '#' && ino->map[1] == '!') {
            if (depth == 4) {
                err = -LX_ELOOP;
                goto out;
            }
            err = script_args(ino, file_path, av, ac, &owned_v[depth], &ac, &owned_s[depth]);
            if (err)
                goto out;
            av = owned_v[depth];
            file_path = owned_s[depth];
            depth++;
            continue;
        }
        break;
    }
    struct mm *mm = mm_new();
    if (!mm) {
        err = -LX_ENOMEM;
        goto out;
    }
    static struct loaded prog, interp; /* (large: not on the stack) */
    uint64_t entry = 0, at_base = 0;
    err = load_elf(mm, ino, ino->data, ino->map, (uint64_t)ino->size, 0, &prog);
    if (!err) {
        mm->brk_start = mm->brk = prog.brk;
        mm->brk_limit = prog.brk + BRK_RESERVE;
        entry = prog.entry;
    }
    if (!err && prog.interp[0]) {
        /* the program interpreter (ld.so): loaded too, and it starts first */
        struct inode *ii;
        err = exec_file(p, cwd, prog.interp, &ii);
        if (!err)
            err = load_elf(mm, ii, ii->data, ii->map, (uint64_t)ii->size, 1, &interp);
        if (!err) {
            entry = interp.entry;
            at_base = interp.base;
        }
    }
    uint64_t sp = 0;
    if (!err) {
        const uint64_t auxv[] = {
            LX_AT_PHDR, prog.phdr, LX_AT_PHENT, sizeof(struct phdr), LX_AT_PHNUM, prog.phnum,
            LX_AT_PAGESZ, LX_PAGE, LX_AT_BASE, at_base, LX_AT_FLAGS, 0, LX_AT_ENTRY, prog.entry,
            LX_AT_UID, p->uid, LX_AT_EUID, p->euid, LX_AT_GID, p->gid, LX_AT_EGID, p->egid,
            LX_AT_HWCAP, 0x178bfbff, LX_AT_CLKTCK, 100, LX_AT_SECURE, 0,
        };
        err = build_stack(mm, av, ac, envp, envc, path, auxv, (int)(sizeof auxv / 16), &sp);
    }
    if (err) {
        mm_free(mm);
        goto out;
    }
    /* commit: the new image replaces the old one */
    mm_set_exe(mm, ino);
    for (struct lthread *t = p->threads; t; t = t->next)
        futex_robust_exit(t, 1); /* (the old image's robust futexes, as Linux's exec does) */
    if (p->mm)
        mm_free(p->mm);
    p->mm = mm;
    if (p->fds)
        fdt_close_on_exec(p->fds);
    signal_exec(p);
    ptimer_proc_gone(p); /* (POSIX timers end with the image) */
    char exe[1024];
    if (vfs_path_of(ino, exe, sizeof exe) > 0) {
        size_t n = strlen(exe) + 1;
        char *e2 = sk_malloc(n);
        if (e2) {
            memcpy(e2, exe, n);
            sk_free(p->exe);
            p->exe = e2;
        }
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    memset(p->comm, 0, sizeof p->comm);
    memcpy(p->comm, base, strnlen(base, sizeof p->comm - 1));
    join_strings(av, ac, &p->cmdline, &p->cmdline_len);
    join_strings(envp, envc, &p->environ, &p->environ_len);
    *entry_out = entry;
    *sp_out = sp;
out:
    for (int i = 0; i < 5; i++) {
        sk_free(owned_v[i]);
        sk_free(owned_s[i]);
    }
    return err;
}
