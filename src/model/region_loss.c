/* The way back, one region at a time: a huge page lost (split or zapped:
 * seen by a function probe, or inferred from the page state with the
 * syscall in progress as the cause), moved (migration), or its folio
 * divided or queued to be; and which syscall caused what.  Part of
 * region.c's state machine (model/region_parts.h), pure like it. */
#include <stdio.h>
#include <string.h>
#include "model/region.h"
#include "model/region_parts.h"

/* The thread's syscall in progress will name the cause of what it did
 * since now (its exit record comes after). */
static void pend_cause(struct region *r, const struct thp_event *ev)
{
	if (r->cause_pending_pid == ev->pid)
		return;	/* the same syscall still: its first loss counts from then */
	r->cause_pending_pid = ev->pid;
	r->cause_pending_t = ev->t;
}

/* A split or zap a function probe saw (split_huge_pmd_locked or
 * __split_huge_pmd, zap_huge_pmd).  Its cause: a kernel thread (kcompactd,
 * kswapd, khugepaged) says so by its name; the target's own thread is in a
 * syscall, whose exit record comes next from that thread and fills the
 * cause in (region_cause). */
void region_observed_loss(struct region *r, const struct thp_event *ev)
{
	enum ms_kind kind = ev->kind == EV_PMD_SPLIT ? MS_SPLIT : MS_ZAPPED;
	struct milestone *m;

	/* The probe fires on every call, also where the PMD was split a
	 * moment ago and nothing mapped a PMD since (mremap splits, then
	 * moves): one loss. */
	if (r->t_lost >= 0 && r->lost_kind == kind && r->t_lost >= region_last_pmd(r) &&
	    r->n_changes && r->chg[r->n_changes - 1].state != PS_PMD)
		return;
	m = region_add_ms(r, ev->t, kind, HOW_OBSERVED);

	/* What is left: an anonymous PMD split leaves its pages mapped by
	 * small entries; a file's is dropped, and a zap leaves nothing.  Set
	 * here because pagemap without PAGEMAP_SCAN (before 6.7) cannot tell a
	 * PTE-mapped huge folio from a PMD-mapped one. */
	enum page_state left = kind == MS_SPLIT && !r->file[0] ? PS_PTE : PS_NONE;

	region_set_state(r, ev->t, left, HOW_OBSERVED);
	r->t_lost = ev->t;
	r->lost_kind = kind;
	if (r->cause_pending_pid != ev->pid)
		r->cause_pending_pid = 0;	/* another thread's loss: not that syscall's */
	if (!m)
		return;
	m->state = left;
	snprintf(m->comm, sizeof(m->comm), "%s", ev->comm);
	if (ev->target_pid && ev->tgid == ev->target_pid)
		pend_cause(r, ev);
}

/* Migration: the PMD becomes a migration entry while the huge page is
 * copied, then maps the new one.  The state does not change for long
 * enough to matter; the actor (kcompactd, or the target in move_pages,
 * mbind or a NUMA hinting fault) is named by its comm.  A failed start
 * (set_pmd_migration_entry's result) means it was not moved. */
void region_migration(struct region *r, const struct thp_event *ev)
{
	struct milestone *m = region_add_ms(r, ev->t, ev->kind == EV_PMD_MIGRATION ? MS_MIGRATION : MS_MIGRATED,
				     HOW_OBSERVED);

	if (!m)
		return;
	snprintf(m->comm, sizeof(m->comm), "%s", ev->comm);
	if (ev->fields & EVF_RET)
		m->ret = ev->ret;
	if (ev->kind == EV_PMD_MIGRATED) {
		region_set_state(r, ev->t, PS_PMD, HOW_OBSERVED);
		r->state = PS_PMD;
	}
}

/* The folio itself divided, or queued to be: only the target's own (a
 * folio has no mm), so its syscall's exit names the cause. */
void region_folio_split(struct region *r, const struct thp_event *ev)
{
	enum ms_kind kind = ev->kind == EV_FOLIO_SPLIT ? MS_FOLIO_SPLIT : MS_DEFERRED_SPLIT;
	const struct milestone *last = region_last_ms(r, kind);
	struct milestone *m;

	/* queued once is queued: one milestone per huge page (since the
	 * region last became PMD-mapped) */
	if (kind == MS_DEFERRED_SPLIT && last && last->t >= region_last_pmd(r))
		return;
	m = region_add_ms(r, ev->t, kind, HOW_OBSERVED);

	if (ev->kind == EV_FOLIO_SPLIT && (!(ev->fields & EVF_RET) || ev->ret == 0))
		r->thp = ev->new_order > 0;	/* smaller folios are still large ones (mTHP) */
	if (!m)
		return;
	snprintf(m->comm, sizeof(m->comm), "%s", ev->comm);
	m->present = ev->order;
	m->swap = ev->new_order;
	m->ret = (ev->fields & EVF_RET) ? ev->ret : 0;
	if (ev->target_pid && ev->tgid == ev->target_pid && !r->cause_pending_pid)
		pend_cause(r, ev);
}


/* When the region was last seen becoming PMD-mapped, or -1. */
double region_last_pmd(const struct region *r)
{
	for (size_t i = r->n_changes; i-- > 0;)
		if (r->chg[i].state == PS_PMD)
			return r->chg[i].t;
	return -1;
}

/* A PMD-mapped region is not any more: split (small pages present) or
 * zapped (nothing present), inferred from the page state.  The cause is
 * the target's last syscall over the region since it became PMD-mapped;
 * without one, something else did it (reclaim, compaction, migration,
 * NUMA balancing). */
void region_lost(struct region *r, const struct thp_event *ev, enum ms_kind kind)
{
	struct milestone *m = region_add_ms(r, ev->t, kind, HOW_PAGEMAP);

	r->t_lost = ev->t;
	r->lost_kind = kind;
	r->lost_to_tell = true;
	if (m && r->cause != EV_NONE && r->cause_t >= region_last_pmd(r)) {
		m->cause = r->cause;
		m->cause_advice = r->cause_advice;
		m->cause_t = r->cause_t;
	}
	if (m) {
		m->thp = ev->thp;
		m->state = ev->state;
		if (ev->fields & EVF_VMSTAT) {
			m->split_pmd_delta = ev->split_pmd_delta;
			m->vmstat_since_t = ev->vmstat_since_t;
		}
	}
}

/* What took the PMD: mprotect, munmap or mremap of part of it since it
 * became PMD-mapped split it (anonymous memory keeps its pages as small
 * ones, a file's PMD is just dropped); otherwise, a madvise that drops
 * pages included, what is present says it (small pages: split; nothing:
 * zapped). */
enum ms_kind region_loss_kind(const struct region *r, enum page_state now)
{
	if (r->cause != EV_NONE && r->cause != EV_MADVISE && r->cause_t >= region_last_pmd(r))
		return MS_SPLIT;
	/* madvise over all of it zaps the PMD; over part of it (or
	 * MADV_PAGEOUT, MADV_FREE keeping the rest) splits it first */
	return now == PS_PTE ? MS_SPLIT : MS_ZAPPED;
}


/* The syscall whose exit follows a split or zap its thread made. */
void region_fill_pending_cause(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	if (!r->cause_pending_pid || r->cause_pending_pid != ev->pid)
		return;
	r->cause_pending_pid = 0;
	/* every loss a probe saw from that thread since: the PMD split or
	 * zap, the folio split or its queueing */
	for (size_t i = r->n_milestones; i-- > 0;) {
		m = &r->ms[i];
		if (m->t < r->cause_pending_t)
			break;
		if (m->how != HOW_OBSERVED || m->cause != EV_NONE ||
		    (m->kind != MS_SPLIT && m->kind != MS_ZAPPED && m->kind != MS_FOLIO_SPLIT &&
		     m->kind != MS_DEFERRED_SPLIT))
			continue;
		m->cause = ev->kind;
		m->cause_advice = ev->kind == EV_MADVISE ? ev->behavior : 0;
		m->cause_t = ev->t;
	}
}

void region_cause(struct region *r, const struct thp_event *ev)
{
	region_fill_pending_cause(r, ev);
	r->cause = ev->kind;
	r->cause_advice = ev->kind == EV_MADVISE ? ev->behavior : 0;
	r->cause_t = ev->t;
}
