/* A region's data, the primitives every part of its state machine
 * writes through (region.c, region_loss.c): a fresh region, a milestone
 * added, the page state from a time on, the last milestone of a kind. */
#include <stdlib.h>
#include <string.h>
#include "model/region.h"
#include "model/region_parts.h"

void region_init(struct region *r, uint32_t mm_id, uint32_t pid, uint64_t start)
{
	memset(r, 0, sizeof(*r));
	r->mm_id = mm_id;
	r->pid = pid;
	r->start = start;
	r->t_madvise = r->t_first_scan = r->t_collapse = -1;
	r->t_cleared = r->t_refault = r->t_pmd = -1;
	r->t_nohuge = r->t_exit = r->t_snapshot = -1;
	r->finfo.is_shmem = r->finfo.open_for_write = -1;
	r->finfo.fully_mapped = r->finfo.file_aligned = -1;
	r->unmapped_s = r->madvise_to_pmd_s = -1;
	r->life = 1;
	r->t_mapped = r->t_unmapped = r->cause_t = r->t_lost = r->t_scan_ok = -1;
	r->t_fault = r->t_present = r->t_huge_fault = r->fs_since = -1;
	r->huge_fault_ret = r->fs_alloc = r->fs_fallback = r->fs_charge = -1;
	r->scan_referenced = r->scan_none = r->scan_unmapped = -1;
	r->ev.ctx = &settings_unknown;	/* until its verdict (shared, never freed) */
	r->file = r->last_result = r->scan_ok_result = "";
}

void region_release(struct region *r)
{
	free(r->ms);
	free(r->chg);
	r->ms = NULL;
	r->chg = NULL;
	r->n_milestones = r->cap_milestones = r->n_changes = r->cap_changes = 0;
}

/* Room for one more of n in *v (cap of them, each size bytes), at most
 * max: 0, or -1 (full, or no memory). */
static int grow(void **v, uint32_t *cap, size_t n, size_t size, size_t max, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	if (c > max)
		c = max;
	if (!(p = realloc(*v, c * size)))
		return -1;
	*v = p;
	*cap = (uint32_t)c;
	return 0;
}

/* A new milestone of r (zeroed but for t, kind and how), or NULL when the
 * region has as many as it keeps: the caller fills the fields it has. */
struct milestone *region_add_ms(struct region *r, double t, enum ms_kind kind, enum ms_how how)
{
	struct milestone *m;

	/* three: a madvised region that became huge and lived to the end */
	if (grow((void **)&r->ms, &r->cap_milestones, r->n_milestones, sizeof(*r->ms),
		 REGION_MAX_MILESTONES, 3) < 0) {
		r->dropped_milestones++;
		return NULL;
	}
	m = &r->ms[r->n_milestones++];
	memset(m, 0, sizeof(*m));
	m->t = t;
	m->kind = kind;
	m->how = how;
	m->write = -1;
	m->result = "";
	m->split_pmd_delta = -1;
	return m;
}

/* The page state from t on.  A full list drops its oldest change, so that
 * the last state (the one that matters most) is always right. */
void region_set_state(struct region *r, double t, enum page_state st, enum ms_how how)
{
	if (r->n_changes && r->chg[r->n_changes - 1].state == st)
		return;
	if (r->n_changes == REGION_MAX_CHANGES) {
		memmove(r->chg, r->chg + 1, (REGION_MAX_CHANGES - 1) * sizeof(r->chg[0]));
		r->n_changes--;
		r->dropped_changes++;
	}
	if (grow((void **)&r->chg, &r->cap_changes, r->n_changes, sizeof(*r->chg), REGION_MAX_CHANGES, 2) < 0) {
		r->dropped_changes++;
		return;
	}
	r->chg[r->n_changes++] = (struct state_change){ t, st, how };
}

const struct milestone *region_last_ms(const struct region *r, enum ms_kind k)
{
	for (size_t i = r->n_milestones; i-- > 0;)
		if (r->ms[i].kind == k)
			return &r->ms[i];
	return NULL;
}
