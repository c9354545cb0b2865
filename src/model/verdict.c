/* One reason per region, in words for someone who never read mm/khugepaged.c.
 * regions.c has already run the state machine; this file only reads it. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "model/regions.h"
#include "util/textbuf.h"

static const char *const reason_names[VR_MAX] = {
	[VR_UNKNOWN] = "unknown",
	[VR_HUGE] = "huge",
	[VR_NOT_SCANNED] = "not_scanned",
	[VR_NOT_ELIGIBLE] = "not_eligible",
	[VR_SCAN_FAILED] = "scan_failed",
	[VR_COLLAPSED_NOT_REFAULTED] = "collapsed_not_refaulted",
	[VR_REFAULTED_AS_PTE] = "refaulted_as_pte",
	[VR_NOT_COLLAPSED] = "not_collapsed",
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

/* enum scan_result of mm/khugepaged.c across versions (names come from BTF,
 * numbers move), with the text the huge_memory tracepoints print. */
static const struct {
	const char *name, *tp, *meaning;
} results[] = {
	{ "SCAN_FAIL", "failed", "the collapse failed for a reason the kernel does not name" },
	{ "SCAN_SUCCEED", "succeeded", "the huge page was made" },
	{ "SCAN_PMD_NULL", "pmd_null", "there is no page table for this 2 MiB range yet: nothing in it was ever mapped" },
	{ "SCAN_PMD_NONE", "pmd_none", "the page table entry for this 2 MiB range is empty: nothing in it is mapped" },
	{ "SCAN_NO_PTE_TABLE", "no_pte_table", "there is no small-page table for this 2 MiB range: nothing in it is mapped" },
	{ "SCAN_PMD_MAPPED", "page_pmd_mapped", "the range is already mapped as one huge page; nothing to do" },
	{ "SCAN_EXCEED_NONE_PTE", "exceed_none_pte", "too many of the 512 small pages are missing (more than khugepaged/max_ptes_none allows); touch the whole range first" },
	{ "SCAN_EXCEED_SWAP_PTE", "exceed_swap_pte", "too many of the small pages are swapped out (more than khugepaged/max_ptes_swap)" },
	{ "SCAN_EXCEED_SHARED_PTE", "exceed_shared_pte", "too many of the small pages are shared with other processes (more than khugepaged/max_ptes_shared)" },
	{ "SCAN_PTE_NON_PRESENT", "pte_non_present", "a small page is not in memory (swapped out or being migrated)" },
	{ "SCAN_PTE_UFFD_WP", "pte_uffd_wp", "a page is write-protected through userfaultfd, and merging would lose that" },
	{ "SCAN_PTE_UFFD", "pte_uffd", "the range is watched through userfaultfd, and merging would hide faults from it" },
	{ "SCAN_PTE_MAPPED_HUGEPAGE", "pte_mapped_hugepage", "the huge page exists but is still mapped with small entries; the kernel then maps it as one huge page (counts as success)" },
	{ "SCAN_PAGE_RO", "no_writable_page", "none of the pages is writable (older kernels require one for anonymous memory)" },
	{ "SCAN_LACK_REFERENCED_PAGE", "lack_referenced_page", "too few of the pages were used recently to be worth merging" },
	{ "SCAN_NO_REFERENCED_PAGE", "no_referenced_page", "none of the pages was used recently" },
	{ "SCAN_PAGE_NULL", "page_null", "a page could not be found or is not an ordinary page (for example the shared zero page)" },
	{ "SCAN_SCAN_ABORT", "scan_aborted", "the scan was stopped: khugepaged had to yield, the process was exiting, or a lock was busy" },
	{ "SCAN_PAGE_COUNT", "not_suitable_page_count", "a page has extra references (pinned by I/O, get_user_pages or another mapping), so it cannot be moved" },
	{ "SCAN_PAGE_LRU", "page_not_in_lru", "a page was not on the kernel's LRU lists (it was being reclaimed, migrated or had only just been added), so it could not be taken for the huge page" },
	{ "SCAN_PAGE_LOCK", "page_locked", "a page was locked by someone else (I/O or another memory operation in progress)" },
	{ "SCAN_PAGE_ANON", "page_not_anon", "a page is not of the expected kind (anonymous where a file page was expected, or the reverse)" },
	{ "SCAN_PAGE_LAZYFREE", "page_lazyfree", "a page was marked lazily freeable (MADV_FREE), so it is left for reclaim" },
	{ "SCAN_PAGE_COMPOUND", "page_compound", "a page is already part of a larger folio" },
	{ "SCAN_ANY_PROCESS", "no_process_for_page", "no process maps the page any more" },
	{ "SCAN_VMA_NULL", "vma_null", "the mapping went away (unmapped while the collapse ran)" },
	{ "SCAN_VMA_CHECK", "vma_check_failed", "the mapping does not allow a huge page here (THP settings, MADV_NOHUGEPAGE, alignment, or the kind of file)" },
	{ "SCAN_ADDRESS_RANGE", "not_suitable_address_range", "the aligned 2 MiB range is not entirely inside the mapping" },
	{ "SCAN_SWAP_CACHE_PAGE", "page_swap_cache", "a page is in the swap cache" },
	{ "SCAN_DEL_PAGE_LRU", "could_not_delete_page_from_lru", "a page could not be taken off the LRU list" },
	{ "SCAN_ALLOC_HUGE_PAGE_FAIL", "alloc_huge_page_failed", "no free, physically contiguous 2 MiB of memory could be found (memory low or fragmented)" },
	{ "SCAN_CGROUP_CHARGE_FAIL", "ccgroup_charge_failed", "the memory cgroup's limit did not allow charging another 2 MiB" },
	{ "SCAN_TRUNCATED", "truncated", "the file is shorter than the 2 MiB range, or was truncated during the collapse" },
	{ "SCAN_PAGE_HAS_PRIVATE", "page_has_private", "a page carries filesystem data (buffer heads) that could not be released" },
	{ "SCAN_STORE_FAILED", "store_failed", "the huge page could not be put into the page cache (no memory for its index, or the slot changed)" },
	{ "SCAN_COPY_MC", "copy_poisoned_page", "copying a page hit a hardware memory error" },
	{ "SCAN_PAGE_FILLED", "page_filled", "a hole in the range was filled by someone else while the collapse ran" },
	{ "SCAN_PAGE_DIRTY_OR_WRITEBACK", "page_dirty_or_writeback", "a page of a regular file is dirty or being written back; it must be clean first (MADV_COLLAPSE writes it back and retries once)" },
	{ "SCAN_INVALID_PTES_NONE", "invalid_ptes_none", "khugepaged/max_ptes_none is set to a value this collapse size does not support" },
};

static int result_index(const char *name)
{
	if (!name || !name[0])
		return -1;
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (strcasecmp(name, results[i].name) == 0 || strcasecmp(name, results[i].name + 5) == 0 ||
		    strcasecmp(name, results[i].tp) == 0)
			return (int)i;
	return -1;
}

const char *scan_result_meaning(const char *name)
{
	int i = result_index(name);
	return i >= 0 ? results[i].meaning
		      : "a result this tool does not know (a newer kernel?); look it up in mm/khugepaged.c";
}

int scan_result_outcome(const char *name)
{
	int i = result_index(name);

	if (!name || !name[0])
		return 0;
	/* Without BTF names the decoder passes the number; only SCAN_FAIL (0)
	 * and SCAN_SUCCEED (1) have kept their numbers across versions. */
	if (name[strspn(name, "0123456789")] == 0)
		return strcmp(name, "1") == 0 ? 1 : -1;
	if (i < 0)
		return -1;
	if (!strcmp(results[i].name, "SCAN_SUCCEED") || !strcmp(results[i].name, "SCAN_PTE_MAPPED_HUGEPAGE"))
		return 1;
	return strcmp(results[i].name, "SCAN_PMD_MAPPED") == 0 ? 0 : -1;
}

/* "1.2 ms", "807 ms" below a second, "2.345 s" above. */
static const char *dur(char *buf, size_t len, double s)
{
	if (s < 0.01)
		snprintf(buf, len, "%.1f ms", s * 1000.0);
	else if (s < 1.0)
		snprintf(buf, len, "%.0f ms", s * 1000.0);
	else
		snprintf(buf, len, "%.3f s", s);
	return buf;
}

static const struct milestone *last_ms(const struct region *r, const char *what, const char *prefix)
{
	for (size_t i = r->n_milestones; i-- > 0;)
		if (!strcmp(r->ms[i].what, what) &&
		    (!prefix || !strncmp(r->ms[i].detail, prefix, strlen(prefix))))
			return &r->ms[i];
	return NULL;
}

/* Who ran the last collapse or scan whose detail starts with result. */
static const char *who_did(const struct region *r, const char *result)
{
	const struct milestone *m = last_ms(r, "collapse", result);
	if (!m)
		m = last_ms(r, "scanned", result);
	return m && strstr(m->detail, "MADV_COLLAPSE") ? "MADV_COLLAPSE" : "khugepaged";
}

/* Who made the huge page: the last successful collapse milestone says. */
static bool collapsed_by_madvise(const struct region *r)
{
	for (size_t i = r->n_milestones; i-- > 0;) {
		const struct milestone *m = &r->ms[i];
		char result[EV_NAME_LEN];
		if (strcmp(m->what, "collapse") != 0)
			continue;
		if (!strncmp(m->detail, "MADV_COLLAPSE", 13))
			return true;	/* "MADV_COLLAPSE returned 0" */
		snprintf(result, sizeof(result), "%.*s", (int)strcspn(m->detail, " "), m->detail);
		if (scan_result_outcome(result) > 0)
			return strstr(m->detail, "by MADV_COLLAPSE") != NULL;
	}
	return r->madv_collapse;
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Everything the sysfs knobs, the mount and the file say against a huge
 * page here, "; "-joined into out.  MADV_COLLAPSE ignores the sysfs modes
 * and tmpfs huge=never, but not MADV_NOHUGEPAGE, the config or the layout. */
static bool not_eligible(const struct region *r, const struct thp_context *ctx, char *out, size_t len)
{
	const struct region_file_info *f = &r->finfo;
	const bool forced = r->madv_collapse, fi = r->have_finfo;
	const bool shmem = fi && (f->is_shmem == 1 || f->tmpfs_huge[0]);
	const bool regular = fi && f->is_shmem == 0 && !f->tmpfs_huge[0];
	const char *sep = "";

	out[0] = 0;
#define WHY(...) do { text_append(out, len, "%s", sep); text_append(out, len, __VA_ARGS__); sep = "; "; } while (0)
	if (r->nohuge)
		WHY("it was madvised MADV_NOHUGEPAGE at %.3f s, which forbids huge pages there", r->t_nohuge);
	if (fi && f->fully_mapped == 0)
		WHY("the mapping does not cover the whole aligned 2 MiB region, and a huge page needs all of it");
	if (fi && f->file_aligned == 0)
		WHY("the file offset at the region start is not a multiple of 2 MiB, so the file's pages cannot line up with a huge page (map it at an address congruent to its offset modulo 2 MiB)");
	if (shmem) {
		const char *mode = f->tmpfs_huge[0] ? f->tmpfs_huge : ctx->shmem_enabled;
		const char *what = f->tmpfs_huge[0] ? "its tmpfs mount has huge=" : "shmem_enabled is ";
		if (is(ctx->shmem_enabled, "deny"))
			WHY("shmem_enabled is deny, which turns huge pages off for every tmpfs and shmem file");
		else if (is(ctx->shmem_enabled, "force") || forced)
			;
		else if (is(mode, "never"))
			WHY("%snever, so the kernel never makes huge pages for this file (mount it with huge=advise or huge=always, or use MADV_COLLAPSE)", what);
		else if (is(mode, "advise") && !r->madvised_huge)
			WHY("%sadvise, but the region was never madvised MADV_HUGEPAGE", what);
	} else if (regular) {
		if (ctx->read_only_thp_for_fs == 0)
			WHY("the kernel is built without CONFIG_READ_ONLY_THP_FOR_FS, so it makes file huge pages only on tmpfs/shmem (put the file on a tmpfs mounted with huge=advise)");
		if (f->open_for_write == 1)
			WHY("the file is open for writing, and huge pages of regular files are read-only: close every writer");
	}
	if (!forced && !shmem && (regular || !r->file[0])) {
		if (is(ctx->thp_enabled, "never"))
			WHY("transparent_hugepage/enabled is never");
		else if (is(ctx->thp_enabled, "madvise") && !r->madvised_huge)
			WHY("transparent_hugepage/enabled is madvise, but the region was never madvised MADV_HUGEPAGE");
	}
#undef WHY
	return out[0] != 0;
}

static void why_not_scanned(struct region *r, const struct thp_context *ctx)
{
	char *w = r->why;
	const size_t n = sizeof(r->why);
	const char *sep = "";
	long full = ctx->full_scans_start >= 0 && ctx->full_scans_end >= ctx->full_scans_start
		? ctx->full_scans_end - ctx->full_scans_start : -1;

	text_append(w, n, "khugepaged never scanned this process while it ran. ");
	if (ctx->scan_sleep_ms >= 0 || ctx->pages_to_scan >= 0 || full >= 0)
		text_append(w, n, "Evidence: ");
	if (ctx->scan_sleep_ms >= 0)
		text_append(w, n, "%sscan period %ld ms", sep, ctx->scan_sleep_ms), sep = ", ";
	if (ctx->pages_to_scan >= 0)
		text_append(w, n, "%s%ld pages per pass", sep, ctx->pages_to_scan), sep = ", ";
	if (full >= 0)
		text_append(w, n, "%s%ld full scan%s passed while the process ran, none reached this process", sep, full,
		    full == 1 ? "" : "s"), sep = ", ";
	if (*sep)
		text_append(w, n, ". ");
	if (ctx->duration_s >= 0 && ctx->scan_sleep_ms > 0 && ctx->duration_s * 1000.0 < ctx->scan_sleep_ms && full <= 0)
		text_append(w, n, "Likely cause: the process ran %.1f s, less than one scan period; lower khugepaged/scan_sleep_millisecs or use MADV_COLLAPSE.", ctx->duration_s);
	else if (r->file[0])
		text_append(w, n, "Likely cause: on some kernels (6.18, 6.1) a process whose only MADV_HUGEPAGE region is a file mapping is never registered with khugepaged; madvise an anonymous region MADV_HUGEPAGE too, or use MADV_COLLAPSE.");
	else
		text_append(w, n, "Likely cause: the process was never registered with khugepaged (it registers on MADV_HUGEPAGE, or with THP mode always).");
}

static void why_collapsed(struct region *r, bool by_madvise)
{
	char d[32];
	const char *who = by_madvise ? "MADV_COLLAPSE" : "khugepaged";
	const char *end = r->t_exit >= 0 ? "the process exited" : "tracing ended";
	const char *inf = r->final_inferred ? " (inferred: no page state sample)" : "";
	char *w = r->why;
	const size_t n = sizeof(r->why);

	switch (r->reason) {
	case VR_HUGE:
		text_append(w, n, "Mapped by one PMD (a 2 MiB huge page) at the end%s. ", inf);
		if (!r->collapsed) {
			text_append(w, n, "No collapse was seen: the huge page existed before, or a fault made it directly.");
			break;
		}
		if (r->t_refault >= 0 && r->t_refault < r->t_collapse && r->unmapped_s >= 0)
			text_append(w, n, "%s cleared the old page table at %.3f s while building the huge page (reported done at %.3f s); the refault at %.3f s mapped it as one huge page (unmapped for %s)",
			    who, r->t_cleared, r->t_collapse, r->t_refault, dur(d, sizeof(d), r->unmapped_s));
		else if (r->t_refault >= 0 && r->unmapped_s >= 0)
			text_append(w, n, "%s built the huge page at %.3f s and cleared the old page table; the refault at %.3f s mapped it as one huge page (unmapped for %s)",
			    who, r->t_collapse, r->t_refault, dur(d, sizeof(d), r->unmapped_s));
		else
			text_append(w, n, "%s built the huge page at %.3f s and it was mapped as one huge page at %.3f s",
			    who, r->t_collapse, r->t_pmd >= 0 ? r->t_pmd : r->t_collapse);
		if (r->madvise_to_pmd_s == 0)
			text_append(w, n, ", during the madvise call itself");
		else if (r->madvise_to_pmd_s > 0)
			text_append(w, n, "; %s from madvise to the PMD mapping", dur(d, sizeof(d), r->madvise_to_pmd_s));
		text_append(w, n, ".");
		break;
	case VR_COLLAPSED_NOT_REFAULTED: {
		double stop = r->t_exit >= 0 ? r->t_exit : -1;
		text_append(w, n, "%s built a huge page at %.3f s and cleared the old page table; nothing touched the region afterwards, so it was not mapped at all when %s%s.",
		    who, r->t_collapse, end, *inf ? inf : " (pagemap: not present)");
		if (stop >= 0 && r->t_cleared >= 0 && stop >= r->t_cleared)
			text_append(w, n, " It stayed unmapped for the last %s.", dur(d, sizeof(d), stop - r->t_cleared));
		if (r->nohuge)
			text_append(w, n, " A later access would have mapped it with small pages, because of MADV_NOHUGEPAGE at %.3f s.", r->t_nohuge);
		else
			text_append(w, n, " A later access would have mapped it as one huge page.");
		break;
	}
	case VR_REFAULTED_AS_PTE:
		text_append(w, n, "%s built a huge page at %.3f s, but ", who, r->t_collapse);
		if (r->t_refault >= 0)
			text_append(w, n, "the refault at %.3f s", r->t_refault);
		else
			text_append(w, n, "the next access");
		text_append(w, n, " mapped it with small 4 KiB page table entries instead of one PMD%s%s. ",
		    r->thp ? " (the memory is the huge page, mapped piecewise)" : "", inf);
		if (r->nohuge && r->t_nohuge >= r->t_collapse)
			text_append(w, n, "Cause: MADV_NOHUGEPAGE at %.3f s, after the collapse; recent kernels (6.18) then map even an existing huge page with 512 small entries.", r->t_nohuge);
		else if (r->nohuge)
			text_append(w, n, "Cause: the range is madvised MADV_NOHUGEPAGE (at %.3f s), so faults map it with small entries.", r->t_nohuge);
		else if (last_ms(r, "pmd_refused", NULL))
			text_append(w, n, "Cause: do_set_pmd refused the PMD mapping (%s).", last_ms(r, "pmd_refused", NULL)->detail);
		else if (!r->cleared_after_collapse)
			text_append(w, n, "Cause: the old page table of this process was not removed (retract_page_tables skipped it), so the fault filled it with small entries; a later khugepaged pass may still fix that.");
		else
			text_append(w, n, "The kernel chose small pages for the refault (for example the huge page crosses the end of the file, or the mapping changed).");
		break;
	default:
		text_append(w, n, "%s built a huge page at %.3f s", who, r->t_collapse);
		if (r->t_refault >= 0)
			text_append(w, n, " and the region was touched again at %.3f s", r->t_refault);
		text_append(w, n, ", but no page state sample and no do_set_pmd event tell how it was mapped at the end.");
		break;
	}
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
 *  7. not_collapsed: scanned, nothing failed, still small. */
void region_verdict(struct region *r, bool mm_scanned, const struct thp_context *ctx)
{
	char elig[400];
	char *w = r->why;
	const size_t n = sizeof(r->why);
	const enum page_state fs = r->final_state;

	w[0] = 0;
	if (fs == PS_PMD)
		r->reason = VR_HUGE;
	else if (r->collapsed && fs == PS_NONE)
		r->reason = VR_COLLAPSED_NOT_REFAULTED;
	else if (r->collapsed && fs == PS_PTE)
		r->reason = VR_REFAULTED_AS_PTE;
	else if (r->collapsed)
		r->reason = VR_UNKNOWN;
	else if (not_eligible(r, ctx, elig, sizeof(elig)))
		r->reason = VR_NOT_ELIGIBLE;
	else if (r->collapse_failures > 0 || r->last_result[0])
		r->reason = VR_SCAN_FAILED;
	else if (!mm_scanned && r->scans == 0 && r->t_first_scan < 0)
		r->reason = VR_NOT_SCANNED;
	else
		r->reason = VR_NOT_COLLAPSED;

	switch (r->reason) {
	case VR_NOT_ELIGIBLE:
		text_append(w, n, "Not eligible for a huge page: %s.", elig);
		break;
	case VR_SCAN_FAILED: {
		const char *who = who_did(r, r->last_result);
		if (r->collapse_failures > 0)
			text_append(w, n, "%s tried to collapse this region %d time%s and failed: %s, meaning %s.", who,
			    r->collapse_attempts, r->collapse_attempts == 1 ? "" : "s", r->last_result,
			    scan_result_meaning(r->last_result));
		else
			text_append(w, n, "%s scanned this region's file and gave up before collapsing: %s, meaning %s.", who,
			    r->last_result, scan_result_meaning(r->last_result));
		break;
	}
	case VR_NOT_SCANNED:
		why_not_scanned(r, ctx);
		break;
	case VR_NOT_COLLAPSED:
		if (r->t_first_scan >= 0)
			text_append(w, n, "khugepaged scanned this region (first at %.3f s) without failing, but did not collapse it.", r->t_first_scan);
		else
			text_append(w, n, "khugepaged scanned this process but never reached this region.");
		if (ctx->pages_to_scan > 0 && ctx->scan_sleep_ms >= 0)
			text_append(w, n, " It scans %ld pages every %ld ms, so it may not have got to it yet.", ctx->pages_to_scan, ctx->scan_sleep_ms);
		break;
	default:
		why_collapsed(r, collapsed_by_madvise(r));
		return;
	}
	if (fs == PS_PTE)
		text_append(w, n, " At the end it was mapped with small pages%s%s.", r->thp ? " of a huge folio" : "",
		    r->final_inferred ? " (inferred)" : "");
	else if (fs == PS_NONE)
		text_append(w, n, " At the end nothing of it was present%s.", r->final_inferred ? " (inferred)" : "");
}
