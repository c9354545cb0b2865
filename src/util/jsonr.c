/* Strict JSON reader for one line (see jsonr.h).  Recursive descent over
 * the bytes with an explicit depth bound; every error names its column. */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/jsonr.h"
#include "util/utf8.h"
#include "util/hexdigit.h"

struct p {
	const unsigned char *s;
	size_t len, i;
	struct jsonr *j;
	char *err;
	size_t errlen;
	int failed;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct p *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return -1;
	p->failed = 1;
	if (!p->err || !p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "column %zu: ", p->i + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void ws(struct p *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
				 p->s[p->i] == '\r'))
		p->i++;
}

/* What stands at the current position, for messages. */
static const char *what_here(struct p *p, char *buf, size_t n)
{
	unsigned char c;

	if (p->i >= p->len)
		return "the end of the line";
	c = p->s[p->i];
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", c);
	return buf;
}

static int expected(struct p *p, const char *what)
{
	char b[16];

	return fail(p, "expected %s, found %s", what, what_here(p, b, sizeof(b)));
}

static int hex4(struct p *p, unsigned *out)
{
	unsigned v = 0;

	if (p->len - p->i < 4)
		return fail(p, "\\u needs four hex digits");
	for (int k = 0; k < 4; k++) {
		int d = hexval((char)p->s[p->i + (size_t)k]);

		if (d < 0)
			return fail(p, "\\u needs four hex digits");
		v = v << 4 | (unsigned)d;
	}
	p->i += 4;
	*out = v;
	return 0;
}

static void arena_put(struct p *p, const void *b, size_t n)
{
	struct jsonr *j = p->j;

	/* Decoded text is never longer than its source, which is bounded by
	 * JSONR_MAX_LINE: this cannot overflow, but stay safe anyway. */
	if (!j || j->arena_len + n >= sizeof(j->arena))
		return;
	memcpy(j->arena + j->arena_len, b, n);
	j->arena_len += n;
}

static size_t utf8_put(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->i (on its opening quote).  With keep, its decoded bytes
 * go to the arena, NUL-terminated, and *out / *outlen say where. */
static int string(struct p *p, bool keep, const char **out, size_t *outlen)
{
	size_t start = p->j ? p->j->arena_len : 0;

	if (p->i >= p->len || p->s[p->i] != '"')
		return expected(p, "'\"'");
	p->i++;
	for (;;) {
		unsigned char c;

		if (p->i >= p->len)
			return fail(p, "unterminated string");
		c = p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20)
			return fail(p, "control character 0x%02x inside a string (must be escaped)", c);
		if (c == '\\') {
			char o[4];
			unsigned cp;

			if (p->i + 1 >= p->len)
				return fail(p, "unterminated string");
			c = p->s[++p->i];
			p->i++;
			switch (c) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (hex4(p, &cp) < 0)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(p, "\\u%04x is a low surrogate without a high one", cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					unsigned lo;

					if (p->len - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
						return fail(p, "\\u%04x is a high surrogate without a low one", cp);
					p->i += 2;
					if (hex4(p, &lo) < 0)
						return -1;
					if (lo < 0xdc00 || lo > 0xdfff)
						return fail(p, "\\u%04x is a high surrogate without a low one", cp);
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				break;
			default:
				p->i--;
				return fail(p, "unknown escape '\\%c'", c >= 0x21 && c < 0x7f ? c : '?');
			}
			if (keep)
				arena_put(p, o, utf8_put(cp, o));
			continue;
		} else if (c < 0x80) {
			/* a run of plain ASCII, copied at once: most strings are
			 * nothing else (a replay decodes millions) */
			size_t j = p->i + 1;

			while (j < p->len && (unsigned char)p->s[j] >= 0x20 && (unsigned char)p->s[j] < 0x80 &&
			       p->s[j] != '"' && p->s[j] != '\\')
				j++;
			if (keep)
				arena_put(p, p->s + p->i, j - p->i);
			p->i = j;
		} else {
			size_t n = utf8_seq(p->s + p->i, p->len - p->i);

			if (!n)
				return fail(p, "invalid UTF-8 byte 0x%02x in a string", c);
			if (keep)
				arena_put(p, p->s + p->i, n);
			p->i += n;
		}
	}
	if (keep) {
		arena_put(p, "", 1);
		if (p->j) {
			*out = p->j->arena + start;
			*outlen = p->j->arena_len - start - 1;
		}
	}
	return 0;
}

static bool digit(struct p *p)
{
	return p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9';
}

static int number(struct p *p)
{
	if (p->i < p->len && p->s[p->i] == '-')
		p->i++;
	if (!digit(p))
		return expected(p, "a digit");
	if (p->s[p->i] == '0') {
		p->i++;
		if (digit(p))
			return fail(p, "a number must not have leading zeros");
	} else {
		while (digit(p))
			p->i++;
	}
	if (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		if (!digit(p))
			return expected(p, "a digit after '.'");
		while (digit(p))
			p->i++;
	}
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (!digit(p))
			return expected(p, "a digit in the exponent");
		while (digit(p))
			p->i++;
	}
	return 0;
}

static int literal(struct p *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0)
		return expected(p, "a value");
	p->i += n;
	return 0;
}

static int value(struct p *p, int depth, struct jsonr_member *m);

/* An object or array at p->i, nested at depth (the top object is 1):
 * validated only, its members are not kept. */
static int container(struct p *p, int depth)
{
	const bool obj = p->s[p->i] == '{';
	const char close = obj ? '}' : ']';

	if (depth > JSONR_MAX_DEPTH)
		return fail(p, "nested deeper than %d levels", JSONR_MAX_DEPTH);
	p->i++;
	ws(p);
	if (p->i < p->len && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		ws(p);
		if (obj) {
			if (string(p, false, NULL, NULL) < 0)
				return -1;
			ws(p);
			if (p->i >= p->len || p->s[p->i] != ':')
				return expected(p, "':' after a key");
			p->i++;
			ws(p);
		}
		if (value(p, depth + 1, NULL) < 0)
			return -1;
		ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		return expected(p, obj ? "',' or '}'" : "',' or ']'");
	}
}

/* A value at p->i; m (may be NULL) gets its type, span and decoded string. */
static int value(struct p *p, int depth, struct jsonr_member *m)
{
	struct jsonr_member dummy;
	size_t start = p->i;
	int rc;

	if (!m)
		m = &dummy;
	if (p->i >= p->len)
		return expected(p, "a value");
	switch (p->s[p->i]) {
	case '"':
		m->type = JSONR_STRING;
		rc = string(p, m != &dummy, &m->str, &m->str_len);
		break;
	case '{':
	case '[':
		m->type = p->s[p->i] == '{' ? JSONR_OBJECT : JSONR_ARRAY;
		rc = container(p, depth);
		break;
	case 't':
		m->type = JSONR_BOOL;
		m->b = true;
		rc = literal(p, "true");
		break;
	case 'f':
		m->type = JSONR_BOOL;
		m->b = false;
		rc = literal(p, "false");
		break;
	case 'n':
		m->type = JSONR_NULL;
		rc = literal(p, "null");
		break;
	default:
		m->type = JSONR_NUMBER;
		if (p->s[p->i] != '-' && (p->s[p->i] < '0' || p->s[p->i] > '9'))
			return expected(p, "a value");
		rc = number(p);
		break;
	}
	m->raw = (const char *)p->s + start;
	m->raw_len = p->i - start;
	return rc;
}

int jsonr_parse(struct jsonr *j, const char *s, size_t len, char *err, size_t errlen)
{
	struct p p = { (const unsigned char *)s, len, 0, j, err, errlen, 0 };

	j->n = 0;
	j->arena_len = 0;
	if (err && errlen)
		err[0] = 0;
	if (!s)
		return fail(&p, "no input");
	if (len > JSONR_MAX_LINE)
		return fail(&p, "line longer than %d bytes", JSONR_MAX_LINE);
	ws(&p);
	if (p.i >= p.len)
		return fail(&p, "empty line, expected a JSON object");
	if (p.s[p.i] != '{')
		return expected(&p, "'{' (each line must be one JSON object)");
	p.i++;
	ws(&p);
	if (p.i < p.len && p.s[p.i] == '}') {
		p.i++;
	} else {
		for (;;) {
			struct jsonr_member *m;
			const char *key;
			size_t klen, kcol;

			ws(&p);
			kcol = p.i;
			if (string(&p, true, &key, &klen) < 0)
				return -1;
			if (strlen(key) != klen) {
				p.i = kcol;
				return fail(&p, "a key must not contain \\u0000");
			}
			for (size_t k = 0; k < j->n; k++)
				if (j->m[k].key_len == klen && memcmp(j->m[k].key, key, klen) == 0) {
					p.i = kcol;
					return fail(&p, "duplicate key \"%.40s\"", key);
				}
			if (j->n >= JSONR_MAX_MEMBERS) {
				p.i = kcol;
				return fail(&p, "more than %d members", JSONR_MAX_MEMBERS);
			}
			m = &j->m[j->n];
			memset(m, 0, sizeof(*m));
			m->key = key;
			m->key_len = klen;
			ws(&p);
			if (p.i >= p.len || p.s[p.i] != ':')
				return expected(&p, "':' after a key");
			p.i++;
			ws(&p);
			if (value(&p, 2, m) < 0)
				return -1;
			j->n++;
			ws(&p);
			if (p.i < p.len && p.s[p.i] == ',') {
				p.i++;
				continue;
			}
			if (p.i < p.len && p.s[p.i] == '}') {
				p.i++;
				break;
			}
			return expected(&p, "',' or '}'");
		}
	}
	ws(&p);
	if (p.i < p.len)
		return fail(&p, "text after the object");
	return 0;
}

const struct jsonr_member *jsonr_get(const struct jsonr *j, const char *key)
{
	/* length and first byte first: a replay asks each line for some forty
	 * keys, and strcmp's calls were a tenth of a big report's time */
	const size_t klen = strlen(key);

	for (size_t k = 0; k < j->n; k++)
		if (j->m[k].key_len == klen && j->m[k].key[0] == key[0] && memcmp(j->m[k].key, key, klen) == 0)
			return &j->m[k];
	return NULL;
}

__attribute__((format(printf, 4, 5)))
static int bad(char *err, size_t errlen, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -1;
	n = snprintf(err, errlen, "\"%.40s\": ", key);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Digits only (with an optional leading '-'), exactly as the grammar left them. */
static int integer_text(const struct jsonr_member *m, bool *neg, const char **d, size_t *n)
{
	const char *s = m->raw;
	size_t len = m->raw_len;

	if (m->type != JSONR_NUMBER)
		return -1;
	*neg = len && s[0] == '-';
	if (*neg)
		s++, len--;
	for (size_t k = 0; k < len; k++)
		if (s[k] < '0' || s[k] > '9')
			return -1;
	*d = s;
	*n = len;
	return 0;
}

/* Magnitude of a digit string; -1 if above UINT64_MAX. */
static int magnitude(const char *d, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t k = 0; k < n; k++) {
		unsigned dig = (unsigned)(d[k] - '0');

		if (x > (UINT64_MAX - dig) / 10)
			return -1;
		x = x * 10 + dig;
	}
	*v = x;
	return 0;
}

int jsonr_u64(const struct jsonr *j, const char *key, uint64_t *v, char *err, size_t errlen)
{
	const struct jsonr_member *m = jsonr_get(j, key);
	const char *d;
	size_t n;
	bool neg;

	if (!m)
		return 0;
	if (integer_text(m, &neg, &d, &n) < 0)
		return bad(err, errlen, key, "expected an integer");
	if (neg && !(n == 1 && d[0] == '0'))
		return bad(err, errlen, key, "expected an unsigned integer, got %.*s",
			   (int)(m->raw_len > 32 ? 32 : m->raw_len), m->raw);
	if (magnitude(d, n, v) < 0)
		return bad(err, errlen, key, "integer too large");
	return 1;
}

int jsonr_i64(const struct jsonr *j, const char *key, int64_t *v, char *err, size_t errlen)
{
	const struct jsonr_member *m = jsonr_get(j, key);
	const char *d;
	uint64_t x;
	size_t n;
	bool neg;

	if (!m)
		return 0;
	if (integer_text(m, &neg, &d, &n) < 0)
		return bad(err, errlen, key, "expected an integer");
	if (magnitude(d, n, &x) < 0 || x > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return bad(err, errlen, key, "integer out of range");
	if (neg)
		*v = x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x;
	else
		*v = (int64_t)x;
	return 1;
}

int jsonr_double(const struct jsonr *j, const char *key, double *v, char *err, size_t errlen)
{
	static locale_t c_locale;
	const struct jsonr_member *m = jsonr_get(j, key);
	char buf[400], *end;
	double x;

	if (!m)
		return 0;
	if (m->type != JSONR_NUMBER)
		return bad(err, errlen, key, "expected a number");
	if (m->raw_len >= sizeof(buf))
		return bad(err, errlen, key, "number too long");
	memcpy(buf, m->raw, m->raw_len);
	buf[m->raw_len] = 0;
	/* The grammar is JSON's, whatever the locale says a decimal point is. */
	if (!c_locale)
		c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	errno = 0;
	x = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
	if (*end || (errno == ERANGE && (x > 1 || x < -1)))
		return bad(err, errlen, key, "number out of range");
	*v = x;
	return 1;
}

int jsonr_bool(const struct jsonr *j, const char *key, bool *v, char *err, size_t errlen)
{
	const struct jsonr_member *m = jsonr_get(j, key);

	if (!m)
		return 0;
	if (m->type != JSONR_BOOL)
		return bad(err, errlen, key, "expected true or false");
	*v = m->b;
	return 1;
}

int jsonr_str(const struct jsonr *j, const char *key, const char **v, char *err, size_t errlen)
{
	const struct jsonr_member *m = jsonr_get(j, key);

	if (!m)
		return 0;
	if (m->type != JSONR_STRING)
		return bad(err, errlen, key, "expected a string");
	if (strlen(m->str) != m->str_len)
		return bad(err, errlen, key, "string contains \\u0000");
	*v = m->str;
	return 1;
}

int jsonr_hex(const struct jsonr *j, const char *key, uint64_t *v, char *err, size_t errlen)
{
	const char *s;
	uint64_t x = 0;
	size_t n;
	int rc = jsonr_str(j, key, &s, err, errlen);

	if (rc <= 0)
		return rc;
	n = strlen(s);
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return bad(err, errlen, key, "expected \"0x\" and 1 to 16 hex digits");
	for (size_t k = 2; k < n; k++) {
		char c = s[k];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return bad(err, errlen, key, "expected \"0x\" and 1 to 16 hex digits");
		x = x << 4 | d;
	}
	*v = x;
	return 1;
}
