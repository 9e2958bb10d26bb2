/*
 * Linux reference benchmarks: harness and /init duties.
 *
 * Runs every case in lb_cases (cases.c): one untimed warm-up repetition, then
 * `reps` timed ones (shortened when the warm-ups show the host too slow for
 * them), and prints the median as `linux <name> <value> <unit>` (the case's
 * unit: ns per operation or MB/s) with a `#` comment line giving min, max and
 * the repetition size. Two more kernel command-line words select and name a
 * second boot configuration (tools/linux_bench.py boots Linux again with
 * `idle=poll lbmincpus=2 lbtag=idlepoll`): `lbmincpus=N` runs only the cases
 * that need at least N CPUs, and `lbtag=T` puts `_T` before each name's unit
 * suffix (pipe_roundtrip_2cpu_ns -> pipe_roundtrip_2cpu_idlepoll_ns).
 * As PID 1 it makes sure a console is open, and when done
 * leaves QEMU through the isa-debug-exit port (0xf4): value 0 (QEMU status 1)
 * when every case ran, 1 (status 3) otherwise; reboot(RB_POWER_OFF) if the
 * port cannot be reached.
 * Run by hand on a host it simply exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "linuxbench.h"

#define MAX_REPS 64
#define DEBUG_EXIT_PORT 0xf4

uint64_t lb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int lb_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

void lb_unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

double lb_fail(const char *msg)
{
	printf("# %s: %s\n", msg, strerror(errno));
	return -1.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The kernel starts /init with no open files when the initramfs has no
 * /dev/console; mount devtmpfs then and open the console ourselves. */
static void init_console(void)
{
	int fd;

	if (fcntl(1, F_GETFD) != -1)
		return;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void leave_qemu(int failed)
{
	fflush(stdout);
	/* write() to the console returns once the text is in the tty buffer; leaving QEMU
	 * before the UART has sent it loses the last lines. */
	tcdrain(1);
	sync();
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0)
		outb(failed ? 1 : 0, DEBUG_EXIT_PORT);
	/* No debug-exit device: power off (QEMU runs with -no-reboot). */
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* A figure as tools/bench.py prints Skoll's: whole numbers from 100 up, else three
 * significant digits. */
static const char *fmt_value(char *buf, size_t size, double v)
{
	snprintf(buf, size, v >= 100 ? "%.0f" : "%.3g", v);
	return buf;
}

/* lbtag=: the configuration's tag, or NULL. */
static const char *tag;

/* The name the case is printed under: with a tag, `_<tag>` goes before the unit suffix
 * (the part after the last '_'). */
static const char *tagged(const char *name, char *buf, size_t size)
{
	const char *unit = strrchr(name, '_');

	if (!tag || !unit)
		return name;
	snprintf(buf, size, "%.*s_%s%s", (int)(unit - name), name, tag, unit);
	return buf;
}

/* Every case is sized for repetitions of at most about half a second at lbscale=100,
 * but on a busy host a cross-CPU wake-up can wait milliseconds for a host core (a round
 * trip 40 times slower), and the whole run must end before linux_bench.py's timeout.
 * When the warm-ups predict a repetition over REP_LIMIT_NS, the repetitions are cut to
 * about REP_CUT_NS (both scaled with lbscale). The limit is well above the normal sizes
 * so that an ordinary hiccup in a short warm-up does not change a case's size. */
#define REP_LIMIT_NS 1.0e9
#define REP_CUT_NS 0.4e9

/* Runs one case; returns 0 when it produced a figure, -1 otherwise. When two warm-ups
 * say a repetition would take over REP_LIMIT_NS, the repetitions are made shorter (and
 * the `#` line says so). */
static int run_case(const struct lb_case *c, long scale_pct, int cpus)
{
	double v[MAX_REPS];
	char med[32], lo[32], hi[32], cut[96] = "", namebuf[96];
	const char *name = tagged(c->name, namebuf, sizeof namebuf);
	long iters = c->iters * scale_pct / 100, warm;
	int reps = c->reps < MAX_REPS ? c->reps : MAX_REPS;
	double scale = (double)scale_pct / 100.0, estimate = 0;
	uint64_t t0;

	if (iters < 1)
		iters = 1;
	if (cpus < c->min_cpus) {
		printf("# %s skipped: needs %d CPUs, %d online\n", c->name, c->min_cpus, cpus);
		return 0;
	}
	warm = iters / 10 + 1;
	/* A second warm-up when the first predicts too long a repetition: one stall of the
	 * host (a second, now and then) must not shorten a case. */
	for (int tries = 0; tries < 2; tries++) {
		double e;

		t0 = lb_now_ns();
		if (c->run(warm) < 0)
			return -1;
		e = (double)(lb_now_ns() - t0) * (double)iters / (double)warm;
		estimate = tries == 0 || e < estimate ? e : estimate;
		if (estimate <= REP_LIMIT_NS * scale)
			break;
	}
	if (estimate > REP_LIMIT_NS * scale) {
		long fit = (long)((double)iters * REP_CUT_NS * scale / estimate);

		snprintf(cut, sizeof cut, "; cut from %ld: the warm-ups predicted %.1f s a rep",
			 iters, estimate / 1e9);
		iters = fit > 0 ? fit : 1;
	}
	for (int i = 0; i < reps; i++) {
		v[i] = c->run(iters);
		if (v[i] < 0)
			return -1;
	}
	qsort(v, reps, sizeof(v[0]), cmp_double);
	printf("linux %s %s %s\n", name, fmt_value(med, sizeof med, v[reps / 2]), c->unit);
	printf("#   %s: median of %d reps of %ld %s; min %s, max %s%s\n", name, reps, iters,
	       c->what, fmt_value(lo, sizeof lo, v[0]), fmt_value(hi, sizeof hi, v[reps - 1]), cut);
	fflush(stdout);
	return 0;
}

int main(void)
{
	int is_init = getpid() == 1;
	int failed = 0;
	long scale = 100;
	const char *s = getenv("lbscale"); /* kernel command line `lbscale=N`, percent */
	const char *m = getenv("lbmincpus"); /* `lbmincpus=N`: only cases needing N CPUs */
	int min_cpus = m ? atoi(m) : 0;
	int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec boot;
	uint64_t start;

	if (is_init)
		init_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (s && atol(s) > 0)
		scale = atol(s);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	printf("# linuxbench: %d CPUs, scale %ld%%, started %.2f s after boot\n", cpus, scale,
	       (double)boot.tv_sec + (double)boot.tv_nsec / 1e9);
	tag = getenv("lbtag"); /* `lbtag=T`: names get _T before their unit */
	if (min_cpus > 1 || tag)
		printf("# linuxbench: only cases needing %d or more CPUs, names tagged _%s\n",
		       min_cpus, tag ? tag : "");
	start = lb_now_ns();
	for (int i = 0; i < lb_ncases; i++)
		if (lb_cases[i].min_cpus >= min_cpus && run_case(&lb_cases[i], scale, cpus) < 0) {
			printf("# %s failed\n", lb_cases[i].name);
			failed = 1;
		}
	printf("# linuxbench: done after %.1f s%s\n", (double)(lb_now_ns() - start) / 1e9,
	       failed ? ", with failures" : "");
	if (is_init)
		leave_qemu(failed);
	return failed;
}
