/* The SVG timeline (see svg.h), written by hand (helpers in svg_draw.c).
 *
 * It renders what the region state machine holds, nothing else: a lane per
 * region of rs->v, in the model's order; its state bands are r->chg, its
 * markers r->ms, its verdict r->reason, and every word comes from
 * sinks/explain.h.  It matches no event to a region and decides no state
 * or verdict.
 *
 * Layout, fixed width; every lane is LANE_H high:
 *
 *   header  title, what was drawn, time ticks
 *   lanes   label (address range, file) | state band + markers | verdict
 *   axis    ticks and "seconds since the trace started"
 *   legend  state colours, marker shapes
 *
 * Everything inside a lane is drawn inside it by construction: times are
 * clamped to the plot, a state that lasts less than a pixel column gives
 * way to the next, and markers are clamped and merged (svg_draw.c).
 * Output is a function of the regions and svg_info alone: same input, same
 * bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/explain.h"
#include "sinks/svg.h"
#include "sinks/svg_draw.h"

#define SVG_MAX_LANES 400

static const char *const state_fill[] = {
	[PS_UNKNOWN] = "#dddddd",
	[PS_NONE] = "#f4a582",
	[PS_PTE] = "#92c5de",
	[PS_PMD] = "#1a9850",
	[PS_UNMAPPED] = "#fff7bc",
};

static const char *const state_label[] = {
	[PS_UNKNOWN] = "not sampled yet",
	[PS_NONE] = "not present",
	[PS_PTE] = "small pages (PTE-mapped)",
	[PS_PMD] = "huge page (PMD-mapped)",
	[PS_UNMAPPED] = "unmapped (no mapping)",
};

static const char *const state_class[] = {
	[PS_UNKNOWN] = "st-unknown",
	[PS_NONE] = "st-none",
	[PS_PTE] = "st-pte",
	[PS_PMD] = "st-pmd",
	[PS_UNMAPPED] = "st-unmapped",
};

struct draw {
	double T;			/* seconds the plot spans */
	struct svg_details det;		/* the lane being drawn: its milestones' words */
	struct mark marks[REGION_MAX_MILESTONES];
	char why[EXPLAIN_WHY_MAX];
};

static double px(const struct draw *d, double t)
{
	double x = PLOT_X0 + (t / d->T) * PLOT_W;

	return x < PLOT_X0 ? PLOT_X0 : x > PLOT_X1 ? PLOT_X1 : x;
}

static enum page_state state_of(enum page_state s)
{
	return s >= PS_UNKNOWN && s <= PS_UNMAPPED ? s : PS_UNKNOWN;
}

/* The marker of a milestone, or -1 for none.  pmd_mapped, pte_mapped and
 * unmapped get no marker: the model changed the page state with them, so
 * the band (r->chg) already shows each one where it happened.  pmd_refused
 * gets one of its own: do_set_pmd refusing a PMD changes no state, and
 * refaulted_as_pte verdicts rest on it. */
static int mark_of(const struct milestone *m)
{
	switch (m->kind) {
	case MS_MADVISED:
	case MS_MADVISE_FAILED:
	case MS_NOHUGEPAGE:
		return MK_MADVISE;
	case MS_SCANNED:
		return MK_SCAN;
	case MS_COLLAPSE:
		return scan_result_outcome(m->result) < 0 ? MK_COLLAPSE_FAIL : MK_COLLAPSE_OK;
	case MS_PMD_CLEARED:
		return MK_CLEAR;
	case MS_REFAULT:
		return MK_REFAULT;
	case MS_PMD_REFUSED:
	case MS_FAULT_FALLBACK:		/* a huge page refused at fault */
		return MK_REFUSED;
	case MS_FAULT_ALLOC:		/* the fault that made the (m)THP folio */
		return MK_REFAULT;
	case MS_EXIT:
		return MK_EXIT;
	case MS_SPLIT:
	case MS_ZAPPED:
	case MS_FOLIO_SPLIT:
	case MS_DEFERRED_SPLIT:
		return MK_LOST;
	case MS_MIGRATION:		/* its PMD held a migration entry for a moment */
		return MK_CLEAR;
	case MS_MIGRATED:		/* mapped again: the band stays pmd */
	case MS_SNAPSHOT:		/* the band begins there */
	case MS_PMD_MAPPED:
	case MS_PTE_MAPPED:
	case MS_UNMAPPED:
	case MS_MAPPED:		/* the band shows where the mapping began and ended */
	case MS_UNMAP:
	default:
		return -1;
	}
}

static const char *reason_fill(enum verdict_reason r)
{
	switch (r) {
	case VR_HUGE:
		return "#1a7837";
	case VR_UNKNOWN:
	case VR_NOT_COLLAPSED:
		return "#555555";
	case VR_MTHP:			/* large folios, only not 2 MiB ones */
		return "#8c510a";
	default:
		return "#b2182b";
	}
}

static void band(FILE *f, double x0, double x1, double y, enum page_state st, double t0, double t1,
		 size_t dropped)
{
	char a[NUMBUF], b[NUMBUF], c[NUMBUF], s0[NUMBUF], s1[NUMBUF];

	if (x1 - x0 <= 0)
		return;
	fprintf(f, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"16\" fill=\"%s\">",
		state_class[st], svg_num(a, x0), svg_num(b, y), svg_num(c, x1 - x0), state_fill[st]);
	if (dropped)
		fprintf(f, "<title>not known: %zu earlier state change%s not kept, %s s to %s s</title></rect>\n",
			dropped, dropped == 1 ? "" : "s", svg_secs(s0, t0, 3), svg_secs(s1, t1, 3));
	else
		fprintf(f, "<title>%s, %s s to %s s</title></rect>\n",
			st == PS_UNKNOWN && x0 > PLOT_X0 ? "not known" : state_label[st],
			svg_secs(s0, t0, 3), svg_secs(s1, t1, 3));
}

/* r->chg: each state from its t until the next change; before the first
 * one, not sampled yet (or, when the model dropped the oldest changes, not
 * known).  A state that lasts less than a pixel column gives way to the
 * next. */
static void draw_bands(FILE *f, const struct draw *d, const struct region *r, double y0)
{
	double x_start = PLOT_X0, t_start = 0;
	enum page_state st = PS_UNKNOWN;
	size_t dropped = r->dropped_changes, n = r->n_changes;

	if (n > REGION_MAX_CHANGES)
		n = REGION_MAX_CHANGES;
	for (size_t i = 0; i < n; i++) {
		double x = svg_rnd(px(d, r->chg[i].t));
		enum page_state s = state_of(r->chg[i].state);

		if (x > x_start && (s != st || dropped)) {
			band(f, x_start, x, y0 + 6, st, t_start, r->chg[i].t, dropped);
			x_start = x;
			t_start = r->chg[i].t;
		}
		dropped = 0;
		st = s;
	}
	band(f, x_start, PLOT_X1, y0 + 6, st, t_start, d->T, dropped);
}

/* r->ms as markers, merged where they would touch. */
static void draw_marks(FILE *f, struct draw *d, const struct region *r, double y0)
{
	size_t n = r->n_milestones < REGION_MAX_MILESTONES ? r->n_milestones : REGION_MAX_MILESTONES;
	size_t nm = 0;

	for (size_t i = 0; i < n; i++) {
		const struct milestone *m = &r->ms[i];
		int k = mark_of(m);
		struct mark *mk;
		char *s = d->det.s[i];
		const char *w;

		if (k < 0)
			continue;
		w = explain_milestone(m, s, SVG_DETAIL_LEN);
		if (w != s)
			snprintf(s, SVG_DETAIL_LEN, "%s", w ? w : "");
		if (!*s)
			snprintf(s, SVG_DETAIL_LEN, "%s", ms_kind_name(m->kind));
		mk = &d->marks[nm++];
		memset(mk, 0, sizeof(*mk));
		mk->kind = (uint8_t)k;
		mk->seq = (uint32_t)i;
		mk->x = px(d, m->t);
		mk->t0 = mk->t1 = m->t;
		mk->count = 1;
		mk->det[0] = (uint32_t)i;
		mk->det_n[0] = 1;
	}
	nm = svg_coalesce(d->marks, nm, &d->det);
	for (size_t i = 0; i < nm; i++)
		svg_draw_mark(f, &d->marks[i], y0, &d->det);
}

static void draw_lane(FILE *f, struct draw *d, const struct region *r, size_t i, double y0, size_t more)
{
	char a[NUMBUF], b[NUMBUF], file[EV_FILE_LEN + 8];
	const char *fname = r->file[0] ? r->file : "[anonymous]";
	const char *why;

	/* data-*: the lane's box and its plot's x range, for tests and tools */
	fprintf(f, "<g class=\"lane\" id=\"lane-%zu\" data-region=\"0x%" PRIx64 "\" data-mm=\"%u\" data-y=\"%s\" data-h=\"%d\" data-x0=\"%d\" data-x1=\"%d\" data-w=\"%d\">\n",
		i, r->start, r->mm_id, svg_num(a, y0), LANE_H, PLOT_X0, PLOT_X1, SVG_W);
	/* label: address range, then the file (its tail when long) */
	fprintf(f, "<text class=\"lane-addr\" x=\"%d\" y=\"%s\" font-family=\"monospace\" font-size=\"10\">0x%" PRIx64 "-0x%" PRIx64 "%s<title>",
		LABEL_X, svg_num(b, y0 + 12), r->start, (uint64_t)(r->start + THP_REGION_SIZE),
		r->life > 1 ? " (again)" : "");
	if (more)
		fprintf(f, " and %zu more regions with the verdict %s, not drawn", more,
			verdict_reason_name(r->reason));
	svg_xml_text(f, fname);
	fprintf(f, " (pid %u, mm %u)", r->pid, r->mm_id);
	if (r->life > 1 || r->t_unmapped >= 0)
		fprintf(f, "; life %d of this address", r->life);
	if (r->dropped_milestones)
		fprintf(f, "; %u later milestones not kept", r->dropped_milestones);
	fputs("</title></text>\n", f);
	if (more) {
		char what[EV_FILE_LEN + 64];

		/* one lane stands for all of them: say so where it shows */
		snprintf(what, sizeof(what), "+%zu more like it; %s", more, fname);
		svg_clip_text(file, sizeof(file), what, 40, false);
	} else
		svg_clip_text(file, sizeof(file), fname, 40, true);
	fprintf(f, "<text class=\"lane-file\" x=\"%d\" y=\"%s\" font-size=\"10\" fill=\"#444444\">", LABEL_X,
		svg_num(b, y0 + 24));
	svg_xml_text(f, file);
	fputs("<title>", f);
	svg_xml_text(f, fname);
	fputs("</title></text>\n", f);

	draw_bands(f, d, r, y0);
	draw_marks(f, d, r, y0);

	fprintf(f, "<text class=\"verdict\" x=\"%d\" y=\"%s\" font-size=\"11\" font-weight=\"bold\" fill=\"%s\">",
		VERDICT_X, svg_num(b, y0 + 18), reason_fill(r->reason));
	svg_xml_text(f, verdict_reason_name(r->reason));
	fputs("<title>", f);
	d->why[0] = 0;
	why = explain_why(r, d->why, sizeof(d->why));
	svg_xml_text(f, why ? why : "");
	fputs("</title></text>\n</g>\n", f);
}

static void draw_axis(FILE *f, const struct draw *d, double y_top, double y_bot)
{
	int decimals;
	double step = svg_nice_step(d->T / 8, &decimals);
	char a[NUMBUF], b[NUMBUF], c[NUMBUF], e[NUMBUF], s[NUMBUF];

	fputs("<g class=\"axis\" font-size=\"10\" fill=\"#333333\" text-anchor=\"middle\">\n", f);
	for (long k = 0;; k++) {
		double t = k * step, x;

		if (t > d->T * (1 + 1e-9) || k > 1000)
			break;
		x = px(d, t);
		fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#000000\" stroke-opacity=\"0.15\" stroke-width=\"1\"/>\n",
			svg_num(a, x), svg_num(b, y_top), svg_num(e, x), svg_num(c, y_bot + 4));
		svg_secs(s, t, decimals);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", svg_num(a, x), svg_num(b, y_top - 4), s);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", svg_num(a, x), svg_num(b, y_bot + 15), s);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%s\" x2=\"%d\" y2=\"%s\" stroke=\"#000000\" stroke-width=\"1\"/>\n",
		PLOT_X0, svg_num(b, y_bot), PLOT_X1, svg_num(c, y_bot));
	fprintf(f, "<text x=\"%d\" y=\"%s\">seconds since the trace started (ticks every %s s)</text>\n",
		(PLOT_X0 + PLOT_X1) / 2, svg_num(b, y_bot + 31), svg_secs(s, step, decimals));
	fputs("</g>\n", f);
}

static void draw_legend(FILE *f, double y)
{
	char a[NUMBUF], b[NUMBUF];
	double x = 100;

	fputs("<g class=\"legend\" font-size=\"11\" fill=\"#222222\">\n", f);
	fprintf(f, "<text x=\"%d\" y=\"%s\" font-weight=\"bold\">page state</text>\n", LABEL_X,
		svg_num(b, y + 14));
	for (int s = PS_UNKNOWN; s <= PS_UNMAPPED; s++) {
		fprintf(f, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"16\" height=\"10\" fill=\"%s\"/>\n",
			state_class[s], svg_num(a, x), svg_num(b, y + 5), state_fill[s]);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", svg_num(a, x + 21), svg_num(b, y + 14),
			state_label[s]);
		x += 180;
	}
	fprintf(f, "<text x=\"%d\" y=\"%s\" font-weight=\"bold\">markers</text>\n", LABEL_X,
		svg_num(b, y + 38));
	svg_legend_marks(f, 100, y + 38);
	fprintf(f, "<text x=\"%d\" y=\"%s\" fill=\"#555555\">A number beside a marker: that many milestones of its kind merged into it (too close to draw apart). Hover over anything for details. Each lane ends with its verdict.</text>\n",
		LABEL_X, svg_num(b, y + 60));
	fputs("</g>\n", f);
}

/* The time the plot must show: the trace's end, or the last change or
 * milestone of a drawn lane if that is later. */
static double last_time(const struct regions *rs, size_t shown, double t_end)
{
	double t = t_end == t_end ? t_end : 0;

	for (size_t i = 0; i < shown; i++) {
		const struct region *r = &rs->v[i];

		for (size_t k = 0; k < r->n_changes && k < REGION_MAX_CHANGES; k++)
			if (r->chg[k].t > t)
				t = r->chg[k].t;
		for (size_t k = 0; k < r->n_milestones && k < REGION_MAX_MILESTONES; k++)
			if (r->ms[k].t > t)
				t = r->ms[k].t;
	}
	return t;
}

static void draw_header(FILE *f, const struct regions *rs, size_t shown, double t_max, uint64_t lost,
			double height, const struct svg_plan *plan, const struct mappings *ms)
{
	size_t n = rs ? rs->n : 0, dropped = 0, lanes_dropping = 0;
	char a[NUMBUF], b[NUMBUF], t[NUMBUF];

	for (size_t i = 0; !plan && i < shown; i++) {
		dropped += rs->v[i].dropped_milestones;
		lanes_dropping += rs->v[i].dropped_milestones > 0;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%s\" viewBox=\"0 0 %d %s\" font-family=\"sans-serif\">\n",
		SVG_W, svg_num(a, height), SVG_W, svg_num(b, height));
	fprintf(f, "<title>thptrace: huge page timeline</title>\n");
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%s\" fill=\"#ffffff\"/>\n", SVG_W,
		svg_num(a, height));
	if (plan)
		fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"15\" font-weight=\"bold\">thptrace: transparent huge pages, one lane per mapping (the share of its 2 MiB regions mapped huge), its exceptions beneath</text>\n",
			LABEL_X);
	else
		fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"15\" font-weight=\"bold\">thptrace: transparent huge pages, one lane per 2 MiB region (a lane per life)</text>\n",
			LABEL_X);
	fprintf(f, "<text x=\"%d\" y=\"37\" font-size=\"11\" fill=\"#444444\">%zu region%s", LABEL_X, n,
		n == 1 ? "" : "s");
	if (plan)
		fprintf(f, " in %zu mapping%s", ms->n, ms->n == 1 ? "" : "s");
	fprintf(f, ", %s s traced", svg_secs(t, t_max, 3));
	if (!plan && n > shown)
		fprintf(f, "; only the first %zu regions are drawn", shown);
	if (plan && plan->mappings_not_drawn)
		fprintf(f, "; %zu more mappings not drawn", plan->mappings_not_drawn);
	if (plan && plan->exceptions_not_drawn)
		fprintf(f, "; %zu more exceptions not drawn (the text report lists them)", plan->exceptions_not_drawn);
	if (dropped)
		fprintf(f, "; %zu milestones not kept in %zu lane%s (each keeps its first %d)", dropped,
			lanes_dropping, lanes_dropping == 1 ? "" : "s", REGION_MAX_MILESTONES);
	if (lost)
		fprintf(f, "; %" PRIu64 " records were lost by the ring buffer", lost);
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" font-weight=\"bold\">%s</text>\n",
		LABEL_X, HEADER_H - 20, plan ? "mapping, or region" : "region, file");
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" font-weight=\"bold\">verdict</text>\n",
		VERDICT_X, HEADER_H - 20);
}

/* Lane j of the picture: region j, or the plan's j-th lane. */
static void draw_nth(FILE *f, struct draw *d, const struct regions *rs, const struct svg_plan *plan,
		     const struct mappings *ms, size_t j, double y0)
{
	const struct svg_lane *l;

	if (!plan) {
		draw_lane(f, d, &rs->v[j], j, y0, 0);
		return;
	}
	l = &plan->v[j];
	if (l->kind == SVG_LANE_MAPPING)
		svg_mapping_lane(f, &ms->v[l->mapping], l->mapping, d->T, y0,
				 reason_fill(ms->v[l->mapping].majority));
	else
		draw_lane(f, d, &rs->v[l->region], l->region, y0, l->more);
}

int svg_write(const struct regions *rs, const struct svg_info *info, const char *path, char *err,
	      size_t errlen)
{
	const struct mappings *ms = info && info->ms && rs && rs->n ? info->ms : NULL;
	struct svg_plan plan_buf, *plan = NULL;
	struct draw *d;
	size_t shown;
	double y_lanes = HEADER_H, y_end, height, t_max;
	char a[NUMBUF];
	FILE *f;
	int rc = 0;

	if (!path || !*path) {
		snprintf(err, errlen, "no SVG file name");
		return -1;
	}
	shown = rs ? rs->n : 0;
	if (ms) {
		/* one screen: the lanes that fit between the header and the legend */
		if (svg_plan_by_mapping(rs, ms, (SVG_MAX_H - HEADER_H - AXIS_H - LEGEND_H) / LANE_H,
					&plan_buf) < 0) {
			snprintf(err, errlen, "SVG: out of memory");
			return -1;
		}
		plan = &plan_buf;
		shown = plan->n;
	} else if (shown > SVG_MAX_LANES)
		shown = SVG_MAX_LANES;
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "SVG: out of memory");
		if (plan)
			svg_plan_free(plan);
		return -1;
	}
	/* by mapping, every region is in the picture (in its mapping's band) */
	t_max = last_time(rs, plan ? rs->n : shown, info ? info->t_end : 0);
	/* 2% room after the end, so that a state starting there shows */
	d->T = (t_max >= 0.001 ? t_max : 0.001) * 1.02;

	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write SVG '%s': %s", path, strerror(errno));
		free(d);
		if (plan)
			svg_plan_free(plan);
		return -1;
	}
	y_end = y_lanes + (double)(shown ? shown : 1) * LANE_H;
	height = y_end + AXIS_H + LEGEND_H;
	draw_header(f, rs, shown, t_max, info ? info->lost : 0, height, plan, ms);

	/* stripes, then the time grid, then the lanes on top */
	fputs("<g class=\"stripes\">\n", f);
	for (size_t i = 0; i < shown; i += 2)
		fprintf(f, "<rect x=\"0\" y=\"%s\" width=\"%d\" height=\"%d\" fill=\"#f3f3f3\"/>\n",
			svg_num(a, y_lanes + (double)i * LANE_H), SVG_W, LANE_H);
	fputs("</g>\n", f);
	draw_axis(f, d, y_lanes, y_end);
	if (!shown)
		fprintf(f, "<text x=\"%d\" y=\"%s\" font-size=\"12\" fill=\"#555555\">no huge-page region of the target saw madvise or THP activity</text>\n",
			PLOT_X0 + 8, svg_num(a, y_lanes + 18));
	for (size_t i = 0; i < shown; i++)
		draw_nth(f, d, rs, plan, ms, i, y_lanes + (double)i * LANE_H);
	draw_legend(f, y_end + AXIS_H);
	fputs("</svg>\n", f);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot write SVG '%s': %s", path, strerror(errno ? errno : EIO));
		rc = -1;
	}
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write SVG '%s': %s", path, strerror(errno));
		rc = -1;
	}
	free(d);
	if (plan)
		svg_plan_free(plan);
	return rc;
}
