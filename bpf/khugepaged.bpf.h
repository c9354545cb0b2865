/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): khugepaged's work: collapse_file, retract_page_tables,
 * pmdp_collapse_flush, and its file scan. */
/* ---- collapse_file(mm, addr, file, start, ...) ---- */

static __always_inline void collapse_enter(__u64 mm, __u64 addr, __u64 file, __u64 start)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_val v = { .a = { mm, addr, file, start } };

	if (!mm_target((struct mm_struct *)mm))
		return;
	bpf_map_update_elem(&in_collapse, &id, &v, BPF_ANY);
}

static __always_inline bool file_in_ranges(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct thp_file_key fk = {};

	if (!range_filter)
		return true;
	if (!inode)
		return false;
	fk.ino = BPF_CORE_READ(inode, i_ino);
	fk.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	return bpf_map_lookup_elem(&target_files, &fk) != NULL;
}

static __always_inline void collapse_exit(__u8 via, __u64 mm, __u64 addr, __u64 file,
					  __u64 start, __s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thp_rec *r;
	__u32 tgid;

	bpf_map_delete_elem(&in_collapse, &id);
	tgid = mm_target((struct mm_struct *)mm);
	/* Without the address (before 5.19: user space finds it from the
	 * file and start), the file stands for the ranges. */
	if (!tgid || (addr ? !region_in_ranges(addr) : !file_in_ranges((struct file *)file)))
		return;
	r = rec_reserve(REC_COLLAPSE_FILE, via);
	if (!r)
		return;
	r->mm = mm;
	r->mm_tgid = tgid;
	r->addr = addr;
	r->pgoff = start;
	r->ret = ret;
	r->flags = REC_F_HAS_RET;
	rec_set_file(r, (struct file *)file);
	rec_submit(r);
}

SEC("?fentry/collapse_file")
int collapse_file_fentry(__u64 *ctx)
{
	collapse_enter(ctx[0], ctx[1], ctx[2], ctx[3]);
	return 0;
}

SEC("?fexit/collapse_file")
int collapse_file_fexit(__u64 *ctx)
{
	__u64 ret = fexit_ret(ctx, ret_idx_collapse);

	collapse_exit(VIA_FEXIT, ctx[0], ctx[1], ctx[2], ctx[3], (__s32)ret);
	return 0;
}

SEC("?kprobe/collapse_file")
int BPF_KPROBE(collapse_file_kprobe, void *mm, unsigned long addr, void *file, unsigned long start)
{
	collapse_enter((__u64)mm, addr, (__u64)file, start);
	return 0;
}

SEC("?kretprobe/collapse_file")
int BPF_KRETPROBE(collapse_file_kretprobe, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_val *v = bpf_map_lookup_elem(&in_collapse, &id);

	if (!v)
		return 0;
	collapse_exit(VIA_KRETPROBE, v->a[0], v->a[1], v->a[2], v->a[3], (__s32)ret);
	return 0;
}

/* Before 5.19: void collapse_file(mm, file, start, hpage, node).  No
 * address (user space finds it in the target's mapping of file at start)
 * and no result: on success the kernel has taken the new huge page,
 * *hpage is NULL; anything else is a failure whose reason is not kept. */
#define SCAN_FAIL_V 0		/* enum scan_result: SCAN_FAIL, SCAN_SUCCEED, */
#define SCAN_SUCCEED_V 1	/* the same in every kernel since 4.8 */

static __always_inline void collapse_old_exit(__u8 via, __u64 mm, __u64 file, __u64 start,
					      __u64 hpage)
{
	void *page = (void *)1;

	if (hpage)
		bpf_probe_read_kernel(&page, sizeof(page), (void *)hpage);
	collapse_exit(via, mm, 0, file, start, page ? SCAN_FAIL_V : SCAN_SUCCEED_V);
}

SEC("?fentry/collapse_file")
int collapse_file_old_fentry(__u64 *ctx)
{
	collapse_enter(ctx[0], 0, ctx[1], ctx[2]);
	return 0;
}

/* hpage (struct page **) is read from the context by a copy: the 5.10
 * verifier refuses a direct load of an argument that points to a pointer
 * ("is not a struct"). */
SEC("?fexit/collapse_file")
int collapse_file_old_fexit(__u64 *ctx)
{
	__u64 hpage = 0;

	bpf_probe_read_kernel(&hpage, sizeof(hpage), &ctx[3]);
	collapse_old_exit(VIA_FEXIT, ctx[0], ctx[1], ctx[2], hpage);
	return 0;
}

SEC("?kprobe/collapse_file")
int BPF_KPROBE(collapse_file_old_kprobe, void *mm, void *file, unsigned long start, void *hpage)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_val v = { .a = { (__u64)mm, 0, (__u64)file, start, (__u64)hpage } };

	if (mm_target(mm))
		bpf_map_update_elem(&in_collapse, &id, &v, BPF_ANY);
	return 0;
}

SEC("?kretprobe/collapse_file")
int BPF_KRETPROBE(collapse_file_old_kretprobe)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_val *v = bpf_map_lookup_elem(&in_collapse, &id);

	if (!v)
		return 0;
	collapse_old_exit(VIA_KRETPROBE, v->a[0], v->a[2], v->a[3], v->a[4]);
	return 0;
}

/* The tracepoints (plain or raw) fire as collapse_file returns. */
static __always_inline struct thp_rec *collapse_tp_rec(struct mm_struct *mm, __u64 addr, __u64 index,
						       int nr, int result)
{
	struct thp_rec *r;
	__u32 tgid;

	tgid = mm_target(mm);
	if (!tgid)
		return NULL;
	/* Kernels before a 2024 fix swapped addr and is_shmem: an address that
	 * is not 2 MiB aligned is not an address, so do not filter on it. */
	if ((addr & ~HPAGE_MASK) == 0 && addr && !region_in_ranges(addr))
		return NULL;
	r = rec_reserve(REC_COLLAPSE_FILE, VIA_TRACEPOINT);
	if (!r)
		return NULL;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->addr = addr;
	r->pgoff = index;
	r->arg = nr;
	r->ret = result;
	r->flags = REC_F_HAS_RET;
	return r;
}

SEC("?tracepoint/huge_memory/mm_khugepaged_collapse_file")
int collapse_file_tp(struct trace_event_raw_mm_khugepaged_collapse_file *ctx)
{
	__u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
	struct thp_rec *r;

	r = collapse_tp_rec(BPF_CORE_READ(ctx, mm), BPF_CORE_READ(ctx, addr), BPF_CORE_READ(ctx, index),
			    BPF_CORE_READ(ctx, nr), BPF_CORE_READ(ctx, result));
	if (!r)
		return 0;
	rec_set_tp_str(r, ctx, loc);
	rec_submit(r);
	return 0;
}

/* Raw tracepoints get the arguments, not the formatted record: no copy
 * into a perf buffer per event, and detaching does not wait for an RCU
 * grace period (closing a tracepoint perf event does, 50 ms each here).
 * (mm, folio, index, addr, is_shmem, file, nr, result) */
SEC("?raw_tp/mm_khugepaged_collapse_file")
int collapse_file_raw(struct bpf_raw_tracepoint_args *ctx)
{
	/* Both loads at constant offsets: the verifier refuses a computed one. */
	__u64 a3 = ctx->args[3], a4 = ctx->args[4];
	struct thp_rec *r;
	__u64 addr;

	barrier_var(a3);
	barrier_var(a4);
	addr = raw_cf_addr_arg == 4 ? a4 : a3;

	r = collapse_tp_rec((struct mm_struct *)ctx->args[0], addr, ctx->args[2], (int)ctx->args[6],
			    (int)ctx->args[7]);
	if (!r)
		return 0;
	rec_set_file(r, (struct file *)ctx->args[5]);
	rec_submit(r);
	return 0;
}

/* ---- retract_page_tables(mapping, pgoff, ...) ---- */

static __always_inline void retract(__u8 via, struct address_space *mapping, __u64 pgoff)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_val *ctxv = bpf_map_lookup_elem(&in_collapse, &id);
	struct inode *host = BPF_CORE_READ(mapping, host);
	struct thp_file_key fk = {};
	struct thp_rec *r;

	if (!host)
		return;
	fk.ino = BPF_CORE_READ(host, i_ino);
	fk.dev = BPF_CORE_READ(host, i_sb, s_dev);
	if (!ctxv && !bpf_map_lookup_elem(&target_files, &fk))
		return;
	r = rec_reserve(REC_RETRACT, via);
	if (!r)
		return;
	r->ino = fk.ino;
	r->dev = fk.dev;
	r->pgoff = pgoff;
	if (ctxv) {
		r->mm = ctxv->a[0];
		r->mm_tgid = mm_target((struct mm_struct *)ctxv->a[0]);
		r->addr = ctxv->a[1];
		r->flags |= REC_F_IN_COLLAPSE;
	}
	rec_submit(r);
}

SEC("?fentry/retract_page_tables")
int retract_page_tables_fentry(__u64 *ctx)
{
	retract(VIA_FENTRY, (struct address_space *)ctx[0], ctx[1]);
	return 0;
}

SEC("?kprobe/retract_page_tables")
int BPF_KPROBE(retract_page_tables_kprobe, void *mapping, unsigned long pgoff)
{
	retract(VIA_KPROBE, mapping, pgoff);
	return 0;
}

/* ---- pmdp_collapse_flush(vma, address, pmdp) ---- */

static __always_inline void pmd_flush(__u8 via, struct vm_area_struct *vma, __u64 address)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thp_rec *r = vma_rec(REC_PMDP_COLLAPSE_FLUSH, via, vma, address, false);

	if (!r)
		return;
	rec_set_file(r, BPF_CORE_READ(vma, vm_file));
	if (bpf_map_lookup_elem(&in_collapse, &id))
		r->flags |= REC_F_IN_COLLAPSE;
	rec_submit(r);
}

/* fentry cannot take a function that returns a struct (pmd_t): a kprobe only. */
SEC("?kprobe/pmdp_collapse_flush")
int BPF_KPROBE(pmdp_collapse_flush_kprobe, void *vma, unsigned long address)
{
	pmd_flush(VIA_KPROBE, vma, address);
	return 0;
}

/* ---- khugepaged's file scan ---- */

static __always_inline struct thp_rec *scan_file_rec(struct mm_struct *mm, int present, int swap,
						     int result)
{
	struct thp_rec *r;
	__u32 tgid;

	tgid = mm_target(mm);
	if (!tgid)
		return NULL;
	r = rec_reserve(REC_SCAN_FILE, VIA_TRACEPOINT);
	if (!r)
		return NULL;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->arg = present;
	r->arg2 = swap;
	r->ret = result;
	r->flags = REC_F_HAS_RET;
	return r;
}

SEC("?tracepoint/huge_memory/mm_khugepaged_scan_file")
int scan_file_tp(struct trace_event_raw_mm_khugepaged_scan_file *ctx)
{
	__u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
	struct thp_rec *r;

	r = scan_file_rec(BPF_CORE_READ(ctx, mm), BPF_CORE_READ(ctx, present), BPF_CORE_READ(ctx, swap),
			  BPF_CORE_READ(ctx, result));
	if (!r)
		return 0;
	rec_set_tp_str(r, ctx, loc);
	rec_submit(r);
	return 0;
}

/* (mm, folio, file, present, swap, result) */
SEC("?raw_tp/mm_khugepaged_scan_file")
int scan_file_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct thp_rec *r;

	r = scan_file_rec((struct mm_struct *)ctx->args[0], (int)ctx->args[3], (int)ctx->args[4],
			  (int)ctx->args[5]);
	if (!r)
		return 0;
	rec_set_file(r, (struct file *)ctx->args[2]);
	rec_submit(r);
	return 0;
}
