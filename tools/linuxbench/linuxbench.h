/*
 * Linux reference benchmarks: the shared harness interface.
 *
 * The program runs as /init of a tiny initramfs under Debian's kernel (see
 * tools/linux_bench.py and docs/bench.md) or as an ordinary host program. Each
 * case returns its figure for one repetition in its own unit: the cost of one
 * operation in nanoseconds ("ns", lower is better) or a throughput in MB/s
 * ("MB/s", 10^6 bytes per second, higher is better); main.c repeats it, takes
 * the median and prints `linux <name> <value> <unit>`.
 */
#pragma once

#include <stdint.h>

/* One benchmark: run() does `iters` operations and returns the figure in
 * `unit` (ns per operation, or MB/s over the whole repetition), or a negative
 * value when it could not run (the reason already printed). */
struct lb_case {
	const char *name;
	const char *unit;     /* "ns" or "MB/s"; the name ends in _ns or _mbps to match */
	const char *what;     /* one phrase for the comment line */
	long iters;           /* operations per repetition */
	int reps;             /* timed repetitions (one untimed warm-up precedes them) */
	int min_cpus;         /* skipped when fewer CPUs are online */
	double (*run)(long iters);
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t lb_now_ns(void);

/* Pins the calling thread to one CPU; returns 0 or -1 (errno set). */
int lb_pin(int cpu);

/* Lets the calling thread run on every online CPU again. */
void lb_unpin(void);

/* Prints `# <msg>: <strerror(errno)>` and returns -1.0 for run() to pass on. */
double lb_fail(const char *msg);

/* The cases between two processes (ipc.c), for lb_cases. */
double lb_pipe_roundtrip_1cpu(long iters);
double lb_pipe_roundtrip_2cpu(long iters);
double lb_unix_roundtrip_1cpu(long iters);
double lb_unix_roundtrip_2cpu(long iters);
double lb_futex_roundtrip_1cpu(long iters);
double lb_futex_roundtrip_2cpu(long iters);
double lb_pipe_inflight64(long iters);
double lb_pipe_inflight64_bulk(long iters);
double lb_pipe_inflight64_1cpu(long iters);
double lb_pipe_bandwidth_4k(long iters);
double lb_pipe_bandwidth_1m(long iters);
double lb_pipe_bandwidth_4k_1cpu(long iters);
double lb_pipe_bandwidth_1m_1cpu(long iters);
double lb_pipe1m_bandwidth_1m(long iters);
double lb_pvm_bandwidth_1m(long iters);

/* io_uring nops, 1, 16 or 128 per io_uring_enter (uring.c), for lb_cases. */
double lb_uring_nop_1(long iters);
double lb_uring_nop_16(long iters);
double lb_uring_nop_128(long iters);

extern const struct lb_case lb_cases[];
extern const int lb_ncases;
