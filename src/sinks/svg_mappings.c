/* The SVG by mapping (svg.c draws it when svg_info.ms is given): which
 * lanes fit on one screen, and a mapping's own lane, the share of its
 * regions mapped by one PMD over time as a filled band, 0 to 100 %.  The
 * regions that differ from their mapping's majority are drawn beneath it
 * with the region lanes of svg.c; many of one verdict as one lane that
 * says how many it stands for. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/explain.h"
#include "sinks/svg_draw.h"

#define FEW_EXCEPTIONS 3	/* per verdict, drawn each; more: one lane for them */

static void push(struct svg_plan *p, enum svg_lane_kind kind, size_t mapping, size_t region, size_t more)
{
	if (p->n < p->cap)
		p->v[p->n++] = (struct svg_lane){ kind, mapping, region, more };
}

int svg_plan_by_mapping(const struct regions *rs, const struct mappings *ms, size_t max_lanes,
			struct svg_plan *p)
{
	size_t cap = 0;

	memset(p, 0, sizeof(*p));
	for (size_t k = 0; k < ms->n; k++)
		cap += 1 + ms->v[k].exceptions;
	p->v = malloc((cap ? cap : 1) * sizeof(*p->v));
	if (!p->v)
		return -1;
	p->cap = cap;
	/* every mapping first, while they fit, so that the shape shows */
	for (size_t k = 0; k < ms->n; k++) {
		const struct mapping *m = &ms->v[k];

		if (p->n + 1 > max_lanes) {
			p->mappings_not_drawn = ms->n - k;
			break;
		}
		push(p, SVG_LANE_MAPPING, k, 0, 0);
		for (int v = 0; v < VR_MAX; v++) {
			size_t n = m->by_reason[v], drawn = 0;

			if (!n || (enum verdict_reason)v == m->majority)
				continue;
			for (size_t i = 0; i < m->n && drawn < (n <= FEW_EXCEPTIONS ? n : 1); i++) {
				size_t idx = m->members[i];

				if (rs->v[idx].reason != (enum verdict_reason)v)
					continue;
				push(p, SVG_LANE_REGION, k, idx, n <= FEW_EXCEPTIONS ? 0 : n - 1);
				drawn++;
			}
		}
	}
	/* then cut exceptions from the end, mapping lanes stay */
	while (p->n > max_lanes) {
		size_t i = p->n;

		while (i-- > 0 && p->v[i].kind != SVG_LANE_REGION)
			;
		if (i == (size_t)-1)
			break;
		p->exceptions_not_drawn += 1 + p->v[i].more;
		memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(*p->v));
		p->n--;
	}
	return 0;
}

void svg_plan_free(struct svg_plan *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* The band: the share of m's regions PMD-mapped from each point on, one
 * step per pixel column at most (the last level in a column wins). */
static void share_band(FILE *f, const struct mapping *m, double T, double y0)
{
	const double base = y0 + 22, top = y0 + 6, h = base - top;
	char a[NUMBUF], b[NUMBUF];
	double level = base, col = -1;

	fprintf(f, "<rect x=\"%d\" y=\"%s\" width=\"%d\" height=\"16\" fill=\"#eeeeee\"/>\n", PLOT_X0,
		svg_num(a, top), PLOT_W);
	fprintf(f, "<path class=\"share\" fill=\"%s\" d=\"M%d %s", "#1a9850", PLOT_X0, svg_num(a, base));
	for (size_t i = 0; i < m->n_series; i++) {
		double x = PLOT_X0 + (m->series[i].t / T) * PLOT_W, y;

		x = svg_rnd(x < PLOT_X0 ? PLOT_X0 : x > PLOT_X1 ? PLOT_X1 : x);
		y = base - h * (m->n ? (double)m->series[i].huge / (double)m->n : 0);
		if (x != col) {
			fprintf(f, " H%s V%s", svg_num(a, x), svg_num(b, level));
			col = x;
		}
		if (y != level) {
			fprintf(f, " V%s", svg_num(a, y));
			level = y;
		}
	}
	fprintf(f, " H%d V%s Z\"/>\n", PLOT_X1, svg_num(a, base));
}

void svg_mapping_lane(FILE *f, const struct mapping *m, size_t k, double T, double y0, const char *fill)
{
	char a[NUMBUF], b[NUMBUF], words[EXPLAIN_WHY_MAX], label[EV_FILE_LEN + 64], clip[80];

	fprintf(f, "<g class=\"lane mapping\" id=\"mapping-%zu\" data-start=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64 "\" data-mm=\"%u\" data-regions=\"%zu\" data-y=\"%s\" data-h=\"%d\" data-x0=\"%d\" data-x1=\"%d\" data-w=\"%d\">\n",
		k, m->start, m->end, m->mm_id, m->n, svg_num(a, y0), LANE_H, PLOT_X0, PLOT_X1, SVG_W);
	fprintf(f, "<text class=\"lane-addr\" x=\"%d\" y=\"%s\" font-family=\"monospace\" font-size=\"10\" font-weight=\"bold\">0x%" PRIx64 "-0x%" PRIx64 "<title>",
		LABEL_X, svg_num(b, y0 + 12), m->start, m->end);
	svg_xml_text(f, explain_mapping_title(m, words, sizeof(words)));
	fputs("</title></text>\n", f);
	snprintf(label, sizeof(label), "%s, %zu region%s", m->file[0] ? m->file : "anonymous", m->n,
		 m->n == 1 ? "" : "s");
	svg_clip_text(clip, sizeof(clip), label, 40, true);
	fprintf(f, "<text class=\"lane-file\" x=\"%d\" y=\"%s\" font-size=\"10\" fill=\"#444444\">", LABEL_X,
		svg_num(b, y0 + 24));
	svg_xml_text(f, clip);
	fputs("</text>\n", f);
	share_band(f, m, T, y0);
	explain_mapping(m, words, sizeof(words));
	fprintf(f, "<rect x=\"%d\" y=\"%s\" width=\"%d\" height=\"16\" fill-opacity=\"0\"><title>share of the regions PMD-mapped, 0-100 %%: ",
		PLOT_X0, svg_num(a, y0 + 6), PLOT_W);
	svg_xml_text(f, words);
	fputs("</title></rect>\n", f);
	fprintf(f, "<text class=\"verdict\" x=\"%d\" y=\"%s\" font-size=\"11\" font-weight=\"bold\" fill=\"%s\">%s %zu/%zu<title>",
		VERDICT_X, svg_num(b, y0 + 18), fill, verdict_reason_name(m->majority), m->by_reason[m->majority],
		m->n);
	svg_xml_text(f, words);
	fputs("</title></text>\n</g>\n", f);
}
