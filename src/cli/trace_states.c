/* Page-state samples of the traced regions.  No probe sees a PMD cleared
 * or mapped on every kernel, so pagemap is read: after a drain for the
 * regions its events touched, on every loop turn for regions not huge yet,
 * and at the target's exit.  A sample becomes a state event only when the
 * state changed, and waits in the run loop's queue for the next drain (see
 * trace_states.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/page_state.h"
#include "host/vmstat.h"
#include "util/config.h"
#include "cli/trace_clock.h"
#include "cli/trace_states.h"

/* ---- the queue ---- */

struct thp_event *state_queue_push(struct state_queue *q)
{
	struct thp_event *ev;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : PENDING_STATES;
		struct thp_event *v = realloc(q->ev, cap * sizeof(*v));

		if (!v)
			return NULL;
		q->ev = v;
		q->cap = cap;
	}
	ev = &q->ev[q->n++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

void state_queue_free(struct state_queue *q)
{
	free(q->ev);
	*q = (struct state_queue){ 0 };
}

/* ---- samplers, one per process ---- */

void states_init(struct states *st, struct regions *rs, const struct decoder *dec,
		 struct state_queue *q)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < VM_BASES; i++)
		st->vm_base[i].t = -1;	/* free */
	for (size_t i = 0; i < sizeof(st->fs_base) / sizeof(st->fs_base[0]); i++)
		st->fs_base[i].t = -1;
	st->rs = rs;
	st->dec = dec;
	st->q = q;
}

void states_free(struct states *st)
{
	for (int i = 0; i < MAX_SAMPLERS; i++) {
		page_sampler_close(st->smp[i].s);
		st->smp[i].s = NULL;
	}
	idset_free(&st->gone_mm);
}

static struct page_sampler *sampler_for(struct states *st, pid_t pid)
{
	struct sampler_slot *free_slot = NULL;

	for (int i = 0; i < MAX_SAMPLERS; i++) {
		if (st->smp[i].s && st->smp[i].pid == pid)
			return st->smp[i].s;
		if (!st->smp[i].s && !free_slot)
			free_slot = &st->smp[i];
	}
	if (!free_slot) {
		/* Many processes under -a: recycle the first slot. */
		free_slot = &st->smp[0];
		page_sampler_close(free_slot->s);
		free_slot->s = NULL;
	}
	free_slot->s = page_sampler_open(pid, config()->no_pagemap_scan);
	free_slot->pid = pid;
	return free_slot->s;
}

void states_sampler_drop(struct states *st, pid_t pid)
{
	for (int i = 0; i < MAX_SAMPLERS; i++)
		if (st->smp[i].s && st->smp[i].pid == pid) {
			page_sampler_close(st->smp[i].s);
			st->smp[i].s = NULL;
		}
}

/* ---- what is known ---- */

static bool mm_gone(const struct states *st, uint32_t mm_id)
{
	return mm_id && idset_has(&st->gone_mm, mm_id);
}

static void set_mm_gone(struct states *st, uint32_t mm_id)
{
	if (mm_id)
		idset_add(&st->gone_mm, mm_id);
}

static bool pid_exited(const struct states *st, uint32_t pid)
{
	for (size_t i = 0; i < DEAD_MAX; i++)
		if (st->dead[i] == pid)
			return true;
	return false;
}

/* Is rs the region's last known state, counting samples not yet
 * processed?  *prev: that state (PS_UNKNOWN if none). */
static bool state_known(struct states *st, uint32_t mm_id, uint64_t start,
			const struct region_sample *rs, enum page_state *prev)
{
	const struct region *r;

	for (size_t i = st->q->n; i-- > 0;) {
		const struct thp_event *p = &st->q->ev[i];

		if (p->mm_id == mm_id && p->region == start) {
			*prev = p->state;
			return p->state == rs->state && p->thp == rs->thp;
		}
	}
	r = regions_find(st->rs, mm_id, start);
	*prev = r ? r->state : PS_UNKNOWN;
	/* after a life ended (unmapped), an empty range says nothing new;
	 * pages present again are a new life, worth an event */
	if (!r && rs->state == PS_NONE && regions_had_life(st->rs, mm_id, start))
		return true;
	return r && r->state == rs->state && r->thp == rs->thp;
}

/* ---- vmstat support for an inferred split ---- */

static struct vm_base *vm_base_of(struct states *st, uint32_t mm_id, uint64_t start)
{
	for (size_t i = 0; i < VM_BASES; i++)
		if (st->vm_base[i].t >= 0 && st->vm_base[i].mm_id == mm_id && st->vm_base[i].start == start)
			return &st->vm_base[i];
	return NULL;
}

/* thp_split_pmd now (once per pass); false when /proc/vmstat has none. */
static bool vm_now(struct states *st, int64_t *v)
{
	if (!st->vm_pass_state)
		st->vm_pass_state = vmstat_read("thp_split_pmd", &st->vm_now) == 0 ? 1 : -1;
	*v = st->vm_now;
	return st->vm_pass_state > 0;
}

/* A sample of a PMD-mapped region, or of one that was: keep the baseline,
 * or give the state event leaving the PMD the counter's rise since. */
static void vm_support(struct states *st, uint32_t mm_id, uint64_t start, enum page_state prev,
		       enum page_state now, struct thp_event *ev)
{
	struct vm_base *b = vm_base_of(st, mm_id, start);
	int64_t v;

	if ((now != PS_PMD && prev != PS_PMD) || !vm_now(st, &v))
		return;
	if (now == PS_PMD) {
		if (!b) {
			b = &st->vm_base[st->vm_next++ % VM_BASES];
			b->mm_id = mm_id;
			b->start = start;
		}
		b->split_pmd = v;
		b->t = decoder_t(st->dec, trace_now_ns());
		return;
	}
	if (ev && b && v >= b->split_pmd) {
		ev->split_pmd_delta = v - b->split_pmd;
		ev->vmstat_since_t = b->t;
		ev->fields |= EVF_VMSTAT;
	}
	if (b)
		*b = (struct vm_base){ .t = -1 };
}

/* ---- anonymous memory: fault counters and folio sizes ---- */

static bool empty_state(enum page_state s)
{
	return s == PS_NONE || s == PS_UNKNOWN;
}

/* The fault counters now (once per pass); false when unreadable. */
static bool fs_now(struct states *st)
{
	if (!st->fs_pass_state) {
		st->fs_pass_state = faultstat_read(&st->fs_now) == 0 ? 1 : -1;
		st->fs_now_t = decoder_t(st->dec, trace_now_ns());
	}
	return st->fs_pass_state > 0;
}

static struct fs_base *fs_base_of(struct states *st, uint32_t mm_id, uint64_t start, bool add)
{
	const size_t n = sizeof(st->fs_base) / sizeof(st->fs_base[0]);
	struct fs_base *b;

	for (size_t i = 0; i < n; i++)
		if (st->fs_base[i].t >= 0 && st->fs_base[i].mm_id == mm_id && st->fs_base[i].start == start)
			return &st->fs_base[i];
	if (!add)
		return NULL;
	b = &st->fs_base[st->fs_next++ % n];
	b->mm_id = mm_id;
	b->start = start;
	return b;
}

/* A region sampled from prev to rs: what anonymous memory's verdicts
 * need in its state event (ev NULL: nothing changed). */
static void anon_support(struct states *st, uint32_t mm_id, pid_t pid, uint64_t start, enum page_state prev,
			 const struct region_sample *rs, struct thp_event *ev)
{
	struct page_sampler *s;
	struct fs_base *b;
	uint32_t orders;

	if (rs->state == PS_NONE && fs_now(st) && (b = fs_base_of(st, mm_id, start, true))) {
		b->v = st->fs_now;	/* empty now: the baseline of its first fault */
		b->t = st->fs_now_t;
	} else if (empty_state(prev) && ev && !empty_state(rs->state) && (b = fs_base_of(st, mm_id, start, false))) {
		if (fs_now(st)) {
			ev->fault_alloc_delta = st->fs_now.alloc - b->v.alloc;
			ev->fault_fallback_delta = st->fs_now.fallback - b->v.fallback;
			ev->fault_charge_delta = st->fs_now.charge - b->v.charge;
			ev->faultstat_since_t = b->t;
			ev->fields |= EVF_FAULTSTAT;
		}
		b->t = -1;
	}
	if (ev && rs->state == PS_PTE && rs->thp && (s = sampler_for(st, pid)) &&
	    page_sampler_folios(s, start, &orders) == 0 && orders) {
		ev->folio_orders = orders;
		ev->fields |= EVF_FOLIOS;
	}
}

/* Queue a state event, timed now; rs NULL: "unknown", present -1 (the
 * process could no longer be sampled). */
static struct thp_event *queue_state(struct states *st, uint32_t mm_id, uint32_t pid, uint64_t start,
				     const struct region_sample *rs)
{
	struct thp_event *ev = state_queue_push(st->q);
	uint64_t ts = trace_now_ns();

	if (!ev)
		return NULL;
	ev->kind = EV_STATE;
	ev->via = VIA_ID_PAGEMAP;
	ev->ts_ns = ts;
	ev->t = decoder_t(st->dec, ts);
	ev->pid = ev->tgid = ev->target_pid = pid;
	ev->mm_id = mm_id;
	ev->region = start;
	ev->state = rs ? rs->state : PS_UNKNOWN;
	ev->thp = rs ? rs->thp : false;
	ev->present = rs ? (int32_t)rs->present : -1;
	ev->fields = EVF_STATE;
	return ev;
}

/* ---- sampling ---- */

/* The process can vanish between an event and its sample (/proc/PID gone,
 * pagemap of a dead mm): that is no error, only the end of what can be seen. */
static int sample_read(struct states *st, pid_t pid, uint64_t start, struct region_sample *rs)
{
	struct page_sampler *s = sampler_for(st, pid);
	int rc;

	if (!s)
		return -(errno ? errno : ESRCH);
	rc = page_sampler_read(s, start, rs);
	if (rc == -ESRCH && kill(pid, 0) == 0) {
		/* Same process, new mm (exec): open pagemap again. */
		states_sampler_drop(st, pid);
		s = sampler_for(st, pid);
		rc = s ? page_sampler_read(s, start, rs) : -ESRCH;
	}
	return rc;
}

/* pid's pagemap could not be read (it exited before its exit event was
 * drained): each of its regions gets one state event "unknown" with
 * present -1, the mark that it could no longer be sampled, and is sampled
 * no more. */
static void proc_gone(struct states *st, uint32_t pid)
{
	bool first = !pid_exited(st, pid);
	size_t n = st->rs->n;

	if (first)
		st->dead[st->n_dead++ % DEAD_MAX] = pid;
	states_sampler_drop(st, pid);
	for (size_t i = 0; i < n; i++) {
		uint32_t mm_id = st->rs->v[i].mm_id;

		if (st->rs->v[i].pid != pid || (mm_id ? mm_gone(st, mm_id) : !first))
			continue;
		set_mm_gone(st, mm_id);
		queue_state(st, mm_id, pid, st->rs->v[i].start, NULL);
	}
}

/* Sample one region.  A change found while the queue is full is held
 * (can_hold) and false returned: the pass stops there. */
static bool sample_region(struct states *st, uint32_t mm_id, uint32_t pid, uint64_t start,
			  bool can_hold)
{
	struct region_sample rs;
	enum page_state prev;
	struct thp_event *ev;

	if (!pid || mm_gone(st, mm_id) || pid_exited(st, pid))
		return true;
	if (sample_read(st, pid, start, &rs) < 0) {
		proc_gone(st, pid);
		return true;
	}
	if (state_known(st, mm_id, start, &rs, &prev)) {
		vm_support(st, mm_id, start, prev, rs.state, NULL);
		anon_support(st, mm_id, pid, start, prev, &rs, NULL);
		return true;
	}
	if (can_hold && st->q->n >= PENDING_STATES) {
		st->held = true;
		st->held_at = (struct dirty){ mm_id, pid, start };
		st->held_rs = rs;
		return false;
	}
	ev = queue_state(st, mm_id, pid, start, &rs);
	vm_support(st, mm_id, start, prev, rs.state, ev);
	anon_support(st, mm_id, pid, start, prev, &rs, ev);
	return true;
}

void states_mark_dirty(struct states *st, const struct region *r)
{
	for (size_t i = 0; i < st->n_dirty; i++)
		if (st->dirty[i].mm_id == r->mm_id && st->dirty[i].start == r->start)
			return;
	if (st->n_dirty < MAX_DIRTY)
		st->dirty[st->n_dirty++] = (struct dirty){ r->mm_id, r->pid, r->start };
	else
		/* Between two events of a batch: the queue cannot be emptied
		 * here, so it may go past PENDING_STATES. */
		sample_region(st, r->mm_id, r->pid, r->start, false);
}

/* The start of a pass, or its resumption after STATES_FULL: the held
 * sample goes first, timed now (after the queue was emptied). */
static void pass_begin(struct states *st)
{
	st->vm_pass_state = 0;
	st->fs_pass_state = 0;
	if (!st->in_pass) {
		st->in_pass = true;
		st->next = st->sampled = 0;
		return;
	}
	if (st->held) {
		st->held = false;
		queue_state(st, st->held_at.mm_id, st->held_at.pid, st->held_at.start, &st->held_rs);
	}
}

static enum states_pass pass_end(struct states *st)
{
	st->in_pass = false;
	return STATES_DONE;
}

/* THPTRACE_TEST_SAMPLE_DELAY_US: fault injection for the live tests, a
 * pause between a drain and its samples that lets a process vanish there. */
static unsigned long sample_delay_us(void)
{
	return config()->sample_delay_us;
}

enum states_pass states_sample_dirty(struct states *st)
{
	if (!st->in_pass && st->n_dirty && sample_delay_us())
		usleep(sample_delay_us());
	pass_begin(st);
	while (st->next < st->n_dirty) {
		const struct dirty *d = &st->dirty[st->next++];

		if (!sample_region(st, d->mm_id, d->pid, d->start, true))
			return STATES_FULL;
	}
	st->n_dirty = 0;
	return pass_end(st);
}

enum states_pass states_sample_all(struct states *st)
{
	pass_begin(st);
	while (st->next < st->rs->n) {
		const struct region *r = &st->rs->v[st->next++];

		if (!sample_region(st, r->mm_id, r->pid, r->start, true))
			return STATES_FULL;
	}
	return pass_end(st);
}

/* Where no probe sees the PMD being cleared (collapse_file's tracepoint
 * fires only when the collapse returns, sometimes after the refault), the
 * only witness of "not present" is pagemap: look at regions that are not
 * huge yet on every loop turn.  Bounded, so -a cannot make it a hot path. */
enum states_pass states_sample_pending(struct states *st, size_t *sampled)
{
	pass_begin(st);
	while (st->next < st->rs->n && st->sampled < PENDING_MAX) {
		const struct region *r = &st->rs->v[st->next++];

		if (r->state == PS_PMD || pid_exited(st, r->pid))
			continue;
		st->sampled++;
		if (!sample_region(st, r->mm_id, r->pid, r->start, true))
			return STATES_FULL;
	}
	*sampled = st->sampled;
	return pass_end(st);
}

/* An exit event: the process's regions are final, sample them no more. */
void states_proc_exited(struct states *st, uint32_t pid)
{
	if (!pid_exited(st, pid))
		st->dead[st->n_dead++ % DEAD_MAX] = pid;
	states_sampler_drop(st, pid);
	for (size_t i = 0; i < st->rs->n; i++)
		if (st->rs->v[i].pid == pid)
			set_mm_gone(st, st->rs->v[i].mm_id);
}

void states_place_pfn(struct states *st, struct thp_event *ev)
{
	struct page_sampler *s;
	size_t tried = 0;
	uint64_t addr;

	if ((ev->fields & EVF_ADDR) || !ev->pfn || !ev->target_pid || pid_exited(st, ev->target_pid))
		return;
	for (size_t i = 0; i < st->rs->n && tried < 64; i++) {
		const struct region *r = &st->rs->v[i];

		if (r->mm_id != ev->mm_id || r->ended || r->file[0])
			continue;
		tried++;
		if (!(s = sampler_for(st, ev->target_pid)))
			return;
		if (page_sampler_find_pfn(s, r->start, ev->pfn, &addr) == 1) {
			ev->addr = r->start;
			ev->fields |= EVF_ADDR | EVF_ADDR_GUESS;
			return;
		}
	}
}
