/*
 * The native system calls, listed once. Numbers are SK_SYSCALL_BASE + index, a
 * range no Linux x86-64 system call number can reach (Linux numbers are small,
 * and x32 calls set bit 30), so a thread can use both ABIs.
 *
 * Calling convention: `syscall` with the number in rax and arguments in rdi,
 * rsi, rdx, r10, r8, r9. Returns an sk_error_t in rax and a value (a new
 * handle, an address, a count) in rdx. rcx and r11 are clobbered. Every call
 * is documented in docs/abi.md.
 *
 * X(name, index, number of arguments)
 */
#pragma once
#include <stdint.h>
#include <skoll/types.h>

#define SK_SYSCALL_BASE 0x10000000u
#define SK_SUPERCALL_BASE 0x20000000u /* reserved: never executed by the kernel */
#define SK_SUPERCALL_COUNT 0x10000000u /* supercalls: SK_SUPERCALL_BASE + 0 .. + COUNT - 1;
                                          an observed thread stops on them (docs/observation.md) */

#define SK_SYSCALLS(X) \
    X(nop, 0, 0) \
    X(log, 1, 2) \
    X(clock_get, 2, 0) \
    X(handle_close, 3, 1) \
    X(handle_dup, 4, 2) \
    X(handle_transfer, 5, 3) \
    X(handle_info, 6, 1) \
    X(universe_create, 7, 0) \
    X(memory_create, 8, 2) \
    X(memory_create_physical, 9, 4) \
    X(memory_fork, 10, 1) \
    X(memory_size, 11, 1) \
    X(space_create, 12, 0) \
    X(space_map, 13, 6) \
    X(space_unmap, 14, 3) \
    X(space_protect, 15, 4) \
    X(thread_create, 16, 3) \
    X(thread_start, 17, 1) \
    X(thread_exit, 18, 1) \
    X(thread_yield, 19, 0) \
    X(thread_set_priority, 20, 2) \
    X(thread_set_base, 21, 2) \
    X(futex_wait, 22, 3) \
    X(futex_wake, 23, 2) \
    X(thread_kill, 24, 1) \
    X(queue_create, 25, 1) \
    X(queue_drive, 26, 3) \
    X(queue_alert, 27, 1) \
    X(event_create, 28, 1) \
    X(event_raise, 29, 2) \
    X(thread_stats, 30, 2) \
    X(thread_interrupt, 31, 1) \
    X(thread_resume, 32, 1) \
    X(thread_get_regs, 33, 4) \
    X(thread_set_regs, 34, 4) \
    X(irq_create, 35, 3) \
    X(irq_ack, 36, 2) \
    X(irq_nack, 37, 2) \
    X(ioport_grant, 38, 3) \
    X(thread_set_affinity, 39, 2) \
    X(stream_create, 40, 3) \
    X(lane_shutdown, 41, 1) \
    X(token_create, 42, 0) \
    X(credentials_get, 43, 2) \
    X(platform_power, 44, 2) \
    X(memory_info, 45, 1) \
    X(memory_resize, 46, 2)

enum sk_syscall {
#define SK_SYSCALL_ENUM(name, index, nargs) SK_SYS_##name = SK_SYSCALL_BASE + index,
    SK_SYSCALLS(SK_SYSCALL_ENUM)
#undef SK_SYSCALL_ENUM
};

#define SK_SYSCALL_COUNT 47

/* log: longest message */
#define SK_LOG_MAX 1024

/* memory_create flags */
#define SK_MEM_CONTIGUOUS (1u << 0) /* physically contiguous */
#define SK_MEM_BELOW_4G (1u << 1)   /* every page below 4 GiB (with CONTIGUOUS: the block) */
#define SK_MEM_RESIZABLE (1u << 2)  /* memory_resize changes its size; mappings may reach past it */
#define SK_MEM_MAX_SIZE (1ull << 40)

/* memory_create_physical cache modes */
#define SK_CACHE_WRITEBACK 0
#define SK_CACHE_UNCACHED 1
#define SK_CACHE_WRITECOMBINE 2

/* space_map / space_protect protection and flags */
#define SK_PROT_READ (1u << 0)
#define SK_PROT_WRITE (1u << 1)
#define SK_PROT_EXEC (1u << 2)
#define SK_MAP_FIXED (1u << 8)    /* map exactly at addr (which must be free) */
#define SK_MAP_PRIVATE (1u << 9)  /* copy-on-write view: writes stay in this mapping */
#define SK_USER_TOP 0x00007ffffffff000ull /* user addresses are below this */

/* thread_create */
#define SK_THREAD_PRIO_MIN 0
#define SK_THREAD_PRIO_DEFAULT 8
#define SK_THREAD_PRIO_MAX 15
#define SK_THREAD_START_STOPPED (1u << 0)
#define SK_THREAD_OBSERVED (1u << 1) /* observed from birth: stops for a supervisor (docs/observation.md) */
#define SK_THREAD_FOREIGN (1u << 2)  /* with OBSERVED: a foreign-personality thread (a Linux
                                        program): every syscall stops it (SK_STOP_SYSCALL), native
                                        numbers included; the kernel executes none of them */

struct sk_thread_create {
    uint64_t entry;     /* user rip */
    uint64_t stack;     /* user rsp at entry (16-byte aligned minus 8, as after a call) */
    uint64_t arg;       /* passed in rdi */
    uint64_t exit_word; /* user address of a uint64_t the kernel sets to the exit status
                           and futex-wakes when the thread ends; 0 for none */
    uint32_t priority;  /* SK_THREAD_PRIO_MIN..MAX */
    uint32_t flags;     /* SK_THREAD_* */
};
_Static_assert(sizeof(struct sk_thread_create) == 40, "sk_thread_create layout");

/* Exit status written to exit_word: bit 63 set; a normal exit carries its code in the
   low 32 bits, a fault the CPU exception vector in bits 32-39 and SK_EXIT_FAULT. */
#define SK_EXIT_DONE (1ull << 63)
#define SK_EXIT_FAULT (1ull << 62)
#define SK_EXIT_KILLED (1ull << 61)

/* thread_set_affinity: bit i = CPU i (as thread_stats reports it); bits of absent CPUs are ignored */
#define SK_AFFINITY_ANY UINT64_MAX /* every CPU: what new threads start with */

/* thread_set_base */
#define SK_BASE_FS 0
#define SK_BASE_GS 1

/* futex_wait timeout meaning "forever" */
#define SK_TIMEOUT_NEVER UINT64_MAX

/* memory_info: the machine's memory, in pages of 4096 bytes. */
struct sk_memory_info {
    uint64_t total_pages; /* RAM the kernel manages */
    uint64_t free_pages;  /* of it, free now */
    uint64_t cpus;        /* CPUs online */
    uint64_t reserved;
};
_Static_assert(sizeof(struct sk_memory_info) == 32, "sk_memory_info layout");

/* The block a program finds at rdi when it starts. */
#define SK_START_MAGIC 0x534b4f4c4c535431ull /* "SKOLLST1" */
struct sk_start_info {
    uint64_t magic;
    sk_handle_t initrd;      /* read-only memory object holding the boot archive, or 0 */
    uint64_t initrd_size;
    sk_handle_t hw_access;   /* hardware-access capability, or 0 */
    uint64_t argc;
    uint64_t argv;           /* user address of argc string pointers */
    sk_handle_t registry;    /* a lane to the registry (docs/registry.md), or 0; for the
                                registry itself, the end it serves */
};
_Static_assert(sizeof(struct sk_start_info) == 56, "sk_start_info layout");
_Static_assert(__builtin_offsetof(struct sk_start_info, registry) == 48, "sk_start_info layout");

/*
 * irq_create(hw, line, flags): what `line` names (low 4 bits of flags) and how
 * the line is triggered (docs/drivers.md).
 *   SK_IRQ_ISA: line = ISA IRQ 0-15; trigger and polarity come from the ACPI
 *               interrupt source overrides (ISA default: edge, active high).
 *   SK_IRQ_GSI: line = global system interrupt (I/O APIC input), with
 *               SK_IRQ_LEVEL / SK_IRQ_ACTIVE_LOW (default edge, active high).
 *   SK_IRQ_MSI: line = user address of a struct sk_irq_msi; the kernel picks a
 *               vector and writes the address/data the device must use.
 */
#define SK_IRQ_ISA 0u
#define SK_IRQ_GSI 1u
#define SK_IRQ_MSI 2u
#define SK_IRQ_KIND_MASK 0xfu
#define SK_IRQ_LEVEL (1u << 8)
#define SK_IRQ_ACTIVE_LOW (1u << 9)
#define SK_IRQ_MAX_GSI 1023u

struct sk_irq_msi {
    uint64_t address;   /* out: MSI message address (program into the device) */
    uint32_t data;      /* out: MSI message data */
    uint32_t reserved;  /* in: must be 0 */
};
_Static_assert(sizeof(struct sk_irq_msi) == 16, "sk_irq_msi layout");

/* ioport_grant: ports are 0..SK_IOPORT_COUNT-1 */
#define SK_IOPORT_COUNT 65536u

/* platform_power actions (docs/abi.md, docs/platform.md) */
#define SK_POWER_OFF 1u   /* ACPI S5: soft off */
#define SK_POWER_RESET 2u /* reset the machine */

/* thread_stats */
struct sk_thread_stats {
    uint64_t syscalls;     /* native system calls made by the thread */
    uint64_t switches;     /* times it was switched to */
    uint64_t cpu;          /* CPU it last ran on */
    uint64_t run_ns;       /* nanoseconds it has run on a CPU */
};
_Static_assert(sizeof(struct sk_thread_stats) == 32, "sk_thread_stats layout");
