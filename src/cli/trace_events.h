/* The live trace's events (trace_events.c), for the run loop (trace.c). */
#ifndef THP_TRACE_EVENTS_H
#define THP_TRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tracer;

/* The ring buffer's callback: one record decoded into the batch (a full
 * batch is processed first).  A process's exit retires its mm ids here. */
int trace_on_record(void *ctx, void *data, size_t size);

/* The batch and the samples waiting for it, sorted by time, through the
 * pipeline. */
void trace_process_batch(struct tracer *tr);

/* A drain: the ring buffer, the batch, the regions its events marked, the
 * lost count.  Returns ring_buffer__consume's result. */
int trace_drain(struct tracer *tr);

/* Page-state passes: every region (at the end); the regions not huge yet
 * (returns how many were sampled). */
void trace_sample_all(struct tracer *tr);
size_t trace_sample_pending(struct tracer *tr);

/* The THP knobs, when a look is due (or anyway): a change waits for the
 * next drain, like a sample. */
void trace_settings_check(struct tracer *tr, uint64_t now, bool anyway);

#endif
