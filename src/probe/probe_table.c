/* The probe table: one block per probe (or per kernel shape of its
 * function: rows with the same name are variants of one probe, the first
 * that attaches serves).  Each says what it observes, the programs of
 * bpf/thptrace.bpf.c that serve it by each mechanism, and what its choice
 * sets in .rodata; the fields are described in probe_def.h, the policy that
 * reads the table is in probes.c. */
#include <stddef.h>
#include "probe/probe_def.h"

const struct probe_def probe_defs[] = {
	/* collapse_file: khugepaged or MADV_COLLAPSE building a huge page
	 * from a file range, and its result (enum scan_result).  Every
	 * mechanism can serve: fentry/fexit and kprobe/kretprobe read
	 * (mm, addr, file, start) at entry and the result at return; the
	 * tracepoint (6.2+) fires as it returns.  Its raw program reads addr
	 * from args[3], or args[4] where the kernel declares is_shmem first
	 * (6.2-6.8, until a 2024 fix): whichever raw_shape alternative
	 * matched picks raw_cf_addr_arg. */
	{
		.name = "collapse_file",
		.func = "collapse_file",
		.params = { "mm", "addr", "file", "start" },
		.fentry = { "collapse_file_fentry", "collapse_file_fexit" },
		.ret_slot = RET_COLLAPSE,
		.kprobe = { "collapse_file_kprobe", "collapse_file_kretprobe" },
		.tp = { "collapse_file_tp" },
		.tp_event = { "huge_memory/mm_khugepaged_collapse_file" },
		.raw = { "collapse_file_raw" },
		.raw_event = { "mm_khugepaged_collapse_file" },
		/* (mm, folio, index, addr, is_shmem, file, nr, result), or
		 * (mm, folio, index, is_shmem, addr, file, nr, result) */
		.raw_shape = { "p:mm_struct ? l l b p:file i i"
			       "|p:mm_struct ? l b l p:file i i" },
		.raw_cf_addr_arg = { 3, 4 },
	},
	/* Before 5.19 (5.4-5.18): void collapse_file(mm, file, start, hpage,
	 * node), no tracepoint.  No address: user space finds it in the
	 * target's mapping of the file at start (cli/region_facts.c); the
	 * result is only success (*hpage taken) or failure. */
	{
		.name = "collapse_file",
		.func = "collapse_file",
		.params = { "mm", "file", "start", "hpage" },
		.fentry = { "collapse_file_old_fentry", "collapse_file_old_fexit" },
		.ctx_args = 3,	/* hpage is copied out */
		.kprobe = { "collapse_file_old_kprobe", "collapse_file_old_kretprobe" },
	},
	/* retract_page_tables: khugepaged clearing the PMDs that map a
	 * collapsed file range in every mm; it has no mm of its own, so its
	 * events are matched by file.  Only (mapping, pgoff) has stayed put
	 * across kernels.  At entry only.  No tracepoint: where it cannot be
	 * probed (inlined on 6.1), pagemap shows the clear. */
	{
		.name = "retract_page_tables",
		.func = "retract_page_tables",
		.params = { "mapping", "pgoff" },
		.fentry = { "retract_page_tables_fentry" },
		.kprobe = { "retract_page_tables_kprobe" },
	},
	/* pmdp_collapse_flush: one PMD cleared during a collapse, at entry.
	 * A kprobe only: fentry is still tried, so that the kernel's own
	 * reason is shown, but we have no fentry program.  No tracepoint. */
	{
		.name = "pmdp_collapse_flush",
		.func = "pmdp_collapse_flush",
		.params = { "vma", "address" },
		.why_no_fentry = "it returns a struct (pmd_t), which fentry/fexit cannot take",
		.kprobe = { "pmdp_collapse_flush_kprobe" },
	},
	/* do_set_pmd: a huge page mapped by one PMD (the refault after a
	 * collapse, finish_fault, khugepaged's set_huge_pmd), with its
	 * result: fexit alone has both arguments and result at return; by
	 * kprobes, the entry saves them for the return.  No tracepoint. */
	{
		.name = "do_set_pmd",
		.func = "do_set_pmd",
		.params = { "vmf" },
		.fentry = { NULL, "do_set_pmd_fexit" },
		.ret_slot = RET_SET_PMD,
		.kprobe = { "do_set_pmd_kprobe", "do_set_pmd_kretprobe" },
	},
	/* filemap_map_pages: fault-around mapping a file range, at return.
	 * Its tracepoint (~6.12) has file indexes and no address, so by
	 * tracepoint each user fault saves its address for the map_pages
	 * that follows; and it does not fire for a PMD mapping. */
	{
		.name = "filemap_map_pages",
		.func = "filemap_map_pages",
		.params = { "vmf", "start_pgoff", "end_pgoff" },
		.fentry = { NULL, "filemap_map_pages_fexit" },
		.ret_slot = RET_MAP_PAGES,	/* void before 5.12 */
		.kprobe = { "filemap_map_pages_kprobe", "filemap_map_pages_kretprobe" },
		.tp = { "filemap_map_pages_tp" },
		.tp_event = { "filemap/mm_filemap_map_pages" },
		.raw = { "filemap_map_pages_raw" },
		.raw_event = { "mm_filemap_map_pages" },
		/* (mapping, start_index, last_index) */
		.raw_shape = { "p:address_space l l" },
		.tp_needs_fault_addr = true,
	},

	/* The rest are tracepoints only, always on: no kernel function is
	 * probed for them. */

	/* scan_file: khugepaged scanning a file range (6.1+), and why it
	 * would or would not collapse it. */
	{
		.name = "scan_file",
		.tp = { "scan_file_tp" },
		.tp_event = { "huge_memory/mm_khugepaged_scan_file" },
		.raw = { "scan_file_raw" },
		.raw_event = { "mm_khugepaged_scan_file" },
		/* (mm, folio, file, present, swap, result) */
		.raw_shape = { "p:mm_struct ? p:file i i i" },
	},
	/* fault: the target's user page faults (the refault that maps a PMD),
	 * by x86's exceptions:page_fault_user. */
	{
		.name = "fault",
		.tp = { "page_fault_user_tp" },
		.tp_event = { "exceptions/page_fault_user" },
		.raw = { "page_fault_user_raw" },
		.raw_event = { "page_fault_user" },
		/* (address, regs, error_code) */
		.raw_shape = { "l p:pt_regs l" },
	},
	/* Where that tracepoint does not exist (arm64 has none), the generic
	 * handle_mm_fault, at entry: its user-mode calls that are not a
	 * retry.  No tracepoint of its own: with --backend tracepoint on
	 * arm64 faults are not traced, and pagemap shows the refault. */
	{
		.name = "fault",
		.func = "handle_mm_fault",
		.params = { "vma", "address", "flags" },
		.fentry = { "handle_mm_fault_fentry" },
		.kprobe = { "handle_mm_fault_kprobe" },
		.stand_in = "no exceptions:page_fault_user either: pagemap shows the refault",
	},
	/* madvise: the target asking for (or against) huge pages.  By perf
	 * event at entry and exit; raw, one program at sys_exit alone,
	 * filtered to madvise by syscall number, which the raw program knows
	 * for x86_64 and arm64 (bpf/target.bpf.h). */
	{
		.name = "madvise",
		.tp = { "madvise_enter", "madvise_exit" },
		.tp_event = { "syscalls/sys_enter_madvise", "syscalls/sys_exit_madvise" },
#if defined(__x86_64__) || defined(__aarch64__)
		.raw = { "madvise_exit_raw" },
		.raw_event = { "sys_exit" },
		/* (regs, ret) */
		.raw_shape = { "p:pt_regs l" },
#endif
	},
	/* split_huge_pmd: a PMD mapping of the target split (mprotect,
	 * munmap or mremap of part of it, migration, compaction; a file's PMD
	 * is dropped, not divided).  Two variants, one per kernel shape (rows
	 * with the same name: the first that attaches serves, see
	 * probes_choose): split_huge_pmd_locked (6.10+), which __split_huge_pmd
	 * calls and rmap's lazy-free reclaim calls directly, else
	 * __split_huge_pmd.  No tracepoint: where neither fentry nor a kprobe
	 * attaches (6.18 here) the model infers it from the page state. */
	{
		.name = "split_huge_pmd",
		.func = "split_huge_pmd_locked",
		.params = { "vma", "address" },
		.fentry = { "split_huge_pmd_locked_fentry" },
		.kprobe = { "split_huge_pmd_locked_kprobe" },
	},
	{
		.name = "split_huge_pmd",
		.func = "__split_huge_pmd",
		.params = { "vma", "pmd", "address" },
		.fentry = { "split_huge_pmd_fentry" },
		.kprobe = { "split_huge_pmd_kprobe" },
	},
	/* zap_huge_pmd: a PMD mapping of the target zapped (MADV_DONTNEED,
	 * MADV_FREE, munmap, truncation).  Same fallback as the split. */
	{
		.name = "zap_huge_pmd",
		.func = "zap_huge_pmd",
		.params = { "tlb", "vma", "pmd", "addr" },
		.fentry = { "zap_huge_pmd_fentry" },
		.kprobe = { "zap_huge_pmd_kprobe" },
	},
	/* migration: a PMD-mapped huge page of the target being moved
	 * (compaction, NUMA balancing, move_pages): its PMD becomes a
	 * migration entry (set_pmd_migration_entry, with its result at
	 * return), then maps the new page (remove_migration_pmd).  The
	 * thp tracepoints have the address and no mm: by tracepoint only the
	 * target's own migrations are kept (kcompactd's are not). */
	{
		.name = "set_migration_pmd",
		.func = "set_pmd_migration_entry",
		.params = { "pvmw" },
		.fentry = { NULL, "set_pmd_migration_entry_fexit" },
		.ret_slot = RET_MIGRATE,	/* void before 5.17 */
		.kprobe = { "set_pmd_migration_entry_kprobe" },
		.tp_event = { "thp/set_migration_pmd" },
		.raw = { "set_migration_pmd_raw" },
		.raw_event = { "set_migration_pmd" },
		/* (addr, pmd) */
		.raw_shape = { "l l" },
	},
	{
		.name = "remove_migration_pmd",
		.func = "remove_migration_pmd",
		.params = { "pvmw" },
		.fentry = { "remove_migration_pmd_fentry" },
		.kprobe = { "remove_migration_pmd_kprobe" },
		.tp_event = { "thp/remove_migration_pmd" },
		.raw = { "remove_migration_pmd_raw" },
		.raw_event = { "remove_migration_pmd" },
		/* (addr, pmd) */
		.raw_shape = { "l l" },
	},
	/* split_folio: a huge folio of the target divided into smaller ones
	 * (after its PMD split: MADV_PAGEOUT or MADV_COLD of part of it,
	 * migration, truncation), with the result at return.  Only the
	 * target's own anonymous folios: a folio has no mm.  6.8+ names the
	 * order to split to. */
	{
		.name = "split_folio",
		.func = "split_huge_page_to_list_to_order",
		.params = { "page", "list", "new_order" },
		.fentry = { "split_folio_order_fentry", "split_folio_order_fexit" },
		.stand_in = "pagemap's huge-folio flag stands in",
		.kprobe = { "split_folio_order_kprobe", "split_folio_order_kretprobe" },
	},
	{
		.name = "split_folio",
		.func = "split_huge_page_to_list",
		.params = { "page", "list" },
		.fentry = { "split_folio_fentry", "split_folio_fexit" },
		.stand_in = "pagemap's huge-folio flag stands in",
		.kprobe = { "split_folio_kprobe", "split_folio_kretprobe" },
	},
	/* deferred_split: part of a huge folio of the target unmapped (munmap,
	 * MADV_DONTNEED of part of it): queued for the deferred-split
	 * shrinker, which divides it later, under memory pressure.  Three
	 * kernel shapes; on 6.12+ only calls with partially_mapped count (the
	 * others put every new anonymous huge page on the underused list). */
	{
		.name = "deferred_split",
		.func = "deferred_split_folio",
		.params = { "folio", "partially_mapped" },
		.fentry = { "deferred_split_folio2_fentry" },
		.stand_in = "not seen: nothing else shows it",
		.kprobe = { "deferred_split_folio2_kprobe" },
	},
	{
		.name = "deferred_split",
		.func = "deferred_split_folio",
		.params = { "folio" },
		.fentry = { "deferred_split_folio_fentry" },
		.stand_in = "not seen: nothing else shows it",
		.kprobe = { "deferred_split_folio_kprobe" },
	},
	{
		.name = "deferred_split",
		.func = "deferred_split_huge_page",
		.params = { "page" },
		.fentry = { "deferred_split_page_fentry" },
		.stand_in = "not seen: nothing else shows it",
		.kprobe = { "deferred_split_page_kprobe" },
	},
	/* scan_pmd: khugepaged (or MADV_COLLAPSE) scanning one PMD range of
	 * anonymous memory, with the final result (the collapse's when it went
	 * on to collapse_huge_page).  The function (6.1+; its third parameter
	 * was renamed start_addr in 6.16: one row per name, the tracepoint in
	 * the last, so that a function row is tried first) has the address;
	 * the tracepoint has none, so its raw program guesses it from the last
	 * small folio scanned (user space checks the guess), and the perf-event
	 * one only has that folio's pfn. */
	{
		.name = "scan_pmd",
		.func = "hpage_collapse_scan_pmd",
		.params = { "mm", "vma", "address" },
		.fentry = { NULL, "scan_pmd_fexit" },
		.ret_slot = RET_SCAN_PMD,
		.kprobe = { "scan_pmd_kprobe", "scan_pmd_kretprobe" },
	},
	{
		.name = "scan_pmd",
		.func = "hpage_collapse_scan_pmd",
		.params = { "mm", "vma", "start_addr" },
		.fentry = { NULL, "scan_pmd_fexit" },
		.ret_slot = RET_SCAN_PMD,
		.kprobe = { "scan_pmd_kprobe", "scan_pmd_kretprobe" },
		.tp = { "scan_pmd_tp" },
		.tp_event = { "huge_memory/mm_khugepaged_scan_pmd" },
		.raw = { "scan_pmd_raw" },
		.raw_event = { "mm_khugepaged_scan_pmd" },
		/* (mm, folio, referenced, none_or_zero, status, unmapped) */
		.raw_shape = { "p:mm_struct p:folio i i i i" },
	},
	/* collapse_huge_page: building an anonymous huge page, and its
	 * result.  The function has the address; the tracepoint has the mm,
	 * how many pages were isolated and the result. */
	{
		.name = "collapse_huge_page",
		.func = "collapse_huge_page",
		.params = { "mm", "address", "referenced" },
		.fentry = { NULL, "collapse_huge_page_fexit" },
		.ret_slot = RET_COLLAPSE_HP,
		.kprobe = { "collapse_huge_page_kprobe", "collapse_huge_page_kretprobe" },
		.tp = { "collapse_huge_page_tp" },
		.tp_event = { "huge_memory/mm_collapse_huge_page" },
		.raw = { "collapse_huge_page_raw" },
		.raw_event = { "mm_collapse_huge_page" },
		/* (mm, isolated, status) */
		.raw_shape = { "p:mm_struct i i" },
	},
	/* huge_fault: an anonymous fault asking for a PMD-sized page, and
	 * whether it got one (VM_FAULT_FALLBACK: small pages instead).  No
	 * tracepoint: kmem:mm_page_alloc (page_alloc) and the page state
	 * stand in. */
	{
		.name = "huge_fault",
		.func = "do_huge_pmd_anonymous_page",
		.params = { "vmf" },
		.fentry = { NULL, "huge_fault_fexit" },
		.ret_slot = RET_HUGE_FAULT,
		.kprobe = { "huge_fault_kprobe", "huge_fault_kretprobe" },
		.stand_in = "kmem:mm_page_alloc and the page state stand in",
	},
	/* page_alloc: a target thread allocating a movable folio of order 2
	 * or more (a fault's huge page, or a multi-size THP).  It fires for
	 * every allocation on the machine: the program tests the order
	 * first. */
	{
		.name = "page_alloc",
		.tp = { "page_alloc_tp" },
		.tp_event = { "kmem/mm_page_alloc" },
		.raw = { "page_alloc_raw" },
		.raw_event = { "mm_page_alloc" },
		/* (page, order, gfp_flags, migratetype) */
		.raw_shape = { "p:page i ? i" },
	},
	/* mmap: the target's mmap, munmap, mremap and mprotect, where a
	 * region's life starts and ends and what splits its PMD.  By perf
	 * event on the generic raw_syscalls tracepoints (the syscall number is
	 * tested first); raw, one program at sys_exit alone on x86_64 and
	 * arm64, as for madvise. */
	{
		.name = "mmap",
		.tp = { "mapping_enter", "mapping_exit" },
		.tp_event = { "raw_syscalls/sys_enter", "raw_syscalls/sys_exit" },
#if defined(__x86_64__) || defined(__aarch64__)
		.raw = { "mapping_exit_raw" },
		.raw_event = { "sys_exit" },
		/* (regs, ret) */
		.raw_shape = { "p:pt_regs l" },
#endif
	},
	/* exec: a target's exec, which makes a spawned target active (it
	 * is held until then) and names its program. */
	{
		.name = "exec",
		.tp = { "process_exec" },
		.tp_event = { "sched/sched_process_exec" },
		.raw = { "process_exec_raw" },
		.raw_event = { "sched_process_exec" },
		/* (task, old_pid, bprm) */
		.raw_shape = { "p:task_struct i p:linux_binprm" },
	},
	/* exit: a target's end, which also ends its mm's identity (the
	 * kernel reuses mm addresses).  Only the task is read, and kernels
	 * may pass more after it, hence "...". */
	{
		.name = "exit",
		.tp = { "process_exit" },
		.tp_event = { "sched/sched_process_exit" },
		.raw = { "process_exit_raw" },
		.raw_event = { "sched_process_exit" },
		/* (task, ...) */
		.raw_shape = { "p:task_struct ..." },
	},
};

const size_t probe_ndefs = sizeof(probe_defs) / sizeof(probe_defs[0]);
_Static_assert(sizeof(probe_defs) / sizeof(probe_defs[0]) <= PROBES_MAX,
	       "probe table larger than PROBES_MAX");
