/* Dispatch to the text or JSON sink, and notice a closed stdout. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "util/walltime.h"
#include "sinks/output.h"

void output_init(struct output *o, FILE *f, bool json, bool color)
{
	o->f = f;
	o->json = json;
	o->color = color && !json;
	o->all_faults = false;
	o->by_region = false;
	o->header_done = false;
	memset(o->folds, 0, sizeof(o->folds));
	memset(&o->group, 0, sizeof(o->group));
	o->err = 0;
	o->wall_start_us = 0;
	o->now_t = 0;
}

/* A JSON line's "time" at trace time t (NULL: the wall clock unknown). */
static const char *line_time(const struct output *o, double t, char buf[WALLTIME_LEN])
{
	return walltime_at(o->wall_start_us, t, buf);
}

void output_reopened(struct output *o, FILE *f)
{
	output_flush_group(o);
	o->f = f;
	o->header_done = false;
}

void output_flush_group(struct output *o)
{
	struct fault_group *g = &o->group;

	if (g->open && (g->more_faults || g->more_map_pages) && !o->err)
		fprintf(o->f, "%10s %-19s %-22s 0x%-12" PRIx64 " %" PRIu64 " more faults, %" PRIu64
			" more filemap_map_pages, until %.6f\n", "", "...", "", g->region,
			g->more_faults, g->more_map_pages, g->last_t);
	memset(g, 0, sizeof(*g));
}

/* True when ev joins the open group and is not to be printed. */
static bool fold(struct output *o, const struct thp_event *ev)
{
	struct fault_group *g = &o->group;
	bool is_fault = ev->kind == EV_FAULT;
	uint64_t region = ev->addr & THP_REGION_MASK;

	if (o->all_faults)
		return false;
	if ((!is_fault && ev->kind != EV_MAP_PAGES) || !(ev->fields & EVF_ADDR)) {
		output_flush_group(o);
		return false;
	}
	if (!g->open || g->pid != ev->pid || g->region != region) {
		output_flush_group(o);
		g->open = true;
		g->pid = ev->pid;
		g->region = region;
	}
	g->last_t = ev->t;
	if (is_fault ? !g->seen_fault : !g->seen_map_pages) {
		if (is_fault)
			g->seen_fault = true;
		else
			g->seen_map_pages = true;
		return false;
	}
	if (is_fault)
		g->more_faults++;
	else
		g->more_map_pages++;
	return true;
}

static void check(struct output *o)
{
	if (!o->err && ferror(o->f))
		o->err = errno ? errno : EIO;
}

void output_event(struct output *o, const struct thp_event *ev, const struct region *r)
{
	if (o->err)
		return;
	if (ev->t > o->now_t)
		o->now_t = ev->t;
	if (o->json) {
		char tb[WALLTIME_LEN];

		json_event(o->f, ev, line_time(o, ev->t, tb));
	} else {
		if (!o->header_done) {
			text_header(o->f);
			o->header_done = true;
		}
		/* by region, each region's faults fold into a count; by
		 * mapping, every kind folds per file of each process */
		if (o->by_region || o->all_faults ? !fold(o, ev) : !fold_by_mapping(o, ev, r))
			text_event(o->f, ev, o->color);
	}
	check(o);
}

void output_verdicts(struct output *o, const struct regions *rs, const struct mappings *ms)
{
	if (o->err)
		return;
	output_flush_group(o);
	if (o->json) {
		char tb[WALLTIME_LEN];
		const char *time = line_time(o, o->now_t, tb);

		for (size_t i = 0; i < rs->n; i++)
			json_verdict(o->f, &rs->v[i], time);
		for (size_t k = 0; ms && k < ms->n; k++)
			json_mapping(o->f, &ms->v[k], time);
	} else if (o->by_region || !ms) {
		text_verdicts(o->f, rs);
	} else {
		fold_by_mapping_flush(o);
		text_mappings(o->f, rs, ms);
	}
	check(o);
}

void output_summary(struct output *o, const struct run_summary *s)
{
	if (o->err)
		return;
	output_flush_group(o);
	if (o->json) {
		char tb[WALLTIME_LEN];

		json_summary(o->f, s, line_time(o, s->t > o->now_t ? s->t : o->now_t, tb));
	} else {
		text_summary(o->f, s);
	}
	check(o);
}

void output_context(struct output *o, const struct thp_context *ctx, uint64_t start_ns,
		    int64_t wall_start_us, bool at_end)
{
	char tb[WALLTIME_LEN];

	if (!at_end && wall_start_us > 0)
		o->wall_start_us = wall_start_us;
	/* the end line: the trace's end, where its duration is known, and
	 * the time of the verdicts that follow it */
	if (at_end && ctx->duration_s > o->now_t)
		o->now_t = ctx->duration_s;
	if (o->err || !o->json)
		return;
	json_context(o->f, ctx, start_ns, at_end, line_time(o, at_end ? o->now_t : 0, tb));
	check(o);
}

void output_region_file(struct output *o, const struct thp_event *ev)
{
	char tb[WALLTIME_LEN];

	if (o->err || !o->json)
		return;
	json_region_file(o->f, ev, line_time(o, o->now_t, tb));
	check(o);
}
