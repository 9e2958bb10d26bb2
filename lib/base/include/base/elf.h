/*
 * ELF64 parser and validator for static x86-64 executables. Pure code: it
 * reads an image in memory, checks every field a loader relies on and returns
 * the loadable segments; it maps nothing. Used by the kernel (the first
 * program) and by lib/sk's spawner, and unit-tested on the host.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Segment permission bits as in ELF p_flags. */
#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

#define ELF_MAX_SEGMENTS 16 /* PT_LOAD entries accepted */
#define ELF_MAX_PHNUM 64    /* program headers accepted */
#define ELF_PAGE 4096ull

#define ELF_ERRORS(X) \
    X(ELF_OK, "valid") \
    X(ELF_ERR_SHORT, "file shorter than the ELF header") \
    X(ELF_ERR_MAGIC, "not an ELF file") \
    X(ELF_ERR_CLASS, "not a 64-bit little-endian ELF version 1 file") \
    X(ELF_ERR_MACHINE, "not an x86-64 file") \
    X(ELF_ERR_TYPE_DYN, "position-independent (ET_DYN) files are not supported yet") \
    X(ELF_ERR_TYPE, "not an executable") \
    X(ELF_ERR_PHDR, "bad program header table (size, count or bounds)") \
    X(ELF_ERR_INTERP, "needs a program interpreter (dynamically linked)") \
    X(ELF_ERR_SEG_FILE, "segment file range outside the file") \
    X(ELF_ERR_SEG_SIZE, "segment memory size smaller than its file size, or overflowing") \
    X(ELF_ERR_SEG_ALIGN, "segment alignment not a power of two or address and offset disagree") \
    X(ELF_ERR_SEG_RANGE, "segment outside the allowed user address range") \
    X(ELF_ERR_SEG_ORDER, "segments not sorted or sharing a page") \
    X(ELF_ERR_SEG_WX, "segment both writable and executable") \
    X(ELF_ERR_SEG_COUNT, "no loadable segment, or too many") \
    X(ELF_ERR_ENTRY, "entry point not inside an executable segment's file contents")

enum elf_error {
#define ELF_ERROR_ENUM(name, msg) name,
    ELF_ERRORS(ELF_ERROR_ENUM)
#undef ELF_ERROR_ENUM
    ELF_ERROR_COUNT
};

/* One PT_LOAD segment: memsz bytes at vaddr, the first filesz from the file at offset. */
struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint32_t flags; /* ELF_PF_* */
};

struct elf_image {
    uint64_t entry;
    unsigned nsegs;
    struct elf_segment seg[ELF_MAX_SEGMENTS]; /* sorted by vaddr, page ranges disjoint */
};

/*
 * Validate the ELF image file[0..size) and describe its loadable segments in *out.
 * Every segment's page range [floor(vaddr), ceil(vaddr + memsz)) must lie inside
 * [user_lo, user_hi) (user_lo and user_hi page aligned). Returns ELF_OK or the
 * first problem found; *out is meaningful only on ELF_OK.
 */
enum elf_error elf_parse(const void *file, size_t size, uint64_t user_lo, uint64_t user_hi,
                         struct elf_image *out);

/* A fixed message for an elf_error (never NULL). */
const char *elf_strerror(enum elf_error e);

/* Page-range helpers for loaders: first page and end (exclusive, page aligned) of a segment. */
static inline uint64_t elf_seg_page_start(const struct elf_segment *s)
{
    return s->vaddr & ~(ELF_PAGE - 1);
}
static inline uint64_t elf_seg_page_end(const struct elf_segment *s)
{
    return (s->vaddr + s->memsz + ELF_PAGE - 1) & ~(ELF_PAGE - 1);
}
