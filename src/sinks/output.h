/* Sinks: every way thptrace prints events, verdicts and the summary.  Text
 * for people, JSON Lines for machines; both render only what struct
 * thp_event carries, so a replay of saved JSON prints the same text. */
#ifndef THP_OUTPUT_H
#define THP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/event.h"
#include "model/regions.h"

struct run_summary {
	double t;			/* seconds traced */
	uint64_t counts[EV_KIND_MAX];
	uint64_t lost;
	int exit_status;		/* of the traced command, -1 if none */
	char stop_reason[32];		/* "target exited", "duration", "signal", "end of input" */
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

struct output {
	FILE *f;
	bool json;
	bool color;
	bool all_faults;		/* text: print every fault, no folding */
	bool header_done;
	struct fault_group group;
	int err;			/* errno of the first failed write (EPIPE...) */
};

void output_init(struct output *o, FILE *f, bool json, bool color);
void output_event(struct output *o, const struct thp_event *ev);
/* Print what text folding still holds (called before verdicts and summary). */
void output_flush_group(struct output *o);
void output_verdicts(struct output *o, const struct regions *rs);
void output_summary(struct output *o, const struct run_summary *s);

/* JSON only: the machine facts and per-region file facts the verdicts
 * used, so that `report` can rebuild the same verdicts elsewhere. */
void output_context(struct output *o, const struct thp_context *ctx, uint64_t start_ns,
		    bool at_end);
void output_region_file(struct output *o, const struct thp_event *ev);	/* EV_REGION_FILE */

/* Text sink */
void text_header(FILE *f);
void text_event(FILE *f, const struct thp_event *ev, bool color);
void text_verdicts(FILE *f, const struct regions *rs);
void text_summary(FILE *f, const struct run_summary *s);

/* JSON Lines sink: each writes one line. */
void json_event(FILE *f, const struct thp_event *ev);
void json_verdict(FILE *f, const struct region *r);
void json_summary(FILE *f, const struct run_summary *s);
void json_context(FILE *f, const struct thp_context *ctx, uint64_t start_ns, bool at_end);
void json_region_file(FILE *f, const struct thp_event *ev);

#endif
