/*
 * Linux reference benchmarks: the cases.
 *
 * Each measures one primitive that Skoll's own benchmarks have (or will have) a
 * counterpart for; docs/bench.md says what each side measures. Iteration counts
 * are sized for QEMU TCG, where one operation costs many times what it does on
 * hardware; `lbscale=` on the kernel command line scales them.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linuxbench.h"

#define PAGE 4096L
/* From <linux/futex.h>, which musl-gcc's include path does not have. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FAULT_REGION (8L << 20)

/* --- null system call ------------------------------------------------------ */

static double null_syscall(long iters)
{
	uint64_t t0 = lb_now_ns();

	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return (double)(lb_now_ns() - t0) / (double)iters;
}

/* --- first-touch page faults ----------------------------------------------- */

/* iters is a page count, rounded up to whole 8 MiB regions. */
static double page_fault(long iters)
{
	long per_region = FAULT_REGION / PAGE;
	long regions = (iters + per_region - 1) / per_region;
	uint64_t total = 0;

	for (long r = 0; r < regions; r++) {
		char *p = mmap(NULL, FAULT_REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return lb_fail("page_fault: mmap");
		/* Debian's THP default is "always": ask for 4 KiB pages so each touch faults. */
		if (madvise(p, FAULT_REGION, MADV_NOHUGEPAGE) != 0)
			return lb_fail("page_fault: madvise");
		uint64_t t0 = lb_now_ns();
		for (long off = 0; off < FAULT_REGION; off += PAGE)
			((volatile char *)p)[off] = 1;
		total += lb_now_ns() - t0;
		munmap(p, FAULT_REGION);
	}
	return (double)total / (double)(regions * per_region);
}

/* --- futex ping-pong between two threads ---------------------------------- */

/* Whose turn it is: 0 the measuring thread, 1 the partner. */
static _Atomic int turn;

struct partner_arg {
	long iters;
	int cpu;
};

static void turn_wait(int me)
{
	int v;

	while ((v = atomic_load(&turn)) != me)
		syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void turn_give(int other)
{
	atomic_store(&turn, other);
	syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *p)
{
	const struct partner_arg *a = p;

	lb_pin(a->cpu);
	for (long i = 0; i < a->iters; i++) {
		turn_wait(1);
		turn_give(0);
	}
	return NULL;
}

/* Returns ns per handoff (half a round trip); the partner runs on partner_cpu. */
static double futex_pingpong(long iters, int partner_cpu)
{
	struct partner_arg arg = { .iters = iters + 1, .cpu = partner_cpu };
	pthread_t th;
	uint64_t t0, t1;

	if (lb_pin(0) != 0)
		return lb_fail("futex: sched_setaffinity");
	atomic_store(&turn, 0);
	if (pthread_create(&th, NULL, partner, &arg) != 0)
		return lb_fail("futex: pthread_create");
	turn_give(1); /* one untimed round trip: the partner is up and pinned */
	turn_wait(0);
	t0 = lb_now_ns();
	for (long i = 0; i < iters; i++) {
		turn_give(1);
		turn_wait(0);
	}
	t1 = lb_now_ns();
	pthread_join(th, NULL);
	lb_unpin();
	return (double)(t1 - t0) / (double)iters / 2.0;
}

static double thread_switch(long iters)
{
	return futex_pingpong(iters, 0);
}

static double futex_pingpong_2cpu(long iters)
{
	return futex_pingpong(iters, 1);
}

/* --- eventfd ping-pong between two threads on two CPUs --------------------- */

/* Each thread blocks in read() on its own eventfd until the other writes it: the
 * Linux counterpart of two Skoll threads asleep in queue_drive waking each other
 * with events (bench-async drive_wait_wakeup_ns). */
static int efd_main, efd_partner;

static void *eventfd_partner(void *p)
{
	long iters = *(const long *)p;
	uint64_t v;

	lb_pin(1);
	for (long i = 0; i < iters; i++) {
		if (read(efd_partner, &v, sizeof v) != sizeof v)
			break;
		v = 1;
		if (write(efd_main, &v, sizeof v) != sizeof v)
			break;
	}
	return NULL;
}

/* Returns ns per handoff (half a round trip). */
static double eventfd_pingpong_2cpu(long iters)
{
	long total = iters + 1;
	pthread_t th;
	uint64_t v = 1, t0, t1;

	efd_main = eventfd(0, 0);
	efd_partner = eventfd(0, 0);
	if (efd_main < 0 || efd_partner < 0)
		return lb_fail("eventfd: eventfd");
	if (lb_pin(0) != 0)
		return lb_fail("eventfd: sched_setaffinity");
	if (pthread_create(&th, NULL, eventfd_partner, &total) != 0)
		return lb_fail("eventfd: pthread_create");
	/* one untimed round trip: the partner is up and pinned */
	if (write(efd_partner, &v, sizeof v) != sizeof v || read(efd_main, &v, sizeof v) != sizeof v)
		return lb_fail("eventfd: read/write");
	t0 = lb_now_ns();
	for (long i = 0; i < iters; i++) {
		v = 1;
		if (write(efd_partner, &v, sizeof v) != sizeof v ||
		    read(efd_main, &v, sizeof v) != sizeof v)
			return lb_fail("eventfd: read/write");
	}
	t1 = lb_now_ns();
	pthread_join(th, NULL);
	close(efd_main);
	close(efd_partner);
	lb_unpin();
	return (double)(t1 - t0) / (double)iters / 2.0;
}

/* --- one byte back and forth between two processes ------------------------ */

/* The parent writes on `out`, reads on `in`; the child echoes from `c_in` to
 * `c_out` until end of file. Both run on CPU 0. Returns ns per round trip. */
static double byte_roundtrip(long iters, int out, int in, int c_in, int c_out, const char *what)
{
	char c = 'x';
	pid_t pid;
	uint64_t t0, t1;

	if (lb_pin(0) != 0)
		return lb_fail("roundtrip: sched_setaffinity");
	pid = fork();
	if (pid < 0)
		return lb_fail("roundtrip: fork");
	if (pid == 0) {
		close(out);
		close(in);
		while (read(c_in, &c, 1) == 1)
			if (write(c_out, &c, 1) != 1)
				break;
		_exit(0);
	}
	close(c_in);
	close(c_out);
	if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1) /* untimed: child is up */
		return lb_fail(what);
	t0 = lb_now_ns();
	for (long i = 0; i < iters; i++)
		if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1)
			return lb_fail(what);
	t1 = lb_now_ns();
	close(out);
	close(in);
	waitpid(pid, NULL, 0);
	lb_unpin();
	return (double)(t1 - t0) / (double)iters;
}

static double pipe_roundtrip(long iters)
{
	int to_child[2], to_parent[2];

	if (pipe(to_child) != 0 || pipe(to_parent) != 0)
		return lb_fail("pipe_roundtrip: pipe");
	return byte_roundtrip(iters, to_child[1], to_parent[0], to_child[0], to_parent[1],
			      "pipe_roundtrip: read/write");
}

static double unix_socket_roundtrip(long iters)
{
	int sv[2], dup_parent, dup_child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return lb_fail("unix_socket_roundtrip: socketpair");
	/* byte_roundtrip closes each fd once; give each side two descriptors. */
	dup_parent = dup(sv[0]);
	dup_child = dup(sv[1]);
	if (dup_parent < 0 || dup_child < 0)
		return lb_fail("unix_socket_roundtrip: dup");
	return byte_roundtrip(iters, sv[0], dup_parent, sv[1], dup_child,
			      "unix_socket_roundtrip: read/write");
}

/* Sized so each case takes one to three seconds under TCG on a 2-core host. */
const struct lb_case lb_cases[] = {
	{ "null_syscall_ns", "getppid() calls", 200000, 7, 1, null_syscall },
	{ "thread_switch_ns", "futex round trips on one CPU (value per handoff)", 10000, 7, 1,
	  thread_switch },
	{ "page_fault_ns", "first-touch write faults (8 MiB regions)", 4096, 9, 1, page_fault },
	{ "futex_pingpong_2cpu_ns", "futex round trips across two CPUs (value per handoff)", 4000,
	  7, 2, futex_pingpong_2cpu },
	{ "eventfd_pingpong_2cpu_ns", "eventfd round trips across two CPUs (value per handoff)",
	  4000, 7, 2, eventfd_pingpong_2cpu },
	{ "pipe_roundtrip_ns", "one-byte round trips over two pipes on one CPU", 3000, 7, 1,
	  pipe_roundtrip },
	{ "unix_socket_roundtrip_ns", "one-byte round trips over a socketpair on one CPU", 3000, 7,
	  1, unix_socket_roundtrip },
};
const int lb_ncases = sizeof(lb_cases) / sizeof(lb_cases[0]);
