/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small KTAP harness for rumor's C tests, in the spirit of
 * kselftest_harness.h: a table of cases, EXPECT_* records a failure and
 * goes on, ASSERT_* ends the case. Output is KTAP version 1; the exit code
 * is 0 when every case passed, 1 otherwise, 4 when all were skipped.
 */
#ifndef RUMOR_KTAP_H
#define RUMOR_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

struct ktap_case {
	const char *name;
	void (*fn)(void);
};

static int ktap_case_failed;
static const char *ktap_case_skipped;

#define KTAP_REPORT(fmt, ...) \
	printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__)

#define EXPECT_TRUE(cond) do {						\
	if (!(cond)) {							\
		KTAP_REPORT("expected %s", #cond);			\
		ktap_case_failed = 1;					\
	}								\
} while (0)

#define EXPECT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		KTAP_REPORT("expected %s == %s, got %lld != %lld",	\
			    #a, #b, _a, _b);				\
		ktap_case_failed = 1;					\
	}								\
} while (0)

#define ASSERT_TRUE(cond) do {						\
	if (!(cond)) {							\
		KTAP_REPORT("assertion %s failed", #cond);		\
		ktap_case_failed = 1;					\
		return;							\
	}								\
} while (0)

#define ASSERT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		KTAP_REPORT("assertion %s == %s failed: %lld != %lld",	\
			    #a, #b, _a, _b);				\
		ktap_case_failed = 1;					\
		return;							\
	}								\
} while (0)

/* Skip the current case, e.g. when a kernel feature is missing. */
#define KTAP_SKIP(reason) do { ktap_case_skipped = (reason); return; } while (0)

static inline int ktap_run(const struct ktap_case *cases, size_t n)
{
	size_t i, failed = 0, skipped = 0;

	printf("KTAP version 1\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		ktap_case_failed = 0;
		ktap_case_skipped = NULL;
		fflush(stdout);
		cases[i].fn();
		if (ktap_case_failed) {
			printf("not ok %zu %s\n", i + 1, cases[i].name);
			failed++;
		} else if (ktap_case_skipped) {
			printf("ok %zu %s # SKIP %s\n", i + 1, cases[i].name,
			       ktap_case_skipped);
			skipped++;
		} else {
			printf("ok %zu %s\n", i + 1, cases[i].name);
		}
	}
	printf("# %zu passed, %zu failed, %zu skipped\n", n - failed - skipped,
	       failed, skipped);
	if (failed)
		return KSFT_FAIL;
	return skipped == n ? KSFT_SKIP : KSFT_PASS;
}

#define KTAP_MAIN(cases)						\
	int main(void)							\
	{								\
		return ktap_run(cases, sizeof(cases) / sizeof(cases[0])); \
	}

#endif /* RUMOR_KTAP_H */
