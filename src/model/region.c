/* One region's life, event by event (see region.h): milestones, page-state
 * changes and the facts the verdict reads.  Every time here is an event's
 * t; nothing reads a clock, /proc or BPF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/intern.h"
#include "model/region.h"
#include "model/region_parts.h"

static void set_file(struct region *r, const struct thp_event *ev)
{
	if (!r->file[0] && ev->file[0])
		r->file = str_intern(ev->file);
}

/* The PMD was cleared and nothing has mapped the range since: the next
 * touch is the refault that decides between one PMD and small pages. */
static bool awaiting_refault(const struct region *r)
{
	return r->t_cleared >= 0 && r->t_refault < r->t_cleared && r->t_pmd < r->t_cleared;
}

static void cleared(struct region *r, double t, enum ms_how how)
{
	if (awaiting_refault(r))
		return;		/* retract, pmdp flush and pagemap all report one clear */
	r->t_cleared = t;
	if (r->collapsed)
		r->cleared_after_collapse = true;
	region_add_ms(r, t, MS_PMD_CLEARED, how);
}

static struct milestone *refault(struct region *r, double t, enum ms_how how)
{
	if (!awaiting_refault(r))
		return NULL;
	r->t_refault = t;
	if (r->unmapped_s < 0)
		r->unmapped_s = t - r->t_cleared;
	return region_add_ms(r, t, MS_REFAULT, how);
}

static void mapped_pmd(struct region *r, double t, enum ms_how how)
{
	region_set_state(r, t, PS_PMD, how);
	if (r->t_pmd >= 0 && r->t_pmd >= r->t_cleared)
		return;		/* do_set_pmd already said so; pagemap only confirms */
	r->t_pmd = t;
	/* MADV_COLLAPSE maps the PMD inside the call, before its exit event. */
	if (r->t_madvise >= 0 && r->madvise_to_pmd_s < 0)
		r->madvise_to_pmd_s = t > r->t_madvise ? t - r->t_madvise : 0;
	region_add_ms(r, t, MS_PMD_MAPPED, how);
}

/* khugepaged, or the process in madvise(MADV_COLLAPSE).  An event without
 * a comm comes from a perf-event tracepoint record of khugepaged's. */
static enum actor actor_of(const struct thp_event *ev)
{
	return ev_is_khugepaged(ev) || !ev->comm[0] ? ACT_KHUGEPAGED : ACT_MADV_COLLAPSE;
}

static void set_actor(struct milestone *m, const struct thp_event *ev)
{
	if (!m)
		return;
	m->actor = actor_of(ev);
	snprintf(m->comm, sizeof(m->comm), "%s", ev->comm);
	m->result = str_intern(ev->result_name);
}

static void failed_result(struct region *r, const struct thp_event *ev)
{
	r->last_result = str_intern(ev->result_name);
	r->last_result_by = actor_of(ev);
}

/* SCAN_SUCCEED itself (not SCAN_PTE_MAPPED_HUGEPAGE: that huge page was
 * made before). */
static bool succeeded(const char *result)
{
	return !strcmp(result, "SCAN_SUCCEED") || !strcmp(result, "succeeded") || !strcmp(result, "1");
}

static void apply_scan(struct region *r, const struct thp_event *ev)
{
	int o = scan_result_outcome(ev->result_name);
	bool kh = actor_of(ev) == ACT_KHUGEPAGED;
	struct milestone *m;

	if (kh)
		r->scans++;
	if (kh && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		m = region_add_ms(r, ev->t, MS_SCANNED, HOW_FIRST_SCAN);
		set_actor(m, ev);
		if (m) {
			m->present = ev->present;
			m->swap = ev->swap;
		}
	} else if (o < 0 && strcmp(r->last_result, ev->result_name) != 0) {
		set_actor(region_add_ms(r, ev->t, MS_SCANNED, HOW_NONE), ev);
	}
	if (o < 0)
		failed_result(r, ev);
	if (succeeded(ev->result_name)) {
		r->t_scan_ok = ev->t;
		r->scan_ok_result = str_intern(ev->result_name);
	}
}

/* pagemap saw the range go empty before the collapse event came: now we
 * know that was the collapse clearing the PMD. */
static void relabel_unmapped(struct region *r)
{
	for (size_t i = r->n_milestones; i-- > 0;) {
		struct milestone *m = &r->ms[i];
		if (m->t == r->t_cleared && m->kind == MS_UNMAPPED) {
			m->kind = MS_PMD_CLEARED;
			m->how = HOW_PAGEMAP_COLLAPSE_CLEARED;
			return;
		}
	}
}

static void apply_collapse(struct region *r, const struct thp_event *ev)
{
	int o = scan_result_outcome(ev->result_name);

	set_file(r, ev);
	if (ev_is_khugepaged(ev) && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		region_add_ms(r, ev->t, MS_SCANNED, HOW_REACHED);
	}
	if (!ev_is_khugepaged(ev) && ev->comm[0])
		r->madv_collapse = true;
	r->collapse_attempts++;
	set_actor(region_add_ms(r, ev->t, MS_COLLAPSE, HOW_NONE), ev);
	if (o > 0) {
		/* collapse_file clears the old page tables (retract) before its
		 * tracepoint fires, so a pending clear belongs to this collapse;
		 * so does one just before it that a refault already followed (the
		 * tracepoint can come after the refault).  Older clears were
		 * something else: a collapse takes well under a second. */
		r->cleared_after_collapse = awaiting_refault(r) ||
			(r->t_cleared > r->t_collapse && ev->t - r->t_cleared < 1.0);
		if (r->cleared_after_collapse)
			relabel_unmapped(r);
		r->collapsed = true;
		r->collapsed_by = actor_of(ev);
		r->t_collapse = ev->t;
		if (!r->cleared_after_collapse && r->state == PS_NONE)
			cleared(r, ev->t, HOW_PAGEMAP_AFTER_COLLAPSE);
	} else if (o < 0) {
		r->collapse_failures++;
		failed_result(r, ev);
	}
}

/* An anonymous collapse (collapse_huge_page) maps its huge page by one PMD
 * itself before it returns: its PMD clear (pmdp_collapse_flush) is
 * followed by no refault. */
static void anon_collapsed(struct region *r, const struct thp_event *ev)
{
	apply_collapse(r, ev);
	mapped_pmd(r, ev->t, HOW_COLLAPSE_MAPPED);
}

static void apply_set_pmd(struct region *r, const struct thp_event *ev)
{
	bool in_collapse = (ev->fields & EVF_IN_COLLAPSE) || ev_is_khugepaged(ev);

	if ((ev->fields & EVF_RET) && ev->ret != 0) {
		struct milestone *m = region_add_ms(r, ev->t, MS_PMD_REFUSED, HOW_SET_PMD);

		if (m)
			m->ret = ev->ret;
		return;
	}
	/* Not a refault by itself: MADV_COLLAPSE's own PMD install comes
	 * through here too, outside collapse_file.  The fault event says it. */
	mapped_pmd(r, ev->t, in_collapse ? HOW_SET_PMD_IN_COLLAPSE : HOW_SET_PMD);
}

/* Apply an event that never creates a region to one region it concerns. */
void region_apply(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	switch (ev->kind) {
	case EV_PMD_SPLIT:
	case EV_PMD_ZAP:
		region_observed_loss(r, ev);
		break;
	case EV_PMD_MIGRATION:
	case EV_PMD_MIGRATED:
		region_migration(r, ev);
		break;
	case EV_FOLIO_SPLIT:
	case EV_FOLIO_DEFERRED_SPLIT:
		region_folio_split(r, ev);
		break;
	case EV_SCAN_FILE:
		apply_scan(r, ev);
		break;
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
		/* a success makes the huge page (collapse_huge_page's, then its
		 * scan's return with the same result: one collapse) */
		if (scan_result_outcome(ev->result_name) > 0 &&
		    !(r->collapsed && ev->t - r->t_collapse < 0.5))
			anon_collapsed(r, ev);
		break;	/* a failure: region_anon_apply (regions.c calls both) */
	case EV_COLLAPSE_FILE:
		apply_collapse(r, ev);
		break;
	case EV_RETRACT:
		region_set_state(r, ev->t, PS_NONE, HOW_RETRACT);
		cleared(r, ev->t, HOW_RETRACT);
		break;
	case EV_PMDP_COLLAPSE_FLUSH:
		region_set_state(r, ev->t, PS_NONE, HOW_PMDP_FLUSH);
		cleared(r, ev->t, HOW_PMDP_FLUSH);
		break;
	case EV_FAULT:
		if (r->t_fault < 0)
			r->t_fault = ev->t;
		if ((m = refault(r, ev->t, HOW_FAULT))) {
			m->addr = ev->addr;
			m->write = !(ev->fields & EVF_ERRCODE) ? -1 : (ev->errcode & 2) ? 1 : 0;
		}
		break;
	case EV_MAP_PAGES:
		/* The state is left to pagemap: filemap_map_pages also maps a
		 * PMD (filemap_map_pmd), and its fexit comes after do_set_pmd. */
		refault(r, ev->t, HOW_MAP_PAGES);
		break;
	case EV_SET_PMD:
		apply_set_pmd(r, ev);
		break;
	case EV_EXIT:
		if (r->t_exit < 0) {
			r->t_exit = ev->t;
			region_add_ms(r, ev->t, MS_EXIT, HOW_NONE);
		}
		break;
	default:
		break;
	}
}

static void state_change(struct region *r, const struct thp_event *ev)
{
	enum page_state prev = r->state, s = ev->state;
	enum page_state known = r->n_changes ? r->chg[r->n_changes - 1].state : PS_UNKNOWN;
	bool was_pmd = prev == PS_PMD || known == PS_PMD;
	struct milestone *m;

	if (s == PS_UNKNOWN)
		return;
	/* inferred, unless a function probe saw it since it became PMD-mapped */
	if (s != PS_PMD && was_pmd && !(r->t_lost >= 0 && r->t_lost >= region_last_pmd(r)))
		region_lost(r, ev, region_loss_kind(r, s));
	r->thp = ev->thp;
	r->state = s;
	region_set_state(r, ev->t, s, HOW_PAGEMAP);
	if (s == prev)
		return;
	switch (s) {
	case PS_PMD:
		refault(r, ev->t, HOW_PAGEMAP);
		mapped_pmd(r, ev->t, HOW_PAGEMAP);
		break;
	case PS_NONE:
		if (awaiting_refault(r))
			break;	/* the clear was already seen */
		if (was_pmd) {
			r->t_cleared = ev->t;	/* zapped: the next touch refaults it */
			break;
		}
		if (r->collapsed && !r->cleared_after_collapse && r->t_collapse > r->t_pmd &&
		    r->t_collapse > r->t_refault)
			/* collapse_file cleared it before its event: not later
			 * than that, whenever pagemap got to look */
			cleared(r, r->t_collapse, HOW_PAGEMAP_AFTER_COLLAPSE);
		else if (prev == PS_PMD || (r->collapsed && !r->cleared_after_collapse))
			cleared(r, ev->t, HOW_PAGEMAP);
		else if (prev == PS_PTE) {
			/* maybe a clear whose collapse event is still to come */
			r->t_cleared = ev->t;
			region_add_ms(r, ev->t, MS_UNMAPPED, HOW_PAGEMAP);
		}
		break;
	case PS_PTE:
		refault(r, ev->t, HOW_PAGEMAP);
		m = NULL;
		if (was_pmd)
			;	/* the split says it */
		else if (r->collapsed && (prev == PS_NONE || ev->thp))
			m = region_add_ms(r, ev->t, MS_PTE_MAPPED, HOW_REFAULT_SMALL);
		else if (prev == PS_NONE)
			m = region_add_ms(r, ev->t, MS_PTE_MAPPED, HOW_MAPPED_SMALL);
		if (m)
			m->thp = ev->thp;
		break;
	default:
		break;
	}
}

/* The first look at a process that was running before tracing began: its
 * state then, and its madvise flags (VmFlags hg, nh), are where this
 * region's story starts; nothing before is known. */
static void snapshot(struct region *r, const struct thp_event *ev)
{
	struct milestone *m = region_add_ms(r, ev->t, MS_SNAPSHOT, HOW_SNAPSHOT);

	r->t_snapshot = ev->t;
	if (ev->map_end > ev->map_start && !r->map_end) {
		r->map_start = ev->map_start;
		r->map_end = ev->map_end;
	}
	r->state = ev->state;
	r->thp = ev->thp;
	region_set_state(r, ev->t, ev->state, HOW_SNAPSHOT);
	if (ev->state == PS_PMD)
		r->t_pmd = ev->t;
	if ((ev->fields & EVF_VMFLAGS) && ev->vm_hugepage > 0)
		r->madvised_huge = true;
	if ((ev->fields & EVF_VMFLAGS) && ev->vm_nohugepage > 0) {
		r->nohuge = r->nohuge_before = true;
		r->t_nohuge = ev->t;
	}
	if (!m)
		return;
	m->state = ev->state;
	m->present = ev->present;
	m->thp = ev->thp;
	m->behavior = (ev->vm_hugepage > 0 ? 1 : 0) | (ev->vm_nohugepage > 0 ? 2 : 0);
}

void region_sample(struct region *r, const struct thp_event *ev)
{
	set_file(r, ev);
	/* a later snapshot (--resnapshot) is one more sample */
	if (ev->via == VIA_ID_SNAPSHOT && r->t_snapshot < 0 && r->n_changes == 0 &&
	    ev->state != PS_UNKNOWN) {
		snapshot(r, ev);
		return;
	}
	state_change(r, ev);
}

static void madvised(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	r->madvised_huge = true;
	if (r->t_madvise < 0)
		r->t_madvise = ev->t;
	if (ev->behavior == MADV_COLLAPSE_NR)
		r->madv_collapse = true;
	else
		r->nohuge = false;	/* MADV_HUGEPAGE undoes MADV_NOHUGEPAGE */
	set_file(r, ev);
	if (!r->pid)
		r->pid = ev_target(ev);
	m = region_add_ms(r, ev->t, MS_MADVISED, HOW_NONE);
	if (m)
		m->behavior = ev->behavior;
}

void region_madvise(struct region *r, const struct thp_event *ev, bool huge, bool ok)
{
	struct milestone *m;

	if (huge && ok) {
		madvised(r, ev);
	} else if (huge) {
		if (ev->behavior == MADV_COLLAPSE_NR)
			r->madv_collapse = true;	/* tried: huge=never did not stop it */
		if ((m = region_add_ms(r, ev->t, MS_MADVISE_FAILED, HOW_NONE))) {
			m->behavior = ev->behavior;
			m->ret = ev->ret;
		}
	} else if (ok) {
		r->nohuge = true;
		r->t_nohuge = ev->t;
		region_add_ms(r, ev->t, MS_NOHUGEPAGE, HOW_NONE);
	}
}

void region_file_facts(struct region *r, const struct thp_event *ev)
{
	r->finfo = ev->finfo;
	r->have_finfo = true;
	if (!r->file[0] && ev->file[0])
		r->file = str_intern(ev->file);
}

void region_mapped_at(struct region *r, double t)
{
	struct milestone *m;

	if (r->t_mapped >= 0)
		return;
	r->t_mapped = t;
	if ((m = region_add_ms(r, t, MS_MAPPED, HOW_SYSCALL)))
		m->cause = EV_MMAP;
}

void region_unmapped(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	double t = ev->t;

	if (r->ended)
		return;
	region_fill_pending_cause(r, ev);
	/* Records from two CPUs can come slightly out of order: a life ends
	 * no earlier than the last change seen in it. */
	for (size_t i = 0; i < r->n_changes; i++)
		if (r->chg[i].t > t)
			t = r->chg[i].t;
	r->ended = true;
	r->t_unmapped = t;
	region_set_state(r, t, PS_UNMAPPED, HOW_SYSCALL);
	if ((m = region_add_ms(r, t, MS_UNMAP, HOW_SYSCALL))) {
		m->cause = ev->kind;
		m->cause_t = ev->t;
		m->addr = ev->kind == EV_MREMAP ? ev->new_addr : 0;
	}
}

/* Without a page state sample, the last mapping event says how it ended;
 * a refault with no PMD event may have been either, so that stays unknown. */
static enum page_state infer_state(const struct region *r)
{
	if (r->t_pmd >= 0 && r->t_pmd >= r->t_cleared)
		return PS_PMD;
	if (awaiting_refault(r))
		return PS_NONE;
	return PS_UNKNOWN;
}

/* Replayed orphans and madvise exit times can put milestones out of order. */
static void sort_milestones(struct region *r)
{
	for (size_t i = 1; i < r->n_milestones; i++) {
		struct milestone m = r->ms[i];
		size_t j = i;
		for (; j > 0 && r->ms[j - 1].t > m.t; j--)
			r->ms[j] = r->ms[j - 1];
		r->ms[j] = m;
	}
}

/* Orphans and the collapse's own clear can put changes out of order. */
static void sort_changes(struct region *r)
{
	for (size_t i = 1; i < r->n_changes; i++) {
		struct state_change c = r->chg[i];
		size_t j = i;
		for (; j > 0 && r->chg[j - 1].t > c.t; j--)
			r->chg[j] = r->chg[j - 1];
		r->chg[j] = c;
	}
}

void region_collapse_inferred(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	anon_collapsed(r, ev);
	for (size_t i = r->n_milestones; i-- > 0;) {
		m = &r->ms[i];
		if (m->kind == MS_COLLAPSE) {
			m->how = HOW_ANON_INFERRED;
			break;
		}
	}
}

void region_collapse_from_scan(struct region *r)
{
	struct milestone *m;

	if (r->collapsed || r->t_scan_ok < 0)
		return;
	r->collapsed = true;
	r->collapsed_by = ACT_KHUGEPAGED;
	r->t_collapse = r->t_scan_ok;
	r->collapse_attempts++;
	/* the PMD clear of this collapse came just before its scan_file */
	r->cleared_after_collapse = r->t_cleared >= 0 && r->t_cleared > r->t_scan_ok - 1.0;
	if (r->cleared_after_collapse)
		relabel_unmapped(r);
	if ((m = region_add_ms(r, r->t_scan_ok, MS_COLLAPSE, HOW_SCAN_FILE))) {
		m->actor = ACT_KHUGEPAGED;
		snprintf(m->comm, sizeof(m->comm), "khugepaged");
		m->result = r->scan_ok_result;
	}
}

void region_end(struct region *r)
{
	size_t n;

	sort_milestones(r);
	sort_changes(r);
	/* The last change, sampled or seen by a probe (a do_set_pmd or a PMD
	 * clear after the last sample counts); without any, what the events
	 * imply.  Inferred unless the last sample says the same.  An unmapped
	 * life ends in the state it had until then. */
	n = r->n_changes;
	while (n && r->chg[n - 1].state == PS_UNMAPPED)
		n--;
	if (n) {
		r->final_state = r->chg[n - 1].state;
		r->final_inferred = r->state != r->final_state;
	} else {
		r->final_state = infer_state(r);
		r->final_inferred = r->final_state != PS_UNKNOWN;
	}
}
