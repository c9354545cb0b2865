/* The text sink: one aligned line per event, then the regions report and
 * the summary.  Colour only when asked (stdout is a terminal). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/out_json_anon.h"
#include "sinks/explain.h"
#include "sinks/output.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_GREEN "\033[32m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"

static bool result_ok(const char *name)
{
	return strcmp(name, "SCAN_SUCCEED") == 0 || strcmp(name, "SCAN_PTE_MAPPED_HUGEPAGE") == 0;
}

static const char *event_color(const struct thp_event *ev)
{
	switch (ev->kind) {
	case EV_COLLAPSE_FILE:
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
		return result_ok(ev->result_name) ? C_GREEN : C_RED;
	case EV_PMDP_COLLAPSE_FLUSH:
	case EV_RETRACT:
		return C_YELLOW;
	case EV_SET_PMD:
		return C_GREEN;
	case EV_STATE:
		return ev->state == PS_PMD ? C_GREEN : ev->state == PS_NONE ? C_YELLOW : C_CYAN;
	case EV_LOST:
		return C_RED;
	default:
		return NULL;
	}
}

void text_header(FILE *f)
{
	fprintf(f, "%10s %-19s %-22s %-14s %s\n", "TIME(s)", "EVENT", "ACTOR", "ADDRESS", "DETAIL");
}

static int detail(char *b, size_t n, const struct thp_event *ev)
{
	const char *madv;

	switch (ev->kind) {
	case EV_EXEC:
		return snprintf(b, n, "%s", ev->file);
	case EV_EXIT:
		if (ev->fields & EVF_UNRECORDED)
			return snprintf(b, n, "exit_code=%" PRId64 " faults_unrecorded=%" PRIu64, ev->ret,
					ev->faults_unrecorded);
		return snprintf(b, n, "exit_code=%" PRId64, ev->ret);
	case EV_MADVISE:
		madv = madv_name(ev->behavior);
		if (madv)
			return snprintf(b, n, "%s len=%" PRIu64 " ret=%" PRId64, madv, ev->len, ev->ret);
		return snprintf(b, n, "advice=%d len=%" PRIu64 " ret=%" PRId64, ev->behavior, ev->len,
				ev->ret);
	case EV_FAULT:
		return snprintf(b, n, "error_code=0x%" PRIx64, ev->errcode);
	case EV_SCAN_FILE:
		return snprintf(b, n, "%s present=%d swap=%d result=%s", ev->file, ev->present,
				ev->swap, ev->result_name);
	case EV_COLLAPSE_FILE:
		return snprintf(b, n, "%s pgoff=%" PRIu64 " result=%s", ev->file, ev->pgoff,
				ev->result_name);
	case EV_RETRACT:
		return snprintf(b, n, "page tables of ino %" PRIu64 " pgoff=%" PRIu64 "%s", ev->ino,
				ev->pgoff, ev->fields & EVF_IN_COLLAPSE ? " (in collapse)" : "");
	case EV_PMDP_COLLAPSE_FLUSH:
		return snprintf(b, n, "PMD cleared %s%s", ev->file,
				ev->fields & EVF_IN_COLLAPSE ? " (in collapse)" : "");
	case EV_MAP_PAGES:
		if (ev->fields & EVF_RET)
			return snprintf(b, n, "pgoff=%" PRIu64 "-%" PRIu64 " ret=0x%" PRIx64, ev->pgoff,
					ev->pgoff_end, (uint64_t)ev->ret);
		return snprintf(b, n, "pgoff=%" PRIu64 "-%" PRIu64, ev->pgoff, ev->pgoff_end);
	case EV_SET_PMD:
		if (ev->ret == 0)
			return snprintf(b, n, "PMD mapped %s", ev->file);
		return snprintf(b, n, "not mapped ret=0x%" PRIx64 " %s", (uint64_t)ev->ret, ev->file);
	case EV_STATE:
		switch (ev->state) {
		case PS_NONE:
			return snprintf(b, n, "none: not present (PMD cleared or never mapped)");
		case PS_PTE:
			if (ev->fields & EVF_FOLIOS) {
				char sz[160];

				return snprintf(b, n, "pte: %d small pages present, in folios of %s", ev->present,
						folio_sizes_str(ev->folio_orders, sz, sizeof(sz)));
			}
			return snprintf(b, n, "pte: %d small pages present%s", ev->present,
					ev->thp ? ", part of a huge folio" : "");
		case PS_PMD:
			return snprintf(b, n, "pmd: mapped as one huge page%s",
					ev->thp ? "" : " (not THP per kpageflags)");
		default:
			return snprintf(b, n, "unknown");
		}
	case EV_MMAP:
		return snprintf(b, n, "len=%" PRIu64 " prot=%#x%s ret=%" PRId64, ev->len, ev->prot,
				(ev->flags & 0x10) ? " MAP_FIXED" : "", ev->ret);
	case EV_MUNMAP:
		return snprintf(b, n, "len=%" PRIu64 " ret=%" PRId64, ev->len, ev->ret);
	case EV_MREMAP:
		if (ev->fields & EVF_NEW_RANGE)
			return snprintf(b, n, "len=%" PRIu64 " to 0x%" PRIx64 " len=%" PRIu64, ev->len,
					ev->new_addr, ev->new_len);
		return snprintf(b, n, "len=%" PRIu64 " ret=%" PRId64, ev->len, ev->ret);
	case EV_MPROTECT:
		return snprintf(b, n, "len=%" PRIu64 " prot=%#x ret=%" PRId64, ev->len, ev->prot, ev->ret);
	case EV_PMD_SPLIT:
	case EV_PMD_ZAP:
		if (ev->via != VIA_ID_PAGEMAP)
			return snprintf(b, n, "%s", ev->kind == EV_PMD_SPLIT ? "PMD split" : "PMD zapped");
		if (ev->fields & EVF_CAUSE)
			return snprintf(b, n, "%s (inferred: %s now), by %s at %.6f",
					ev->kind == EV_PMD_SPLIT ? "PMD split" : "PMD zapped",
					page_state_name(ev->state), ev->cause, ev->cause_t);
		return snprintf(b, n, "%s (inferred: %s now), not by a syscall of the process",
				ev->kind == EV_PMD_SPLIT ? "PMD split" : "PMD zapped", page_state_name(ev->state));
	case EV_PMD_MIGRATION:
		if ((ev->fields & EVF_RET) && ev->ret)
			return snprintf(b, n, "migration not started (ret=%" PRId64 ")", ev->ret);
		return snprintf(b, n, "PMD holds a migration entry: the huge page is being moved");
	case EV_PMD_MIGRATED:
		return snprintf(b, n, "PMD-mapped again, to the moved huge page");
	case EV_FOLIO_SPLIT:
		if ((ev->fields & EVF_RET) && ev->ret)
			return snprintf(b, n, "huge page (order %d) not split: ret=%" PRId64, ev->order, ev->ret);
		return snprintf(b, n, "huge page (order %d) split into order-%d folios", ev->order, ev->new_order);
	case EV_FOLIO_DEFERRED_SPLIT:
		return snprintf(b, n, "part unmapped: huge page (order %d) queued for a deferred split", ev->order);
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
		if ((ev->fields & EVF_ANON_SCAN) && ev->referenced >= 0 && ev->none_or_zero >= 0)
			return snprintf(b, n, "referenced=%d none_or_zero=%d result=%s%s", ev->referenced,
					ev->none_or_zero, ev->result_name, ev->fields & EVF_ADDR_GUESS ? " (address inferred)" : "");
		if ((ev->fields & EVF_ANON_SCAN) && ev->isolated >= 0)
			return snprintf(b, n, "isolated=%d result=%s", ev->isolated, ev->result_name);
		return snprintf(b, n, "result=%s", ev->result_name);
	case EV_PAGE_ALLOC:
		return snprintf(b, n, "order %d (%u kB) %s by the thread", ev->order,
				ev->order < 30 ? 4u << ev->order : 0,
				(ev->fields & EVF_RET) && ev->ret < 0 ? "allocation failed" : "allocated");
	case EV_HUGE_FAULT:
		return snprintf(b, n, "%s ret=0x%" PRIx64, (ev->ret & 0x800) ? "fell back to small pages" : "huge page",
				(uint64_t)ev->ret);
	case EV_SETTINGS:
		return snprintf(b, n, "%s: %s -> %s", ev->knob, ev->old_value, ev->value);
	case EV_LOST:
		return snprintf(b, n, "%" PRIu64 " records lost (ring buffer full)", ev->count);
	default:
		return snprintf(b, n, "%s", "");
	}
}

void text_event(FILE *f, const struct thp_event *ev, bool color)
{
	char actor[40], addr[24], det[512];
	const char *c = color ? event_color(ev) : NULL;
	uint64_t a = ev->kind == EV_STATE ? ev->region : ev->addr;
	bool has_addr = ev->kind == EV_STATE || (ev->fields & EVF_ADDR);

	if (ev->kind == EV_STATE || ((ev->kind == EV_PMD_SPLIT || ev->kind == EV_PMD_ZAP) &&
				     ev->via == VIA_ID_PAGEMAP))
		snprintf(actor, sizeof(actor), "%u/pagemap", ev->target_pid);
	else if (ev->kind == EV_LOST || ev->kind == EV_SETTINGS)
		snprintf(actor, sizeof(actor), "-");
	else
		snprintf(actor, sizeof(actor), "%u/%s", ev->pid, ev->comm);
	if (has_addr)
		snprintf(addr, sizeof(addr), "0x%" PRIx64, a);
	else
		snprintf(addr, sizeof(addr), "-");
	detail(det, sizeof(det), ev);
	fprintf(f, "%10.6f %s%-19s%s %-22s %-14s %s [%s]\n", ev->t, c ? c : "", ev_kind_name(ev->kind),
		c ? C_RESET : "", actor, addr, det, ev_via_name(ev->via));
}

static void fmt_secs(char *b, size_t n, double s)
{
	if (s < 0)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.3f s", s);
}

static void text_life(FILE *f, const struct region *r, bool lives)
{
	char u[32], m[32], d[128], why[EXPLAIN_WHY_MAX];

	if (lives) {
		fprintf(f, "  life %d:", r->life);
		if (r->t_mapped >= 0)
			fprintf(f, " mapped at %.6f", r->t_mapped);
		if (r->t_unmapped >= 0)
			fprintf(f, "%s unmapped at %.6f", r->t_mapped >= 0 ? "," : "", r->t_unmapped);
		fprintf(f, "\n");
	}
	fprintf(f, "  final state: %s%s    reason: %s\n", page_state_name(r->final_state),
		r->final_inferred ? " (inferred)" : "", verdict_reason_name(r->reason));
	for (size_t j = 0; j < r->n_milestones; j++)
		fprintf(f, "  %10.6f  %-12s %s\n", r->ms[j].t, ms_kind_name(r->ms[j].kind),
			explain_milestone(&r->ms[j], d, sizeof(d)));
	if (r->dropped_milestones)
		fprintf(f, "  (%u more milestones not shown)\n", r->dropped_milestones);
	fmt_secs(u, sizeof(u), r->unmapped_s);
	fmt_secs(m, sizeof(m), r->madvise_to_pmd_s);
	fprintf(f, "  unmapped between PMD clear and refault: %s; madvise to PMD mapping: %s\n",
		u, m);
	fprintf(f, "  why: %s\n", explain_why(r, why, sizeof(why)));
}

static const struct region *sort_base;

/* Lives of one address together, in life order. */
static int by_place(const void *x, const void *y)
{
	const struct region *a = &sort_base[*(const size_t *)x], *b = &sort_base[*(const size_t *)y];

	if (a->mm_id != b->mm_id)
		return a->mm_id < b->mm_id ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->life > b->life) - (a->life < b->life);
}

/* One region (life) on its own: its heading and its verdict; a region
 * with several lives says which one it is. */
void text_region(FILE *f, const struct regions *rs, const struct region *r)
{
	bool lives = r->life > 1 || r->t_mapped >= 0 || r->t_unmapped >= 0;

	(void)rs;
	fprintf(f, "\n0x%" PRIx64 "-0x%" PRIx64 " %s (pid %u, mm %u)\n", r->start,
		(uint64_t)(r->start + THP_REGION_SIZE), r->file[0] ? r->file : "[anonymous]", r->pid,
		r->mm_id);
	text_life(f, r, lives);
}

/* One block per address, in the order addresses first appeared; its lives
 * (mmap, munmap, mmap again) under it, each with its own verdict.  A region
 * whose only life was neither seen mapped nor unmapped prints as before
 * lives existed. */
void text_verdicts(FILE *f, const struct regions *rs)
{
	size_t *order;

	if (rs->n == 0) {
		fprintf(f, "\nno huge-page region of the target saw madvise or THP activity\n");
		return;
	}
	fprintf(f, "\nregions (%zu):\n", rs->n);
	if (rs->dropped_regions)
		fprintf(f, "(%zu more regions not tracked: at most %zu are at once)\n", rs->dropped_regions,
			rs->max_regions);
	order = malloc(rs->n * sizeof(*order));
	if (!order)
		return;
	for (size_t i = 0; i < rs->n; i++)
		order[i] = i;
	sort_base = rs->v;
	qsort(order, rs->n, sizeof(*order), by_place);
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *r = &rs->v[i];
		size_t lo = 0, hi = rs->n, g;
		bool lives = false;

		/* r's group (its address's lives) in the sorted order; printed
		 * when its first life comes up, which keeps creation order */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct region *m = &rs->v[order[mid]];

			if (m->mm_id < r->mm_id || (m->mm_id == r->mm_id && m->start < r->start))
				lo = mid + 1;
			else
				hi = mid;
		}
		g = lo;
		if (order[g] != i)
			continue;	/* a later life, printed under its first */
		for (size_t k = g; k < rs->n && rs->v[order[k]].mm_id == r->mm_id &&
		     rs->v[order[k]].start == r->start; k++) {
			const struct region *l = &rs->v[order[k]];

			lives = lives || k > g || l->life > 1 || l->t_mapped >= 0 || l->t_unmapped >= 0;
		}
		fprintf(f, "\n0x%" PRIx64 "-0x%" PRIx64 " %s (pid %u, mm %u)\n", r->start,
			(uint64_t)(r->start + THP_REGION_SIZE), r->file[0] ? r->file : "[anonymous]", r->pid,
			r->mm_id);
		for (size_t k = g; k < rs->n && rs->v[order[k]].mm_id == r->mm_id &&
		     rs->v[order[k]].start == r->start; k++)
			text_life(f, &rs->v[order[k]], lives);
	}
	free(order);
}

void text_summary(FILE *f, const struct run_summary *s)
{
	fprintf(f, "\nsummary: %.3f s traced, stopped: %s", s->t, s->stop_reason);
	if (s->exit_status >= 0)
		fprintf(f, ", command exit status %d", s->exit_status);
	fprintf(f, "\n  events:");
	for (int k = EV_EXEC; k < EV_LOST; k++)
		if (s->counts[k])
			fprintf(f, " %s=%" PRIu64, ev_kind_name(k), s->counts[k]);
	fprintf(f, "\n  lost: %" PRIu64 "\n", s->lost);
	if (s->faults_unrecorded >= 0)
		fprintf(f, "  faults counted, not recorded (outside every THP region; --faults all records them): %" PRId64 "\n",
			s->faults_unrecorded);
}
