/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): the way back: a PMD split or zapped. */
/* ---- the way back: __split_huge_pmd(vma, pmd, address, ...) and
 * zap_huge_pmd(tlb, vma, pmd, addr) ----
 * The actor (its pid and comm) tells the cause: the target's own thread
 * in a syscall (user space pairs it with that syscall's exit record), or
 * a kernel thread (kcompactd, kswapd, khugepaged). */
#define PF_EXITING 0x00000004

static __always_inline void pmd_lost(__u16 kind, __u8 via, struct vm_area_struct *vma, __u64 address)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct thp_rec *r;

	/* an exiting process tears every mapping down: no loss to explain;
	 * nor when the last reference to its mm was ours (the page-state
	 * sampler reading /proc/PID/pagemap as it exits: exit_mmap then runs
	 * in thptrace, seen once on 5.10) */
	if ((BPF_CORE_READ(task, flags) & PF_EXITING) ||
	    (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return;
	if ((r = vma_rec(kind, via, vma, address, true)))
		rec_submit(r);
}

SEC("?fentry/__split_huge_pmd")
int BPF_PROG(split_huge_pmd_fentry, struct vm_area_struct *vma, void *pmd, unsigned long address)
{
	pmd_lost(REC_SPLIT_PMD, VIA_FENTRY, vma, address);
	return 0;
}

SEC("?kprobe/__split_huge_pmd")
int BPF_KPROBE(split_huge_pmd_kprobe, void *vma, void *pmd, unsigned long address)
{
	pmd_lost(REC_SPLIT_PMD, VIA_KPROBE, vma, address);
	return 0;
}

SEC("?fentry/zap_huge_pmd")
int BPF_PROG(zap_huge_pmd_fentry, void *tlb, struct vm_area_struct *vma, void *pmd, unsigned long addr)
{
	pmd_lost(REC_ZAP_PMD, VIA_FENTRY, vma, addr);
	return 0;
}

SEC("?kprobe/zap_huge_pmd")
int BPF_KPROBE(zap_huge_pmd_kprobe, void *tlb, void *vma, void *pmd, unsigned long addr)
{
	pmd_lost(REC_ZAP_PMD, VIA_KPROBE, vma, addr);
	return 0;
}

/* split_huge_pmd_locked(vma, address, pmd, freeze, folio), 6.10+: where it
 * exists __split_huge_pmd calls it, and so does rmap's reclaim of a lazily
 * freed huge page, which bypasses __split_huge_pmd; the probe table uses it
 * instead of __split_huge_pmd there. */
SEC("?fentry/split_huge_pmd_locked")
int BPF_PROG(split_huge_pmd_locked_fentry, struct vm_area_struct *vma, unsigned long address)
{
	pmd_lost(REC_SPLIT_PMD, VIA_FENTRY, vma, address);
	return 0;
}

SEC("?kprobe/split_huge_pmd_locked")
int BPF_KPROBE(split_huge_pmd_locked_kprobe, void *vma, unsigned long address)
{
	pmd_lost(REC_SPLIT_PMD, VIA_KPROBE, vma, address);
	return 0;
}

/* ---- migration: set_pmd_migration_entry(pvmw, page) and
 * remove_migration_pmd(pvmw, new) ----
 * A PMD-mapped huge page being moved (compaction, NUMA balancing,
 * move_pages, memory offlining): its PMD becomes a migration entry, then
 * maps the new huge page.  The walk holds the vma and the address.  The
 * thp:set_migration_pmd / remove_migration_pmd tracepoints carry only the
 * address, so by tracepoint only the target's own migrations are kept. */
static __always_inline void pmd_migration(__u16 kind, __u8 via, struct page_vma_mapped_walk *pvmw,
					  bool has_ret, __s64 ret)
{
	struct vm_area_struct *vma = BPF_CORE_READ(pvmw, vma);
	__u64 address = BPF_CORE_READ(pvmw, address);
	struct thp_rec *r = vma_rec(kind, via, vma, address, true);

	if (!r)
		return;
	if (has_ret) {
		r->ret = ret;
		r->flags |= REC_F_HAS_RET;
	}
	rec_submit(r);
}

/* int since 5.17-ish, void before (ret_idx_migrate 0: no result) */
SEC("?fexit/set_pmd_migration_entry")
int set_pmd_migration_entry_fexit(__u64 *ctx)
{
	__u64 ret = fexit_ret(ctx, ret_idx_migrate);

	pmd_migration(REC_MIGRATE_PMD, VIA_FEXIT, (struct page_vma_mapped_walk *)ctx[0],
		      ret_idx_migrate != 0, (int)ret);
	return 0;
}

SEC("?kprobe/set_pmd_migration_entry")
int BPF_KPROBE(set_pmd_migration_entry_kprobe, struct page_vma_mapped_walk *pvmw)
{
	pmd_migration(REC_MIGRATE_PMD, VIA_KPROBE, pvmw, false, 0);
	return 0;
}

SEC("?fentry/remove_migration_pmd")
int BPF_PROG(remove_migration_pmd_fentry, struct page_vma_mapped_walk *pvmw)
{
	pmd_migration(REC_MIGRATED_PMD, VIA_FENTRY, pvmw, false, 0);
	return 0;
}

SEC("?kprobe/remove_migration_pmd")
int BPF_KPROBE(remove_migration_pmd_kprobe, struct page_vma_mapped_walk *pvmw)
{
	pmd_migration(REC_MIGRATED_PMD, VIA_KPROBE, pvmw, false, 0);
	return 0;
}

static __always_inline void migration_tp(__u16 kind, __u64 addr)
{
	struct thp_rec *r;

	if (!current_is_target() || !region_in_ranges(addr))
		return;
	if ((r = own_rec(kind, true, addr)))
		rec_submit(r);
}

/* (addr, pmd): the pmd value is a physical address, never read */
SEC("?raw_tp/set_migration_pmd")
int BPF_PROG(set_migration_pmd_raw, unsigned long addr)
{
	migration_tp(REC_MIGRATE_PMD, addr);
	return 0;
}

SEC("?raw_tp/remove_migration_pmd")
int BPF_PROG(remove_migration_pmd_raw, unsigned long addr)
{
	migration_tp(REC_MIGRATED_PMD, addr);
	return 0;
}

/* ---- folio splits: split_huge_page_to_list_to_order(page, list,
 * new_order) (6.8+), split_huge_page_to_list(page, list) before, and
 * deferred_split_folio(folio[, partially_mapped]) /
 * deferred_split_huge_page(page) ----
 * After its PMD split, a huge page is still one folio mapped by small
 * entries; this is the folio itself divided (order 9 into order 0, or a
 * smaller order for mTHP), or queued to be divided later by the
 * deferred-split shrinker because part of it was unmapped.  A folio has no
 * mm: only the target's own splits (its syscall or fault) are kept, and
 * only anonymous ones, whose address is their page index (exact unless
 * mremap moved the mapping).  The shrinker's later split (kswapd, direct
 * reclaim of any process) cannot be attributed; the PMD split before it
 * is. */
#define PAGE_MAPPING_ANON 0x1

struct folio___v61 {
	unsigned char _folio_order;
} __attribute__((preserve_access_index));

/* Before folios (5.16): the head page's second page has compound_order. */
struct page___v510 {
	unsigned char compound_order;
	void *mapping;
	unsigned long index;
} __attribute__((preserve_access_index));

static __always_inline struct folio *page_folio_of(struct page *page)
{
	unsigned long head = BPF_CORE_READ(page, compound_head);

	return (struct folio *)(head & 1 ? head - 1 : (unsigned long)page);
}

static __always_inline __u32 folio_order_of(struct folio *folio)
{
	struct folio___v61 *old = (void *)folio;
	struct page___v510 *tail = (void *)((struct page *)folio + 1);

	if (bpf_core_field_exists(old->_folio_order))	/* 5.16 to 6.7 */
		return BPF_CORE_READ(old, _folio_order);
	if (bpf_core_field_exists(folio->_flags_1))	/* 6.8+ */
		return BPF_CORE_READ(folio, _flags_1) & 0xff;
	if (bpf_core_field_exists(tail->compound_order))	/* before folios */
		return BPF_CORE_READ(tail, compound_order);
	return 0;
}

/* The user address of the target's own anonymous folio, or 0.  Kernels
 * before folios (5.16) have only the head page, with the same fields. */
static __always_inline __u64 own_anon_folio_addr(struct folio *folio)
{
	struct page___v510 *head = (void *)folio;
	bool paged = !bpf_core_type_exists(struct folio);
	unsigned long mapping = paged ? (unsigned long)BPF_CORE_READ(head, mapping)
				      : (unsigned long)BPF_CORE_READ(folio, mapping);

	if (!(mapping & PAGE_MAPPING_ANON) || !current_is_target())
		return 0;
	return (__u64)(paged ? BPF_CORE_READ(head, index) : BPF_CORE_READ(folio, index)) << 12;
}

static __always_inline void folio_split_enter(struct page *page, __u32 new_order)
{
	struct folio *folio = page_folio_of(page);
	__u64 addr = own_anon_folio_addr(folio);

	if (addr && region_in_ranges(addr))
		stash_put(REC_SPLIT_FOLIO, addr, folio_order_of(folio), new_order);
}

static __always_inline void folio_split_exit(__u8 via, __s64 ret)
{
	struct stash_val v;
	struct thp_rec *r;

	if (!stash_take(REC_SPLIT_FOLIO, &v) || !(r = own_rec(REC_SPLIT_FOLIO, true, v.a[0])))
		return;
	r->via = via;
	r->arg = v.a[1];
	r->arg2 = v.a[2];
	r->ret = ret;
	r->flags |= REC_F_HAS_RET;
	rec_submit(r);
}

SEC("?fentry/split_huge_page_to_list_to_order")
int BPF_PROG(split_folio_order_fentry, struct page *page, void *list, unsigned int new_order)
{
	folio_split_enter(page, new_order);
	return 0;
}

SEC("?fexit/split_huge_page_to_list_to_order")
int BPF_PROG(split_folio_order_fexit, struct page *page, void *list, unsigned int new_order, int ret)
{
	folio_split_exit(VIA_FEXIT, ret);
	return 0;
}

SEC("?kprobe/split_huge_page_to_list_to_order")
int BPF_KPROBE(split_folio_order_kprobe, struct page *page, void *list, unsigned int new_order)
{
	folio_split_enter(page, new_order);
	return 0;
}

SEC("?kretprobe/split_huge_page_to_list_to_order")
int BPF_KRETPROBE(split_folio_order_kretprobe, int ret)
{
	folio_split_exit(VIA_KRETPROBE, ret);
	return 0;
}

SEC("?fentry/split_huge_page_to_list")
int BPF_PROG(split_folio_fentry, struct page *page)
{
	folio_split_enter(page, 0);
	return 0;
}

SEC("?fexit/split_huge_page_to_list")
int BPF_PROG(split_folio_fexit, struct page *page, void *list, int ret)
{
	folio_split_exit(VIA_FEXIT, ret);
	return 0;
}

SEC("?kprobe/split_huge_page_to_list")
int BPF_KPROBE(split_folio_kprobe, struct page *page)
{
	folio_split_enter(page, 0);
	return 0;
}

SEC("?kretprobe/split_huge_page_to_list")
int BPF_KRETPROBE(split_folio_kretprobe, int ret)
{
	folio_split_exit(VIA_KRETPROBE, ret);
	return 0;
}

/* Folios recently reported queued, -> when: before 6.8 the kernel calls
 * deferred_split_huge_page for every small page unmapped from a partly
 * mapped huge page (up to 511 times; it returns at once when the page is
 * already queued), so one report per folio per second. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} deferred_seen SEC(".maps");

static __always_inline bool in_folio_split(void)
{
	struct stash_key k = { .pid_tgid = bpf_get_current_pid_tgid(), .kind = REC_SPLIT_FOLIO };

	return bpf_map_lookup_elem(&stash, &k) != NULL;
}

static __always_inline void deferred_split(__u8 via, struct folio *folio)
{
	__u64 key = (__u64)folio, now = bpf_ktime_get_ns(), *seen;
	__u64 addr;
	struct thp_rec *r;

	/* the split itself unmaps the pages (6.1): not a partial unmap */
	if (in_folio_split())
		return;
	seen = bpf_map_lookup_elem(&deferred_seen, &key);
	if (seen && now - *seen < 1000000000ULL)
		return;
	addr = own_anon_folio_addr(folio);
	if (!addr || !region_in_ranges(addr))
		return;
	bpf_map_update_elem(&deferred_seen, &key, &now, BPF_ANY);
	if (!(r = own_rec(REC_DEFERRED_SPLIT, true, addr)))
		return;
	r->via = via;
	r->arg = folio_order_of(folio);
	rec_submit(r);
}

/* 6.12+: also called with partially_mapped false for every new anonymous
 * huge page (the underused-THP shrinker's list): only a partial unmap is a
 * loss. */
SEC("?fentry/deferred_split_folio")
int BPF_PROG(deferred_split_folio2_fentry, struct folio *folio, bool partially_mapped)
{
	if (partially_mapped)
		deferred_split(VIA_FENTRY, folio);
	return 0;
}

SEC("?kprobe/deferred_split_folio")
int BPF_KPROBE(deferred_split_folio2_kprobe, struct folio *folio, bool partially_mapped)
{
	if (partially_mapped)
		deferred_split(VIA_KPROBE, folio);
	return 0;
}

/* 6.8-6.11: deferred_split_folio(folio), called on a partial unmap only */
SEC("?fentry/deferred_split_folio")
int BPF_PROG(deferred_split_folio_fentry, struct folio *folio)
{
	deferred_split(VIA_FENTRY, folio);
	return 0;
}

SEC("?kprobe/deferred_split_folio")
int BPF_KPROBE(deferred_split_folio_kprobe, struct folio *folio)
{
	deferred_split(VIA_KPROBE, folio);
	return 0;
}

/* before 6.8: deferred_split_huge_page(page) */
SEC("?fentry/deferred_split_huge_page")
int BPF_PROG(deferred_split_page_fentry, struct page *page)
{
	deferred_split(VIA_FENTRY, page_folio_of(page));
	return 0;
}

SEC("?kprobe/deferred_split_huge_page")
int BPF_KPROBE(deferred_split_page_kprobe, struct page *page)
{
	deferred_split(VIA_KPROBE, page_folio_of(page));
	return 0;
}
