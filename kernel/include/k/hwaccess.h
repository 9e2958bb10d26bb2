/*
 * The hardware-access capability: one kernel object whose handle (with
 * SK_RIGHT_MANAGE) permits physical memory, I/O port and IRQ access.
 * The kernel hands it to the first program only.
 */
#pragma once
#include <k/object.h>

/* The object (never destroyed); callers take a reference if they keep it. */
struct kobject *hw_access_object(void);
