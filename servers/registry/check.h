/*
 * The registry's pure parts: validating requests (docs/registry.md, every rule
 * in one place), the property sets entities hold, and filter evaluation. No
 * system calls and no allocation, so the host unit tests compile this too
 * (tests/unit/test_registry.c).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/proto/registry.h>

/*
 * An entity's properties: immutable once built, shared by the entity and the
 * change log (refs counts the holders). kv[i] point into the same block.
 */
struct props {
    uint32_t refs;
    uint32_t n;
    struct prop_kv {
        const char *key;
        const char *value;
    } kv[];
};

/* The value of key in p, or NULL. */
const char *props_get(const struct props *p, const char *key);

/*
 * Check a whole request of len bytes (both pieces): its shape (proto.h), then
 * the kind's content: strings terminated in their fields, keys not empty and
 * not repeated, flags and reserved fields, filter structure, counts. Returns
 * SK_OK, SK_ERR_UNSUPPORTED for an unknown kind, SK_ERR_TOO_BIG for a count over
 * its bound, else SK_ERR_INVALID.
 */
sk_error_t reg_check_request(const void *msg, uint32_t len);

/* Check props[0..n): every key non-empty and terminated, every value terminated, no key twice. */
sk_error_t reg_check_props(const struct sk_reg_prop *props, uint32_t n);

/* Check a filter and its terms (nterms of them follow it). */
sk_error_t reg_check_filter(const struct sk_reg_filter *f, const struct sk_reg_prop *terms);

/* 1 if p matches the (checked) filter f with its terms. */
int reg_filter_match(const struct sk_reg_filter *f, const struct sk_reg_prop *terms,
                     const struct props *p);

/* The follow-up actions a request of this kind posts after its bytes (docs/protocols.md),
   read from the fixed part only, whatever the rest holds. */
#define REG_FOLLOW_PULL_OWNER 1u   /* push of an owner lane (OPEN) */
#define REG_FOLLOW_PULL_SERVICE 2u /* push of a service lane (CREATE with the flag) */
#define REG_FOLLOW_EXTRACT 4u      /* imbue (OPEN, WATCH) */
#define REG_FOLLOW_PUSH_REPLY 8u   /* after the reply: push or dismiss (CONNECT) */
uint32_t reg_followups(const void *msg, uint32_t len);
