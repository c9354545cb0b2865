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
	unsigned expect;		/* --expect: the verdicts allowed (expect_bit()s), 0: no gate */
	FILE *expect_out;		/* ... where an unexpected verdict is said (NULL: stderr) */
};

struct pipeline {
	struct regions rs;		/* what is alive */
	struct regions kept;		/* with an SVG to draw: the regions already written */
	struct output out;
	const char *svg_path;
	struct run_summary counted;	/* counts and lost, from the events */
	double last_t;			/* the latest event's t */
	bool stream;			/* the context says streaming: write verdicts as stories end */
	double next_sweep_t;		/* when to look for lives that ended again */
	size_t written;			/* regions whose verdict was written */
	unsigned expect;
	FILE *expect_out;
	size_t unexpected;		/* regions whose verdict --expect did not allow */
};

/* Streaming (-a and -p: the context line says "streaming"): a process's
 * regions are written when it exits; a life that ended (unmapped) is
 * judged and written this long after, so that what the kernel does right
 * after an unmapping (a deferred split, the file facts of a short life)
 * still reaches it.  A day of `-a` holds only what is alive.  A CMD's
 * trace writes every verdict at the end, when khugepaged's full scans
 * over the whole run are known. */
#define PIPELINE_ENDED_GRACE_S 1.0

void pipeline_init(struct pipeline *p, FILE *f, const struct pipeline_opts *o);
void pipeline_free(struct pipeline *p);

/* One event, in time order: the regions, then the sinks.  EV_CONTEXT and
 * EV_REGION_FILE are facts for the regions, written to JSON only.  When
 * streaming, a process's exit writes its regions' verdicts (and mappings)
 * and frees them; so does, PIPELINE_ENDED_GRACE_S later, a life's end.
 * Returns the region the event touched, or NULL (also when the event
 * retired it: do not keep the pointer past the next event). */
const struct region *pipeline_event(struct pipeline *p, const struct thp_event *ev);

/* --expect: the verdicts allowed, as a bit per enum verdict_reason. */
static inline unsigned expect_bit(enum verdict_reason r)
{
	return 1u << (unsigned)r;
}

/* Parse "huge,split" into a mask of expect_bit()s.  Returns 0 and sets
 * *mask, or -1 with the unknown name in bad. */
int expect_parse(const char *list, unsigned *mask, char *bad, size_t badlen);

/* With opts.expect: how many regions ended with a verdict not in it (so
 * far; all of them after pipeline_finish).  Each was said as it was
 * written, one line on opts.expect_out ("thptrace: --expect: 0x...:
 * split: why"). */
size_t pipeline_unexpected(const struct pipeline *p);

/* What was counted so far (a live run's summary starts from it). */
const struct run_summary *pipeline_counted(const struct pipeline *p);

/* The end: the verdicts not written yet, the summary (sum, or what was counted when NULL),
 * the SVG.  Returns 0, or -1 with a one-line reason in err when the SVG
 * could not be written; a failed write of the output is p->out.err. */
int pipeline_finish(struct pipeline *p, const struct run_summary *sum, char *err, size_t errlen);

#endif
