/* cpio "newc" parsing: 110-byte ASCII-hex headers, 4-byte alignment, "TRAILER!!!" terminator.
 * Shared by the kernel (boot archive) and user space (init, spawners). */
#include <base/cpio.h>
#include <base/string.h>

#define HDR_LEN 110

static int hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static size_t align4(size_t x)
{
    return (x + 3) & ~(size_t)3;
}

int cpio_next(const uint8_t *archive, size_t size, size_t *offset, struct cpio_entry *e)
{
    size_t off = *offset;
    if (off > size || size - off < HDR_LEN)
        return -1;
    const uint8_t *h = archive + off;
    if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0)
        return -1;
    uint32_t mode, filesize, namesize;
    if (hex8(h + 14, &mode) || hex8(h + 54, &filesize) || hex8(h + 94, &namesize))
        return -1;
    if (namesize == 0 || namesize > size - off - HDR_LEN)
        return -1;
    const char *name = (const char *)h + HDR_LEN;
    if (name[namesize - 1] != '\0')
        return -1;
    size_t data_off = align4(off + HDR_LEN + namesize);
    if (data_off > size || filesize > size - data_off)
        return -1;
    e->name = name;
    e->namelen = namesize - 1;
    e->mode = mode;
    e->data = archive + data_off;
    e->size = filesize;
    if (e->namelen == 10 && memcmp(name, "TRAILER!!!", 10) == 0)
        return 0;
    size_t next = align4(data_off + filesize);
    *offset = next < size ? next : size;
    return 1;
}

static const char *strip(const char *p, size_t *len)
{
    for (;;) {
        if (*len >= 2 && p[0] == '.' && p[1] == '/') {
            p += 2;
            *len -= 2;
        } else if (*len >= 1 && p[0] == '/') {
            p++;
            (*len)--;
        } else {
            return p;
        }
    }
}

int cpio_find(const uint8_t *archive, size_t size, const char *path, struct cpio_entry *e)
{
    size_t plen = strlen(path);
    const char *want = strip(path, &plen);
    size_t off = 0;
    for (;;) {
        int rc = cpio_next(archive, size, &off, e);
        if (rc <= 0)
            return rc;
        size_t nlen = e->namelen;
        const char *n = strip(e->name, &nlen);
        if (nlen == plen && memcmp(n, want, plen) == 0)
            return 1;
    }
}
