/*
 * Futexes: wait while a 64-bit user word holds an expected value, wake waiters.
 * Keyed by (memory object, offset), so they work across processes sharing memory.
 */
#pragma once
#include <stdint.h>
#include <skoll/errors.h>

struct thread;

/*
 * Block the current thread while the 8-byte-aligned word at uaddr equals expected,
 * until woken or timeout_ns passes (SK_TIMEOUT_NEVER: no limit). Returns SK_OK
 * (woken), SK_ERR_AGAIN (value differed), SK_ERR_TIMEOUT, SK_ERR_ALIGNMENT,
 * SK_ERR_FAULT, SK_ERR_DEAD (the thread is being killed) or SK_ERR_ALERTED (an
 * observer asked the thread to stop: futex_interrupt).
 */
sk_error_t futex_wait_user(uint64_t uaddr, uint64_t expected, uint64_t timeout_ns);
/*
 * Wake up to count waiters on the word at uaddr (current space); *woken says how many.
 * Returns SK_OK, SK_ERR_ALIGNMENT or SK_ERR_FAULT (not mapped).
 */
sk_error_t futex_wake_user(uint64_t uaddr, uint32_t count, uint32_t *woken);
/* Take t off whatever futex it waits on (it is being killed). */
void futex_cancel_wait(struct thread *t);
/*
 * t->obs.stop_request has just been set: if t waits on a futex, end the wait
 * with SK_ERR_ALERTED and wake it. A waiter that is about to sleep sees the
 * request itself. Returns 1 if it woke t. No locks held.
 */
int futex_interrupt(struct thread *t);
