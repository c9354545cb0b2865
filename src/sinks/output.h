/* Sinks: every way thptrace prints events, verdicts and the summary.  Text
 * for people, JSON Lines for machines; both render only what struct
 * thp_event carries, so a replay of saved JSON prints the same text. */
#ifndef THP_OUTPUT_H
#define THP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/event.h"
#include "model/mappings.h"
#include "model/regions.h"

struct run_summary {
	double t;			/* seconds traced */
	uint64_t counts[EV_KIND_MAX];
	uint64_t lost;
	int exit_status;		/* of the traced command, -1 if none */
	char stop_reason[32];		/* "target exited", "duration", "signal", "end of input" */
	int64_t faults_unrecorded;	/* faults the relevance filter only counted; -1: no filter */
};

/* Text output folds the hundreds of faults a region takes into its first
 * fault and map_pages line plus one count line: a person reads the story,
 * JSON keeps every event. */
struct fault_group {
	bool open;
	uint32_t pid;
	uint64_t region;
	uint64_t more_faults, more_map_pages;
	bool seen_fault, seen_map_pages;
	double last_t;
};

/* By mapping (the default), the timeline shows the first few lines of
 * each kind per file (or anonymous memory) of each process and counts the
 * rest: a heap of 16,384 regions is not 16,384 lines of the same story. */
#define MAPPING_FOLDS 256		/* (mapping, kind) pairs counted; past it lines show */
#define MAPPING_FOLD_SHOWN 3

struct mapping_fold {
	bool used;
	uint32_t mm_id;
	uint64_t file_key;		/* a hash of the region's file ("" anonymous) */
	char what[64];			/* that file (its start), or "anonymous memory" */
	enum ev_kind kind;
	unsigned shown;
	uint64_t folded;
	double last_t;
};

struct output {
	FILE *f;
	bool json;
	bool color;
	bool all_faults;		/* text: print every fault, no folding */
	bool by_region;			/* text: every region's verdict, no folding by mapping */
	bool header_done;
	struct fault_group group;
	struct mapping_fold folds[MAPPING_FOLDS];
	int err;			/* errno of the first failed write (EPIPE...) */
	/* JSON "time": the wall clock at the trace's start (from its
	 * context line; 0 unknown: no "time"), and the latest event's t,
	 * the time of the lines that are no event (verdicts, mappings) */
	int64_t wall_start_us;
	double now_t;
};

void output_init(struct output *o, FILE *f, bool json, bool color);
/* The output goes on in f (a reopened file): text starts with its header
 * again; folds and groups go on. */
void output_reopened(struct output *o, FILE *f);
/* One event; r is the region it concerns (NULL: none), for folding. */
void output_event(struct output *o, const struct thp_event *ev, const struct region *r);
/* Print what text folding still holds (called before verdicts and summary). */
void output_flush_group(struct output *o);
/* The verdicts: JSON every region's and a `mapping` line per mapping;
 * text by mapping (ms) or, with by_region, every region's. */
void output_verdicts(struct output *o, const struct regions *rs, const struct mappings *ms);
void output_summary(struct output *o, const struct run_summary *s);

/* JSON only: the machine facts and per-region file facts the verdicts
 * used, so that `report` can rebuild the same verdicts elsewhere. */
void output_context(struct output *o, const struct thp_context *ctx, uint64_t start_ns,
		    int64_t wall_start_us, bool at_end);
void output_region_file(struct output *o, const struct thp_event *ev);	/* EV_REGION_FILE */

/* Text sink */
void text_header(FILE *f);
void text_event(FILE *f, const struct thp_event *ev, bool color);
void text_verdicts(FILE *f, const struct regions *rs);
/* One region's block: its heading and its lives' verdicts. */
void text_region(FILE *f, const struct regions *rs, const struct region *r);
void text_mappings(FILE *f, const struct regions *rs, const struct mappings *ms);
/* By-mapping folding of the timeline (out_mappings.c): true when ev is
 * counted rather than printed; the counts, once at the end. */
bool fold_by_mapping(struct output *o, const struct thp_event *ev, const struct region *r);
void fold_by_mapping_flush(struct output *o);
void text_summary(FILE *f, const struct run_summary *s);

/* JSON Lines sink: each writes one line; time is its "time" (util/walltime.h),
 * or NULL for none. */
void json_event(FILE *f, const struct thp_event *ev, const char *time);
void json_verdict(FILE *f, const struct region *r, const char *time);
void json_mapping(FILE *f, const struct mapping *m, const char *time);
void json_summary(FILE *f, const struct run_summary *s, const char *time);
void json_context(FILE *f, const struct thp_context *ctx, uint64_t start_ns, bool at_end, const char *time);
void json_region_file(FILE *f, const struct thp_event *ev, const char *time);

#endif
