/* doctor's output: aligned "label: value" text sections wrapped under 100
 * columns, or one JSON object per check ({"event":"doctor","section":...,
 * "check":...,"value":...}).  Every section writes both; only one shows. */
#ifndef THP_DOCTOR_OUT_H
#define THP_DOCTOR_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "sinks/jsonw.h"

#define DOC_MAX_ROWS 80
#define NB "\x01"		/* a space the text wrapper does not break at */

struct doc_row {
	char label[1024];
	char value[1024];
};

struct doc {
	bool json;
	FILE *out;
	const char *section;		/* JSON "section" key */
	char title[256];
	struct doc_row rows[DOC_MAX_ROWS];
	size_t nrows;
	char jbuf[32768];
	struct jsonw w;
};

/* Greedy word wrap at spaces (not at NB): the cursor is at column col now,
 * continuation lines are indented by `indent` spaces. */
void doc_wrap(FILE *out, int col, int indent, const char *text);

/* A section: its JSON key and text heading; rows; sec_end prints the text. */
void sec_begin(struct doc *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sec_end(struct doc *d);

/* A text row "label: value" (label "" for a free-standing line). */
void trow(struct doc *d, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A JSON check line: jbegin, add "value" and any extras to the writer it
 * returns, jend.  jcheck_str is the line with only a string value. */
struct jsonw *jbegin(struct doc *d, const char *check);
void jend(struct doc *d);
void jcheck_str(struct doc *d, const char *check, const char *value);

#endif
