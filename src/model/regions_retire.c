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

static size_t tomb_slot(uint32_t mm_id, uint64_t start, size_t cap)
{
	uint64_t h = (start >> 21) * 0xc2b2ae3d27d4eb4full ^ (uint64_t)mm_id * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 31)) & (cap - 1);
}

const struct tomb *tombs_find(const struct regions *rs, uint32_t mm_id, uint64_t start)
{
	if (!rs->tombs)
		return NULL;
	for (size_t i = tomb_slot(mm_id, start, rs->tombs_cap);; i = (i + 1) & (rs->tombs_cap - 1)) {
		const struct tomb *t = &rs->tombs[i];

		if (!t->used)
			return NULL;
		if (t->mm_id == mm_id && t->start == start)
			return t;
	}
}

static void tomb_put(struct tomb *v, size_t cap, const struct tomb *t)
{
	size_t i = tomb_slot(t->mm_id, t->start, cap);

	for (; v[i].used; i = (i + 1) & (cap - 1))
		if (v[i].mm_id == t->mm_id && v[i].start == t->start)
			break;		/* a later life replaces an earlier one */
	v[i] = *t;
	v[i].used = true;
}

/* Into a table of cap slots, the tombs of rs but those of mm_id or pid
 * (0, 0: keep all).  Returns 0, or -1 when out of memory (rs unchanged). */
static int tombs_rehash(struct regions *rs, size_t cap, uint32_t drop_mm, uint32_t drop_pid)
{
	struct tomb *v = calloc(cap, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -1;
	for (size_t i = 0; i < rs->tombs_cap; i++)
		if (rs->tombs[i].used && !(drop_mm && rs->tombs[i].mm_id == drop_mm) &&
		    !(drop_pid && rs->tombs[i].pid == drop_pid)) {
			tomb_put(v, cap, &rs->tombs[i]);
			n++;
		}
	free(rs->tombs);
	rs->tombs = v;
	rs->tombs_cap = cap;
	rs->n_tombs = n;
	return 0;
}

static void tomb_add(struct regions *rs, const struct region *r)
{
	struct tomb t = { .mm_id = r->mm_id, .pid = r->pid, .start = r->start, .life = r->life,
			  .t_unmapped = r->t_unmapped };

	if ((rs->n_tombs + 1) * 2 > rs->tombs_cap &&
	    tombs_rehash(rs, rs->tombs_cap ? rs->tombs_cap * 2 : 64, 0, 0) < 0)
		return;		/* the next life there is numbered 1 again */
	if (!tombs_find(rs, t.mm_id, t.start))
		rs->n_tombs++;
	tomb_put(rs->tombs, rs->tombs_cap, &t);
}

/* A process exited: its tombs go too. */
static void tombs_drop(struct regions *rs, uint32_t mm_id, uint32_t pid)
{
	if (rs->n_tombs)
		tombs_rehash(rs, rs->tombs_cap, mm_id, pid);
}

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
			tomb_add(rs, r);
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
