/* Regions grouped by the mapping they belong to: a heap of 16,384 regions
 * that all became huge at fault is one story, told once, and the few
 * regions whose verdict differs from their mapping's majority are the
 * exceptions worth reading.  Pure, like the rest of model/: built from the
 * regions once their verdicts are in (regions_finish), for every sink. */
#ifndef THP_MAPPINGS_H
#define THP_MAPPINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/regions.h"

/* How a region that ended huge got there. */
enum huge_how {
	HUGE_BEFORE = 0,		/* already PMD-mapped when tracing began (snapshot) */
	HUGE_AT_FAULT,			/* mapped by one PMD without a collapse: a fault */
	HUGE_KHUGEPAGED,		/* collapsed by khugepaged */
	HUGE_MADV_COLLAPSE,		/* collapsed by MADV_COLLAPSE */
	HUGE_HOW_MAX,
};

enum huge_how region_huge_how(const struct region *r);

/* From t on, `huge` of the mapping's regions were PMD-mapped. */
struct mapping_point {
	double t;
	uint32_t huge;
};

struct mapping {
	uint32_t mm_id, pid;
	uint64_t start, end;		/* the VMA where known, else the span of its regions */
	bool known;			/* start, end came from its mmap or smaps */
	char file[EV_FILE_LEN];		/* "" for anonymous memory */
	size_t n;			/* its regions (lives), members[0..n) */
	size_t *members;		/* indices into regions.v, in address order */
	size_t by_reason[VR_MAX];
	enum verdict_reason majority;	/* the most common verdict (ties: huge, then the lower) */
	size_t exceptions;		/* members whose verdict is not the majority */
	size_t huge_how[HUGE_HOW_MAX];	/* the huge members, by how */
	double huge_by;			/* the last huge member's latest PMD mapping; < 0: none */
	struct mapping_point *series;	/* PMD-mapped members over time, in time order */
	size_t n_series;
};

struct mappings {
	struct mapping *v;
	size_t n;
};

/* Group rs's regions: per process (mm id), regions of the same known
 * mapping together, and of mappings of one file (or anonymous memory)
 * that touch or overlap (the kernel merges such VMAs); regions whose
 * mapping is not known with the adjacent regions of the same file (2 MiB
 * apart), and with a known mapping that contains them.  Returns 0, or -1
 * when out of memory (out is then empty). */
int mappings_build(const struct regions *rs, struct mappings *out);
/* The same without the series (n_series 0): what text and JSON need; the
 * series is the SVG's, and takes a point per state change of every member. */
int mappings_build_summary(const struct regions *rs, struct mappings *out);
void mappings_free(struct mappings *ms);

/* Is r folded into its mapping (its verdict is the majority's)? */
static inline bool mapping_folds(const struct mapping *m, const struct region *r)
{
	return r->reason == m->majority;
}

#endif
