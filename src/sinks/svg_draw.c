/* Drawing helpers of the SVG timeline (see svg_draw.h): XML text, numbers
 * that ignore the locale, and the markers.  SVG is plain XML, and the only
 * hard part of writing XML is escaping text, done in svg_xml_text().
 *
 * Markers stay inside their lane by construction: each is clamped so that
 * its whole shape stays in the plot, and markers of one kind that would
 * overlap (shape or count) merge into one with a count (the tooltip lists
 * what was merged). */
#include <stdlib.h>
#include <string.h>
#include "sinks/svg_draw.h"
#include "util/utf8.h"

/* & < > " ' as entities; control characters (C0, DEL, C1) dropped, since
 * XML 1.0 forbids most and a label has no use for any; bytes that are not
 * UTF-8, and U+FFFE/U+FFFF (not XML characters), as U+FFFD. */
void svg_xml_text(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t len;

		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&apos;", f); i++; continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		len = utf8_seq(u + i, n - i);
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			i++;
			continue;
		}
		if (len == 2 && c == 0xc2 && u[i + 1] < 0xa0) {
			i += 2;		/* C1 control */
			continue;
		}
		if (len == 3 && c == 0xef && u[i + 1] == 0xbf && (u[i + 2] == 0xbe || u[i + 2] == 0xbf))
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(u + i, 1, len, f);
		i += len;
	}
}

/* No libm: the tool links without -lm. */
double svg_rnd(double v)
{
	return v >= 0 ? (double)(long long)(v + 0.5) : -(double)(long long)(-v + 0.5);
}

const char *svg_num(char *b, double v)
{
	long t = (long)svg_rnd(v * 10.0);

	if (t % 10 == 0)
		snprintf(b, NUMBUF, "%ld", t / 10);
	else
		snprintf(b, NUMBUF, "%s%ld.%ld", t < 0 ? "-" : "", labs(t) / 10, labs(t) % 10);
	return b;
}

const char *svg_secs(char *b, double v, int decimals)
{
	static const long long scale_of[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	long long scale, t, ip, fp;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	if (!(v < 1e12 && v > -1e12)) {
		/* no decimals, so no locale's decimal point either */
		snprintf(b, NUMBUF, "%.0f", v == v ? v : 0.0);
		return b;
	}
	scale = scale_of[decimals];
	t = (long long)svg_rnd(v * (double)scale);
	ip = t / scale;
	fp = llabs(t % scale);
	if (decimals > 0)
		snprintf(b, NUMBUF, "%s%lld.%0*lld", t < 0 && ip == 0 ? "-" : "", ip, decimals, fp);
	else
		snprintf(b, NUMBUF, "%lld", ip);
	return b;
}

void svg_clip_text(char *out, size_t outlen, const char *s, size_t max, bool tail)
{
	size_t n = strlen(s), from = 0;

	if (n <= max) {
		snprintf(out, outlen, "%s", s);
		return;
	}
	if (tail) {
		from = n - max;
		while (from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
			from++;
		snprintf(out, outlen, "…%s", s + from);
	} else {
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
		snprintf(out, outlen, "%.*s…", (int)max, s);
	}
}

double svg_nice_step(double raw, int *decimals)
{
	double p = 1, step;
	int dec = 0;

	while (p * 10 <= raw)
		p *= 10;
	while (p > raw && dec < 9) {
		p /= 10;
		dec++;
	}
	if (raw <= p * 1.0000001) {
		step = p;
	} else if (raw <= 2 * p) {
		step = 2 * p;
	} else if (raw <= 5 * p) {
		step = 5 * p;
	} else {
		step = 10 * p;
		if (dec > 0)
			dec--;
	}
	*decimals = dec > 6 ? 6 : dec;
	return step;
}

/* ---- markers ---- */

const char *const svg_mark_label[MK_MAX] = {
	[MK_CLEAR] = "PMD cleared",
	[MK_EXIT] = "process exit",
	[MK_MADVISE] = "madvise",
	[MK_SCAN] = "scan",
	[MK_REFAULT] = "refault",
	[MK_REFUSED] = "PMD refused",
	[MK_COLLAPSE_OK] = "collapse succeeded",
	[MK_COLLAPSE_FAIL] = "collapse failed",
	[MK_LOST] = "huge page lost",
};

static const char *const mark_elem[MK_MAX] = {
	[MK_CLEAR] = "rect", [MK_EXIT] = "rect", [MK_MADVISE] = "polygon", [MK_SCAN] = "circle",
	[MK_REFAULT] = "polygon", [MK_REFUSED] = "rect", [MK_COLLAPSE_OK] = "polygon",
	[MK_COLLAPSE_FAIL] = "polygon", [MK_LOST] = "circle",
};

/* Half the width of each kind's shape. */
static const double shape_half[MK_MAX] = {
	[MK_CLEAR] = 1.5, [MK_EXIT] = 1, [MK_MADVISE] = 4, [MK_SCAN] = 2.5, [MK_REFAULT] = 4,
	[MK_REFUSED] = 3, [MK_COLLAPSE_OK] = 5, [MK_COLLAPSE_FAIL] = 4, [MK_LOST] = 4.5,
};

/* Where each shape's middle is below its lane's top. */
static const double shape_mid[MK_MAX] = {
	[MK_MADVISE] = 4, [MK_SCAN] = 9, [MK_COLLAPSE_OK] = 14, [MK_COLLAPSE_FAIL] = 14,
	[MK_CLEAR] = 14, [MK_REFAULT] = 24, [MK_REFUSED] = 4, [MK_EXIT] = 14, [MK_LOST] = 14,
};

void svg_shape(FILE *f, int k, double x, double y0)
{
	char a[NUMBUF], b[NUMBUF], c[NUMBUF], e[NUMBUF], g[NUMBUF], h[NUMBUF], i2[NUMBUF], j2[NUMBUF];

	switch (k) {
	case MK_MADVISE:
		fprintf(f, "<polygon class=\"mk-madvise\" points=\"%s,%s %s,%s %s,%s\" fill=\"#762a83\"",
			svg_num(a, x - 4), svg_num(b, y0 + 1), svg_num(c, x + 4), svg_num(e, y0 + 1),
			svg_num(g, x), svg_num(h, y0 + 7));
		break;
	case MK_SCAN:
		fprintf(f, "<circle class=\"mk-scan\" cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"#404040\" stroke=\"#ffffff\" stroke-width=\"0.5\"",
			svg_num(a, x), svg_num(b, y0 + 9));
		break;
	case MK_COLLAPSE_OK:
		fprintf(f, "<polygon class=\"mk-collapse-ok\" points=\"%s,%s %s,%s %s,%s %s,%s\" fill=\"#00441b\" stroke=\"#ffffff\" stroke-width=\"1\"",
			svg_num(a, x), svg_num(b, y0 + 9), svg_num(c, x + 5), svg_num(e, y0 + 14),
			svg_num(g, x), svg_num(h, y0 + 19), svg_num(i2, x - 5), svg_num(j2, y0 + 14));
		break;
	case MK_COLLAPSE_FAIL: {
		/* An X, as one polygon. */
		static const double P[12][2] = {
			{ -4, -2.6 }, { -2.6, -4 }, { 0, -1.4 }, { 2.6, -4 }, { 4, -2.6 }, { 1.4, 0 },
			{ 4, 2.6 }, { 2.6, 4 }, { 0, 1.4 }, { -2.6, 4 }, { -4, 2.6 }, { -1.4, 0 },
		};

		fputs("<polygon class=\"mk-collapse-fail\" points=\"", f);
		for (int i = 0; i < 12; i++)
			fprintf(f, "%s%s,%s", i ? " " : "", svg_num(a, x + P[i][0]),
				svg_num(b, y0 + 14 + P[i][1]));
		fputs("\" fill=\"#d7191c\" stroke=\"#ffffff\" stroke-width=\"0.6\"", f);
		break;
	}
	case MK_CLEAR:
		fprintf(f, "<rect class=\"mk-clear\" x=\"%s\" y=\"%s\" width=\"3\" height=\"20\" fill=\"#e66101\"",
			svg_num(a, x - 1.5), svg_num(b, y0 + 4));
		break;
	case MK_REFAULT:
		fprintf(f, "<polygon class=\"mk-refault\" points=\"%s,%s %s,%s %s,%s\" fill=\"#2166ac\"",
			svg_num(a, x - 4), svg_num(b, y0 + 27), svg_num(c, x + 4), svg_num(e, y0 + 27),
			svg_num(g, x), svg_num(h, y0 + 21));
		break;
	case MK_REFUSED:
		/* A hollow red square: do_set_pmd would not map the PMD. */
		fprintf(f, "<rect class=\"mk-refused\" x=\"%s\" y=\"%s\" width=\"6\" height=\"6\" fill=\"#ffffff\" stroke=\"#b2182b\" stroke-width=\"1.5\"",
			svg_num(a, x - 3), svg_num(b, y0 + 1));
		break;
	case MK_LOST:
		/* A hollow red ring: the huge page went (split or zapped). */
		fprintf(f, "<circle class=\"mk-lost\" cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"#ffffff\" stroke=\"#d6604d\" stroke-width=\"2\"",
			svg_num(a, x), svg_num(b, y0 + 14));
		break;
	case MK_EXIT:
		fprintf(f, "<rect class=\"mk-exit\" x=\"%s\" y=\"%s\" width=\"2\" height=\"24\" fill=\"#000000\"",
			svg_num(a, x - 1), svg_num(b, y0 + 2));
		break;
	}
}

static int mark_cmp(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int digits(uint32_t n)
{
	int k = 1;

	while (n >= 10) {
		n /= 10;
		k++;
	}
	return k;
}

/* Fold b into a: counts, time span, details (the first MARK_DETAILS
 * distinct ones are named, the rest counted). */
static void merge_mark(struct mark *a, const struct mark *b, const struct svg_details *d)
{
	a->count += b->count;
	if (b->t0 < a->t0)
		a->t0 = b->t0;
	if (b->t1 > a->t1)
		a->t1 = b->t1;
	a->det_other += b->det_other;
	for (int k = 0; k < MARK_DETAILS && b->det_n[k]; k++) {
		int j;

		for (j = 0; j < MARK_DETAILS && a->det_n[j]; j++)
			if (strcmp(d->s[a->det[j]], d->s[b->det[k]]) == 0)
				break;
		if (j == MARK_DETAILS) {
			a->det_other += b->det_n[k];
			continue;
		}
		if (!a->det_n[j])
			a->det[j] = b->det[k];
		a->det_n[j] += b->det_n[k];
	}
}

/* From left to right, a marker takes in the following ones of its kind
 * that would touch its shape or its count. */
size_t svg_coalesce(struct mark *m, size_t n, const struct svg_details *d)
{
	size_t out = 0;

	if (n > 1)
		qsort(m, n, sizeof(*m), mark_cmp);
	for (size_t i = 0; i < n;) {
		struct mark c = m[i++];

		while (i < n && m[i].kind == c.kind) {
			double gap = 2 * shape_half[c.kind] + 1;

			if (c.count + m[i].count > 1)
				gap += 1 + DIGIT_W * digits(c.count + m[i].count);
			if (m[i].x >= c.x + gap)
				break;
			merge_mark(&c, &m[i++], d);
		}
		m[out++] = c;
	}
	return out;
}

void svg_draw_mark(FILE *f, const struct mark *m, double y0, const struct svg_details *d)
{
	static const double label_dy[MK_MAX] = {
		[MK_CLEAR] = 10, [MK_EXIT] = 10, [MK_MADVISE] = 7, [MK_SCAN] = 12,
		[MK_REFAULT] = 27, [MK_REFUSED] = 7, [MK_COLLAPSE_OK] = 17, [MK_COLLAPSE_FAIL] = 17,
		[MK_LOST] = 17,
	};
	double x = m->x;
	char a[NUMBUF], b[NUMBUF], s0[NUMBUF], s1[NUMBUF];

	if (x < PLOT_X0 + MARK_HALF)
		x = PLOT_X0 + MARK_HALF;
	if (x > PLOT_X1 - MARK_HALF)
		x = PLOT_X1 - MARK_HALF;
	svg_shape(f, m->kind, x, y0);
	fputs("><title>", f);
	if (m->count == 1)
		fprintf(f, "%s at %s s", svg_mark_label[m->kind], svg_secs(s0, m->t0, 3));
	else
		fprintf(f, "%u × %s, %s s to %s s", m->count, svg_mark_label[m->kind],
			svg_secs(s0, m->t0, 3), svg_secs(s1, m->t1, 3));
	for (int k = 0; k < MARK_DETAILS && m->det_n[k]; k++) {
		fputs(k ? "; " : ": ", f);
		svg_xml_text(f, d->s[m->det[k]]);
		if (m->count > 1)
			fprintf(f, " ×%u", m->det_n[k]);
	}
	if (m->det_other)
		fprintf(f, "; %u of other kinds", m->det_other);
	fprintf(f, "</title></%s>\n", mark_elem[m->kind]);
	if (m->count > 1) {
		char cnt[16];
		double w = DIGIT_W * snprintf(cnt, sizeof(cnt), "%u", m->count);
		bool right = x + MARK_HALF + 1 + w <= PLOT_X1;

		fprintf(f, "<text class=\"mk-count\" x=\"%s\" y=\"%s\" font-size=\"8\" text-anchor=\"%s\" fill=\"#000000\">%s</text>\n",
			svg_num(a, right ? x + MARK_HALF + 1 : x - MARK_HALF - 1),
			svg_num(b, y0 + label_dy[m->kind]), right ? "start" : "end", cnt);
	}
}

void svg_legend_marks(FILE *f, double x, double y)
{
	static const int order[] = { MK_MADVISE, MK_SCAN, MK_COLLAPSE_OK, MK_COLLAPSE_FAIL, MK_CLEAR,
				     MK_REFAULT, MK_REFUSED, MK_LOST, MK_EXIT };
	char a[NUMBUF], b[NUMBUF];

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		int mk = order[k];
		const char *label = mk == MK_SCAN ? "scan (khugepaged or MADV_COLLAPSE)" : svg_mark_label[mk];

		svg_shape(f, mk, x + 5, y - 4 - shape_mid[mk]);
		fputs("/>\n", f);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", svg_num(a, x + 14), svg_num(b, y), label);
		x += 30 + 6.2 * (double)strlen(label);
	}
}
