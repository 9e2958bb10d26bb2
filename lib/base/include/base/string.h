/* Freestanding string and memory functions (the compiler may also emit calls to these). */
#pragma once
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#ifndef BASE_STRING_IMPL
/*
 * -ffreestanding also stops the compiler from expanding these itself: ask for it, so a
 * copy or fill of a small constant size becomes a few moves (under QEMU TCG a call and
 * its return cost more than the copy); other sizes still call the functions above.
 */
#define memcpy(d, s, n) __builtin_memcpy(d, s, n)
#define memset(d, c, n) __builtin_memset(d, c, n)
#endif
/* n bytes where n is usually small (an IPC message): 8 to 16 bytes as two overlapping
   8-byte moves with no call, other sizes through memcpy. The areas must not overlap. */
static inline void memcpy_small(void *dst, const void *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        unsigned long a, b;
        __builtin_memcpy(&a, src, 8);
        __builtin_memcpy(&b, (const char *)src + n - 8, 8);
        __builtin_memcpy(dst, &a, 8);
        __builtin_memcpy((char *)dst + n - 8, &b, 8);
    } else {
        memcpy(dst, src, n);
    }
}
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
