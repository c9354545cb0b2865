/* Anonymous memory's events before they reach a region (see
 * regions_parts.h).  kmem:mm_page_alloc has no address: a large allocation
 * by a thread right after its fault is that fault's, and a 2 MiB one
 * later, or with no fault seen, is the fault's whose
 * do_huge_pmd_anonymous_page returns next on that thread.  The scan_pmd
 * tracepoint has no address either: it guesses one from the folio it
 * scanned last, which is good for a failure (the small pages are still
 * there) and not for a success (they were freed); a collapse without a
 * usable address waits for the region of its mm that becomes PMD-mapped
 * next.  Pure: every time here is an event's t. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "model/region.h"
#include "model/regions.h"
#include "model/regions_parts.h"

#define ANON_FAULTS (sizeof(((struct regions *)0)->anon_faults) / sizeof(struct anon_fault))
#define ANON_PENDING_MAX 8
/* An allocation belongs to the fault that came just before in the same
 * thread: a fault allocates within microseconds of its tracepoint. */
#define FAULT_ALLOC_WINDOW 0.010
/* A collapse is followed by its PMD within a sampling turn or two. */
#define PENDING_WINDOW 2.0
#define PMD_ORDER 9

/* The thread's slot (the oldest one's when it has none), now holding a
 * fault at addr, t (t < 0: none seen, only an allocation to claim). */
static struct anon_fault *anon_fault_slot(struct regions *rs, uint32_t pid, uint64_t addr, double t)
{
	struct anon_fault *f = NULL;

	for (size_t i = 0; i < ANON_FAULTS && !f; i++)
		if (rs->anon_faults[i].pid == pid)
			f = &rs->anon_faults[i];
	if (!f)
		f = &rs->anon_faults[rs->anon_faults_next++ % ANON_FAULTS];
	*f = (struct anon_fault){ .pid = pid, .addr = addr, .t = t };
	return f;
}

void anon_note_fault(struct regions *rs, const struct thp_event *ev)
{
	if (ev->fields & EVF_ADDR)
		anon_fault_slot(rs, ev->pid, ev->addr, ev->t);
}

/* A 2 MiB allocation no fault of the window claims: kept for the thread's
 * do_huge_pmd_anonymous_page return, the same fault whatever the delay. */
static void late_alloc(struct anon_fault *f, const struct thp_event *ev)
{
	if (ev->order != PMD_ORDER)
		return;
	f->late_pmd_alloc = true;
	f->late_alloc_t = ev->t;
	f->late_alloc_ret = (ev->fields & EVF_RET) ? (int32_t)ev->ret : 0;
}

static void pend(struct regions *rs, const struct thp_event *ev)
{
	if (!rs->anon_pending && !(rs->anon_pending = calloc(ANON_PENDING_MAX, sizeof(*rs->anon_pending))))
		return;
	if (rs->n_anon_pending == ANON_PENDING_MAX) {
		memmove(rs->anon_pending, rs->anon_pending + 1, (ANON_PENDING_MAX - 1) * sizeof(*rs->anon_pending));
		rs->n_anon_pending--;
	}
	rs->anon_pending[rs->n_anon_pending++] = *ev;
}

bool anon_prepare(struct regions *rs, const struct thp_event *ev, struct thp_event *out, bool *create)
{
	const int o = (ev->fields & EVF_RESULT) ? scan_result_outcome(ev->result_name) : 0;

	*out = *ev;
	*create = false;
	switch (ev->kind) {
	case EV_PAGE_ALLOC:
		if (ev->fields & EVF_ADDR)
			break;
		for (size_t i = 0; i < ANON_FAULTS; i++) {
			struct anon_fault *f = &rs->anon_faults[i];

			if (f->pid != ev->pid || !f->pid || ev->t < f->t)
				continue;
			if (ev->t - f->t > FAULT_ALLOC_WINDOW) {
				late_alloc(f, ev);
				return false;
			}
			out->addr = f->addr;
			out->fields |= EVF_ADDR;
			*create = ev->order == PMD_ORDER;
			return true;
		}
		/* no fault of the thread seen (the filter counted it): the
		 * huge fault's return may still claim it */
		late_alloc(anon_fault_slot(rs, ev->pid, 0, -1), ev);
		return false;
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
		/* a guessed address is no good after a success */
		if ((ev->fields & EVF_ADDR_GUESS) && o > 0)
			out->fields &= ~(EVF_ADDR | EVF_ADDR_GUESS);
		if (!(out->fields & EVF_ADDR)) {
			if (o > 0 && ev->kind == EV_SCAN_PMD)
				pend(rs, ev);
			return false;
		}
		*create = o > 0;
		break;
	case EV_HUGE_FAULT:
		/* a fault that tried a huge page: THP activity, huge or not */
		*create = (ev->fields & EVF_ADDR) != 0;
		/* A fault cannot be left for a syscall: the thread's 2 MiB
		 * allocation between its fault and this return is this
		 * fault's, however slow the machine (an emulated one) */
		for (size_t i = 0; i < ANON_FAULTS && (ev->fields & EVF_ADDR); i++) {
			struct anon_fault *f = &rs->anon_faults[i];

			if (f->pid != ev->pid || !f->pid || !f->late_pmd_alloc || f->late_alloc_t > ev->t ||
			    (f->t >= 0 && (f->addr & THP_REGION_MASK) != (ev->addr & THP_REGION_MASK)))
				continue;
			out->fault_alloc_seen = true;
			out->fault_alloc_ret = f->late_alloc_ret;
			f->late_pmd_alloc = false;
		}
		break;
	default:
		break;
	}
	return (out->fields & EVF_ADDR) != 0;
}

void anon_pending_apply(struct regions *rs, struct region *r, const struct thp_event *sample)
{
	/* not PMD-mapped before, and no huge page made at a fault */
	const bool could = sample->state == PS_PMD && r->state != PS_PMD && !r->collapsed &&
			   !(r->alloc_orders & (1u << PMD_ORDER));
	size_t pick = SIZE_MAX;

	for (size_t i = 0; could && i < rs->n_anon_pending; i++) {
		const struct thp_event *p = &rs->anon_pending[i];

		if (p->mm_id != r->mm_id || sample->t < p->t || sample->t - p->t > PENDING_WINDOW)
			continue;
		/* the scan's guess (its last folio's index) names the region best */
		if (pick == SIZE_MAX || ((p->fields & EVF_ADDR) && (p->addr & THP_REGION_MASK) == r->start))
			pick = i;
	}
	if (pick == SIZE_MAX)
		return;
	rs->anon_pending[pick].addr = r->start;
	rs->anon_pending[pick].fields |= EVF_ADDR | EVF_ADDR_GUESS;
	region_collapse_inferred(r, &rs->anon_pending[pick]);
	memmove(rs->anon_pending + pick, rs->anon_pending + pick + 1,
		(rs->n_anon_pending - pick - 1) * sizeof(*rs->anon_pending));
	rs->n_anon_pending--;
}

void anon_free(struct regions *rs)
{
	free(rs->anon_pending);
	rs->anon_pending = NULL;
	rs->n_anon_pending = 0;
}
