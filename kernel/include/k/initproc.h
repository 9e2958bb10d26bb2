/* Starting the first user program, bin/init, from the boot archive. */
#pragma once
#include <stdint.h>
#include <skoll/errors.h>

struct thread;

/*
 * Load and start bin/init (see docs/abi.md, "Program start-up"). on_exit runs in the
 * init thread's context when it ends, with its exit status. Returns SK_OK and the
 * thread (with a reference) in *out, or an error (nothing is left behind).
 */
sk_error_t initproc_start(void (*on_exit)(struct thread *t, uint64_t status), struct thread **out);
