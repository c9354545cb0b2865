/* One reason per region, chosen from the facts regions.c gathered, with the
 * evidence that chose it kept as data (struct verdict_evidence).  The words
 * for it are sinks/explain.c's: nothing here writes or reads prose. */
#include <string.h>
#include "model/region.h"

static const char *const reason_names[VR_MAX] = {
	[VR_UNKNOWN] = "unknown",
	[VR_HUGE] = "huge",
	[VR_NOT_SCANNED] = "not_scanned",
	[VR_NOT_ELIGIBLE] = "not_eligible",
	[VR_SCAN_FAILED] = "scan_failed",
	[VR_COLLAPSED_NOT_REFAULTED] = "collapsed_not_refaulted",
	[VR_REFAULTED_AS_PTE] = "refaulted_as_pte",
	[VR_NOT_COLLAPSED] = "not_collapsed",
	[VR_SPLIT] = "split",
	[VR_ZAPPED] = "zapped",
	[VR_UNMAPPED_EARLY] = "unmapped_early",
	[VR_UNTOUCHED] = "untouched",
	[VR_FAULT_FALLBACK] = "fault_fallback",
	[VR_MTHP] = "mthp",
};

const char *verdict_reason_name(enum verdict_reason r)
{
	return (unsigned)r < VR_MAX ? reason_names[r] : "unknown";
}

enum verdict_reason verdict_reason_from_name(const char *s)
{
	for (int i = 0; s && i < VR_MAX; i++)
		if (strcmp(reason_names[i], s) == 0)
			return (enum verdict_reason)i;
	return VR_UNKNOWN;
}

static const char *const ms_names[MS_KIND_MAX] = {
	[MS_MADVISED] = "madvised",
	[MS_MADVISE_FAILED] = "madvise_failed",
	[MS_NOHUGEPAGE] = "nohugepage",
	[MS_SCANNED] = "scanned",
	[MS_COLLAPSE] = "collapse",
	[MS_PMD_CLEARED] = "pmd_cleared",
	[MS_UNMAPPED] = "unmapped",
	[MS_REFAULT] = "refault",
	[MS_PMD_MAPPED] = "pmd_mapped",
	[MS_PTE_MAPPED] = "pte_mapped",
	[MS_PMD_REFUSED] = "pmd_refused",
	[MS_EXIT] = "exit",
	[MS_MAPPED] = "mapped",
	[MS_UNMAP] = "unmap",
	[MS_SPLIT] = "split",
	[MS_ZAPPED] = "zapped",
	[MS_MIGRATION] = "migration",
	[MS_MIGRATED] = "migrated",
	[MS_FOLIO_SPLIT] = "folio_split",
	[MS_DEFERRED_SPLIT] = "deferred_split",
	[MS_SNAPSHOT] = "snapshot",
	[MS_FAULT_ALLOC] = "fault_alloc",
	[MS_FAULT_FALLBACK] = "fault_fallback",
};

const char *ms_kind_name(enum ms_kind k)
{
	return (unsigned)k < MS_KIND_MAX && ms_names[k] ? ms_names[k] : "unknown";
}

/* Precedence, and why in this order:
 *  1. final state pmd => huge: the end state is the truth; whatever failed
 *     on the way was retried and no longer matters.
 *  2-3. a collapse succeeded => the region was eligible and scanned, so only
 *     what happened after the collapse can explain a non-PMD end: not
 *     present => collapsed_not_refaulted (the seed's "page not present"),
 *     small pages => refaulted_as_pte.
 *  4. not_eligible before scan results: when a knob, the mount or the file
 *     forbids a huge page, every failed or missing scan is a consequence
 *     and changing the knob is the fix.
 *  5. scan_failed before not_scanned: a result from the kernel is evidence;
 *     "never scanned" is only an absence of events.
 *  6. not_scanned: no khugepaged visit to this mm at all.
 *  7. not_collapsed: scanned, nothing failed, still small.
 * With lives (mmap, munmap, mmap again), each life is judged on its own,
 * its final state being the one it had when it was unmapped, and:
 *  1b. split / zapped right after huge: it was PMD-mapped in this life and
 *     lost it (inferred from the page state, with the target's syscall as
 *     the cause); what happened before no longer explains the end.
 *  5b. unmapped_early before not_scanned / not_collapsed: the life ended
 *     before khugepaged could get to it, which says more than "not yet".
 *  8. anonymous memory (region_anon.c): a region that ended with small
 *     pages where 5-7 would say so gets mthp when multi-size THP folios back
 *     it, else fault_fallback when its first pages were faulted in while
 *     it was eligible (the fault could have had a huge page, and did not),
 *     also over scan_failed: the fault came first, and a later failure of
 *     khugepaged's is told in its why;
 *     a huge one says how it became huge (evidence.became).
 *  5c. untouched before not_scanned / not_collapsed: nothing of it was ever
 *     present (a reserved heap: madvised, never written), so there was
 *     nothing for khugepaged to collapse; its first touch decides. */
static bool never_present(const struct region *r)
{
	for (size_t i = 0; i < r->n_changes; i++)
		if (r->chg[i].state == PS_PTE || r->chg[i].state == PS_PMD)
			return false;
	return r->t_refault < 0 && r->t_pmd < 0 && !region_last_ms(r, MS_REFAULT);
}

void region_verdict(struct region *r, bool mm_scanned, const struct thp_context *ctx)
{
	struct verdict_evidence *e = &r->ev;
	const enum page_state fs = r->final_state;
	const struct milestone *refused = region_last_ms(r, MS_PMD_REFUSED);
	struct elig_facts f = {
		.backing = backing_of(&r->finfo, r->have_finfo, r->file[0] != 0),
		.fi = r->have_finfo ? &r->finfo : NULL,
		.madvised_huge = r->madvised_huge,
		.madv_collapse = r->madv_collapse,
		.nohuge = r->nohuge,
	};

	memset(e, 0, sizeof(*e));
	e->ctx = settings_intern(ctx);
	e->mm_scanned = mm_scanned;
	e->backing = f.backing;
	e->blockers = elig_blockers(&f, ctx);
	e->refused_ms = refused ? (int)(refused - r->ms) : -1;
	/* Who built the huge page: the last successful collapse's actor;
	 * without one, MADV_COLLAPSE if the process used it. */
	e->builder = r->collapsed ? r->collapsed_by
		   : r->madv_collapse ? ACT_MADV_COLLAPSE : ACT_KHUGEPAGED;

	if (fs == PS_PMD)
		e->reason = VR_HUGE;
	else if (r->t_lost >= 0 && r->lost_kind == MS_SPLIT)
		e->reason = VR_SPLIT;
	else if (r->t_lost >= 0 && r->lost_kind == MS_ZAPPED)
		e->reason = VR_ZAPPED;
	else if (r->collapsed && fs == PS_NONE)
		e->reason = VR_COLLAPSED_NOT_REFAULTED;
	else if (r->collapsed && fs == PS_PTE)
		e->reason = VR_REFAULTED_AS_PTE;
	else if (r->collapsed)
		e->reason = VR_UNKNOWN;
	else if (e->blockers)
		e->reason = VR_NOT_ELIGIBLE;
	else if (r->collapse_failures > 0 || r->last_result[0])
		e->reason = VR_SCAN_FAILED;
	else if (r->ended)
		e->reason = VR_UNMAPPED_EARLY;
	else if (fs == PS_NONE && !r->final_inferred && never_present(r))
		e->reason = VR_UNTOUCHED;
	else if (!mm_scanned && r->scans == 0 && r->t_first_scan < 0)
		e->reason = VR_NOT_SCANNED;
	else
		e->reason = VR_NOT_COLLAPSED;
	/* anonymous memory: how it became huge, or fault_fallback / mthp
	 * where only the absence of khugepaged explained a small region */
	e->reason = region_anon_verdict(r, e->reason);
	r->reason = e->reason;
}
