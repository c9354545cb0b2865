/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): which faults are worth a record.  With -a a
 * busy host faults millions of times a minute, nearly all of it memory no
 * huge page will ever back; writing each one out (36 MB in 8 s of a build)
 * is what made `-a` unusable.  With fault_filter on, a fault is recorded
 * only inside a 2 MiB region that matters for THP: one its process
 * madvised MADV_HUGEPAGE or MADV_COLLAPSE (learned here, at the madvise's
 * exit), or one user space tracks (a snapshot's huge or madvised region, a
 * collapse's), or one where a fault tried a huge page (THP mode always:
 * do_huge_pmd_anonymous_page, and the 2 MiB allocation marks the
 * process).  Every other fault is only counted, per process, and the
 * count rides on the process's exit record. */

/* Set by user space before load: -a and -p, unless --faults=all. */
const volatile bool fault_filter = false;

#define MADV_HUGEPAGE_NR 14
#define MADV_COLLAPSE_NR 25
#define MADVISED_SLOTS 8

/* tgid -> the last MADVISED_SLOTS ranges it madvised for huge pages. */
struct madvised_ranges {
	__u64 start[MADVISED_SLOTS];
	__u64 end[MADVISED_SLOTS];
	__u32 next;
	__u32 pad;
};

/* Preallocated, unlike the other hash maps: under -a every process comes
 * and goes through these, and an entry allocated as used could not be had
 * at a busy moment (found with 30,000 short processes: 45% of them were
 * not marked, so their faults and exits went unrecorded).  The loader
 * sizes them to one entry when the filter is off, to a few for -p. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct madvised_ranges);
} thp_madvised SEC(".maps");

/* (tgid, 2 MiB region) that user space tracks -> 1. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct thp_region_key);
	__type(value, __u8);
} thp_regions SEC(".maps");

/* tgid -> what the filter knows of the process: whether THP matters to
 * it (it madvised for huge pages, a record concerned it, or user space
 * tracks a region of it) and how many of its faults were only counted.
 * Only processes that matter have their mapping syscalls, exec and exit
 * recorded: a compiler that never touches a huge page leaves no line at
 * all.  One map, so that a fault of such a process costs one lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);	/* what a lost exit leaves ages out */
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct thp_proc);
} thp_procs SEC(".maps");

/* The faults counted for processes that exited without mattering. */
__u64 faults_unrecorded_quiet;

static __always_inline bool proc_relevant(__u32 tgid)
{
	struct thp_proc *p;

	if (!fault_filter)
		return true;
	p = bpf_map_lookup_elem(&thp_procs, &tgid);
	return p && p->relevant;
}

static __always_inline void relevance_mark(__u32 tgid)
{
	struct thp_proc fresh = { .relevant = 1 }, *p;

	if (!fault_filter || !tgid)
		return;
	p = bpf_map_lookup_elem(&thp_procs, &tgid);
	if (p)
		p->relevant = 1;
	else
		bpf_map_update_elem(&thp_procs, &tgid, &fresh, BPF_NOEXIST);
}

/* The kernel tried a huge page at a fault of this process (THP mode
 * always needs no madvise): the process matters, and so does the 2 MiB
 * region, whose later faults are then recorded. */
static __always_inline void relevance_region(__u32 tgid, __u64 addr)
{
	struct thp_region_key key = { .tgid = tgid, .region = addr >> 21 };
	__u8 one = 1;

	if (!fault_filter || !tgid)
		return;
	relevance_mark(tgid);
	bpf_map_update_elem(&thp_regions, &key, &one, BPF_ANY);
}

/* A madvise that asked for huge pages succeeded: its range matters. */
static __always_inline void relevance_madvised(__u64 start, __u64 len, __u64 advice, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct madvised_ranges fresh = {}, *m;
	__u32 k;

	if (!fault_filter || ret != 0 || (advice != MADV_HUGEPAGE_NR && advice != MADV_COLLAPSE_NR))
		return;
	relevance_mark(tgid);
	m = bpf_map_lookup_elem(&thp_madvised, &tgid);
	if (!m) {
		bpf_map_update_elem(&thp_madvised, &tgid, &fresh, BPF_NOEXIST);
		m = bpf_map_lookup_elem(&thp_madvised, &tgid);
		if (!m)
			return;
	}
	k = m->next % MADVISED_SLOTS;
	m->start[k] = start & HPAGE_MASK;
	m->end[k] = start + len;
	m->next = k + 1;
}

/* Is a fault of the current process at addr worth a record?  Counts it
 * when not and count is set (a fault; not the map_pages that follows).
 * *proc_matters: the process is one THP concerns (only such a process's
 * threads have a last fault address to forget). */
static __always_inline bool fault_relevant_of(__u64 addr, bool count, bool *proc_matters)
{
	struct thp_region_key key = {};
	struct thp_proc fresh = { .unrecorded = 1 }, *p;
	struct madvised_ranges *m;

	*proc_matters = true;
	if (!fault_filter)
		return true;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	/* most processes of a busy host never matter: one lookup says so */
	p = bpf_map_lookup_elem(&thp_procs, &key.tgid);
	*proc_matters = p && p->relevant;
	if (!p) {
		if (count)
			bpf_map_update_elem(&thp_procs, &key.tgid, &fresh, BPF_NOEXIST);
		return false;
	}
	if (p->relevant) {
		m = bpf_map_lookup_elem(&thp_madvised, &key.tgid);
		if (m) {
			for (int i = 0; i < MADVISED_SLOTS; i++)
				if (addr >= m->start[i] && addr < m->end[i])
					return true;
		}
		key.region = addr >> 21;
		if (bpf_map_lookup_elem(&thp_regions, &key))
			return true;
	}
	if (count)
		__sync_fetch_and_add(&p->unrecorded, 1);
	return false;
}

static __always_inline bool fault_relevant(__u64 addr, bool count)
{
	bool matters;

	return fault_relevant_of(addr, count, &matters);
}

/* The process exits: its count, and nothing of it stays here.  *quiet:
 * it never mattered (no exit record: the count goes to the total). */
static __always_inline __u64 relevance_forget(__u32 tgid, bool *quiet)
{
	struct thp_proc *p;
	__u64 count;

	*quiet = false;
	if (!fault_filter)
		return 0;
	p = bpf_map_lookup_elem(&thp_procs, &tgid);
	count = p ? p->unrecorded : 0;
	*quiet = !p || !p->relevant;
	if (*quiet)
		__sync_fetch_and_add(&faults_unrecorded_quiet, count);
	bpf_map_delete_elem(&thp_procs, &tgid);
	bpf_map_delete_elem(&thp_madvised, &tgid);
	return count;
}

/* A new program in the process: the ranges it madvised are gone. */
static __always_inline void relevance_exec(__u32 tgid)
{
	if (fault_filter)
		bpf_map_delete_elem(&thp_madvised, &tgid);
}
