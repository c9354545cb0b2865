/* libFuzzer target: json_escape() and the jsonw writer on arbitrary bytes.
 * The output must be valid JSON (checked by a small validator here) and
 * decode back to the input, with each byte that is not part of well-formed
 * UTF-8 read as U+FFFD. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/jsonw.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode one UTF-8 code point at s (n bytes left): its length, or 0 if the
 * bytes are not well-formed.  Written differently from jsonw.c on purpose:
 * decode, then reject overlongs, surrogates and values past U+10FFFF. */
static size_t get_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2; v = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; v = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; v = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int hex4(const unsigned char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Validate a JSON string at s[*i] (RFC 8259, and well-formed Unicode);
 * decode it into dec (room for 4 bytes per input byte) if not NULL. */
static int json_string(const unsigned char *s, size_t n, size_t *i, unsigned char *dec, size_t *dlen)
{
	size_t p = *i, d = 0;
	unsigned char tmp[4];

	if (p >= n || s[p] != '"')
		return -1;
	p++;
	for (;;) {
		unsigned cp;
		size_t k;

		if (p >= n)
			return -1;
		if (s[p] == '"')
			break;
		if (s[p] < 0x20)
			return -1;
		if (s[p] == '\\') {
			if (p + 1 >= n)
				return -1;
			switch (s[p + 1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (p + 6 > n || hex4(s + p + 2, &cp))
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;	/* lone low surrogate */
				if (cp >= 0xd800 && cp <= 0xdbff) {
					unsigned lo;

					if (p + 12 > n || s[p + 6] != '\\' || s[p + 7] != 'u' ||
					    hex4(s + p + 8, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
				p += 4;
				break;
			default:
				return -1;
			}
			p += 2;
			k = put_utf8(dec ? dec + d : tmp, cp);
			d += dec ? k : 0;
			continue;
		}
		k = get_utf8(s + p, n - p, &cp);
		if (!k)
			return -1;
		if (dec)
			memcpy(dec + d, s + p, k);
		d += dec ? k : 0;
		p += k;
	}
	*i = p + 1;
	if (dlen)
		*dlen = d;
	return 0;
}

static int json_number(const unsigned char *s, size_t n, size_t *i)
{
	size_t p = *i;

	if (p < n && s[p] == '-')
		p++;
	if (p >= n || s[p] < '0' || s[p] > '9')
		return -1;
	if (s[p] == '0')
		p++;
	else
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	if (p < n && s[p] == '.') {
		p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			return -1;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			return -1;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	*i = p;
	return 0;
}

static int json_value(const unsigned char *s, size_t n, size_t *i, int depth);

static int json_object(const unsigned char *s, size_t n, size_t *i, int depth)
{
	size_t p = *i + 1;

	if (p < n && s[p] == '}') {
		*i = p + 1;
		return 0;
	}
	for (;;) {
		if (json_string(s, n, &p, NULL, NULL) || p >= n || s[p++] != ':' ||
		    json_value(s, n, &p, depth + 1) || p >= n)
			return -1;
		if (s[p] == '}')
			break;
		if (s[p++] != ',')
			return -1;
	}
	*i = p + 1;
	return 0;
}

static int json_array(const unsigned char *s, size_t n, size_t *i, int depth)
{
	size_t p = *i + 1;

	if (p < n && s[p] == ']') {
		*i = p + 1;
		return 0;
	}
	for (;;) {
		if (json_value(s, n, &p, depth + 1) || p >= n)
			return -1;
		if (s[p] == ']')
			break;
		if (s[p++] != ',')
			return -1;
	}
	*i = p + 1;
	return 0;
}

static int json_lit(const unsigned char *s, size_t n, size_t *i, const char *lit)
{
	size_t k = strlen(lit);

	if (*i + k > n || memcmp(s + *i, lit, k))
		return -1;
	*i += k;
	return 0;
}

/* No whitespace: the writer never emits any. */
static int json_value(const unsigned char *s, size_t n, size_t *i, int depth)
{
	if (depth > 16 || *i >= n)
		return -1;
	switch (s[*i]) {
	case '{': return json_object(s, n, i, depth);
	case '[': return json_array(s, n, i, depth);
	case '"': return json_string(s, n, i, NULL, NULL);
	case 't': return json_lit(s, n, i, "true");
	case 'f': return json_lit(s, n, i, "false");
	case 'n': return json_lit(s, n, i, "null");
	default: return json_number(s, n, i);
	}
}

/* What the input should decode to: up to n bytes or a NUL, each byte that
 * does not start a well-formed sequence replaced by U+FFFD. */
static size_t expected(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t d = 0, end = 0;

	while (end < n && in[end])
		end++;
	for (size_t i = 0; i < end;) {
		unsigned cp;
		size_t k = get_utf8(in + i, end - i, &cp);

		if (k) {
			memcpy(out + d, in + i, k);
			d += k;
			i += k;
		} else {
			d += put_utf8(out + d, 0xfffd);
			i++;
		}
	}
	return d;
}

static void check_escape(const uint8_t *data, size_t size)
{
	size_t need = json_escape(NULL, 0, (const char *)data, size);
	size_t cap = need + 1, i = 0, dlen = 0, elen;
	char *out = malloc(cap + 16);
	unsigned char *dec = malloc(size * 4 + 4), *exp = malloc(size * 4 + 4);

	CHECK(out && dec && exp);
	memset(out, 0x5a, cap + 16);
	CHECK(json_escape(out, cap, (const char *)data, size) == need);
	CHECK(out[need] == '\0' && strlen(out) == need);
	for (size_t k = cap; k < cap + 16; k++)
		CHECK(out[k] == 0x5a);
	CHECK(json_string((unsigned char *)out, need, &i, dec, &dlen) == 0);
	CHECK(i == need);
	elen = expected(data, size, exp);
	CHECK(dlen == elen && memcmp(dec, exp, dlen) == 0);

	/* A cut buffer: a terminated prefix, nothing past cap. */
	size_t small = size ? data[size - 1] % (need + 2) : 0;

	memset(out, 0x5a, cap + 16);
	CHECK(json_escape(out, small, (const char *)data, size) == need);
	for (size_t k = small; k < cap + 16; k++)
		CHECK(out[k] == 0x5a);
	if (small)
		CHECK(strlen(out) == (need < small ? need : small - 1));
	free(out);
	free(dec);
	free(exp);
}

static void check_writer(const uint8_t *data, size_t size)
{
	size_t cap = size ? (size_t)data[0] * 8 : 0, split = size / 3;
	char *buf = malloc(cap + 16);
	struct jsonw w;
	double d = 0;
	int decimals = size > 1 ? (int8_t)data[1] : 3;
	char *key;

	CHECK(buf);
	if (size >= 2 + sizeof(d))
		memcpy(&d, data + 2, sizeof(d));
	key = malloc(split + 1);
	CHECK(key);
	memcpy(key, data, split);
	key[split] = '\0';

	memset(buf, 0x5a, cap + 16);
	jsonw_init(&w, buf, cap);
	jsonw_begin(&w);
	jsonw_str(&w, key, key);
	jsonw_strn(&w, "v", (const char *)data + split, size - split);
	jsonw_u64(&w, key, (uint64_t)size * 0x9e3779b97f4a7c15ULL);
	jsonw_i64(&w, "i", -(int64_t)size * 0x12345678);
	jsonw_double(&w, "d", d, decimals);
	jsonw_bool(&w, "b", size & 1);
	jsonw_hex(&w, "h", (uint64_t)size << 40);
	jsonw_raw(&w, "r", "[1,{\"x\":null}]");
	jsonw_str(&w, "n", NULL);
	jsonw_end(&w);

	for (size_t k = cap; k < cap + 16; k++)
		CHECK(buf[k] == 0x5a);
	if (cap) {
		CHECK(w.len < cap && buf[w.len] == '\0' && strlen(buf) == w.len);
	} else {
		CHECK(w.overflow);
	}
	if (!w.overflow) {
		size_t i = 0;

		CHECK(json_value((unsigned char *)buf, w.len, &i, 0) == 0);
		CHECK(i == w.len);
		CHECK(buf[0] == '{');
	}
	free(key);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_escape(data, size);
	check_writer(data, size);
	return 0;
}
