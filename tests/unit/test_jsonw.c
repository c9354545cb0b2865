/* Unit tests for src/jsonw.c: object writing, string escaping, numbers,
 * and truncation at every buffer size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sinks/jsonw.h"

/* json_escape of the first n bytes of s, as a string. */
static const char *esc(const char *s, size_t n)
{
	static char out[1024];
	size_t need = json_escape(out, sizeof(out), s, n);

	assert_true(need < sizeof(out));
	assert_int_equal(strlen(out), need);
	return out;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

static void test_escape_plain(void **state)
{
	(void)state;
	assert_string_equal(ESC(""), "\"\"");
	assert_string_equal(ESC("hello world"), "\"hello world\"");
	assert_string_equal(ESC("/usr/lib/libc.so.6"), "\"/usr/lib/libc.so.6\"");
	/* No HTML escaping: <&> and ' are fine in JSON as they are. */
	assert_string_equal(ESC("<a href='x'>&amp;</a>"), "\"<a href='x'>&amp;</a>\"");
	/* DEL is not a control character for JSON. */
	assert_string_equal(ESC("a\x7f" "b"), "\"a\x7f" "b\"");
}

static void test_escape_specials(void **state)
{
	(void)state;
	assert_string_equal(ESC("say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_string_equal(ESC("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
	assert_string_equal(ESC("\\\""), "\"\\\\\\\"\"");
	assert_string_equal(ESC("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"");
	assert_string_equal(ESC("\x01\x02\x1f"), "\"\\u0001\\u0002\\u001f\"");
	assert_string_equal(ESC("\x1b[31mred"), "\"\\u001b[31mred\"");
	assert_string_equal(ESC("\x0b\x0e\x10"), "\"\\u000b\\u000e\\u0010\"");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	/* Well-formed UTF-8 passes through. */
	assert_string_equal(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"),
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
	assert_string_equal(ESC("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");	/* U+FFFD itself */
	assert_string_equal(ESC("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");	/* U+D7FF */
	assert_string_equal(ESC("\xee\x80\x80"), "\"\xee\x80\x80\"");	/* U+E000 */

	/* Each byte that does not start a well-formed sequence becomes U+FFFD. */
	assert_string_equal(ESC("\x80"), "\"\\ufffd\"");		/* lone continuation */
	assert_string_equal(ESC("a\xff" "b"), "\"a\\ufffdb\"");
	assert_string_equal(ESC("\xfe\xff"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\"");	/* overlong '/' */
	assert_string_equal(ESC("\xc1\xbf"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xf0\x80\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	assert_string_equal(ESC("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xf5\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Cut sequences, in the middle and at the end. */
	assert_string_equal(ESC("\xe2\x82" "x"), "\"\\ufffd\\ufffdx\"");
	assert_string_equal(ESC("x\xe2\x82"), "\"x\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xf0\x9f\x98"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(ESC("\xc3"), "\"\\ufffd\"");
	/* n cuts a valid sequence: the cut part is invalid. */
	assert_string_equal(esc("\xe2\x82\xac", 2), "\"\\ufffd\\ufffd\"");
}

static void test_escape_lengths(void **state)
{
	char out[64];

	(void)state;
	/* Stops at n, or at a NUL before n. */
	assert_string_equal(esc("abcdef", 3), "\"abc\"");
	assert_string_equal(esc("ab\0cd", 5), "\"ab\"");
	assert_string_equal(esc("abc", 0), "\"\"");
	assert_int_equal(json_escape(out, sizeof(out), NULL, 5), 2);
	assert_string_equal(out, "\"\"");
	/* Size query without a buffer, like snprintf. */
	assert_int_equal(json_escape(NULL, 0, "a\"b\x01", 4), 12);
	assert_int_equal(json_escape(NULL, 100, "\xff", 1), 8);
}

/* json_escape into every buffer size: never past cap, always terminated,
 * always a prefix, and the same return value. */
static void test_escape_every_cap(void **state)
{
	static const char in[] = "k\"\\\n\x01 \xc3\xa9\xff<&>\xe2\x82\xac end";
	char full[256], buf[256 + 16];
	size_t need = json_escape(full, sizeof(full), in, sizeof(in) - 1);

	(void)state;
	assert_int_equal(strlen(full), need);
	for (size_t cap = 0; cap <= need + 2; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(json_escape(buf, cap, in, sizeof(in) - 1), need);
		for (size_t i = cap; i < sizeof(buf); i++)
			if ((unsigned char)buf[i] != 0xa5)
				fail_msg("cap %zu: byte %zu written", cap, i);
		if (cap == 0)
			continue;
		size_t got = strnlen(buf, cap);

		assert_true(got < cap);
		assert_int_equal(got, need < cap ? need : cap - 1);
		assert_memory_equal(buf, full, got);
	}
}

static void test_object(void **state)
{
	char buf[512];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	assert_string_equal(buf, "");
	jsonw_begin(&w);
	jsonw_str(&w, "kind", "fault");
	jsonw_u64(&w, "ts", 18446744073709551615ULL);
	jsonw_i64(&w, "ret", INT64_MIN);
	jsonw_i64(&w, "zero", 0);
	jsonw_double(&w, "t", 1.5, 3);
	jsonw_bool(&w, "thp", true);
	jsonw_bool(&w, "no", false);
	jsonw_hex(&w, "addr", 0x7f0000200000ULL);
	jsonw_hex(&w, "z", 0);
	jsonw_raw(&w, "obj", "{\"a\":[1,2]}");
	jsonw_strn(&w, "comm", "thp_demo\0garbage", 16);
	jsonw_str(&w, "nul", NULL);
	jsonw_raw(&w, "r", NULL);
	jsonw_end(&w);
	assert_false(w.overflow);
	assert_string_equal(buf,
		"{\"kind\":\"fault\",\"ts\":18446744073709551615,\"ret\":-9223372036854775808,"
		"\"zero\":0,\"t\":1.500,\"thp\":true,\"no\":false,\"addr\":\"0x7f0000200000\","
		"\"z\":\"0x0\",\"obj\":{\"a\":[1,2]},\"comm\":\"thp_demo\",\"nul\":null,\"r\":null}");
	assert_int_equal(w.len, strlen(buf));

	/* Empty object; keys are escaped too. */
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_end(&w);
	assert_string_equal(buf, "{}");
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_u64(&w, "we\"ird\n", 1);
	jsonw_end(&w);
	assert_string_equal(buf, "{\"we\\\"ird\\n\":1}");

	/* begin after end starts another object, with no comma before it. */
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_u64(&w, "a", 1);
	jsonw_end(&w);
	assert_string_equal(buf, "{\"a\":1}");
	jsonw_begin(&w);
	jsonw_u64(&w, "b", 2);
	jsonw_end(&w);
	assert_string_equal(buf, "{\"a\":1}{\"b\":2}");
}

static const char *dbl(double v, int decimals)
{
	static char buf[512];
	struct jsonw w;

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_double(&w, NULL, v, decimals);
	assert_false(w.overflow);
	return buf;
}

static void test_doubles(void **state)
{
	(void)state;
	assert_string_equal(dbl(1.5, 3), "1.500");
	assert_string_equal(dbl(-0.25, 2), "-0.25");
	assert_string_equal(dbl(0.0, 6), "0.000000");
	assert_string_equal(dbl(2.0, 0), "2");
	assert_string_equal(dbl(2.5, -3), "2");	/* negative: no decimals (rounds to even) */
	assert_string_equal(dbl(123456.789, 1), "123456.8");
	assert_string_equal(dbl(1e-7, 3), "0.000");
	assert_string_equal(dbl(NAN, 3), "null");
	assert_string_equal(dbl(INFINITY, 3), "null");
	assert_string_equal(dbl(-INFINITY, 3), "null");
	/* Huge values and absurd precisions still give a number. */
	const char *s = dbl(1e300, 2);

	assert_int_equal(strlen(s), 301 + 3);
	assert_int_equal(s[0], '1');
	assert_string_equal(s + 301, ".00");
	s = dbl(-1.7976931348623157e308, 100);	/* capped at 20 decimals */
	assert_int_equal(s[0], '-');
	assert_int_equal(strlen(strchr(s, '.') + 1), 20);
	assert_string_equal(dbl(0.5, 25), "0.50000000000000000000");
}

/* Writes the decimal point the locale's way: the writer must still use
 * '.'.  Locales that use ',' or a multi-byte point (U+066B) are tried; the
 * test is skipped where none is installed. */
static void test_doubles_locale(void **state)
{
	static const char *const names[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
		"ps_AF.UTF-8", "ps_AF.utf8",
	};
	int tried = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char probe[32];

		if (!setlocale(LC_NUMERIC, names[i]))
			continue;
		snprintf(probe, sizeof(probe), "%.2f", 1.25);
		if (strcmp(probe, "1.25") == 0)
			continue;	/* this locale uses '.' anyway */
		tried++;
		assert_string_equal(dbl(1.25, 2), "1.25");
		assert_string_equal(dbl(-1234567.5, 1), "-1234567.5");
		assert_string_equal(dbl(3.0, 0), "3");
	}
	setlocale(LC_NUMERIC, "C");
	if (!tried)
		skip();
}

static void test_integers(void **state)
{
	char buf[256];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_u64(&w, "a", 0);
	jsonw_i64(&w, "b", -1);
	jsonw_i64(&w, "c", INT64_MAX);
	jsonw_u64(&w, "d", 4096);
	jsonw_hex(&w, "e", UINT64_MAX);
	jsonw_end(&w);
	assert_string_equal(buf, "{\"a\":0,\"b\":-1,\"c\":9223372036854775807,\"d\":4096,"
				 "\"e\":\"0xffffffffffffffff\"}");
}

static void write_all(struct jsonw *w)
{
	jsonw_begin(w);
	jsonw_str(w, "kind", "collapse_file");
	jsonw_str(w, "file", "/tmp/a \"b\"\\c\n\x01\xff\xc3\xa9<&>");
	jsonw_u64(w, "ino", 1234567);
	jsonw_i64(w, "ret", -22);
	jsonw_double(w, "t", 12.3456, 4);
	jsonw_double(w, "nan", NAN, 4);
	jsonw_bool(w, "thp", true);
	jsonw_hex(w, "addr", 0x7f0000200000ULL);
	jsonw_raw(w, "x", "[1,2,3]");
	jsonw_strn(w, "comm", "demo\0xx", 7);
	jsonw_end(w);
}

/* The writer into every buffer size: never past cap, always terminated,
 * what is there is a prefix of the full line, overflow iff it did not fit. */
static void test_truncate_every_cap(void **state)
{
	char full[1024];
	struct jsonw w;
	size_t n;

	(void)state;
	jsonw_init(&w, full, sizeof(full));
	write_all(&w);
	assert_false(w.overflow);
	n = strlen(full);
	assert_int_equal(w.len, n);

	for (size_t cap = 0; cap <= n + 2; cap++) {
		char *buf = malloc(cap + 32);

		assert_non_null(buf);
		memset(buf, 0xa5, cap + 32);
		jsonw_init(&w, buf, cap);
		write_all(&w);
		for (size_t i = cap; i < cap + 32; i++)
			if ((unsigned char)buf[i] != 0xa5)
				fail_msg("cap %zu: byte %zu written", cap, i);
		assert_int_equal(w.overflow, cap <= n);
		if (cap > 0) {
			size_t got = strnlen(buf, cap);

			assert_true(got < cap);
			assert_int_equal(got, w.len);
			assert_memory_equal(buf, full, got);
			if (cap > n)
				assert_string_equal(buf, full);
		}
		free(buf);
	}

	/* No buffer at all. */
	jsonw_init(&w, NULL, 100);
	write_all(&w);
	assert_true(w.overflow);
	assert_int_equal(w.len, 0);
}

static void test_overflow_sticks(void **state)
{
	char buf[16];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_str(&w, "k", "a long value that does not fit");
	assert_true(w.overflow);
	assert_string_equal(buf, "{\"k\":");
	/* A short member that would fit is not written after an overflow. */
	jsonw_u64(&w, "a", 1);
	jsonw_end(&w);
	assert_true(w.overflow);
	assert_string_equal(buf, "{\"k\":");
	/* init starts afresh. */
	jsonw_init(&w, buf, sizeof(buf));
	assert_false(w.overflow);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_plain),
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_escape_lengths),
		cmocka_unit_test(test_escape_every_cap),
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_doubles_locale),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_truncate_every_cap),
		cmocka_unit_test(test_overflow_sticks),
	};

	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
