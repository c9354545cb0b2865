/* The state of one live trace, shared by the files that run it:
 *   trace.c         set-up, the run loop, events in time order, the end
 *   trace_states.c  page-state samples of the traced regions (pagemap)
 *   trace_child.c   the spawned command under ptrace
 *   preflight.c     capabilities, tracefs, the kernel's BTF
 * Internal to the trace command: nothing outside those files includes it. */
#ifndef THP_TRACER_H
#define THP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "input/decode.h"
#include "probe/kbtf.h"
#include "probe/loader.h"
#include "pipeline/pipeline.h"
#include "probe/probes.h"
#include "host/procmaps.h"
#include "model/regions.h"
#include "host/target.h"
#include "cli/trace.h"

struct page_sampler;
struct ring_buffer;
struct thptrace_bpf;

#define POLL_MS 10
#define IDLE_POLL_MS 50
#define MAX_SAMPLERS 16
#define MAX_DIRTY 256
#define BATCH_MAX 4096
#define PENDING_MAX 64
#define PENDING_STATES 256
#define DEAD_MAX 64

struct sampler_slot {
	pid_t pid;
	struct page_sampler *s;
};

struct dirty {
	uint32_t mm_id;
	uint32_t pid;
	uint64_t start;
};

struct tracer {
	const struct trace_opts *o;
	struct kbtf_job btf_job;	/* loading from preflight until setup_bpf */
	struct kbtf *btf;
	struct probe_set ps;
	struct loader ld;
	struct thptrace_bpf *skel;	/* ld.skel, once loaded */
	struct ring_buffer *rb;
	struct decoder dec;
	struct pipeline pl;		/* regions, sinks, summary counts */
	FILE *outf;
	struct target tgt;
	struct run_summary sum;
	struct thp_context ctx;
	struct sampler_slot smp[MAX_SAMPLERS];
	struct map_list maps;		/* last /proc/PID/maps read, of maps_pid */
	pid_t maps_pid;
	bool maps_fresh;		/* read during the current drain */
	struct dirty dirty[MAX_DIRTY];
	size_t n_dirty;
	struct thp_event *batch;	/* one drain's events, put in time order */
	size_t n_batch;
	/* State samples wait for the next drain: records still in the ring
	 * buffer may be older than the sample, and must come out before it. */
	struct thp_event pending[PENDING_STATES];
	size_t n_pending;
	uint64_t lost_seen;
	uint32_t dead[DEAD_MAX];	/* recently exited target pids: sample them no more */
	size_t n_dead;
	uint64_t gone_mm[DECODE_MAX_MMS / 64 + 1];	/* mm ids whose process ended */
	uint64_t start_ns;
	bool target_gone;
	bool ptraced;		/* spawned target still under PTRACE_O_TRACEEXIT */
	bool cmd_running;	/* spawned target released past its exec */
	uint64_t grace_end;	/* after a stop signal: wait for CMD until then */
	bool svg_failed;
	int sigfd;
};

/* trace.c */
uint64_t tracer_now_ns(void);
/* Decode, sort and emit what was drained (state samples included). */
void tracer_process_batch(struct tracer *tr);
int tracer_drain(struct tracer *tr);
/* The target's ranges at its start (-p now, a spawned CMD at its exec). */
int tracer_resolve_initial(struct tracer *tr, pid_t pid);

/* trace_states.c: which regions to read from pagemap, and when. */
void states_mark_dirty(struct tracer *tr, const struct region *r);	/* after this drain */
void states_sample_dirty(struct tracer *tr);
void states_sample_all(struct tracer *tr);
size_t states_sample_pending(struct tracer *tr);	/* regions not huge yet, bounded: how many */
bool states_pid_exited(const struct tracer *tr, uint32_t pid);
void states_proc_gone(struct tracer *tr, uint32_t pid);	/* pagemap unreadable */
void states_proc_exited(struct tracer *tr, uint32_t pid);	/* its exit event */
void states_sampler_drop(struct tracer *tr, pid_t pid);

/* trace_child.c: the spawned command, resumed as if untraced. */
void child_ended(struct tracer *tr, int st);
void child_handle(struct tracer *tr);	/* on SIGCHLD */
void child_detach(struct tracer *tr);	/* let it go wherever it is */
int child_start(struct tracer *tr);	/* release it past its exec */

/* preflight.c: the BTF trace_preflight() started loading. */
int preflight_btf(struct kbtf_job *job, struct kbtf **btf);

#endif
