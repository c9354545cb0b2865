/* libFuzzer target: the strict JSON Lines reader (util/jsonr.h) and every
 * getter on arbitrary bytes.  `thptrace report` feeds it lines from other
 * machines, so beyond "no crash" this checks what jsonr.h promises:
 *  - it reads exactly the valid JSON objects (as json_oracle.h, written
 *    apart, reads them) within its documented limits;
 *  - a failed parse says "column N: why" with N inside the line (or just
 *    past it), and writes nothing past errlen;
 *  - a parse gives distinct NUL-terminated keys and well-formed UTF-8
 *    strings, each as json_oracle.h decodes its raw text, and the members'
 *    raw texts lie in order inside the input;
 *  - the getters agree with an independent reading of the raw text;
 *  - the object written back with json_escape (sinks/jsonw.h) parses to the
 *    same members (written back again, the same bytes);
 *  - a nested object parses with a second struct jsonr (as report.c reads
 *    "counts") unless it breaks a rule only the top level has. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/jsonr.h"
#include "sinks/jsonw.h"
#include "json_oracle.h"

#define NEST 3		/* levels of nested objects parsed again */
#define ERRLEN 200

/* 64 KiB each: J[0] the line, J[1..NEST] nested objects; again: scratch. */
static struct jsonr J[NEST + 1], again;

/* jsonr_parse into j with a canary past ERRLEN; a failure must say where. */
static int parse(struct jsonr *j, const char *s, size_t len, char *err)
{
	unsigned long col;
	char *end;
	int rc;

	memset(err, 0x5a, ERRLEN + 16);
	rc = jsonr_parse(j, s, len, err, ERRLEN);
	CHECK(rc == 0 || rc == -1);
	CHECK(memchr(err, '\0', ERRLEN) != NULL);
	for (size_t k = ERRLEN; k < ERRLEN + 16; k++)
		CHECK(err[k] == 0x5a);
	if (rc < 0) {
		CHECK(strncmp(err, "column ", 7) == 0);
		col = strtoul(err + 7, &end, 10);
		CHECK(col >= 1 && col <= len + 1 && end[0] == ':' && end[1] == ' ');
	}
	return rc;
}

/* A failure for a rule of the top level only: nested objects are just
 * validated, so duplicate keys, a key with \u0000 and more than
 * JSONR_MAX_MEMBERS members pass there. */
static int top_only(const char *err)
{
	return strstr(err, "duplicate key") || strstr(err, "must not contain \\u0000") ||
	       (strstr(err, "more than") && strstr(err, " members"));
}

/* Every getter on key, against what the member's raw text says. */
static void check_getters(const struct jsonr *j, const char *key)
{
	const struct jsonr_member *m = jsonr_get(j, key);
	char err[ERRLEN], buf[400];
	unsigned __int128 mag = 0;	/* of an integer; saturates past 2^64 */
	int neg = 0, isint = m && m->type == JSONR_NUMBER;
	uint64_t u;
	int64_t i;
	double d, x;
	bool b;
	const char *s;
	int rc;

	if (isint) {
		neg = m->raw[0] == '-';
		for (size_t k = (size_t)neg; k < m->raw_len && isint; k++) {
			isint = m->raw[k] >= '0' && m->raw[k] <= '9';
			mag = mag * 10 + (unsigned)(m->raw[k] - '0');
			if (mag > UINT64_MAX)
				mag = (unsigned __int128)UINT64_MAX + 1;
		}
	}
	rc = jsonr_u64(j, key, &u, err, sizeof(err));
	CHECK(rc == (!m ? 0 : isint && mag <= UINT64_MAX && (!neg || mag == 0) ? 1 : -1));
	CHECK(rc != 1 || u == (uint64_t)mag);
	CHECK(rc != -1 || err[0] == '"');
	rc = jsonr_i64(j, key, &i, err, sizeof(err));
	CHECK(rc == (!m ? 0 : isint && mag <= (unsigned __int128)INT64_MAX + (unsigned)neg ? 1 : -1));
	CHECK(rc != 1 || (unsigned __int128)(neg ? -(__int128)i : i) == mag);
	rc = jsonr_double(j, key, &d, err, sizeof(err));
	if (m && m->type == JSONR_NUMBER && m->raw_len < sizeof(buf)) {
		memcpy(buf, m->raw, m->raw_len);
		buf[m->raw_len] = 0;
		x = strtod(buf, NULL);	/* the fuzzer runs in the C locale */
		CHECK(rc == (isinf(x) ? -1 : 1));
		CHECK(rc != 1 || memcmp(&d, &x, sizeof(d)) == 0);
	} else {
		CHECK(rc == (m ? -1 : 0));
	}
	rc = jsonr_bool(j, key, &b, err, sizeof(err));
	CHECK(rc == (!m ? 0 : m->type == JSONR_BOOL ? 1 : -1));
	CHECK(rc != 1 || b == m->b);
	rc = jsonr_str(j, key, &s, err, sizeof(err));
	CHECK(rc == (!m ? 0 : m->type == JSONR_STRING && strlen(m->str) == m->str_len ? 1 : -1));
	CHECK(rc != 1 || s == m->str);
	if (rc == 1) {
		size_t n = strlen(s);

		rc = n >= 3 && n <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		     strspn(s + 2, "0123456789abcdefABCDEF") == n - 2 ? 1 : -1;
	}
	CHECK(jsonr_hex(j, key, &u, err, sizeof(err)) == rc);
	CHECK(rc != 1 || u == strtoull(s + 2, NULL, 16));
}

static void check_object(int level, const char *s, size_t len);

/* Member m of J[level], parsed from s[0..len) (trimmed). */
static void check_member(int level, const struct jsonr_member *m, const char *s, size_t len)
{
	const struct jsonr *j = &J[level];
	const char *r = m->raw, *end = m->raw + m->raw_len;
	char err[ERRLEN + 16], *dec;
	size_t dlen;

	CHECK(m->key && utf8_ok((const unsigned char *)m->key, strlen(m->key)));
	CHECK(jsonr_get(j, m->key) == m);
	CHECK(r > s && m->raw_len > 0 && end < s + len);
	switch (m->type) {
	case JSONR_STRING:
		CHECK(m->raw_len >= 2 && r[0] == '"' && end[-1] == '"');
		CHECK(m->str >= j->arena && m->str + m->str_len < j->arena + j->arena_len);
		CHECK(m->str[m->str_len] == '\0');
		CHECK(utf8_ok((const unsigned char *)m->str, m->str_len));
		dec = malloc(m->raw_len);
		CHECK(dec && json_str(r, m->raw_len, dec, &dlen) == m->raw_len);
		CHECK(dlen == m->str_len && !memcmp(dec, m->str, dlen));
		free(dec);
		break;
	case JSONR_NUMBER:
		CHECK(number_ok(r, m->raw_len));
		break;
	case JSONR_BOOL:
		CHECK(m->raw_len == (m->b ? 4u : 5u) && !memcmp(r, m->b ? "true" : "false", m->raw_len));
		break;
	case JSONR_NULL:
		CHECK(m->raw_len == 4 && !memcmp(r, "null", 4));
		break;
	case JSONR_ARRAY:
		CHECK(r[0] == '[' && end[-1] == ']');
		CHECK(jsonr_parse(&again, r, m->raw_len, NULL, 0) == -1);	/* a line is an object */
		break;
	case JSONR_OBJECT:
		CHECK(r[0] == '{' && end[-1] == '}');
		if (level == NEST)
			break;
		if (parse(&J[level + 1], r, m->raw_len, err) < 0)
			CHECK(top_only(err));
		else
			check_object(level + 1, r, m->raw_len);
		break;
	default:
		CHECK(!"unknown member type");
	}
	check_getters(j, m->key);
}

/* J[level], parsed from s[0..len): one object, surrounding whitespace allowed. */
static void check_object(int level, const char *s, size_t len)
{
	const struct jsonr *j = &J[level];

	while (len && memchr(" \t\r\n", s[len - 1], 4))
		len--;
	while (len && memchr(" \t\r\n", s[0], 4))
		s++, len--;
	CHECK(len >= 2 && s[0] == '{' && s[len - 1] == '}');
	CHECK(j->n <= JSONR_MAX_MEMBERS && j->arena_len <= sizeof(j->arena));
	for (size_t k = 0; k < j->n; k++) {
		CHECK(k == 0 || j->m[k - 1].raw + j->m[k - 1].raw_len < j->m[k].raw);
		check_member(level, &j->m[k], s, len);
	}
	/* Absent: a key is UTF-8.  Every getter then says 0. */
	CHECK(jsonr_get(j, "\xff") == NULL);
	check_getters(j, "\xff");
}

/* Escape s[0..n) without its quotes, NUL as \u0000 (json_escape stops there). */
static size_t put_str(char *o, const char *s, size_t n)
{
	for (size_t d = 0;;) {
		const char *nul = memchr(s, '\0', n);
		size_t k = nul ? (size_t)(nul - s) : n, e = json_escape(o + d, (size_t)-1 / 2, s, k);

		memmove(o + d, o + d + 1, e - 2);	/* drop the quotes */
		d += e - 2;
		if (!nul)
			return d;
		memcpy(o + d, "\\u0000", 6);
		d += 6;
		s += k + 1;
		n -= k + 1;
	}
}

/* j written back: keys and strings escaped by json_escape, other values raw.
 * Each decoded byte takes at most 6 bytes escaped; bound has room. */
static char *serialise(const struct jsonr *j, size_t bound, size_t *len)
{
	char *o = malloc(bound);
	size_t d = 0;

	CHECK(o);
	o[d++] = '{';
	for (size_t k = 0; k < j->n; k++) {
		const struct jsonr_member *m = &j->m[k];

		d += (size_t)sprintf(o + d, "%s\"", k ? "," : "");
		d += put_str(o + d, m->key, strlen(m->key));
		d += (size_t)sprintf(o + d, "\":");
		if (m->type == JSONR_STRING) {
			o[d++] = '"';
			d += put_str(o + d, m->str, m->str_len);
			o[d++] = '"';
		} else {
			memcpy(o + d, m->raw, m->raw_len);
			d += m->raw_len;
		}
	}
	o[d++] = '}';
	CHECK(d < bound);
	*len = d;
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[ERRLEN + 16], small[32];
	size_t bound = size * 6 + 8 * JSONR_MAX_MEMBERS + 16, l1, l2, errlen = size % 24;
	char *o1, *o2;
	int rc = parse(&J[0], s, size, err);

	/* A short buffer or none for the message: the same answer, nothing past it. */
	memset(small, 0x5a, sizeof(small));
	CHECK(jsonr_parse(&again, s, size, small, errlen) == rc);
	CHECK(errlen == 0 || memchr(small, '\0', errlen));
	for (size_t k = errlen; k < sizeof(small); k++)
		CHECK(small[k] == 0x5a);
	CHECK(jsonr_parse(&again, s, size, NULL, 0) == rc);
	/* Valid JSON (json_oracle.h's reading) is read, unless it breaks a rule
	 * of the top level or is too long; nothing else is. */
	if (rc < 0) {
		CHECK(!json_line_ok(s, size, JSONR_MAX_DEPTH) || top_only(err) || size > JSONR_MAX_LINE);
		return 0;
	}
	CHECK(json_line_ok(s, size, JSONR_MAX_DEPTH));
	check_object(0, s, size);

	/* Written back and parsed again: the same members, so the same bytes. */
	o1 = serialise(&J[0], bound, &l1);
	if (l1 <= JSONR_MAX_LINE) {
		CHECK(parse(&again, o1, l1, err) == 0 && again.n == J[0].n);
		o2 = serialise(&again, bound, &l2);
		CHECK(l1 == l2 && !memcmp(o1, o2, l1));
		free(o2);
	}
	free(o1);
	return 0;
}
