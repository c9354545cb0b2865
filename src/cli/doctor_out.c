/* doctor's text and JSON output; see doctor_out.h. */
#include <stdarg.h>
#include <string.h>
#include "cli/doctor_out.h"

#define WIDTH 99		/* text lines stay shorter than 100 columns */
#define LABEL_MAX 34		/* longer labels do not widen a section's column */

void doc_wrap(FILE *out, int col, int indent, const char *text)
{
	const char *p = text;

	while (*p) {
		int room = WIDTH - col, len = (int)strcspn(p, "\n");
		const char *brk;

		if (len > room) {
			/* the last space that fits; or the first one after, for a long word */
			brk = NULL;
			for (const char *q = p; q < p + len && q <= p + room; q++)
				if (*q == ' ')
					brk = q;
			if (!brk)
				brk = memchr(p, ' ', len);
			if (brk)
				len = (int)(brk - p);
		}
		for (int i = 0; i < len; i++)
			fputc(p[i] == NB[0] ? ' ' : p[i], out);
		fputc('\n', out);
		p += len;
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p) {
			fprintf(out, "%*s", indent, "");
			col = indent;
		}
	}
	if (p == text)
		fputc('\n', out);
}

void sec_begin(struct doc *d, const char *key, const char *fmt, ...)
{
	va_list ap;

	d->section = key;
	d->nrows = 0;
	va_start(ap, fmt);
	vsnprintf(d->title, sizeof(d->title), fmt, ap);
	va_end(ap);
}

void sec_end(struct doc *d)
{
	int w = 0;

	if (d->json)
		return;
	for (size_t i = 0; i < d->nrows; i++) {
		int l = (int)strlen(d->rows[i].label) + 1;

		if (l > w && l <= LABEL_MAX + 1)
			w = l;
	}
	fprintf(d->out, "\n%s\n", d->title);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct doc_row *r = &d->rows[i];
		int col;

		if (!r->label[0]) {	/* a free-standing line */
			fprintf(d->out, "  ");
			doc_wrap(d->out, 2, 4, r->value);
			continue;
		}
		col = fprintf(d->out, "  %s:%*s ", r->label,
			      w - (int)strlen(r->label) - 1 > 0 ? w - (int)strlen(r->label) - 1 : 0, "");
		doc_wrap(d->out, col, col > 40 ? 6 : col, r->value);
	}
}

void trow(struct doc *d, const char *label, const char *fmt, ...)
{
	struct doc_row *r;
	va_list ap;

	if (d->json || d->nrows == DOC_MAX_ROWS)
		return;
	r = &d->rows[d->nrows++];
	snprintf(r->label, sizeof(r->label), "%s", label);
	va_start(ap, fmt);
	vsnprintf(r->value, sizeof(r->value), fmt, ap);
	va_end(ap);
}

struct jsonw *jbegin(struct doc *d, const char *check)
{
	jsonw_init(&d->w, d->jbuf, sizeof(d->jbuf));
	jsonw_begin(&d->w);
	jsonw_event(&d->w, "doctor", NULL);
	jsonw_str(&d->w, "section", d->section);
	jsonw_str(&d->w, "check", check);
	return &d->w;
}

void jend(struct doc *d)
{
	jsonw_end(&d->w);
	if (d->json && !d->w.overflow)
		fprintf(d->out, "%s\n", d->jbuf);
}

void jcheck_str(struct doc *d, const char *check, const char *value)
{
	jsonw_str(jbegin(d, check), "value", value);
	jend(d);
}
