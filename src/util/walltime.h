/* The wall-clock "time" of a JSON line, for log tools (lnav, Loki, jq):
 * the trace's start (UTC, µs since 1970) plus the line's trace time t, as
 * "2026-12-02T12:34:56.123456Z".  t counts as JSON prints it (6
 * decimals), so `report` of a saved line computes the same time again,
 * byte for byte. */
#ifndef THP_WALLTIME_H
#define THP_WALLTIME_H

#include <stdint.h>

#define WALLTIME_LEN 32

/* The time in out, or NULL when the start is unknown (<= 0) or t puts it
 * outside years 1970-9999. */
const char *walltime_at(int64_t wall_start_us, double t, char out[WALLTIME_LEN]);
/* The reverse, strictly of that shape: 0 and *us, or -1. */
int walltime_parse(const char *s, int64_t *us);

#endif
