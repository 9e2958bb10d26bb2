/*
 * Linux reference benchmarks: io_uring nops, the counterpart of Skoll's
 * asynchronous nops (bench-async async_nop_<N>_ns, async_nop_raw_128_ns).
 *
 * One thread, one ring of 128 submission entries, no SQPOLL thread: N
 * IORING_OP_NOP entries are written into the submission ring, one
 * io_uring_enter(N, N, IORING_ENTER_GETEVENTS) submits them and (they complete
 * inline) returns with their N completions, which are read straight out of the
 * completion ring (result and user_data checked) and released with one store of
 * the head. That is the raw ABI, as bench-async's raw row uses Skoll's: no
 * liburing (the project installs only musl-tools; musl-gcc sees no kernel
 * headers, so the few structures needed are declared here and checked against
 * the layout in <linux/io_uring.h>).
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linuxbench.h"

/* From <linux/io_uring.h> (6.1). */
#define IORING_OP_NOP 0
#define IORING_ENTER_GETEVENTS 1u
#define IORING_FEAT_SINGLE_MMAP 1u
#define IORING_OFF_SQ_RING 0ull
#define IORING_OFF_CQ_RING 0x8000000ull
#define IORING_OFF_SQES 0x10000000ull

struct uring_sq_off {
	uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
	uint64_t resv2;
};

struct uring_cq_off {
	uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
	uint64_t resv2;
};

struct uring_params {
	uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd;
	uint32_t resv[3];
	struct uring_sq_off sq_off;
	struct uring_cq_off cq_off;
};

struct uring_sqe {
	uint8_t opcode, flags;
	uint16_t ioprio;
	int32_t fd;
	uint64_t off, addr;
	uint32_t len, op_flags;
	uint64_t user_data;
	uint64_t pad[3];
};

struct uring_cqe {
	uint64_t user_data;
	int32_t res;
	uint32_t flags;
};

_Static_assert(sizeof(struct uring_params) == 120, "io_uring_params is 120 bytes");
_Static_assert(offsetof(struct uring_params, sq_off) == 40, "sq_off at 40");
_Static_assert(offsetof(struct uring_params, cq_off) == 80, "cq_off at 80");
_Static_assert(sizeof(struct uring_sqe) == 64, "an SQE is 64 bytes");
_Static_assert(offsetof(struct uring_sqe, user_data) == 32, "user_data at 32");
_Static_assert(sizeof(struct uring_cqe) == 16, "a CQE is 16 bytes");

#define RING_ENTRIES 128

/* The ring, set up once and kept for every repetition of every batch size. */
static struct {
	int fd;
	_Atomic uint32_t *sq_tail, *cq_head, *cq_tail;
	uint32_t sq_mask, cq_mask;
	struct uring_sqe *sqes;
	const struct uring_cqe *cqes;
} R = { .fd = -1 };

static void *ring_map(size_t size, uint64_t off)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, R.fd,
		       (off_t)off);
	return p == MAP_FAILED ? NULL : p;
}

/* Returns 0, or -1 having printed why. */
static int ring_setup(void)
{
	struct uring_params p;
	size_t sq_size, cq_size;
	char *sq, *cq;
	uint32_t *array;

	if (R.fd >= 0)
		return 0;
	memset(&p, 0, sizeof p);
	R.fd = (int)syscall(SYS_io_uring_setup, RING_ENTRIES, &p);
	if (R.fd < 0)
		return (int)lb_fail("io_uring: io_uring_setup");
	sq_size = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		sq_size = sq_size > cq_size ? sq_size : cq_size;
		sq = cq = ring_map(sq_size, IORING_OFF_SQ_RING);
	} else {
		sq = ring_map(sq_size, IORING_OFF_SQ_RING);
		cq = ring_map(cq_size, IORING_OFF_CQ_RING);
	}
	R.sqes = ring_map(p.sq_entries * sizeof(struct uring_sqe), IORING_OFF_SQES);
	if (!sq || !cq || !R.sqes) {
		lb_fail("io_uring: mmap");
		close(R.fd);
		R.fd = -1;
		return -1;
	}
	R.sq_tail = (_Atomic uint32_t *)(sq + p.sq_off.tail);
	R.sq_mask = *(uint32_t *)(sq + p.sq_off.ring_mask);
	R.cq_head = (_Atomic uint32_t *)(cq + p.cq_off.head);
	R.cq_tail = (_Atomic uint32_t *)(cq + p.cq_off.tail);
	R.cq_mask = *(uint32_t *)(cq + p.cq_off.ring_mask);
	R.cqes = (const struct uring_cqe *)(cq + p.cq_off.cqes);
	/* The SQ ring holds indices into the SQE array: slot i names SQE i, once for all. */
	array = (uint32_t *)(sq + p.sq_off.array);
	for (uint32_t i = 0; i < p.sq_entries; i++)
		array[i] = i;
	return 0;
}

/* `iters` nops (rounded up to whole batches), `batch` per io_uring_enter. Returns ns per
 * nop. */
static double uring_nops(long iters, uint32_t batch)
{
	uint32_t tail, head;
	long bad = 0, seen = 0, done;
	uint64_t t0, t1;

	if (ring_setup() != 0)
		return -1.0;
	tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);
	head = atomic_load_explicit(R.cq_head, memory_order_relaxed);
	t0 = lb_now_ns();
	for (done = 0; done < iters; done += batch) {
		for (uint32_t i = 0; i < batch; i++) {
			struct uring_sqe *e = &R.sqes[(tail + i) & R.sq_mask];

			memset(e, 0, sizeof *e);
			e->opcode = IORING_OP_NOP;
			e->user_data = (uint64_t)(done + i);
		}
		tail += batch;
		atomic_store_explicit(R.sq_tail, tail, memory_order_release);
		if (syscall(SYS_io_uring_enter, R.fd, batch, batch, IORING_ENTER_GETEVENTS, NULL,
			    0) != (long)batch)
			return lb_fail("io_uring: io_uring_enter");
		uint32_t end = atomic_load_explicit(R.cq_tail, memory_order_acquire);
		for (long i = 0; head != end; head++, i++, seen++) {
			const struct uring_cqe *c = &R.cqes[head & R.cq_mask];

			bad += c->res != 0 || c->user_data != (uint64_t)(done + i);
		}
		atomic_store_explicit(R.cq_head, head, memory_order_release);
	}
	t1 = lb_now_ns();
	if (seen != done || bad) {
		printf("# io_uring: %ld of %ld nops completed, %ld wrong\n", seen, done, bad);
		return -1.0;
	}
	return (double)(t1 - t0) / (double)done;
}

double lb_uring_nop_1(long iters)
{
	return uring_nops(iters, 1);
}

double lb_uring_nop_16(long iters)
{
	return uring_nops(iters, 16);
}

double lb_uring_nop_128(long iters)
{
	return uring_nops(iters, 128);
}
