/* Reader for cpio "newc" archives (the boot archive / initrd). Pure code, bounds-checked. */
#pragma once
#include <stdint.h>
#include <stddef.h>

/* File types in cpio_entry.mode (the st_mode values). The boot archive holds directories and
   symbolic links (busybox's applets) besides regular files. */
#define CPIO_TYPE_MASK 0170000u
#define CPIO_TYPE_FILE 0100000u
#define CPIO_TYPE_DIR 0040000u
#define CPIO_TYPE_SYMLINK 0120000u

struct cpio_entry {
    const char *name;   /* points into the archive; namelen bytes, NUL-terminated in the archive */
    size_t namelen;
    uint32_t mode;      /* file type and permission bits as in st_mode */
    const uint8_t *data;
    size_t size;
};

/*
 * Read the entry at *offset and advance *offset past it.
 * Returns 1 for an entry, 0 at the trailer (end of archive), -1 if the archive is malformed.
 */
int cpio_next(const uint8_t *archive, size_t size, size_t *offset, struct cpio_entry *e);
/* Find a path ("etc/x", with or without leading "./" or "/"). Returns 1 found, 0 absent, -1 malformed. */
int cpio_find(const uint8_t *archive, size_t size, const char *path, struct cpio_entry *e);
/* Whether the entry is a regular file (a symlink's data is its target, a directory has none). */
static inline int cpio_is_file(const struct cpio_entry *e)
{
    return (e->mode & CPIO_TYPE_MASK) == CPIO_TYPE_FILE;
}
