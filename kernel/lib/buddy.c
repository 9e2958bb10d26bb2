/*
 * Buddy allocator: free lists of naturally aligned blocks, split on
 * allocation and coalesced on free. Frames are addressed inside the span by
 * a 32-bit index relative to base_pfn; the buddy of a block is its index
 * with the order bit flipped (valid because base_pfn is aligned to the
 * largest block). Pure code: see k/buddy.h.
 */
#include <k/buddy.h>

static void list_push(struct buddy *b, uint32_t i, unsigned order)
{
    struct buddy_page *p = &b->pages[i];
    p->state = BUDDY_FREE_HEAD;
    p->order = (uint8_t)order;
    p->tag = 0;
    p->prev = BUDDY_NIL;
    p->next = b->free_head[order];
    if (p->next != BUDDY_NIL)
        b->pages[p->next].prev = i;
    b->free_head[order] = i;
    b->free_blocks[order]++;
}

static void list_unlink(struct buddy *b, uint32_t i)
{
    struct buddy_page *p = &b->pages[i];
    if (p->prev != BUDDY_NIL)
        b->pages[p->prev].next = p->next;
    else
        b->free_head[p->order] = p->next;
    if (p->next != BUDDY_NIL)
        b->pages[p->next].prev = p->prev;
    b->free_blocks[p->order]--;
    p->state = BUDDY_TAIL;
}

int buddy_init(struct buddy *b, struct buddy_page *meta, uint64_t base_pfn, uint64_t npages)
{
    if ((base_pfn & ((1ull << BUDDY_MAX_ORDER) - 1)) || npages >= BUDDY_NIL)
        return -1;
    b->pages = meta;
    b->base_pfn = base_pfn;
    b->npages = npages;
    for (unsigned o = 0; o < BUDDY_ORDERS; o++) {
        b->free_head[o] = BUDDY_NIL;
        b->free_blocks[o] = 0;
    }
    b->free_pages = 0;
    b->total_pages = 0;
    for (uint64_t i = 0; i < npages; i++)
        meta[i] = (struct buddy_page){.next = BUDDY_NIL, .prev = BUDDY_NIL, .state = BUDDY_RESERVED};
    return 0;
}

/* Insert the (not listed) block at i of the given order, merging with free buddies. */
static void insert_coalesce(struct buddy *b, uint32_t i, unsigned order)
{
    while (order < BUDDY_MAX_ORDER) {
        uint32_t bud = i ^ (1u << order);
        if (bud >= b->npages)
            break;
        struct buddy_page *bp = &b->pages[bud];
        if (bp->state != BUDDY_FREE_HEAD || bp->order != order)
            break;
        list_unlink(b, bud);
        b->pages[i].state = BUDDY_TAIL;
        if (bud < i)
            i = bud;
        order++;
    }
    list_push(b, i, order);
}

int buddy_add_range(struct buddy *b, uint64_t pfn, uint64_t count)
{
    if (pfn < b->base_pfn || pfn - b->base_pfn > b->npages ||
        count > b->npages - (pfn - b->base_pfn))
        return -1;
    uint32_t start = (uint32_t)(pfn - b->base_pfn);
    uint32_t end = start + (uint32_t)count;
    for (uint32_t i = start; i < end; i++)
        if (b->pages[i].state != BUDDY_RESERVED)
            return -1;
    uint32_t i = start;
    while (i < end) {
        unsigned order = 0;
        while (order < BUDDY_MAX_ORDER && !(i & (1u << order)) &&
               i + (2u << order) <= end)
            order++;
        for (uint32_t k = 1; k < (1u << order); k++)
            b->pages[i + k].state = BUDDY_TAIL;
        b->free_pages += 1u << order;
        b->total_pages += 1u << order;
        insert_coalesce(b, i, order);
        i += 1u << order;
    }
    return 0;
}

uint64_t buddy_alloc(struct buddy *b, unsigned order, uint8_t tag)
{
    if (order > BUDDY_MAX_ORDER)
        return BUDDY_NONE;
    unsigned o = order;
    while (o <= BUDDY_MAX_ORDER && b->free_head[o] == BUDDY_NIL)
        o++;
    if (o > BUDDY_MAX_ORDER)
        return BUDDY_NONE;
    uint32_t i = b->free_head[o];
    list_unlink(b, i);
    /* split: keep the lower half, free the upper halves */
    while (o > order) {
        o--;
        list_push(b, i + (1u << o), o);
    }
    struct buddy_page *p = &b->pages[i];
    p->state = BUDDY_ALLOC_HEAD;
    p->order = (uint8_t)order;
    p->tag = tag;
    if (tag) {
        for (uint32_t k = 1; k < (1u << order); k++) {
            b->pages[i + k].tag = tag;
            b->pages[i + k].next = i;
        }
    }
    b->free_pages -= 1u << order;
    return b->base_pfn + i;
}

int buddy_free(struct buddy *b, uint64_t pfn, unsigned order)
{
    if (order > BUDDY_MAX_ORDER || !buddy_spans(b, pfn))
        return -1;
    uint32_t i = (uint32_t)(pfn - b->base_pfn);
    struct buddy_page *p = &b->pages[i];
    if (p->state != BUDDY_ALLOC_HEAD || p->order != order)
        return -1;
    if (p->tag) {
        for (uint32_t k = 1; k < (1u << order); k++) {
            b->pages[i + k].tag = 0;
            b->pages[i + k].next = BUDDY_NIL;
        }
        p->tag = 0;
    }
    b->free_pages += 1u << order;
    insert_coalesce(b, i, order);
    return 0;
}

int buddy_block_of(const struct buddy *b, uint64_t pfn, uint64_t *head, unsigned *order,
                   uint8_t *tag)
{
    if (!buddy_spans(b, pfn))
        return -1;
    uint32_t i = (uint32_t)(pfn - b->base_pfn);
    /* each field is read once (pmm_block_of reads without the lock: see k/pmm.h) */
    const volatile struct buddy_page *p = &b->pages[i];
    uint8_t state = p->state, t = p->tag, ord = p->order;
    uint32_t nx = p->next;
    if (state == BUDDY_TAIL && t && nx < i) {
        const volatile struct buddy_page *h = &b->pages[nx];
        uint8_t hs = h->state, ht = h->tag, ho = h->order;
        if (hs != BUDDY_ALLOC_HEAD || ht != t || ho > 31 || i - nx >= (1u << ho))
            return -1;
        i = nx;
        state = hs;
        ord = ho;
    }
    if (state != BUDDY_ALLOC_HEAD)
        return -1;
    if (head)
        *head = b->base_pfn + i;
    if (order)
        *order = ord;
    if (tag)
        *tag = t;
    return 0;
}
