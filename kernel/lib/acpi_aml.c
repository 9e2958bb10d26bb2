/*
 * The one piece of AML the kernel reads: the \_S5_ package of the DSDT, whose first two
 * elements are the SLP_TYP values that put the machine in S5 (soft off). No interpreter:
 * the bytes `NameOp NameString PackageOp PkgLength NumElements elements...` are matched
 * (ACPI 6.5 §20.2.5.1 NameOp 0x08, §20.2.5.4 PackageOp 0x12, §20.2.4 PkgLength, §20.2.3
 * data objects). Pure code, shared with the host unit tests; the DSDT is firmware input,
 * so every read is bounds-checked and anything unexpected is passed over.
 */
#include <k/acpi.h>
#include <base/string.h>

#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_ONES_OP 0xff
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e

/*
 * PkgLength at p (avail bytes): the lead byte's bits 6-7 count the bytes that follow (0-3);
 * with none, bits 0-5 are the length, else bits 0-3 are its low nibble, bits 4-5 must be 0,
 * and each following byte adds 8 more bits. The length counts itself. Returns 0 and sets
 * *value and *used, or -1.
 */
static int pkg_length(const uint8_t *p, size_t avail, uint32_t *value, size_t *used)
{
    if (avail == 0)
        return -1;
    unsigned follow = p[0] >> 6;
    if (avail < 1 + (size_t)follow)
        return -1;
    if (follow == 0) {
        *value = p[0] & 0x3f;
    } else {
        if (p[0] & 0x30)
            return -1;
        uint32_t v = p[0] & 0x0f;
        for (unsigned i = 0; i < follow; i++)
            v |= (uint32_t)p[1 + i] << (4 + 8 * i);
        *value = v;
    }
    *used = 1 + follow;
    return 0;
}

/* An integer constant at p (avail bytes). Returns 0 and sets *value and *used, or -1. */
static int integer(const uint8_t *p, size_t avail, uint64_t *value, size_t *used)
{
    if (avail == 0)
        return -1;
    size_t n;
    switch (p[0]) {
    case AML_ZERO_OP:
        *value = 0;
        *used = 1;
        return 0;
    case AML_ONE_OP:
        *value = 1;
        *used = 1;
        return 0;
    case AML_ONES_OP:
        *value = ~0ull;
        *used = 1;
        return 0;
    case AML_BYTE_PREFIX:
        n = 1;
        break;
    case AML_WORD_PREFIX:
        n = 2;
        break;
    case AML_DWORD_PREFIX:
        n = 4;
        break;
    case AML_QWORD_PREFIX:
        n = 8;
        break;
    default:
        return -1; /* a name, a method call, a buffer...: not a constant */
    }
    if (avail < 1 + n)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[1 + i] << (8 * i);
    *value = v;
    *used = 1 + n;
    return 0;
}

/* The package that starts at aml[at] (its PackageOp), within len. Returns 0 or -1. */
static int s5_package(const uint8_t *aml, size_t len, size_t at, uint8_t *a, uint8_t *b)
{
    if (at >= len || aml[at] != AML_PACKAGE_OP)
        return -1;
    size_t p = at + 1, used;
    uint32_t plen;
    if (pkg_length(aml + p, len - p, &plen, &used) != 0)
        return -1;
    /* the package (from its PkgLength on) must hold the count and lie within the stream */
    if (plen < used + 1 || plen > len - p)
        return -1;
    size_t end = p + plen, q = p + used;
    uint8_t count = aml[q++];
    uint64_t first, second;
    if (count < 1 || integer(aml + q, end - q, &first, &used) != 0)
        return -1;
    q += used;
    if (count == 1) {
        *a = (uint8_t)(first & 7);
        *b = (uint8_t)((first >> 8) & 7);
        return 0;
    }
    if (integer(aml + q, end - q, &second, &used) != 0)
        return -1;
    *a = (uint8_t)(first & 7);
    *b = (uint8_t)(second & 7);
    return 0;
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
    if (!aml)
        return -1;
    for (size_t i = 1; i + 4 <= len; i++) {
        if (memcmp(aml + i, "_S5_", 4) != 0)
            continue;
        /* NameOp, then the name: "_S5_", or with the root prefix '\' or a parent prefix '^' */
        size_t op = i - 1;
        if (aml[op] == '\\' || aml[op] == '^') {
            if (op == 0)
                continue;
            op--;
        }
        if (aml[op] != AML_NAME_OP)
            continue;
        uint8_t a, b;
        if (s5_package(aml, len, i + 4, &a, &b) == 0) {
            *slp_typ_a = a;
            *slp_typ_b = b;
            return 0;
        }
    }
    return -1;
}
