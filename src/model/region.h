/* One 2 MiB region's life, as data: its milestones, its page-state
 * changes, its verdict and the evidence for it; and what each kind of event
 * does to it (region.c; regions.c finds which region an event concerns,
 * verdict.c chooses the verdict).  Sinks read these types; the functions
 * below the types are the model's own. */
#ifndef THP_REGION_H
#define THP_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "model/eligibility.h"
#include "model/event.h"
#include "model/settings.h"

enum verdict_reason {
	VR_UNKNOWN = 0,
	VR_HUGE,			/* PMD-mapped THP at the end */
	VR_NOT_SCANNED,			/* khugepaged never scanned this mm */
	VR_NOT_ELIGIBLE,		/* the kernel would not make it huge: blockers */
	VR_SCAN_FAILED,			/* scan/collapse ran and failed: result name */
	VR_COLLAPSED_NOT_REFAULTED,	/* collapsed, PMD cleared, never touched again */
	VR_REFAULTED_AS_PTE,		/* collapsed, refault mapped small pages */
	VR_NOT_COLLAPSED,		/* scanned, no failure seen, still small pages */
	VR_SPLIT,			/* PMD-mapped, then split into small pages */
	VR_ZAPPED,			/* PMD-mapped, then its PMD was zapped (nothing present) */
	VR_UNMAPPED_EARLY,		/* unmapped before khugepaged or a collapse got to it */
	VR_UNTOUCHED,			/* nothing of it was ever present: nothing to make huge */
	VR_FAULT_FALLBACK,		/* anonymous: faulted in while eligible, got small pages */
	VR_MTHP,			/* anonymous: backed by multi-size THP folios smaller than 2 MiB */
	VR_MAX,
};

const char *verdict_reason_name(enum verdict_reason r);
enum verdict_reason verdict_reason_from_name(const char *s);

/* Who did a scan or collapse. */
enum actor {
	ACT_NONE = 0,
	ACT_KHUGEPAGED,
	ACT_MADV_COLLAPSE,		/* the process itself, in madvise(MADV_COLLAPSE) */
};

/* What happened to a region, in the words of its verdict's "what". */
enum ms_kind {
	MS_MADVISED = 0,		/* MADV_HUGEPAGE / MADV_COLLAPSE succeeded */
	MS_MADVISE_FAILED,
	MS_NOHUGEPAGE,
	MS_SCANNED,
	MS_COLLAPSE,
	MS_PMD_CLEARED,
	MS_UNMAPPED,			/* not present any more, cause not known (yet) */
	MS_REFAULT,
	MS_PMD_MAPPED,
	MS_PTE_MAPPED,
	MS_PMD_REFUSED,
	MS_EXIT,
	MS_MAPPED,			/* the life began: mmap (or mremap) put a mapping here */
	MS_UNMAP,			/* the life ended: munmap, mremap away, mmap over it */
	MS_SPLIT,			/* the PMD mapping became small pages */
	MS_ZAPPED,			/* the PMD mapping went away, nothing present */
	MS_MIGRATION,			/* the PMD became a migration entry: the huge page is being moved */
	MS_MIGRATED,			/* PMD-mapped again, to the moved huge page */
	MS_FOLIO_SPLIT,			/* the huge folio itself divided (or a failed try: ret) */
	MS_DEFERRED_SPLIT,		/* partly unmapped: queued to be divided later */
	MS_SNAPSHOT,			/* what it was when tracing began (attached to a running process) */
	MS_FAULT_ALLOC,			/* a fault allocated a large folio (ret: its order) or failed to */
	MS_FAULT_FALLBACK,		/* a fault got small pages where it could have had a huge page */
	MS_KIND_MAX,
};

/* How a milestone was seen: selects its wording, and tells the verdict
 * which evidence it has. */
enum ms_how {
	HOW_NONE = 0,
	HOW_FIRST_SCAN,			/* scanned: khugepaged's first scan_file (present, swap) */
	HOW_REACHED,			/* scanned: implied by khugepaged's collapse event */
	HOW_RETRACT,			/* pmd_cleared: retract_page_tables */
	HOW_PMDP_FLUSH,			/* pmd_cleared: pmdp_collapse_flush */
	HOW_PAGEMAP,			/* a page-state sample */
	HOW_PAGEMAP_AFTER_COLLAPSE,	/* pmd_cleared: sampled none after the collapse */
	HOW_PAGEMAP_COLLAPSE_CLEARED,	/* pmd_cleared: an "unmapped" the collapse explained */
	HOW_FAULT,			/* refault: a user page fault */
	HOW_MAP_PAGES,			/* refault: fault-around */
	HOW_SET_PMD,			/* pmd_mapped: do_set_pmd from a fault */
	HOW_SET_PMD_IN_COLLAPSE,	/* pmd_mapped: do_set_pmd by the collapse itself */
	HOW_REFAULT_SMALL,		/* pte_mapped: the refault after a collapse mapped small pages */
	HOW_MAPPED_SMALL,		/* pte_mapped: first mapped with small pages */
	HOW_SYSCALL,			/* mapped, unmap: the syscall (in cause) did it */
	HOW_SCAN_FILE,			/* collapse: a successful scan_file stands for it */
	HOW_OBSERVED,			/* split, zapped: a function probe saw it */
	HOW_SNAPSHOT,			/* a state change: the snapshot at attach */
	HOW_ANON_SCAN,			/* scanned: an anonymous scan (present: referenced, swap: none_or_zero) */
	HOW_ANON_INFERRED,		/* collapse: an anonymous collapse without an address, placed on
					 * the region of that mm that became PMD-mapped next (inferred) */
	HOW_PAGE_ALLOC,			/* fault_alloc: kmem:mm_page_alloc in the faulting thread */
	HOW_HUGE_FAULT,			/* fault_alloc: do_huge_pmd_anonymous_page's result */
	HOW_COLLAPSE_MAPPED,		/* pmd_mapped: an anonymous collapse mapped its huge page itself */
};

/* How a region that ended huge got its huge page (verdict evidence). */
enum became_huge {
	BH_UNKNOWN = 0,
	BH_FAULT,			/* a fault allocated it */
	BH_KHUGEPAGED,			/* khugepaged collapsed it */
	BH_MADV_COLLAPSE,		/* the process's MADV_COLLAPSE collapsed it */
	BH_BEFORE_TRACE,		/* PMD-mapped when tracing began */
};

/* Why a fault that could have had a huge page got small pages. */
enum fallback_cause {
	FB_UNKNOWN = 0,
	FB_CGROUP_CHARGE,		/* the memory cgroup's limit refused the 2 MiB charge */
	FB_NO_COMPACTION,		/* no free 2 MiB block, and defrag did not let the fault compact */
	FB_ALLOC_FAILED,		/* no free 2 MiB block, even after compaction */
	FB_NOT_TRIED,			/* no huge allocation was tried (counters did not move) */
};

/* What told the fallback's cause. */
enum fallback_from {
	FF_NONE = 0,
	FF_PAGE_ALLOC,			/* the fault's own 2 MiB allocation (kmem:mm_page_alloc) */
	FF_COUNTERS,			/* the system-wide PMD fault counters' rise */
};

#define REGION_MAX_MILESTONES 64
#define REGION_MAX_CHANGES 64

struct milestone {			/* (ordered by size: no padding inside) */
	double t;			/* seconds since start */
	const char *result;		/* scanned, collapse: the kernel's result name ("" none; shared) */
	int64_t split_pmd_delta;	/* split, zapped inferred: /proc/vmstat thp_split_pmd's rise, -1: not read */
	double vmstat_since_t;		/* ... since this sample time */
	int64_t ret;			/* madvise_failed, pmd_refused, migration, folio_split */
	uint64_t addr;			/* refault (HOW_FAULT); unmap by mremap: the new address */
	double cause_t;			/* mapped, unmap, split, zapped: when the cause's syscall returned */
	char comm[EV_COMM_LEN];		/* the actor's comm (MADV_COLLAPSE's process) */
	enum ms_kind kind;
	enum ms_how how;
	enum actor actor;		/* scanned, collapse */
	int32_t behavior;		/* madvised, madvise_failed: the advice; snapshot: VmFlags,
					 * 1 hg (MADV_HUGEPAGE), 2 nh (MADV_NOHUGEPAGE) */
	int32_t present, swap;		/* scanned (HOW_FIRST_SCAN); folio_split,
					 * deferred_split: the folio's order, the order asked for */
	int32_t split_pmd_others;	/* split, zapped: of split_pmd_delta, other regions' splits in this trace */
	enum ev_kind cause;		/* mapped, unmap, split, zapped: the target's syscall, or EV_NONE */
	int32_t cause_advice;		/* ... a madvise's advice */
	enum page_state state;		/* split, zapped: the page state seen then */
	int8_t write;			/* refault (HOW_FAULT): 1 write, 0 read, -1 unknown */
	bool thp;			/* pte_mapped: small pages of a huge folio */
};

/* The page state from t on, until the next change.  From page-state
 * samples and from the events that change it for sure (a PMD clear, a
 * PMD mapped by do_set_pmd). */
struct state_change {
	double t;
	enum page_state state;
	enum ms_how how;		/* HOW_PAGEMAP, or the event that said so */
};

/* Why the verdict is what it is, as data: sinks/explain.c words it. */
struct verdict_evidence {
	enum verdict_reason reason;
	enum actor builder;		/* collapse verdicts: who built the huge page */
	enum backing backing;
	unsigned blockers;		/* not_eligible: EB_* */
	bool mm_scanned;		/* khugepaged visited the region's mm */
	int refused_ms;			/* refaulted_as_pte: index of do_set_pmd's refusal, or -1 */
	const struct thp_context *ctx;	/* the settings the verdict used (shared: settings_intern) */
	double traced_s;		/* judged before the end (streaming): how long it was
					 * watched, where ctx has no duration; < 0 none */
	/* anonymous regions */
	enum became_huge became;	/* huge: how; BH_UNKNOWN where not huge */
	bool became_inferred;		/* ... deduced, not seen by a probe */
	enum fallback_cause fallback;	/* fault_fallback: why */
	enum fallback_from fallback_from; /* ... and what told it */
	bool fallback_inferred;		/* ... deduced from the system-wide counters */
	uint32_t mthp_orders;		/* mthp: the folio orders seen (bit k: 4 KiB << k) */
};

struct region {
	uint32_t mm_id;
	uint32_t pid;			/* target process */
	uint64_t start;			/* 2 MiB aligned */
	const char *file;		/* the mapping's path, "" anonymous (str_intern: shared) */
	struct region_file_info finfo;
	bool have_finfo;		/* an EV_REGION_FILE came */

	/* live state */
	enum page_state state;
	bool thp;
	bool madvised_huge;		/* MADV_HUGEPAGE or MADV_COLLAPSE covered it */
	bool madv_collapse;		/* MADV_COLLAPSE covered it (ignores the sysfs THP modes) */
	bool nohuge;			/* MADV_NOHUGEPAGE after that */
	bool collapsed;			/* a collapse succeeded */
	bool cleared_after_collapse;	/* PMD cleared / region went to none after it */
	int collapse_attempts, collapse_failures, scans;
	const char *last_result;	/* last failing scan/collapse result ("" none; shared) */
	enum actor last_result_by;	/* who got last_result */
	enum actor collapsed_by;	/* who made the last successful collapse */

	/* the mapping (VMA) it belongs to, where known (its mmap, or the
	 * snapshot's smaps); 0, 0: not known, grouped by adjacency */
	uint64_t map_start, map_end;

	/* its life at this address: 1, 2, ... (mmap, munmap, mmap again) */
	int life;
	double t_mapped, t_unmapped;	/* < 0: not seen */
	bool ended;			/* unmapped: later events belong to the next life */
	/* ended: the THP settings in force when it was unmapped (regions.c);
	 * for the knobs that changed during the run (EV_SETTINGS) its verdict
	 * uses these rather than those at the end of the trace */
	const struct thp_context *ctx_unmapped;	/* shared (settings_intern); NULL: not ended */
	/* the last syscall of the target that covered it (a split or zap
	 * seen in the page state after it is put down to it) */
	enum ev_kind cause;
	int32_t cause_advice;
	double cause_t;			/* < 0: none */
	double t_lost;			/* the last split or zap; < 0: never */
	double t_scan_ok;		/* the last scan_file SCAN_SUCCEED; < 0: never */
	const char *scan_ok_result;	/* ("" none; shared) */
	enum ms_kind lost_kind;		/* MS_SPLIT or MS_ZAPPED */
	bool lost_to_tell;		/* a loss the timeline has not shown yet */
	uint32_t cause_pending_pid;	/* an observed loss waits for this thread's syscall exit */
	double cause_pending_t;		/* ... since then */

	/* anonymous memory: its first fault (< 0: none seen), the first time
	 * pages were seen present, the large folios allocated at its faults
	 * (bit k: order k) and the sizes whose allocation failed,
	 * do_huge_pmd_anonymous_page's last result (< 0 none), the PMD fault counters' rise when it became present (-1
	 * unknown), the folio orders of the last sample */
	double t_fault, t_present, t_huge_fault;
	uint32_t alloc_orders, alloc_failed_orders;
	int64_t huge_fault_ret;
	int64_t fs_alloc, fs_fallback, fs_charge;
	double fs_since;
	uint32_t folio_orders;
	int32_t scan_referenced, scan_none, scan_unmapped;	/* the last failing anonymous scan */

	/* attached to a running process: when its snapshot was taken (< 0:
	 * none), and whether its MADV_NOHUGEPAGE (VmFlags nh) came from it */
	double t_snapshot;
	bool nohuge_before;

	/* times, seconds since start; < 0: never */
	double t_madvise, t_first_scan, t_collapse, t_cleared, t_refault, t_pmd, t_nohuge, t_exit;

	/* Grown as needed (most regions have a handful), up to the MAX: a
	 * region of a day-long trace costs what happened to it, not the most
	 * that could.  region_release() frees them. */
	struct milestone *ms;
	uint32_t n_milestones, cap_milestones;
	uint32_t dropped_milestones;

	uint32_t n_changes, cap_changes;
	struct state_change *chg;
	uint32_t dropped_changes;	/* the oldest ones go first; the last stays */

	/* filled by regions_finish() */
	struct verdict_evidence ev;
	enum verdict_reason reason;	/* == ev.reason */
	double unmapped_s;		/* PMD clear → refault; < 0 if not applicable */
	double madvise_to_pmd_s;	/* < 0 if not applicable */
	enum page_state final_state;	/* last EV_STATE, else inferred from milestones */
	bool final_inferred;		/* final_state was inferred, not sampled */
};

/* Plain-words meaning of a kernel enum scan_result name ("SCAN_PAGE_LRU" →
 * "a page was not on the LRU list (being reclaimed or migrated)"). */
const char *scan_result_meaning(const char *name);

/* How a scan/collapse result counts: 1 a huge page was made (SCAN_SUCCEED,
 * SCAN_PTE_MAPPED_HUGEPAGE), 0 nothing to judge (no name, SCAN_PMD_MAPPED:
 * already huge), -1 a failure.  Takes "SCAN_X" or the tracepoint's "x" text. */
int scan_result_outcome(const char *name);

/* model/verdict.c: choose the reason and gather its evidence once
 * regions.c has set final_state, unmapped_s and madvise_to_pmd_s. */
void region_verdict(struct region *r, bool mm_scanned, const struct thp_context *ctx);

/* The milestone names ("pmd_cleared") the verdict lists. */
const char *ms_kind_name(enum ms_kind k);

/* The last milestone of a kind, or NULL. */
const struct milestone *region_last_ms(const struct region *r, enum ms_kind k);


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
/* Free what r holds (its milestones and changes); r is then empty. */
void region_release(struct region *r);

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

/* After a page-state sample of r: the event the model inferred from it (a
 * PMD split or zap), for the timeline, once; false when there is none.
 * Replay infers them again. */
bool region_inferred(struct region *r, struct thp_event *out);

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

/* model/region_anon.c: anonymous memory.  An anonymous scan or collapse
 * (EV_SCAN_PMD, EV_COLLAPSE_HUGE_PAGE), the huge fault's result
 * (EV_HUGE_FAULT), a large allocation at a fault of this region
 * (EV_PAGE_ALLOC, its addr the fault's), and a fault. */
void region_anon_apply(struct region *r, const struct thp_event *ev);
/* An anonymous collapse that came without an address (the scan_pmd
 * tracepoint), placed on the region of its mm that became PMD-mapped next:
 * the collapse, marked inferred (region.c). */
void region_collapse_inferred(struct region *r, const struct thp_event *ev);
/* A state sample's anonymous facts (fault counters, folio orders). */
void region_anon_sample(struct region *r, const struct thp_event *ev);
/* The anonymous part of the verdict: how it became huge, or why small. */
enum verdict_reason region_anon_verdict(struct region *r, enum verdict_reason so_far);
/* The kernel's knob that decides a scan result, and its value in ctx
 * ("khugepaged/max_ptes_none", 64); NULL when no knob does. */
const char *scan_result_knob(const char *result, const struct thp_context *ctx, long *value);

#endif
