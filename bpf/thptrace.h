/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one record the BPF programs write and user space decodes.  Plain fixed
 * width types only: this header is included by the BPF side after vmlinux.h
 * and by user space without it. */
#ifndef THPTRACE_H
#define THPTRACE_H

#define THP_COMM_LEN 16
#define THP_FILE_LEN 64
#define THP_MAX_RANGES 16

/* What happened.  Also the index into user space's name table. */
enum thp_rec_kind {
	REC_NONE = 0,
	REC_EXEC,
	REC_EXIT,
	REC_MADVISE,
	REC_FAULT,
	REC_SCAN_FILE,
	REC_COLLAPSE_FILE,
	REC_RETRACT,		/* retract_page_tables */
	REC_PMDP_COLLAPSE_FLUSH,
	REC_MAP_PAGES,		/* filemap_map_pages */
	REC_SET_PMD,		/* do_set_pmd */
	REC_MMAP,		/* the target's mmap, munmap, mremap, mprotect */
	REC_MUNMAP,
	REC_MREMAP,
	REC_MPROTECT,
	REC_SPLIT_PMD,		/* __split_huge_pmd: a PMD mapping split (a file's: dropped) */
	REC_ZAP_PMD,		/* zap_huge_pmd: a PMD mapping zapped */
	REC_MIGRATE_PMD,	/* set_pmd_migration_entry: a PMD-mapped huge page being moved */
	REC_MIGRATED_PMD,	/* remove_migration_pmd: the moved huge page PMD-mapped again */
	REC_SPLIT_FOLIO,	/* split_huge_page_to_list(_to_order): a huge folio divided */
	REC_DEFERRED_SPLIT,	/* deferred_split_folio: a partly unmapped huge folio queued for splitting */
	REC_SCAN_PMD,		/* khugepaged or MADV_COLLAPSE scanned an anonymous PMD range (and collapsed it) */
	REC_COLLAPSE_HUGE_PAGE,	/* collapse_huge_page: building an anonymous huge page, its result */
	REC_PAGE_ALLOC,		/* a target thread allocated a movable page of order >= 2 (a fault's huge or mTHP folio) */
	REC_HUGE_FAULT,		/* do_huge_pmd_anonymous_page: a fault asked for a PMD-sized page, its result */
	REC_KIND_MAX,
};

/* Which mechanism produced the record. */
enum thp_via {
	VIA_NONE = 0,
	VIA_FENTRY,
	VIA_FEXIT,
	VIA_KPROBE,
	VIA_KRETPROBE,
	VIA_TRACEPOINT,
	VIA_PAGEMAP,		/* user space only: sampled page state */
	VIA_MAX,
};

/* Flag bits in thp_rec.flags. */
#define REC_F_HAS_RET	0x01	/* ret holds the function's return value or result */
#define REC_F_IN_COLLAPSE 0x02	/* fired inside a collapse_file of a traced mm */
#define REC_F_ADDR_GUESS 0x04	/* addr is a guess (a folio's page index): user space checks it */
#define REC_F_FILTERED	0x08	/* exit: faults were filtered (len: how many were not recorded) */

struct thp_rec {
	__u64 ts_ns;		/* bpf_ktime_get_ns(), CLOCK_MONOTONIC */
	__u64 mm;		/* opaque key: user space maps it to a small id, never prints it */
	__u64 addr;		/* user address: fault, madvise start, collapse/pmd address;
				 * the mapping syscall's range (mmap: the address it returned) */
	__u64 len;		/* madvise and mapping syscall length; fault error_code;
				 * exit: the process's faults not recorded (relevance filter) */
	__u64 pgoff;		/* file page index: collapse start, map_pages first index;
				 * mremap: the new address */
	__u64 pgoff_end;	/* map_pages last index; mremap: the new length */
	__u64 ino;		/* backing file's inode, when known */
	__u32 dev;		/* backing file's device (kernel dev_t encoding), when known */
	__u32 pid;		/* actor: the thread that ran the code */
	__u32 tgid;		/* actor's process */
	__u32 mm_tgid;		/* the process that owns mm (the target), 0 if unknown */
	__s32 ret;		/* return value, scan_result, exit code (mmap/mremap: 0 or -errno) */
	__s32 arg;		/* madvise behaviour; collapse nr; scan present; mmap/mprotect prot;
				 * folio split: the folio's order */
	__s32 arg2;		/* scan swap; mmap flags; folio split: the order asked for */
	__u16 kind;		/* enum thp_rec_kind */
	__u8 via;		/* enum thp_via */
	__u8 flags;		/* REC_F_* */
	char comm[THP_COMM_LEN];	/* actor's comm */
	char file[THP_FILE_LEN];	/* file name (collapse, scan, exec) */
};

/* Values of the targets map: a spawned command is TARGET_PENDING_EXEC
 * until its exec, because before that it is our own forked copy. */
#define TARGET_ACTIVE 1
#define TARGET_PENDING_EXEC 2

/* Records of kinds without a file name (faults) end before file[]. */
#define THP_REC_SMALL __builtin_offsetof(struct thp_rec, file)

struct thp_range {
	__u64 start;
	__u64 end;		/* exclusive */
};

/* The relevance filter's regions (bpf/relevance.bpf.h): a process's 2 MiB
 * region, by its index (address >> 21). */
struct thp_region_key {
	__u32 tgid;
	__u32 pad;
	__u64 region;
};

/* The relevance filter's view of a process (bpf/relevance.bpf.h). */
struct thp_proc {
	__u64 unrecorded;	/* faults counted, not recorded */
	__u32 relevant;		/* THP matters to it: its events are recorded */
	__u32 pad;
};

struct thp_file_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

#endif
