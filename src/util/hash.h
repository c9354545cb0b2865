/* One 64-bit mixer for the open-addressing tables (regions' index, their
 * tombstones, mm ids): splitmix64's finalizer.  Consecutive keys (a
 * heap's regions, one after another) land far apart, where a plain
 * multiply left long runs of full slots. */
#ifndef THP_HASH_H
#define THP_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hash_mix64(uint64_t h)
{
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* The slot of (mm id, 2 MiB region start) in a table of cap (a power of
 * two) slots. */
static inline size_t hash_region_slot(uint32_t mm_id, uint64_t start, size_t cap)
{
	return (size_t)hash_mix64((start >> 21) ^ (uint64_t)mm_id << 43) & (cap - 1);
}

#endif
