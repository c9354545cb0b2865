/* Regions grouped by mapping; see mappings.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/mappings.h"

enum huge_how region_huge_how(const struct region *r)
{
	/* the band began PMD-mapped at the snapshot and stayed so */
	if (r->t_snapshot >= 0 && r->n_changes && r->chg[0].how == HOW_SNAPSHOT &&
	    r->chg[0].state == PS_PMD && !r->collapsed)
		return HUGE_BEFORE;
	if (r->collapsed)
		return r->ev.builder == ACT_MADV_COLLAPSE ? HUGE_MADV_COLLAPSE : HUGE_KHUGEPAGED;
	return HUGE_AT_FAULT;
}

/* Address order within a process; lives of one address in life order. */
static int by_place(const void *a, const void *b, void *arg)
{
	const struct regions *rs = arg;
	const struct region *x = &rs->v[*(const size_t *)a], *y = &rs->v[*(const size_t *)b];

	if (x->mm_id != y->mm_id)
		return x->mm_id < y->mm_id ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->life < y->life ? -1 : x->life > y->life;
}

/* Does r continue group m (whose last member is last)? */
static bool joins(const struct mapping *m, const struct region *last, const struct region *r)
{
	if (r->mm_id != m->mm_id || r->pid != m->pid)
		return false;
	/* contiguous mappings of one file (or of anonymous memory) are one:
	 * the kernel merges such VMAs (a JVM commits its heap 2 MiB at a
	 * time), and so does smaps */
	if (r->map_end && m->known)
		return r->map_start <= m->end && r->map_end >= m->start && strcmp(r->file, m->file) == 0;
	if (m->known)		/* r's mapping is not known: is it inside m's? */
		return r->start >= m->start && r->start + THP_REGION_SIZE <= m->end;
	if (r->map_end)		/* m is a run of unknowns: r starts a known mapping */
		return false;
	return strcmp(r->file, m->file) == 0 &&
	       (r->start == last->start || r->start == last->start + THP_REGION_SIZE);
}

/* The majority: the most common verdict; among equals huge, else the
 * first in enum order, so that the choice is the same everywhere. */
static enum verdict_reason majority_of(const size_t *by)
{
	enum verdict_reason best = VR_HUGE;

	for (int k = 0; k < VR_MAX; k++)
		if (by[k] > by[best])
			best = (enum verdict_reason)k;
	return best;
}

struct step {
	double t;
	int d;
};

static int by_t(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d;	/* a loss before a gain at the same time */
}

/* PMD-mapped members over time, from each member's state changes. */
static int build_series(const struct regions *rs, struct mapping *m)
{
	size_t cap = 0, n = 0;
	struct step *st;

	for (size_t i = 0; i < m->n; i++)
		cap += rs->v[m->members[i]].n_changes + 1;
	if (!(st = malloc((cap ? cap : 1) * sizeof(*st))))
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		const struct region *r = &rs->v[m->members[i]];
		bool on = false;

		for (size_t k = 0; k < r->n_changes; k++) {
			bool pmd = r->chg[k].state == PS_PMD;

			if (pmd != on)
				st[n++] = (struct step){ r->chg[k].t, pmd ? 1 : -1 };
			on = pmd;
		}
	}
	qsort(st, n, sizeof(*st), by_t);
	m->series = malloc((n ? n : 1) * sizeof(*m->series));
	if (!m->series) {
		free(st);
		return -1;
	}
	int64_t huge = 0;

	for (size_t i = 0; i < n; i++) {
		huge += st[i].d;
		if (huge < 0)
			huge = 0;
		/* one point per time: the last change at a time wins */
		if (m->n_series && m->series[m->n_series - 1].t == st[i].t)
			m->series[m->n_series - 1].huge = (uint32_t)huge;
		else
			m->series[m->n_series++] = (struct mapping_point){ st[i].t, (uint32_t)huge };
	}
	free(st);
	return 0;
}

static void count(const struct regions *rs, struct mapping *m)
{
	m->huge_by = -1;
	for (size_t i = 0; i < m->n; i++)
		m->by_reason[rs->v[m->members[i]].reason]++;
	m->majority = majority_of(m->by_reason);
	for (size_t i = 0; i < m->n; i++) {
		const struct region *r = &rs->v[m->members[i]];

		if (r->reason != m->majority)
			m->exceptions++;
		if (r->reason != VR_HUGE)
			continue;
		m->huge_how[region_huge_how(r)]++;
		/* when it became PMD-mapped for the last time */
		for (size_t k = r->n_changes; k-- > 0;)
			if (r->chg[k].state == PS_PMD) {
				if (r->chg[k].t > m->huge_by)
					m->huge_by = r->chg[k].t;
				break;
			}
	}
}

static int build(const struct regions *rs, struct mappings *out, bool series)
{
	size_t *order, *members;

	memset(out, 0, sizeof(*out));
	if (!rs || !rs->n)
		return 0;
	order = malloc(rs->n * sizeof(*order));
	members = malloc(rs->n * sizeof(*members));
	out->v = calloc(rs->n, sizeof(*out->v));	/* at most one per region */
	if (!order || !members || !out->v) {
		free(order);
		free(members);
		free(out->v);
		out->v = NULL;
		return -1;
	}
	for (size_t i = 0; i < rs->n; i++)
		order[i] = i;
	qsort_r(order, rs->n, sizeof(*order), by_place, (void *)rs);
	/* members: one array, each mapping a slice of it */
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *r = &rs->v[order[i]];
		struct mapping *m = out->n ? &out->v[out->n - 1] : NULL;

		if (!m || !joins(m, &rs->v[m->members[m->n - 1]], r)) {
			m = &out->v[out->n++];
			m->mm_id = r->mm_id;
			m->pid = r->pid;
			m->known = r->map_end > r->map_start;
			m->start = m->known ? r->map_start : r->start;
			m->end = m->known ? r->map_end : r->start + THP_REGION_SIZE;
			snprintf(m->file, sizeof(m->file), "%s", r->file);
			m->members = &members[i];
		}
		m->members[m->n++] = order[i];
		if (!m->known && r->start + THP_REGION_SIZE > m->end)
			m->end = r->start + THP_REGION_SIZE;
		if (m->known && r->map_end > m->end)
			m->end = r->map_end;
		if (m->known && r->map_end && r->map_start < m->start)
			m->start = r->map_start;
	}
	free(order);
	for (size_t k = 0; k < out->n; k++) {
		count(rs, &out->v[k]);
		if (series && build_series(rs, &out->v[k]) < 0) {
			mappings_free(out);	/* members too: the first mapping owns it */
			return -1;
		}
	}
	/* the slices share one array: the first mapping owns it */
	return 0;
}

void mappings_free(struct mappings *ms)
{
	if (ms->n)
		free(ms->v[0].members);
	for (size_t k = 0; k < ms->n; k++)
		free(ms->v[k].series);
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

int mappings_build(const struct regions *rs, struct mappings *out)
{
	return build(rs, out, true);
}

int mappings_build_summary(const struct regions *rs, struct mappings *out)
{
	return build(rs, out, false);
}
