/* Words for the model's data (see explain.h), for someone who never read
 * mm/khugepaged.c.  Every choice was made in model/verdict.c; this file
 * only reads the region and its evidence. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "sinks/explain.h"
#include "sinks/explain_anon.h"
#include "util/textbuf.h"

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

static const char *who(const struct milestone *m, char *buf, size_t len)
{
	if (m->actor != ACT_MADV_COLLAPSE)
		return "khugepaged";
	snprintf(buf, len, "MADV_COLLAPSE (%s)", m->comm);
	return buf;
}

static const char *madv(int32_t b, char *buf, size_t len)
{
	const char *n = madv_name(b);

	if (n)
		return n;
	snprintf(buf, len, "(null)");
	return buf;
}

/* "by MADV_DONTNEED at 1.234 s", "by mprotect at ...", or no syscall. */
static const char *cause_words(const struct milestone *m, char *out, size_t len)
{
	const char *what = m->cause == EV_MADVISE ? madv_name(m->cause_advice) : ev_kind_name(m->cause);

	if (m->cause == EV_NONE && m->how == HOW_OBSERVED && m->comm[0] && m->comm[0] != 'k')
		snprintf(out, len, "by the process itself, not in a system call it made (a fault, or NUMA balancing)");
	else if (m->cause == EV_NONE && m->how == HOW_OBSERVED && m->comm[0])
		snprintf(out, len, "by %s (a kernel thread: compaction, reclaim or khugepaged)", m->comm);
	else if (m->cause == EV_NONE)
		snprintf(out, len, "not by a system call of the process (reclaim, compaction, migration, "
			 "NUMA balancing, or another process's process_madvise)");
	else
		snprintf(out, len, "by %s%s at %.3f s", what ? what : "madvise",
			 m->cause == EV_MUNMAP ? " of part of it" : "", m->cause_t);
	return out;
}

/* Who moved a huge page: a kernel thread, or the process itself. */
static const char *actor_words(const struct milestone *m, char *out, size_t len)
{
	if (m->comm[0] == 'k')
		snprintf(out, len, "by %s (a kernel thread: compaction or NUMA balancing)", m->comm);
	else if (m->comm[0])
		snprintf(out, len, "by %s (the process: move_pages, mbind or NUMA hinting)", m->comm);
	else
		snprintf(out, len, "by an unknown thread");
	return out;
}

/* The system-wide counter that supports an inferred split or zap: a PMD
 * split raises thp_split_pmd (a file's dropped PMD too), a zap does not;
 * other processes' splits raise it as well, so only what the splits this
 * trace saw elsewhere do not explain counts for this region. */
static const char *vmstat_words(const struct milestone *m, char *out, size_t len)
{
	int64_t own = m->split_pmd_delta - m->split_pmd_others;
	char others[64] = "";

	out[0] = 0;
	if (m->split_pmd_delta < 0)
		return out;
	if (m->split_pmd_others > 0)
		snprintf(others, sizeof(others), ", %d of it other regions' splits seen here", m->split_pmd_others);
	if (m->kind == MS_SPLIT)
		snprintf(out, len, "; /proc/vmstat thp_split_pmd rose by %" PRId64 " since %.3f s (all processes%s)%s",
			 m->split_pmd_delta, m->vmstat_since_t, others,
			 own > 0 ? ", which supports it" : ": no split left for this region, so maybe it was not one");
	else
		snprintf(out, len, "; /proc/vmstat thp_split_pmd rose by %" PRId64 " since %.3f s (all processes%s)%s",
			 m->split_pmd_delta, m->vmstat_since_t, others,
			 own > 0 ? ": a PMD was split meanwhile, maybe this one before it went" : ", so no split: a zap");
	return out;
}

const char *explain_milestone(const struct milestone *m, char *out, size_t len)
{
	const char *res = m->result[0] ? m->result : "no result";
	char w[160], a[24];

	out[0] = 0;
	if (explain_anon_milestone(m, out, len))
		return out;
	switch (m->kind) {
	case MS_MADVISED:
		snprintf(out, len, "%s", madv(m->behavior, a, sizeof(a)));
		break;
	case MS_MADVISE_FAILED:
		snprintf(out, len, "%s failed: %" PRId64, madv(m->behavior, a, sizeof(a)), m->ret);
		break;
	case MS_NOHUGEPAGE:
		snprintf(out, len, "MADV_NOHUGEPAGE");
		break;
	case MS_SCANNED:
		if (m->how == HOW_REACHED)
			snprintf(out, len, "khugepaged reached this region");
		else if (m->how == HOW_FIRST_SCAN)
			snprintf(out, len, "%s by khugepaged (%d present, %d swapped)", res, m->present,
				 m->swap);
		else
			snprintf(out, len, "%s by %s", res, who(m, w, sizeof(w)));
		break;
	case MS_COLLAPSE:
		snprintf(out, len, "%s by %s%s", res, who(m, w, sizeof(w)),
			 m->how == HOW_SCAN_FILE ? " (from scan_file: collapse_file is not observable here)" : "");
		break;
	case MS_PMD_CLEARED:
		snprintf(out, len, "%s",
			 m->how == HOW_RETRACT ? "retract_page_tables removed the page table"
			 : m->how == HOW_PMDP_FLUSH ? "pmdp_collapse_flush cleared the PMD"
			 : m->how == HOW_PAGEMAP_AFTER_COLLAPSE ? "pagemap: not present after the collapse"
			 : m->how == HOW_PAGEMAP_COLLAPSE_CLEARED
				? "pagemap: not present (the collapse cleared it)"
			 : "pagemap: not present");
		break;
	case MS_UNMAPPED:
		snprintf(out, len, "pagemap: not present any more");
		break;
	case MS_REFAULT:
		if (m->how == HOW_FAULT)
			snprintf(out, len, "page fault at %#" PRIx64 "%s", m->addr,
				 m->write < 0 ? "" : m->write ? " (write)" : " (read)");
		else if (m->how == HOW_MAP_PAGES)
			snprintf(out, len, "fault-around (filemap_map_pages)");
		else
			snprintf(out, len, "seen by pagemap (sample time)");
		break;
	case MS_PMD_MAPPED:
		snprintf(out, len, "%s",
			 m->how == HOW_SET_PMD_IN_COLLAPSE ? "do_set_pmd by the collapse itself"
			 : m->how == HOW_SET_PMD ? "do_set_pmd: one PMD for the whole region"
			 : "pagemap: mapped by one PMD");
		break;
	case MS_PTE_MAPPED:
		if (m->how == HOW_REFAULT_SMALL)
			snprintf(out, len, "refault mapped small pages%s", m->thp ? " of the huge page" : "");
		else
			snprintf(out, len, "mapped with small pages");
		break;
	case MS_PMD_REFUSED:
		snprintf(out, len, "do_set_pmd returned %#llx: small pages instead",
			 (unsigned long long)m->ret);
		break;
	case MS_EXIT:
		snprintf(out, len, "the process exited");
		break;
	case MS_MAPPED:
		snprintf(out, len, "mapped (%s)", ev_kind_name(m->cause));
		break;
	case MS_UNMAP:
		if (m->cause == EV_MREMAP)
			snprintf(out, len, "mremap moved it to %#" PRIx64, m->addr);
		else if (m->cause == EV_MMAP)
			snprintf(out, len, "mmap over it replaced the mapping");
		else
			snprintf(out, len, "munmap: the mapping is gone");
		break;
	case MS_SPLIT:
	case MS_ZAPPED:
		if (m->how == HOW_OBSERVED) {
			snprintf(out, len, "%s, %s", m->kind == MS_ZAPPED ? "the PMD mapping was zapped (probe zap_huge_pmd)"
				 : "the PMD mapping was split (probe split_huge_pmd)", cause_words(m, w, sizeof(w)));
			break;
		}
		snprintf(out, len, "%s (inferred from pagemap), %s", m->kind == MS_ZAPPED
			 ? "the PMD mapping was zapped, nothing present" : m->state != PS_NONE
			 ? "the PMD mapping was split into small pages" : "the PMD mapping was split (dropped: nothing present until the next touch)",
			 cause_words(m, w, sizeof(w)));
		break;
	case MS_MIGRATION:
		if (m->ret)
			snprintf(out, len, "migration of the huge page did not start (set_pmd_migration_entry returned %" PRId64 "), %s",
				 m->ret, actor_words(m, w, sizeof(w)));
		else
			snprintf(out, len, "the huge page is being moved (migration), %s", actor_words(m, w, sizeof(w)));
		break;
	case MS_SNAPSHOT:
		snprintf(out, len, "when tracing began: %s%s%s",
			 m->state == PS_PMD ? "mapped by one PMD (a huge page)"
			 : m->state == PS_PTE ? (m->thp ? "small pages of a huge folio" : "small pages")
			 : "nothing present",
			 m->behavior & 1 ? "; madvised MADV_HUGEPAGE" : "",
			 m->behavior & 2 ? "; madvised MADV_NOHUGEPAGE" : "");
		break;
	case MS_MIGRATED:
		snprintf(out, len, "PMD-mapped again, to the moved huge page (migration done)");
		break;
	case MS_FOLIO_SPLIT:
		if (m->ret)
			snprintf(out, len, "splitting the huge page (order %d) failed (%" PRId64 "), %s", m->present,
				 m->ret, cause_words(m, w, sizeof(w)));
		else
			snprintf(out, len, "the huge page itself (order %d) was split into order-%d pages, %s",
				 m->present, m->swap, cause_words(m, w, sizeof(w)));
		break;
	case MS_DEFERRED_SPLIT:
		snprintf(out, len, "part of the huge page (order %d) was unmapped: queued to be split later "
			 "(deferred split, under memory pressure), %s", m->present, cause_words(m, w, sizeof(w)));
		break;
	default:
		break;
	}
	return out;
}

const char *explain_blockers(const struct region *r, char *out, size_t len)
{
	const struct verdict_evidence *e = &r->ev;
	const unsigned b = e->blockers;
	const char *what = r->finfo.tmpfs_huge[0] ? "its tmpfs mount has huge=" : "shmem_enabled is ";
	const char *sep = "";

	out[0] = 0;
#define WHY(bit, ...) do { if (b & (bit)) { text_append(out, len, "%s", sep); \
	text_append(out, len, __VA_ARGS__); sep = "; "; } } while (0)
	if (r->nohuge_before && r->t_nohuge == r->t_snapshot)
		WHY(EB_NOHUGEPAGE, "it was madvised MADV_NOHUGEPAGE before tracing began (VmFlags nh), which forbids huge pages there");
	else
		WHY(EB_NOHUGEPAGE, "it was madvised MADV_NOHUGEPAGE at %.3f s, which forbids huge pages there", r->t_nohuge);
	WHY(EB_NOT_FULLY_MAPPED, "the mapping does not cover the whole aligned 2 MiB region, and a huge page needs all of it");
	WHY(EB_FILE_MISALIGNED, "the file offset at the region start is not a multiple of 2 MiB, so the file's pages cannot line up with a huge page (map it at an address congruent to its offset modulo 2 MiB)");
	WHY(EB_SHMEM_DENY, "shmem_enabled is deny, which turns huge pages off for every tmpfs and shmem file");
	WHY(EB_SHMEM_NEVER, "%snever, so the kernel never makes huge pages for this file (%s, or use MADV_COLLAPSE)", what,
	    r->finfo.tmpfs_huge[0] ? "mount it with huge=advise or huge=always"
				   : "echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled");
	WHY(EB_SHMEM_UNADVISED, "%sadvise, but the region was never madvised MADV_HUGEPAGE", what);
	WHY(EB_NO_RO_THP_FOR_FS, "the kernel is built without CONFIG_READ_ONLY_THP_FOR_FS, so it makes file huge pages only on tmpfs/shmem (put the file on a tmpfs mounted with huge=advise)");
	WHY(EB_OPEN_FOR_WRITE, "the file is open for writing, and huge pages of regular files are read-only: close every writer");
	WHY(EB_THP_NEVER, "transparent_hugepage/enabled is never");
	WHY(EB_THP_UNADVISED, "transparent_hugepage/enabled is madvise, but the region was never madvised MADV_HUGEPAGE");
	WHY(EB_PROCESS_DISABLED, "the process turned huge pages off for itself with prctl(PR_SET_THP_DISABLE) (its /proc/PID/status says THP_enabled: 0), which a child inherits across fork and exec");
#undef WHY
	return out;
}

static void why_not_scanned(const struct region *r, char *w, size_t n)
{
	const struct thp_context *ctx = r->ev.ctx;
	const char *sep = "";
	long full = ctx->full_scans_start >= 0 && ctx->full_scans_end >= ctx->full_scans_start
		? ctx->full_scans_end - ctx->full_scans_start : -1;

	if (r->t_snapshot >= 0)
		text_append(w, n, "khugepaged did not scan this process while it was traced (from %.3f s). ",
			    r->t_snapshot);
	else
		text_append(w, n, "khugepaged never scanned this process while it ran. ");
	if (ctx->scan_sleep_ms >= 0 || ctx->pages_to_scan >= 0 || full >= 0)
		text_append(w, n, "Evidence: ");
	if (ctx->scan_sleep_ms >= 0)
		text_append(w, n, "%sscan period %ld ms", sep, ctx->scan_sleep_ms), sep = ", ";
	if (ctx->pages_to_scan >= 0)
		text_append(w, n, "%s%ld pages per pass", sep, ctx->pages_to_scan), sep = ", ";
	if (full >= 0)
		text_append(w, n, "%s%ld full scan%s passed while the process %s, none reached this process", sep, full,
		    full == 1 ? "" : "s", r->t_snapshot >= 0 ? "was traced" : "ran"), sep = ", ";
	if (*sep)
		text_append(w, n, ". ");
	/* a verdict written as its process exited: how long that was watched */
	const double dur = ctx->duration_s >= 0 ? ctx->duration_s : r->ev.traced_s;

	if (dur >= 0 && ctx->scan_sleep_ms > 0 && dur * 1000.0 < ctx->scan_sleep_ms && full <= 0 &&
	    r->t_snapshot >= 0)
		text_append(w, n, "Likely cause: it was traced for %.1f s, less than one scan period: khugepaged may not have come by yet; trace it longer, or use MADV_COLLAPSE.", dur);
	else if (dur >= 0 && ctx->scan_sleep_ms > 0 && dur * 1000.0 < ctx->scan_sleep_ms && full <= 0)
		text_append(w, n, "Likely cause: the process ran %.1f s, less than one scan period; lower khugepaged/scan_sleep_millisecs or use MADV_COLLAPSE.", dur);
	else if (r->file[0])
		text_append(w, n, "Likely cause: on some kernels (6.18, 6.1) a process whose only MADV_HUGEPAGE region is a file mapping is never registered with khugepaged; madvise an anonymous region MADV_HUGEPAGE too, or use MADV_COLLAPSE.");
	else
		text_append(w, n, "Likely cause: the process was never registered with khugepaged (it registers on MADV_HUGEPAGE, or with THP mode always).");
}

/* A huge page that a migration moved, and that stayed huge. */
static void why_migrated(const struct region *r, char *w, size_t n)
{
	const struct milestone *m = region_last_ms(r, MS_MIGRATED), *s = region_last_ms(r, MS_MIGRATION);
	char a[160];

	if (m && s && !s->ret)
		text_append(w, n, " A migration moved it at %.3f s, %s, and it stayed huge.", s->t,
			    actor_words(s, a, sizeof(a)));
}

/* PMD-mapped from the snapshot at attach on, without a change seen since. */
static bool already_huge(const struct region *r)
{
	return r->t_snapshot >= 0 && r->n_changes && r->chg[0].how == HOW_SNAPSHOT &&
	       r->chg[0].state == PS_PMD && r->final_state == PS_PMD &&
	       (r->n_changes == 1 || (r->n_changes == 2 && r->chg[1].state == PS_UNMAPPED));
}

static void why_collapsed(const struct region *r, char *w, size_t n)
{
	char d[32], ms[96];
	const char *who = r->ev.builder == ACT_MADV_COLLAPSE ? "MADV_COLLAPSE" : "khugepaged";
	const char *end = r->ended ? "it was unmapped" : r->t_exit >= 0 ? "the process exited"
								  : "tracing ended";
	const char *inf = r->final_inferred ? " (inferred: no page state sample)" : "";

	switch (r->reason) {
	case VR_HUGE:
		if (r->ended)
			text_append(w, n, "Mapped by one PMD (a 2 MiB huge page) until it was unmapped at %.3f s%s. ",
				    r->t_unmapped, inf);
		else
			text_append(w, n, "Mapped by one PMD (a 2 MiB huge page) at the end%s. ", inf);
		if (!r->collapsed && already_huge(r)) {
			text_append(w, n, "Already PMD-mapped when tracing began (snapshot at %.3f s): "
				    "how it became huge happened before and was not seen.", r->t_snapshot);
			break;
		} else if (!r->collapsed && explain_anon_became(r, w, n)) {
			why_migrated(r, w, n);
			break;
		} else if (!r->collapsed) {
			text_append(w, n, "No collapse was seen: the huge page existed before, or a fault made it directly.");
			why_migrated(r, w, n);
			break;
		}
		if (r->t_refault >= 0 && r->t_refault < r->t_collapse && r->unmapped_s >= 0)
			text_append(w, n, "%s cleared the old page table at %.3f s while building the huge page (reported done at %.3f s); the refault at %.3f s mapped it as one huge page (unmapped for %s)",
			    who, r->t_cleared, r->t_collapse, r->t_refault, dur(d, sizeof(d), r->unmapped_s));
		else if (r->t_refault >= 0 && r->unmapped_s >= 0)
			text_append(w, n, "%s built the huge page at %.3f s and cleared the old page table; the refault at %.3f s mapped it as one huge page (unmapped for %s)",
			    who, r->t_collapse, r->t_refault, dur(d, sizeof(d), r->unmapped_s));
		else if (region_last_ms(r, MS_PMD_MAPPED) && region_last_ms(r, MS_PMD_MAPPED)->how == HOW_COLLAPSE_MAPPED)
			text_append(w, n, "%s collapsed its small pages into a huge page at %.3f s and mapped it by one PMD at once (an anonymous collapse needs no refault)",
			    who, r->t_collapse);
		else
			text_append(w, n, "%s built the huge page at %.3f s and it was mapped as one huge page at %.3f s",
			    who, r->t_collapse, r->t_pmd >= 0 ? r->t_pmd : r->t_collapse);
		if (r->madvise_to_pmd_s == 0)
			text_append(w, n, ", during the madvise call itself");
		else if (r->madvise_to_pmd_s > 0)
			text_append(w, n, "; %s from madvise to the PMD mapping", dur(d, sizeof(d), r->madvise_to_pmd_s));
		text_append(w, n, ".%s", r->ev.became_inferred ? " (Which collapse it was is inferred: the "
			    "anonymous scan's tracepoint has no address.)" : "");
		break;
	case VR_COLLAPSED_NOT_REFAULTED: {
		double stop = r->ended ? r->t_unmapped : r->t_exit >= 0 ? r->t_exit : -1;
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
		else if (r->ev.refused_ms >= 0)
			text_append(w, n, "Cause: do_set_pmd refused the PMD mapping (%s).",
				    explain_milestone(&r->ms[r->ev.refused_ms], ms, sizeof(ms)));
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

/* After the PMD went: the folio itself divided, or queued to be. */
static void why_folio_fate(const struct region *r, const struct milestone *lost, char *w, size_t n)
{
	const struct milestone *f = region_last_ms(r, MS_FOLIO_SPLIT);
	const struct milestone *d = region_last_ms(r, MS_DEFERRED_SPLIT);
	char c[160];

	if (lost && f && f->t < lost->t)
		f = NULL;
	if (lost && d && d->t < lost->t)
		d = NULL;
	if (f && !f->ret)
		text_append(w, n, " The huge page itself was then split into order-%d pages at %.3f s %s.",
			    f->swap, f->t, cause_words(f, c, sizeof(c)));
	else if (f)
		text_append(w, n, " Splitting the huge page itself failed at %.3f s (%" PRId64 ").", f->t, f->ret);
	else if (d)
		text_append(w, n, " The kernel then queued the huge page to be split later, under memory pressure "
			    "(deferred split at %.3f s, %s).", d->t, cause_words(d, c, sizeof(c)));
}

/* split, zapped: a huge page this life had, and what took it. */
static void why_lost(const struct region *r, char *w, size_t n)
{
	const struct milestone *m = region_last_ms(r, r->lost_kind);
	char c[160];
	double since = -1;

	for (size_t i = 0; i < r->n_changes; i++)
		if (r->chg[i].state == PS_PMD && (!m || r->chg[i].t <= m->t))
			since = r->chg[i].t;
	text_append(w, n, "Mapped by one PMD (a 2 MiB huge page)");
	if (since >= 0)
		text_append(w, n, " from %.3f s", since);
	if (m && m->how == HOW_OBSERVED)
		text_append(w, n, ", %s at %.3f s %s (seen by the %s probe).",
			    r->lost_kind == MS_ZAPPED ? "zapped" : "split", m->t, cause_words(m, c, sizeof(c)),
			    r->lost_kind == MS_ZAPPED ? "zap_huge_pmd" : "split_huge_pmd");
	else if (m) {
		char v[160];

		text_append(w, n, ", %s at %.3f s %s (inferred: pagemap showed the PMD gone and %s present%s).",
			    r->lost_kind == MS_ZAPPED ? "zapped" : m->state == PS_NONE
			    ? "split (a file's PMD is dropped, not divided)" : "split into small pages",
			    m->t, cause_words(m, c, sizeof(c)), m->state == PS_NONE ? "nothing" : "small pages",
			    vmstat_words(m, v, sizeof(v)));
	} else
		text_append(w, n, ", then %s.", r->lost_kind == MS_SPLIT ? "split" : "zapped");
	why_folio_fate(r, m, w, n);
	if (r->final_state == PS_PTE && (!m || m->state == PS_NONE))
		text_append(w, n, " The next access mapped it with small pages.");
	else if (r->final_state == PS_NONE)
		text_append(w, n, " Nothing of it was present at the end%s.",
			    r->ended ? " of this mapping" : "");
	if (r->ended)
		text_append(w, n, " It was unmapped at %.3f s.", r->t_unmapped);
}

/* unmapped_early: the life ended before anything made it huge. */
static void why_unmapped_early(const struct region *r, char *w, size_t n)
{
	const struct milestone *u = region_last_ms(r, MS_UNMAP);
	char d[160], t[32];

	text_append(w, n, "The mapping went away at %.3f s (%s) before anything made it huge",
		    r->t_unmapped, u ? explain_milestone(u, d, sizeof(d)) : "unmapped");
	if (r->t_madvise >= 0)
		text_append(w, n, ", %s after it was madvised", dur(t, sizeof(t), r->t_unmapped - r->t_madvise));
	if (r->t_first_scan >= 0)
		text_append(w, n, "; khugepaged had scanned it without collapsing it");
	else if (r->ev.ctx->scan_sleep_ms >= 0)
		text_append(w, n, "; khugepaged, waking every %ld ms, had not reached it", r->ev.ctx->scan_sleep_ms);
	text_append(w, n, ".");
}

/* Why the kernel would make it huge now, in a few words. */
static const char *eligible_words(const struct region *r)
{
	const struct thp_context *c = r->ev.ctx;

	if (r->madv_collapse)
		return "MADV_COLLAPSE ignores the THP modes";
	if (r->ev.backing == BACKING_ANON)
		return r->madvised_huge ? (c->thp_enabled[0] && strcmp(c->thp_enabled, "always") == 0
					   ? "THP mode always, and madvised MADV_HUGEPAGE"
					   : "THP mode madvise, and madvised MADV_HUGEPAGE")
					: "THP mode always";
	return r->madvised_huge ? "its file allows huge pages, and it is madvised MADV_HUGEPAGE"
				: "its file allows huge pages";
}

const char *explain_why(const struct region *r, char *w, size_t n)
{
	const enum page_state fs = r->final_state;
	const char *by = r->last_result_by == ACT_MADV_COLLAPSE ? "MADV_COLLAPSE" : "khugepaged";
	char elig[900];

	w[0] = 0;
	if (explain_anon_why(r, w, n))
		return w;
	switch (r->reason) {
	case VR_NOT_ELIGIBLE:
		text_append(w, n, "Not eligible for a huge page: %s.", explain_blockers(r, elig, sizeof(elig)));
		break;
	case VR_SCAN_FAILED:
		if (r->ev.backing == BACKING_ANON) {
			if (r->collapse_failures > 0)
				text_append(w, n, "%s tried to collapse this region %d time%s and failed: %s, meaning %s.", by,
					    r->collapse_attempts, r->collapse_attempts == 1 ? "" : "s", r->last_result,
					    scan_result_meaning(r->last_result));
			else
				text_append(w, n, "%s scanned this region and gave up before collapsing: %s, meaning %s.",
					    by, r->last_result, scan_result_meaning(r->last_result));
			explain_anon_scan_knob(r, w, n);
			break;
		}
		if (r->collapse_failures > 0)
			text_append(w, n, "%s tried to collapse this region %d time%s and failed: %s, meaning %s.", by,
			    r->collapse_attempts, r->collapse_attempts == 1 ? "" : "s", r->last_result,
			    scan_result_meaning(r->last_result));
		else
			text_append(w, n, "%s scanned this region%s and gave up before collapsing: %s, meaning %s.", by,
			    r->ev.backing == BACKING_ANON ? "" : "'s file", r->last_result,
			    scan_result_meaning(r->last_result));
		break;
	case VR_NOT_SCANNED:
		why_not_scanned(r, w, n);
		break;
	case VR_SPLIT:
	case VR_ZAPPED:
		why_lost(r, w, n);
		return w;
	case VR_UNMAPPED_EARLY:
		why_unmapped_early(r, w, n);
		break;
	case VR_UNTOUCHED:
		text_append(w, n, "Nothing of it was present while it was traced: no page of it was touched, so "
			    "there was nothing for khugepaged to collapse.");
		/* not_eligible comes first: here nothing blocks it */
		text_append(w, n, " It is eligible now (%s), so its first touch can fault in a huge page "
			    "directly, or small pages if none can be allocated then.", eligible_words(r));
		return w;
	case VR_NOT_COLLAPSED:
		if (r->t_first_scan >= 0)
			text_append(w, n, "khugepaged scanned this region (first at %.3f s) without failing, but did not collapse it.", r->t_first_scan);
		else
			text_append(w, n, "khugepaged scanned this process but never reached this region.");
		if (r->ev.ctx->pages_to_scan > 0 && r->ev.ctx->scan_sleep_ms >= 0)
			text_append(w, n, " It scans %ld pages every %ld ms, so it may not have got to it yet.",
				    r->ev.ctx->pages_to_scan, r->ev.ctx->scan_sleep_ms);
		break;
	default:
		why_collapsed(r, w, n);
		return w;
	}
	if (fs == PS_PTE)
		text_append(w, n, " At the end it was mapped with small pages%s%s.", r->thp ? " of a huge folio" : "",
		    r->final_inferred ? " (inferred)" : "");
	else if (fs == PS_NONE)
		text_append(w, n, " At the end nothing of it was present%s.", r->final_inferred ? " (inferred)" : "");
	else if (fs == PS_UNKNOWN && r->t_exit >= 0)
		/* -a, -p: a process thptrace did not start is not held at its
		 * exit, and a short one is gone before its pages are read */
		text_append(w, n, " Its pages could not be read before the process exited: how it ended is not known.");
	return w;
}
