/*
 * Linux reference benchmarks: request/reply and bulk transfer between two
 * processes, the counterparts of Skoll's IPC benchmarks (ipc_* rows,
 * docs/bench.md).
 *
 * Every case forks: client (the measuring parent) and server (the child) are
 * processes with their own address spaces, as a Skoll client and server are.
 * The parent pins itself to CPU 0 before forking; the child pins itself to
 * `server_cpu` (0 or 1) and answers one untimed request before the clock
 * starts, so the placement is settled when timing begins. Requests and replies
 * are 16 bytes: a sequence number the server answers with its successor (the
 * client checks it) and 8 bytes of padding.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linuxbench.h"

/* From <linux/futex.h>, which musl-gcc's include path does not have. Without the
 * PRIVATE flag: the futex word is shared between two address spaces. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

#define INFLIGHT 64
#define BULK_MAX (1L << 20)

/* One request or reply. */
struct msg {
	uint64_t seq;
	uint64_t pad;
};
_Static_assert(sizeof(struct msg) == 16, "16-byte messages");

/* read()/write() until n bytes moved. Return 0, or -1 on an error or end of file. */
static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void close_both(int a, int b)
{
	close(a);
	if (b != a)
		close(b);
}

/* Pins the parent to CPU 0 and forks; the child pins itself to server_cpu.
 * Returns fork()'s result (the child exits at once if it cannot pin). */
static pid_t fork_pinned(int server_cpu)
{
	pid_t pid;

	if (lb_pin(0) != 0)
		return -1;
	pid = fork();
	if (pid == 0 && lb_pin(server_cpu) != 0)
		_exit(1);
	return pid;
}

/* --- request/reply over file descriptors (pipes, a socketpair) -------------- */

/* The two ends of a request/reply channel: the client writes requests on c_out and
 * reads replies on c_in; the server reads on s_in and writes on s_out. For a
 * socketpair each side's two descriptors are the same. */
struct chan {
	int c_out, c_in, s_in, s_out;
};

/* The server: answers each request until end of file. Never returns. */
static void fd_server(const struct chan *ch)
{
	struct msg m;

	close_both(ch->c_out, ch->c_in);
	while (read_full(ch->s_in, &m, sizeof m) == 0) {
		m.seq++;
		if (write_full(ch->s_out, &m, sizeof m) != 0)
			break;
	}
	_exit(0);
}

/* Closes the client's ends (the server sees end of file and exits) and reaps it. */
static void fd_stop(const struct chan *ch, pid_t pid)
{
	close_both(ch->c_out, ch->c_in);
	waitpid(pid, NULL, 0);
	lb_unpin();
}

/* The server reading in bulk: whatever whole requests one read brings (at most
 * INFLIGHT), answered with one write. Never returns. */
static void fd_server_bulk(const struct chan *ch)
{
	struct msg buf[INFLIGHT];
	size_t have = 0;

	close_both(ch->c_out, ch->c_in);
	for (;;) {
		ssize_t r = read(ch->s_in, (char *)buf + have, sizeof buf - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		size_t whole = have / sizeof buf[0];
		for (size_t i = 0; i < whole; i++)
			buf[i].seq++;
		if (whole && write_full(ch->s_out, buf, whole * sizeof buf[0]) != 0)
			break;
		have -= whole * sizeof buf[0];
		memmove(buf, buf + whole, have);
	}
	_exit(0);
}

/* Forks the server (fd_server, or fd_server_bulk if bulk) and makes one untimed round
 * trip. Returns the server's pid, or -1 having printed why (the client's descriptors are
 * then closed). */
static pid_t fd_start_server(const struct chan *ch, int server_cpu, const char *what, int bulk)
{
	struct msg m = { 0, 0 };
	pid_t pid = fork_pinned(server_cpu);

	if (pid < 0) {
		lb_fail(what);
		close_both(ch->c_out, ch->c_in);
		close_both(ch->s_in, ch->s_out);
		lb_unpin();
		return -1;
	}
	if (pid == 0) {
		if (bulk)
			fd_server_bulk(ch);
		fd_server(ch);
	}
	close_both(ch->s_in, ch->s_out);
	if (write_full(ch->c_out, &m, sizeof m) != 0 || read_full(ch->c_in, &m, sizeof m) != 0 ||
	    m.seq != 1) {
		lb_fail(what);
		fd_stop(ch, pid);
		return -1;
	}
	return pid;
}

static pid_t fd_start(const struct chan *ch, int server_cpu, const char *what)
{
	return fd_start_server(ch, server_cpu, what, 0);
}

/* One request, then its reply, `iters` times. Returns ns per round trip. */
static double fd_roundtrip(const struct chan *ch, long iters, int server_cpu, const char *what)
{
	struct msg m = { 0, 0 };
	uint64_t t0, t1;
	pid_t pid = fd_start(ch, server_cpu, what);

	if (pid < 0)
		return -1.0;
	t0 = lb_now_ns();
	for (long i = 0; i < iters; i++) {
		m.seq = (uint64_t)i;
		if (write_full(ch->c_out, &m, sizeof m) != 0 ||
		    read_full(ch->c_in, &m, sizeof m) != 0 || m.seq != (uint64_t)i + 1) {
			lb_fail(what);
			fd_stop(ch, pid);
			return -1.0;
		}
	}
	t1 = lb_now_ns();
	fd_stop(ch, pid);
	return (double)(t1 - t0) / (double)iters;
}

static int pipe_chan(struct chan *ch)
{
	int req[2], rep[2];

	if (pipe(req) != 0)
		return -1;
	if (pipe(rep) != 0) {
		close_both(req[0], req[1]);
		return -1;
	}
	*ch = (struct chan){ .c_out = req[1], .c_in = rep[0], .s_in = req[0], .s_out = rep[1] };
	return 0;
}

/* SOCK_SEQPACKET: like Skoll's sends, each write is one message, delivered whole. */
static int unix_chan(struct chan *ch)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	*ch = (struct chan){ .c_out = sv[0], .c_in = sv[0], .s_in = sv[1], .s_out = sv[1] };
	return 0;
}

static double pipe_roundtrip(long iters, int server_cpu)
{
	struct chan ch;

	if (pipe_chan(&ch) != 0)
		return lb_fail("pipe_roundtrip: pipe");
	return fd_roundtrip(&ch, iters, server_cpu, "pipe_roundtrip: fork/read/write");
}

static double unix_roundtrip(long iters, int server_cpu)
{
	struct chan ch;

	if (unix_chan(&ch) != 0)
		return lb_fail("unix_roundtrip: socketpair");
	return fd_roundtrip(&ch, iters, server_cpu, "unix_roundtrip: fork/read/write");
}

double lb_pipe_roundtrip_1cpu(long iters)
{
	return pipe_roundtrip(iters, 0);
}

double lb_pipe_roundtrip_2cpu(long iters)
{
	return pipe_roundtrip(iters, 1);
}

double lb_unix_roundtrip_1cpu(long iters)
{
	return unix_roundtrip(iters, 0);
}

double lb_unix_roundtrip_2cpu(long iters)
{
	return unix_roundtrip(iters, 1);
}

/* --- many requests in flight over pipes ------------------------------------ */

/* The client writes INFLIGHT requests, then for each reply it reads writes one more
 * request until `iters` were sent: INFLIGHT requests are outstanding all the time (at
 * most 1 KiB in each pipe, so no write blocks). Returns ns per request and reply. */
static double pipe_inflight(long iters, int server_cpu)
{
	struct chan ch;
	struct msg m = { 0, 0 };
	long sent = 0;
	uint64_t t0, t1;
	pid_t pid;

	if (pipe_chan(&ch) != 0)
		return lb_fail("pipe_inflight: pipe");
	pid = fd_start(&ch, server_cpu, "pipe_inflight: fork/read/write");
	if (pid < 0)
		return -1.0;
	t0 = lb_now_ns();
	for (; sent < iters && sent < INFLIGHT; sent++) {
		m.seq = (uint64_t)sent;
		if (write_full(ch.c_out, &m, sizeof m) != 0)
			goto fail;
	}
	for (long got = 0; got < iters; got++) {
		/* one pipe, one server: replies come back in order */
		if (read_full(ch.c_in, &m, sizeof m) != 0 || m.seq != (uint64_t)got + 1)
			goto fail;
		if (sent < iters) {
			m.seq = (uint64_t)sent++;
			if (write_full(ch.c_out, &m, sizeof m) != 0)
				goto fail;
		}
	}
	t1 = lb_now_ns();
	fd_stop(&ch, pid);
	return (double)(t1 - t0) / (double)iters;
fail:
	lb_fail("pipe_inflight: read/write");
	fd_stop(&ch, pid);
	return -1.0;
}

/* The same load with both sides reading in bulk, as a reader of a Skoll receive ring
 * does: each read takes every whole reply there is (at most INFLIGHT), and one write sends
 * as many new requests. Returns ns per request and reply. */
static double pipe_inflight_bulk(long iters, int server_cpu)
{
	struct chan ch;
	struct msg buf[INFLIGHT], out[INFLIGHT];
	size_t have = 0;
	long sent = 0, got = 0;
	uint64_t t0, t1;
	pid_t pid;

	if (pipe_chan(&ch) != 0)
		return lb_fail("pipe_inflight_bulk: pipe");
	pid = fd_start_server(&ch, server_cpu, "pipe_inflight_bulk: fork/read/write", 1);
	if (pid < 0)
		return -1.0;
	t0 = lb_now_ns();
	for (; sent < iters && sent < INFLIGHT; sent++)
		out[sent] = (struct msg){ .seq = (uint64_t)sent };
	if (write_full(ch.c_out, out, (size_t)sent * sizeof out[0]) != 0)
		goto fail;
	while (got < iters) {
		ssize_t r = read(ch.c_in, (char *)buf + have, sizeof buf - have);
		if (r <= 0)
			goto fail;
		have += (size_t)r;
		size_t whole = have / sizeof buf[0], k = 0;
		for (size_t i = 0; i < whole; i++, got++)
			if (buf[i].seq != (uint64_t)got + 1)
				goto fail;
		for (; k < whole && sent < iters; k++)
			out[k] = (struct msg){ .seq = (uint64_t)sent++ };
		if (k && write_full(ch.c_out, out, k * sizeof out[0]) != 0)
			goto fail;
		have -= whole * sizeof buf[0];
		memmove(buf, buf + whole, have);
	}
	t1 = lb_now_ns();
	fd_stop(&ch, pid);
	return (double)(t1 - t0) / (double)iters;
fail:
	lb_fail("pipe_inflight_bulk: read/write");
	fd_stop(&ch, pid);
	return -1.0;
}

double lb_pipe_inflight64_bulk(long iters)
{
	return pipe_inflight_bulk(iters, 1);
}

double lb_pipe_inflight64(long iters)
{
	return pipe_inflight(iters, 1);
}

double lb_pipe_inflight64_1cpu(long iters)
{
	return pipe_inflight(iters, 0);
}

/* --- request/reply through a futex word in shared memory ------------------- */

/* One page shared by client and server (MAP_SHARED | MAP_ANONYMOUS, inherited over
 * fork): whose turn it is (0 the client, 1 the server) and the message. */
struct futex_page {
	_Atomic int turn;
	struct msg m;
};

static void shared_turn_wait(struct futex_page *p, int me)
{
	int v;

	while ((v = atomic_load(&p->turn)) != me)
		syscall(SYS_futex, &p->turn, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void shared_turn_give(struct futex_page *p, int other)
{
	atomic_store(&p->turn, other);
	syscall(SYS_futex, &p->turn, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The client writes a request into the page and gives the turn to the server
 * (FUTEX_WAKE), then waits for it back (FUTEX_WAIT); the server answers in the page
 * the same way. Returns ns per round trip (two handoffs). */
static double futex_roundtrip(long iters, int server_cpu)
{
	struct futex_page *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t0, t1;
	pid_t pid;
	int ok = 1;

	if (p == MAP_FAILED)
		return lb_fail("futex_roundtrip: mmap");
	atomic_store(&p->turn, 0);
	pid = fork_pinned(server_cpu);
	if (pid < 0) {
		lb_fail("futex_roundtrip: fork");
		munmap(p, 4096);
		lb_unpin();
		return -1.0;
	}
	if (pid == 0) {
		for (long i = 0; i <= iters; i++) {
			shared_turn_wait(p, 1);
			p->m.seq++;
			shared_turn_give(p, 0);
		}
		_exit(0);
	}
	p->m.seq = 0; /* one untimed round trip: the server is up and pinned */
	shared_turn_give(p, 1);
	shared_turn_wait(p, 0);
	t0 = lb_now_ns();
	for (long i = 0; i < iters && ok; i++) {
		p->m.seq = (uint64_t)i;
		shared_turn_give(p, 1);
		shared_turn_wait(p, 0);
		ok = p->m.seq == (uint64_t)i + 1;
	}
	t1 = lb_now_ns();
	if (!ok) /* the server has stopped answering; it must not be waited for */
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	munmap(p, 4096);
	lb_unpin();
	if (!ok) {
		printf("# futex_roundtrip: wrong reply\n");
		return -1.0;
	}
	return (double)(t1 - t0) / (double)iters;
}

double lb_futex_roundtrip_1cpu(long iters)
{
	return futex_roundtrip(iters, 0);
}

double lb_futex_roundtrip_2cpu(long iters)
{
	return futex_roundtrip(iters, 1);
}

/* --- bulk transfer over a pipe --------------------------------------------- */

static char bulk_buf[BULK_MAX];

/* The server (the child, on server_cpu) writes `iters` messages of `size` bytes into a
 * pipe, one write() each; the client (on CPU 0) reads each whole (read() until it has
 * `size` bytes). The pipe has the default capacity (64 KiB) when pipe_size is 0, else it is
 * set to pipe_size with F_SETPIPE_SZ. Timed from the client's go-ahead to the last byte
 * read. Returns MB/s (10^6 bytes per second). */
static double pipe_bandwidth(long iters, long size, int server_cpu, long pipe_size)
{
	int data[2], go[2];
	char c = 'g';
	uint64_t t0, t1;
	pid_t pid;
	int ok = 1;

	if (pipe(data) != 0)
		return lb_fail("pipe_bandwidth: pipe");
	if (pipe_size && fcntl(data[1], F_SETPIPE_SZ, (int)pipe_size) < pipe_size) {
		close_both(data[0], data[1]);
		return lb_fail("pipe_bandwidth: F_SETPIPE_SZ");
	}
	if (pipe(go) != 0) {
		close_both(data[0], data[1]);
		return lb_fail("pipe_bandwidth: pipe");
	}
	pid = fork_pinned(server_cpu);
	if (pid < 0) {
		lb_fail("pipe_bandwidth: fork");
		close_both(data[0], data[1]);
		close_both(go[0], go[1]);
		lb_unpin();
		return -1.0;
	}
	if (pid == 0) {
		close(data[0]);
		close(go[1]);
		memset(bulk_buf, 's', (size_t)size); /* its own copy, faulted in untimed */
		if (write_full(data[1], &c, 1) != 0 || read_full(go[0], &c, 1) != 0)
			_exit(1);
		for (long i = 0; i < iters; i++)
			if (write_full(data[1], bulk_buf, (size_t)size) != 0)
				_exit(1);
		_exit(0);
	}
	close(data[1]);
	close(go[0]);
	memset(bulk_buf, 'c', (size_t)size);
	/* the server is pinned and its buffer is in memory */
	ok = read_full(data[0], &c, 1) == 0;
	t0 = lb_now_ns();
	ok = ok && write_full(go[1], &c, 1) == 0;
	for (long i = 0; i < iters && ok; i++)
		ok = read_full(data[0], bulk_buf, (size_t)size) == 0;
	t1 = lb_now_ns();
	close(data[0]);
	close(go[1]);
	waitpid(pid, NULL, 0);
	lb_unpin();
	if (!ok)
		return lb_fail("pipe_bandwidth: read/write");
	return (double)iters * (double)size * 1e3 / (double)(t1 - t0);
}

double lb_pipe_bandwidth_4k(long iters)
{
	return pipe_bandwidth(iters, 4096, 1, 0);
}

double lb_pipe_bandwidth_1m(long iters)
{
	return pipe_bandwidth(iters, BULK_MAX, 1, 0);
}

double lb_pipe1m_bandwidth_1m(long iters)
{
	return pipe_bandwidth(iters, BULK_MAX, 1, BULK_MAX);
}

double lb_pipe_bandwidth_4k_1cpu(long iters)
{
	return pipe_bandwidth(iters, 4096, 0, 0);
}

double lb_pipe_bandwidth_1m_1cpu(long iters)
{
	return pipe_bandwidth(iters, BULK_MAX, 0, 0);
}

/* --- bulk transfer with process_vm_writev ---------------------------------- */

#define PVM_SLOTS 8

/* One copy, 1 MiB per call, PVM_SLOTS messages in flight, as Skoll's 1 MiB sends run: the
 * writer (the child, on CPU 1) copies each message with one process_vm_writev() straight
 * into the next of PVM_SLOTS 1 MiB slots of the reader's memory, then tells the reader with
 * an 8-byte write (the message's number) into a notification pipe. The reader (on CPU 0)
 * takes every notification there is per read() and answers each with an 8-byte credit on a
 * second pipe; the writer starts with PVM_SLOTS credits and reuses a slot only after
 * taking a credit (blocking in read() when it has none). Timed from the reader's go-ahead
 * to its last notification. Returns MB/s. */
static double pvm_bandwidth(long iters, int writer_cpu)
{
	int note[2], credit[2], go[2];
	char *slots;
	char c = 'g';
	uint64_t t0 = 0, t1 = 0, seq;
	long got = 0;
	pid_t pid;
	int ok;

	slots = mmap(NULL, PVM_SLOTS * BULK_MAX, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (slots == MAP_FAILED)
		return lb_fail("pvm_bandwidth: mmap");
	memset(slots, 'r', PVM_SLOTS * BULK_MAX);
	if (pipe(note) != 0 || pipe(credit) != 0 || pipe(go) != 0) {
		munmap(slots, PVM_SLOTS * BULK_MAX);
		return lb_fail("pvm_bandwidth: pipe");
	}
	pid = fork_pinned(writer_cpu);
	if (pid < 0) {
		lb_fail("pvm_bandwidth: fork");
		ok = 0;
		goto out;
	}
	if (pid == 0) {
		/* the reader's slots are at the same address in its space as in ours */
		pid_t reader = getppid();
		long credits = PVM_SLOTS;
		uint64_t buf[PVM_SLOTS];

		close(note[0]);
		close(credit[1]);
		close(go[1]);
		memset(bulk_buf, 'w', BULK_MAX); /* its own source, faulted in untimed */
		if (write_full(note[1], &c, 1) != 0 || read_full(go[0], &c, 1) != 0)
			_exit(1);
		for (long i = 0; i < iters; i++) {
			struct iovec local = { bulk_buf, BULK_MAX };
			struct iovec remote = { slots + (i % PVM_SLOTS) * BULK_MAX, BULK_MAX };

			while (credits == 0) {
				ssize_t r = read(credit[0], buf, sizeof buf);

				if (r <= 0 || r % sizeof buf[0])
					_exit(1);
				credits += r / (ssize_t)sizeof buf[0];
			}
			if (process_vm_writev(reader, &local, 1, &remote, 1, 0) != BULK_MAX)
				_exit(2);
			credits--;
			seq = (uint64_t)i;
			if (write_full(note[1], &seq, sizeof seq) != 0)
				_exit(1);
		}
		_exit(0);
	}
	close(note[1]);
	close(credit[0]);
	close(go[0]);
	ok = read_full(note[0], &c, 1) == 0; /* the writer is pinned, its source in memory */
	t0 = lb_now_ns();
	ok = ok && write_full(go[1], &c, 1) == 0;
	while (ok && got < iters) {
		uint64_t buf[PVM_SLOTS];
		ssize_t r = read(note[0], buf, sizeof buf);
		size_t n = 0;

		ok = r > 0 && r % (ssize_t)sizeof buf[0] == 0;
		for (ssize_t i = 0; ok && i < r / (ssize_t)sizeof buf[0]; i++, got++) {
			ok = buf[i] == (uint64_t)got;
			/* a credit per message whose slot the writer will fill again (the last
			 * PVM_SLOTS need none: the writer may have gone) */
			n += got < iters - PVM_SLOTS;
		}
		ok = ok && (n == 0 || write_full(credit[1], buf, n * sizeof buf[0]) == 0);
	}
	t1 = lb_now_ns();
	/* the last message's bytes are in its slot */
	ok = ok && slots[((iters - 1) % PVM_SLOTS) * BULK_MAX + BULK_MAX - 1] == 'w';
out:
	close(note[0]);
	close(credit[1]);
	close(go[1]);
	if (pid > 0) {
		int st = 0;

		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			errno = WIFEXITED(st) && WEXITSTATUS(st) == 2 ? EFAULT : EPIPE;
			ok = 0;
		}
	}
	lb_unpin();
	munmap(slots, PVM_SLOTS * BULK_MAX);
	if (!ok)
		return lb_fail("pvm_bandwidth: process_vm_writev/read/write");
	return (double)iters * (double)BULK_MAX * 1e3 / (double)(t1 - t0);
}

double lb_pvm_bandwidth_1m(long iters)
{
	return pvm_bandwidth(iters, 1);
}
