/* Region lives: a life starts with a mapping and ends with its unmapping
 * (munmap, an mremap that moves it, an mmap over it); a syscall over part
 * of a region is the cause of what its page state shows next.  Pure, like
 * all of model/. */
#include <stdio.h>
#include "model/region.h"
#include "model/regions_parts.h"

/* The latest mapping seen over [start, start + 2 MiB) after t, or NULL. */
const struct recent_map *lives_mapped_since(const struct regions *rs, uint32_t mm_id,
					     uint64_t start, double t)
{
	const struct recent_map *best = NULL;

	for (size_t i = 0; i < sizeof(rs->maps) / sizeof(rs->maps[0]); i++) {
		const struct recent_map *m = &rs->maps[i];

		if (m->end && m->mm_id == mm_id && m->start < start + THP_REGION_SIZE &&
		    m->end > start && m->t >= t && (!best || m->t > best->t))
			best = m;
	}
	return best;
}

/* madvise advice that takes pages away (a PMD there is zapped or split):
 * MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_PAGEOUT, MADV_DONTNEED_LOCKED. */
bool lives_drops_pages(int advice)
{
	return advice == 4 || advice == 8 || advice == 9 || advice == 21 || advice == 24;
}

/* Does [start, end) take away all of r that its mapping held?  The whole
 * 2 MiB, or, where the mmap that began its life was seen, the part of the
 * region that mapping covered (a 4 MiB mapping that is not 2 MiB aligned
 * holds only part of its first and last regions). */
static bool covers_its_mapping(const struct regions *rs, const struct region *r, uint64_t start,
			       uint64_t end)
{
	uint64_t lo = r->start, hi = r->start + THP_REGION_SIZE;

	for (size_t i = 0; r->t_mapped >= 0 && i < sizeof(rs->maps) / sizeof(rs->maps[0]); i++) {
		const struct recent_map *m = &rs->maps[i];

		if (m->end && m->mm_id == r->mm_id && m->t == r->t_mapped && m->start < hi && m->end > lo) {
			lo = m->start > lo ? m->start : lo;
			hi = m->end < hi ? m->end : hi;
			break;
		}
	}
	return start <= lo && end >= hi;
}

/* A syscall of the target over [start, start + len): a region whose
 * mapping it takes away entirely ends its life where the syscall takes the mapping away (munmap,
 * mremap moving it, mmap over it); any other it covers records it as the
 * cause of what the page state shows next.  Returns the first region. */
struct region *lives_over_range(struct regions *rs, const struct thp_event *ev, uint64_t start,
				 uint64_t len)
{
	const uint64_t end = start + len;
	const bool takes_away = ev->kind == EV_MUNMAP || ev->kind == EV_MMAP ||
		(ev->kind == EV_MREMAP && (ev->fields & EVF_NEW_RANGE) && ev->new_addr != ev->addr);
	struct region *first = NULL;

	/* Each 2 MiB of the range by the index when that is cheaper than a
	 * walk over every region: a process maps and unmaps by the thousand,
	 * and a day of -a holds many regions.  (The walk meets regions in
	 * creation order, the lookups in address order: of several regions
	 * covered, the one returned, which the timeline names, may differ.) */
	const uint64_t first_start = start & THP_REGION_MASK;
	const uint64_t n_slots = end > first_start ? (end - first_start - 1) / THP_REGION_SIZE + 1 : 0;
	const bool by_index = ev->mm_id && n_slots <= rs->n;

	if (end < start)
		return NULL;
	for (size_t i = 0; i < (by_index ? n_slots : rs->n); i++) {
		struct region *r = by_index ? regions_find(rs, ev->mm_id, first_start + i * THP_REGION_SIZE)
					    : &rs->v[i];

		if (!r || r->ended || r->mm_id != ev->mm_id || r->start >= end ||
		    r->start + THP_REGION_SIZE <= start)
			continue;
		if (takes_away && covers_its_mapping(rs, r, start, end)) {
			region_unmapped(r, ev);
			r->ctx_unmapped = settings_intern(&rs->ctx);	/* its verdict's settings */
		} else
			region_cause(r, ev);
		if (!first)
			first = r;
	}
	return first;
}

static void remember_map(struct regions *rs, uint32_t mm_id, uint64_t start, uint64_t len, double t)
{
	const size_t n = sizeof(rs->maps) / sizeof(rs->maps[0]);

	rs->maps[rs->maps_next++ % n] = (struct recent_map){ mm_id, start, start + len, t };
}

struct region *lives_feed_mapping(struct regions *rs, const struct thp_event *ev)
{
	struct region *r;

	if ((ev->fields & EVF_RET) && ev->ret != 0)
		return NULL;	/* failed: nothing changed */
	r = lives_over_range(rs, ev, ev->addr, ev->len);
	if (ev->kind == EV_MMAP)
		remember_map(rs, ev->mm_id, ev->addr, ev->len, ev->t);
	else if (ev->kind == EV_MREMAP && (ev->fields & EVF_NEW_RANGE) && ev->new_addr != ev->addr)
		remember_map(rs, ev->mm_id, ev->new_addr, ev->new_len, ev->t);
	return r;
}

