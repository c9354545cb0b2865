/* For the fuzz targets: JSON text read a second way, written apart from
 * util/jsonr.c and util/utf8.c (different shape: a byte scanner, a regex for
 * numbers), so that fuzz_jsonr can check the reader against it.  Static
 * functions: include it from one fuzz target's .c. */
#ifndef THP_FUZZ_JSON_ORACLE_H
#define THP_FUZZ_JSON_ORACLE_H

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_one(const unsigned char *s, size_t n)
{
	unsigned v = s[0], min;
	size_t len = v < 0x80 ? 1 : (v & 0xe0) == 0xc0 ? 2 : (v & 0xf0) == 0xe0 ? 3 : (v & 0xf8) == 0xf0 ? 4 : 0;

	if (len < 2)
		return len;
	if (n < len)
		return 0;
	min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
	v &= 0x7fu >> len;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	return v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) ? 0 : len;
}

static int utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_one(s + i, n - i)))
			return 0;
	return 1;
}

static size_t put_cp(char *o, unsigned cp)
{
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	for (size_t k = n - 1; k > 0; k--, cp >>= 6)
		o[k] = (char)(0x80 | (cp & 0x3f));
	o[0] = (char)(n == 1 ? cp : lead[n] | cp);
	return n;
}

/* Four hex digits at s (n bytes there) as a number, or -1. */
static long hex4(const char *s, size_t n)
{
	char b[5] = { 0 };

	if (n < 4)
		return -1;
	memcpy(b, s, 4);
	return strspn(b, "0123456789abcdefABCDEF") == 4 ? strtol(b, NULL, 16) : -1;
}

/* The string whose opening quote is at s[0]: its raw length, or 0 if it is
 * not a valid JSON string.  With o, its decoded bytes go there (*olen). */
static size_t json_str(const char *s, size_t n, char *o, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t i = 1, d = 0, k;
	long cp, lo;

	while (i < n && s[i] != '"') {
		if ((unsigned char)s[i] < 0x20)
			return 0;
		if (s[i] != '\\') {
			if (!(k = utf8_one((const unsigned char *)s + i, n - i)))
				return 0;
			if (o)
				memcpy(o + d, s + i, k);
			d += k;
			i += k;
			continue;
		}
		if (i + 1 >= n || !s[i + 1] || !strchr("\"\\/bfnrtu", s[i + 1]))
			return 0;
		if (s[i + 1] != 'u') {
			if (o)
				o[d] = to[strchr(from, s[i + 1]) - from];
			d++;
			i += 2;
			continue;
		}
		if ((cp = hex4(s + i + 2, n - i - 2)) < 0 || (cp >= 0xdc00 && cp <= 0xdfff))
			return 0;
		i += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {	/* a pair: \uD8xx\uDCxx */
			if (n - i < 2 || s[i] != '\\' || s[i + 1] != 'u' ||
			    (lo = hex4(s + i + 2, n - i - 2)) < 0xdc00 || lo > 0xdfff)
				return 0;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		d += o ? put_cp(o + d, (unsigned)cp) : 4;
	}
	if (i >= n)
		return 0;
	if (olen)
		*olen = d;
	return i + 1;
}

/* RFC 8259's number: no leading zeros, digits after '.' and in the exponent. */
static int number_ok(const char *r, size_t n)
{
	static regex_t re;
	static int ready;
	char *z = strndup(r, n);
	int ok;

	if (!ready)
		ready = !regcomp(&re, "^-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?$", REG_EXTENDED | REG_NOSUB);
	CHECK(ready && z && strlen(z) == n);
	ok = regexec(&re, z, 0, NULL, 0) == 0;
	free(z);
	return ok;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* The value at s[i] as RFC 8259 has it, a container nested at depth (an
 * object at the top of a line is 1) and none deeper than max: the index
 * just past it, or 0. */
static size_t json_value(const char *s, size_t n, size_t i, int depth, int max)
{
	size_t k;
	char close;

	if (i >= n)
		return 0;
	if (s[i] == '"')
		return (k = json_str(s + i, n - i, NULL, NULL)) ? i + k : 0;
	if (s[i] == 't' || s[i] == 'f' || s[i] == 'n') {
		const char *w = s[i] == 't' ? "true" : s[i] == 'f' ? "false" : "null";

		k = strlen(w);
		return n - i >= k && !memcmp(s + i, w, k) ? i + k : 0;
	}
	if (s[i] != '{' && s[i] != '[') {
		for (k = i; k < n && s[k] && strchr("-+.eE0123456789", s[k]); k++)
			;
		return k > i && number_ok(s + i, k - i) ? k : 0;
	}
	if (depth > max)
		return 0;
	close = s[i] == '{' ? '}' : ']';
	i = skip_ws(s, n, i + 1);
	if (i < n && s[i] == close)
		return i + 1;
	for (;;) {
		if (close == '}') {
			if (i >= n || s[i] != '"' || !(k = json_str(s + i, n - i, NULL, NULL)))
				return 0;
			i = skip_ws(s, n, i + k);
			if (i >= n || s[i] != ':')
				return 0;
			i = skip_ws(s, n, i + 1);
		}
		if (!(i = json_value(s, n, i, depth + 1, max)))
			return 0;
		i = skip_ws(s, n, i);
		if (i < n && s[i] == close)
			return i + 1;
		if (i >= n || s[i] != ',')
			return 0;
		i = skip_ws(s, n, i + 1);
	}
}

/* One object, whitespace around it allowed, nesting at most max. */
static int json_line_ok(const char *s, size_t n, int max)
{
	size_t i = skip_ws(s, n, 0);

	if (i >= n || s[i] != '{' || !(i = json_value(s, n, i, 1, max)))
		return 0;
	return skip_ws(s, n, i) == n;
}

#endif
