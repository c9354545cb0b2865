/* Anonymous memory in a region's life (see region.h): khugepaged's and
 * MADV_COLLAPSE's scans of a PMD range, the huge fault, the large folios a
 * fault allocated, the fault counters and folio sizes the page-state
 * samples carry; and the part of the verdict that says how an anonymous
 * region became huge, or why it stayed small.  Pure, like region.c. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "util/intern.h"
#include "model/region.h"
#include "model/region_parts.h"

#define VM_FAULT_FALLBACK_V 0x800
#define PMD_ORDER 9

static bool by_khugepaged(const struct thp_event *ev)
{
	return ev_is_khugepaged(ev) || !ev->comm[0];
}

static struct milestone *scanned(struct region *r, const struct thp_event *ev, enum ms_kind kind)
{
	struct milestone *m = region_add_ms(r, ev->t, kind, HOW_ANON_SCAN);

	if (!m)
		return NULL;
	m->actor = by_khugepaged(ev) ? ACT_KHUGEPAGED : ACT_MADV_COLLAPSE;
	snprintf(m->comm, sizeof(m->comm), "%s", ev->comm);
	m->result = str_intern(ev->result_name);
	m->present = ev->referenced;
	m->swap = ev->none_or_zero;
	return m;
}

/* A scan or collapse that did not make a huge page (a success goes
 * through region.c's collapse). */
static void anon_scan(struct region *r, const struct thp_event *ev)
{
	const int o = scan_result_outcome(ev->result_name);
	const bool kh = by_khugepaged(ev);
	/* collapse_huge_page's failure, then the scan's return with the
	 * same result: one failure */
	const bool repeat = r->last_result[0] && !strcmp(r->last_result, ev->result_name) &&
			    r->t_first_scan >= 0 && ev->kind == EV_SCAN_PMD && r->collapse_failures > 0;

	if (kh && ev->kind == EV_SCAN_PMD)
		r->scans++;
	if (kh && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		scanned(r, ev, ev->kind == EV_COLLAPSE_HUGE_PAGE ? MS_COLLAPSE : MS_SCANNED);
	} else if (o < 0 && !repeat && strcmp(r->last_result, ev->result_name) != 0) {
		scanned(r, ev, ev->kind == EV_COLLAPSE_HUGE_PAGE ? MS_COLLAPSE : MS_SCANNED);
	}
	if (ev->kind == EV_COLLAPSE_HUGE_PAGE)
		r->collapse_attempts++;
	if (o >= 0)
		return;
	if (ev->kind == EV_COLLAPSE_HUGE_PAGE)
		r->collapse_failures++;
	if (!kh)
		r->madv_collapse = true;
	r->last_result = str_intern(ev->result_name);
	r->last_result_by = kh ? ACT_KHUGEPAGED : ACT_MADV_COLLAPSE;
	if (ev->fields & EVF_ANON_SCAN) {
		if (ev->referenced >= 0)
			r->scan_referenced = ev->referenced;
		if (ev->none_or_zero >= 0)
			r->scan_none = ev->none_or_zero;
		if (ev->unmapped >= 0)
			r->scan_unmapped = ev->unmapped;
	}
}

static void fault_alloc(struct region *r, const struct thp_event *ev, int order, bool failed, enum ms_how how)
{
	struct milestone *m;
	const uint32_t bit = order >= 0 && order < 32 ? 1u << order : 0;

	if (bit && failed) {
		r->alloc_failed_orders |= bit;	/* told by the fallback's verdict */
		return;
	}
	if (!bit || (r->alloc_orders & bit))
		return;		/* the first of each size tells it */
	r->alloc_orders |= bit;
	if ((m = region_add_ms(r, ev->t, MS_FAULT_ALLOC, how)))
		m->ret = order;
}

void region_anon_apply(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	switch (ev->kind) {
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
		/* a success is region_apply's: the collapse */
		if (scan_result_outcome(ev->result_name) <= 0)
			anon_scan(r, ev);
		break;
	case EV_PAGE_ALLOC:
		if (ev->fields & EVF_ORDER)
			fault_alloc(r, ev, ev->order, (ev->fields & EVF_RET) && ev->ret < 0, HOW_PAGE_ALLOC);
		break;
	case EV_HUGE_FAULT:
		r->t_huge_fault = ev->t;
		r->huge_fault_ret = (ev->fields & EVF_RET) ? ev->ret : 0;
		if (r->t_fault < 0)
			r->t_fault = ev->t;
		if (ev->fault_alloc_seen)
			fault_alloc(r, ev, PMD_ORDER, ev->fault_alloc_ret < 0, HOW_PAGE_ALLOC);
		if (r->huge_fault_ret & VM_FAULT_FALLBACK_V) {
			if (!region_last_ms(r, MS_FAULT_FALLBACK) && (m = region_add_ms(r, ev->t, MS_FAULT_FALLBACK, HOW_HUGE_FAULT)))
				m->ret = r->huge_fault_ret;
		} else {
			fault_alloc(r, ev, PMD_ORDER, false, HOW_HUGE_FAULT);
		}
		break;
	default:
		break;
	}
}

void region_anon_sample(struct region *r, const struct thp_event *ev)
{
	if ((ev->fields & EVF_FAULTSTAT) && r->fs_alloc < 0) {
		r->fs_alloc = ev->fault_alloc_delta;
		r->fs_fallback = ev->fault_fallback_delta;
		r->fs_charge = ev->fault_charge_delta;
		r->fs_since = ev->faultstat_since_t;
	}
	if (ev->state == PS_PTE || ev->state == PS_PMD) {
		if (r->t_present < 0)
			r->t_present = ev->t;
		r->folio_orders = (ev->fields & EVF_FOLIOS) ? ev->folio_orders : 0;
	}
}

/* The first present pages came after the region could have a huge page at
 * fault: madvised MADV_HUGEPAGE (or THP mode always) and seen empty before. */
static bool faulted_while_eligible(const struct region *r)
{
	const struct thp_context *c = r->ev.ctx;
	const bool always = !strcmp(c->thp_enabled, "always");
	double empty = -1;

	if (r->t_huge_fault >= 0)
		return true;
	for (size_t i = 0; i < r->n_changes; i++) {
		if (r->chg[i].state == PS_NONE && empty < 0)
			empty = r->chg[i].t;
		if (r->chg[i].state == PS_PTE || r->chg[i].state == PS_PMD)
			break;
	}
	if (empty < 0 || r->t_present < 0 || r->t_present < empty)
		return false;
	if (r->madvised_huge && r->t_madvise >= 0 && !r->madv_collapse)
		return empty >= r->t_madvise || r->t_present >= r->t_madvise;
	return always && !r->madvised_huge;
}

/* Does the defrag setting let a fault in this region compact memory? */
static bool fault_may_compact(const struct region *r)
{
	const char *d = r->ev.ctx->defrag;

	if (!strcmp(d, "always"))
		return true;
	if (!strcmp(d, "madvise") || !strcmp(d, "defer+madvise"))
		return r->madvised_huge;
	return false;	/* defer, never */
}

/* do_huge_pmd_anonymous_page's probe saw this region's fault fall back. */
static bool fallback_seen(const struct region *r)
{
	return r->huge_fault_ret >= 0 && (r->huge_fault_ret & VM_FAULT_FALLBACK_V);
}

/* Why the fault fell back.  The fault's own 2 MiB allocation tells it
 * best: it failed (no free block), or it succeeded and the fault still
 * fell back, which only the memory cgroup's charge does.  Without it, the
 * system-wide PMD fault counters' rise since the region was seen empty. */
static enum fallback_cause fallback_cause(const struct region *r, enum fallback_from *from)
{
	const uint32_t pmd = 1u << PMD_ORDER;

	*from = FF_PAGE_ALLOC;
	if (r->alloc_failed_orders & pmd)
		return fault_may_compact(r) ? FB_ALLOC_FAILED : FB_NO_COMPACTION;
	if ((r->alloc_orders & pmd) && fallback_seen(r))
		return FB_CGROUP_CHARGE;
	*from = FF_COUNTERS;
	if (r->fs_alloc < 0) {
		*from = FF_NONE;
		return FB_UNKNOWN;
	}
	if (r->fs_charge > 0)
		return FB_CGROUP_CHARGE;
	if (r->fs_fallback > 0)
		return fault_may_compact(r) ? FB_ALLOC_FAILED : FB_NO_COMPACTION;
	if (r->fs_alloc == 0)
		return FB_NOT_TRIED;
	*from = FF_NONE;
	return FB_UNKNOWN;
}

static uint32_t small_orders(uint32_t m)
{
	return m & ((1u << PMD_ORDER) - 1) & ~1u;
}

enum verdict_reason region_anon_verdict(struct region *r, enum verdict_reason so_far)
{
	struct verdict_evidence *e = &r->ev;
	const struct milestone *c = region_last_ms(r, MS_COLLAPSE);

	if (so_far == VR_HUGE) {
		if (r->collapsed) {
			e->became = r->collapsed_by == ACT_MADV_COLLAPSE ? BH_MADV_COLLAPSE : BH_KHUGEPAGED;
			e->became_inferred = c && c->how == HOW_ANON_INFERRED;
		} else if (r->t_snapshot >= 0 && r->n_changes && r->chg[0].how == HOW_SNAPSHOT &&
			   r->chg[0].state == PS_PMD) {
			e->became = BH_BEFORE_TRACE;
		} else if (e->backing != BACKING_ANON) {
			e->became = BH_UNKNOWN;
		} else if (r->alloc_orders & (1u << PMD_ORDER)) {
			e->became = BH_FAULT;
		} else if (r->t_fault >= 0 || r->t_present >= 0) {
			e->became = BH_FAULT;
			e->became_inferred = true;
		}
		return so_far;
	}
	if (e->backing != BACKING_ANON || r->final_state != PS_PTE || r->collapsed)
		return so_far;
	if (so_far != VR_NOT_SCANNED && so_far != VR_NOT_COLLAPSED && so_far != VR_UNKNOWN &&
	    so_far != VR_SCAN_FAILED)
		return so_far;
	e->mthp_orders = small_orders(r->folio_orders | r->alloc_orders);
	if (small_orders(r->folio_orders) || (!r->folio_orders && e->mthp_orders && so_far != VR_SCAN_FAILED))
		return VR_MTHP;
	/* the fault came first: a later scan's failure is told in its why */
	if (!faulted_while_eligible(r))
		return so_far;
	e->fallback = fallback_cause(r, &e->fallback_from);
	e->fallback_inferred = !fallback_seen(r);
	return VR_FAULT_FALLBACK;
}

const char *scan_result_knob(const char *result, const struct thp_context *ctx, long *value)
{
	static const struct {
		const char *result, *knob;
		size_t off;
	} knobs[] = {
		{ "SCAN_EXCEED_NONE_PTE", "khugepaged/max_ptes_none", offsetof(struct thp_context, max_ptes_none) },
		{ "SCAN_EXCEED_SWAP_PTE", "khugepaged/max_ptes_swap", offsetof(struct thp_context, max_ptes_swap) },
		{ "SCAN_EXCEED_SHARED_PTE", "khugepaged/max_ptes_shared", offsetof(struct thp_context, max_ptes_shared) },
	};

	*value = -1;
	for (size_t i = 0; result && i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		if (strcasecmp(result, knobs[i].result) && strcasecmp(result, knobs[i].result + 5))
			continue;
		if (ctx->have_max_ptes)
			*value = *(const long *)((const char *)ctx + knobs[i].off);
		return knobs[i].knob;
	}
	return NULL;
}
