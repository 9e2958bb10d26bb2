/*
 * test-abi: every native system call driven with bad input, table-driven.
 * Each row gives the call, its six raw arguments and the sk_error_t the
 * documented ABI promises ("also" is a second accepted code; every row now names
 * the same code twice, as docs/abi.md decides each case). Rows use fixtures: handles duplicated with
 * fewer rights, handles of the wrong type, closed handles, kernel, non-canonical
 * and unmapped pointers, huge sizes and misaligned values. A compile-time check
 * fails the build if any call in SK_SYSCALLS has no row.
 * One result line per system call: PASS test-abi/<call>.
 */
#include <sk/test.h>

#define KPTR 0xffff800000000000ull
#define KTEXT 0xffffffff80000000ull
#define NONCANON 0x0000800000000000ull
#define BAD 0x7fff1234ull /* never a handle in this universe */
#define HUGE (1ull << 63)
#define PG SK_PAGE_SIZE
#define R_ SK_PROT_READ
#define RW_ (SK_PROT_READ | SK_PROT_WRITE)
#define BADBITS (1ull << 20)
#define U(x) ((uint64_t)(x))
#define THIS_U U(SK_THIS_UNIVERSE)
#define THIS_S U(SK_THIS_SPACE)
#define THIS_T U(SK_THIS_THREAD)

/* Row flags. */
#define CLOSE 1u /* on SK_OK the value is a new handle here: close it */
#define EXITS 2u /* run on a helper thread; must end it with exit word SK_EXIT_DONE | (uint32_t)a0 */

static struct fixture {
    uint64_t mem, mem_ro, mem_nomap, mem_nodup, mem_notransfer, mem_noread, mem_noexec;
    uint64_t mem_rs, mem_rs_ro; /* resizable (SK_MEM_RESIZABLE), and without WRITE */
    uint64_t space, space_ro, universe, universe_ro, thread, thread_ro, thread_dead, closed;
    uint64_t page, ro_page, unmapped, edge, futex;
    uint64_t tc_ok, tc_prio, tc_flags, tc_exitword, tc_entry, tc_foreign;
    uint64_t bases_bad, gregs_ok, gregs_bad_cs, gregs_bad_rip;
    uint64_t hw, hw_nomanage, irq, irq_nosignal, msi_ok, msi_bad;
    uint64_t lane, lane_ro, token, token_noread;
} F;

/* X(name, want, also, flags, a0, a1, a2, a3, a4, a5) */
#define ABI_ROWS(X) \
    X(nop, SK_OK, SK_OK, 0, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull) \
    X(log, SK_ERR_FAULT, SK_ERR_FAULT, 0, KPTR, 8, 0, 0, 0, 0) \
    X(log, SK_ERR_FAULT, SK_ERR_FAULT, 0, KTEXT, 8, 0, 0, 0, 0) \
    X(log, SK_ERR_FAULT, SK_ERR_FAULT, 0, NONCANON, 8, 0, 0, 0, 0) \
    X(log, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 8, 0, 0, 0, 0) \
    X(log, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.unmapped, 8, 0, 0, 0, 0) \
    X(log, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.edge, 16, 0, 0, 0, 0) \
    X(log, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, F.page, HUGE, 0, 0, 0, 0) \
    X(log, SK_OK, SK_OK, 0, F.page, 0, 0, 0, 0, 0) \
    X(clock_get, SK_OK, SK_OK, 0, ~0ull, 0, 0, 0, 0, 0) \
    X(handle_close, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(handle_close, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.closed, 0, 0, 0, 0, 0) \
    X(handle_close, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, 0, 0, 0, 0, 0, 0) \
    X(handle_close, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, THIS_U, 0, 0, 0, 0, 0) \
    X(handle_dup, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, SK_RIGHT_READ, 0, 0, 0, 0) \
    X(handle_dup, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.closed, SK_RIGHT_READ, 0, 0, 0, 0) \
    X(handle_dup, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.mem_nodup, SK_RIGHT_READ, 0, 0, 0, 0) \
    X(handle_dup, SK_OK, SK_OK, CLOSE, F.mem_ro, SK_RIGHT_READ | SK_RIGHT_WRITE, 0, 0, 0, 0) \
    X(handle_dup, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.mem, BADBITS, 0, 0, 0, 0) \
    X(handle_dup, SK_OK, SK_OK, CLOSE, F.mem, SK_RIGHT_READ, 0, 0, 0, 0) \
    X(handle_transfer, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, F.mem, SK_RIGHT_READ, 0, 0, 0) \
    X(handle_transfer, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, F.mem, SK_RIGHT_READ, 0, 0, 0) \
    X(handle_transfer, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.universe_ro, F.mem, SK_RIGHT_READ, 0, 0, 0) \
    X(handle_transfer, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.universe, BAD, SK_RIGHT_READ, 0, 0, 0) \
    X(handle_transfer, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.universe, F.mem_notransfer, SK_RIGHT_READ, 0, 0, 0) \
    X(handle_transfer, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.universe, F.mem, BADBITS, 0, 0, 0) \
    X(handle_transfer, SK_OK, SK_OK, 0, F.universe, F.mem, SK_RIGHT_READ, 0, 0, 0) \
    X(handle_info, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(handle_info, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, 0, 0, 0, 0, 0, 0) \
    X(handle_info, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.closed, 0, 0, 0, 0, 0) \
    X(handle_info, SK_OK, SK_OK, 0, F.mem_ro, 0, 0, 0, 0, 0) \
    X(universe_create, SK_OK, SK_OK, CLOSE, 0, 0, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, 0, 0, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, PG + 1, 0, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, HUGE, 0, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, SK_MEM_MAX_SIZE + PG, 0, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, ~0xfffull, 0, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, PG, 1ull << 31, 0, 0, 0, 0) \
    X(memory_create, SK_OK, SK_OK, CLOSE, PG, 0, 0, 0, 0, 0) \
    X(memory_create, SK_OK, SK_OK, CLOSE, 0, SK_MEM_RESIZABLE, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, PG, SK_MEM_RESIZABLE | SK_MEM_CONTIGUOUS, 0, 0, 0, 0) \
    X(memory_create, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, SK_MEM_MAX_SIZE + PG, SK_MEM_RESIZABLE, 0, 0, 0, 0) \
    X(memory_create_physical, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, PG, 0, 0, 0) \
    X(memory_create_physical, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, 0, 0, PG, 0, 0, 0) \
    X(memory_create_physical, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0, PG, 0, 0, 0) \
    X(memory_create_physical, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_U, 0, PG, 0, 0, 0) \
    X(memory_fork, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(memory_fork, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.space, 0, 0, 0, 0, 0) \
    X(memory_fork, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.mem_noread, 0, 0, 0, 0, 0) \
    X(memory_fork, SK_OK, SK_OK, CLOSE, F.mem, 0, 0, 0, 0, 0) \
    X(memory_size, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(memory_size, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.space, 0, 0, 0, 0, 0) \
    X(memory_size, SK_OK, SK_OK, 0, F.mem_ro, 0, 0, 0, 0, 0) \
    X(space_create, SK_OK, SK_OK, CLOSE, 0, 0, 0, 0, 0, 0) \
    X(space_map, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, F.mem, 0, 0, PG, R_) \
    X(space_map, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, F.mem, 0, 0, PG, R_) \
    X(space_map, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.space_ro, F.mem, 0, 0, PG, R_) \
    X(space_map, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, THIS_S, BAD, 0, 0, PG, R_) \
    X(space_map, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_S, F.space, 0, 0, PG, R_) \
    X(space_map, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, THIS_S, F.mem_nomap, 0, 0, PG, R_) \
    X(space_map, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, THIS_S, F.mem_ro, 0, 0, PG, RW_) \
    X(space_map, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, THIS_S, F.mem_noexec, 0, 0, PG, R_ | SK_PROT_EXEC) \
    X(space_map, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_S, F.mem, 1, 0, PG, R_) \
    X(space_map, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_S, F.mem, 0, 0, 0, R_) \
    X(space_map, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_S, F.mem, 0, 0, 100, R_) \
    X(space_map, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_S, F.mem, 0, F.unmapped + 1, PG, R_ | SK_MAP_FIXED) \
    X(space_map, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.mem, 0, KPTR, PG, R_ | SK_MAP_FIXED) \
    X(space_map, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.mem, 0, SK_USER_TOP - PG, 2 * PG, R_ | SK_MAP_FIXED) \
    X(space_map, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.mem, 0, 0, 3 * PG, R_) \
    X(space_map, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.mem, 2 * PG, 0, PG, R_) \
    X(space_map, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.mem, ~0xfffull, 0, PG, R_) \
    X(space_map, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.mem, 0, 0, HUGE, R_) \
    X(space_map, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_S, F.mem, 0, 0, PG, BADBITS) \
    X(space_map, SK_ERR_BUSY, SK_ERR_BUSY, 0, THIS_S, F.mem, 0, F.page, PG, R_ | SK_MAP_FIXED) \
    X(space_unmap, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, F.page, PG, 0, 0, 0) \
    X(space_unmap, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, F.page, PG, 0, 0, 0) \
    X(space_unmap, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.space_ro, F.page, PG, 0, 0, 0) \
    X(space_unmap, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_S, F.page + 1, PG, 0, 0, 0) \
    X(space_unmap, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_S, F.page, 100, 0, 0, 0) \
    X(space_unmap, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_S, F.page, 0, 0, 0, 0) \
    X(space_unmap, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, KPTR, PG, 0, 0, 0) \
    X(space_unmap, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, SK_USER_TOP - PG, 2 * PG, 0, 0, 0) \
    X(space_unmap, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, F.page, HUGE, 0, 0, 0) \
    X(space_protect, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, F.page, PG, R_, 0, 0) \
    X(space_protect, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, F.page, PG, R_, 0, 0) \
    X(space_protect, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.space_ro, F.page, PG, R_, 0, 0) \
    X(space_protect, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_S, F.page + 1, PG, R_, 0, 0) \
    X(space_protect, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_S, F.page, 0, R_, 0, 0) \
    X(space_protect, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_S, KPTR, PG, R_, 0, 0) \
    X(space_protect, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_S, F.page, PG, BADBITS, 0, 0) \
    X(space_protect, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, THIS_S, F.ro_page, PG, RW_, 0, 0) \
    X(space_protect, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, THIS_S, F.ro_page, PG, R_ | SK_PROT_EXEC, 0, 0) \
    X(thread_create, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, THIS_S, F.tc_ok, 0, 0, 0) \
    X(thread_create, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, THIS_S, F.tc_ok, 0, 0, 0) \
    X(thread_create, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.universe_ro, THIS_S, F.tc_ok, 0, 0, 0) \
    X(thread_create, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, THIS_U, BAD, F.tc_ok, 0, 0, 0) \
    X(thread_create, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_U, F.mem, F.tc_ok, 0, 0, 0) \
    X(thread_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, THIS_U, THIS_S, KPTR, 0, 0, 0) \
    X(thread_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, THIS_U, THIS_S, 0, 0, 0, 0) \
    X(thread_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, THIS_U, THIS_S, F.unmapped, 0, 0, 0) \
    X(thread_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, THIS_U, THIS_S, F.edge, 0, 0, 0) \
    X(thread_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_U, THIS_S, F.tc_prio, 0, 0, 0) \
    X(thread_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_U, THIS_S, F.tc_flags, 0, 0, 0) \
    X(thread_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_U, THIS_S, F.tc_foreign, 0, 0, 0) \
    X(thread_create, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, THIS_U, THIS_S, F.tc_exitword, 0, 0, 0) \
    X(thread_create, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, THIS_U, THIS_S, F.tc_entry, 0, 0, 0) \
    X(thread_create, SK_OK, SK_OK, CLOSE, THIS_U, THIS_S, F.tc_ok, 0, 0, 0) \
    X(thread_start, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(thread_start, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0, 0, 0, 0, 0) \
    X(thread_start, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, 0, 0, 0, 0, 0) \
    X(thread_exit, SK_OK, SK_OK, EXITS, 0x1234abcd, 0, 0, 0, 0, 0) \
    X(thread_exit, SK_OK, SK_OK, EXITS, 0xffffffff00000005ull, 0, 0, 0, 0, 0) \
    X(thread_yield, SK_OK, SK_OK, 0, ~0ull, 0, 0, 0, 0, 0) \
    X(thread_set_priority, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, SK_THREAD_PRIO_DEFAULT, 0, 0, 0, 0) \
    X(thread_set_priority, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, SK_THREAD_PRIO_DEFAULT, 0, 0, 0, 0) \
    X(thread_set_priority, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, SK_THREAD_PRIO_DEFAULT, 0, 0, 0, 0) \
    X(thread_set_priority, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_T, SK_THREAD_PRIO_MAX + 1, 0, 0, 0, 0) \
    X(thread_set_priority, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_T, ~0ull, 0, 0, 0, 0) \
    X(thread_set_priority, SK_OK, SK_OK, 0, THIS_T, SK_THREAD_PRIO_DEFAULT, 0, 0, 0, 0) \
    X(thread_set_base, SK_ERR_INVALID, SK_ERR_INVALID, 0, 2, 0, 0, 0, 0, 0) \
    X(thread_set_base, SK_ERR_INVALID, SK_ERR_INVALID, 0, ~0ull, 0, 0, 0, 0, 0) \
    X(thread_set_base, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, SK_BASE_FS, KPTR, 0, 0, 0, 0) \
    X(thread_set_base, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, SK_BASE_GS, NONCANON, 0, 0, 0, 0) \
    X(thread_set_base, SK_OK, SK_OK, 0, SK_BASE_FS, 0, 0, 0, 0, 0) \
    X(futex_wait, SK_ERR_FAULT, SK_ERR_FAULT, 0, KPTR, 0, 1000, 0, 0, 0) \
    X(futex_wait, SK_ERR_FAULT, SK_ERR_FAULT, 0, NONCANON, 0, 1000, 0, 0, 0) \
    X(futex_wait, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, 1000, 0, 0, 0) \
    X(futex_wait, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.unmapped, 0, 1000, 0, 0, 0) \
    X(futex_wait, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, F.futex + 4, 7, 1000, 0, 0, 0) \
    X(futex_wait, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, F.futex + 1, 7, 1000, 0, 0, 0) \
    X(futex_wait, SK_ERR_AGAIN, SK_ERR_AGAIN, 0, F.futex, 8, SK_TIMEOUT_NEVER, 0, 0, 0) \
    X(futex_wait, SK_ERR_TIMEOUT, SK_ERR_TIMEOUT, 0, F.futex, 7, 1000, 0, 0, 0) \
    X(futex_wake, SK_ERR_FAULT, SK_ERR_FAULT, 0, KPTR, 1, 0, 0, 0, 0) \
    X(futex_wake, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.unmapped, 1, 0, 0, 0, 0) \
    X(futex_wake, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, F.futex + 4, 1, 0, 0, 0, 0) \
    X(futex_wake, SK_OK, SK_OK, 0, F.futex, 1, 0, 0, 0, 0) \
    X(thread_kill, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(thread_kill, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0, 0, 0, 0, 0) \
    X(thread_kill, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, 0, 0, 0, 0, 0) \
    X(queue_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.unmapped, 0, 0, 0, 0, 0) \
    X(queue_drive, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(queue_alert, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(event_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, 99, 0, 0, 0, 0, 0) \
    X(event_raise, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 1, 0, 0, 0, 0) \
    X(thread_stats, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, F.page, 0, 0, 0, 0) \
    X(thread_interrupt, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(thread_interrupt, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0, 0, 0, 0, 0) \
    X(thread_interrupt, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, 0, 0, 0, 0, 0) \
    X(thread_interrupt, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, 0, 0, 0, 0, 0) \
    X(thread_interrupt, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_T, 0, 0, 0, 0, 0) \
    X(thread_resume, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(thread_resume, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_S, 0, 0, 0, 0, 0) \
    X(thread_resume, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, 0, 0, 0, 0, 0) \
    X(thread_resume, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, F.thread, 0, 0, 0, 0, 0) \
    X(thread_resume, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, THIS_T, 0, 0, 0, 0, 0) \
    X(thread_get_regs, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, F.page, 8, 0, 0) \
    X(thread_get_regs, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0, F.page, 160, 0, 0) \
    X(thread_get_regs, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, 0, F.page, 160, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, 99, F.page, 160, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_KINDS, F.page, 16, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL | 1ull << 32, F.page, 160, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.page, 8, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.page, 161, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.page, HUGE, 0, 0) \
    X(thread_get_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_BASES, KPTR, 15, 0, 0) \
    X(thread_get_regs, SK_OK, SK_OK, 0, F.thread, SK_REGS_GENERAL, 0, 0, 0, 0) \
    X(thread_get_regs, SK_OK, SK_OK, 0, F.thread, SK_REGS_FPU, KPTR, 0, 0, 0) \
    X(thread_get_regs, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, F.thread, SK_REGS_GENERAL, F.page, 160, 0, 0) \
    X(thread_get_regs, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, F.thread, SK_REGS_STOP, F.page + 1, 96, 0, 0) \
    X(thread_get_regs, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, THIS_T, SK_REGS_BASES, F.page, 16, 0, 0) \
    X(thread_set_regs, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, F.page, 8, 0, 0) \
    X(thread_set_regs, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.universe, 0, F.page, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, 0, F.page, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, 99, F.page, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.page, 0, 0, 0) \
    X(thread_set_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.page, 159, 0, 0) \
    X(thread_set_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.page, HUGE, 0, 0) \
    X(thread_set_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_STOP, F.page, 96, 0, 0) \
    X(thread_set_regs, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.thread, SK_REGS_GENERAL, KPTR, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.thread, SK_REGS_GENERAL, NONCANON, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.thread, SK_REGS_GENERAL, 0, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.thread, SK_REGS_BASES, F.edge, 16, 0, 0) \
    X(thread_set_regs, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.thread, SK_REGS_BASES, F.unmapped, 16, 0, 0) \
    X(thread_set_regs, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.thread, SK_REGS_BASES, F.bases_bad, 16, 0, 0) \
    X(thread_set_regs, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, SK_REGS_GENERAL, F.gregs_bad_cs, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.thread, SK_REGS_GENERAL, F.gregs_bad_rip, 160, 0, 0) \
    X(thread_set_regs, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, F.thread, SK_REGS_BASES, F.page + 3, 16, 0, 0) \
    X(thread_set_regs, SK_ERR_NOT_STOPPED, SK_ERR_NOT_STOPPED, 0, F.thread, SK_REGS_GENERAL, F.gregs_ok, 160, 0, 0) \
    X(irq_create, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 5, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, 0, 5, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 5, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_U, 5, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.hw_nomanage, 5, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 5, BADBITS, 0, 0, 0) \
    X(irq_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 5, 3, 0, 0, 0) \
    X(irq_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 5, ~0ull, 0, 0, 0) \
    X(irq_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 5, SK_IRQ_ISA | SK_IRQ_LEVEL, 0, 0, 0) \
    X(irq_create, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, 16, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, HUGE, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, HUGE, SK_IRQ_GSI, 0, 0, 0) \
    X(irq_create, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, SK_IRQ_MAX_GSI, SK_IRQ_GSI, 0, 0, 0) \
    X(irq_create, SK_OK, SK_OK, CLOSE, F.hw, 4, SK_IRQ_ISA, 0, 0, 0) /* COM1: no kconsole in test boots */ \
    X(irq_create, SK_ERR_BUSY, SK_ERR_BUSY, 0, F.hw, 0, SK_IRQ_ISA, 0, 0, 0) \
    X(irq_create, SK_ERR_BUSY, SK_ERR_BUSY, 0, F.hw, 5, SK_IRQ_GSI, 0, 0, 0) \
    X(irq_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.hw, 0, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.hw, KPTR, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.hw, NONCANON, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.hw, F.unmapped, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.hw, F.edge, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.hw, F.ro_page, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, F.msi_bad, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, F.msi_ok, SK_IRQ_MSI | SK_IRQ_ACTIVE_LOW, 0, 0, 0) \
    X(irq_create, SK_OK, SK_OK, CLOSE, F.hw, F.msi_ok, SK_IRQ_MSI, 0, 0, 0) \
    X(irq_create, SK_OK, SK_OK, CLOSE, F.hw, 5, SK_IRQ_GSI | SK_IRQ_LEVEL, 0, 0, 0) \
    X(irq_ack, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 1, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.closed, 1, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 1, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.hw, 1, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.irq_nosignal, 1, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.irq, 0, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.irq, 1, 0, 0, 0, 0) \
    X(irq_ack, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.irq, HUGE, 0, 0, 0, 0) \
    X(irq_nack, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 1, 0, 0, 0, 0) \
    X(irq_nack, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.space, 1, 0, 0, 0, 0) \
    X(irq_nack, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.irq_nosignal, 1, 0, 0, 0, 0) \
    X(irq_nack, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.irq, 0, 0, 0, 0, 0) \
    X(irq_nack, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.irq, ~0ull, 0, 0, 0, 0) \
    X(ioport_grant, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0x70, 2, 0, 0, 0) \
    X(ioport_grant, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0x70, 2, 0, 0, 0) \
    X(ioport_grant, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.hw_nomanage, 0x70, 2, 0, 0, 0) \
    X(ioport_grant, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 0x70, 0, 0, 0, 0) \
    X(ioport_grant, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, 0x10000, 1, 0, 0, 0) \
    X(ioport_grant, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, 0xffff, 2, 0, 0, 0) \
    X(ioport_grant, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, HUGE, 1, 0, 0, 0) \
    X(ioport_grant, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, 2, HUGE, 0, 0, 0) \
    X(ioport_grant, SK_ERR_OUT_OF_RANGE, SK_ERR_OUT_OF_RANGE, 0, F.hw, 0, 0x10001, 0, 0, 0) \
    X(ioport_grant, SK_OK, SK_OK, 0, F.hw, 0x3f8, 8, 0, 0, 0) /* COM1: no kconsole in test boots */ \
    X(ioport_grant, SK_ERR_BUSY, SK_ERR_BUSY, 0, F.hw, 0x3f8, 0x100, 0, 0, 0) /* COM1 and on to the PIC edge/level ports */ \
    X(ioport_grant, SK_ERR_BUSY, SK_ERR_BUSY, 0, F.hw, 0xf4, 1, 0, 0, 0) \
    X(ioport_grant, SK_ERR_BUSY, SK_ERR_BUSY, 0, F.hw, 0xcf8, 8, 0, 0, 0) \
    X(ioport_grant, SK_ERR_BUSY, SK_ERR_BUSY, 0, F.hw, 0, 0x10000, 0, 0, 0) \
    X(ioport_grant, SK_OK, SK_OK, 0, F.hw, 0x70, 2, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.closed, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_U, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.thread_ro, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_INVALID, SK_ERR_INVALID, 0, THIS_T, 0, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread, 0, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.thread_dead, 0, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_DEAD, SK_ERR_DEAD, 0, F.thread_dead, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_ERR_DEAD, SK_ERR_DEAD, 0, F.thread_dead, 1, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_OK, SK_OK, 0, F.thread, 1, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_OK, SK_OK, 0, F.thread, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_OK, SK_OK, 0, THIS_T, 1, 0, 0, 0, 0) \
    X(thread_set_affinity, SK_OK, SK_OK, 0, THIS_T, SK_AFFINITY_ANY, 0, 0, 0, 0) \
    X(stream_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, BADBITS, 0, F.page, 0, 0, 0) \
    X(stream_create, SK_ERR_INVALID, SK_ERR_INVALID, 0, 0, F.thread, F.page, 0, 0, 0) \
    X(stream_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, 0, 0, 0, 0) \
    X(stream_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, KPTR, 0, 0, 0) \
    X(stream_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, NONCANON, 0, 0, 0) \
    X(stream_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, F.unmapped, 0, 0, 0) \
    X(stream_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, F.ro_page, 0, 0, 0) \
    X(stream_create, SK_ERR_FAULT, SK_ERR_FAULT, 0, 0, 0, F.edge, 0, 0, 0) \
    X(stream_create, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, SK_STREAM_CREDENTIALS, BAD, F.page, 0, 0, 0) \
    X(stream_create, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, SK_STREAM_CREDENTIALS, F.mem, F.page, 0, 0, 0) \
    X(stream_create, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, SK_STREAM_CREDENTIALS, F.token_noread, F.page, 0, 0, 0) \
    X(stream_create, SK_OK, SK_OK, CLOSE, 0, 0, F.page, 0, 0, 0) \
    X(stream_create, SK_OK, SK_OK, CLOSE, SK_STREAM_CREDENTIALS, 0, F.page, 0, 0, 0) \
    X(stream_create, SK_OK, SK_OK, CLOSE, SK_STREAM_CREDENTIALS, F.token, F.page, 0, 0, 0) \
    X(lane_shutdown, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, 0, 0, 0, 0, 0) \
    X(lane_shutdown, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, F.closed, 0, 0, 0, 0, 0) \
    X(lane_shutdown, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, 0, 0, 0, 0, 0) \
    X(lane_shutdown, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.lane_ro, 0, 0, 0, 0, 0) \
    X(lane_shutdown, SK_OK, SK_OK, 0, F.lane, 0, 0, 0, 0, 0) \
    X(token_create, SK_OK, SK_OK, CLOSE, ~0ull, ~0ull, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, F.page, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, F.page, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.lane, F.page, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.token_noread, F.page, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_FAULT, SK_ERR_FAULT, 0, THIS_T, KPTR, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.token, F.ro_page, 0, 0, 0, 0) \
    X(credentials_get, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.token, F.edge, 0, 0, 0, 0) \
    X(credentials_get, SK_OK, SK_OK, 0, THIS_T, F.page, 0, 0, 0, 0) \
    X(credentials_get, SK_OK, SK_OK, 0, F.token, F.page, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, SK_POWER_OFF, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, 0, SK_POWER_RESET, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.mem, SK_POWER_OFF, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, THIS_U, SK_POWER_RESET, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.hw_nomanage, SK_POWER_OFF, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.hw_nomanage, SK_POWER_RESET, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 0, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, 3, 0, 0, 0, 0) \
    X(platform_power, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, SK_POWER_OFF | (1ull << 32), 0, 0, 0, 0) \
    X(platform_power, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.hw, ~0ull, 0, 0, 0, 0) \
    X(memory_info, SK_ERR_FAULT, SK_ERR_FAULT, 0, KPTR, 0, 0, 0, 0, 0) \
    X(memory_info, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.ro_page, 0, 0, 0, 0, 0) \
    X(memory_info, SK_ERR_FAULT, SK_ERR_FAULT, 0, F.edge, 0, 0, 0, 0, 0) \
    X(memory_info, SK_OK, SK_OK, 0, F.page, 0, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_BAD_HANDLE, SK_ERR_BAD_HANDLE, 0, BAD, PG, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_WRONG_TYPE, SK_ERR_WRONG_TYPE, 0, F.space, PG, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_NO_RIGHTS, SK_ERR_NO_RIGHTS, 0, F.mem_rs_ro, PG, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_INVALID, SK_ERR_INVALID, 0, F.mem, PG, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_ALIGNMENT, SK_ERR_ALIGNMENT, 0, F.mem_rs, PG + 1, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, F.mem_rs, SK_MEM_MAX_SIZE + PG, 0, 0, 0, 0) \
    X(memory_resize, SK_ERR_TOO_BIG, SK_ERR_TOO_BIG, 0, F.mem_rs, ~0xfffull, 0, 0, 0, 0) \
    X(memory_resize, SK_OK, SK_OK, 0, F.mem_rs, 3 * PG, 0, 0, 0, 0) \
    X(memory_resize, SK_OK, SK_OK, 0, F.mem_rs, 0, 0, 0, 0, 0)

/* Every system call has at least one row (the list has fewer than 64 calls). */
_Static_assert(SK_SYSCALL_COUNT < 64, "widen the coverage mask");
#define ROW_BIT(name, want, also, flags, a0, a1, a2, a3, a4, a5) | (1ull << (SK_SYS_##name - SK_SYSCALL_BASE))
_Static_assert((0ull ABI_ROWS(ROW_BIT)) == (1ull << SK_SYSCALL_COUNT) - 1,
               "every system call in SK_SYSCALLS needs a row in ABI_ROWS");

struct row {
    uint32_t num;
    sk_error_t want, also;
    unsigned flags;
    uint64_t a[6];
    const char *text;
};

/* ---- fixtures ---- */

static volatile uint64_t block_word;
static int blocked(void *arg)
{
    (void)arg;
    while (!sk_atomic_load(&block_word))
        sk_futex_wait(&block_word, 0, SK_TIMEOUT_NEVER);
    return 0;
}
static struct sk_thread *blocked_thread;

static int ends_at_once(void *arg)
{
    (void)arg;
    return 0;
}

__attribute__((noreturn)) static void exits_at_once(void)
{
    sk_thread_exit(0);
}

static sk_handle_t dup(uint64_t h, uint32_t rights)
{
    sk_handle_t out = 0;
    sk_error_t e = sk_handle_dup((sk_handle_t)h, rights, &out);
    if (e != SK_OK)
        sk_printf("test-abi: fixture: dup with rights 0x%x: %s\n", rights, sk_error_name(e));
    return out;
}

static int setup(void)
{
    const uint32_t D = SK_RIGHT_DUPLICATE;
    sk_handle_t h;
    if (sk_memory_create(2 * PG, 0, &h) != SK_OK)
        return 0;
    F.mem = U(h);
    F.mem_ro = U(dup(F.mem, SK_RIGHT_READ | SK_RIGHT_MAP | SK_RIGHT_TRANSFER | D));
    F.mem_nomap = U(dup(F.mem, SK_RIGHT_READ | SK_RIGHT_WRITE | D));
    F.mem_nodup = U(dup(F.mem, SK_RIGHT_READ | SK_RIGHT_MAP));
    F.mem_notransfer = U(dup(F.mem, SK_RIGHT_READ | SK_RIGHT_MAP | D));
    F.mem_noread = U(dup(F.mem, SK_RIGHT_MAP | D));
    F.mem_noexec = U(dup(F.mem, SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP | D));
    if (sk_memory_create(0, SK_MEM_RESIZABLE, &h) != SK_OK)
        return 0;
    F.mem_rs = U(h);
    F.mem_rs_ro = U(dup(F.mem_rs, SK_RIGHT_READ | SK_RIGHT_MAP | D));
    if (sk_space_create(&h) != SK_OK)
        return 0;
    F.space = U(h);
    F.space_ro = U(dup(F.space, SK_RIGHT_READ | D));
    if (sk_universe_create(&h) != SK_OK)
        return 0;
    F.universe = U(h);
    F.universe_ro = U(dup(F.universe, SK_RIGHT_READ | D));
    if (sk_thread_spawn(blocked, NULL, 0, &blocked_thread) != SK_OK)
        return 0;
    F.thread = U(sk_thread_handle(blocked_thread));
    F.thread_ro = U(dup(F.thread, SK_RIGHT_READ | SK_RIGHT_WAIT | D));
    sk_handle_t lanes[2];
    if (sk_stream_create(0, 0, lanes) != SK_OK || sk_token_create(&h) != SK_OK)
        return 0;
    F.lane = U(lanes[0]);
    F.lane_ro = U(dup(F.lane, SK_RIGHT_READ | D));
    F.token = U(h);
    F.token_noread = U(dup(F.token, SK_RIGHT_TRANSFER | D));
    /* a thread that has ended, its handle still open */
    struct sk_thread *ended;
    if (sk_thread_spawn(ends_at_once, NULL, 0, &ended) != SK_OK)
        return 0;
    F.thread_dead = U(dup(sk_thread_handle(ended), SK_RIGHT_MANAGE | SK_RIGHT_READ));
    sk_thread_join(ended);
    F.closed = U(dup(F.mem, SK_RIGHT_READ));
    sk_handle_close((sk_handle_t)F.closed);

    /* at an address of its own, so that the hole punched below stays a hole */
    sk_handle_t scratch;
    uint64_t at = 0x680000000000ull;
    if (sk_memory_create(4 * PG, 0, &scratch) != SK_OK ||
        sk_space_map(SK_THIS_SPACE, scratch, 0, at, 4 * PG, RW_ | SK_MAP_FIXED, &at) != SK_OK)
        return 0;
    void *p = (void *)at;
    F.page = U(p);                          /* page 0: scratch, futex word, thread_create infos */
    F.edge = U(p) + 2 * PG - 8;             /* page 1 ends 8 bytes later; page 2 is unmapped */
    F.unmapped = U(p) + 2 * PG;
    sk_mem_unmap((void *)F.unmapped, PG);
    uint64_t a;
    if (sk_space_map(SK_THIS_SPACE, (sk_handle_t)F.mem_ro, 0, 0, PG, R_, &a) != SK_OK)
        return 0;
    F.ro_page = a;

    F.futex = F.page + 64;
    *(volatile uint64_t *)F.futex = 7;
    void *stack;
    if (sk_mem_map_anon(16 * 1024, RW_, &stack, NULL) != SK_OK)
        return 0;
    struct sk_thread_create *tc = (struct sk_thread_create *)(F.page + 256);
    const struct sk_thread_create ok = {
        .entry = U(exits_at_once),
        .stack = U(stack) + 16 * 1024 - 8,
        .exit_word = 0,
        .priority = SK_THREAD_PRIO_DEFAULT,
        .flags = SK_THREAD_START_STOPPED, /* never runs: closing its only handle ends it */
    };
    for (int i = 0; i < 6; i++)
        tc[i] = ok;
    tc[5].flags = SK_THREAD_START_STOPPED | SK_THREAD_FOREIGN; /* foreign without observed */
    tc[1].priority = SK_THREAD_PRIO_MAX + 1;
    tc[2].flags = 1u << 31;
    tc[3].exit_word = F.futex + 4;
    tc[4].entry = KTEXT;
    F.tc_ok = U(&tc[0]);
    F.tc_prio = U(&tc[1]);
    F.tc_flags = U(&tc[2]);
    F.tc_exitword = U(&tc[3]);
    F.tc_entry = U(&tc[4]);
    F.tc_foreign = U(&tc[5]);

    /* register sets for thread_set_regs (page 1 of the scratch area) */
    struct sk_base_regs *bb = (struct sk_base_regs *)(F.page + PG);
    *bb = (struct sk_base_regs){.fs_base = KPTR};
    F.bases_bad = U(bb);
    struct sk_gregs *g = (struct sk_gregs *)(F.page + PG + 64);
    const struct sk_gregs gok = {.rip = 0x400000, .rsp = 0x500000, .rflags = 0x202, .cs = 0x2b, .ss = 0x23};
    for (int i = 0; i < 3; i++)
        g[i] = gok;
    g[1].cs = 0x1b; /* 32-bit code */
    g[2].rip = NONCANON;
    F.gregs_ok = U(&g[0]);
    F.gregs_bad_cs = U(&g[1]);
    F.gregs_bad_rip = U(&g[2]);
    /* hardware: init passes this program the hardware-access handle */
    const struct sk_start_info *si = sk_start_info();
    F.hw = si ? U(si->hw_access) : 0;
    if (!F.hw)
        return 0;
    F.hw_nomanage = U(dup(F.hw, SK_RIGHT_TRANSFER | D));
    /* GSI 5, level (as QEMU's MADT makes ISA IRQ 5): nothing raises it */
    if (sk_irq_create((sk_handle_t)F.hw, 5, SK_IRQ_GSI | SK_IRQ_LEVEL, &h) != SK_OK)
        return 0;
    F.irq = U(h);
    F.irq_nosignal = U(dup(F.irq, SK_RIGHT_WAIT | D));
    struct sk_irq_msi *msi = (struct sk_irq_msi *)(F.page + 512);
    msi[0] = (struct sk_irq_msi){0};
    msi[1] = (struct sk_irq_msi){.reserved = 1};
    F.msi_ok = U(&msi[0]);
    F.msi_bad = U(&msi[1]);
    return 1;
}

static void teardown(void)
{
    sk_handle_close((sk_handle_t)F.thread_dead);
    sk_atomic_store(&block_word, 1);
    sk_futex_wake(&block_word, 1, NULL);
    sk_thread_join(blocked_thread);
}

/* ---- running rows ---- */

static const struct row *exiting_row;
static int run_exit_row(void *arg)
{
    (void)arg;
    const struct row *r = exiting_row;
    sk_syscall6(r->num, r->a[0], r->a[1], r->a[2], r->a[3], r->a[4], r->a[5], NULL);
    return 0xdead; /* thread_exit returned */
}

/* 1 if the row behaved; otherwise writes what happened to why. */
static int run_row(const struct row *r, char *why, size_t n)
{
    if (r->flags & EXITS) {
        exiting_row = r;
        struct sk_thread *t;
        if (sk_thread_spawn(run_exit_row, NULL, 0, &t) != SK_OK) {
            sk_snprintf(why, n, "cannot start a helper thread");
            return 0;
        }
        uint64_t st = sk_thread_join(t), want = SK_EXIT_DONE | (uint32_t)r->a[0];
        if (st != want) {
            sk_snprintf(why, n, "(%s): exit word 0x%lx, want 0x%lx", r->text, st, want);
            return 0;
        }
        return 1;
    }
    uint64_t val = 0;
    sk_error_t e = sk_syscall6(r->num, r->a[0], r->a[1], r->a[2], r->a[3], r->a[4], r->a[5], &val);
    if (e == SK_OK && (r->flags & CLOSE))
        sk_handle_close((sk_handle_t)val);
    if (e == r->want || e == r->also)
        return 1;
    sk_snprintf(why, n, "(%s) gave %s, want %s", r->text, sk_error_name(e), sk_error_name(r->want));
    return 0;
}

static int run_table(void)
{
    const struct row rows[] = {
#define ROW_INIT(name, want, also, flags, a0, a1, a2, a3, a4, a5) \
    {SK_SYS_##name, want, also, flags, {U(a0), U(a1), U(a2), U(a3), U(a4), U(a5)}, \
     #a0 ", " #a1 ", " #a2 ", " #a3 ", " #a4 ", " #a5},
        ABI_ROWS(ROW_INIT)
#undef ROW_INIT
    };
    static const struct {
        uint32_t num;
        const char *name;
    } calls[] = {
#define CALL(name, index, nargs) {SK_SYS_##name, #name},
        SK_SYSCALLS(CALL)
#undef CALL
    };
    int failed = 0;
    for (unsigned c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        char why[240] = "";
        int nrows = 0, bad = 0;
        for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            if (rows[i].num != calls[c].num)
                continue;
            nrows++;
            char w[200];
            if (!run_row(&rows[i], w, sizeof w) && bad++ == 0)
                sk_snprintf(why, sizeof why, "row %d %s", nrows, w);
        }
        if (bad)
            sk_snprintf(why + strlen(why), sizeof why - strlen(why), " (%d of %d rows failed)", bad, nrows);
        sk_test_report(calls[c].name, bad == 0, why);
        failed += bad != 0;
    }
    return failed;
}

/* ---- cases beyond the table ---- */

/* memory_info's figures are the machine's: some memory free, never more than there is, and
   an allocation touched page by page shows up as fewer free pages. */
SK_TEST(memory_info_counts)
{
    struct sk_memory_info a, b;
    SK_EXPECT_OK(sk_memory_info(&a));
    SK_EXPECT(a.total_pages > 0 && a.free_pages > 0 && a.free_pages <= a.total_pages);
    SK_EXPECT(a.cpus >= 1);
    SK_EXPECT_EQ(a.reserved, 0);
    void *addr;
    sk_handle_t mem;
    SK_EXPECT_OK(sk_mem_map_anon(256 * SK_PAGE_SIZE, SK_PROT_READ | SK_PROT_WRITE, &addr, &mem));
    for (int i = 0; i < 256; i++)
        ((volatile uint8_t *)addr)[i * SK_PAGE_SIZE] = 1;
    SK_EXPECT_OK(sk_memory_info(&b));
    SK_EXPECT(b.free_pages + 200 <= a.free_pages);
    SK_EXPECT_EQ(b.total_pages, a.total_pages);
    sk_mem_unmap(addr, 256 * SK_PAGE_SIZE);
    sk_handle_close(mem);
}

SK_TEST(unknown_numbers)
{
    /* supercalls too, from a thread nobody observes (docs/observation.md) */
    static const uint64_t nums[] = {SK_SYSCALL_BASE + SK_SYSCALL_COUNT, SK_SYSCALL_BASE + 0xffff,
                                    SK_SYSCALL_BASE + 0x0fffffff, SK_SYSCALL_BASE | (1ull << 32),
                                    SK_SUPERCALL_BASE, SK_SUPERCALL_BASE + SK_SUPERCALL_COUNT - 1,
                                    SK_SUPERCALL_BASE + SK_SUPERCALL_COUNT, 0, 60, 231};
    for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++)
        SK_EXPECT_ERR(sk_syscall6(nums[i], 0, 0, 0, 0, 0, 0, NULL), SK_ERR_UNSUPPORTED);
}

/* rbx, rbp, r12-r15 and the argument registers survive a system call; see syscalls.h. */
void abi_syscall_regs(uint64_t num, uint64_t *out);
__asm__(".text\n"
        ".type abi_syscall_regs, @function\n"
        "abi_syscall_regs:\n"
        "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "  push %rsi\n"
        "  mov %rdi, %rax\n"
        "  movabs $0x1111111111111111, %rbx\n  movabs $0x2222222222222222, %rbp\n"
        "  movabs $0x3333333333333333, %r12\n  movabs $0x4444444444444444, %r13\n"
        "  movabs $0x5555555555555555, %r14\n  movabs $0x6666666666666666, %r15\n"
        "  movabs $0x7777777777777777, %rdi\n  movabs $0x8888888888888888, %rsi\n"
        "  movabs $0x9999999999999999, %r8\n  movabs $0xaaaaaaaaaaaaaaaa, %r9\n"
        "  movabs $0xbbbbbbbbbbbbbbbb, %r10\n  movabs $0xcccccccccccccccc, %rdx\n"
        "  syscall\n"
        "  mov (%rsp), %rcx\n"
        "  mov %rbx, 0(%rcx)\n  mov %rbp, 8(%rcx)\n  mov %r12, 16(%rcx)\n  mov %r13, 24(%rcx)\n"
        "  mov %r14, 32(%rcx)\n  mov %r15, 40(%rcx)\n  mov %rdi, 48(%rcx)\n  mov %rsi, 56(%rcx)\n"
        "  mov %r8, 64(%rcx)\n  mov %r9, 72(%rcx)\n  mov %r10, 80(%rcx)\n  mov %rax, 88(%rcx)\n"
        "  add $8, %rsp\n"
        "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
        "  ret\n"
        ".size abi_syscall_regs, . - abi_syscall_regs\n");

SK_TEST(registers_preserved)
{
    static const char *const names[] = {"rbx", "rbp", "r12", "r13", "r14", "r15",
                                        "rdi", "rsi", "r8", "r9", "r10"};
    const uint64_t nums[] = {SK_SYS_nop, SK_SYS_handle_close, SK_SYSCALL_BASE + SK_SYSCALL_COUNT};
    for (unsigned k = 0; k < 3; k++) {
        uint64_t out[12];
        abi_syscall_regs(nums[k], out);
        for (unsigned i = 0; i < 11; i++) {
            uint64_t want = 0x1111111111111111ull * (i + 1);
            if (out[i] != want)
                sk_test_fail(__FILE__, __LINE__, "call 0x%lx changed %s to 0x%lx", nums[k], names[i], out[i]);
        }
        if (k == 0)
            SK_EXPECT_EQ(out[11], SK_OK);
    }
}

/* Rights only shrink: a dup asking for more than the source has never gets it. */
SK_TEST(rights_never_grow)
{
    sk_handle_t h;
    uint64_t info;
    if (sk_handle_dup((sk_handle_t)F.mem_ro, SK_RIGHT_READ | SK_RIGHT_WRITE | SK_RIGHT_MAP, &h) == SK_OK) {
        SK_ASSERT_OK(sk_handle_info(h, &info));
        SK_EXPECT(!(SK_INFO_RIGHTS(info) & SK_RIGHT_WRITE));
        sk_handle_close(h);
    }
    SK_ASSERT_OK(sk_handle_info((sk_handle_t)F.mem_ro, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_MEMORY);
    SK_EXPECT_EQ(SK_INFO_RIGHTS(info), SK_RIGHT_READ | SK_RIGHT_MAP | SK_RIGHT_TRANSFER | SK_RIGHT_DUPLICATE);
    SK_ASSERT_OK(sk_handle_info((sk_handle_t)F.space, &info));
    SK_EXPECT_EQ(SK_INFO_TYPE(info), SK_OBJ_SPACE);
}

/* Closed handles stay dead: a new handle never reuses an old value. */
SK_TEST(handles_not_reused)
{
    sk_handle_t prev = 0;
    for (int i = 0; i < 100; i++) {
        sk_handle_t h;
        SK_ASSERT_OK(sk_memory_create(PG, 0, &h));
        SK_EXPECT(h != (sk_handle_t)F.closed && h != prev && h > 0);
        prev = h;
        SK_ASSERT_OK(sk_handle_close(h));
        SK_EXPECT_ERR(sk_handle_close(h), SK_ERR_BAD_HANDLE);
    }
}

int main(const struct sk_start_info *si)
{
    (void)si;
    /* the plan: one case per system call (the table), then the SK_TEST cases */
    static const char *const call_names[] = {
#define CALL(name, index, nargs) #name,
        SK_SYSCALLS(CALL)
#undef CALL
    };
    sk_test_plan(call_names, (int)(sizeof call_names / sizeof call_names[0]));
    if (!setup()) {
        sk_test_report("fixtures", 0, "could not build the fixtures");
        return 1 + sk_test_run();
    }
    run_table();
    int failed = sk_test_run();
    teardown();
    return failed;
}
