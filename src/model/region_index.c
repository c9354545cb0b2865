/* Where the regions are found: the index from (mm, 2 MiB region start) to
 * its current life, and the tombstones of the lives already taken out
 * (regions_retire.c), which the next life there and the page-state
 * sampler still ask about.  Both are open-addressing tables, at most half
 * full, keyed by hash_region_slot. */
#include <stdlib.h>
#include <string.h>
#include "util/hash.h"
#include "model/region.h"
#include "model/regions.h"
#include "model/regions_parts.h"

/* An index from (mm, region start) to its latest life: open addressing,
 * a slot holds the key and the region's index + 1, 0 is empty.  Lookups
 * were a walk over every region, which made a trace with thousands of
 * regions take minutes (found by fuzz_report); the key is in the slot so
 * that a probe does not touch the region itself (a cache miss each). */
static struct region *index_get(const struct regions *rs, uint32_t mm_id, uint64_t start)
{
	if (!rs->index)
		return NULL;
	for (size_t i = hash_region_slot(mm_id, start, rs->index_cap);; i = (i + 1) & (rs->index_cap - 1)) {
		const struct region_slot *s = &rs->index[i];

		if (!s->k)
			return NULL;
		if (s->start == start && s->mm_id == mm_id)
			return &rs->v[s->k - 1];
	}
}

static void index_put(struct region_slot *index, size_t cap, struct region_slot s)
{
	size_t i = hash_region_slot(s.mm_id, s.start, cap);

	for (; index[i].k; i = (i + 1) & (cap - 1))
		if (index[i].start == s.start && index[i].mm_id == s.mm_id)
			break;	/* a later life takes its address's slot */
	index[i] = s;
}

static void index_set(struct region_slot *index, size_t cap, const struct region *v, size_t k)
{
	index_put(index, cap, (struct region_slot){ v[k].start, v[k].mm_id, (uint32_t)k + 1 });
}

/* Region k is new: index it (growing the index to stay at most half full;
 * the slots move over by their keys, without reading the regions). */
int regions_index_add(struct regions *rs, size_t k)
{
	if ((k + 1) * 2 > rs->index_cap) {
		size_t cap = rs->index_cap ? rs->index_cap * 2 : 64;
		struct region_slot *index = calloc(cap, sizeof(*index));

		if (!index)
			return -1;
		for (size_t j = 0; j < rs->index_cap; j++)
			if (rs->index[j].k)
				index_put(index, cap, rs->index[j]);
		free(rs->index);
		rs->index = index;
		rs->index_cap = cap;
	}
	index_set(rs->index, rs->index_cap, rs->v, k);
	return 0;
}

void regions_reindex(struct regions *rs)
{
	if (!rs->index)
		return;
	memset(rs->index, 0, rs->index_cap * sizeof(*rs->index));
	for (size_t k = 0; k < rs->n; k++)
		index_set(rs->index, rs->index_cap, rs->v, k);
}

struct region *regions_find(struct regions *rs, uint32_t mm_id, uint64_t start)
{
	struct region *r = index_get(rs, mm_id, start);

	return r && !r->ended ? r : NULL;
}

struct region *regions_last_life(struct regions *rs, uint32_t mm_id, uint64_t start)
{
	return index_get(rs, mm_id, start);
}

bool regions_had_life(const struct regions *rs, uint32_t mm_id, uint64_t start)
{
	return index_get(rs, mm_id, start) || tombs_find(rs, mm_id, start);
}

/* ---- tombstones ---- */

const struct tomb *tombs_find(const struct regions *rs, uint32_t mm_id, uint64_t start)
{
	if (!rs->tombs)
		return NULL;
	for (size_t i = hash_region_slot(mm_id, start, rs->tombs_cap);; i = (i + 1) & (rs->tombs_cap - 1)) {
		const struct tomb *t = &rs->tombs[i];

		if (!t->used)
			return NULL;
		if (t->mm_id == mm_id && t->start == start)
			return t;
	}
}

static void tomb_put(struct tomb *v, size_t cap, const struct tomb *t)
{
	size_t i = hash_region_slot(t->mm_id, t->start, cap);

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

void tombs_add(struct regions *rs, const struct region *r)
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
void tombs_drop(struct regions *rs, uint32_t mm_id, uint32_t pid)
{
	if (rs->n_tombs)
		tombs_rehash(rs, rs->tombs_cap, mm_id, pid);
}

