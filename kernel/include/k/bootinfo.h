/*
 * What the boot loader told us, in one loader-independent form. Filled from
 * multiboot2 (GRUB) or PVH (QEMU -kernel) before anything else runs, copied
 * into kernel memory so the loader's structures can be reused.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define BOOT_MMAP_MAX 128
#define BOOT_MODULES_MAX 16
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MODNAME_MAX 64

enum boot_mem_type {
    BOOT_MEM_USABLE = 1,
    BOOT_MEM_RESERVED = 2,
    BOOT_MEM_ACPI_RECLAIM = 3,
    BOOT_MEM_ACPI_NVS = 4,
    BOOT_MEM_BAD = 5,
};

struct boot_mem_region {
    uint64_t base;
    uint64_t len;
    uint32_t type;
};

struct boot_module {
    uint64_t start; /* physical */
    uint64_t end;   /* physical, exclusive */
    char name[BOOT_MODNAME_MAX];
};

struct bootinfo {
    int proto; /* BOOT_PROTO_* */
    char cmdline[BOOT_CMDLINE_MAX];
    struct boot_mem_region mmap[BOOT_MMAP_MAX];
    size_t mmap_count;
    struct boot_module modules[BOOT_MODULES_MAX];
    size_t module_count;
    uint8_t rsdp[36]; /* copy of the RSDP, valid when rsdp_len > 0 */
    size_t rsdp_len;
    uint64_t info_phys; /* where the loader's structure was */
    uint64_t info_size;
};

/* Translates a physical address to a pointer the parser may read, or NULL if unreachable. */
typedef const void *(*boot_p2v_fn)(uint64_t phys, size_t len);

/* Parse a multiboot2 information structure. Returns 0 or -1 when it is malformed. */
int bootinfo_parse_mb2(const void *info, boot_p2v_fn p2v, struct bootinfo *out);
/* Parse a PVH hvm_start_info. Returns 0 or -1 when it is malformed. */
int bootinfo_parse_pvh(const void *start_info, boot_p2v_fn p2v, struct bootinfo *out);

extern struct bootinfo boot_info;
