/*
 * The dispatcher's set of live ops (sk/opset.h): pointers hashed by
 * multiplication, linear probing, backward-shift deletion.
 */
#include <stddef.h>
#include <sk/opset.h>

uint32_t sk_opset_slots(uint32_t max)
{
    uint32_t n = 8;
    while (n < 2 * (uint64_t)max && n < (1u << 30))
        n <<= 1;
    return n;
}

void sk_opset_init(struct sk_opset *s, void **slot, uint32_t slots)
{
    s->slot = slot;
    s->mask = slots - 1;
    s->count = 0;
}

static inline uint32_t home(const struct sk_opset *s, const void *p)
{
    /* ops are at least 8-byte aligned: drop the low bits, then mix (Fibonacci hashing) */
    uint64_t h = ((uint64_t)(uintptr_t)p >> 3) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32) & s->mask;
}

int sk_opset_insert(struct sk_opset *s, const void *p)
{
    if (s->count >= (s->mask + 1) / 2)
        return -1;
    uint32_t i = home(s, p);
    while (s->slot[i])
        i = (i + 1) & s->mask;
    s->slot[i] = (void *)p;
    s->count++;
    return 0;
}

static int find(const struct sk_opset *s, const void *p, uint32_t *at)
{
    if (!p)
        return 0;
    for (uint32_t i = home(s, p);; i = (i + 1) & s->mask) {
        if (s->slot[i] == p) {
            *at = i;
            return 1;
        }
        if (!s->slot[i])
            return 0;
    }
}

int sk_opset_contains(const struct sk_opset *s, const void *p)
{
    uint32_t i;
    return find(s, p, &i);
}

int sk_opset_remove(struct sk_opset *s, const void *p)
{
    uint32_t hole;
    if (!find(s, p, &hole))
        return 0;
    /* Move later entries of the run back into the hole when their home allows it. */
    for (uint32_t j = (hole + 1) & s->mask; s->slot[j]; j = (j + 1) & s->mask) {
        uint32_t h = home(s, s->slot[j]);
        /* the entry at j may fill the hole unless its home lies cyclically in (hole, j] */
        int stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
        if (!stays) {
            s->slot[hole] = s->slot[j];
            hole = j;
        }
    }
    s->slot[hole] = NULL;
    s->count--;
    return 1;
}
