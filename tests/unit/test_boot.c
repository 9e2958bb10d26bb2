/* Unit tests for the boot-protocol parsers, the command line and the cpio reader. */
#include "unit.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <k/bootinfo.h>
#include <k/cmdline.h>
#include <base/cpio.h>

/* Fake physical memory for PVH pointers: phys address = offset into this buffer. */
static uint8_t physmem[8192];

static const void *fake_p2v(uint64_t phys, size_t len)
{
    if (phys >= sizeof physmem || len > sizeof physmem - phys)
        return NULL;
    return physmem + phys;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Multiboot2 builder. */
static uint8_t mb[1024] __attribute__((aligned(8)));
static size_t mb_len;

static uint8_t *mb_tag(uint32_t type, uint32_t size)
{
    uint8_t *t = mb + mb_len;
    put32(t, type);
    put32(t + 4, size);
    mb_len += (size + 7) & ~7u;
    return t + 8;
}

static void mb_begin(void)
{
    memset(mb, 0, sizeof mb);
    mb_len = 8;
}

static void mb_end(void)
{
    mb_tag(0, 8);
    put32(mb, (uint32_t)mb_len);
}

START_TEST(boot_mb2_full)
{
    struct bootinfo bi;
    mb_begin();
    strcpy((char *)mb_tag(1, 8 + 12), "selftest=all");
    uint8_t *m = mb_tag(3, 8 + 8 + 7);
    put32(m, 0x200000);
    put32(m + 4, 0x201000);
    strcpy((char *)m + 8, "initrd");
    uint8_t *mm = mb_tag(6, 8 + 8 + 2 * 24);
    put32(mm, 24);
    put64(mm + 8, 0);
    put64(mm + 16, 0x9fc00);
    put32(mm + 24, 1);
    put64(mm + 32, 0x100000);
    put64(mm + 40, 0x7ee0000);
    put32(mm + 48, 1);
    uint8_t *r = mb_tag(14, 8 + 20);
    memcpy(r, "RSD PTR ", 8);
    mb_end();
    ck_assert_int_eq(bootinfo_parse_mb2(mb, fake_p2v, &bi), 0);
    ck_assert_str_eq(bi.cmdline, "selftest=all");
    ck_assert_uint_eq(bi.module_count, 1);
    ck_assert_uint_eq(bi.modules[0].start, 0x200000);
    ck_assert_uint_eq(bi.modules[0].end, 0x201000);
    ck_assert_str_eq(bi.modules[0].name, "initrd");
    ck_assert_uint_eq(bi.mmap_count, 2);
    ck_assert_uint_eq(bi.mmap[1].base, 0x100000);
    ck_assert_uint_eq(bi.mmap[1].len, 0x7ee0000);
    ck_assert_uint_eq(bi.rsdp_len, 20);
    ck_assert_int_eq(memcmp(bi.rsdp, "RSD PTR ", 8), 0);
}
END_TEST

START_TEST(boot_mb2_malformed)
{
    struct bootinfo bi;
    /* tag size running past the total */
    mb_begin();
    mb_tag(1, 8 + 4);
    mb_end();
    put32(mb + 12, 5000);
    ck_assert_int_eq(bootinfo_parse_mb2(mb, fake_p2v, &bi), -1);
    /* no end tag */
    mb_begin();
    mb_tag(1, 8 + 4);
    put32(mb, (uint32_t)mb_len);
    ck_assert_int_eq(bootinfo_parse_mb2(mb, fake_p2v, &bi), -1);
    /* tag size below the header */
    mb_begin();
    mb_tag(1, 8 + 4);
    mb_end();
    put32(mb + 12, 3);
    ck_assert_int_eq(bootinfo_parse_mb2(mb, fake_p2v, &bi), -1);
    /* memory map with a too-small entry size */
    mb_begin();
    uint8_t *mm = mb_tag(6, 8 + 8 + 24);
    put32(mm, 8);
    mb_end();
    ck_assert_int_eq(bootinfo_parse_mb2(mb, fake_p2v, &bi), -1);
    /* unterminated command line is cut at the tag's end */
    mb_begin();
    memset(mb_tag(1, 8 + 8), 'x', 8);
    mb_end();
    ck_assert_int_eq(bootinfo_parse_mb2(mb, fake_p2v, &bi), 0);
    ck_assert_str_eq(bi.cmdline, "xxxxxxxx");
}
END_TEST

static void pvh_build(uint32_t version, uint32_t nmods, uint32_t nmem)
{
    memset(physmem, 0, sizeof physmem);
    uint8_t *si = physmem;
    put32(si, 0x336ec578);
    put32(si + 4, version);
    put32(si + 12, nmods);
    put64(si + 16, 1024);  /* modlist */
    put64(si + 24, 512);   /* cmdline */
    put64(si + 40, 2048);  /* memmap */
    put32(si + 48, nmem);
    strcpy((char *)physmem + 512, "a=b qemu_exit");
    put64(physmem + 1024, 0x300000);
    put64(physmem + 1024 + 8, 0x1234);
    put64(physmem + 1024 + 16, 600);
    strcpy((char *)physmem + 600, "initrd");
    for (uint32_t i = 0; i < nmem && i < 8; i++) {
        put64(physmem + 2048 + i * 24, 0x100000ull * i);
        put64(physmem + 2048 + i * 24 + 8, 0x1000);
        put32(physmem + 2048 + i * 24 + 16, i == 0 ? 1 : 2);
    }
}

START_TEST(boot_pvh_full)
{
    struct bootinfo bi;
    pvh_build(1, 1, 3);
    ck_assert_int_eq(bootinfo_parse_pvh(physmem, fake_p2v, &bi), 0);
    ck_assert_str_eq(bi.cmdline, "a=b qemu_exit");
    ck_assert_uint_eq(bi.module_count, 1);
    ck_assert_uint_eq(bi.modules[0].start, 0x300000);
    ck_assert_uint_eq(bi.modules[0].end, 0x301234);
    ck_assert_str_eq(bi.modules[0].name, "initrd");
    ck_assert_uint_eq(bi.mmap_count, 3);
    ck_assert_uint_eq(bi.mmap[0].type, BOOT_MEM_USABLE);
    ck_assert_uint_eq(bi.mmap[2].base, 0x200000);
}
END_TEST

START_TEST(boot_pvh_malformed)
{
    struct bootinfo bi;
    pvh_build(0, 0, 3); /* version 0 has no memory map */
    ck_assert_int_eq(bootinfo_parse_pvh(physmem, fake_p2v, &bi), -1);
    pvh_build(1, 0, 100000); /* memory map beyond memory */
    ck_assert_int_eq(bootinfo_parse_pvh(physmem, fake_p2v, &bi), -1);
    pvh_build(1, 0, 3);
    put32(physmem, 0x12345678); /* bad magic */
    ck_assert_int_eq(bootinfo_parse_pvh(physmem, fake_p2v, &bi), -1);
    pvh_build(1, 1, 3);
    put64(physmem + 16, 1ull << 40); /* module list unreachable */
    ck_assert_int_eq(bootinfo_parse_pvh(physmem, fake_p2v, &bi), -1);
    pvh_build(1, 1, 3);
    put64(physmem + 1024 + 8, ~0ull); /* module end overflows */
    ck_assert_int_eq(bootinfo_parse_pvh(physmem, fake_p2v, &bi), -1);
}
END_TEST

START_TEST(cmdline_lookup)
{
    const char *c = "  selftest=all,mem qemu_exit loglevel=debug x=";
    char v[16];
    ck_assert(cmdline_has(c, "qemu_exit"));
    ck_assert(cmdline_has(c, "selftest"));
    ck_assert(!cmdline_has(c, "qemu"));
    ck_assert(!cmdline_has(c, "exit"));
    ck_assert_int_eq(cmdline_get(c, "loglevel", v, sizeof v), 5);
    ck_assert_str_eq(v, "debug");
    ck_assert_int_eq(cmdline_get(c, "qemu_exit", v, sizeof v), -1);
    ck_assert_int_eq(cmdline_get(c, "x", v, sizeof v), 0);
    ck_assert_str_eq(v, "");
    ck_assert_int_eq(cmdline_get(c, "selftest", v, 4), 7); /* truncated copy, full length */
    ck_assert_str_eq(v, "all");
    ck_assert(cmdline_list_contains("all,mem", "mem"));
    ck_assert(cmdline_list_contains("all,mem", "all"));
    ck_assert(!cmdline_list_contains("all,mem", "me"));
    ck_assert(!cmdline_list_contains("", "all"));
    ck_assert(!cmdline_has("", "a"));
    const char *n = "a=50 b=1000001 c=12x d= e f=0";
    uint64_t u = 7;
    ck_assert_int_eq(cmdline_get_num(n, "a", 1000000, &u), 1);
    ck_assert_uint_eq(u, 50);
    ck_assert_int_eq(cmdline_get_num(n, "b", 1000000, &u), -1); /* above max */
    ck_assert_int_eq(cmdline_get_num(n, "c", 1000000, &u), -1);
    ck_assert_int_eq(cmdline_get_num(n, "d", 1000000, &u), -1);
    ck_assert_int_eq(cmdline_get_num(n, "e", 1000000, &u), 0); /* no value */
    ck_assert_int_eq(cmdline_get_num(n, "g", 1000000, &u), 0);
    ck_assert_int_eq(cmdline_get_num(n, "f", 1000000, &u), 1);
    ck_assert_uint_eq(u, 0);
    ck_assert_int_eq(cmdline_get_num("a=18446744073709551616", "a", UINT64_MAX, &u), -1);
    ck_assert_int_eq(cmdline_get_num("a=18446744073709551615", "a", UINT64_MAX, &u), 1);
    ck_assert(u == UINT64_MAX);
    ck_assert_int_eq(cmdline_get_num("a=9", "a", 5, &u), -1);
}
END_TEST

static size_t cpio_add_mode(uint8_t *buf, size_t off, const char *name, unsigned mode,
                            const char *data)
{
    size_t nlen = strlen(name) + 1, dlen = strlen(data);
    off += (size_t)sprintf((char *)buf + off,
                           "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x", 1,
                           mode, 0, 0, 1, 0, dlen, 0, 0, 0, 0, nlen, 0);
    memcpy(buf + off, name, nlen);
    off = (off + nlen + 3) & ~(size_t)3;
    memcpy(buf + off, data, dlen);
    return (off + dlen + 3) & ~(size_t)3;
}

static size_t cpio_add(uint8_t *buf, size_t off, const char *name, const char *data)
{
    return cpio_add_mode(buf, off, name, 0100644, data);
}

START_TEST(cpio_parse)
{
    static uint8_t a[1024];
    memset(a, 0, sizeof a);
    size_t n = cpio_add(a, 0, "etc", "");
    n = cpio_add(a, n, "etc/skoll-release", "Skoll\n");
    n = cpio_add(a, n, "./bin/x", "abc");
    n = cpio_add(a, n, "TRAILER!!!", "");
    struct cpio_entry e;
    ck_assert_int_eq(cpio_find(a, n, "/etc/skoll-release", &e), 1);
    ck_assert_uint_eq(e.size, 6);
    ck_assert_int_eq(memcmp(e.data, "Skoll\n", 6), 0);
    ck_assert_uint_eq(e.mode, 0100644);
    ck_assert_int_eq(cpio_find(a, n, "bin/x", &e), 1);
    ck_assert_int_eq(cpio_find(a, n, "missing", &e), 0);
    size_t off = 0;
    int count = 0;
    while (cpio_next(a, n, &off, &e) == 1)
        count++;
    ck_assert_int_eq(count, 3);
}
END_TEST

/* The boot archive holds directories and symbolic links (busybox's applets) besides files:
   they are found like files, with their type in the mode, and a lookup of a program can tell. */
START_TEST(cpio_types)
{
    static uint8_t a[1024];
    memset(a, 0, sizeof a);
    size_t n = cpio_add_mode(a, 0, "bin", 0040755, "");
    n = cpio_add_mode(a, n, "bin/busybox", 0100755, "\x7f" "ELF");
    n = cpio_add_mode(a, n, "bin/sh", 0120777, "/bin/busybox");
    n = cpio_add_mode(a, n, "tmp", 0041777, "");
    n = cpio_add(a, n, "TRAILER!!!", "");
    struct cpio_entry e;
    ck_assert_int_eq(cpio_find(a, n, "bin/sh", &e), 1);
    ck_assert(!cpio_is_file(&e));
    ck_assert_uint_eq(e.mode & CPIO_TYPE_MASK, CPIO_TYPE_SYMLINK);
    ck_assert_uint_eq(e.size, 12);
    ck_assert_int_eq(memcmp(e.data, "/bin/busybox", 12), 0);
    ck_assert_int_eq(cpio_find(a, n, "/bin/busybox", &e), 1);
    ck_assert(cpio_is_file(&e));
    ck_assert_uint_eq(e.size, 4);
    ck_assert_int_eq(cpio_find(a, n, "tmp", &e), 1);
    ck_assert(!cpio_is_file(&e));
    ck_assert_uint_eq(e.mode & CPIO_TYPE_MASK, CPIO_TYPE_DIR);
    ck_assert_uint_eq(e.size, 0);
    size_t off = 0;
    int count = 0, files = 0;
    while (cpio_next(a, n, &off, &e) == 1) {
        count++;
        files += cpio_is_file(&e);
    }
    ck_assert_int_eq(count, 4);
    ck_assert_int_eq(files, 1);
}
END_TEST

START_TEST(cpio_malformed)
{
    static uint8_t a[512];
    memset(a, 0, sizeof a);
    size_t n = cpio_add(a, 0, "f", "hello");
    struct cpio_entry e;
    size_t off = 0;
    /* truncated: every prefix of a valid archive without trailer must fail cleanly */
    for (size_t cut = 0; cut < 110 + 2 + 5; cut++) { /* header, name "f", data */
        off = 0;
        int rc = cpio_next(a, cut, &off, &e);
        ck_assert_int_eq(rc, -1);
    }
    /* file size beyond the archive */
    memcpy(a + 54, "7fffffff", 8);
    off = 0;
    ck_assert_int_eq(cpio_next(a, n, &off, &e), -1);
    /* bad hex */
    n = cpio_add(a, 0, "f", "hello");
    a[60] = 'z';
    off = 0;
    ck_assert_int_eq(cpio_next(a, n, &off, &e), -1);
    /* bad magic */
    n = cpio_add(a, 0, "f", "hello");
    a[0] = 'x';
    off = 0;
    ck_assert_int_eq(cpio_next(a, n, &off, &e), -1);
    /* offset past the end */
    off = n + 100;
    ck_assert_int_eq(cpio_next(a, n, &off, &e), -1);
}
END_TEST

Suite *suite_boot(void)
{
    Suite *s = suite_create("boot");
    unit_add(s, boot_mb2_full);
    unit_add(s, boot_mb2_malformed);
    unit_add(s, boot_pvh_full);
    unit_add(s, boot_pvh_malformed);
    unit_add(s, cmdline_lookup);
    unit_add(s, cpio_parse);
    unit_add(s, cpio_types);
    unit_add(s, cpio_malformed);
    return s;
}
