/* The live trace's events, in time order: each drain of the ring buffer is
 * decoded, sorted with the page-state samples waiting for it, and fed to
 * the pipeline one event at a time, with what /proc adds (a region's file
 * facts) and what the BPF side must learn back (the relevance filter's
 * regions, the mm ids of processes that ended).  trace.c, the run loop,
 * calls these. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli/bpf_targets.h"
#include "cli/trace_clock.h"
#include "cli/trace_events.h"
#include "cli/tracer.h"
#include "thptrace.skel.h"

/* ---- events, in time order ---- */

static void emit(struct tracer *tr, struct thp_event *ev)
{
	const struct region *r = pipeline_event(&tr->pl, ev);

	if (r && !r->have_finfo && r->pid) {
		struct thp_event fe;

		/* A region seen for the first time: its backing file's facts,
		 * from /proc, go through the pipeline as an event of their own. */
		region_facts_file(r, ev, &fe);
		pipeline_event(&tr->pl, &fe);
		r = regions_find(&tr->pl.rs, fe.mm_id, fe.region);
	}
	/* A region the model tracks: its faults matter from now on (not
	 * for a process whose exit has come: its entry would outlive it). */
	if (r && tr->fault_filter && ev->kind != EV_FAULT && ev->kind != EV_MAP_PAGES &&
	    !mm_ids_exited(&tr->dec.mms, r->pid))
		bpf_targets_thp_region(tr->skel, r->pid, r->start);
	/* Sample once per drain, after the drain's events: a state read between
	 * two of them would put a later time before an earlier event. */
	if (r && ev->kind != EV_STATE && ev->kind != EV_EXIT)
		states_mark_dirty(&tr->st, r);
}

static void process(struct tracer *tr, struct thp_event *ev)
{
	switch (ev->kind) {
	case EV_MMAP:
	case EV_MUNMAP:
	case EV_MREMAP:
	case EV_MPROTECT:
		/* recorded whatever the ranges (see bpf/target.bpf.h) */
		if (!bpf_targets_touch(tr->skel, ev->addr, ev->addr + ev->len) &&
		    !((ev->fields & EVF_NEW_RANGE) &&
		      bpf_targets_touch(tr->skel, ev->new_addr, ev->new_addr + ev->new_len)))
			return;
		break;
	case EV_MADVISE:
		region_facts_madvise(&tr->maps, ev);
		break;
	case EV_COLLAPSE_FILE:
		region_facts_collapse_tp(&tr->maps, ev);
		break;
	case EV_SCAN_PMD:
		region_facts_anon_addr(&tr->maps, ev);
		states_place_pfn(&tr->st, ev);
		break;
	case EV_EXEC:
		/* A new mm: pagemap must be opened again. */
		states_sampler_drop(&tr->st, ev->tgid);
		maps_cache_stale(&tr->maps);
		if (tr->o->ranges.text || tr->o->ranges.file)
			bpf_targets_update_ranges(tr->skel, ev->tgid, &tr->o->ranges);
		break;
	default:
		break;
	}
	emit(tr, ev);
	if (ev->kind == EV_EXIT) {
		states_proc_exited(&tr->st, ev->tgid);
		if (!tr->o->all && (pid_t)ev->tgid == tr->tgt.pid)
			tr->target_gone = true;
	}
}

static int by_time(const void *a, const void *b)
{
	const struct thp_event *x = a, *y = b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

/* Records from different CPUs can reach the ring buffer slightly out of
 * order: sort each drain, with the samples waiting for it, before anything
 * sees it. */
void trace_process_batch(struct tracer *tr)
{
	size_t n = tr->pending.n;

	maps_cache_stale(&tr->maps);
	if (tr->n_batch + n > tr->batch_cap) {
		/* Only past PENDING_STATES samples (see trace_states.h). */
		struct thp_event *b = realloc(tr->batch, (tr->n_batch + n) * sizeof(*b));

		if (b) {
			tr->batch = b;
			tr->batch_cap = tr->n_batch + n;
		} else {
			n = tr->batch_cap - tr->n_batch;
		}
	}
	if (n)
		memcpy(tr->batch + tr->n_batch, tr->pending.ev, n * sizeof(tr->batch[0]));
	tr->n_batch += n;
	tr->pending.n = 0;
	qsort(tr->batch, tr->n_batch, sizeof(tr->batch[0]), by_time);
	for (size_t i = 0; i < tr->n_batch; i++)
		process(tr, &tr->batch[i]);
	tr->n_batch = 0;
}

int trace_on_record(void *ctx, void *data, size_t size)
{
	struct tracer *tr = ctx;

	if (tr->n_batch == BATCH_MAX)
		trace_process_batch(tr);
	if (decode_rec(&tr->dec, data, size, &tr->batch[tr->n_batch]) == 0) {
		const struct thp_event *ev = &tr->batch[tr->n_batch++];

		/* A process's end retires its mm ids now, while decoding: the
		 * next process may get the same mm_struct, and its records may
		 * be in this very drain. */
		if (ev->kind == EV_EXIT && ev->pid == ev->tgid)
			bpf_targets_forget(tr->skel, &tr->dec, ev->tgid);
	}
	return tr->pl.out.err ? -EPIPE : 0;
}

static void check_lost(struct tracer *tr)
{
	uint64_t lost = tr->skel->bss->lost_records;
	struct thp_event *ev;
	uint64_t ts;

	if (lost == tr->lost_seen)
		return;
	if (tr->pending.n >= PENDING_STATES)
		trace_process_batch(tr);
	ts = trace_now_ns();
	ev = state_queue_push(&tr->pending);
	if (!ev)
		return;
	ev->kind = EV_LOST;
	ev->ts_ns = ts;
	ev->t = decoder_t(&tr->dec, ts);
	ev->count = lost - tr->lost_seen;
	tr->lost_seen = lost;
	tr->sum.lost = lost;
}

/* ---- page-state samples: a pass stops when the queue is full, and goes
 * on once the run loop has processed it ---- */

static void sample_dirty(struct tracer *tr)
{
	while (states_sample_dirty(&tr->st) == STATES_FULL)
		trace_process_batch(tr);
}

void trace_sample_all(struct tracer *tr)
{
	while (states_sample_all(&tr->st) == STATES_FULL)
		trace_process_batch(tr);
}

/* Regions not huge yet: how many were sampled. */
size_t trace_sample_pending(struct tracer *tr)
{
	size_t n = 0;

	while (states_sample_pending(&tr->st, &n) == STATES_FULL)
		trace_process_batch(tr);
	return n;
}

/* The THP knobs, when a look is due (or at the end, anyway): a change
 * waits in the queue for the next drain, like a sample. */
void trace_settings_check(struct tracer *tr, uint64_t now, bool anyway)
{
	if (!anyway && !settings_due(&tr->knobs, now))
		return;
	if (tr->pending.n >= PENDING_STATES)
		trace_process_batch(tr);
	settings_poll(&tr->knobs, &tr->dec, &tr->pending);
}

int trace_drain(struct tracer *tr)
{
	int rc = ring_buffer__consume(tr->rb);

	trace_process_batch(tr);
	sample_dirty(tr);
	check_lost(tr);
	return rc;
}
