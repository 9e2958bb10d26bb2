/* The kernel's own symbol table, linked into the image (see tools/gen-ksyms.sh). */
#pragma once
#include <stdint.h>

/* Find the function containing addr. Returns its name and sets *offset, or NULL. */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset);
/* Find a symbol's address by name; 0 if absent. */
uint64_t ksyms_address(const char *name);
