/* JSON object writer into a fixed buffer.  Every append is all or nothing:
 * when a piece does not fit, overflow is set, the buffer keeps what was
 * written before (still NUL-terminated) and later appends do nothing.
 *
 * Strings are read up to n bytes or the first NUL, whichever comes first, so
 * a fixed-size char array (a comm, a file name) can be passed with its size. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sinks/json_schema.h"
#include "sinks/jsonw.h"
#include "util/utf8.h"

struct sink {
	char *p;
	size_t cap, len;
};

static void sink_put(struct sink *k, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, k->len++)
		if (k->len + 1 < k->cap)
			k->p[k->len] = s[i];
}

size_t json_escape(char *out, size_t cap, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	struct sink k = { out, out ? cap : 0, 0 };
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (!s)
		n = 0;
	else {
		const char *nul = memchr(s, '\0', n);

		if (nul)
			n = (size_t)(nul - s);
	}
	sink_put(&k, "\"", 1);
	while (i < n) {
		unsigned char c = u[i];
		size_t run = i, len;

		/* Copy a run of bytes that need nothing done in one go. */
		while (run < n && u[run] >= 0x20 && u[run] < 0x80 &&
		       u[run] != '"' && u[run] != '\\')
			run++;
		if (run > i) {
			sink_put(&k, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':  sink_put(&k, "\\\"", 2); i++; continue;
		case '\\': sink_put(&k, "\\\\", 2); i++; continue;
		case '\b': sink_put(&k, "\\b", 2); i++; continue;
		case '\f': sink_put(&k, "\\f", 2); i++; continue;
		case '\n': sink_put(&k, "\\n", 2); i++; continue;
		case '\r': sink_put(&k, "\\r", 2); i++; continue;
		case '\t': sink_put(&k, "\\t", 2); i++; continue;
		default:
			break;
		}
		if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };

			sink_put(&k, e, 6);
			i++;
			continue;
		}
		len = utf8_seq(u + i, n - i);
		if (len) {
			sink_put(&k, s + i, len);
			i += len;
		} else {
			sink_put(&k, "\\ufffd", 6);
			i++;
		}
	}
	sink_put(&k, "\"", 1);
	if (k.cap)
		k.p[k.len < k.cap ? k.len : k.cap - 1] = '\0';
	return k.len;
}

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->overflow = 0;
	w->first = 1;
	if (w->cap)
		w->buf[0] = '\0';
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (w->len >= w->cap || w->cap - w->len <= n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(struct jsonw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_escaped(struct jsonw *w, const char *s, size_t n)
{
	size_t avail, need;

	if (w->overflow)
		return;
	if (w->len >= w->cap) {
		w->overflow = 1;
		return;
	}
	avail = w->cap - w->len;
	need = json_escape(w->buf + w->len, avail, s, n);
	if (need >= avail) {
		w->overflow = 1;
		w->buf[w->len] = '\0';
		return;
	}
	w->len += need;
}

/* The separator and "key": before a member's value.  A NULL key writes the
 * value alone. */
static void member(struct jsonw *w, const char *key)
{
	if (!w->first)
		put(w, ",", 1);
	w->first = 0;
	if (key) {
		put_escaped(w, key, strlen(key));
		put(w, ":", 1);
	}
}

void jsonw_begin(struct jsonw *w)
{
	put(w, "{", 1);
	w->first = 1;
}

void jsonw_end(struct jsonw *w)
{
	put(w, "}", 1);
	w->first = 0;
}

void jsonw_str(struct jsonw *w, const char *key, const char *val)
{
	member(w, key);
	if (val)
		put_escaped(w, val, strlen(val));
	else
		put(w, "null", 4);
}

void jsonw_strn(struct jsonw *w, const char *key, const char *val, size_t n)
{
	member(w, key);
	if (val)
		put_escaped(w, val, n);
	else
		put(w, "null", 4);
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t v)
{
	char tmp[24];

	member(w, key);
	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	puts_(w, tmp);
}

void jsonw_i64(struct jsonw *w, const char *key, int64_t v)
{
	char tmp[24];

	member(w, key);
	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	puts_(w, tmp);
}

/* printf's %f writes the locale's decimal point, which may be "," or even
 * several bytes: whatever stands between the integer digits and the
 * fraction digits becomes '.'. */
static void fix_decimal_point(char *s)
{
	char *p = s, *q;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (!*p)
		return;
	q = p;
	while (*q && !(*q >= '0' && *q <= '9'))
		q++;
	*p = '.';
	memmove(p + 1, q, strlen(q) + 1);
}

void jsonw_double(struct jsonw *w, const char *key, double v, int decimals)
{
	char tmp[400];	/* DBL_MAX with 20 decimals needs 331 */
	int r;

	member(w, key);
	if (!isfinite(v)) {
		put(w, "null", 4);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 20)
		decimals = 20;
	r = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		put(w, "null", 4);
		return;
	}
	fix_decimal_point(tmp);
	puts_(w, tmp);
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
	member(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jsonw_hex(struct jsonw *w, const char *key, uint64_t v)
{
	char tmp[24];

	member(w, key);
	snprintf(tmp, sizeof(tmp), "\"0x%" PRIx64 "\"", v);
	puts_(w, tmp);
}

void jsonw_raw(struct jsonw *w, const char *key, const char *json)
{
	member(w, key);
	puts_(w, json && *json ? json : "null");
}

void jsonw_event(struct jsonw *w, const char *event, const char *time)
{
	jsonw_str(w, "event", event);
	jsonw_u64(w, "schema_version", THPTRACE_JSON_SCHEMA_VERSION);
	if (time)
		jsonw_str(w, "time", time);
}
