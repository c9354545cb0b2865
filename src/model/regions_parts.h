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

#endif
