/* The SVG timeline: one lane per 2 MiB region, coloured by page state over
 * time, with markers for madvise, scans, collapses, PMD clears and refaults,
 * and each lane's verdict.  Fed the same events as the other sinks, so live
 * runs and `report` draw the same picture. */
#ifndef THP_SVG_H
#define THP_SVG_H

#include <stddef.h>
#include "model/event.h"
#include "model/regions.h"

struct svg_trace;

struct svg_trace *svg_trace_new(void);
void svg_trace_free(struct svg_trace *s);

/* Record one event (after regions_feed has seen it). */
void svg_trace_event(struct svg_trace *s, const struct thp_event *ev);

/* Draw everything recorded, with rs's verdicts (regions_finish done), into
 * path.  Returns 0, or -1 with a one-line reason in err. */
int svg_trace_write(struct svg_trace *s, const struct regions *rs, const char *path, char *err,
		    size_t errlen);

#endif
