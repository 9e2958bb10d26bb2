/*
 * The hardware-access capability: one kernel object whose handle (with
 * SK_RIGHT_MANAGE) permits physical memory, I/O port and IRQ access.
 * The kernel hands it to the first program only.
 */
#pragma once
#include <k/object.h>
#include <skoll/types.h>
#include <skoll/errors.h>

/* The object (never destroyed); callers take a reference if they keep it. */
struct kobject *hw_access_object(void);

/*
 * Does handle h (in the caller's universe) grant hardware access (type
 * SK_OBJ_HW_ACCESS with SK_RIGHT_MANAGE)? SK_OK or the handle error.
 */
sk_error_t hw_access_check(sk_handle_t h);
