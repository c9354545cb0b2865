/* The state of one live trace, and who owns what.  Data flows one way:
 *
 *   probes -> ring buffer -> decode -> batch (time order) -> pipeline -> regions -> sinks
 *                                        ^                                 |
 *                   page-state samples (state_queue) <- pagemap <----------'  (reads only)
 *
 * The run loop (trace.c) is the only caller of the others and the only one
 * that feeds the pipeline; the files below it return what they found and
 * call back into nothing:
 *   trace.c         trace_run(): set-up order, the run loop, the batch in
 *                   time order (emit -> pipeline), acting on the child's
 *                   news, the end (summary, exit status)
 *   trace_setup.c   checks before loading, the output, the BPF object
 *                   opened and loaded; --list-probes
 *   trace_states.c  page-state samples of the traced regions, queued as
 *                   state events into the run loop's state_queue
 *   trace_settings.c THP knobs read again twice a second, a change queued
 *                   as a settings event into the same state_queue
 *   trace_snapshot.c what a running process (-p, -a) already has, queued
 *                   as state events via snapshot into the same state_queue
 *   trace_child.c   the spawned command under ptrace: moves it along and
 *                   says what happened (enum child_news)
 *   region_facts.c  /proc enrichment: a new region's file facts, madvise
 *                   file names, collapse tracepoint addresses (maps cache)
 *   bpf_targets.c   BPF map writes: the target pid, ranges and files, the
 *                   mm ids of ended processes
 *   preflight.c     capabilities, tracefs, the kernel's BTF
 *   trace_clock.h   the monotonic clock of records and samples
 * Internal to the trace command: only trace.c includes it. */
#ifndef THP_TRACER_H
#define THP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "input/decode.h"
#include "probe/kbtf.h"
#include "probe/loader.h"
#include "probe/probes.h"
#include "pipeline/pipeline.h"
#include "host/target.h"
#include "cli/trace.h"
#include "cli/trace_child.h"
#include "cli/trace_states.h"
#include "cli/trace_settings.h"
#include "cli/trace_snapshot.h"
#include "cli/region_facts.h"

struct ring_buffer;
struct thptrace_bpf;

#define POLL_MS 10
#define IDLE_POLL_MS 50
#define BATCH_MAX 4096

struct tracer {
	const struct trace_opts *o;
	/* Set up by trace_setup.c, freed by trace.c's cleanup(). */
	struct kbtf_job btf_job;	/* loading from preflight until setup_load_bpf */
	struct kbtf *btf;
	struct probe_set ps;
	struct loader ld;
	struct thptrace_bpf *skel;	/* ld.skel, once loaded; its maps written by bpf_targets.c */
	struct ring_buffer *rb;
	FILE *outf;
	/* The run loop's (trace.c): the one path to the sinks. */
	struct decoder dec;
	struct pipeline pl;		/* regions, sinks, summary counts */
	struct thp_event *batch;	/* one drain's events, put in time order */
	size_t n_batch, batch_cap;
	struct state_queue pending;	/* samples and lost counts for the next batch */
	struct run_summary sum;
	struct thp_context ctx;
	uint64_t lost_seen;
	uint64_t start_ns;
	int64_t wall_start_us;		/* the wall clock then (JSON "time") */
	bool target_gone;
	bool fault_filter;		/* faults recorded only where THP matters */
	uint64_t grace_end;		/* after a stop signal: wait for CMD until then */
	bool svg_failed;
	int sigfd;			/* SIGCHLD */
	/* The target; a spawned one moved along by trace_child.c. */
	struct target tgt;
	struct child child;		/* .tgt = &tgt */
	/* The sampler's own (trace_states.c): reads pl.rs, writes pending. */
	struct states st;
	/* trace_settings.c's THP knobs: writes pending. */
	struct trace_settings knobs;
	/* region_facts.c's cache of the target's /proc/PID/maps. */
	struct maps_cache maps;
	/* trace_snapshot.c's look at running processes (-p, -a): writes pending. */
	struct snapshots snap;
};

#endif
