/* Words for anonymous memory (see explain_anon.h): its scans, the huge
 * fault, multi-size THP folios, and the verdicts fault_fallback and mthp;
 * how a huge region became huge; the knob that decided a scan's failure.
 * Only reads the region and its evidence (model/region_anon.c decided). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "sinks/explain_anon.h"
#include "util/textbuf.h"

const char *explain_sizes(uint32_t orders, char *out, size_t len)
{
	const char *sep = "";

	out[0] = 0;
	for (int k = 1; k < 32; k++) {
		if (!(orders & (1u << k)))
			continue;
		if (k >= 8)
			text_append(out, len, "%s%u MiB", sep, (4u << k) / 1024);
		else
			text_append(out, len, "%s%u kB", sep, 4u << k);
		sep = ", ";
	}
	return out;
}

/* "2 MiB", "64 kB" for the word "folio" */
static const char *order_words(int64_t order, char *out, size_t len)
{
	return explain_sizes(order > 0 && order < 32 ? 1u << order : 0, out, len);
}

const char *explain_anon_milestone(const struct milestone *m, char *out, size_t len)
{
	const char *res = m->result[0] ? m->result : "no result";
	char who[40], sz[32];

	if (m->actor == ACT_MADV_COLLAPSE)
		snprintf(who, sizeof(who), "MADV_COLLAPSE (%s)", m->comm);
	else
		snprintf(who, sizeof(who), "khugepaged");
	switch (m->kind) {
	case MS_SCANNED:
	case MS_COLLAPSE:
		if (m->how == HOW_ANON_INFERRED) {
			snprintf(out, len, "%s by %s (inferred: no address; the region PMD-mapped next)", res, who);
			return out;
		}
		if (m->how != HOW_ANON_SCAN)
			return NULL;
		if (m->present >= 0 && m->swap >= 0)
			snprintf(out, len, "%s by %s (%d of 512 pages recently referenced, %d empty or zero)", res, who,
				 m->present, m->swap);
		else
			snprintf(out, len, "%s by %s", res, who);
		return out;
	case MS_FAULT_ALLOC:
		if (m->how == HOW_HUGE_FAULT)
			snprintf(out, len, "do_huge_pmd_anonymous_page: the fault got a 2 MiB huge page");
		else
			snprintf(out, len, "a fault allocated a %s folio (kmem:mm_page_alloc, order %" PRId64 ")",
				 order_words(m->ret, sz, sizeof(sz)), m->ret);
		return out;
	case MS_FAULT_FALLBACK:
		snprintf(out, len, "do_huge_pmd_anonymous_page fell back to small pages (VM_FAULT_FALLBACK)");
		return out;
	case MS_PMD_MAPPED:
		if (m->how != HOW_COLLAPSE_MAPPED)
			return NULL;
		snprintf(out, len, "the collapse mapped the new huge page by one PMD itself");
		return out;
	default:
		return NULL;
	}
}

/* The knob that decided a failed scan, its value and the counts. */
void explain_anon_scan_knob(const struct region *r, char *w, size_t n)
{
	long v;
	const char *knob = scan_result_knob(r->last_result, r->ev.ctx, &v);

	if (knob && !strcmp(knob, "khugepaged/max_ptes_none")) {
		text_append(w, n, " Decided by %s", knob);
		if (v >= 0)
			text_append(w, n, " = %ld", v);
		if (r->scan_none >= 0)
			text_append(w, n, ": the scan stopped at %d empty or zero-page entries of 512", r->scan_none);
		text_append(w, n, " (raise it to let khugepaged fill the holes, or touch the whole range; "
			    "MADV_COLLAPSE ignores this limit).");
	} else if (knob) {
		text_append(w, n, " Decided by %s", knob);
		if (v >= 0)
			text_append(w, n, " = %ld", v);
		if (r->scan_unmapped >= 0 && strstr(knob, "swap"))
			text_append(w, n, ": %d of the pages were swapped out", r->scan_unmapped);
		text_append(w, n, ".");
	} else if (!strcasecmp(r->last_result, "SCAN_LACK_REFERENCED_PAGE")) {
		text_append(w, n, " khugepaged collapses only pages in use: none of them was referenced recently "
			    "(or, with some swapped out, fewer than half)");
		if (r->scan_referenced >= 0)
			text_append(w, n, "; %d of 512 were", r->scan_referenced);
		text_append(w, n, ". MADV_COLLAPSE does not ask.");
	} else if (!strcasecmp(r->last_result, "SCAN_ALLOC_HUGE_PAGE_FAIL")) {
		text_append(w, n, " khugepaged/defrag decides whether khugepaged compacts memory to find one.");
	}
}

/* How the cause was known: the fault's own allocation, or the counters. */
static void fallback_source(const struct region *r, const char *counter, int64_t rise, const char *since,
			    char *out, size_t len)
{
	if (r->ev.fallback_from == FF_PAGE_ALLOC)
		text_append(out, len, "kmem:mm_page_alloc saw the fault's 2 MiB allocation %s",
			    r->ev.fallback == FB_CGROUP_CHARGE ? "succeed before the fault fell back" : "fail");
	else
		text_append(out, len, "the fault counter %s rose by %" PRId64 "%s", counter, rise, since);
}

static const char *fallback_words(const struct region *r, char *out, size_t len)
{
	const struct verdict_evidence *e = &r->ev;
	const char *defrag = e->ctx->defrag[0] ? e->ctx->defrag : "unknown";
	char since[48] = "", src[160] = "";

	if (r->fs_since >= 0)
		snprintf(since, sizeof(since), " since %.3f s", r->fs_since);
	out[0] = 0;
	switch (e->fallback) {
	case FB_CGROUP_CHARGE:
		fallback_source(r, "anon_fault_fallback_charge", r->fs_charge, since, src, sizeof(src));
		text_append(out, len, "the memory cgroup's limit refused to charge another 2 MiB (%s)", src);
		break;
	case FB_NO_COMPACTION:
		fallback_source(r, "anon_fault_fallback", r->fs_fallback, since, src, sizeof(src));
		text_append(out, len, "no free 2 MiB block was at hand, and transparent_hugepage/defrag is %s, "
			    "which does not let this fault compact memory for one (%s)", defrag, src);
		break;
	case FB_ALLOC_FAILED:
		fallback_source(r, "anon_fault_fallback", r->fs_fallback, since, src, sizeof(src));
		text_append(out, len, "no free 2 MiB block could be found, even after compaction (defrag %s; %s): "
			    "memory is low or fragmented", defrag, src);
		break;
	case FB_NOT_TRIED:
		text_append(out, len, "the fault did not try a huge page: the PMD fault counters did not move%s "
			    "(the 2 MiB range was not empty at the fault, or the fault was a read that mapped the "
			    "zero page)", since);
		break;
	default:
		text_append(out, len, "not known (neither the fault's allocation nor the fault counters were "
			    "seen for it)");
		break;
	}
	return out;
}

static const char *eligible_why(const struct region *r)
{
	if (r->madvised_huge)
		return "madvised MADV_HUGEPAGE";
	return "THP mode always";
}

bool explain_anon_why(const struct region *r, char *w, size_t n)
{
	const struct verdict_evidence *e = &r->ev;
	char words[400], sz[96];

	switch (r->reason) {
	case VR_FAULT_FALLBACK:
		text_append(w, n, "Faulted in at %.3f s while it could have had a huge page (%s), but the fault "
			    "got small pages%s. Cause%s: %s.", r->t_fault >= 0 && r->t_fault <= r->t_present
			    ? r->t_fault : r->t_present, eligible_why(r),
			    e->fallback_inferred ? " (inferred from the page state)" : " (seen by the huge_fault probe)",
			    e->fallback_from != FF_COUNTERS || e->fallback == FB_NOT_TRIED
			    ? "" : " (inferred from system-wide counters)",
			    fallback_words(r, words, sizeof(words)));
		if (r->last_result[0])
			text_append(w, n, " %s has tried to collapse it since and failed: %s, meaning %s.",
				    r->last_result_by == ACT_MADV_COLLAPSE ? "MADV_COLLAPSE" : "khugepaged", r->last_result,
				    scan_result_meaning(r->last_result));
		else if (r->scans > 0)
			text_append(w, n, " khugepaged has scanned it since without collapsing it.");
		else
			text_append(w, n, " khugepaged may still collapse it later.");
		return true;
	case VR_MTHP:
		text_append(w, n, "Backed by multi-size THP folios of %s (mTHP), not by one 2 MiB huge page",
			    explain_sizes(e->mthp_orders, sz, sizeof(sz)));
		if (r->alloc_orders & 0x1fe)
			text_append(w, n, "; the fault allocated them (kmem:mm_page_alloc)");
		text_append(w, n, ".");
		if (e->ctx->mthp_enabled[0])
			text_append(w, n, " Sizes enabled: %s (anonymous faults take the largest size allowed that "
				    "fits and can be allocated).", e->ctx->mthp_enabled);
		if (r->final_inferred)
			text_append(w, n, " (final state inferred)");
		return true;
	default:
		return false;
	}
}

/* How a huge anonymous region got its huge page, where no collapse was
 * seen; false when that is not known (the general sentence stands). */
bool explain_anon_became(const struct region *r, char *w, size_t n)
{
	const struct verdict_evidence *e = &r->ev;

	if (e->became != BH_FAULT)
		return false;
	if (!e->became_inferred) {
		const struct milestone *m = region_last_ms(r, MS_FAULT_ALLOC);

		text_append(w, n, "A fault made it huge directly: ");
		if (m && m->how == HOW_HUGE_FAULT)
			text_append(w, n, "do_huge_pmd_anonymous_page got a 2 MiB page at %.3f s.", m->t);
		else
			text_append(w, n, "the faulting thread allocated a 2 MiB folio at %.3f s (kmem:mm_page_alloc, "
				    "order 9) and no collapse came.", m ? m->t : r->t_fault);
		return true;
	}
	text_append(w, n, "A fault made it huge directly (inferred: it was first seen PMD-mapped at %.3f s "
		    "after being touched, and no collapse was seen).", r->t_pmd >= 0 ? r->t_pmd : r->t_present);
	return true;
}

const char *explain_became_name(enum became_huge b)
{
	/* the words of the mapping line's huge_how, for the same facts */
	static const char *const names[] = {
		[BH_UNKNOWN] = "unknown", [BH_FAULT] = "at_fault", [BH_KHUGEPAGED] = "khugepaged",
		[BH_MADV_COLLAPSE] = "madv_collapse", [BH_BEFORE_TRACE] = "before_tracing",
	};

	return (unsigned)b < sizeof(names) / sizeof(names[0]) ? names[b] : "unknown";
}

const char *explain_fallback_from_name(enum fallback_from f)
{
	static const char *const names[] = {
		[FF_NONE] = "none", [FF_PAGE_ALLOC] = "page_alloc", [FF_COUNTERS] = "fault_counters",
	};

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "none";
}

const char *explain_fallback_name(enum fallback_cause c)
{
	static const char *const names[] = {
		[FB_UNKNOWN] = "unknown", [FB_CGROUP_CHARGE] = "cgroup_charge",
		[FB_NO_COMPACTION] = "alloc_failed_no_compaction", [FB_ALLOC_FAILED] = "alloc_failed",
		[FB_NOT_TRIED] = "not_tried",
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}
