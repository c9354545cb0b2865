/* A set of small ids (mm ids: they only grow), one bit each, grown on
 * demand: a bit for each process ever seen, 125 KiB for a million. */
#ifndef THP_IDSET_H
#define THP_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct idset {
	uint64_t *w;
	size_t n;			/* words */
};

static inline bool idset_has(const struct idset *s, uint32_t id)
{
	return id / 64 < s->n && (s->w[id / 64] >> (id % 64)) & 1;
}

/* Returns 0, or -1 when out of memory (the id is then not in the set). */
static inline int idset_add(struct idset *s, uint32_t id)
{
	size_t k = id / 64;

	if (k >= s->n) {
		size_t n = k * 2 + 1;
		uint64_t *w = realloc(s->w, n * sizeof(*w));

		if (!w)
			return -1;
		memset(w + s->n, 0, (n - s->n) * sizeof(*w));
		s->w = w;
		s->n = n;
	}
	s->w[k] |= 1ull << (id % 64);
	return 0;
}

static inline void idset_free(struct idset *s)
{
	free(s->w);
	s->w = NULL;
	s->n = 0;
}

#endif
