/* The parts of the region collection that live in files of their own;
 * private to model/. */
#ifndef THP_REGIONS_PARTS_H
#define THP_REGIONS_PARTS_H

#include <stdbool.h>
#include <stdint.h>
#include "model/regions.h"

/* lives.c: where lives begin and end (mmap, munmap, mremap, mprotect, and
 * madvise advice that drops pages) */
const struct recent_map *lives_mapped_since(const struct regions *rs, uint32_t mm_id,
					    uint64_t start, double t);
bool lives_drops_pages(int advice);
struct region *lives_over_range(struct regions *rs, const struct thp_event *ev, uint64_t start,
				uint64_t len);
struct region *lives_feed_mapping(struct regions *rs, const struct thp_event *ev);

/* settings.c: the THP settings in force (EV_CONTEXT, EV_SETTINGS) */
void settings_feed_context(struct regions *rs, const struct thp_event *ev);
void settings_feed(struct regions *rs, const struct thp_event *ev);
struct thp_context settings_of_ended(const struct region *r, const struct regions *rs);

/* regions.c: one region's verdict, as regions_finish gives it (traced_s:
 * how long it was watched, where the end context has not said how long
 * the trace ran; < 0 none). */
void regions_judge(struct regions *rs, struct region *r, double traced_s);

/* region_index.c: region k (rs->v[k]) is new: index it (0, or -1 without
 * memory); the index again after regions left; the last life at (mm,
 * start), ended or not, or NULL.  The tombstone of (mm, start)'s last
 * life taken out, or NULL; r's, as it leaves; a process's, as it exits
 * (mm_id or pid; 0 each: none). */
int regions_index_add(struct regions *rs, size_t k);
void regions_reindex(struct regions *rs);
struct region *regions_last_life(struct regions *rs, uint32_t mm_id, uint64_t start);
const struct tomb *tombs_find(const struct regions *rs, uint32_t mm_id, uint64_t start);
void tombs_add(struct regions *rs, const struct region *r);
void tombs_drop(struct regions *rs, uint32_t mm_id, uint32_t pid);

/* regions_anon.c: anonymous memory's events, before they reach a region.
 * A fault is noted (its thread's last); anon_prepare gives in *out the event
 * to dispatch (a large allocation with its fault's address, a scan's address
 * when it is usable) and whether a region should be made for it (*create:
 * a huge page at a fault, a collapse); false when it waits (a collapse
 * without an address) or concerns no region. */
void anon_note_fault(struct regions *rs, const struct thp_event *ev);
bool anon_prepare(struct regions *rs, const struct thp_event *ev, struct thp_event *out, bool *create);
/* Before a state sample of r: a waiting collapse of its mm, if the sample
 * shows r PMD-mapped for the first time since, is r's (inferred). */
void anon_pending_apply(struct regions *rs, struct region *r, const struct thp_event *sample);
void anon_free(struct regions *rs);

#endif
