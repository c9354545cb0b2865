/* A small, strict reader for one JSON Lines line: one object whose members
 * become key -> value.  RFC 8259 grammar only (no comments, no trailing
 * commas, no NaN, no single quotes), UTF-8 checked, every string escape
 * decoded (\uXXXX with surrogate pairs), duplicate keys rejected, nesting
 * and sizes bounded.  Nested arrays and objects are validated and kept as
 * raw text spans of the line; parse such a span again to look inside an
 * object (jsonr_parse takes any span that holds one object).
 *
 * No allocation: decoded strings live in the struct's own arena; raw spans
 * point into the caller's line, which must outlive the struct's use. */
#ifndef THP_JSONR_H
#define THP_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONR_MAX_LINE 65536	/* bytes of one line (without its newline) */
#define JSONR_MAX_MEMBERS 64	/* members of the top-level object */
#define JSONR_MAX_DEPTH 32	/* nesting of objects and arrays, the top object is 1 */

enum jsonr_type {
	JSONR_STRING = 1,
	JSONR_NUMBER,
	JSONR_BOOL,
	JSONR_NULL,
	JSONR_ARRAY,
	JSONR_OBJECT,
};

struct jsonr_member {
	const char *key;	/* decoded, NUL-terminated (a key with \u0000 is rejected) */
	size_t key_len;
	enum jsonr_type type;
	const char *str;	/* JSONR_STRING: decoded UTF-8, NUL-terminated */
	size_t str_len;		/* may be less than strlen's view: \u0000 is kept */
	bool b;			/* JSONR_BOOL */
	const char *raw;	/* the value's text in the line (a string with its quotes) */
	size_t raw_len;
};

struct jsonr {
	size_t n;
	struct jsonr_member m[JSONR_MAX_MEMBERS];
	size_t arena_len;
	char arena[JSONR_MAX_LINE + 2];
};

/* Parse s[0..len) as exactly one JSON object (surrounding whitespace
 * allowed).  Returns 0, or -1 with a one-line reason in err that starts with
 * the byte column ("column 17: expected ':' after a key"). */
int jsonr_parse(struct jsonr *j, const char *s, size_t len, char *err, size_t errlen);

/* The member named key, or NULL. */
const struct jsonr_member *jsonr_get(const struct jsonr *j, const char *key);

/* Typed getters: 1 found and converted, 0 absent, -1 present but of the
 * wrong type or out of range (err says which key and why).  null counts as
 * the wrong type.  Integers must be written without fraction or exponent. */
int jsonr_u64(const struct jsonr *j, const char *key, uint64_t *v, char *err, size_t errlen);
int jsonr_i64(const struct jsonr *j, const char *key, int64_t *v, char *err, size_t errlen);
int jsonr_double(const struct jsonr *j, const char *key, double *v, char *err, size_t errlen);
int jsonr_bool(const struct jsonr *j, const char *key, bool *v, char *err, size_t errlen);
/* A string without NUL characters. */
int jsonr_str(const struct jsonr *j, const char *key, const char **v, char *err, size_t errlen);
/* A string "0x" followed by 1 to 16 hex digits. */
int jsonr_hex(const struct jsonr *j, const char *key, uint64_t *v, char *err, size_t errlen);

#endif
