/*
 * In-kernel self tests. A test is declared with SELFTEST(name, flags) anywhere
 * in the kernel; the linker collects them. "selftest=all" (or a comma list of
 * names) on the command line runs them after boot: first "PLAN name" for each
 * selected test (the runner fails every planned test that never reports), then
 * per test "PASS name", "FAIL name: reason" or "SKIP name: why" (ST_SKIP: it
 * cannot run here, e.g. on one CPU), then "selftests: N passed, N failed,
 * N skipped", and with "qemu_exit" ends QEMU with the result. A test waits for
 * what must happen rather than failing after some time (a hang is caught by the
 * runner's timeout); only lower bounds on time ("never early") are checked.
 */
#pragma once

#define SELFTEST_MANUAL 1 /* not part of "all" (e.g. expected to panic) */

struct selftest {
    const char *name;
    void (*fn)(void);
    unsigned flags;
};

#define SELFTEST(name_, flags_) \
    static void st_##name_(void); \
    static const struct selftest st_desc_##name_ \
        __attribute__((used, section(".selftests"), aligned(8))) = {#name_, st_##name_, flags_}; \
    static void st_##name_(void)

/* Record the current test as failed (the first reason is kept). */
void st_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Has the current test failed so far? */
int st_failed(void);
/* Record the current test as skipped (reported as SKIP unless it also failed). */
void st_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ST_SKIP(...) \
    do { \
        st_skip(__VA_ARGS__); \
        return; \
    } while (0)

#define ST_CHECK(cond) \
    do { \
        if (!(cond)) { \
            st_fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
            return; \
        } \
    } while (0)

/* Run the tests selected by the list ("all" or names). Returns the number failed. */
int selftest_run(const char *list);
