/* THP knobs that change during a live run.  Read at the start (the
 * `context` line has those values), then again at most every
 * SETTINGS_POLL_NS: each knob whose value changed becomes one EV_SETTINGS
 * event, queued like the page-state samples into the run loop's
 * state_queue, which puts it in time order with the records.  Nothing here
 * feeds the pipeline or calls back into the run loop. */
#ifndef THP_TRACE_SETTINGS_H
#define THP_TRACE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/sysinfo.h"
#include "input/decode.h"
#include "cli/trace_states.h"

#define SETTINGS_POLL_NS 500000000ull	/* a handful of small sysfs reads, twice a second */

struct trace_settings {
	struct thp_knobs knobs;		/* and the values last seen */
	uint64_t next_ns;		/* the next look is due then (CLOCK_MONOTONIC) */
};

/* Read every knob now: the values the changes are measured against. */
void settings_start(struct trace_settings *s, uint64_t now);

/* Is a look due at now? */
static inline bool settings_due(const struct trace_settings *s, uint64_t now)
{
	return s->knobs.n && now >= s->next_ns;
}

/* Read every knob again; queue one EV_SETTINGS into q per knob that changed
 * (t from dec's clock).  Returns how many were queued. */
size_t settings_poll(struct trace_settings *s, const struct decoder *dec, struct state_queue *q);

void settings_free(struct trace_settings *s);

#endif
