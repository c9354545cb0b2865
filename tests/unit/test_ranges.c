/* Unit tests for src/ranges.c: --range parsing and overlap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host/ranges.h"

static void ok(const char *s, uint64_t start, uint64_t end)
{
	struct addr_range r = { 1, 2 };
	char err[128] = "untouched";

	if (range_parse(s, &r, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", s, err);
	assert_int_equal(r.start, start);
	assert_int_equal(r.end, end);
}

/* Rejected with a message that contains want. */
static void bad(const char *s, const char *want)
{
	struct addr_range r = { 7, 9 };
	char err[256];

	memset(err, 'X', sizeof(err));
	if (range_parse(s, &r, err, sizeof(err)) != -1)
		fail_msg("'%s' accepted as %#llx-%#llx", s ? s : "(null)",
			 (unsigned long long)r.start, (unsigned long long)r.end);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	assert_null(strchr(err, '\n'));
	assert_true(strlen(err) > 0);
	if (!strstr(err, want))
		fail_msg("'%s': message '%s' lacks '%s'", s ? s : "(null)", err, want);
	/* The output is left alone on failure. */
	assert_int_equal(r.start, 7);
	assert_int_equal(r.end, 9);
}

static void test_parse_ok(void **state)
{
	(void)state;
	ok("1000-2000", 0x1000, 0x2000);
	ok("0x1000-0x2000", 0x1000, 0x2000);
	ok("0X1000-0x2000", 0x1000, 0x2000);
	ok("0x1000-2000", 0x1000, 0x2000);
	ok("1000-0x2000", 0x1000, 0x2000);
	ok("7f00AbCd0000-7F00abcd1000", 0x7f00abcd0000ULL, 0x7f00abcd1000ULL);
	ok("0-1", 0, 1);
	ok("0x0-0xffffffffffffffff", 0, UINT64_MAX);
	ok("fffffffffffffffe-ffffffffffffffff", UINT64_MAX - 1, UINT64_MAX);
	/* Leading zeros beyond 16 digits still fit in 64 bits. */
	ok("0x00000000000000000001-0x00000000000000000000002", 1, 2);
}

static void test_parse_errors(void **state)
{
	(void)state;
	bad(NULL, "empty range");
	bad("", "empty range");
	bad("1000", "expected START-END");
	bad("0x1000", "expected START-END");
	bad("-", "missing start address");
	bad("-2000", "missing start address");
	bad("1000-", "missing end address");
	bad("0x-0x2000", "start address '0x' has no digits");
	bad("0x1000-0x", "end address '0x' has no digits");
	bad("0x1000-0X", "end address '0X' has no digits");
	bad("1000-2000x", "end address '2000x' is not a hexadecimal number");
	bad("1000-2000 ", "is not a hexadecimal number");
	bad(" 1000-2000", "start address ' 1000' is not a hexadecimal number");
	bad("1000--2000", "end address '-2000' is not a hexadecimal number");
	bad("1000-2000-3000", "end address '2000-3000'");
	bad("g-10", "start address 'g'");
	bad("+10-20", "start address '+10'");
	bad("0x0x10-20", "start address '0x0x10'");
	bad("10-0x0x20", "end address '0x0x20'");
	bad("1000-2000\n", "is not a hexadecimal number");
	bad("10000000000000000-20000000000000000",
	    "start address '10000000000000000' does not fit in 64 bits");
	bad("1-0x10000000000000000", "end address '0x10000000000000000' does not fit in 64 bits");
	bad("1000-1000", "start is not below end");
	bad("0-0", "start is not below end");
	bad("ffffffffffffffff-0", "start is not below end");
}

static void test_exact_messages(void **state)
{
	char err[128];
	struct addr_range r;

	(void)state;
	assert_int_equal(range_parse("0x2000-0x1000", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "range '0x2000-0x1000': start is not below end");
	assert_int_equal(range_parse("0x1000-zz", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "range '0x1000-zz': end address 'zz' is not a hexadecimal number");
	assert_int_equal(range_parse("abc", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "range 'abc': expected START-END in hexadecimal");
}

static void test_message_bounded(void **state)
{
	char s[1000], err[512];
	struct addr_range r;

	(void)state;
	/* A very long argument is cut in the message, and control bytes in
	 * it cannot break the line. */
	memset(s, 'z', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	s[3] = '\n';
	s[4] = '\x1b';
	assert_int_equal(range_parse(s, &r, err, sizeof(err)), -1);
	assert_true(strlen(err) < 200);
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, '\x1b'));
	assert_non_null(strstr(err, "..."));

	/* Small or absent error buffers. */
	char tiny[8];

	memset(tiny, 'X', sizeof(tiny));
	assert_int_equal(range_parse("2-1", &r, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_memory_equal(tiny, "range '", 7);
	tiny[0] = 'Q';
	assert_int_equal(range_parse("2-1", &r, tiny, 0), -1);
	assert_int_equal(tiny[0], 'Q');
	assert_int_equal(range_parse("2-1", &r, NULL, 100), -1);
	assert_int_equal(range_parse("1-2", NULL, NULL, 0), 0);
}

static void test_success_clears_err(void **state)
{
	char err[32] = "stale message";
	struct addr_range r;

	(void)state;
	assert_int_equal(range_parse("10-20", &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_overlap(void **state)
{
	const struct addr_range r[] = {
		{ 0x1000, 0x2000 },
		{ 0x5000, 0x6000 },
	};

	(void)state;
	/* n == 0: everything, whatever the pointer. */
	assert_true(ranges_overlap(NULL, 0, 0, 1));
	assert_true(ranges_overlap(r, 0, 0x9000, 0xa000));

	assert_true(ranges_overlap(r, 2, 0x1000, 0x1001));
	assert_true(ranges_overlap(r, 2, 0x1fff, 0x2000));
	assert_true(ranges_overlap(r, 2, 0x0, 0x1001));
	assert_true(ranges_overlap(r, 2, 0x1800, 0x5800));
	assert_true(ranges_overlap(r, 2, 0x0, UINT64_MAX));
	assert_true(ranges_overlap(r, 2, 0x5fff, 0x7000));
	/* Ends are exclusive on both sides. */
	assert_false(ranges_overlap(r, 2, 0x0, 0x1000));
	assert_false(ranges_overlap(r, 2, 0x2000, 0x5000));
	assert_false(ranges_overlap(r, 2, 0x6000, 0x7000));
	/* Only the first n ranges count. */
	assert_false(ranges_overlap(r, 1, 0x5000, 0x6000));
	/* An empty interval asks about one address. */
	assert_true(ranges_overlap(r, 2, 0x1800, 0x1800));
	assert_true(ranges_overlap(r, 2, 0x1000, 0x1000));
	assert_false(ranges_overlap(r, 2, 0x2000, 0x2000));
	assert_false(ranges_overlap(r, 2, 0xfff, 0xfff));
	assert_false(ranges_overlap(r, 2, UINT64_MAX, UINT64_MAX));
	/* An end that wrapped around means up to the top. */
	assert_true(ranges_overlap(r, 2, 0x5800, 0x10));
	assert_false(ranges_overlap(r, 2, 0x6000, 0x10));
	/* A range that ends at the top of the address space. */
	const struct addr_range top = { UINT64_MAX - 0xfff, UINT64_MAX };

	assert_true(ranges_overlap(&top, 1, UINT64_MAX - 1, UINT64_MAX));
	assert_true(ranges_overlap(&top, 1, UINT64_MAX - 1, UINT64_MAX - 1));
	assert_false(ranges_overlap(&top, 1, 0, UINT64_MAX - 0xfff));
	assert_false(ranges_overlap(NULL, 3, 0x1800, 0x1900));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_exact_messages),
		cmocka_unit_test(test_message_bounded),
		cmocka_unit_test(test_success_clears_err),
		cmocka_unit_test(test_overlap),
	};

	return cmocka_run_group_tests_name("ranges", tests, NULL, NULL);
}
