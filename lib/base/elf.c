/*
 * ELF64 validation for static x86-64 executables (see base/elf.h). Fields are
 * read with unaligned little-endian loads, so the image may sit anywhere (a
 * cpio entry is only 4-byte aligned). Every sum is checked before it is formed.
 */
#include <base/elf.h>
#include <base/unaligned.h>

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3

static const char *const messages[] = {
#define ELF_ERROR_MSG(name, msg) msg,
    ELF_ERRORS(ELF_ERROR_MSG)
#undef ELF_ERROR_MSG
};

const char *elf_strerror(enum elf_error e)
{
    if ((unsigned)e >= ELF_ERROR_COUNT)
        return "unknown ELF error";
    return messages[e];
}

static enum elf_error check_header(const uint8_t *f, size_t size)
{
    if (size < EHDR_SIZE)
        return ELF_ERR_SHORT;
    if (f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F')
        return ELF_ERR_MAGIC;
    if (f[4] != 2 || f[5] != 1 || f[6] != 1 || load_le32(f + 20) != 1)
        return ELF_ERR_CLASS;
    if (load_le16(f + 18) != EM_X86_64)
        return ELF_ERR_MACHINE;
    uint16_t type = load_le16(f + 16);
    if (type == ET_DYN)
        return ELF_ERR_TYPE_DYN;
    if (type != ET_EXEC)
        return ELF_ERR_TYPE;
    uint64_t phoff = load_le64(f + 32);
    uint16_t phentsize = load_le16(f + 54);
    uint16_t phnum = load_le16(f + 56);
    if (phentsize != PHDR_SIZE || phnum == 0 || phnum > ELF_MAX_PHNUM)
        return ELF_ERR_PHDR;
    if (phoff > size || (uint64_t)phnum * PHDR_SIZE > size - phoff)
        return ELF_ERR_PHDR;
    return ELF_OK;
}

/* Check one PT_LOAD against the file and the address range; fills *s. */
static enum elf_error check_load(const uint8_t *ph, size_t size, uint64_t user_lo,
                                 uint64_t user_hi, struct elf_segment *s)
{
    uint32_t flags = load_le32(ph + 4);
    uint64_t offset = load_le64(ph + 8);
    uint64_t vaddr = load_le64(ph + 16);
    uint64_t filesz = load_le64(ph + 32);
    uint64_t memsz = load_le64(ph + 40);
    uint64_t align = load_le64(ph + 48);

    if (filesz && (offset > size || filesz > size - offset))
        return ELF_ERR_SEG_FILE;
    if (memsz < filesz || memsz > UINT64_MAX - vaddr)
        return ELF_ERR_SEG_SIZE;
    if (align > 1 && ((align & (align - 1)) || (vaddr - offset) % align))
        return ELF_ERR_SEG_ALIGN;
    if ((vaddr & ~(ELF_PAGE - 1)) < user_lo || vaddr + memsz > user_hi)
        return ELF_ERR_SEG_RANGE;
    if ((flags & ELF_PF_W) && (flags & ELF_PF_X))
        return ELF_ERR_SEG_WX;
    s->vaddr = vaddr;
    s->memsz = memsz;
    s->offset = offset;
    s->filesz = filesz;
    s->flags = flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X);
    return ELF_OK;
}

enum elf_error elf_parse(const void *file, size_t size, uint64_t user_lo, uint64_t user_hi,
                         struct elf_image *out)
{
    const uint8_t *f = file;
    enum elf_error err = check_header(f, size);
    if (err != ELF_OK)
        return err;
    uint64_t phoff = load_le64(f + 32);
    uint16_t phnum = load_le16(f + 56);

    out->entry = load_le64(f + 24);
    out->nsegs = 0;
    uint64_t prev_end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + (uint64_t)i * PHDR_SIZE;
        uint32_t type = load_le32(ph);
        if (type == PT_INTERP)
            return ELF_ERR_INTERP;
        if (type != PT_LOAD || load_le64(ph + 40) == 0)
            continue; /* notes, GNU_STACK, TLS templates, empty loads: nothing to map */
        struct elf_segment s;
        err = check_load(ph, size, user_lo, user_hi, &s);
        if (err != ELF_OK)
            return err;
        if (elf_seg_page_start(&s) < prev_end)
            return ELF_ERR_SEG_ORDER;
        if (out->nsegs == ELF_MAX_SEGMENTS)
            return ELF_ERR_SEG_COUNT;
        out->seg[out->nsegs++] = s;
        prev_end = elf_seg_page_end(&s);
    }
    if (out->nsegs == 0)
        return ELF_ERR_SEG_COUNT;
    for (unsigned i = 0; i < out->nsegs; i++) {
        const struct elf_segment *s = &out->seg[i];
        if ((s->flags & ELF_PF_X) && out->entry >= s->vaddr && out->entry - s->vaddr < s->filesz)
            return ELF_OK;
    }
    return ELF_ERR_ENTRY;
}
