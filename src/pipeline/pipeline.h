/* The one path from a decoded event to the region state machine, the sinks
 * and the summary.  The live tracer (cli/trace.c) and `report` (replaying
 * saved JSON Lines) both feed it, so for the same events they print the
 * same text and JSON and draw the same SVG, byte for byte. */
#ifndef THP_PIPELINE_H
#define THP_PIPELINE_H

#include <stdbool.h>
#include <stdio.h>
#include "model/event.h"
#include "model/regions.h"
#include "sinks/output.h"

struct pipeline_opts {
	bool json;			/* JSON Lines, else text */
	bool color;			/* text: colours (a terminal) */
	bool all_faults;		/* text: every fault line, no folding */
	bool by_region;			/* text and SVG: every region, not grouped by mapping */
	const char *svg_path;		/* also draw the SVG there at the end, or NULL */
};

struct pipeline {
	struct regions rs;
	struct output out;
	const char *svg_path;
	struct run_summary counted;	/* counts and lost, from the events */
	double last_t;			/* the latest event's t */
};

void pipeline_init(struct pipeline *p, FILE *f, const struct pipeline_opts *o);
void pipeline_free(struct pipeline *p);

/* One event, in time order: the regions, then the sinks.  EV_CONTEXT and
 * EV_REGION_FILE are facts for the regions, written to JSON only.
 * Returns the region the event touched, or NULL. */
const struct region *pipeline_event(struct pipeline *p, const struct thp_event *ev);

/* --expect: the verdicts allowed, as a bit per enum verdict_reason. */
static inline unsigned expect_bit(enum verdict_reason r)
{
	return 1u << (unsigned)r;
}

/* Parse "huge,split" into a mask of expect_bit()s.  Returns 0 and sets
 * *mask, or -1 with the unknown name in bad. */
int expect_parse(const char *list, unsigned *mask, char *bad, size_t badlen);

/* After pipeline_finish: each region whose verdict is not in mask, one
 * line on f ("thptrace: --expect: 0x...: split: why").  Returns how many. */
size_t pipeline_expect(const struct pipeline *p, unsigned mask, FILE *f);

/* What was counted so far (a live run's summary starts from it). */
const struct run_summary *pipeline_counted(const struct pipeline *p);

/* The end: verdicts, the summary (sum, or what was counted when NULL),
 * the SVG.  Returns 0, or -1 with a one-line reason in err when the SVG
 * could not be written; a failed write of the output is p->out.err. */
int pipeline_finish(struct pipeline *p, const struct run_summary *sum, char *err, size_t errlen);

#endif
