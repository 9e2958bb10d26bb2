/*
 * The handlers of the system call table (systab.h): every OK or PARTIAL row
 * declares sys_<name>, so a row without a handler fails the link. A handler
 * returns the call's result (a value or -errno), or CALL_PENDING when it has
 * started steps that end with call_return.
 */
#pragma once
#include "posix.h"

#define CALL_DECL_OK(name) long sys_##name(struct lthread *t);
#define CALL_DECL_PARTIAL(name) long sys_##name(struct lthread *t);
#define CALL_DECL_NOSYS(name)
#define CALL_DECL_PROBED(name)
#define CALL_DECL(nr, name, status, note) CALL_DECL_##status(name)
LINUX_SYSCALLS(CALL_DECL)
#undef CALL_DECL
