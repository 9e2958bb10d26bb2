/*
 * Slab internals: object layout inside one slab and the in-use bitmap.
 * Pure code: see k/slab.h.
 */
#include <k/slab.h>
#include <base/string.h>

int slab_layout(size_t size, size_t align, size_t slab_bytes, struct slab_layout *out)
{
    if (!size || !align || (align & (align - 1)) || size > slab_bytes)
        return -1;
    if (size < SLAB_MIN_OBJECT)
        size = SLAB_MIN_OBJECT;
    size_t obj = (size + align - 1) & ~(align - 1);
    size_t first = (sizeof(struct slab) + align - 1) & ~(align - 1);
    if (first >= slab_bytes || obj > slab_bytes - first)
        return -1;
    size_t cap = (slab_bytes - first) / obj;
    if (cap > SLAB_MAX_OBJECTS)
        cap = SLAB_MAX_OBJECTS;
    out->obj_size = (uint32_t)obj;
    out->first = (uint32_t)first;
    out->capacity = (uint32_t)cap;
    return 0;
}

size_t slab_waste(const struct slab_layout *l, size_t slab_bytes)
{
    return slab_bytes - (size_t)l->capacity * l->obj_size;
}

void slab_init(struct slab *s, void *owner, const struct slab_layout *l)
{
    memset(s, 0, sizeof *s);
    s->magic = SLAB_MAGIC;
    s->capacity = (uint16_t)l->capacity;
    s->obj_size = l->obj_size;
    s->first = l->first;
    s->owner = owner;
}

void *slab_take(struct slab *s)
{
    if (s->inuse == s->capacity)
        return NULL;
    uint32_t words = (s->capacity + 63) / 64;
    for (uint32_t n = 0; n < words; n++) {
        uint32_t w = (s->hint + n) % words;
        uint64_t freebits = ~s->used[w];
        if (w == words - 1 && s->capacity % 64)
            freebits &= (1ull << (s->capacity % 64)) - 1;
        if (!freebits)
            continue;
        unsigned bit = (unsigned)__builtin_ctzll(freebits);
        s->used[w] |= 1ull << bit;
        s->inuse++;
        s->hint = w;
        return (char *)s + s->first + (size_t)(w * 64 + bit) * s->obj_size;
    }
    return NULL; /* unreachable while inuse is right */
}

/* Index of obj in s, or -1 if obj is not the start of one of its objects. */
static long object_index(const struct slab *s, const void *obj)
{
    uintptr_t base = (uintptr_t)s + s->first, p = (uintptr_t)obj;
    if (p < base || (p - base) % s->obj_size)
        return -1;
    uintptr_t i = (p - base) / s->obj_size;
    return i < s->capacity ? (long)i : -1;
}

int slab_object_used(const struct slab *s, const void *obj)
{
    long i = object_index(s, obj);
    return i >= 0 && ((s->used[i / 64] >> (i % 64)) & 1);
}

/* obj's index in s if it is an allocated object of s; else SLAB_ERR_FOREIGN or _DOUBLE. */
static long allocated_index(const struct slab *s, const void *obj)
{
    long i = object_index(s, obj);
    if (i < 0)
        return SLAB_ERR_FOREIGN;
    if (!((s->used[i / 64] >> (i % 64)) & 1))
        return SLAB_ERR_DOUBLE;
    return i;
}

int slab_park(struct slab *s, void *obj)
{
    long i = allocated_index(s, obj);
    if (i < 0)
        return (int)i;
    uint64_t bit = 1ull << (i % 64);
    if (__atomic_fetch_or(&s->parked[i / 64], bit, __ATOMIC_RELAXED) & bit)
        return SLAB_ERR_DOUBLE;
    return SLAB_OK;
}

void slab_unpark(struct slab *s, void *obj)
{
    long i = object_index(s, obj);
    if (i >= 0)
        __atomic_fetch_and(&s->parked[i / 64], ~(1ull << (i % 64)), __ATOMIC_RELAXED);
}

int slab_put(struct slab *s, void *obj)
{
    long i = allocated_index(s, obj);
    if (i < 0)
        return (int)i;
    s->used[i / 64] &= ~(1ull << (i % 64));
    s->inuse--;
    s->hint = (uint32_t)(i / 64);
    return SLAB_OK;
}
