/*
 * The load averages: /proc/loadavg has Linux's format (three averages with two decimals,
 * runnable/total, the last pid), sysinfo gives the same averages in its fixed point, and a
 * process that keeps the CPU busy for 6 s (more than one 5 s sample) lifts the 1-minute
 * average above zero. Prints only what must match Linux.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/sysinfo.h>
#include <time.h>

static int read_loadavg(double l[3], int *running, int *total)
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return 0;
    int last, n = fscanf(f, "%lf %lf %lf %d/%d %d", &l[0], &l[1], &l[2], running, total, &last);
    fclose(f);
    return n == 6 && last > 0;
}

int main(void)
{
    double l[3];
    int running, total;
    printf("format: %s\n", read_loadavg(l, &running, &total) ? "ok" : "wrong");
    printf("this process runs: %d, at most all: %d\n", running >= 1, running <= total);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000l + (t.tv_nsec - t0.tv_nsec) < 6000000000l);
    /* a 5 s fold may come between two reads: /proc/loadavg must match one of the sysinfo
       reads around it */
    struct sysinfo s1, s2;
    sysinfo(&s1);
    read_loadavg(l, &running, &total);
    sysinfo(&s2);
    printf("1-minute load above zero after 6 s busy: %d\n", l[0] > 0);
    double a = (double)s1.loads[0] / 65536.0, b = (double)s2.loads[0] / 65536.0;
    printf("sysinfo agrees with /proc/loadavg: %d\n",
           (a > l[0] - 0.01 && a < l[0] + 0.01) || (b > l[0] - 0.01 && b < l[0] + 0.01));
    return 0;
}
