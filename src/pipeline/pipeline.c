/* The one pipeline (see pipeline.h): regions_feed, then the sinks. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "pipeline/pipeline.h"
#include "model/mappings.h"
#include "sinks/explain.h"
#include "sinks/svg.h"

void pipeline_init(struct pipeline *p, FILE *f, const struct pipeline_opts *o)
{
	memset(p, 0, sizeof(*p));
	regions_init(&p->rs);
	output_init(&p->out, f, o->json, o->color);
	p->out.all_faults = o->all_faults;
	p->out.by_region = o->by_region;
	p->svg_path = o->svg_path;
	regions_init(&p->kept);
	p->expect = o->expect;
	p->expect_out = o->expect_out ? o->expect_out : stderr;
	p->counted.exit_status = -1;
	p->counted.faults_unrecorded = -1;
	snprintf(p->counted.stop_reason, sizeof(p->counted.stop_reason), "end of input");
}

void pipeline_free(struct pipeline *p)
{
	regions_free(&p->rs);
	regions_free(&p->kept);
}

/* The --expect gate over regions just judged. */
static void expect_check(struct pipeline *p, const struct regions *rs)
{
	char why[EXPLAIN_WHY_MAX];

	for (size_t i = 0; p->expect && i < rs->n; i++) {
		const struct region *r = &rs->v[i];

		if (p->expect & expect_bit(r->reason))
			continue;
		fprintf(p->expect_out, "thptrace: --expect: 0x%" PRIx64 "-0x%" PRIx64
			" (pid %u, life %d) ended %s: %s\n", r->start, (uint64_t)(r->start + THP_REGION_SIZE),
			r->pid, r->life, verdict_reason_name(r->reason), explain_why(r, why, sizeof(why)));
		p->unexpected++;
	}
}

/* Regions judged: their verdicts and mappings to the sinks. */
static void write_verdicts(struct pipeline *p, const struct regions *rs)
{
	struct mappings ms;
	/* without memory for them, every region is shown on its own */
	bool have_ms = mappings_build_summary(rs, &ms) == 0;

	output_verdicts(&p->out, rs, have_ms ? &ms : NULL);
	expect_check(p, rs);
	p->written += rs->n;
	if (have_ms)
		mappings_free(&ms);
}

/* Take out what is over (see regions_take), write it, and keep it only
 * for the SVG. */
static void retire(struct pipeline *p, uint32_t mm_id, uint32_t pid, double t_ended)
{
	struct regions done;

	regions_init(&done);
	if (regions_take(&p->rs, mm_id, pid, t_ended, &done)) {
		write_verdicts(p, &done);
		if (p->svg_path)
			regions_append(&p->kept, &done);
	}
	regions_free(&done);
}

/* Text shows a mapping syscall (mmap, munmap, mremap, mprotect) only when
 * it touched a region: a process maps its libraries and heaps by the
 * hundred.  JSON keeps every event. */
static bool shown(const struct pipeline *p, const struct thp_event *ev, const struct region *r)
{
	bool mapping = ev->kind == EV_MMAP || ev->kind == EV_MUNMAP || ev->kind == EV_MREMAP ||
		       ev->kind == EV_MPROTECT;

	return !mapping || r || p->out.json || p->out.all_faults;
}

static void count_and_write(struct pipeline *p, const struct thp_event *ev, const struct region *r,
			    bool show)
{
	if ((unsigned)ev->kind < EV_KIND_MAX)
		p->counted.counts[ev->kind]++;
	if (ev->t > p->last_t)
		p->last_t = ev->t;
	if (show)
		output_event(&p->out, ev, r);
}

const struct region *pipeline_event(struct pipeline *p, const struct thp_event *ev)
{
	struct region *r = regions_feed(&p->rs, ev);
	struct thp_event inferred;

	switch (ev->kind) {
	case EV_CONTEXT:
		if (!ev->ctx_end && ev->ctx && ev->ctx->streaming)
			p->stream = true;
		output_context(&p->out, ev->ctx, ev->start_ns, ev->wall_start_us, ev->ctx_end);
		return r;
	case EV_REGION_FILE:
		output_region_file(&p->out, ev);
		return r;
	case EV_LOST:
		p->counted.lost += ev->count;
		break;
	case EV_EXIT:
		if (ev->fields & EVF_UNRECORDED)
			p->counted.faults_unrecorded = (p->counted.faults_unrecorded > 0 ? p->counted.faults_unrecorded : 0) +
						       (int64_t)ev->faults_unrecorded;
		break;
	default:
		break;
	}
	count_and_write(p, ev, r, shown(p, ev, r));
	/* What the model inferred from this sample (a PMD split or zap)
	 * follows it on the timeline, at its time. */
	if (ev->kind == EV_STATE && region_inferred(r, &inferred)) {
		inferred.ts_ns = ev->ts_ns;
		inferred.t = ev->t;
		count_and_write(p, &inferred, r, true);
	}
	if (!p->stream)
		return r;
	/* a process's exit, not a thread's */
	if (ev->kind == EV_EXIT && !(ev->pid && ev->tgid && ev->pid != ev->tgid) &&
	    (ev->mm_id || ev_target(ev))) {
		retire(p, ev->mm_id, ev_target(ev), -1);
		r = NULL;
	}
	if (ev->t >= p->next_sweep_t) {
		/* regions move when others leave: find r again */
		const uint32_t mm_id = r ? r->mm_id : 0;
		const uint64_t start = r ? r->start : 0;

		retire(p, 0, 0, ev->t - PIPELINE_ENDED_GRACE_S);
		p->next_sweep_t = ev->t + PIPELINE_ENDED_GRACE_S;
		r = r ? regions_find(&p->rs, mm_id, start) : NULL;
	}
	return r;
}

const struct run_summary *pipeline_counted(const struct pipeline *p)
{
	return &p->counted;
}

int pipeline_finish(struct pipeline *p, const struct run_summary *given, char *err, size_t errlen)
{
	struct run_summary sum = given ? *given : p->counted;
	struct svg_info info;
	struct mappings ms;
	bool have_ms;
	int rc = 0;

	if (!given)
		sum.t = p->last_t;
	/* Without an end context (a trace cut short), the trace lasted until
	 * its summary says. */
	if (p->rs.ctx.duration_s < 0) {
		struct thp_context c = p->rs.ctx;
		struct thp_event ev = { .kind = EV_CONTEXT, .ctx = &c, .ctx_end = true };

		c.duration_s = sum.t;
		regions_feed(&p->rs, &ev);
	}
	regions_finish(&p->rs);
	/* what was written already is not again; with nothing at all, the
	 * sinks say so */
	if (p->rs.n || !p->written)
		write_verdicts(p, &p->rs);
	output_summary(&p->out, &sum);
	if (fflush(p->out.f) != 0 && !p->out.err)
		p->out.err = errno ? errno : EIO;
	if (p->svg_path) {
		/* every region of the run, those written early first */
		struct regions *all = &p->rs;

		if (p->kept.n && regions_append(&p->kept, &p->rs) == 0)
			all = &p->kept;
		have_ms = mappings_build(all, &ms) == 0;
		/* the axis spans the trace, not only its last event */
		info = (struct svg_info){ .t_end = sum.t > p->last_t ? sum.t : p->last_t, .lost = sum.lost,
					  .ms = have_ms && !p->out.by_region ? &ms : NULL };
		rc = svg_write(all, &info, p->svg_path, err, errlen);
		if (have_ms)
			mappings_free(&ms);
	}
	return rc;
}

int expect_parse(const char *list, unsigned *mask, char *bad, size_t badlen)
{
	char name[EV_NAME_LEN];
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		enum verdict_reason r;

		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) - 1 ? n : sizeof(name) - 1), p);
		r = verdict_reason_from_name(name);
		if (r == VR_UNKNOWN || n >= sizeof(name)) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -1;
		}
		*mask |= expect_bit(r);
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask) {
		snprintf(bad, badlen, "%s", list);
		return -1;
	}
	return 0;
}

size_t pipeline_unexpected(const struct pipeline *p)
{
	return p->unexpected;
}
