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
	p->counted.exit_status = -1;
	snprintf(p->counted.stop_reason, sizeof(p->counted.stop_reason), "end of input");
}

void pipeline_free(struct pipeline *p)
{
	regions_free(&p->rs);
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
		output_context(&p->out, ev->ctx, ev->start_ns, ev->ctx_end);
		return r;
	case EV_REGION_FILE:
		output_region_file(&p->out, ev);
		return r;
	case EV_LOST:
		p->counted.lost += ev->count;
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
	/* without memory for them, every region is shown on its own */
	have_ms = mappings_build(&p->rs, &ms) == 0;
	output_verdicts(&p->out, &p->rs, have_ms ? &ms : NULL);
	output_summary(&p->out, &sum);
	if (fflush(p->out.f) != 0 && !p->out.err)
		p->out.err = errno ? errno : EIO;
	if (p->svg_path) {
		/* the axis spans the trace, not only its last event */
		info = (struct svg_info){ .t_end = sum.t > p->last_t ? sum.t : p->last_t, .lost = sum.lost,
					  .ms = have_ms && !p->out.by_region ? &ms : NULL };
		rc = svg_write(&p->rs, &info, p->svg_path, err, errlen);
	}
	if (have_ms)
		mappings_free(&ms);
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

size_t pipeline_expect(const struct pipeline *p, unsigned mask, FILE *f)
{
	char why[EXPLAIN_WHY_MAX];
	size_t n = 0;

	for (size_t i = 0; i < p->rs.n; i++) {
		const struct region *r = &p->rs.v[i];

		if (mask & expect_bit(r->reason))
			continue;
		fprintf(f, "thptrace: --expect: 0x%" PRIx64 "-0x%" PRIx64 " (pid %u, life %d) ended %s: %s\n",
			r->start, (uint64_t)(r->start + THP_REGION_SIZE), r->pid, r->life,
			verdict_reason_name(r->reason), explain_why(r, why, sizeof(why)));
		n++;
	}
	return n;
}
