/*
 * TEMPORARY until the user-memory branch lands: weak placeholders so that the
 * thread code links. Every one fails cleanly; the real ones replace them.
 */
#include <k/uspace.h>
#include <k/syscall.h>

#define WEAK __attribute__((weak))

WEAK void vm_space_activate(struct vm_space *s) { (void)s; }
WEAK sk_error_t copy_from_user(void *dst, uint64_t usrc, size_t n) { (void)dst; (void)usrc; (void)n; return SK_ERR_FAULT; }
WEAK sk_error_t copy_to_user(uint64_t udst, const void *src, size_t n) { (void)udst; (void)src; (void)n; return SK_ERR_FAULT; }
WEAK sk_error_t vm_space_resolve(struct vm_space *s, uint64_t uaddr, struct memobj **m, uint64_t *off) { (void)s; (void)uaddr; (void)m; (void)off; return SK_ERR_FAULT; }
WEAK SYSCALL_DEFINE(memory_create) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(memory_create_physical) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(memory_fork) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(memory_size) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(space_create) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(space_map) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(space_unmap) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
WEAK SYSCALL_DEFINE(space_protect) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
