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
#include "model/eligibility.h"
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
	HOW_SPLIT,			/* pte_mapped: the PMD mapping was split */
	HOW_REFAULT_SMALL,		/* pte_mapped: the refault after a collapse mapped small pages */
	HOW_MAPPED_SMALL,		/* pte_mapped: first mapped with small pages */
	HOW_SYSCALL,			/* mapped, unmap: the syscall (in cause) did it */
	HOW_SCAN_FILE,			/* collapse: a successful scan_file stands for it */
};

#define REGION_MAX_MILESTONES 64
#define REGION_MAX_CHANGES 64

struct milestone {
	double t;			/* seconds since start */
	enum ms_kind kind;
	enum ms_how how;
	enum actor actor;		/* scanned, collapse */
	char comm[EV_COMM_LEN];		/* the actor's comm (MADV_COLLAPSE's process) */
	char result[EV_NAME_LEN];	/* scanned, collapse: the kernel's result name */
	int32_t behavior;		/* madvised, madvise_failed: the advice */
	int32_t present, swap;		/* scanned (HOW_FIRST_SCAN) */
	int64_t ret;			/* madvise_failed, pmd_refused */
	uint64_t addr;			/* refault (HOW_FAULT); unmap by mremap: the new address */
	enum ev_kind cause;		/* mapped, unmap, split, zapped: the target's syscall, or EV_NONE */
	int32_t cause_advice;		/* ... a madvise's advice */
	double cause_t;			/* ... when it returned */
	int8_t write;			/* refault (HOW_FAULT): 1 write, 0 read, -1 unknown */
	bool thp;			/* pte_mapped: small pages of a huge folio */
	enum page_state state;		/* split, zapped: the page state seen then */
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
	struct thp_context ctx;		/* the settings the verdict used */
};

struct region {
	uint32_t mm_id;
	uint32_t pid;			/* target process */
	uint64_t start;			/* 2 MiB aligned */
	char file[EV_FILE_LEN];
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
	char last_result[EV_NAME_LEN];	/* last failing scan/collapse result */
	enum actor last_result_by;	/* who got last_result */
	enum actor collapsed_by;	/* who made the last successful collapse */

	/* its life at this address: 1, 2, ... (mmap, munmap, mmap again) */
	int life;
	double t_mapped, t_unmapped;	/* < 0: not seen */
	bool ended;			/* unmapped: later events belong to the next life */
	/* the last syscall of the target that covered it (a split or zap
	 * seen in the page state after it is put down to it) */
	enum ev_kind cause;
	int32_t cause_advice;
	double cause_t;			/* < 0: none */
	double t_lost;			/* the last split or zap; < 0: never */
	double t_scan_ok;		/* the last scan_file SCAN_SUCCEED; < 0: never */
	char scan_ok_result[EV_NAME_LEN];
	enum ms_kind lost_kind;		/* MS_SPLIT or MS_ZAPPED */
	bool lost_to_tell;		/* a loss the timeline has not shown yet */

	/* times, seconds since start; < 0: never */
	double t_madvise, t_first_scan, t_collapse, t_cleared, t_refault, t_pmd, t_nohuge, t_exit;

	size_t n_milestones;
	struct milestone ms[REGION_MAX_MILESTONES];
	size_t dropped_milestones;

	size_t n_changes;
	struct state_change chg[REGION_MAX_CHANGES];
	size_t dropped_changes;		/* the oldest ones go first; the last stays */

	/* filled by regions_finish() */
	struct verdict_evidence ev;
	enum verdict_reason reason;	/* == ev.reason */
	double unmapped_s;		/* PMD clear → refault; < 0 if not applicable */
	double madvise_to_pmd_s;	/* < 0 if not applicable */
	enum page_state final_state;	/* last EV_STATE, else inferred from milestones */
	bool final_inferred;		/* final_state was inferred, not sampled */
};

struct regions {
	struct region *v;
	size_t n, cap;
	struct thp_context ctx;		/* the last EV_CONTEXT's settings */
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
	/* Recent mappings (mmap, mremap's new range): a region created later
	 * inside one started its life then. */
	struct recent_map {
		uint32_t mm_id;
		uint64_t start, end;
		double t;
	} maps[32];
	size_t maps_next;
};

void regions_init(struct regions *rs);
void regions_free(struct regions *rs);

/* Feed one event.  Returns the region the event touched (created if needed),
 * or NULL when the event concerns no region.  Events must come in time order. */
struct region *regions_feed(struct regions *rs, const struct thp_event *ev);

/* After regions_feed: an event the model inferred from the one it was
 * fed (a PMD split or zap seen in a page-state sample), for the timeline;
 * false when there is none.  Replay re-infers them. */
bool regions_inferred(struct regions *rs, struct region *r, struct thp_event *out);

/* The current life of (mm_id, start), or NULL (none, or only ended ones). */
struct region *regions_find(struct regions *rs, uint32_t mm_id, uint64_t start);

/* Does an event's file name the region's file?  Tracepoints name a file by
 * its dentry only, possibly cut short by the BPF record; a region's file is
 * the mapping's path, maybe ending in " (deleted)". */
bool regions_same_file(const char *region_file, const char *ev_file);

/* Compute every region's verdict, with the settings the EV_CONTEXT events
 * gave (all unknown without one). */
void regions_finish(struct regions *rs);

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

#endif
