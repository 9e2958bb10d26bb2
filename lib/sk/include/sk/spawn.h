/*
 * Starting programs: load a static ELF executable into a new universe and
 * address space and start its first thread with the start-up contract of
 * docs/abi.md ("Program start-up").
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/types.h>
#include <skoll/errors.h>

#define SK_SPAWN_STACK_DEFAULT (256u * 1024)
#define SK_SPAWN_MAX_ARGS 64
#define SK_SPAWN_MAX_ARGBYTES 16384

struct sk_spawn_args {
    int argc;
    const char *const *argv;  /* argc strings; argv[0] is the program's name */
    sk_handle_t initrd;       /* memory object to pass on (0: none) ... */
    uint32_t initrd_rights;   /* ... with these rights (0: READ | MAP) */
    uint64_t initrd_size;     /* its size in bytes, copied into the start info */
    sk_handle_t hw_access;    /* hardware-access handle to pass on (0: none) ... */
    uint32_t hw_rights;       /* ... with these rights (0: all the parent's handle has) */
    sk_handle_t registry;     /* registry lane to pass on (0: none) ... */
    uint32_t registry_rights; /* ... with these rights (0: all the parent's handle has) */
    uint64_t stack_size;      /* 0: SK_SPAWN_STACK_DEFAULT */
    uint32_t priority;        /* 0: SK_THREAD_PRIO_DEFAULT */
};

/* A started program as its parent sees it. */
struct sk_process {
    sk_handle_t thread;             /* the first thread (MANAGE: kill it) */
    sk_handle_t universe;           /* the child's universe */
    sk_handle_t space;              /* the child's address space */
    const volatile uint64_t *exit_word; /* the first thread's exit word, mapped here too */
    void *ctl;                      /* the control page mapping in this space */
    uint64_t ctl_size;
};

/*
 * Validate elf[0..size) (lib/base/elf.c), build the child's universe and space,
 * copy each PT_LOAD into a fresh memory object mapped at its address with its
 * protection, map a stack and the control block (exit word + start info +
 * argv), transfer the handles in args and start the first thread. On error
 * nothing is left behind. SK_ERR_INVALID means the ELF was refused (*elf_error,
 * may be NULL, says why as an enum elf_error); SK_ERR_TOO_BIG too many or too
 * long arguments.
 */
sk_error_t sk_spawn(const void *elf, size_t size, const struct sk_spawn_args *args,
                    struct sk_process *p, int *elf_error);
/*
 * sk_spawn of bin/<name> from the boot archive this program was started with (the
 * initrd of its start info). SK_ERR_NOT_FOUND without an archive or such a program.
 */
sk_error_t sk_spawn_program(const char *name, const struct sk_spawn_args *args,
                            struct sk_process *p);
/* Wait for the first thread to end (see sk_exit_wait). */
sk_error_t sk_process_wait(const struct sk_process *p, uint64_t timeout_ns, uint64_t *status);
/* Drop the parent's handles and mapping. A running child keeps running. */
void sk_process_release(struct sk_process *p);
