/* What /proc adds to the live trace's events: a new region's backing file
 * (its EV_REGION_FILE event), the file a madvise names, and the collapse
 * tracepoint's address checked against the target's mappings.  Nothing here
 * feeds the pipeline: the run loop (trace.c) does, with what this fills. */
#ifndef THP_REGION_FACTS_H
#define THP_REGION_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "host/procmaps.h"
#include "model/event.h"
#include "model/regions.h"

/* The last /proc/PID/maps read, of pid.  It is kept: a process that exits
 * before its events are drained (-p gives no exit stop) is still described
 * by what it had mapped. */
struct maps_cache {
	struct map_list maps;
	pid_t pid;
	bool fresh;		/* read during the current drain */
};

/* A new drain (or a new mm): read the maps again when next asked. */
static inline void maps_cache_stale(struct maps_cache *mc)
{
	mc->fresh = false;
}

/* A fresh read of pid's mappings, kept in the cache; NULL if it failed. */
const struct map_list *maps_cache_read(struct maps_cache *mc, pid_t pid);
void maps_cache_free(struct maps_cache *mc);

/* r was seen for the first time, by the event `by`: fe gets its backing
 * file's facts, as an EV_REGION_FILE event (JSON keeps them for `report`). */
void region_facts_file(const struct region *r, const struct thp_event *by, struct thp_event *fe);

/* EV_MADVISE: name the file mapped at its address. */
void region_facts_madvise(struct maps_cache *mc, struct thp_event *ev);
/* EV_COLLAPSE_FILE without an address (collapse_file before 5.19 has
 * none): the target's mapping of its file (device, inode) at its pgoff
 * gives it. */
void region_facts_collapse_addr(struct maps_cache *mc, struct thp_event *ev);
/* EV_COLLAPSE_FILE: the address as above; from the tracepoint, check its
 * address and set its pgoff. */
void region_facts_collapse_tp(struct maps_cache *mc, struct thp_event *ev);

/* An anonymous scan's guessed address (the scan_pmd tracepoint's folio
 * index): kept only when it lies in an anonymous mapping of the target,
 * else dropped (the model then waits for the region to become huge). */
void region_facts_anon_addr(struct maps_cache *mc, struct thp_event *ev);

#endif
