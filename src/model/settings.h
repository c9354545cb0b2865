/* Machine facts the state machine and the eligibility rules take as plain
 * data: read from sysfs, mounts and /proc by host/sysinfo.c on a live run,
 * from `context` and `region_file` lines by `report`.  All optional: an
 * empty string or a negative number means "not known". */
#ifndef THP_SETTINGS_H
#define THP_SETTINGS_H

struct thp_context {
	char thp_enabled[16];		/* "always" | "madvise" | "never" */
	char shmem_enabled[16];		/* "always" | "within_size" | "advise" | "never" | "deny" | "force" */
	char defrag[32];
	long scan_sleep_ms;		/* khugepaged/scan_sleep_millisecs */
	long pages_to_scan;		/* khugepaged/pages_to_scan */
	long full_scans_start;		/* khugepaged/full_scans at start and end */
	long full_scans_end;
	int read_only_thp_for_fs;	/* CONFIG_READ_ONLY_THP_FOR_FS: 1, 0, -1 unknown */
	double duration_s;		/* how long the trace ran */
	/* -a, -p: a process's verdicts are written when it exits, a life's
	 * when it ended a while ago (pipeline.h), not all at the end */
	bool streaming;
	/* khugepaged's limits for anonymous memory (have_max_ptes: read),
	 * khugepaged/defrag (-1 unknown), and each multi-size THP size's
	 * enabled, "16kB:never 64kB:always ... 2048kB:inherit" ("" before 6.8
	 * or unknown) */
	bool have_max_ptes;
	long max_ptes_none, max_ptes_swap, max_ptes_shared;
	char mthp_enabled[200];
};

/* One shared, unchanging copy of c: a region keeps a pointer to the
 * settings its verdict used instead of a copy of its own (300 bytes, twice,
 * in every region of a 200,000-region trace).  Equal settings share one
 * copy; the copies live as long as the process.  Never NULL: without
 * memory, the all-unknown settings. */
const struct thp_context *settings_intern(const struct thp_context *c);
extern const struct thp_context settings_unknown;

/* Facts about one region's backing file, looked up when the region is first
 * seen (so that the model needs no /proc). */
struct region_file_info {
	char tmpfs_huge[16];		/* huge= of its tmpfs mount, "" if not tmpfs */
	int is_shmem;			/* 1, 0, -1 unknown */
	int open_for_write;		/* 1, 0, -1 unknown */
	int fully_mapped;		/* the whole 2 MiB is inside one mapping: 1, 0, -1 */
	int file_aligned;		/* file offset of region start is 2 MiB aligned: 1, 0, -1 */
	int thp_disabled;		/* the process set PR_SET_THP_DISABLE: 1; 0 no or unknown */
};

#endif
