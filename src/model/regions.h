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
#include "util/idset.h"

struct regions {
	struct region *v;
	size_t n, cap;
	struct thp_context ctx;		/* the last EV_CONTEXT's settings, as EV_SETTINGS changed them */
	unsigned knobs_changed;		/* which of them an EV_SETTINGS changed (regions.c's bits) */
	struct idset mm_scanned;	/* mm ids khugepaged scanned */
	struct idset retired;		/* mm ids whose process exited: later events are not theirs */
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
	struct region_slot {		/* (mm, start) -> latest life, see regions.c */
		uint64_t start;
		uint32_t mm_id;
		uint32_t k;		/* v[k - 1]; 0: empty */
	} *index;
	size_t index_cap;
	size_t max_regions;		/* at most this many alive (REGIONS_MAX; tests set fewer) */
	size_t dropped_regions;		/* not tracked: more than max_regions */
	size_t retired_regions;		/* taken out by regions_take: judged, written, freed */
	/* Lives already taken out (regions_take): their address's last life
	 * number and end, for the next life there.  Private to model/. */
	struct tomb {
		bool used;
		uint32_t mm_id, pid;
		int32_t life;
		uint64_t start;
		double t_unmapped;
	} *tombs;
	size_t n_tombs, tombs_cap;
	/* Recent mappings (mmap, mremap's new range): a region created later
	 * inside one started its life then. */
	struct recent_map {
		uint32_t mm_id;
		uint64_t start, end;
		double t;
	} maps[32];
	size_t maps_next;
	/* Private to regions_anon.c: each thread's last fault (a large
	 * allocation right after it was for it), and anonymous collapses that
	 * came without a usable address, waiting for a region of their mm to
	 * become PMD-mapped. */
	struct anon_fault {
		uint32_t pid;
		uint64_t addr;
		double t;
		/* a 2 MiB allocation of the thread after that fault but
		 * past the window, or with no fault seen (t < 0: the
		 * filter counted it): its do_huge_pmd_anonymous_page's
		 * return (the same fault, whatever the delay) claims it */
		bool late_pmd_alloc;
		double late_alloc_t;
		int32_t late_alloc_ret;
	} anon_faults[16];
	size_t anon_faults_next;
	struct thp_event *anon_pending;	/* ANON_PENDING_MAX, allocated when first needed */
	size_t n_anon_pending;
};

/* At most this many regions (lives) are tracked at once; what comes past
 * it is counted in dropped_regions and said in the report.  A region whose
 * story is over leaves (regions_take), so this bounds what is alive. */
#define REGIONS_MAX 262144

void regions_init(struct regions *rs);
void regions_free(struct regions *rs);

/* Feed one event.  Returns the region the event touched (created if needed),
 * or NULL when the event concerns no region.  Events must come in time order. */
struct region *regions_feed(struct regions *rs, const struct thp_event *ev);

/* The current life of (mm_id, start), or NULL (none, or only ended ones). */
struct region *regions_find(struct regions *rs, uint32_t mm_id, uint64_t start);


/* Did khugepaged scan mm id mm_id? */
static inline bool regions_mm_scanned(const struct regions *rs, uint32_t mm_id)
{
	return idset_has(&rs->mm_scanned, mm_id);
}

/* Does an event's file name the region's file?  Tracepoints name a file by
 * its dentry only, possibly cut short by the BPF record; a region's file is
 * the mapping's path, maybe ending in " (deleted)". */
bool regions_same_file(const char *region_file, const char *ev_file);

/* Did (mm_id, start) have a life, still held or already taken out? */
bool regions_had_life(const struct regions *rs, uint32_t mm_id, uint64_t start);

/* Streaming verdicts.  Move into out (regions_init'ed; it may hold earlier
 * ones) the regions whose story is over, each judged first (its verdict
 * as regions_finish would give it): every life of mm_id (its process
 * exited; 0: none) or of pid (its earlier mms, before an exec; 0: none),
 * and every life that ended (unmapped) at or before t_ended (< 0: none).
 * out keeps their order; rs keeps only a tombstone of each ended life
 * (its life number), and of mm_id nothing: later events of mm_id are
 * ignored, as the kernel may give its mm_struct to a new process.
 * Returns how many were taken. */
size_t regions_take(struct regions *rs, uint32_t mm_id, uint32_t pid, double t_ended,
		    struct regions *out);
size_t regions_take_ended(struct regions *rs, double t_ended, struct regions *out);

/* Move in's regions to the end of out (in is left empty): 0, or -1 when
 * out of memory.  The live run keeps what it took for the SVG this way. */
int regions_append(struct regions *out, struct regions *in);

/* Compute every region's verdict, with the settings the EV_CONTEXT events
 * gave (all unknown without one) as EV_SETTINGS changed them: those in force
 * at the end, or for a life that ended (unmapped), those in force then. */
void regions_finish(struct regions *rs);

#endif
