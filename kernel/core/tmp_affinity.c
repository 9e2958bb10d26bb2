#include <k/syscall.h>
SYSCALL_DEFINE(thread_set_affinity) { SYSCALL_UNUSED_ARGS; return SK_ERR_UNSUPPORTED; }
