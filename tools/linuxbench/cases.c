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
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linuxbench.h"

#define PAGE 4096L
/* From <linux/futex.h>, which musl-gcc's include path does not have. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FAULT_REGION (8L << 20)
/* x86's system-call emulation request (<asm/ptrace-abi.h>); musl's <sys/ptrace.h> has it,
 * this is for a libc that does not. */
#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

/* --- null system call ------------------------------------------------------ */

static double null_syscall(long iters)
{
	uint64_t t0 = lb_now_ns();

	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return (double)(lb_now_ns() - t0) / (double)iters;
}

/* --- first-touch page faults ----------------------------------------------- */

/* Faults `iters` pages, in fresh 8 MiB regions (the last one partly used). */
static double page_fault(long iters)
{
	long per_region = FAULT_REGION / PAGE;
	uint64_t total = 0;

	for (long done = 0; done < iters; done += per_region) {
		long n = iters - done < per_region ? iters - done : per_region;
		char *p = mmap(NULL, FAULT_REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return lb_fail("page_fault: mmap");
		/* Debian's THP default is "always": ask for 4 KiB pages so each touch faults. */
		if (madvise(p, FAULT_REGION, MADV_NOHUGEPAGE) != 0)
			return lb_fail("page_fault: madvise");
		uint64_t t0 = lb_now_ns();
		for (long off = 0; off < n * PAGE; off += PAGE)
			((volatile char *)p)[off] = 1;
		total += lb_now_ns() - t0;
		munmap(p, FAULT_REGION);
	}
	return (double)total / (double)iters;
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

/* --- system-call interception: ptrace(PTRACE_SYSEMU) ------------------------ */

/* The Linux counterpart of Skoll's thread observation (bench-core observe_roundtrip_ns):
 * the tracee makes a system call, the kernel stops it at syscall entry without executing
 * the call (PTRACE_SYSEMU) and reports the stop to the tracer's waitpid(); the tracer
 * resumes it with PTRACE_SYSEMU again, until its next system call stops it. This is how a
 * user-space emulator (User-Mode Linux, gVisor's ptrace platform, Skoll's POSIX server)
 * intercepts calls. Tracer and tracee both run on CPU 0. */

/* The tracee's system call, without libc: getppid(). (musl's syscall() would store the
 * -ENOSYS an unanswered emulated call returns in errno, which a CLONE_VM tracee shares
 * with the tracer's thread.) */
static inline long raw_getppid(void)
{
	long ret = SYS_getppid;

	__asm__ volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
	return ret;
}

/* The tracee: stops itself for the tracer to take over, then makes system calls until
 * it is killed. Never returns. */
static int sysemu_tracee(void *unused)
{
	(void)unused;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
		_exit(1);
	kill(getpid(), SIGSTOP);
	for (;;)
		raw_getppid();
}

/* One round trip: resume the tracee with PTRACE_SYSEMU and wait for its next system call
 * to stop it. With regs, the tracer also does what an emulator must: read the registers
 * (to see the call, which it checks is getppid) and write the result into rax. */
static int sysemu_step(pid_t pid, int regs, long result)
{
	int st;

	if (regs) {
		struct user_regs_struct r;

		if (ptrace(PTRACE_GETREGS, pid, NULL, &r) != 0 || r.orig_rax != SYS_getppid)
			return -1;
		r.rax = (unsigned long)result;
		if (ptrace(PTRACE_SETREGS, pid, NULL, &r) != 0)
			return -1;
	}
	if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL) != 0)
		return -1;
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st) ||
	    (WSTOPSIG(st) & 0x7f) != SIGTRAP)
		return -1;
	return 0;
}

#define SYSEMU_STACK (64L << 10)

/* Returns ns per round trip. The tracee is a forked process (its own address space, as a
 * POSIX process under Skoll's server would be) or, with shared_vm, a clone(CLONE_VM)
 * process sharing the tracer's address space (as Skoll's observed thread does), so no
 * address-space switch is paid. */
static double sysemu_roundtrip(long iters, int regs, int shared_vm)
{
	static char *stack;
	pid_t pid;
	int st;
	uint64_t t0, t1;

	if (lb_pin(0) != 0)
		return lb_fail("sysemu: sched_setaffinity");
	if (shared_vm) {
		if (!stack && !(stack = malloc(SYSEMU_STACK)))
			return lb_fail("sysemu: malloc");
		/* no CLONE_THREAD: a tracer cannot trace its own thread group */
		pid = clone(sysemu_tracee, stack + SYSEMU_STACK, CLONE_VM | SIGCHLD, NULL);
	} else {
		pid = fork();
		if (pid == 0)
			sysemu_tracee(NULL);
	}
	if (pid < 0)
		return lb_fail("sysemu: fork/clone");
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		return lb_fail("sysemu: tracee did not stop");
	}
	/* PTRACE_O_EXITKILL: the tracee dies with us. Untimed: the first SYSEMU leaves the
	 * SIGSTOP (delivering no signal) and stops at the first getppid(). */
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_EXITKILL) != 0 ||
	    sysemu_step(pid, 0, 0) != 0)
		goto fail;
	t0 = lb_now_ns();
	for (long i = 0; i < iters; i++)
		if (sysemu_step(pid, regs, i) != 0)
			goto fail;
	t1 = lb_now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	lb_unpin();
	return (double)(t1 - t0) / (double)iters;
fail:
	lb_fail("sysemu: ptrace/waitpid");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	return -1.0;
}

static double observe_roundtrip(long iters)
{
	return sysemu_roundtrip(iters, 0, 0);
}

static double observe_roundtrip_regs(long iters)
{
	return sysemu_roundtrip(iters, 1, 0);
}

static double observe_roundtrip_sharedvm(long iters)
{
	return sysemu_roundtrip(iters, 0, 1);
}

/* Sized so a repetition takes 0.03 to 0.5 s under TCG on a quiet 2-core host (main.c
 * shortens the repetitions when the host is too slow for them).
 * { name, unit, what, iterations, repetitions, CPUs needed, run } */
const struct lb_case lb_cases[] = {
	{ "null_syscall_ns", "ns", "getppid() calls", 200000, 7, 1, null_syscall },
	{ "thread_switch_ns", "ns", "futex round trips on one CPU (value per handoff)", 10000, 7,
	  1, thread_switch },
	{ "page_fault_ns", "ns", "first-touch write faults (8 MiB regions)", 4096, 9, 1,
	  page_fault },
	{ "futex_pingpong_2cpu_ns", "ns", "futex round trips across two CPUs (value per handoff)",
	  4000, 7, 2, futex_pingpong_2cpu },
	{ "eventfd_pingpong_2cpu_ns", "ns",
	  "eventfd round trips across two CPUs (value per handoff)", 4000, 7, 2,
	  eventfd_pingpong_2cpu },
	/* io_uring (uring.c): nops per io_uring_enter, per nop */
	{ "uring_nop_1_ns", "ns", "io_uring nops, 1 per io_uring_enter (value per nop)", 131072,
	  7, 1, lb_uring_nop_1 },
	{ "uring_nop_16_ns", "ns", "io_uring nops, 16 per io_uring_enter (value per nop)",
	  131072, 7, 1, lb_uring_nop_16 },
	{ "uring_nop_128_ns", "ns", "io_uring nops, 128 per io_uring_enter (value per nop)",
	  131072, 7, 1, lb_uring_nop_128 },
	/* between two processes (ipc.c) */
	{ "pipe_roundtrip_1cpu_ns", "ns", "16-byte round trips over two pipes, one CPU", 2000, 7,
	  1, lb_pipe_roundtrip_1cpu },
	{ "pipe_roundtrip_2cpu_ns", "ns", "16-byte round trips over two pipes, two CPUs", 2000, 7,
	  2, lb_pipe_roundtrip_2cpu },
	{ "unix_roundtrip_1cpu_ns", "ns",
	  "16-byte round trips over a SEQPACKET socketpair, one CPU", 2000, 7, 1,
	  lb_unix_roundtrip_1cpu },
	{ "unix_roundtrip_2cpu_ns", "ns",
	  "16-byte round trips over a SEQPACKET socketpair, two CPUs", 2000, 7, 2,
	  lb_unix_roundtrip_2cpu },
	{ "futex_roundtrip_1cpu_ns", "ns", "round trips through a shared futex word, one CPU",
	  2000, 7, 1, lb_futex_roundtrip_1cpu },
	{ "futex_roundtrip_2cpu_ns", "ns", "round trips through a shared futex word, two CPUs",
	  2000, 7, 2, lb_futex_roundtrip_2cpu },
	{ "pipe_inflight64_ns", "ns",
	  "16-byte requests and replies over pipes, 64 in flight, two CPUs", 20000, 7, 2,
	  lb_pipe_inflight64 },
	{ "pipe_inflight64_bulk_ns", "ns",
	  "16-byte requests and replies over pipes, 64 in flight, each read taking every whole "
	  "message there is and one write answering them, two CPUs", 20000, 7, 2,
	  lb_pipe_inflight64_bulk },
	{ "pipe_inflight64_1cpu_ns", "ns",
	  "16-byte requests and replies over pipes, 64 in flight, one CPU", 10000, 7, 1,
	  lb_pipe_inflight64_1cpu },
	{ "pipe_bandwidth_4k_mbps", "MB/s", "4 KiB writes through a pipe, two CPUs", 8000, 7, 2,
	  lb_pipe_bandwidth_4k },
	{ "pipe_bandwidth_1m_mbps", "MB/s", "1 MiB writes through a pipe, two CPUs", 32, 7, 2,
	  lb_pipe_bandwidth_1m },
	{ "pipe1m_bandwidth_1m_mbps", "MB/s",
	  "1 MiB writes through a pipe enlarged to 1 MiB (F_SETPIPE_SZ), two CPUs", 32, 7, 2,
	  lb_pipe1m_bandwidth_1m },
	{ "pvm_bandwidth_1m_mbps", "MB/s",
	  "1 MiB process_vm_writev() calls into 8 slots of the reader, 8 in flight, two CPUs", 48,
	  7, 2, lb_pvm_bandwidth_1m },
	{ "pipe_bandwidth_4k_1cpu_mbps", "MB/s", "4 KiB writes through a pipe, one CPU", 8000, 7,
	  1, lb_pipe_bandwidth_4k_1cpu },
	{ "pipe_bandwidth_1m_1cpu_mbps", "MB/s", "1 MiB writes through a pipe, one CPU", 32, 7, 1,
	  lb_pipe_bandwidth_1m_1cpu },
	{ "observe_roundtrip_ns", "ns", "PTRACE_SYSEMU round trips, forked tracee, one CPU", 2000,
	  7, 1, observe_roundtrip },
	{ "observe_roundtrip_regs_ns", "ns",
	  "PTRACE_SYSEMU round trips with GETREGS+SETREGS, forked tracee, one CPU", 2000, 7, 1,
	  observe_roundtrip_regs },
	{ "observe_roundtrip_sharedvm_ns", "ns",
	  "PTRACE_SYSEMU round trips, CLONE_VM tracee, one CPU", 2000, 7, 1,
	  observe_roundtrip_sharedvm },
};
const int lb_ncases = sizeof(lb_cases) / sizeof(lb_cases[0]);
