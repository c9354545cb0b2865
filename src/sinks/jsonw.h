/* A small JSON object writer into a caller's buffer, for JSON Lines output.
 * Strings are escaped per RFC 8259 (control characters as \u00XX, invalid
 * UTF-8 bytes replaced by U+FFFD), so any file name gives a valid line. */
#ifndef THP_JSONW_H
#define THP_JSONW_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct jsonw {
	char *buf;
	size_t cap, len;
	int overflow;		/* set when buf was too small: output truncated */
	int first;		/* no member written yet in the current object */
};

void jsonw_init(struct jsonw *w, char *buf, size_t cap);
void jsonw_begin(struct jsonw *w);			/* "{" */
void jsonw_end(struct jsonw *w);			/* "}" */
void jsonw_str(struct jsonw *w, const char *key, const char *val);
void jsonw_strn(struct jsonw *w, const char *key, const char *val, size_t n);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_i64(struct jsonw *w, const char *key, int64_t v);
void jsonw_double(struct jsonw *w, const char *key, double v, int decimals);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_hex(struct jsonw *w, const char *key, uint64_t v);	/* "0x..." string */
void jsonw_raw(struct jsonw *w, const char *key, const char *json);	/* pre-built value */
/* A line's first members: "event", "schema_version"
 * (THPTRACE_JSON_SCHEMA_VERSION, sinks/json_schema.h) and, where the wall
 * clock is known, "time" (util/walltime.h), else NULL. */
void jsonw_event(struct jsonw *w, const char *event, const char *time);


/* Escape s as a JSON string (with quotes) into out; returns the length it
 * needs (like snprintf), writing at most cap bytes including the NUL. */
size_t json_escape(char *out, size_t cap, const char *s, size_t n);

#endif
