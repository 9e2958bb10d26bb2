/*
 * System call handlers. Each native call in include/skoll/syscalls.h has a
 * handler `sk_error_t sys_<name>(args, uint64_t *ret)` defined with
 * SYSCALL_DEFINE(name); the dispatch table is generated from the same list.
 * Handlers validate every argument before changing anything, and reach user
 * memory only through copy_from_user / copy_to_user.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <skoll/errors.h>
#include <skoll/syscalls.h>

#define SYSCALL_ARGS uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, \
                     uint64_t a5, uint64_t *ret
#define SYSCALL_DEFINE(name) sk_error_t sys_##name(SYSCALL_ARGS)
#define SYSCALL_UNUSED_ARGS (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)ret

#define SYSCALL_DECLARE(name, index, nargs) SYSCALL_DEFINE(name);
SK_SYSCALLS(SYSCALL_DECLARE)
#undef SYSCALL_DECLARE
