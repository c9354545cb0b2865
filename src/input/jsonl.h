/* One saved JSON line (the live schema, sinks/out_json.c) back into what
 * it was: an event, the summary, the settings (context) or a region's file
 * facts.  Files from other machines and other versions come through here:
 * every key is checked for its type and range, and a line that does not
 * fit is refused with one reason.  Each line's "schema_version"
 * (sinks/json_schema.h) is checked: none is version 1 (traces from before
 * it existed), one above this build's is refused (JL_TOO_NEW).  No I/O. */
#ifndef THP_JSONL_H
#define THP_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/event.h"
#include "sinks/output.h"
#include "util/jsonr.h"

enum jsonl_line {
	JL_TOO_NEW = -2,	/* schema_version above THPTRACE_JSON_SCHEMA_VERSION: err says so;
				 * the trace is not to be read on */
	JL_ERROR = -1,		/* err says why */
	JL_SKIP = 0,		/* verdict, probe: recomputed or not for replay */
	JL_EVENT,		/* ev: an event; EV_CONTEXT (ev->ctx points into the reader) or EV_REGION_FILE included */
	JL_SUMMARY,		/* sum */
};

struct jsonl_reader {
	struct jsonr j, sub;
	struct thp_context ctx;		/* merged from every context line so far */
	uint64_t start_ns;		/* the context's start_ns: CLOCK_MONOTONIC at trace start */
	bool have_start;
	int64_t wall_start_us;		/* the opening context's "time" (0: none) */
};

void jsonl_init(struct jsonl_reader *jr);

/* Parse one line (without its newline; complete: it had one). */
enum jsonl_line jsonl_parse(struct jsonl_reader *jr, const char *line, size_t len, bool complete,
			    struct thp_event *ev, struct run_summary *sum, char *err, size_t errlen);

#endif
