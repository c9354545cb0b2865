/* One region's life, event by event: what each kind of event does to the
 * region it concerns (regions.c finds which one).  Private to model/. */
#ifndef THP_REGION_H
#define THP_REGION_H

#include <stdbool.h>
#include <string.h>
#include "model/regions.h"

#define MADV_HUGEPAGE_NR 14
#define MADV_NOHUGEPAGE_NR 15
#define MADV_COLLAPSE_NR 25

static inline bool ev_is_khugepaged(const struct thp_event *ev)
{
	return strncmp(ev->comm, "khugepaged", 10) == 0;
}

/* The process whose memory an event is about. */
static inline uint32_t ev_target(const struct thp_event *ev)
{
	return ev->target_pid ? ev->target_pid : ev->tgid;
}

void region_init(struct region *r, uint32_t mm_id, uint32_t pid, uint64_t start);

/* An event that never creates a region, applied to one it concerns: scans,
 * collapses, PMD clears, faults, map_pages, do_set_pmd, the exit. */
void region_apply(struct region *r, const struct thp_event *ev);

/* A page-state sample of r (EV_STATE). */
void region_sample(struct region *r, const struct thp_event *ev);

/* A madvise that covered r: huge (MADV_HUGEPAGE / MADV_COLLAPSE) or not
 * (MADV_NOHUGEPAGE), succeeded (ok) or not. */
void region_madvise(struct region *r, const struct thp_event *ev, bool huge, bool ok);

/* Its life: a mapping made at t (mmap, mremap), a syscall of the target
 * over it (a split or zap seen after it is put down to it), its end
 * (munmap, mremap away, mmap over it). */
void region_mapped_at(struct region *r, double t);
void region_cause(struct region *r, const struct thp_event *ev);
void region_unmapped(struct region *r, const struct thp_event *ev);

/* The backing file's facts (EV_REGION_FILE). */
void region_file_facts(struct region *r, const struct thp_event *ev);

/* scan_file's result is collapse_file's (the scan calls it): where no
 * collapse_file event came in the whole trace (6.1 without kprobes or BPF
 * JIT: no probe, and no tracepoint before 6.2), a successful scan stands
 * for the collapse.  Called once no event is left. */
void region_collapse_from_scan(struct region *r);

/* Once no event is left: milestones and changes in time order, the final
 * state (sampled, else inferred). */
void region_end(struct region *r);

#endif
