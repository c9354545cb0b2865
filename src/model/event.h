/* The decoded event: what every later stage (regions, text, JSON, SVG,
 * report replay) works on.  Built from a BPF record by decode.c, from a page
 * state sample by the sampler, or from a saved JSON line by report.c, so
 * nothing here may depend on BPF or on /proc. */
#ifndef THP_EVENT_H
#define THP_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "model/settings.h"

#define EV_COMM_LEN 16
#define EV_FILE_LEN 256
#define EV_NAME_LEN 48
#define EV_KNOB_LEN 64
#define EV_KNOB_VALUE_LEN 32
#define THP_REGION_SIZE (2ULL << 20)
#define THP_REGION_MASK (~(THP_REGION_SIZE - 1))

enum ev_kind {
	EV_NONE = 0,
	EV_EXEC,
	EV_EXIT,
	EV_MADVISE,
	EV_FAULT,
	EV_SCAN_FILE,
	EV_COLLAPSE_FILE,
	EV_RETRACT,		/* retract_page_tables */
	EV_PMDP_COLLAPSE_FLUSH,
	EV_MAP_PAGES,		/* filemap_map_pages */
	EV_SET_PMD,		/* do_set_pmd */
	EV_MMAP,		/* the target's mapping syscalls: a region's life */
	EV_MUNMAP,
	EV_MREMAP,
	EV_MPROTECT,
	EV_PMD_SPLIT,		/* a PMD split: __split_huge_pmd, or inferred by the model from the page state */
	EV_PMD_ZAP,		/* a PMD zapped: zap_huge_pmd, or inferred likewise */
	EV_PMD_MIGRATION,	/* set_pmd_migration_entry: a PMD-mapped huge page being moved */
	EV_PMD_MIGRATED,	/* remove_migration_pmd: PMD-mapped again, at its new place */
	EV_FOLIO_SPLIT,		/* split_huge_page_to_list(_to_order): the huge folio divided */
	EV_FOLIO_DEFERRED_SPLIT, /* deferred_split_folio: partly unmapped, queued for splitting */
	EV_SCAN_PMD,		/* khugepaged / MADV_COLLAPSE scanned an anonymous PMD range: result */
	EV_COLLAPSE_HUGE_PAGE,	/* collapse_huge_page: an anonymous huge page built (or not) */
	EV_PAGE_ALLOC,		/* a target thread allocated a movable folio of order >= 2 */
	EV_HUGE_FAULT,		/* do_huge_pmd_anonymous_page: a fault asked for a huge page */
	EV_STATE,		/* sampled page state of one 2 MiB region */
	EV_SETTINGS,		/* a THP knob changed during the run (knob, value, old_value) */
	EV_LOST,		/* records the ring buffer dropped */
	EV_SUMMARY,
	EV_VERDICT,
	EV_REGION_FILE,		/* one region's backing-file facts (finfo) */
	EV_CONTEXT,		/* the THP settings in force (ctx) */
	EV_KIND_MAX,
};

/* The numbering of enum ev_kind 1..EV_HUGE_FAULT matches enum thp_rec_kind.
 * Summary counts list EV_EXEC..EV_SET_PMD always and the later kinds
 * only when they happened, so older readers see the keys they knew. */
#define EV_COUNT_ALWAYS_LAST EV_SET_PMD

enum ev_via {
	VIA_ID_NONE = 0,
	VIA_ID_FENTRY,
	VIA_ID_FEXIT,
	VIA_ID_KPROBE,
	VIA_ID_KRETPROBE,
	VIA_ID_TRACEPOINT,
	VIA_ID_PAGEMAP,
	VIA_ID_SYSFS,		/* user space only: a THP knob read (EV_SETTINGS) */
	VIA_ID_SNAPSHOT,	/* user space only: what a running process had when tracing began
				 * (EV_STATE from /proc/PID/smaps and pagemap) */
	VIA_ID_MAX,
};

/* Page state of a 2 MiB region as pagemap shows it. */
enum page_state {
	PS_UNKNOWN = 0,
	PS_NONE,		/* nothing present */
	PS_PTE,			/* present, mapped by small page table entries */
	PS_PMD,			/* mapped by one PMD (a huge page) */
	PS_UNMAPPED,		/* the range was unmapped (munmap, mremap away): a life ended */
};

/* Which fields of struct thp_event carry a value. */
#define EVF_ADDR	0x0001
#define EVF_LEN		0x0002
#define EVF_PGOFF	0x0004
#define EVF_RET		0x0008
#define EVF_RESULT	0x0010	/* result/result_name: scan_result */
#define EVF_FILE	0x0020
#define EVF_BEHAVIOR	0x0040
#define EVF_STATE	0x0080
#define EVF_PGOFF_END	0x0100
#define EVF_INODE	0x0200
#define EVF_NR		0x0400
#define EVF_PRESENT	0x0800
#define EVF_IN_COLLAPSE 0x1000
#define EVF_ERRCODE	0x2000
#define EVF_NEW_RANGE	0x4000	/* new_addr, new_len: where mremap moved it */
#define EVF_PROT	0x8000
#define EVF_FLAGS	0x10000
#define EVF_CAUSE	0x20000	/* cause, cause_t: the syscall that did it */
#define EVF_KNOB	0x40000	/* knob, value, old_value: EV_SETTINGS */
#define EVF_ORDER	0x80000	/* order, new_order: a folio split */
#define EVF_VMSTAT	0x100000 /* split_pmd_delta, vmstat_since_t: a state sample's vmstat support */
#define EVF_VMFLAGS	0x200000 /* vm_hugepage, vm_nohugepage, thp_eligible: a snapshot's smaps facts */
#define EVF_ANON_SCAN	0x400000 /* referenced, none_or_zero, unmapped / isolated: an anonymous scan */
#define EVF_ADDR_GUESS	0x800000 /* addr is a guess (the scanned folio's index; JSON addr_inferred) */
#define EVF_FAULTSTAT	0x1000000 /* fault_*_delta, faultstat_since_t: PMD fault counters' rise */
#define EVF_FOLIOS	0x2000000 /* folio_orders: the orders of the large folios present (kpageflags) */
#define EVF_UNRECORDED	0x4000000 /* faults_unrecorded: an exit's faults the relevance filter only counted */

struct thp_event {
	enum ev_kind kind;
	enum ev_via via;
	uint32_t fields;		/* EVF_* */
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	double t;			/* seconds since the trace started */
	uint32_t pid;			/* actor thread id (as the kernel's pid) */
	uint32_t tgid;
	char comm[EV_COMM_LEN];
	uint32_t mm_id;			/* small id of the target mm, 0 if none */
	uint32_t target_pid;		/* process that owns that mm, 0 if unknown */

	uint64_t addr;
	uint64_t len;
	uint64_t pgoff, pgoff_end;
	uint64_t ino;
	uint32_t dev;
	int64_t ret;
	int32_t result;			/* raw scan_result number */
	char result_name[EV_NAME_LEN];	/* its name from the kernel's BTF */
	int32_t behavior;		/* madvise advice number */
	int32_t nr, present, swap;
	uint64_t errcode;		/* fault error code */
	uint64_t new_addr, new_len;	/* mremap: the range's new place */
	int32_t prot, flags;		/* mmap, mprotect: PROT_*; mmap: MAP_* */
	int32_t order, new_order;	/* folio split: the folio's order, the order asked for */
	/* EV_HUGE_FAULT inside the model (never written): the thread's 2 MiB
	 * allocation during this fault, seen by kmem:mm_page_alloc past the
	 * pairing window (0 made, -ENOMEM failed) */
	bool fault_alloc_seen;
	int32_t fault_alloc_ret;
	/* EV_STATE leaving a PMD, and the split or zap inferred from it: how
	 * much /proc/vmstat's thp_split_pmd (all processes) rose since
	 * vmstat_since_t, the sample before that still showed the PMD */
	int64_t split_pmd_delta;
	double vmstat_since_t;
	/* EV_STATE via snapshot: the mapping's VmFlags hg (MADV_HUGEPAGE) and
	 * nh (MADV_NOHUGEPAGE), 1 or 0, and its THPeligible (-1: the kernel
	 * does not say) */
	int8_t vm_hugepage, vm_nohugepage, thp_eligible;
	uint64_t map_start, map_end;	/* ... and the mapping's range */
	/* EV_SCAN_PMD, EV_COLLAPSE_HUGE_PAGE (EVF_ANON_SCAN): the scan's
	 * counts; isolated: collapse_huge_page's tracepoint */
	int32_t referenced, none_or_zero, unmapped, isolated;
	/* EV_STATE of a region that became present (EVF_FAULTSTAT): how much
	 * the PMD-size anonymous fault counters (all processes) rose since
	 * faultstat_since_t: huge pages allocated at fault, fallbacks, and
	 * fallbacks for the memory cgroup's charge */
	int64_t fault_alloc_delta, fault_fallback_delta, fault_charge_delta;
	double faultstat_since_t;
	/* EV_STATE (EVF_FOLIOS): bit k set when a folio of order k (4 KiB << k)
	 * backs some of the region's present pages, k >= 1 */
	uint32_t folio_orders;
	/* EV_SCAN_PMD by the perf-event tracepoint: the pfn of the last small
	 * page scanned (0: none), which the live run looks up in the target's
	 * pagemap for an address; never written to JSON */
	uint64_t pfn;
	char cause[EV_NAME_LEN];	/* EV_PMD_SPLIT/ZAP: "mprotect", "MADV_DONTNEED", ... */
	double cause_t;
	char file[EV_FILE_LEN];

	/* EV_SETTINGS: the knob's path under /sys/kernel/mm/transparent_hugepage
	 * ("shmem_enabled", "khugepaged/pages_to_scan",
	 * "hugepages-64kB/enabled"), its new and its previous value (the
	 * selected word of a mode file, the number of a numeric one) */
	char knob[EV_KNOB_LEN];
	char value[EV_KNOB_VALUE_LEN];
	char old_value[EV_KNOB_VALUE_LEN];

	/* EV_STATE */
	uint64_t region;		/* 2 MiB aligned start */
	enum page_state state;
	bool thp;			/* backed by a huge folio (kpageflags THP) */

	/* EV_LOST / EV_SUMMARY */
	uint64_t count;
	/* EV_EXIT: its faults the relevance filter counted but did not record */
	uint64_t faults_unrecorded;

	/* EV_REGION_FILE: facts of (mm_id, region); file is the mapping's path */
	struct region_file_info finfo;
	/* EV_CONTEXT: the settings (owned by the sender, read during the
	 * call), the clocks at the start, and whether this is the end line */
	const struct thp_context *ctx;
	uint64_t start_ns;
	int64_t wall_start_us;		/* the wall clock (UTC, µs since 1970) at start_ns; 0 unknown */
	bool ctx_end;
};

const char *ev_kind_name(enum ev_kind k);
/* Is kind k, seen n times, a key of the summary's counts? */
bool ev_count_listed(enum ev_kind k, uint64_t n);
enum ev_kind ev_kind_from_name(const char *s);
const char *ev_via_name(enum ev_via v);
enum ev_via ev_via_from_name(const char *s);
const char *page_state_name(enum page_state s);
enum page_state page_state_from_name(const char *s);
const char *madv_name(int behavior);	/* "MADV_HUGEPAGE", or NULL if unknown */
int madv_from_name(const char *s);	/* -1 if unknown */

#endif
