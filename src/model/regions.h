/* Region state machine: every event, in time order, goes through here; at
 * the end each 2 MiB region gets its milestones and one verdict.  Pure: no
 * BPF, no /proc, no I/O, so live runs, `report` replays and unit tests all
 * give the same verdicts for the same events.  What only the machine can
 * tell (THP knobs, tmpfs modes, khugepaged counters) comes in as plain data
 * in struct thp_context. */
#ifndef THP_REGIONS_H
#define THP_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/event.h"

enum verdict_reason {
	VR_UNKNOWN = 0,
	VR_HUGE,			/* PMD-mapped THP at the end */
	VR_NOT_SCANNED,			/* khugepaged never scanned this mm */
	VR_NOT_ELIGIBLE,		/* the kernel would not make it huge: why in detail */
	VR_SCAN_FAILED,			/* scan/collapse ran and failed: result name */
	VR_COLLAPSED_NOT_REFAULTED,	/* collapsed, PMD cleared, never touched again */
	VR_REFAULTED_AS_PTE,		/* collapsed, refault mapped small pages */
	VR_NOT_COLLAPSED,		/* scanned, no failure seen, still small pages */
	VR_MAX,
};

const char *verdict_reason_name(enum verdict_reason r);
enum verdict_reason verdict_reason_from_name(const char *s);

/* Plain-words meaning of a kernel enum scan_result name ("SCAN_PAGE_LRU" →
 * "a page was not on the LRU list (being reclaimed or migrated)"). */
const char *scan_result_meaning(const char *name);

/* Machine facts gathered outside (sysfs, mounts, config); all optional:
 * an empty string or a negative number means "not known". */
struct thp_context {
	char thp_enabled[16];		/* "always" | "madvise" | "never" */
	char shmem_enabled[16];
	char defrag[32];
	long scan_sleep_ms;		/* khugepaged/scan_sleep_millisecs */
	long pages_to_scan;		/* khugepaged/pages_to_scan */
	long full_scans_start;		/* khugepaged/full_scans at start and end */
	long full_scans_end;
	int read_only_thp_for_fs;	/* CONFIG_READ_ONLY_THP_FOR_FS: 1, 0, -1 unknown */
	double duration_s;		/* how long the trace ran */
};

/* Facts about one region's backing file, looked up by the caller when the
 * region is first seen (so that regions.c needs no /proc). */
struct region_file_info {
	char tmpfs_huge[16];		/* huge= of its tmpfs mount, "" if not tmpfs */
	int is_shmem;			/* 1, 0, -1 unknown */
	int open_for_write;		/* 1, 0, -1 unknown */
	int fully_mapped;		/* the whole 2 MiB is inside one mapping: 1, 0, -1 */
	int file_aligned;		/* file offset of region start is 2 MiB aligned: 1, 0, -1 */
};

#define REGION_MAX_MILESTONES 64

struct milestone {
	double t;			/* seconds since start */
	char what[32];			/* "madvised", "scanned", "collapse", "pmd_cleared",
					 * "refault", "pmd_mapped", "pte_mapped", "exit" */
	char detail[96];		/* e.g. "SCAN_SUCCEED by khugepaged" */
};

struct region {
	uint32_t mm_id;
	uint32_t pid;			/* target process */
	uint64_t start;			/* 2 MiB aligned */
	char file[EV_FILE_LEN];
	struct region_file_info finfo;
	bool have_finfo;

	/* live state */
	enum page_state state;
	bool thp;
	bool madvised_huge;		/* MADV_HUGEPAGE or MADV_COLLAPSE covered it */
	bool nohuge;			/* MADV_NOHUGEPAGE after that */
	bool collapsed;			/* a collapse succeeded */
	bool cleared_after_collapse;	/* PMD cleared / region went to none after it */
	int collapse_attempts, collapse_failures, scans;
	char last_result[EV_NAME_LEN];	/* last failing scan/collapse result */

	double t_madvise, t_first_scan, t_collapse, t_cleared, t_refault, t_pmd;	/* < 0: never */
	/* added for regions.c/verdict.c: */
	bool madv_collapse;		/* MADV_COLLAPSE covered it (ignores the sysfs THP modes) */
	double t_nohuge, t_exit;	/* last MADV_NOHUGEPAGE, target exit; < 0: never */

	size_t n_milestones;
	struct milestone ms[REGION_MAX_MILESTONES];
	size_t dropped_milestones;

	/* filled by regions_finish() */
	enum verdict_reason reason;
	char why[512];			/* one or two sentences for a person */
	double unmapped_s;		/* PMD clear → refault; < 0 if not applicable */
	double madvise_to_pmd_s;	/* < 0 if not applicable */
	enum page_state final_state;	/* last EV_STATE, else inferred from milestones */
	bool final_inferred;		/* final_state was inferred, not sampled */
};

struct regions {
	struct region *v;
	size_t n, cap;
	bool mm_scanned[64];		/* khugepaged scanned mm id i (i < 64) */
	bool saw_scan_any;
	/* Recent events that matched no region yet, replayed when a region
	 * appears (a MADV_COLLAPSE's own collapse comes before its madvise
	 * exit event).  Private to regions.c. */
	struct thp_event *orphans;
	size_t n_orphans, orphan_next;
};

void regions_init(struct regions *rs);
void regions_free(struct regions *rs);

/* Feed one event.  Returns the region the event touched (created if needed),
 * or NULL when the event concerns no region.  Events must come in time order. */
struct region *regions_feed(struct regions *rs, const struct thp_event *ev);

/* The region for (mm_id, start), or NULL. */
struct region *regions_find(struct regions *rs, uint32_t mm_id, uint64_t start);

/* Does an event's file name the region's file?  Tracepoints name a file by
 * its dentry only, possibly cut short by the BPF record; a region's file is
 * the mapping's path, maybe ending in " (deleted)". */
bool regions_same_file(const char *region_file, const char *ev_file);

/* Compute every region's verdict. */
void regions_finish(struct regions *rs, const struct thp_context *ctx);

/* How a scan/collapse result counts: 1 a huge page was made (SCAN_SUCCEED,
 * SCAN_PTE_MAPPED_HUGEPAGE), 0 nothing to judge (no name, SCAN_PMD_MAPPED:
 * already huge), -1 a failure.  Takes "SCAN_X" or the tracepoint's "x" text. */
int scan_result_outcome(const char *name);

/* verdict.c: choose r->reason and write r->why once regions.c has set
 * final_state, unmapped_s and madvise_to_pmd_s.  mm_scanned: khugepaged
 * scanned the region's mm during the trace. */
void region_verdict(struct region *r, bool mm_scanned, const struct thp_context *ctx);

#endif
