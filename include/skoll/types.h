/* Basic ABI types and special handle values. */
#pragma once
#include <stdint.h>

/* Handles are 64-bit integers local to a universe, never reused within it. */
typedef int64_t sk_handle_t;

#define SK_HANDLE_NULL ((sk_handle_t)0)
#define SK_THIS_UNIVERSE ((sk_handle_t)-1) /* the caller's universe */
#define SK_THIS_THREAD ((sk_handle_t)-2)   /* the calling thread */
#define SK_THIS_SPACE ((sk_handle_t)-3)    /* the caller's address space */

#define SK_PAGE_SIZE 4096u
