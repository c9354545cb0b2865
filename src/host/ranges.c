/* --range parsing and the overlap test used to filter events by address. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "host/ranges.h"
#include "util/hexdigit.h"

/* Longest part of the user's text quoted back in an error message. */
#define QUOTE_MAX 64

/* Copy at most n bytes of s into q for quoting in a one-line message:
 * bytes that are not printable ASCII become '?', a long text is cut with
 * "...".  q must hold QUOTE_MAX + 4 bytes. */
static void quote(char *q, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		q[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n && s[i]) {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i] = '\0';
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

enum hex_res { HEX_OK, HEX_EMPTY, HEX_NODIGITS, HEX_BAD, HEX_OVERFLOW };

/* Parse s[0..n) as one hexadecimal number with an optional 0x prefix. */
static enum hex_res parse_hex(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0)
		return HEX_EMPTY;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	if (i == n)
		return HEX_NODIGITS;
	for (; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return HEX_BAD;
		if (v > (UINT64_MAX >> 4))
			return HEX_OVERFLOW;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return HEX_OK;
}

static int hex_fail(enum hex_res r, const char *q, const char *what,
		    const char *s, size_t n, char *err, size_t errlen)
{
	char part[QUOTE_MAX + 4];

	quote(part, s, n);
	switch (r) {
	case HEX_EMPTY:
		return fail(err, errlen, "range '%s': missing %s address", q, what);
	case HEX_NODIGITS:
		return fail(err, errlen, "range '%s': %s address '%s' has no digits after 0x",
			    q, what, part);
	case HEX_OVERFLOW:
		return fail(err, errlen, "range '%s': %s address '%s' does not fit in 64 bits",
			    q, what, part);
	default:
		return fail(err, errlen, "range '%s': %s address '%s' is not a hexadecimal number",
			    q, what, part);
	}
}

int range_parse(const char *s, struct addr_range *out, char *err, size_t errlen)
{
	char q[QUOTE_MAX + 4];
	const char *dash;
	size_t len, slen;
	uint64_t start = 0, end = 0;
	enum hex_res r;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !*s)
		return fail(err, errlen, "empty range: expected START-END in hexadecimal");
	len = strlen(s);
	quote(q, s, len);

	dash = strchr(s, '-');
	if (!dash)
		return fail(err, errlen, "range '%s': expected START-END in hexadecimal", q);
	slen = (size_t)(dash - s);

	r = parse_hex(s, slen, &start);
	if (r != HEX_OK)
		return hex_fail(r, q, "start", s, slen, err, errlen);
	r = parse_hex(dash + 1, len - slen - 1, &end);
	if (r != HEX_OK)
		return hex_fail(r, q, "end", dash + 1, len - slen - 1, err, errlen);
	if (start >= end)
		return fail(err, errlen, "range '%s': start is not below end", q);
	if (out) {
		out->start = start;
		out->end = end;
	}
	return 0;
}

int ranges_overlap(const struct addr_range *r, size_t n, uint64_t start, uint64_t end)
{
	if (n == 0)
		return 1;
	if (!r)
		return 0;
	/* Forgiving with what callers build from event fields: an empty
	 * [a, a) (an event without a length) asks about the address a, and an
	 * end that wrapped past 2^64 means "to the top". */
	if (end == start) {
		if (start == UINT64_MAX)
			return 0;	/* no range can contain it */
		end = start + 1;
	} else if (end < start) {
		end = UINT64_MAX;
	}
	for (size_t i = 0; i < n; i++)
		if (r[i].start < end && start < r[i].end)
			return 1;
	return 0;
}
