/* The SVG timeline: one lane per 2 MiB region, coloured by page state over
 * time, with markers for madvise, scans, collapses, PMD clears, refaults,
 * refused PMD mappings and exit, and each lane's verdict.  It only renders
 * what the region state machine holds (regions.h: r->chg, r->ms, r->reason,
 * r->ev) in the words of sinks/explain.h: it records nothing per event and
 * decides nothing, so live runs and `report` draw the same picture. */
#ifndef THP_SVG_H
#define THP_SVG_H

#include <stddef.h>
#include <stdint.h>
#include "model/mappings.h"
#include "model/regions.h"

/* What the picture needs besides the regions. */
struct svg_info {
	double t_end;		/* seconds the trace ran (the time axis ends there) */
	uint64_t lost;		/* records the ring buffer lost */
	/* by mapping: a lane per mapping (the share of its regions PMD-mapped
	 * over time) and the exceptions beneath it; NULL: a lane per region */
	const struct mappings *ms;
};

/* Draw rs (regions_finish done) into path; info may be NULL (nothing
 * lost, the axis ends at the last change or milestone).  Returns 0, or -1
 * with a one-line reason in err. */
int svg_write(const struct regions *rs, const struct svg_info *info, const char *path, char *err,
	      size_t errlen);

#endif
