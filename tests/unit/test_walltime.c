/* util/walltime: the JSON lines' "time" (issue 14: lnav and log tools need
 * a time on every line).  Formatting from a start and a trace time, the
 * strict parse of the context line's, and that the time follows t as JSON
 * prints it (so `report` recomputes it byte for byte). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/walltime.h"

/* 2026-12-02T12:34:56.000000Z */
#define START_US (1796214896LL * 1000000)

static void test_format(void **state)
{
	char b[WALLTIME_LEN];

	(void)state;
	assert_string_equal(walltime_at(START_US, 0, b), "2026-12-02T12:34:56.000000Z");
	assert_string_equal(walltime_at(START_US, 1.5, b), "2026-12-02T12:34:57.500000Z");
	assert_string_equal(walltime_at(START_US + 999999, 0.000001, b), "2026-12-02T12:34:57.000000Z");
	/* across midnight, a year's end and a leap day */
	assert_string_equal(walltime_at(START_US, 41104.0, b), "2026-12-03T00:00:00.000000Z");
	assert_string_equal(walltime_at(1830297599LL * 1000000, 1.0, b), "2028-01-01T00:00:00.000000Z");
	assert_string_equal(walltime_at(1835481600LL * 1000000 - 1, 0, b), "2028-02-29T23:59:59.999999Z");
	/* before the start (a record older than the trace) */
	assert_string_equal(walltime_at(START_US, -0.25, b), "2026-12-02T12:34:55.750000Z");
	/* unknown start, absurd t */
	assert_null(walltime_at(0, 1.0, b));
	assert_null(walltime_at(-5, 1.0, b));
	assert_null(walltime_at(START_US, -1e11, b));
}

/* t counts as "%.6f" prints it: a t halfway between two microseconds
 * (ts_ns ending in 500) gives the time its printed t says. */
static void test_follows_printed_t(void **state)
{
	char b[WALLTIME_LEN], printed[32];

	(void)state;
	for (uint64_t ns = 1000000500; ns < 1000000500 + 20 * 1000; ns += 1000) {
		const double t = (double)ns / 1e9;
		int64_t us;

		snprintf(printed, sizeof(printed), "%.6f", t);
		assert_non_null(walltime_at(START_US, t, b));
		assert_int_equal(walltime_parse(b, &us), 0);
		/* the printed t, read back, gives the same time */
		assert_string_equal(walltime_at(START_US, strtod(printed, NULL), b),
				    walltime_at(START_US, t, (char[WALLTIME_LEN]){ 0 }));
	}
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"", "2026-12-02", "2026-12-02T12:34:56Z", "2026-12-02T12:34:56.12345Z",
		"2026-12-02T12:34:56.1234567Z", "2026-12-02T12:34:56.123456", "2026-12-02 12:34:56.123456Z",
		"2026-13-02T12:34:56.123456Z", "2026-12-00T12:34:56.123456Z", "2026-12-02T24:00:00.000000Z",
		"1969-12-31T23:59:59.000000Z", "2026-12-02T 1:34:56.123456Z", "+026-12-02T12:34:56.123456Z",
		"2026-12-02T12:34:56.123456Zx", "2026-12-02T12:34:61.123456Z",
	};
	int64_t us = 7;

	(void)state;
	assert_int_equal(walltime_parse("2026-12-02T12:34:56.000001Z", &us), 0);
	assert_true(us == START_US + 1);
	assert_int_equal(walltime_parse("1970-01-01T00:00:00.000000Z", &us), 0);
	assert_true(us == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		us = 7;
		if (walltime_parse(bad[i], &us) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(us == 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_follows_printed_t),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
