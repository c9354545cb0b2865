/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): the refault: do_set_pmd and filemap_map_pages. */
/* ---- do_set_pmd(vmf, ...) and filemap_map_pages(vmf, start, end) ---- */

static __always_inline void vmf_event(__u16 kind, __u8 via, struct vm_fault *vmf,
				      __u64 start, __u64 end, bool has_ret, __s64 ret)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	__u64 address = BPF_CORE_READ(vmf, address);
	struct thp_rec *r;
	__u32 tgid;

	tgid = mm_target(mm);
	if (!tgid || !in_ranges(address, address + 1))
		return;
	/* fault-around of a fault the filter dropped is dropped too */
	if (kind == REC_MAP_PAGES && !fault_relevant(address, false))
		return;
	r = rec_reserve(kind, via);
	if (!r)
		return;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->addr = address;
	r->pgoff = start;
	r->pgoff_end = end;
	if (has_ret) {
		r->ret = ret;
		r->flags = REC_F_HAS_RET;
	}
	rec_set_file(r, BPF_CORE_READ(vma, vm_file));
	rec_submit(r);
}


SEC("?fexit/do_set_pmd")
int do_set_pmd_fexit(__u64 *ctx)
{
	__u64 ret = fexit_ret(ctx, ret_idx_set_pmd);

	vmf_event(REC_SET_PMD, VIA_FEXIT, (struct vm_fault *)ctx[0], 0, 0, true, (__s32)ret);
	return 0;
}

SEC("?kprobe/do_set_pmd")
int BPF_KPROBE(do_set_pmd_kprobe, void *vmf)
{
	/* Only keep what can become a record: the filter runs again at return. */
	if (mm_target(BPF_CORE_READ((struct vm_fault *)vmf, vma, vm_mm)))
		stash_put(REC_SET_PMD, (__u64)vmf, 0, 0);
	return 0;
}

SEC("?kretprobe/do_set_pmd")
int BPF_KRETPROBE(do_set_pmd_kretprobe, long ret)
{
	struct stash_val v;

	if (stash_take(REC_SET_PMD, &v))
		vmf_event(REC_SET_PMD, VIA_KRETPROBE, (struct vm_fault *)v.a[0], 0, 0, true, (__s32)ret);
	return 0;
}

SEC("?fexit/filemap_map_pages")
int filemap_map_pages_fexit(__u64 *ctx)
{
	__u64 ret;

	if (!current_is_target())
		return 0;
	/* void before 5.12 (ret_idx_map_pages 0), vm_fault_t since */
	ret = fexit_ret(ctx, ret_idx_map_pages);
	vmf_event(REC_MAP_PAGES, VIA_FEXIT, (struct vm_fault *)ctx[0], ctx[1], ctx[2],
		  ret_idx_map_pages != 0, (__s32)ret);
	return 0;
}

SEC("?kprobe/filemap_map_pages")
int BPF_KPROBE(filemap_map_pages_kprobe, void *vmf, unsigned long start, unsigned long end)
{
	if (current_is_target())
		stash_put(REC_MAP_PAGES, (__u64)vmf, start, end);
	return 0;
}

SEC("?kretprobe/filemap_map_pages")
int BPF_KRETPROBE(filemap_map_pages_kretprobe, long ret)
{
	struct stash_val v;

	if (stash_take(REC_MAP_PAGES, &v))
		vmf_event(REC_MAP_PAGES, VIA_KRETPROBE, (struct vm_fault *)v.a[0], v.a[1], v.a[2],
			  ret_idx_map_pages != 0, (__s32)ret);
	return 0;
}

/* The tracepoint has file indexes only; the address comes from the fault
 * that led here.  It does not fire when the range is mapped by a PMD. */
static __always_inline struct thp_rec *map_pages_tp_rec(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	__u64 addr = 0, *fa;

	/* With a range, only a target thread whose last fault was in it has
	 * an entry: everything else is rejected by this one lookup. */
	fa = bpf_map_lookup_elem(&last_fault, &pid);
	if (!fa && (range_filter || fault_filter))
		return NULL;
	if (!current_is_target())
		return NULL;
	if (fa)
		addr = *fa;
	if (!in_ranges(addr, addr + 1))
		return NULL;
	return own_rec(REC_MAP_PAGES, false, addr);
}

SEC("?tracepoint/filemap/mm_filemap_map_pages")
int filemap_map_pages_tp(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	struct thp_rec *r = map_pages_tp_rec();

	if (!r)
		return 0;
	r->ino = BPF_CORE_READ(ctx, i_ino);
	r->dev = BPF_CORE_READ(ctx, s_dev);
	r->pgoff = BPF_CORE_READ(ctx, index);
	r->pgoff_end = BPF_CORE_READ(ctx, last_index);
	rec_submit(r);
	return 0;
}

/* (mapping, start_index, last_index) */
SEC("?raw_tp/mm_filemap_map_pages")
int filemap_map_pages_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct thp_rec *r = map_pages_tp_rec();

	if (!r)
		return 0;
	rec_set_inode(r, BPF_CORE_READ((struct address_space *)ctx->args[0], host));
	r->pgoff = ctx->args[1];
	r->pgoff_end = ctx->args[2];
	rec_submit(r);
	return 0;
}
