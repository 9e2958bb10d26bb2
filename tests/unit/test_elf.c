/*
 * Unit tests for lib/base/elf.c: a valid synthetic executable, one broken
 * variant per check, truncations and byte flips (run under ASan, so a read
 * outside the image fails the test), and the real user programs of the build.
 */
#include "unit.h"
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <base/elf.h>

#define LO 0x10000ull
#define HI 0x00007ffffffff000ull

/* A synthetic image: header, program headers at 64, segment contents from 0x1000. */
static uint8_t img[0x4000];
static size_t img_size;

static void put16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void put32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

static size_t ph(unsigned i) { return 64 + 56 * (size_t)i; }

static void set_phdr(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                     uint64_t filesz, uint64_t memsz, uint64_t align)
{
    size_t p = ph(i);
    put32(p, type);
    put32(p + 4, flags);
    put64(p + 8, off);
    put64(p + 16, vaddr);
    put64(p + 24, vaddr);
    put64(p + 32, filesz);
    put64(p + 40, memsz);
    put64(p + 48, align);
}

/* R at 0x400000, RX at 0x401000 (entry 0x401010), RW at 0x402000 with bss. */
static void build_valid(void)
{
    memset(img, 0, sizeof img);
    img[0] = 0x7f, img[1] = 'E', img[2] = 'L', img[3] = 'F';
    img[4] = 2, img[5] = 1, img[6] = 1;
    put16(16, 2);
    put16(18, 62);
    put32(20, 1);
    put64(24, 0x401010);
    put64(32, 64);
    put16(52, 64);
    put16(54, 56);
    put16(56, 4);
    set_phdr(0, 1, ELF_PF_R, 0x1000, 0x400000, 0x100, 0x100, 0x1000);
    set_phdr(1, 1, ELF_PF_R | ELF_PF_X, 0x2000, 0x401000, 0x800, 0x800, 0x1000);
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x402000, 0x80, 0x5000, 0x1000);
    set_phdr(3, 0x6474e551, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0, 16); /* PT_GNU_STACK */
    img_size = 0x3080;
}

static enum elf_error parse(void)
{
    static struct elf_image im;
    return elf_parse(img, img_size, LO, HI, &im);
}

#define EXPECT_ERR(e) ck_assert_str_eq(elf_strerror(parse()), elf_strerror(e))

START_TEST(elf_valid)
{
    build_valid();
    struct elf_image im;
    ck_assert_int_eq(elf_parse(img, img_size, LO, HI, &im), ELF_OK);
    ck_assert_uint_eq(im.entry, 0x401010);
    ck_assert_uint_eq(im.nsegs, 3);
    ck_assert_uint_eq(im.seg[1].vaddr, 0x401000);
    ck_assert_uint_eq(im.seg[1].flags, ELF_PF_R | ELF_PF_X);
    ck_assert_uint_eq(im.seg[2].filesz, 0x80);
    ck_assert_uint_eq(im.seg[2].memsz, 0x5000);
    ck_assert_uint_eq(elf_seg_page_start(&im.seg[2]), 0x402000);
    ck_assert_uint_eq(elf_seg_page_end(&im.seg[2]), 0x407000);
    /* A zero-sized PT_LOAD is skipped; align 0 means none. */
    set_phdr(3, 1, ELF_PF_R, 0, 0, 0, 0, 0);
    ck_assert_int_eq(elf_parse(img, img_size, LO, HI, &im), ELF_OK);
    ck_assert_uint_eq(im.nsegs, 3);
    /* Unaligned placement of the image (cpio data is only 4-byte aligned). */
    static uint8_t shifted[sizeof img + 4];
    memcpy(shifted + 4, img, img_size);
    ck_assert_int_eq(elf_parse(shifted + 4, img_size, LO, HI, &im), ELF_OK);
}
END_TEST

START_TEST(elf_bad_header)
{
    build_valid();
    img_size = 63;
    EXPECT_ERR(ELF_ERR_SHORT);
    img_size = 0;
    EXPECT_ERR(ELF_ERR_SHORT);
    build_valid();
    img[1] = 'e';
    EXPECT_ERR(ELF_ERR_MAGIC);
    build_valid();
    img[4] = 1; /* 32-bit */
    EXPECT_ERR(ELF_ERR_CLASS);
    build_valid();
    img[5] = 2; /* big-endian */
    EXPECT_ERR(ELF_ERR_CLASS);
    build_valid();
    put32(20, 2);
    EXPECT_ERR(ELF_ERR_CLASS);
    build_valid();
    put16(18, 3); /* i386 */
    EXPECT_ERR(ELF_ERR_MACHINE);
    build_valid();
    put16(16, 3);
    EXPECT_ERR(ELF_ERR_TYPE_DYN);
    put16(16, 1); /* relocatable */
    EXPECT_ERR(ELF_ERR_TYPE);
    put16(16, 4); /* core */
    EXPECT_ERR(ELF_ERR_TYPE);
}
END_TEST

START_TEST(elf_bad_phdr_table)
{
    build_valid();
    put16(54, 32);
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    put16(56, 0);
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    put16(56, ELF_MAX_PHNUM + 1);
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    put16(56, 0xffff); /* PN_XNUM: count in section 0, not supported */
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    put64(32, img_size + 1);
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    put64(32, UINT64_MAX - 8); /* phoff + table size overflows */
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    img_size = ph(4) - 1; /* table cut by the end of the file */
    EXPECT_ERR(ELF_ERR_PHDR);
    build_valid();
    set_phdr(3, 3, ELF_PF_R, 0x1000, 0, 16, 16, 1); /* PT_INTERP */
    EXPECT_ERR(ELF_ERR_INTERP);
}
END_TEST

START_TEST(elf_bad_segments)
{
    build_valid();
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x402000, 0x81, 0x5000, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_FILE); /* one byte past the end */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, UINT64_MAX - 0xf, 0x402000, 0x20, 0x5000, 16);
    EXPECT_ERR(ELF_ERR_SEG_FILE); /* offset + filesz overflows */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x402000, 0x80, 0x7f, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_SIZE);
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0xfffffffffffff000ull, 0x80, 0x2000, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_SIZE); /* vaddr + memsz overflows */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x402000, 0x80, 0x5000, 0x1800);
    EXPECT_ERR(ELF_ERR_SEG_ALIGN);
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x402010, 0x80, 0x5000, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_ALIGN); /* vaddr and offset disagree modulo align */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x402010, 0x80, 0x5000, 0);
    ck_assert_int_eq(parse(), ELF_OK); /* align 0: no constraint */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0xf000, 0x80, 0x100, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_RANGE); /* below user_lo (page zero region) */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, HI - 0x1000, 0x80, 0x1001, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_RANGE); /* ends past user_hi */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0xffff800000000000ull, 0x80, 0x100, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_RANGE); /* kernel half */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W | ELF_PF_X, 0x3000, 0x402000, 0x80, 0x100, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_WX);
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x3000, 0x3ff000, 0x80, 0x100, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_ORDER); /* before the previous segment */
    set_phdr(2, 1, ELF_PF_R | ELF_PF_W, 0x2800, 0x401800, 0x80, 0x100, 0x800);
    EXPECT_ERR(ELF_ERR_SEG_ORDER); /* shares the text segment's page */
}
END_TEST

START_TEST(elf_bad_counts_and_entry)
{
    build_valid();
    for (unsigned i = 0; i < 3; i++)
        set_phdr(i, 4, 0, 0, 0, 0, 0, 4); /* PT_NOTE */
    EXPECT_ERR(ELF_ERR_SEG_COUNT);
    /* ELF_MAX_SEGMENTS + 1 one-page read-only segments. */
    build_valid();
    put16(56, ELF_MAX_SEGMENTS + 1);
    for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
        set_phdr(i, 1, ELF_PF_R | ELF_PF_X, 0x2000, 0x401000 + 0x1000ull * i, 0x10, 0x10, 0x1000);
    EXPECT_ERR(ELF_ERR_SEG_COUNT);
    build_valid();
    put64(24, 0x400010); /* in the read-only segment */
    EXPECT_ERR(ELF_ERR_ENTRY);
    put64(24, 0x401800); /* one past the text's file contents */
    EXPECT_ERR(ELF_ERR_ENTRY);
    put64(24, 0);
    EXPECT_ERR(ELF_ERR_ENTRY);
    put64(24, 0x4017ff);
    ck_assert_int_eq(parse(), ELF_OK);
}
END_TEST

START_TEST(elf_truncations_and_flips)
{
    build_valid();
    size_t full = img_size;
    static uint8_t copy[sizeof img];
    struct elf_image im;
    /* Every truncation is refused, and each copy ends exactly where the heap block ends. */
    for (size_t n = 0; n < full; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, img, n);
        ck_assert_int_ne(elf_parse(p, n, LO, HI, &im), ELF_OK);
        free(p);
    }
    /* Random header corruption never reads outside the image (ASan would stop us). */
    memcpy(copy, img, full);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 20000; round++) {
        memcpy(img, copy, full);
        for (int k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            img[x % (ph(4))] = (uint8_t)(x >> 32);
        }
        uint8_t *p = malloc(full);
        memcpy(p, img, full);
        enum elf_error e = elf_parse(p, full, LO, HI, &im);
        if (e == ELF_OK) {
            for (unsigned i = 0; i < im.nsegs; i++) {
                ck_assert(im.seg[i].filesz == 0 || im.seg[i].offset + im.seg[i].filesz <= full);
                ck_assert(elf_seg_page_start(&im.seg[i]) >= LO && elf_seg_page_end(&im.seg[i]) <= HI);
            }
        }
        free(p);
    }
}
END_TEST

START_TEST(elf_messages)
{
    for (int i = 0; i < ELF_ERROR_COUNT; i++) {
        ck_assert_ptr_nonnull(elf_strerror(i));
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(elf_strerror(i), elf_strerror(j));
    }
    ck_assert_str_eq(elf_strerror(ELF_ERROR_COUNT), "unknown ELF error");
}
END_TEST

/* Every user program the build produced passes the validator (the Makefile builds them first). */
START_TEST(elf_user_programs)
{
#ifdef SKOLL_USER_ELF_DIR
    DIR *d = opendir(SKOLL_USER_ELF_DIR);
    ck_assert_msg(d != NULL, "cannot open %s", SKOLL_USER_ELF_DIR);
    int checked = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".elf") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", SKOLL_USER_ELF_DIR, de->d_name);
        FILE *fp = fopen(path, "rb");
        ck_assert_ptr_nonnull(fp);
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)n);
        ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        struct elf_image im;
        enum elf_error e = elf_parse(buf, (size_t)n, LO, HI, &im);
        ck_assert_msg(e == ELF_OK, "%s: %s", de->d_name, elf_strerror(e));
        ck_assert_uint_eq(im.nsegs, 3); /* R, RX, RW from lib/sk/user.ld */
        free(buf);
        checked++;
    }
    closedir(d);
    ck_assert_int_gt(checked, 0);
#endif
}
END_TEST

Suite *suite_elf(void)
{
    Suite *s = suite_create("elf");
    unit_add(s, elf_valid);
    unit_add(s, elf_bad_header);
    unit_add(s, elf_bad_phdr_table);
    unit_add(s, elf_bad_segments);
    unit_add(s, elf_bad_counts_and_entry);
    unit_add(s, elf_truncations_and_flips);
    unit_add(s, elf_messages);
    unit_add(s, elf_user_programs);
    return s;
}
