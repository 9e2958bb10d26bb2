/*
 * Raw system calls for native programs. Everything is generated from
 * SK_SYSCALLS: sk_raw_<name>(uint64_t args..., uint64_t *ret) for each call,
 * and typed wrappers sk_<name>(...) that return the sk_error_t and hand the
 * rdx value back through an out-parameter. Semantics: docs/abi.md.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <skoll/errors.h>
#include <skoll/objects.h>
#include <skoll/syscalls.h>
#include <skoll/queue.h>
#include <skoll/observe.h>
#include <skoll/types.h>

/*
 * One system call: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9.
 * The error comes back in rax, the value in rdx (stored to *ret if ret is not NULL).
 * The ABI clobbers only rcx and r11; the argument registers are declared
 * clobbered too, which costs nothing here and keeps us correct if it changes.
 */
#ifdef SKOLL_HOST_TEST
/* Host unit tests link a model of the kernel (tests/unit/test_sk.c) in place of the instruction. */
sk_error_t sk_syscall6(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t *ret);
#else
static inline sk_error_t sk_syscall6(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2,
                                     uint64_t a3, uint64_t a4, uint64_t a5, uint64_t *ret)
{
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    register uint64_t r9 __asm__("r9") = a5;
    uint64_t rax = num, rdx = a2;
    __asm__ volatile("syscall"
                     : "+a"(rax), "+D"(a0), "+S"(a1), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    if (ret)
        *ret = rdx;
    return (sk_error_t)(uint32_t)rax;
}
#endif

/* sk_raw_<name>: the call with untyped 64-bit arguments (the ABI test drives these). */
#define SK__PARAMS0
#define SK__PARAMS1 uint64_t a0,
#define SK__PARAMS2 uint64_t a0, uint64_t a1,
#define SK__PARAMS3 uint64_t a0, uint64_t a1, uint64_t a2,
#define SK__PARAMS4 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
#define SK__PARAMS5 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
#define SK__PARAMS6 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
#define SK__ARGS0 0, 0, 0, 0, 0, 0
#define SK__ARGS1 a0, 0, 0, 0, 0, 0
#define SK__ARGS2 a0, a1, 0, 0, 0, 0
#define SK__ARGS3 a0, a1, a2, 0, 0, 0
#define SK__ARGS4 a0, a1, a2, a3, 0, 0
#define SK__ARGS5 a0, a1, a2, a3, a4, 0
#define SK__ARGS6 a0, a1, a2, a3, a4, a5
#define SK__RAW(name, index, nargs) \
    static inline sk_error_t sk_raw_##name(SK__PARAMS##nargs uint64_t *ret) \
    { \
        return sk_syscall6(SK_SYS_##name, SK__ARGS##nargs, ret); \
    }
SK_SYSCALLS(SK__RAW)
#undef SK__RAW

#define SK__COUNT_ONE(name, index, nargs) +1
_Static_assert(0 SK_SYSCALLS(SK__COUNT_ONE) == SK_SYSCALL_COUNT, "SK_SYSCALL_COUNT matches the list");
#undef SK__COUNT_ONE

#define SK__U(x) ((uint64_t)(x))
#define SK__H(out) ((uint64_t *)(out)) /* sk_handle_t is 64-bit: the value lands in it */
_Static_assert(sizeof(sk_handle_t) == sizeof(uint64_t), "handles travel in rdx");

/* Typed wrappers, one per call, in list order. */
static inline sk_error_t sk_nop(void) { return sk_raw_nop(NULL); }
static inline sk_error_t sk_log(const char *s, size_t len) { return sk_raw_log(SK__U(s), len, NULL); }
/* Monotonic time in nanoseconds since boot. */
static inline sk_error_t sk_clock_get(uint64_t *ns) { return sk_raw_clock_get(ns); }
static inline sk_error_t sk_handle_close(sk_handle_t h) { return sk_raw_handle_close(SK__U(h), NULL); }
/* A second handle to the same object with rights (a subset of h's rights). */
static inline sk_error_t sk_handle_dup(sk_handle_t h, uint32_t rights, sk_handle_t *out)
{
    return sk_raw_handle_dup(SK__U(h), rights, SK__H(out));
}
/* Copy h into universe with rights (a subset); *out is the handle's value there. */
static inline sk_error_t sk_handle_transfer(sk_handle_t universe, sk_handle_t h, uint32_t rights,
                                            sk_handle_t *out)
{
    return sk_raw_handle_transfer(SK__U(universe), SK__U(h), rights, SK__H(out));
}
/* Assumed encoding of handle_info's value: object type in bits 0-31, rights in bits 32-63. */
#define SK_INFO_TYPE(v) ((uint32_t)(v))
#define SK_INFO_RIGHTS(v) ((uint32_t)((v) >> 32))
static inline sk_error_t sk_handle_info(sk_handle_t h, uint64_t *info)
{
    return sk_raw_handle_info(SK__U(h), info);
}
static inline sk_error_t sk_universe_create(sk_handle_t *out) { return sk_raw_universe_create(SK__H(out)); }
static inline sk_error_t sk_memory_create(uint64_t size, uint32_t flags, sk_handle_t *out)
{
    return sk_raw_memory_create(size, flags, SK__H(out));
}
static inline sk_error_t sk_memory_create_physical(sk_handle_t hw, uint64_t phys, uint64_t size,
                                                   uint32_t cache, sk_handle_t *out)
{
    return sk_raw_memory_create_physical(SK__U(hw), phys, size, cache, SK__H(out));
}
static inline sk_error_t sk_memory_fork(sk_handle_t mem, sk_handle_t *out)
{
    return sk_raw_memory_fork(SK__U(mem), SK__H(out));
}
static inline sk_error_t sk_memory_size(sk_handle_t mem, uint64_t *size)
{
    return sk_raw_memory_size(SK__U(mem), size);
}

static inline sk_error_t sk_memory_resize(sk_handle_t mem, uint64_t size)
{
    return sk_raw_memory_resize(SK__U(mem), size, NULL);
}
static inline sk_error_t sk_space_create(sk_handle_t *out) { return sk_raw_space_create(SK__H(out)); }
/* Map len bytes of mem from offset; addr is a hint unless prot has SK_MAP_FIXED. *out = address. */
static inline sk_error_t sk_space_map(sk_handle_t space, sk_handle_t mem, uint64_t offset,
                                      uint64_t addr, uint64_t len, uint32_t prot, uint64_t *out)
{
    return sk_raw_space_map(SK__U(space), SK__U(mem), offset, addr, len, prot, out);
}
static inline sk_error_t sk_space_unmap(sk_handle_t space, uint64_t addr, uint64_t len)
{
    return sk_raw_space_unmap(SK__U(space), addr, len, NULL);
}
static inline sk_error_t sk_space_protect(sk_handle_t space, uint64_t addr, uint64_t len, uint32_t prot)
{
    return sk_raw_space_protect(SK__U(space), addr, len, prot, NULL);
}
static inline sk_error_t sk_thread_create(sk_handle_t universe, sk_handle_t space,
                                          const struct sk_thread_create *info, sk_handle_t *out)
{
    return sk_raw_thread_create(SK__U(universe), SK__U(space), SK__U(info), SK__H(out));
}
static inline sk_error_t sk_thread_start(sk_handle_t t) { return sk_raw_thread_start(SK__U(t), NULL); }
/* End the calling thread; its exit word becomes SK_EXIT_DONE | (uint32_t)code. */
__attribute__((noreturn)) static inline void sk_thread_exit(uint64_t code)
{
    for (;;)
        sk_raw_thread_exit(code, NULL);
}
static inline sk_error_t sk_thread_yield(void) { return sk_raw_thread_yield(NULL); }
static inline sk_error_t sk_thread_set_priority(sk_handle_t t, uint32_t prio)
{
    return sk_raw_thread_set_priority(SK__U(t), prio, NULL);
}
/* Set the calling thread's FS or GS base (SK_BASE_FS / SK_BASE_GS). */
static inline sk_error_t sk_thread_set_base(uint32_t which, uint64_t base)
{
    return sk_raw_thread_set_base(which, base, NULL);
}
/*
 * Sleep while *addr == expected, at most timeout_ns (SK_TIMEOUT_NEVER: no limit).
 * Futex words are 64-bit and 8-byte aligned; keyed by (memory object, offset).
 */
static inline sk_error_t sk_futex_wait(const volatile uint64_t *addr, uint64_t expected, uint64_t timeout_ns)
{
    return sk_raw_futex_wait(SK__U(addr), expected, timeout_ns, NULL);
}
/* Wake up to count waiters on addr; *woken (may be NULL) receives how many. */
static inline sk_error_t sk_futex_wake(const volatile uint64_t *addr, uint64_t count, uint64_t *woken)
{
    return sk_raw_futex_wake(SK__U(addr), count, woken);
}
static inline sk_error_t sk_thread_kill(sk_handle_t t) { return sk_raw_thread_kill(SK__U(t), NULL); }

/* Queues (skoll/queue.h): create, drive (submit the SQ and wait for min_complete), alert. */
static inline sk_error_t sk_queue_create(struct sk_queue_params *p, sk_handle_t *out)
{
    return sk_raw_queue_create(SK__U(p), SK__H(out));
}
/* Submit what the SQ holds; then, if fewer than min_complete completions are unread,
   sleep until there are, timeout_ns passes or someone alerts. *submitted may be NULL. */
static inline sk_error_t sk_queue_drive(sk_handle_t q, uint64_t min_complete, uint64_t timeout_ns,
                                        uint64_t *submitted)
{
    return sk_raw_queue_drive(SK__U(q), min_complete, timeout_ns, submitted);
}
static inline sk_error_t sk_queue_alert(sk_handle_t q) { return sk_raw_queue_alert(SK__U(q), NULL); }
static inline sk_error_t sk_event_create(uint32_t kind, sk_handle_t *out)
{
    return sk_raw_event_create(kind, SK__H(out));
}
static inline sk_error_t sk_event_raise(sk_handle_t e, uint64_t bits)
{
    return sk_raw_event_raise(SK__U(e), bits, NULL);
}
static inline sk_error_t sk_thread_stats(sk_handle_t t, struct sk_thread_stats *out)
{
    return sk_raw_thread_stats(SK__U(t), SK__U(out), NULL);
}
/* Observation: stop a thread, read/write its registers while stopped, resume it. */
static inline sk_error_t sk_thread_interrupt(sk_handle_t t) { return sk_raw_thread_interrupt(SK__U(t), NULL); }
static inline sk_error_t sk_thread_resume(sk_handle_t t) { return sk_raw_thread_resume(SK__U(t), NULL); }
static inline sk_error_t sk_thread_get_regs(sk_handle_t t, uint32_t kind, void *buf, uint64_t size)
{
    return sk_raw_thread_get_regs(SK__U(t), kind, SK__U(buf), size, NULL);
}
static inline sk_error_t sk_thread_set_regs(sk_handle_t t, uint32_t kind, const void *buf, uint64_t size)
{
    return sk_raw_thread_set_regs(SK__U(t), kind, SK__U(buf), size, NULL);
}
/* The size in bytes of register set kind (SK_REGS_FPU varies with the CPU). */
static inline sk_error_t sk_thread_regs_size(sk_handle_t t, uint32_t kind, uint64_t *size)
{
    return sk_raw_thread_get_regs(SK__U(t), kind, 0, 0, size);
}
/* Hardware: interrupts and I/O ports (need the hardware-access capability). */
static inline sk_error_t sk_irq_create(sk_handle_t hw, uint64_t line, uint32_t flags, sk_handle_t *out)
{
    return sk_raw_irq_create(SK__U(hw), line, flags, SK__H(out));
}
static inline sk_error_t sk_irq_ack(sk_handle_t irq, uint64_t seq) { return sk_raw_irq_ack(SK__U(irq), seq, NULL); }
static inline sk_error_t sk_irq_nack(sk_handle_t irq, uint64_t seq) { return sk_raw_irq_nack(SK__U(irq), seq, NULL); }
static inline sk_error_t sk_ioport_grant(sk_handle_t hw, uint64_t base, uint64_t count)
{
    return sk_raw_ioport_grant(SK__U(hw), base, count, NULL);
}
/* Power the machine off (SK_POWER_OFF) or reset it (SK_POWER_RESET); returns only on an error. */
static inline sk_error_t sk_platform_power(sk_handle_t hw, uint32_t action)
{
    return sk_raw_platform_power(SK__U(hw), action, NULL);
}
/* Run t only on the CPUs in mask (bit i = CPU i; SK_AFFINITY_ANY: anywhere). */
static inline sk_error_t sk_thread_set_affinity(sk_handle_t t, uint64_t mask)
{
    return sk_raw_thread_set_affinity(SK__U(t), mask, NULL);
}

#include <skoll/ipc.h>
/* Creates a stream; lanes[0] and lanes[1] receive its two lanes. flags: SK_STREAM_*;
   creds: with SK_STREAM_CREDENTIALS, a token or thread handle (0: the calling thread). */
static inline sk_error_t sk_stream_create(uint32_t flags, sk_handle_t creds, sk_handle_t lanes[2])
{
    return sk_raw_stream_create(flags, SK__U(creds), SK__U(lanes), NULL);
}
static inline sk_error_t sk_lane_shutdown(sk_handle_t lane)
{
    return sk_raw_lane_shutdown(SK__U(lane), NULL);
}
static inline sk_error_t sk_token_create(sk_handle_t *out)
{
    return sk_raw_token_create(SK__H(out));
}
static inline sk_error_t sk_credentials_get(sk_handle_t h, uint8_t out[SK_CREDENTIALS_SIZE])
{
    return sk_raw_credentials_get(SK__U(h), SK__U(out), NULL);
}

static inline sk_error_t sk_memory_info(struct sk_memory_info *out)
{
    return sk_raw_memory_info(SK__U(out), NULL);
}

/* Compile-time check: every call in SK_SYSCALLS has a typed wrapper above. */
static inline void sk__every_call_has_a_wrapper(void)
{
#define SK__HAS_WRAPPER(name, index, nargs) (void)&sk_##name;
    SK_SYSCALLS(SK__HAS_WRAPPER)
#undef SK__HAS_WRAPPER
}

/* The symbolic name ("SK_ERR_FAULT") and the message of an error code. */
const char *sk_error_name(sk_error_t e);
const char *sk_strerror(sk_error_t e);
