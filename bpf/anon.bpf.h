/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): anonymous memory.  khugepaged's (and
 * MADV_COLLAPSE's) scan of one PMD range and its collapse_huge_page, the
 * huge fault and the large allocations a target thread makes.
 *
 * Record fields: REC_SCAN_PMD ret = enum scan_result, arg = referenced,
 * arg2 = none_or_zero, pgoff = unmapped, len = the tracepoint's pfn;
 * REC_COLLAPSE_HUGE_PAGE ret = enum scan_result, arg = isolated (tracepoint)
 * or referenced (fexit); REC_PAGE_ALLOC arg = order, arg2 = migratetype,
 * len = gfp flags, ret = 0 allocated or -ENOMEM (the tracepoint fires for
 * a failed allocation too); REC_HUGE_FAULT ret = vm_fault_t. */

/* ---- hpage_collapse_scan_pmd(mm, vma, address, mmap_locked, cc), 6.1+ ---- */

static __always_inline void scan_pmd_event(__u8 via, __u16 kind, struct mm_struct *mm, __u64 addr,
					   __s32 result, __s32 arg)
{
	__u32 tgid = mm_target(mm);
	struct thp_rec *r;

	if (!tgid || (addr && !region_in_ranges(addr)))
		return;
	r = rec_reserve_small(kind, via);
	if (!r)
		return;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->addr = addr & HPAGE_MASK;
	r->ret = result;
	r->arg = arg;
	r->flags = REC_F_HAS_RET;
	rec_submit(r);
}

SEC("?fexit/hpage_collapse_scan_pmd")
int scan_pmd_fexit(__u64 *ctx)
{
	__u64 ret = fexit_ret(ctx, ret_idx_scan_pmd);

	scan_pmd_event(VIA_FEXIT, REC_SCAN_PMD, (struct mm_struct *)ctx[0], ctx[2], (__s32)ret, 0);
	return 0;
}

SEC("?kprobe/hpage_collapse_scan_pmd")
int BPF_KPROBE(scan_pmd_kprobe, void *mm, void *vma, unsigned long address)
{
	if (mm_target(mm))
		stash_put(REC_SCAN_PMD, (__u64)mm, address, 0);
	return 0;
}

SEC("?kretprobe/hpage_collapse_scan_pmd")
int BPF_KRETPROBE(scan_pmd_kretprobe, long ret)
{
	struct stash_val v;

	if (stash_take(REC_SCAN_PMD, &v))
		scan_pmd_event(VIA_KRETPROBE, REC_SCAN_PMD, (struct mm_struct *)v.a[0], v.a[1], (__s32)ret, 0);
	return 0;
}

/* The tracepoint fires as the scan returns, with the final result (the
 * collapse's, when the scan went on to collapse_huge_page), in khugepaged or
 * in the process (MADV_COLLAPSE), but without an address: the last small
 * folio it looked at stands in.  For anonymous memory a folio's index is its
 * page's address >> 12 unless mremap moved the mapping; after a successful
 * collapse that folio has been freed, so the address is only a guess that
 * user space checks against the target's mappings. */
static __always_inline void scan_pmd_tp_event(struct mm_struct *mm, struct folio *folio, int referenced,
					      int none_or_zero, int status, int unmapped, __u64 pfn)
{
	__u32 tgid = mm_target(mm);
	struct thp_rec *r;
	__u64 addr = 0;

	if (!tgid)
		return;
	if (folio)
		addr = (__u64)BPF_CORE_READ(folio, index) << 12;
	r = rec_reserve_small(REC_SCAN_PMD, VIA_TRACEPOINT);
	if (!r)
		return;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->addr = addr & HPAGE_MASK;
	r->len = pfn;
	r->pgoff = unmapped;
	r->ret = status;
	r->arg = referenced;
	r->arg2 = none_or_zero;
	r->flags = REC_F_HAS_RET | (addr ? REC_F_ADDR_GUESS : 0);
	rec_submit(r);
}

SEC("?tracepoint/huge_memory/mm_khugepaged_scan_pmd")
int scan_pmd_tp(struct trace_event_raw_mm_khugepaged_scan_pmd *ctx)
{
	scan_pmd_tp_event(BPF_CORE_READ(ctx, mm), NULL, BPF_CORE_READ(ctx, referenced),
			  BPF_CORE_READ(ctx, none_or_zero), BPF_CORE_READ(ctx, status),
			  BPF_CORE_READ(ctx, unmapped), BPF_CORE_READ(ctx, pfn));
	return 0;
}

/* (mm, folio, referenced, none_or_zero, status, unmapped), 6.8+ */
SEC("?raw_tp/mm_khugepaged_scan_pmd")
int scan_pmd_raw(struct bpf_raw_tracepoint_args *ctx)
{
	scan_pmd_tp_event((struct mm_struct *)ctx->args[0], (struct folio *)ctx->args[1], (int)ctx->args[2],
			  (int)ctx->args[3], (int)ctx->args[4], (int)ctx->args[5], 0);
	return 0;
}

/* ---- collapse_huge_page(mm, address, referenced, unmapped, cc) ---- */

SEC("?fexit/collapse_huge_page")
int collapse_huge_page_fexit(__u64 *ctx)
{
	__u64 ret = fexit_ret(ctx, ret_idx_collapse_hp);

	scan_pmd_event(VIA_FEXIT, REC_COLLAPSE_HUGE_PAGE, (struct mm_struct *)ctx[0], ctx[1], (__s32)ret,
		       (__s32)ctx[2]);
	return 0;
}

SEC("?kprobe/collapse_huge_page")
int BPF_KPROBE(collapse_huge_page_kprobe, void *mm, unsigned long address, int referenced)
{
	if (mm_target(mm))
		stash_put(REC_COLLAPSE_HUGE_PAGE, (__u64)mm, address, referenced);
	return 0;
}

SEC("?kretprobe/collapse_huge_page")
int BPF_KRETPROBE(collapse_huge_page_kretprobe, long ret)
{
	struct stash_val v;

	if (stash_take(REC_COLLAPSE_HUGE_PAGE, &v))
		scan_pmd_event(VIA_KRETPROBE, REC_COLLAPSE_HUGE_PAGE, (struct mm_struct *)v.a[0], v.a[1],
			       (__s32)ret, (__s32)v.a[2]);
	return 0;
}

/* No address: the model takes the region from the scan_pmd that follows. */
static __always_inline void collapse_hp_tp(struct mm_struct *mm, int isolated, int status)
{
	__u32 tgid = mm_target(mm);
	struct thp_rec *r;

	if (!tgid)
		return;
	r = rec_reserve_small(REC_COLLAPSE_HUGE_PAGE, VIA_TRACEPOINT);
	if (!r)
		return;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->ret = status;
	r->arg = isolated;
	r->flags = REC_F_HAS_RET;
	rec_submit(r);
}

SEC("?tracepoint/huge_memory/mm_collapse_huge_page")
int collapse_huge_page_tp(struct trace_event_raw_mm_collapse_huge_page *ctx)
{
	collapse_hp_tp(BPF_CORE_READ(ctx, mm), BPF_CORE_READ(ctx, isolated), BPF_CORE_READ(ctx, status));
	return 0;
}

/* (mm, isolated, status) */
SEC("?raw_tp/mm_collapse_huge_page")
int collapse_huge_page_raw(struct bpf_raw_tracepoint_args *ctx)
{
	collapse_hp_tp((struct mm_struct *)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
	return 0;
}

/* ---- the huge fault: do_huge_pmd_anonymous_page(vmf) -> vm_fault_t ---- */

#define VM_FAULT_FALLBACK_V 0x000800

static __always_inline void huge_fault(__u8 via, struct vm_fault *vmf, __s32 ret)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	__u64 address = BPF_CORE_READ(vmf, address);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 haddr = address & HPAGE_MASK;
	struct thp_rec *r;

	/* In mode always the fault path calls it for every empty PMD range
	 * of any anonymous mapping; where the mapping cannot hold the
	 * aligned 2 MiB (a small heap, a stack) it falls back at once,
	 * having tried nothing (thp_vma_suitable_order): no THP activity,
	 * and no record. */
	if (haddr < BPF_CORE_READ(vma, vm_start) || haddr + HPAGE_SIZE > BPF_CORE_READ(vma, vm_end))
		return;
	/* the fault's own thread: with the filter, this is THP activity
	 * whatever the process did before (mode always needs no madvise);
	 * with -p only the target's (the filter's maps are sized for it) */
	if (trace_all || tgid_active(tgid))
		relevance_region(tgid, address);
	r = vma_rec(REC_HUGE_FAULT, via, vma, address, true);
	if (!r)
		return;
	r->ret = ret;
	r->flags = REC_F_HAS_RET;
	rec_submit(r);
}

SEC("?fexit/do_huge_pmd_anonymous_page")
int huge_fault_fexit(__u64 *ctx)
{
	__u64 ret = fexit_ret(ctx, ret_idx_huge_fault);

	huge_fault(VIA_FEXIT, (struct vm_fault *)ctx[0], (__s32)ret);
	return 0;
}

SEC("?kprobe/do_huge_pmd_anonymous_page")
int BPF_KPROBE(huge_fault_kprobe, void *vmf)
{
	if (current_is_target())
		stash_put(REC_HUGE_FAULT, (__u64)vmf, 0, 0);
	return 0;
}

SEC("?kretprobe/do_huge_pmd_anonymous_page")
int BPF_KRETPROBE(huge_fault_kretprobe, long ret)
{
	struct stash_val v;

	if (stash_take(REC_HUGE_FAULT, &v))
		huge_fault(VIA_KRETPROBE, (struct vm_fault *)v.a[0], (__s32)ret);
	return 0;
}

/* ---- kmem:mm_page_alloc: every allocation on the machine passes here ----
 * The cheap tests first: order >= 2 (a huge or multi-size THP folio; the
 * rest is nearly all order 0), movable (user memory; kernel stacks and
 * slabs are not), then the thread is a target's.  No address: the model
 * pairs it with the thread's fault that came just before. */
#define MIGRATE_MOVABLE_V 1

#define ENOMEM_V 12
#define HPAGE_PMD_ORDER_V 9

static __always_inline void page_alloc(__u32 order, __u64 gfp, int migratetype, bool failed)
{
	struct thp_rec *r;

	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (migratetype != MIGRATE_MOVABLE_V || order > 20)
		return;
	/* the relevance filter: a process THP does not concern (-a); a 2
	 * MiB folio is THP activity, and makes it one that THP concerns */
	if (order == HPAGE_PMD_ORDER_V && (trace_all || tgid_active(tgid)))
		relevance_mark(tgid);
	if (!proc_relevant(tgid) || !current_is_target())
		return;
	r = own_rec(REC_PAGE_ALLOC, true, 0);
	if (!r)
		return;
	r->arg = order;
	r->arg2 = migratetype;
	r->len = gfp;
	/* which of a fallback's causes: a failed 2 MiB allocation, or one
	 * that succeeded and was then refused by the memory cgroup */
	r->ret = failed ? -ENOMEM_V : 0;
	rec_submit(r);
}

SEC("?tracepoint/kmem/mm_page_alloc")
int page_alloc_tp(struct trace_event_raw_mm_page_alloc *ctx)
{
	__u32 order = BPF_CORE_READ(ctx, order);

	if (order < 2)
		return 0;
	/* pfn is -1UL where the allocation failed */
	page_alloc(order, BPF_CORE_READ(ctx, gfp_flags), BPF_CORE_READ(ctx, migratetype),
		   BPF_CORE_READ(ctx, pfn) == ~0UL);
	return 0;
}

/* (page, order, gfp_flags, migratetype) */
SEC("?raw_tp/mm_page_alloc")
int page_alloc_raw(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 order = (__u32)ctx->args[1];

	if (order < 2)
		return 0;
	page_alloc(order, ctx->args[2], (int)ctx->args[3], ctx->args[0] == 0);
	return 0;
}
