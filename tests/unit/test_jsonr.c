/* Unit tests for src/jsonr.c: the strict one-line JSON reader used by
 * `thptrace report`, on valid lines and on hostile ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/jsonr.h"

static struct jsonr J;

static void parse_ok(const char *s)
{
	char err[256] = "";

	if (jsonr_parse(&J, s, strlen(s), err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", s, err);
}

/* Rejected, with a message that contains want. */
static void parse_bad_n(const char *s, size_t n, const char *want)
{
	char err[256];

	memset(err, 'X', sizeof(err));
	if (jsonr_parse(&J, s, n, err, sizeof(err)) == 0)
		fail_msg("'%.*s' accepted", (int)(n > 200 ? 200 : n), s);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	assert_null(strchr(err, '\n'));
	assert_true(strncmp(err, "column ", 7) == 0);
	if (!strstr(err, want))
		fail_msg("'%.*s': message '%s' lacks '%s'", (int)(n > 200 ? 200 : n), s, err, want);
}

static void parse_bad(const char *s, const char *want)
{
	parse_bad_n(s, strlen(s), want);
}

static void test_event_line(void **state)
{
	const char *line =
		"{\"event\":\"collapse_file\",\"t\":1.234567,\"ts_ns\":18446744073709551615,"
		"\"pid\":55,\"tgid\":55,\"comm\":\"khugepaged\",\"via\":\"tracepoint\",\"mm\":1,"
		"\"addr\":\"0x7f0000200000\",\"file\":\"/tmp/a b\",\"pgoff\":512,"
		"\"result\":\"SCAN_SUCCEED\",\"result_code\":-1,\"in_collapse\":true,\"x\":null}";
	const char *s;
	uint64_t u;
	int64_t i;
	double d;
	bool b;
	char err[128];

	(void)state;
	parse_ok(line);
	assert_int_equal(J.n, 15);
	assert_int_equal(jsonr_str(&J, "event", &s, err, sizeof(err)), 1);
	assert_string_equal(s, "collapse_file");
	assert_int_equal(jsonr_double(&J, "t", &d, err, sizeof(err)), 1);
	assert_true(d > 1.2345669 && d < 1.2345671);
	assert_int_equal(jsonr_u64(&J, "ts_ns", &u, err, sizeof(err)), 1);
	assert_true(u == UINT64_MAX);
	assert_int_equal(jsonr_i64(&J, "result_code", &i, err, sizeof(err)), 1);
	assert_int_equal(i, -1);
	assert_int_equal(jsonr_hex(&J, "addr", &u, err, sizeof(err)), 1);
	assert_true(u == 0x7f0000200000ull);
	assert_int_equal(jsonr_bool(&J, "in_collapse", &b, err, sizeof(err)), 1);
	assert_true(b);
	assert_int_equal(jsonr_get(&J, "x")->type, JSONR_NULL);
	/* absent */
	assert_int_equal(jsonr_u64(&J, "nope", &u, err, sizeof(err)), 0);
	/* wrong types */
	assert_int_equal(jsonr_u64(&J, "comm", &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"comm\""));
	assert_int_equal(jsonr_u64(&J, "result_code", &u, err, sizeof(err)), -1);
	assert_int_equal(jsonr_u64(&J, "t", &u, err, sizeof(err)), -1);
	assert_int_equal(jsonr_str(&J, "pid", &s, err, sizeof(err)), -1);
	assert_int_equal(jsonr_bool(&J, "x", &b, err, sizeof(err)), -1);
	assert_int_equal(jsonr_hex(&J, "file", &u, err, sizeof(err)), -1);
	assert_int_equal(jsonr_double(&J, "comm", &d, err, sizeof(err)), -1);
}

static void test_escapes(void **state)
{
	const char *s;
	char err[128];

	(void)state;
	parse_ok("{\"f\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}");
	assert_int_equal(jsonr_str(&J, "f", &s, err, sizeof(err)), 1);
	assert_string_equal(s, "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Raw UTF-8 passes through unchanged. */
	parse_ok("{\"f\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
	assert_int_equal(jsonr_str(&J, "f", &s, err, sizeof(err)), 1);
	assert_string_equal(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Upper-case hex digits; the key itself escaped. */
	parse_ok("{\"\\u0066ile\":\"\\u00E9\"}");
	assert_int_equal(jsonr_str(&J, "file", &s, err, sizeof(err)), 1);
	assert_string_equal(s, "\xc3\xa9");
	/* \u0000 is kept with its length, but the C-string getter refuses it. */
	parse_ok("{\"f\":\"a\\u0000b\"}");
	assert_int_equal(jsonr_get(&J, "f")->str_len, 3);
	assert_int_equal(jsonr_str(&J, "f", &s, err, sizeof(err)), -1);
	/* What our own writer (jsonw) makes of odd file names. */
	parse_ok("{\"file\":\"a<b&\\\"c'.so\\ufffd\\u001f\"}");
	assert_int_equal(jsonr_str(&J, "file", &s, err, sizeof(err)), 1);
	assert_string_equal(s, "a<b&\"c'.so\xef\xbf\xbd\x1f");
}

static void test_nested_and_numbers(void **state)
{
	const struct jsonr_member *m;
	struct jsonr *inner = malloc(sizeof(*inner));
	char err[128];
	uint64_t u;
	int64_t i;
	double d;

	(void)state;
	parse_ok(" \t{ \"ms\" : [ {\"t\":1.5,\"what\":\"a]}\"} , [] , {} ] ,\"counts\":{\"exec\":1,\"state\":2},"
		 "\"a\":0,\"b\":-0,\"c\":1e3,\"d\":-2.5E-2,\"e\":9223372036854775807,"
		 "\"f\":-9223372036854775808 }\r\n");
	m = jsonr_get(&J, "ms");
	assert_int_equal(m->type, JSONR_ARRAY);
	assert_int_equal(m->raw_len, strlen("[ {\"t\":1.5,\"what\":\"a]}\"} , [] , {} ]"));
	assert_memory_equal(m->raw, "[ {", 3);
	m = jsonr_get(&J, "counts");
	assert_int_equal(m->type, JSONR_OBJECT);
	/* A nested object's span parses on its own. */
	assert_int_equal(jsonr_parse(inner, m->raw, m->raw_len, err, sizeof(err)), 0);
	assert_int_equal(jsonr_u64(inner, "state", &u, err, sizeof(err)), 1);
	assert_int_equal(u, 2);
	free(inner);
	assert_int_equal(jsonr_u64(&J, "a", &u, err, sizeof(err)), 1);
	assert_int_equal(u, 0);
	assert_int_equal(jsonr_i64(&J, "b", &i, err, sizeof(err)), 1);
	assert_int_equal(i, 0);
	assert_int_equal(jsonr_double(&J, "c", &d, err, sizeof(err)), 1);
	assert_true(d == 1000.0);
	assert_int_equal(jsonr_u64(&J, "c", &u, err, sizeof(err)), -1);	/* exponent: not an integer */
	assert_int_equal(jsonr_double(&J, "d", &d, err, sizeof(err)), 1);
	assert_true(d == -0.025);
	assert_int_equal(jsonr_i64(&J, "e", &i, err, sizeof(err)), 1);
	assert_true(i == INT64_MAX);
	assert_int_equal(jsonr_i64(&J, "f", &i, err, sizeof(err)), 1);
	assert_true(i == INT64_MIN);
	assert_int_equal(jsonr_u64(&J, "f", &u, err, sizeof(err)), -1);
	parse_ok("{}");
	assert_int_equal(J.n, 0);
}

static void test_range_limits(void **state)
{
	char err[128];
	uint64_t u;
	int64_t i;
	double d;

	(void)state;
	parse_ok("{\"a\":18446744073709551616,\"b\":9223372036854775808,\"c\":-9223372036854775809,"
		 "\"d\":1e999,\"e\":1e-999,\"h\":\"0x\",\"i\":\"0x10000000000000000\",\"j\":\"0xfg\","
		 "\"k\":\"0XFFFFFFFFFFFFFFFF\",\"l\":\"12\"}");
	assert_int_equal(jsonr_u64(&J, "a", &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(jsonr_i64(&J, "b", &i, err, sizeof(err)), -1);
	assert_int_equal(jsonr_i64(&J, "c", &i, err, sizeof(err)), -1);
	assert_int_equal(jsonr_u64(&J, "b", &u, err, sizeof(err)), 1);
	assert_int_equal(jsonr_double(&J, "d", &d, err, sizeof(err)), -1);
	assert_int_equal(jsonr_double(&J, "e", &d, err, sizeof(err)), 1);
	assert_int_equal(jsonr_hex(&J, "h", &u, err, sizeof(err)), -1);
	assert_int_equal(jsonr_hex(&J, "i", &u, err, sizeof(err)), -1);
	assert_int_equal(jsonr_hex(&J, "j", &u, err, sizeof(err)), -1);
	assert_int_equal(jsonr_hex(&J, "k", &u, err, sizeof(err)), 1);
	assert_true(u == UINT64_MAX);
	assert_int_equal(jsonr_hex(&J, "l", &u, err, sizeof(err)), -1);
}

static void test_malformed(void **state)
{
	(void)state;
	parse_bad("", "empty line");
	parse_bad("   \r", "empty line");
	parse_bad("[1,2]", "expected '{'");
	parse_bad("\"x\"", "expected '{'");
	parse_bad("{", "expected '\"'");
	parse_bad("{\"a\"", "expected ':'");
	parse_bad("{\"a\":", "expected a value");
	parse_bad("{\"a\":1", "expected ',' or '}'");
	parse_bad("{\"a\":1,}", "expected '\"'");
	parse_bad("{\"a\":[1,]}", "expected a value");
	parse_bad("{\"a\":[1 2]}", "expected ',' or ']'");
	parse_bad("{'a':1}", "expected '\"'");
	parse_bad("{a:1}", "expected '\"'");
	parse_bad("{\"a\":1}{\"b\":2}", "text after the object");
	parse_bad("{\"a\":1} x", "text after the object");
	parse_bad("{\"a\":01}", "leading zeros");
	parse_bad("{\"a\":-}", "expected a digit");
	parse_bad("{\"a\":1.}", "digit after '.'");
	parse_bad("{\"a\":.5}", "expected a value");
	parse_bad("{\"a\":1e}", "exponent");
	parse_bad("{\"a\":+1}", "expected a value");
	parse_bad("{\"a\":NaN}", "expected a value");
	parse_bad("{\"a\":Infinity}", "expected a value");
	parse_bad("{\"a\":tru}", "expected a value");
	parse_bad("{\"a\":nul}", "expected a value");
	parse_bad("{\"a\":True}", "expected a value");
	parse_bad("{\"a\":\"x}", "unterminated string");
	parse_bad("{\"a\":\"x\\", "unterminated string");
	parse_bad("{\"a\":\"\\x\"}", "unknown escape");
	parse_bad("{\"a\":\"\\u12\"}", "four hex digits");
	parse_bad("{\"a\":\"\\u12G4\"}", "four hex digits");
	parse_bad("{\"a\":\"tab\there\"}", "control character");
	parse_bad("{\"a\":\"nl\nhere\"}", "control character");
	parse_bad("{\"a\":1,\"a\":2}", "duplicate key");
	parse_bad("{\"a\\u0000\":1}", "\\u0000");
	/* Truncated mid-line, as a killed writer leaves it. */
	parse_bad("{\"event\":\"state\",\"t\":1.5,\"comm\":\"thp_d", "unterminated string");
	parse_bad("{\"event\":\"state\",\"t\":1.5,", "expected '\"'");
	/* A raw NUL byte, outside and inside a string. */
	parse_bad_n("{\"a\":1}\0", 8, "text after the object");
	parse_bad_n("{\"a\":\"x\0y\"}", 11, "control character");
}

static void test_unicode_attacks(void **state)
{
	(void)state;
	parse_bad("{\"a\":\"\\ud800\"}", "high surrogate");
	parse_bad("{\"a\":\"\\ud800x\"}", "high surrogate");
	parse_bad("{\"a\":\"\\ud800\\u0041\"}", "high surrogate");
	parse_bad("{\"a\":\"\\udc00\"}", "low surrogate");
	parse_bad("{\"a\":\"\xff\"}", "invalid UTF-8");
	parse_bad("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8");		/* overlong '/' */
	parse_bad("{\"a\":\"\xe0\x80\xaf\"}", "invalid UTF-8");	/* overlong */
	parse_bad("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");	/* encoded surrogate */
	parse_bad("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");	/* above U+10FFFF */
	parse_bad("{\"a\":\"\xe2\x82\"}", "invalid UTF-8");		/* cut sequence */
	parse_bad("{\"a\":\"\xe2\x82", "invalid UTF-8");
	parse_bad("{\"\x80\":1}", "invalid UTF-8");
}

static char *repeat(const char *open, size_t times, const char *mid, const char *close)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *s = malloc(times * (lo + lc) + lm + 16), *p = s;

	p += sprintf(p, "{\"a\":");
	for (size_t k = 0; k < times; k++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (size_t k = 0; k < times; k++, p += lc)
		memcpy(p, close, lc);
	strcpy(p, "}");
	return s;
}

static void test_limits(void **state)
{
	char *s, *big;
	size_t n;

	(void)state;
	/* 31 levels below the top object are fine, 32 are not. */
	s = repeat("[", JSONR_MAX_DEPTH - 1, "1", "]");
	parse_ok(s);
	free(s);
	s = repeat("[", JSONR_MAX_DEPTH, "1", "]");
	parse_bad(s, "nested deeper");
	free(s);
	s = repeat("{\"k\":", JSONR_MAX_DEPTH, "1", "}");
	parse_bad(s, "nested deeper");
	free(s);
	/* Deep enough to overflow a naive recursive parser's stack. */
	s = repeat("[", JSONR_MAX_LINE - 16, "", "");
	parse_bad(s, "nested deeper");
	free(s);

	/* Members: JSONR_MAX_MEMBERS fit, one more does not. */
	big = malloc(JSONR_MAX_LINE + 16);
	n = (size_t)sprintf(big, "{");
	for (int k = 0; k < JSONR_MAX_MEMBERS; k++)
		n += (size_t)sprintf(big + n, "%s\"k%d\":%d", k ? "," : "", k, k);
	strcpy(big + n, "}");
	parse_ok(big);
	assert_int_equal(J.n, JSONR_MAX_MEMBERS);
	strcpy(big + n, ",\"x\":1}");
	parse_bad(big, "more than");

	/* The longest line allowed: one string filling it, decoded whole. */
	memset(big, 'a', JSONR_MAX_LINE);
	memcpy(big, "{\"s\":\"", 6);
	memcpy(big + JSONR_MAX_LINE - 2, "\"}", 2);
	parse_bad_n(big, JSONR_MAX_LINE + 1, "longer than");
	assert_int_equal(jsonr_parse(&J, big, JSONR_MAX_LINE, NULL, 0), 0);
	assert_int_equal(jsonr_get(&J, "s")->str_len, JSONR_MAX_LINE - 8);
	/* Many escapes decode shorter, never longer, than their text. */
	for (size_t k = 6; k + 6 <= JSONR_MAX_LINE - 2; k += 6)
		memcpy(big + k, "\\u00e9", 6);
	assert_int_equal(jsonr_parse(&J, big, JSONR_MAX_LINE, NULL, 0), 0);
	free(big);

	/* A NULL error buffer is allowed. */
	assert_int_equal(jsonr_parse(&J, "{x", 2, NULL, 0), -1);
	/* A tiny one still gets a terminated message. */
	{
		char tiny[8];

		assert_int_equal(jsonr_parse(&J, "{x", 2, tiny, sizeof(tiny)), -1);
		assert_non_null(memchr(tiny, '\0', sizeof(tiny)));
	}
}

/* Pseudo-random bytes and mutations of a valid line: never a crash, and
 * any accepted line has members whose spans lie inside the input. */
static void test_fuzz(void **state)
{
	static const char seed[] =
		"{\"event\":\"scan_file\",\"t\":0.5,\"file\":\"a\\u00e9\\ud83d\\ude00\",\"ms\":[{\"x\":[1,2]}],"
		"\"n\":-1.5e3,\"b\":true,\"z\":null}";
	char buf[sizeof(seed) + 8];
	uint32_t x = 12345;

	(void)state;
	for (int round = 0; round < 200000; round++) {
		size_t n = sizeof(seed) - 1;

		memcpy(buf, seed, n);
		for (int k = 0; k < 1 + round % 4; k++) {
			x = x * 1103515245u + 12345u;
			buf[(x >> 8) % n] = (char)(x >> 20);
		}
		if (round % 3 == 0) {
			x = x * 1103515245u + 12345u;
			n = (x >> 8) % n;
		}
		if (jsonr_parse(&J, buf, n, NULL, 0) == 0)
			for (size_t k = 0; k < J.n; k++) {
				assert_true(J.m[k].raw >= buf && J.m[k].raw + J.m[k].raw_len <= buf + n);
				assert_true(J.arena_len <= sizeof(J.arena));
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_nested_and_numbers),
		cmocka_unit_test(test_range_limits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unicode_attacks),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
