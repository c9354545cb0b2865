/* What a running process already has, as events: attached to with -p, or
 * found by -a, a process's THP-relevant mappings (host/snapshot.h) become
 * `state` events `via: snapshot` carrying their madvise flags, so that its
 * timeline begins with what was there before tracing began.  Taken when
 * tracing begins, and again every --resnapshot seconds for what no event
 * announces (a split or reclaim where no probe sees it, a mapping made
 * before a filter knew it).  Like the sampler, it only queues events into
 * the run loop's state_queue and calls back into nothing. */
#ifndef THP_TRACE_SNAPSHOT_H
#define THP_TRACE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "input/decode.h"
#include "model/regions.h"
#include "cli/trace.h"
#include "cli/trace_states.h"

struct thptrace_bpf;

struct snapshots {
	struct decoder *dec;		/* mm ids for processes no record has named yet */
	const struct regions *rs;	/* the pipeline's, only read */
	struct state_queue *q;		/* where the events go (the run loop's) */
	const struct thptrace_bpf *skel;	/* --range, --text, --file: bpf_targets_touch */
	bool no_scan;			/* THPTRACE_NO_PAGEMAP_SCAN */
	uint64_t every_ns;		/* --resnapshot; 0: only when tracing begins */
	uint64_t next_ns;		/* when the next one is due */
	/* what they cost, for the summary's reader and the bench */
	size_t taken, processes, regions, dropped, skipped;
	uint64_t spent_ns;
};

/* every --resnapshot seconds for -p and -a; never for a CMD, nor with
 * --no-snapshot */
void snapshots_init(struct snapshots *sn, struct decoder *dec, const struct regions *rs,
		    struct state_queue *q, const struct thptrace_bpf *skel, const struct trace_opts *o);

/* When tracing begins: -p's process, or under -a every process running
 * (one line on stderr when -p's cannot be read). */
void snapshots_start(struct snapshots *sn, const struct trace_opts *o);

/* Again: -p's process, or under -a each process that has regions. */
void snapshots_again(struct snapshots *sn, const struct trace_opts *o);

/* pid's snapshot, now.  at_start: every relevant region becomes an event;
 * later, only regions the model does not know yet or whose state it has
 * wrong.  Returns 0, or -errno (ESRCH: gone; EACCES: no access). */
int snapshots_take(struct snapshots *sn, pid_t pid, bool at_start);

/* -a: every process running now (not thptrace itself, not kernel threads).
 * Returns how many had something THP-relevant. */
size_t snapshots_take_all(struct snapshots *sn, pid_t self);

/* Is a periodic one due at now?  Then the caller takes it for the
 * processes it traces. */
bool snapshots_due(struct snapshots *sn, uint64_t now);

#endif
