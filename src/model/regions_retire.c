/* Streaming verdicts (see regions_take in regions.h): a region whose story
 * is over, because its process exited or its life ended a while ago, gets
 * its verdict at once and leaves the collection, so that a day of `-a`
 * holds only what is still alive.  What stays of a retired life is a
 * tombstone: its address's life number and when it ended, which the next
 * life there and the page-state sampler still ask about. */
#include <stdlib.h>
#include <string.h>
#include "util/thp_types.h"
#include "model/region.h"
#include "model/regions.h"
#include "model/regions_parts.h"

/* How long r was watched: from the first thing seen of it to its
 * process's exit or its unmapping (a streamed verdict comes before the
 * end context says how long the trace ran). */
static double traced_s(const struct region *r)
{
	double first = -1, last = r->t_exit >= 0 ? r->t_exit : r->t_unmapped;

	for (size_t k = 0; k < r->n_milestones; k++)
		if (first < 0 || r->ms[k].t < first)
			first = r->ms[k].t;
	for (size_t k = 0; k < r->n_changes; k++)
		if (first < 0 || r->chg[k].t < first)
			first = r->chg[k].t;
	return first >= 0 && last >= first ? last - first : -1;
}

static bool taken(const struct region *r, uint32_t mm_id, uint32_t pid, double t_ended)
{
	if (mm_id && r->mm_id == mm_id)
		return true;
	if (pid && r->pid == pid)
		return true;	/* its earlier mms (before an exec) too */
	return t_ended >= 0 && r->ended && r->t_unmapped >= 0 && r->t_unmapped <= t_ended;
}

size_t regions_take(struct regions *rs, uint32_t mm_id, uint32_t pid, double t_ended,
		    struct regions *out)
{
	size_t k = 0, n = 0;

	out->ctx = rs->ctx;
	out->knobs_changed = rs->knobs_changed;
	for (size_t i = 0; i < rs->n; i++)
		if (taken(&rs->v[i], mm_id, pid, t_ended))
			n++;
	/* All of them (one process's trace ends): hand the array over
	 * rather than copy it, which would double the peak of a big heap. */
	if (n && n == rs->n && !out->n && (mm_id || pid)) {
		struct region *v = out->v;
		size_t cap = out->cap;

		for (size_t i = 0; i < n; i++) {
			regions_judge(rs, &rs->v[i], traced_s(&rs->v[i]));
			if (rs->v[i].mm_id)
				idset_add(&rs->retired, rs->v[i].mm_id);
		}
		out->v = rs->v;
		out->cap = rs->cap;
		out->n = n;
		rs->v = v;
		rs->cap = cap;
		rs->n = 0;
		rs->retired_regions += n;
		regions_reindex(rs);
		if (mm_id)
			idset_add(&rs->retired, mm_id);
		tombs_drop(rs, mm_id, pid);
		return n;
	}
	if (n && out->n + n > out->cap) {
		struct region *v = realloc(out->v, (out->n + n) * sizeof(*v));

		if (!v)
			return 0;	/* kept: they are judged at the end */
		out->v = v;
		out->cap = out->n + n;
	}
	for (size_t i = 0; n && i < rs->n; i++) {
		struct region *r = &rs->v[i];

		if (!taken(r, mm_id, pid, t_ended)) {
			if (k != i)
				rs->v[k] = *r;
			k++;
			continue;
		}
		regions_judge(rs, r, traced_s(r));
		/* an exited process leaves no tombs, and its mms are done with
		 * (the exit record names none: the mm is gone by then); an
		 * ended life leaves a tomb */
		if ((mm_id && r->mm_id == mm_id) || (pid && r->pid == pid)) {
			if (r->mm_id)
				idset_add(&rs->retired, r->mm_id);
		} else {
			tombs_add(rs, r);
		}
		out->v[out->n++] = *r;	/* its milestones go with it */
	}
	if (n) {
		rs->n = k;
		rs->retired_regions += n;
		regions_reindex(rs);
	}
	if (mm_id)
		idset_add(&rs->retired, mm_id);
	if (mm_id || pid)
		tombs_drop(rs, mm_id, pid);
	return n;
}

/* Regions that ended at or before t_ended, and none of any process. */
size_t regions_take_ended(struct regions *rs, double t_ended, struct regions *out)
{
	return regions_take(rs, 0, 0, t_ended, out);
}

/* Append what in has to out (both regions_finish'ed or judged); in is
 * left empty.  Returns 0, or -1 when out of memory (in keeps them). */
int regions_append(struct regions *out, struct regions *in)
{
	if (in->n && out->n + in->n > out->cap) {
		size_t cap = out->cap ? out->cap : 16;
		struct region *v;

		while (cap < out->n + in->n)
			cap *= 2;
		if (!(v = realloc(out->v, cap * sizeof(*v))))
			return -1;
		out->v = v;
		out->cap = cap;
	}
	if (in->n)
		memcpy(out->v + out->n, in->v, in->n * sizeof(*in->v));
	out->n += in->n;
	out->ctx = in->ctx;
	out->knobs_changed = in->knobs_changed;
	in->n = 0;	/* out owns their milestones now */
	return 0;
}
