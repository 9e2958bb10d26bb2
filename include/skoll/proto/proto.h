/*
 * The protocol convention of Skoll's servers (docs/protocols.md): every request
 * and every reply is a fixed-layout C struct that starts with a kind and its own
 * size in bytes, optionally followed by a tail of fixed-size elements whose count
 * is a field of the fixed part. A server validates what it receives with the
 * helpers below before it looks at anything else; an unknown or malformed
 * message gets an error reply, never an abort.
 *
 * Transport (the canonical request of docs/ipc.md): the client offers, sends the
 * request's first min(size, SK_MSG_FIRST_MAX) bytes, then the rest (if any) in a
 * second send, then the kind's follow-up actions (pushes, imbue), then receives
 * the reply; the server accepts with an inline receive of the first piece.
 *
 * This header is freestanding and shared by servers, clients and host tests.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/errors.h>

/* A kind is a protocol id (high 16 bits) and a method (low 16 bits). */
#define SK_MSG_KIND(proto, method) ((uint32_t)(proto) << 16 | (uint32_t)(method))
#define SK_MSG_PROTO(kind) ((uint32_t)(kind) >> 16)
#define SK_MSG_METHOD(kind) ((uint32_t)(kind) & 0xffffu)

/* Protocol ids, one per server protocol. */
#define SK_PROTO_REGISTRY 0x5247u /* "RG": include/skoll/proto/registry.h */

/* Every request starts with this. size = bytes of the whole message, tail included. */
struct sk_msg_head {
    uint32_t kind;
    uint32_t size;
};
_Static_assert(sizeof(struct sk_msg_head) == 8, "sk_msg_head layout");

/* Every reply starts with this: the request's kind, the reply's size, the outcome. An error
   reply (status != SK_OK) is exactly this head. */
struct sk_reply_head {
    uint32_t kind;
    uint32_t size;
    int32_t status;    /* sk_error_t */
    uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct sk_reply_head) == 16, "sk_reply_head layout");
_Static_assert(offsetof(struct sk_reply_head, status) == 8, "sk_reply_head layout");

/* Bytes of a request sent in its first piece (fits an accept's inline receive). */
#define SK_MSG_FIRST_MAX 96u
/* No message of any protocol is larger. */
#define SK_MSG_MAX (64u * 1024)

/*
 * The shape of one kind: a fixed part of `fixed` bytes, then `count` elements
 * of `elem` bytes where count is the uint32_t at offset `count_off` of the
 * fixed part (elem = 0: no tail), count <= max_count.
 */
struct sk_msg_shape {
    uint32_t kind;
    uint32_t fixed;
    uint32_t elem;
    uint32_t count_off;
    uint32_t max_count;
};
#define SK_MSG_SHAPE_FIXED(kind, type) {(kind), sizeof(type), 0, 0, 0}
#define SK_MSG_SHAPE_TAIL(kind, type, count_field, tail_field, max) \
    {(kind), offsetof(type, tail_field), sizeof(((type *)0)->tail_field[0]), \
     offsetof(type, count_field), (max)}

/* The shape of kind in shapes[0..n), or NULL. */
static inline const struct sk_msg_shape *sk_msg_shape_find(const struct sk_msg_shape *shapes,
                                                           unsigned n, uint32_t kind)
{
    for (unsigned i = 0; i < n; i++)
        if (shapes[i].kind == kind)
            return &shapes[i];
    return NULL;
}

/*
 * Check a received message of len bytes against its kind's shape: the head's
 * size is len, and len is exactly the fixed part plus count elements with
 * count <= max. Returns SK_OK, SK_ERR_UNSUPPORTED (kind unknown), SK_ERR_TOO_BIG
 * (count over the bound) or SK_ERR_INVALID.
 */
static inline sk_error_t sk_msg_check(const struct sk_msg_shape *shapes, unsigned n,
                                      const void *msg, uint32_t len)
{
    const struct sk_msg_head *h = (const struct sk_msg_head *)msg;
    if (len < sizeof *h)
        return SK_ERR_INVALID;
    const struct sk_msg_shape *s = sk_msg_shape_find(shapes, n, h->kind);
    if (!s)
        return SK_ERR_UNSUPPORTED;
    if (h->size != len || len < s->fixed)
        return SK_ERR_INVALID;
    if (!s->elem)
        return len == s->fixed ? SK_OK : SK_ERR_INVALID;
    uint32_t count;
    __builtin_memcpy(&count, (const uint8_t *)msg + s->count_off, sizeof count);
    if (count > s->max_count)
        return SK_ERR_TOO_BIG;
    return (uint64_t)len == s->fixed + (uint64_t)count * s->elem ? SK_OK : SK_ERR_INVALID;
}

/* 1 if s[0..cap) holds a NUL (the string is terminated within its field). */
static inline int sk_msg_str_ok(const char *s, size_t cap)
{
    for (size_t i = 0; i < cap; i++)
        if (!s[i])
            return 1;
    return 0;
}

/* 1 if p[0..n) is all zero (reserved fields, unused array slots). */
static inline int sk_msg_zero(const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* Fill an error reply to a request of kind. */
static inline void sk_reply_error(struct sk_reply_head *r, uint32_t kind, sk_error_t status)
{
    r->kind = kind;
    r->size = sizeof *r;
    r->status = (int32_t)status;
    r->reserved = 0;
}
