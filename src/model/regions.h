/* Region state machine: every event, in time order, goes through here; at
 * the end each 2 MiB region has its milestones, its page-state intervals
 * and one verdict with its evidence, all as data.  Pure: no BPF, no /proc,
 * no I/O, so live runs, `report` replays and unit tests all give the same
 * verdicts for the same events.  Machine facts (THP knobs, a region's
 * backing file) arrive as events too (EV_CONTEXT, EV_REGION_FILE).
 * Sinks render what is here (sinks/explain.c words it); none decides. */
#ifndef THP_REGIONS_H
#define THP_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/event.h"
#include "model/region.h"
#include "model/settings.h"

struct regions {
	struct region *v;
	size_t n, cap;
	struct thp_context ctx;		/* the last EV_CONTEXT's settings, as EV_SETTINGS changed them */
	unsigned knobs_changed;		/* which of them an EV_SETTINGS changed (regions.c's bits) */
	bool mm_scanned[64];		/* khugepaged scanned mm id i (i < 64) */
	bool saw_scan_any;
	bool saw_collapse_file;		/* a collapse_file event came: it is observable */
	/* Private to regions.c: recent events that matched no region yet,
	 * replayed when a region appears (a MADV_COLLAPSE's own collapse comes
	 * before its madvise exit event), and region_file facts whose region
	 * does not exist yet. */
	struct thp_event *orphans;
	size_t n_orphans, orphan_next;
	struct thp_event *pending_files;
	size_t n_pending_files, cap_pending_files;
	uint32_t *index;		/* (mm, start) -> latest life, see regions.c */
	size_t index_cap;
	size_t dropped_regions;		/* not tracked: more than REGIONS_MAX */
	/* Recent mappings (mmap, mremap's new range): a region created later
	 * inside one started its life then. */
	struct recent_map {
		uint32_t mm_id;
		uint64_t start, end;
		double t;
	} maps[32];
	size_t maps_next;
};

/* At most this many regions (lives) are tracked; what comes past it is
 * counted in dropped_regions and said in the report.  Each is about 11 KiB. */
#define REGIONS_MAX 16384

void regions_init(struct regions *rs);
void regions_free(struct regions *rs);

/* Feed one event.  Returns the region the event touched (created if needed),
 * or NULL when the event concerns no region.  Events must come in time order. */
struct region *regions_feed(struct regions *rs, const struct thp_event *ev);

/* The current life of (mm_id, start), or NULL (none, or only ended ones). */
struct region *regions_find(struct regions *rs, uint32_t mm_id, uint64_t start);

/* Its last life, ended or not, or NULL. */
const struct region *regions_last_life(struct regions *rs, uint32_t mm_id, uint64_t start);

/* Does an event's file name the region's file?  Tracepoints name a file by
 * its dentry only, possibly cut short by the BPF record; a region's file is
 * the mapping's path, maybe ending in " (deleted)". */
bool regions_same_file(const char *region_file, const char *ev_file);

/* Compute every region's verdict, with the settings the EV_CONTEXT events
 * gave (all unknown without one) as EV_SETTINGS changed them: those in force
 * at the end, or for a life that ended (unmapped), those in force then. */
void regions_finish(struct regions *rs);

#endif
