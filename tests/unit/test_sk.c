/*
 * Unit tests for lib/sk (spawn, threads, heap, printing) on the host, against
 * a small model of the kernel that stands in for the syscall instruction
 * (sk_syscall6 under SKOLL_HOST_TEST). Mappings in SK_THIS_SPACE are host
 * pointers into the model's memory objects; other spaces only record where
 * things were mapped, which is what the spawner's contract is about.
 */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sk/sk.h>
#include <sk/spawn.h>
#include <base/elf.h>

enum { MAXH = 512, MAXMEM = 256, MAXMAP = 256, MAXTHR = 16 };

static struct { int live, type, idx; uint32_t rights; } H[MAXH];
static struct { uint64_t size; uint8_t *data; } M[MAXMEM];
static struct { int live, space, mem; uint64_t addr, len, off; uint32_t prot; int guarded; } MP[MAXMAP];
static struct { struct sk_thread_create tc; int universe, space; } T[MAXTHR];
static struct { int universe, mem; uint32_t rights; } X[16];
static int nh, nm, nspaces, nuniverses, nthreads, nx, ncreates, fail_at;
static uint64_t next_addr, clock_ns;
static char logbuf[4096];
sk_error_t model_queue_syscall(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *ret);
static size_t loglen;

static void model_reset(void)
{
    for (int i = 0; i < nm; i++)
        free(M[i].data);
    memset(H, 0, sizeof H);
    memset(M, 0, sizeof M);
    memset(MP, 0, sizeof MP);
    memset(T, 0, sizeof T);
    memset(X, 0, sizeof X);
    nh = 1; /* handle 0 is "no handle" */
    nm = nthreads = nx = ncreates = 0;
    nspaces = nuniverses = 1; /* 0 is our own */
    fail_at = -1;
    next_addr = 0x700000000000ull;
    loglen = 0;
}

static int resolve(uint64_t h, int type, int *idx, uint32_t *rights)
{
    if ((sk_handle_t)h == SK_THIS_SPACE && type == SK_OBJ_SPACE)
        return *idx = 0, *rights = SK_RIGHTS_ALL, SK_OK;
    if ((sk_handle_t)h == SK_THIS_UNIVERSE && type == SK_OBJ_UNIVERSE)
        return *idx = 0, *rights = SK_RIGHTS_ALL, SK_OK;
    if (h == 0 || h >= (uint64_t)nh || !H[h].live)
        return SK_ERR_BAD_HANDLE;
    if (H[h].type != type)
        return SK_ERR_WRONG_TYPE;
    *idx = H[h].idx;
    *rights = H[h].rights;
    return SK_OK;
}

static uint64_t new_handle(int type, int idx)
{
    H[nh].live = 1, H[nh].type = type, H[nh].idx = idx, H[nh].rights = SK_RIGHTS_ALL;
    return (uint64_t)nh++;
}

static int live_handles(void)
{
    int n = 0;
    for (int i = 1; i < nh; i++)
        n += H[i].live;
    return n;
}

static int maps_in(int space)
{
    int n = 0;
    for (int i = 0; i < MAXMAP; i++)
        n += MP[i].live && MP[i].space == space;
    return n;
}

/* The mapping of space containing addr, or -1. */
static int find_map(int space, uint64_t addr)
{
    for (int i = 0; i < MAXMAP; i++)
        if (MP[i].live && MP[i].space == space && addr >= MP[i].addr && addr - MP[i].addr < MP[i].len)
            return i;
    return -1;
}

/* Host pointer behind a child-space address. */
static void *child_ptr(int space, uint64_t addr)
{
    int i = find_map(space, addr);
    if (i < 0)
        return NULL;
    return M[MP[i].mem].data + MP[i].off + (addr - MP[i].addr);
}

static sk_error_t sys_map(uint64_t sh, uint64_t mh, uint64_t off, uint64_t addr, uint64_t len,
                          uint64_t prot, uint64_t *ret)
{
    int s, m;
    uint32_t r;
    sk_error_t e;
    if ((e = resolve(sh, SK_OBJ_SPACE, &s, &r)) || (e = resolve(mh, SK_OBJ_MEMORY, &m, &r)))
        return e;
    if (len == 0 || off % 4096 || len % 4096)
        return SK_ERR_INVALID;
    if (off > M[m].size || len > M[m].size - off)
        return SK_ERR_OUT_OF_RANGE;
    if (s == 0) {
        addr = (uint64_t)(M[m].data + off);
    } else if (prot & SK_MAP_FIXED) {
        for (uint64_t a = addr; a < addr + len; a += 4096)
            if (find_map(s, a) >= 0)
                return SK_ERR_BUSY;
    } else {
        addr = next_addr;
        next_addr += len + 4096;
    }
    for (int i = 0; i < MAXMAP; i++)
        if (!MP[i].live) {
            MP[i].live = 1, MP[i].space = s, MP[i].mem = m, MP[i].addr = addr;
            MP[i].len = len, MP[i].off = off, MP[i].prot = (uint32_t)prot;
            *ret = addr;
            return SK_OK;
        }
    return SK_ERR_NO_MEMORY;
}

/* For the queue model in test_queue_rt.c: reset, and the bytes behind a memory handle. */
void sk_model_reset(void)
{
    model_reset();
}

uint8_t *sk_model_memory(uint64_t h)
{
    int m;
    uint32_t r;
    return resolve(h, SK_OBJ_MEMORY, &m, &r) == SK_OK ? M[m].data : NULL;
}

sk_error_t sk_syscall6(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t *ret)
{
    uint64_t dummy;
    int idx;
    uint32_t rights;
    sk_error_t e;
    if (!ret)
        ret = &dummy;
    switch (num) {
    case SK_SYS_log:
        if (loglen + a1 < sizeof logbuf)
            memcpy(logbuf + loglen, (const void *)a0, a1), loglen += a1;
        return SK_OK;
    case SK_SYS_clock_get:
        *ret = clock_ns += 1000;
        return SK_OK;
    case SK_SYS_handle_close:
        if (a0 == 0 || a0 >= (uint64_t)nh || !H[a0].live)
            return SK_ERR_BAD_HANDLE;
        H[a0].live = 0;
        return SK_OK;
    case SK_SYS_handle_info:
        if (a0 == 0 || a0 >= (uint64_t)nh || !H[a0].live)
            return SK_ERR_BAD_HANDLE;
        *ret = (uint64_t)H[a0].rights << 32 | (uint32_t)H[a0].type;
        return SK_OK;
    case SK_SYS_handle_transfer: {
        int u, m;
        if ((e = resolve(a0, SK_OBJ_UNIVERSE, &u, &rights)) || (e = resolve(a1, SK_OBJ_MEMORY, &m, &rights)))
            return e;
        X[nx].universe = u, X[nx].mem = m, X[nx].rights = (uint32_t)a2;
        *ret = 100 + (uint64_t)nx++;
        return SK_OK;
    }
    case SK_SYS_universe_create:
    case SK_SYS_space_create:
    case SK_SYS_memory_create:
        if (ncreates++ == fail_at)
            return SK_ERR_NO_MEMORY;
        if (num == SK_SYS_universe_create) {
            *ret = new_handle(SK_OBJ_UNIVERSE, nuniverses++);
        } else if (num == SK_SYS_space_create) {
            *ret = new_handle(SK_OBJ_SPACE, nspaces++);
        } else {
            if (a0 == 0 || a0 % 4096)
                return SK_ERR_INVALID;
            M[nm].size = a0;
            M[nm].data = aligned_alloc(4096, a0);
            memset(M[nm].data, 0, a0);
            *ret = new_handle(SK_OBJ_MEMORY, nm++);
        }
        return SK_OK;
    case SK_SYS_space_map:
        return sys_map(a0, a1, a2, a3, a4, a5, ret);
    case SK_SYS_space_unmap: {
        int s;
        if ((e = resolve(a0, SK_OBJ_SPACE, &s, &rights)))
            return e;
        for (int i = 0; i < MAXMAP; i++)
            if (MP[i].live && MP[i].space == s && MP[i].addr == a1) {
                ck_assert_uint_eq(MP[i].len, a2); /* lib/sk always unmaps whole mappings */
                MP[i].live = 0;
                return SK_OK;
            }
        return SK_OK;
    }
    case SK_SYS_space_protect: {
        /* lib/sk only protects the guard page at the bottom of a stack mapping */
        int s;
        if ((e = resolve(a0, SK_OBJ_SPACE, &s, &rights)))
            return e;
        int i = find_map(s, a1);
        if (i < 0 || a1 + a2 > MP[i].addr + MP[i].len)
            return SK_ERR_NOT_FOUND;
        ck_assert_uint_eq(a1, MP[i].addr);
        ck_assert_uint_eq(a2, 4096);
        ck_assert_uint_eq(a3, 0);
        MP[i].guarded = 1;
        return SK_OK;
    }
    case SK_SYS_thread_create: {
        int u, s;
        if ((e = resolve(a0, SK_OBJ_UNIVERSE, &u, &rights)) || (e = resolve(a1, SK_OBJ_SPACE, &s, &rights)))
            return e;
        if (ncreates++ == fail_at)
            return SK_ERR_NO_MEMORY;
        memcpy(&T[nthreads].tc, (const void *)a2, sizeof T[nthreads].tc);
        T[nthreads].universe = u, T[nthreads].space = s;
        *ret = new_handle(SK_OBJ_THREAD, nthreads++);
        return SK_OK;
    }
    case SK_SYS_futex_wait:
        return *(volatile uint64_t *)a0 == a1 ? SK_ERR_TIMEOUT : SK_ERR_AGAIN;
    case SK_SYS_futex_wake:
    case SK_SYS_thread_yield:
    case SK_SYS_nop:
        *ret = 0;
        return SK_OK;
    default:
        (void)a3, (void)a4, (void)idx;
        return model_queue_syscall(num, a0, a1, a2, ret); /* test_queue_rt.c */
    }
}

/* sk_panic's name source (start.c, which refers to main(), is not part of the host build). */
const char *sk_progname(void)
{
    return "unit";
}

static uint8_t *elf_file;
static size_t elf_size;

static void load_elf(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/test-hello.elf", SKOLL_USER_ELF_DIR);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no %s", path);
    fseek(f, 0, SEEK_END);
    elf_size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    elf_file = malloc(elf_size);
    ck_assert_uint_eq(fread(elf_file, 1, elf_size, f), elf_size);
    fclose(f);
}

static const char *const argv3[] = {"test-hello", "alpha", "b"};

static sk_error_t spawn_hello(struct sk_process *p, int *why)
{
    struct sk_spawn_args a = {.argc = 3, .argv = argv3, .initrd = 0, .initrd_size = 12345};
    return sk_spawn(elf_file, elf_size, &a, p, why);
}

START_TEST(sk_spawn_layout)
{
    model_reset();
    load_elf();
    uint64_t initrd;
    ck_assert_int_eq(sk_memory_create(8192, 0, (sk_handle_t *)&initrd), SK_OK);
    struct sk_spawn_args a = {.argc = 3, .argv = argv3, .initrd = (sk_handle_t)initrd, .initrd_size = 5000};
    struct sk_process p;
    int why = -1;
    ck_assert_int_eq(sk_spawn(elf_file, elf_size, &a, &p, &why), SK_OK);
    ck_assert_int_eq(why, ELF_OK);
    ck_assert_int_eq(nthreads, 1);
    int cs = T[0].space, cu = T[0].universe;
    ck_assert_int_ne(cs, 0);
    ck_assert_int_ne(cu, 0);
    const struct sk_thread_create *tc = &T[0].tc;

    /* Segments: at their pages, with their protection, holding file bytes then zeros. */
    struct elf_image im;
    ck_assert_int_eq(elf_parse(elf_file, elf_size, 0x10000, SK_USER_TOP, &im), ELF_OK);
    ck_assert_uint_eq(tc->entry, im.entry);
    for (unsigned i = 0; i < im.nsegs; i++) {
        const struct elf_segment *s = &im.seg[i];
        int m = find_map(cs, s->vaddr);
        ck_assert_int_ge(m, 0);
        ck_assert_uint_eq(MP[m].addr, elf_seg_page_start(s));
        ck_assert_uint_eq(MP[m].len, elf_seg_page_end(s) - elf_seg_page_start(s));
        uint32_t want = SK_MAP_FIXED | (s->flags & ELF_PF_R ? SK_PROT_READ : 0) |
                        (s->flags & ELF_PF_W ? SK_PROT_WRITE : 0) | (s->flags & ELF_PF_X ? SK_PROT_EXEC : 0);
        ck_assert_uint_eq(MP[m].prot, want);
        const uint8_t *data = child_ptr(cs, elf_seg_page_start(s));
        uint64_t lead = s->vaddr - elf_seg_page_start(s);
        for (uint64_t k = 0; k < MP[m].len; k++) {
            uint8_t expect = k >= lead && k - lead < s->filesz ? elf_file[s->offset + k - lead] : 0;
            ck_assert_uint_eq(data[k], expect);
        }
    }
    /* Stack: rsp = 8 mod 16 inside a read-write mapping, room for the return address slot. */
    ck_assert_uint_eq(tc->stack % 16, 8);
    int sm = find_map(cs, tc->stack);
    ck_assert_int_ge(sm, 0);
    ck_assert_uint_eq(MP[sm].prot, SK_PROT_READ | SK_PROT_WRITE);
    ck_assert_uint_eq(MP[sm].addr + MP[sm].len, tc->stack + 8);
    ck_assert_uint_eq(MP[sm].len, SK_SPAWN_STACK_DEFAULT + 4096); /* and a guard page */
    ck_assert_int_eq(MP[sm].guarded, 1);

    /* Start info at the thread's rdi, argv and strings in child memory. */
    const struct sk_start_info *si = child_ptr(cs, tc->arg);
    ck_assert_ptr_nonnull(si);
    ck_assert_uint_eq(tc->arg % 8, 0);
    ck_assert_uint_eq(si->magic, SK_START_MAGIC);
    ck_assert_uint_eq(si->argc, 3);
    const uint64_t *argv = child_ptr(cs, si->argv);
    ck_assert_ptr_nonnull(argv);
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq((const char *)child_ptr(cs, argv[i]), argv3[i]);
    ck_assert_uint_eq(argv[3], 0);
    ck_assert_int_eq(nx, 1);
    ck_assert_int_eq(X[0].universe, cu);
    ck_assert_uint_eq(X[0].rights, SK_RIGHT_READ | SK_RIGHT_MAP);
    ck_assert_int_eq(si->initrd, 100);
    ck_assert_uint_eq(si->initrd_size, 5000);
    ck_assert_int_eq(si->hw_access, 0);
    ck_assert_int_eq(si->registry, 0);

    /* The exit word: the same object and offset in both spaces; 8-byte aligned. */
    ck_assert_uint_eq(tc->exit_word % 8, 0);
    ck_assert_ptr_eq(child_ptr(cs, tc->exit_word), (const void *)p.exit_word);
    ck_assert_uint_eq(*p.exit_word, 0);

    /* Parent: the control block is its only mapping left; handles: initrd, thread, universe, space. */
    ck_assert_int_eq(maps_in(0), 1);
    ck_assert_int_eq(live_handles(), 4);
    ck_assert_int_eq(tc->priority, SK_THREAD_PRIO_DEFAULT);
    ck_assert_uint_eq(tc->flags, 0);

    /* The child ends: the parent sees it through the shared word. */
    *(volatile uint64_t *)child_ptr(cs, tc->exit_word) = SK_EXIT_DONE | SK_EXIT_FAULT | 14ull << 32;
    uint64_t st;
    ck_assert_int_eq(sk_process_wait(&p, SK_TIMEOUT_NEVER, &st), SK_OK);
    ck_assert_uint_eq(st, SK_EXIT_DONE | SK_EXIT_FAULT | 14ull << 32);
    sk_process_release(&p);
    ck_assert_int_eq(maps_in(0), 0);
    ck_assert_int_eq(live_handles(), 1);
    free(elf_file);
}
END_TEST

/* The registry lane goes into the child with the rights asked for, and into its start info.
   (The model transfers memory objects only: one stands in for the lane.) */
START_TEST(sk_spawn_passes_registry)
{
    model_reset();
    load_elf();
    uint64_t lane;
    ck_assert_int_eq(sk_memory_create(4096, 0, (sk_handle_t *)&lane), SK_OK);
    struct sk_spawn_args a = {.argc = 3, .argv = argv3, .registry = (sk_handle_t)lane,
                              .registry_rights = SK_RIGHT_WRITE | SK_RIGHT_TRANSFER};
    struct sk_process p;
    ck_assert_int_eq(sk_spawn(elf_file, elf_size, &a, &p, NULL), SK_OK);
    ck_assert_int_eq(nx, 1);
    ck_assert_int_eq(X[0].universe, T[0].universe);
    ck_assert_uint_eq(X[0].rights, SK_RIGHT_WRITE | SK_RIGHT_TRANSFER);
    const struct sk_start_info *si = child_ptr(T[0].space, T[0].tc.arg);
    ck_assert_int_eq(si->registry, 100);
    ck_assert_int_eq(si->initrd, 0);
    ck_assert_int_eq(si->hw_access, 0);
    sk_process_release(&p);
    free(elf_file);
}
END_TEST

START_TEST(sk_spawn_failures_leave_nothing)
{
    model_reset();
    load_elf();
    struct sk_process p;
    int why = 0;
    /* A refused image. */
    ck_assert_int_eq(sk_spawn(elf_file, 63, &(struct sk_spawn_args){.argc = 0}, &p, &why), SK_ERR_INVALID);
    ck_assert_int_eq(why, ELF_ERR_SHORT);
    ck_assert_int_eq(live_handles(), 0);
    /* Too many arguments. */
    const char *many[SK_SPAWN_MAX_ARGS + 1];
    for (int i = 0; i <= SK_SPAWN_MAX_ARGS; i++)
        many[i] = "x";
    struct sk_spawn_args a = {.argc = SK_SPAWN_MAX_ARGS + 1, .argv = many};
    ck_assert_int_eq(sk_spawn(elf_file, elf_size, &a, &p, NULL), SK_ERR_TOO_BIG);
    /* Out of memory at each step in turn: nothing stays behind, then it works. */
    for (int k = 0;; k++) {
        model_reset();
        fail_at = k;
        sk_error_t e = spawn_hello(&p, NULL);
        if (e == SK_OK) {
            ck_assert_int_gt(k, 5);
            ck_assert_int_eq(nthreads, 1);
            sk_process_release(&p);
            break;
        }
        ck_assert_int_eq(e, SK_ERR_NO_MEMORY);
        ck_assert_int_eq(live_handles(), 0);
        ck_assert_int_eq(maps_in(0), 0);
        ck_assert_int_eq(nthreads, 0);
    }
    free(elf_file);
}
END_TEST

static int thread_fn(void *arg)
{
    return (int)(uint64_t)arg;
}

START_TEST(sk_threads)
{
    model_reset();
    struct sk_thread *t;
    ck_assert_int_eq(sk_thread_spawn(thread_fn, (void *)7, 10000, &t), SK_OK);
    ck_assert_int_eq(nthreads, 1);
    const struct sk_thread_create *tc = &T[0].tc;
    ck_assert_int_eq(T[0].space, 0);
    ck_assert_int_eq(T[0].universe, 0);
    ck_assert_uint_eq(tc->stack % 16, 8);
    int sm = find_map(0, tc->stack);
    ck_assert_int_ge(sm, 0);
    ck_assert_uint_eq(MP[sm].addr + MP[sm].len, tc->stack + 8);
    ck_assert_uint_eq(MP[sm].len, 12288 + 4096); /* 10000 bytes in pages, and a guard page */
    ck_assert_int_eq(MP[sm].guarded, 1);
    ck_assert_uint_eq(tc->arg, (uint64_t)t);
    ck_assert_ptr_eq((const void *)tc->exit_word, (const void *)sk_thread_exit_word(t));
    ck_assert_uint_eq(tc->exit_word % 8, 0);
    *(volatile uint64_t *)tc->exit_word = SK_EXIT_DONE | 7;
    ck_assert_uint_eq(sk_thread_join(t), SK_EXIT_DONE | 7);
    ck_assert_int_eq(find_map(0, tc->stack), -1);
    ck_assert_int_eq(live_handles(), 0);
    /* A timed wait on a word that never changes times out. */
    static volatile uint64_t w;
    uint64_t st;
    ck_assert_int_eq(sk_exit_wait(&w, 5000, &st), SK_ERR_TIMEOUT);
}
END_TEST

START_TEST(sk_heap)
{
    model_reset();
    static void *p[400];
    for (int i = 0; i < 400; i++) {
        size_t n = (size_t)(i * 37 % 9000) + 1;
        p[i] = sk_malloc(n);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_uint_eq((uint64_t)p[i] % 16, 0);
        memset(p[i], i & 0xff, n);
    }
    for (int i = 0; i < 400; i += 2)
        sk_free(p[i]);
    void *again = sk_malloc(16);
    ck_assert_ptr_nonnull(again);
    for (int i = 1; i < 400; i += 2) {
        size_t n = (size_t)(i * 37 % 9000) + 1;
        ck_assert_uint_eq(((uint8_t *)p[i])[n - 1], (uint8_t)(i & 0xff));
        sk_free(p[i]);
    }
    sk_free(again);
    ck_assert_ptr_null(sk_calloc(SIZE_MAX / 2, 4));
    uint8_t *z = sk_calloc(3, 5000);
    ck_assert_ptr_nonnull(z);
    ck_assert_uint_eq(z[14999], 0);
    sk_free(z);
}
END_TEST

START_TEST(sk_print_and_describe)
{
    model_reset();
    sk_printf("a %d %s\n", -5, "b");
    ck_assert_uint_eq(loglen, 7);
    ck_assert(memcmp(logbuf, "a -5 b\n", 7) == 0);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    loglen = 0;
    ck_assert_uint_eq(sk_printf("%s", big), 599);
    ck_assert_uint_eq(loglen, 599);
    char buf[64];
    sk_exit_describe(SK_EXIT_DONE | 3, buf, sizeof buf);
    ck_assert_str_eq(buf, "exit 3");
    sk_exit_describe(SK_EXIT_DONE | SK_EXIT_FAULT | 14ull << 32, buf, sizeof buf);
    ck_assert_str_eq(buf, "fault: vector 14 (#PF)");
    sk_exit_describe(SK_EXIT_DONE | SK_EXIT_KILLED, buf, sizeof buf);
    ck_assert_str_eq(buf, "killed");
    sk_exit_describe(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "running");
}
END_TEST

Suite *suite_sk(void)
{
    Suite *s = suite_create("sk");
    unit_add(s, sk_spawn_layout);
    unit_add(s, sk_spawn_passes_registry);
    unit_add(s, sk_spawn_failures_leave_nothing);
    unit_add(s, sk_threads);
    unit_add(s, sk_heap);
    unit_add(s, sk_print_and_describe);
    return s;
}
