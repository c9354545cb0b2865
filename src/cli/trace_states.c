/* Page-state samples of the traced regions.  No probe sees a PMD cleared
 * or mapped on every kernel, so pagemap is read: after a drain for the
 * regions its events touched, on every loop turn for regions not huge yet,
 * and at the target's exit.  A sample becomes a state event only when the
 * state changed, and waits for the next drain (see struct tracer). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/page_state.h"
#include "util/config.h"
#include "cli/tracer.h"

/* ---- page state ---- */

static struct page_sampler *sampler_for(struct tracer *tr, pid_t pid)
{
	struct sampler_slot *free_slot = NULL;

	for (int i = 0; i < MAX_SAMPLERS; i++) {
		if (tr->smp[i].s && tr->smp[i].pid == pid)
			return tr->smp[i].s;
		if (!tr->smp[i].s && !free_slot)
			free_slot = &tr->smp[i];
	}
	if (!free_slot) {
		/* Many processes under -a: recycle the first slot. */
		free_slot = &tr->smp[0];
		page_sampler_close(free_slot->s);
		free_slot->s = NULL;
	}
	free_slot->s = page_sampler_open(pid, config()->no_pagemap_scan);
	free_slot->pid = pid;
	return free_slot->s;
}

void states_sampler_drop(struct tracer *tr, pid_t pid)
{
	for (int i = 0; i < MAX_SAMPLERS; i++)
		if (tr->smp[i].s && tr->smp[i].pid == pid) {
			page_sampler_close(tr->smp[i].s);
			tr->smp[i].s = NULL;
		}
}

static bool mm_gone(const struct tracer *tr, uint32_t mm_id)
{
	return mm_id && mm_id <= DECODE_MAX_MMS && (tr->gone_mm[mm_id / 64] >> (mm_id % 64)) & 1;
}

static void set_mm_gone(struct tracer *tr, uint32_t mm_id)
{
	if (mm_id && mm_id <= DECODE_MAX_MMS)
		tr->gone_mm[mm_id / 64] |= 1ull << (mm_id % 64);
}

/* The region's last known state, counting samples not yet processed. */
static bool state_known(struct tracer *tr, uint32_t mm_id, uint64_t start,
			const struct region_sample *rs)
{
	const struct region *r;

	for (size_t i = tr->n_pending; i-- > 0;) {
		const struct thp_event *p = &tr->pending[i];

		if (p->mm_id == mm_id && p->region == start)
			return p->state == rs->state && p->thp == rs->thp;
	}
	r = regions_find(&tr->pl.rs, mm_id, start);
	return r && r->state == rs->state && r->thp == rs->thp;
}

static struct thp_event *state_event(struct tracer *tr, uint32_t mm_id, uint32_t pid,
				     uint64_t start)
{
	struct thp_event *ev;
	uint64_t ts;

	if (tr->n_pending == PENDING_STATES)
		tracer_process_batch(tr);
	ts = tracer_now_ns();
	ev = &tr->pending[tr->n_pending++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_STATE;
	ev->via = VIA_ID_PAGEMAP;
	ev->ts_ns = ts;
	ev->t = decoder_t(&tr->dec, ts);
	ev->pid = ev->tgid = ev->target_pid = pid;
	ev->mm_id = mm_id;
	ev->region = start;
	ev->state = PS_UNKNOWN;
	ev->present = -1;
	ev->fields = EVF_STATE;
	return ev;
}

/* The process can vanish between an event and its sample (/proc/PID gone,
 * pagemap of a dead mm): that is no error, only the end of what can be seen. */
static int sample_read(struct tracer *tr, pid_t pid, uint64_t start, struct region_sample *rs)
{
	struct page_sampler *s = sampler_for(tr, pid);
	int rc;

	if (!s)
		return -(errno ? errno : ESRCH);
	rc = page_sampler_read(s, start, rs);
	if (rc == -ESRCH && kill(pid, 0) == 0) {
		/* Same process, new mm (exec): open pagemap again. */
		states_sampler_drop(tr, pid);
		s = sampler_for(tr, pid);
		rc = s ? page_sampler_read(s, start, rs) : -ESRCH;
	}
	return rc;
}

static void sample_region(struct tracer *tr, uint32_t mm_id, uint32_t pid, uint64_t start)
{
	struct region_sample rs;
	struct thp_event *ev;

	if (!pid || mm_gone(tr, mm_id) || states_pid_exited(tr, pid))
		return;
	if (sample_read(tr, pid, start, &rs) < 0) {
		states_proc_gone(tr, pid);
		return;
	}
	if (state_known(tr, mm_id, start, &rs))
		return;
	ev = state_event(tr, mm_id, pid, start);
	ev->state = rs.state;
	ev->thp = rs.thp;
	ev->present = (int32_t)rs.present;
}

void states_mark_dirty(struct tracer *tr, const struct region *r)
{
	for (size_t i = 0; i < tr->n_dirty; i++)
		if (tr->dirty[i].mm_id == r->mm_id && tr->dirty[i].start == r->start)
			return;
	if (tr->n_dirty < MAX_DIRTY)
		tr->dirty[tr->n_dirty++] = (struct dirty){ r->mm_id, r->pid, r->start };
	else
		sample_region(tr, r->mm_id, r->pid, r->start);
}

/* THPTRACE_TEST_SAMPLE_DELAY_US: fault injection for the live tests, a
 * pause between a drain and its samples that lets a process vanish there. */
static unsigned long sample_delay_us(void)
{
	return config()->sample_delay_us;
}

void states_sample_dirty(struct tracer *tr)
{
	size_t n = tr->n_dirty;

	if (n && sample_delay_us())
		usleep(sample_delay_us());
	tr->n_dirty = 0;
	for (size_t i = 0; i < n; i++)
		sample_region(tr, tr->dirty[i].mm_id, tr->dirty[i].pid, tr->dirty[i].start);
}

bool states_pid_exited(const struct tracer *tr, uint32_t pid)
{
	for (size_t i = 0; i < DEAD_MAX; i++)
		if (tr->dead[i] == pid)
			return true;
	return false;
}

/* pid's pagemap could not be read (it exited before its exit event was
 * drained): each of its regions gets one state event "unknown" with
 * present -1, the mark that it could no longer be sampled, and is sampled
 * no more. */
void states_proc_gone(struct tracer *tr, uint32_t pid)
{
	bool first = !states_pid_exited(tr, pid);
	size_t n = tr->pl.rs.n;

	if (first)
		tr->dead[tr->n_dead++ % DEAD_MAX] = pid;
	states_sampler_drop(tr, pid);
	for (size_t i = 0; i < n; i++) {
		uint32_t mm_id = tr->pl.rs.v[i].mm_id;

		if (tr->pl.rs.v[i].pid != pid || (mm_id ? mm_gone(tr, mm_id) : !first))
			continue;
		set_mm_gone(tr, mm_id);
		state_event(tr, mm_id, pid, tr->pl.rs.v[i].start);
	}
}

/* An exit event: the process's regions are final, sample them no more. */
void states_proc_exited(struct tracer *tr, uint32_t pid)
{
	if (!states_pid_exited(tr, pid))
		tr->dead[tr->n_dead++ % DEAD_MAX] = pid;
	states_sampler_drop(tr, pid);
	for (size_t i = 0; i < tr->pl.rs.n; i++)
		if (tr->pl.rs.v[i].pid == pid)
			set_mm_gone(tr, tr->pl.rs.v[i].mm_id);
}

void states_sample_all(struct tracer *tr)
{
	for (size_t i = 0; i < tr->pl.rs.n; i++)
		sample_region(tr, tr->pl.rs.v[i].mm_id, tr->pl.rs.v[i].pid, tr->pl.rs.v[i].start);
}

/* Where no probe sees the PMD being cleared (collapse_file's tracepoint
 * fires only when the collapse returns, sometimes after the refault), the
 * only witness of "not present" is pagemap: look at regions that are not
 * huge yet on every loop turn.  Bounded, so -a cannot make it a hot path. */
size_t states_sample_pending(struct tracer *tr)
{
	size_t done = 0;

	for (size_t i = 0; i < tr->pl.rs.n && done < PENDING_MAX; i++) {
		const struct region *r = &tr->pl.rs.v[i];

		if (r->state == PS_PMD || states_pid_exited(tr, r->pid))
			continue;
		sample_region(tr, r->mm_id, r->pid, r->start);
		done++;
	}
	return done;
}
