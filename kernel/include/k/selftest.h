/*
 * In-kernel self tests. A test is declared with SELFTEST(name, flags) anywhere
 * in the kernel; the linker collects them. "selftest=all" (or a comma list of
 * names) on the command line runs them after boot, printing "PASS name" or
 * "FAIL name: reason", then "selftests: N passed, N failed", and with
 * "qemu_exit" ends QEMU with the result.
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

#define ST_CHECK(cond) \
    do { \
        if (!(cond)) { \
            st_fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
            return; \
        } \
    } while (0)

/* Run the tests selected by the list ("all" or names). Returns the number failed. */
int selftest_run(const char *list);
