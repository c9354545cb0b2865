/* Page-state samples of the traced regions (pagemap), as state events.
 * The sampler reads the regions and pagemap and queues what changed; it
 * never feeds the pipeline itself: the run loop (trace.c) empties the queue
 * into its next batch, in time order with the records.  Nothing here calls
 * back into the run loop. */
#ifndef THP_TRACE_STATES_H
#define THP_TRACE_STATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "host/faultstat.h"
#include "host/page_state.h"
#include "input/decode.h"
#include "util/idset.h"
#include "model/event.h"
#include "model/regions.h"

#define PENDING_STATES 256	/* queued events before a sampling pass stops */
#define MAX_SAMPLERS 16
#define MAX_DIRTY 256
#define PENDING_MAX 64		/* regions not huge yet sampled per loop turn */
#define DEAD_MAX 64
#define VM_BASES 256		/* PMD-mapped regions whose vmstat baseline is kept */

/* thp_split_pmd (/proc/vmstat) when a region was last sampled PMD-mapped:
 * the baseline of the support an inferred split gets. */
struct vm_base {
	uint32_t mm_id;
	uint64_t start;
	int64_t split_pmd;
	double t;
};

/* Events waiting for the next drain: records still in the ring buffer may
 * be older than a sample, and must come out before it.  The run loop owns
 * it (its lost counts wait here too) and empties it.  It holds
 * PENDING_STATES events before it has to grow: a sampling pass stops there
 * (STATES_FULL); only samples taken between two events of a batch, when the
 * dirty list is full, and a vanished process's "unknown" states go past. */
struct state_queue {
	struct thp_event *ev;
	size_t n, cap;
};

/* A zeroed event at the queue's end, or NULL when out of memory. */
struct thp_event *state_queue_push(struct state_queue *q);
void state_queue_free(struct state_queue *q);

struct sampler_slot {
	pid_t pid;
	struct page_sampler *s;
};

struct dirty {
	uint32_t mm_id;
	uint32_t pid;
	uint64_t start;
};

struct states {
	struct regions *rs;		/* the pipeline's regions, only read */
	const struct decoder *dec;	/* seconds since the start, for t */
	struct state_queue *q;		/* where samples go (the run loop's) */
	struct sampler_slot smp[MAX_SAMPLERS];
	struct dirty dirty[MAX_DIRTY];	/* regions to sample after this drain */
	size_t n_dirty;
	uint32_t dead[DEAD_MAX];	/* recently exited target pids: sample them no more */
	size_t n_dead;
	struct idset gone_mm;		/* mm ids whose process ended */
	/* A pass that stopped on a full queue: where it goes on, and the
	 * sample read that found no room (queued first, timed then). */
	bool in_pass;
	size_t next, sampled;
	bool held;
	struct dirty held_at;
	struct region_sample held_rs;
	/* vmstat, read at most once per pass and only when a PMD-mapped
	 * region is sampled */
	struct vm_base vm_base[VM_BASES];
	size_t vm_next;
	int vm_pass_state;		/* 0 not read this pass, 1 read (vm_now), -1 unreadable */
	int64_t vm_now;
	/* the PMD fault counters (host/faultstat.h), read in a pass that
	 * samples a region with nothing present yet: a region that became
	 * present gets their rise since the pass before */
	int fs_pass_state;		/* 0 not read this pass, 1 read (fs_now), -1 unreadable */
	struct faultstat fs_now;
	double fs_now_t;
	struct fs_base {		/* the counters when a region was last seen empty */
		uint32_t mm_id;
		uint64_t start;
		struct faultstat v;
		double t;		/* < 0: free */
	} fs_base[64];
	size_t fs_next;
};

void states_init(struct states *st, struct regions *rs, const struct decoder *dec,
		 struct state_queue *q);
void states_free(struct states *st);

/* An event touched r: sample it after this drain.  When the dirty list is
 * full, r is sampled at once (its event may go past PENDING_STATES). */
void states_mark_dirty(struct states *st, const struct region *r);

/* Sampling passes.  STATES_FULL: the queue holds PENDING_STATES events;
 * empty it and call the same pass again, it goes on where it stopped. */
enum states_pass { STATES_DONE, STATES_FULL };
enum states_pass states_sample_dirty(struct states *st);	/* the marked regions */
enum states_pass states_sample_all(struct states *st);	/* every region (the end) */
/* Regions not huge yet, at most PENDING_MAX; *sampled: how many (at DONE). */
enum states_pass states_sample_pending(struct states *st, size_t *sampled);

void states_proc_exited(struct states *st, uint32_t pid);	/* its exit event */

/* An anonymous scan that came with a frame number and no address (the
 * scan_pmd tracepoint by perf event): the region of its mm whose pagemap
 * maps that frame becomes its address (EVF_ADDR_GUESS).  Only the mm's
 * anonymous regions the model knows are read, 64 at most. */
void states_place_pfn(struct states *st, struct thp_event *ev);
void states_sampler_drop(struct states *st, pid_t pid);	/* a new mm (exec) */

#endif
