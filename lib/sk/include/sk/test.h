/*
 * A small test harness for programs under tests/system. Each SK_TEST(name)
 * is one case; sk_test_run() first prints the plan, "PLAN <prog>/<case>" for
 * every case it is about to run (the runner fails each planned case that never
 * reports), then runs them in source order and prints one line per case,
 * "PASS <prog>/<case>", "FAIL <prog>/<case>: <reason>" or, for a case that
 * cannot run here (SK_SKIP), "SKIP <prog>/<case>: <why>", then
 * "<prog>: N passed, N failed, N skipped", and returns the number failed.
 * SK_TEST_MAIN() supplies a main() that does exactly that (argv words after
 * argv[0] select cases).
 *
 * A case never asserts that something happened within some time: the host may
 * stall the guest for any length of time. It waits for what must happen (a hang
 * is caught by the runner's timeout, and the case by the plan) and checks order,
 * results and "never early" (docs/testing.md).
 */
#pragma once
#include <stdint.h>
#include <sk/sk.h>

struct sk_test_case {
    const char *name;
    void (*fn)(void);
    int line;       /* where it is defined: cases run in source order */
};

#define SK_TEST(name) \
    static void sk_test_fn_##name(void); \
    __attribute__((used, section("sk_tests"), aligned(8))) \
    static const struct sk_test_case sk_test_case_##name = {#name, sk_test_fn_##name, __LINE__}; \
    static void sk_test_fn_##name(void)

/* Record a failure of the running case (the first reason is kept). Any thread may call it. */
void sk_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Failures recorded so far in the running case. */
int sk_test_failures(void);
/* Mark the running case skipped: it cannot run in this configuration (one CPU, no device).
   It is reported as SKIP with the reason, unless it also failed. Use SK_SKIP. */
void sk_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print and count one result for a case not declared with SK_TEST (table-driven tests). */
void sk_test_report(const char *name, int ok, const char *why);
/* Print the plan: the n names in extra[] (the cases a program reports with sk_test_report),
   then every SK_TEST case that sk_test_run will run. Call it before reporting anything;
   sk_test_run calls it if nobody did. */
void sk_test_plan(const char *const *extra, int n);
/* Run the SK_TEST cases, print the summary (including sk_test_report results); returns failures. */
int sk_test_run(void);

#define SK_TEST_MAIN() \
    int main(const struct sk_start_info *si) \
    { \
        (void)si; \
        return sk_test_run(); \
    }

/* EXPECT records and continues; ASSERT records and returns from the test function. */
#define SK__CHECK(cond, onfail) \
    do { \
        if (!(cond)) { \
            sk_test_fail(__FILE__, __LINE__, "%s", #cond); \
            onfail; \
        } \
    } while (0)
#define SK__CHECK_EQ(a, b, onfail) \
    do { \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
        if (a_ != b_) { \
            sk_test_fail(__FILE__, __LINE__, "%s == %s (0x%lx != 0x%lx)", #a, #b, a_, b_); \
            onfail; \
        } \
    } while (0)
#define SK__CHECK_ERR(expr, want, onfail) \
    do { \
        sk_error_t e_ = (expr); \
        if (e_ != (want)) { \
            sk_test_fail(__FILE__, __LINE__, "%s gave %s, want %s", #expr, sk_error_name(e_), \
                         sk_error_name(want)); \
            onfail; \
        } \
    } while (0)
/* Skip the running case with a reason (printf format) and return from the test function. */
#define SK_SKIP(...) \
    do { \
        sk_test_skip(__VA_ARGS__); \
        return; \
    } while (0)
#define SK_EXPECT(cond) SK__CHECK(cond, (void)0)
#define SK_ASSERT(cond) SK__CHECK(cond, return)
#define SK_EXPECT_EQ(a, b) SK__CHECK_EQ(a, b, (void)0)
#define SK_ASSERT_EQ(a, b) SK__CHECK_EQ(a, b, return)
#define SK_EXPECT_ERR(expr, want) SK__CHECK_ERR(expr, want, (void)0)
#define SK_ASSERT_ERR(expr, want) SK__CHECK_ERR(expr, want, return)
#define SK_EXPECT_OK(expr) SK__CHECK_ERR(expr, SK_OK, (void)0)
#define SK_ASSERT_OK(expr) SK__CHECK_ERR(expr, SK_OK, return)
