// SPDX-License-Identifier: GPL-2.0
/* thptrace's kernel side: observe, filter by target mm and address range,
 * write one small record per kept event.  No formatting here.
 *
 * Every function probe has up to three thin entry points (fentry/fexit,
 * kprobe/kretprobe, tracepoint), all declared optional ("?") so that user
 * space's attach policy (src/probe/probes.c) enables exactly one mechanism per
 * probe before load.  Each entry point only unpacks its arguments and calls
 * one shared handler. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "thptrace.h"

char LICENSE[] SEC("license") = "GPL";

#define HPAGE_SIZE (2ULL << 20)
#define HPAGE_MASK (~(HPAGE_SIZE - 1))

/* Set by user space before load. */
const volatile bool trace_all = false;		/* -a: every process is a target */
const volatile __u32 self_tgid = 0;		/* never trace ourselves */
const volatile __u64 wake_bytes = 256 * 1024;	/* wake user space past this backlog */
const volatile bool want_fault_addr = false;	/* map_pages tracepoint needs the fault address */
/* Which raw argument of mm_khugepaged_collapse_file is addr: 3, or 4 where
 * the kernel declares is_shmem first (6.2-6.8; user space reads it from BTF). */
const volatile __u32 raw_cf_addr_arg = 3;

/* Updated by user space at run time through the mmap'ed .bss: the ranges
 * are only known once the target has exec'ed. */
struct thp_range ranges[THP_MAX_RANGES];
__u32 nr_ranges;
__u32 range_filter;		/* 0: whole address space */
__u64 lost_records;		/* ring buffer full */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} rb SEC(".maps");

/* Hash maps here are allocated as used (BPF_F_NO_PREALLOC): preallocating
 * their 5,600 entries cost 4 ms of every start-up, for maps that hold a
 * handful.  LRU maps cannot be. */

/* Target processes by tgid -> TARGET_* (user space fills it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} targets SEC(".maps");

/* Target mms, learned lazily: mm pointer -> owning tgid. khugepaged works on
 * an mm, not a task, so this is how its work is attributed to the target. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} target_mms SEC(".maps");

/* Files (dev, ino) mapped in the traced ranges: retract_page_tables has no
 * mm, only the file. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct thp_file_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} target_files SEC(".maps");

/* Arguments saved at function entry for the return probe, keyed by thread
 * and probe kind. */
struct stash_key {
	__u64 pid_tgid;
	__u32 kind;
	__u32 pad;
};

struct stash_val {
	__u64 a[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct stash_key);
	__type(value, struct stash_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} stash SEC(".maps");

/* Thread -> mm of the collapse_file it is inside, for attributing
 * retract_page_tables and pmdp_collapse_flush calls made from it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct stash_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} in_collapse SEC(".maps");

/* Thread -> address of its last user fault, for the map_pages tracepoint,
 * which reports file indexes but no address. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} last_fault SEC(".maps");

static __always_inline bool tgid_active(__u32 tgid)
{
	__u32 *v = bpf_map_lookup_elem(&targets, &tgid);

	return v && *v == TARGET_ACTIVE;
}

static __always_inline bool in_ranges(__u64 start, __u64 end)
{
	if (!range_filter)
		return true;
	for (int i = 0; i < THP_MAX_RANGES; i++) {
		if (i >= nr_ranges)
			break;
		if (start < ranges[i].end && end > ranges[i].start)
			return true;
	}
	return false;
}

static __always_inline bool region_in_ranges(__u64 addr)
{
	__u64 r = addr & HPAGE_MASK;

	return in_ranges(r, r + HPAGE_SIZE);
}

/* The tgid owning mm if mm belongs to a target, else 0. */
static __always_inline __u32 mm_target(struct mm_struct *mm)
{
	__u64 key = (__u64)mm;
	__u32 *known, owner_tgid = 0;

	if (!mm)
		return 0;
	known = bpf_map_lookup_elem(&target_mms, &key);
	if (known)
		return *known;
	if (bpf_core_field_exists(mm->owner)) {
		struct task_struct *owner = BPF_CORE_READ(mm, owner);

		if (owner)
			owner_tgid = BPF_CORE_READ(owner, tgid);
	}
	if (!owner_tgid || owner_tgid == self_tgid)
		return 0;
	if (!trace_all && !tgid_active(owner_tgid))
		return 0;
	bpf_map_update_elem(&target_mms, &key, &owner_tgid, BPF_ANY);
	return owner_tgid;
}

/* Is the current task a target?  Also teaches target_mms its mm. */
static __always_inline bool current_is_target(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *task;
	struct mm_struct *mm;
	__u64 key;

	if (tgid == self_tgid)
		return false;
	if (!trace_all && !tgid_active(tgid))
		return false;
	task = (struct task_struct *)bpf_get_current_task();
	mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return false;
	key = (__u64)mm;
	if (!bpf_map_lookup_elem(&target_mms, &key))
		bpf_map_update_elem(&target_mms, &key, &tgid, BPF_ANY);
	return true;
}

static __always_inline struct mm_struct *current_mm(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm);
}

static __always_inline void rec_init(struct thp_rec *r, __u16 kind, __u8 via)
{
	__u64 id = bpf_get_current_pid_tgid();

	r->ts_ns = bpf_ktime_get_ns();
	r->pid = (__u32)id;
	r->tgid = id >> 32;
	r->kind = kind;
	r->via = via;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
}

static __always_inline struct thp_rec *rec_reserve(__u16 kind, __u8 via)
{
	struct thp_rec *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r) {
		__sync_fetch_and_add(&lost_records, 1);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	rec_init(r, kind, via);
	return r;
}

/* Faults come by the hundred thousand and carry no file name: their
 * records stop before it (THP_REC_SMALL bytes), so the ring buffer absorbs
 * bigger bursts. */
static __always_inline struct thp_rec *rec_reserve_small(__u16 kind, __u8 via)
{
	struct thp_rec *r = bpf_ringbuf_reserve(&rb, THP_REC_SMALL, 0);

	if (!r) {
		__sync_fetch_and_add(&lost_records, 1);
		return NULL;
	}
	__builtin_memset(r, 0, THP_REC_SMALL);
	rec_init(r, kind, via);
	return r;
}

/* Batch wake-ups: a wake-up per record costs more than the record itself;
 * user space drains on a short timer anyway. */
static __always_inline void rec_submit(struct thp_rec *r)
{
	__u64 backlog = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(r, backlog >= wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void rec_set_inode(struct thp_rec *r, struct inode *inode)
{
	if (!inode)
		return;
	r->ino = BPF_CORE_READ(inode, i_ino);
	r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
}

static __always_inline void rec_set_file(struct thp_rec *r, struct file *file)
{
	const unsigned char *name;

	if (!file)
		return;
	rec_set_inode(r, BPF_CORE_READ(file, f_inode));
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (name)
		bpf_probe_read_kernel_str(r->file, sizeof(r->file), name);
}

/* A tracepoint's __data_loc string: its low 16 bits are the offset in the
 * record. */
static __always_inline void rec_set_tp_str(struct thp_rec *r, void *ctx, __u32 loc)
{
	bpf_probe_read_kernel_str(r->file, sizeof(r->file), ctx + (loc & 0xffff));
}

/* ---- collapse_file(mm, addr, file, start, ...) ---- */

static __always_inline void collapse_enter(__u64 mm, __u64 addr, __u64 file, __u64 start)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stash_val v = { .a = { mm, addr, file, start } };

	if (!mm_target((struct mm_struct *)mm))
		return;
	bpf_map_update_elem(&in_collapse, &id, &v, BPF_ANY);
}

static __always_inline void collapse_exit(__u8 via, __u64 mm, __u64 addr, __u64 file,
					  __u64 start, __s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thp_rec *r;
	__u32 tgid;

	bpf_map_delete_elem(&in_collapse, &id);
	tgid = mm_target((struct mm_struct *)mm);
	if (!tgid || !region_in_ranges(addr))
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
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
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

/* A record about vma's mm at address, or NULL unless that mm is a target's
 * and the address in range.  Small: a record without a file name. */
static __always_inline struct thp_rec *vma_rec(__u16 kind, __u8 via, struct vm_area_struct *vma,
					       __u64 address, bool small)
{
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	__u32 tgid = mm_target(mm);
	struct thp_rec *r;

	if (!tgid || !region_in_ranges(address))
		return NULL;
	r = small ? rec_reserve_small(kind, via) : rec_reserve(kind, via);
	if (!r)
		return NULL;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->addr = address;
	return r;
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

	/* an exiting process tears every mapping down: no loss to explain */
	if (BPF_CORE_READ(task, flags) & PF_EXITING)
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

/* ---- do_set_pmd(vmf, ...) and filemap_map_pages(vmf, start, end) ---- */

static __always_inline void vmf_event(__u16 kind, __u8 via, struct vm_fault *vmf,
				      __u64 start, __u64 end, __s64 ret)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	__u64 address = BPF_CORE_READ(vmf, address);
	struct thp_rec *r;
	__u32 tgid;

	tgid = mm_target(mm);
	if (!tgid || !in_ranges(address, address + 1))
		return;
	r = rec_reserve(kind, via);
	if (!r)
		return;
	r->mm = (__u64)mm;
	r->mm_tgid = tgid;
	r->addr = address;
	r->pgoff = start;
	r->pgoff_end = end;
	r->ret = ret;
	r->flags = REC_F_HAS_RET;
	rec_set_file(r, BPF_CORE_READ(vma, vm_file));
	rec_submit(r);
}

static __always_inline void stash_put(__u32 kind, __u64 a0, __u64 a1, __u64 a2)
{
	struct stash_key k = { .pid_tgid = bpf_get_current_pid_tgid(), .kind = kind };
	struct stash_val v = { .a = { a0, a1, a2 } };

	bpf_map_update_elem(&stash, &k, &v, BPF_ANY);
}

static __always_inline bool stash_take(__u32 kind, struct stash_val *out)
{
	struct stash_key k = { .pid_tgid = bpf_get_current_pid_tgid(), .kind = kind };
	struct stash_val *v = bpf_map_lookup_elem(&stash, &k);

	if (!v)
		return false;
	*out = *v;
	bpf_map_delete_elem(&stash, &k);
	return true;
}

SEC("?fexit/do_set_pmd")
int do_set_pmd_fexit(__u64 *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	vmf_event(REC_SET_PMD, VIA_FEXIT, (struct vm_fault *)ctx[0], 0, 0, (__s32)ret);
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
		vmf_event(REC_SET_PMD, VIA_KRETPROBE, (struct vm_fault *)v.a[0], 0, 0, (__s32)ret);
	return 0;
}

SEC("?fexit/filemap_map_pages")
int filemap_map_pages_fexit(__u64 *ctx)
{
	__u64 ret = 0;

	if (!current_is_target())
		return 0;
	bpf_get_func_ret(ctx, &ret);
	vmf_event(REC_MAP_PAGES, VIA_FEXIT, (struct vm_fault *)ctx[0], ctx[1], ctx[2], (__s32)ret);
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
			  (__s32)ret);
	return 0;
}

/* The tracepoint has file indexes only; the address comes from the fault
 * that led here.  It does not fire when the range is mapped by a PMD. */
static __always_inline struct thp_rec *map_pages_tp_rec(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	__u64 addr = 0, *fa;
	struct thp_rec *r;

	/* With a range, only a target thread whose last fault was in it has
	 * an entry: everything else is rejected by this one lookup. */
	fa = bpf_map_lookup_elem(&last_fault, &pid);
	if (!fa && range_filter)
		return NULL;
	if (!current_is_target())
		return NULL;
	if (fa)
		addr = *fa;
	if (!in_ranges(addr, addr + 1))
		return NULL;
	r = rec_reserve(REC_MAP_PAGES, VIA_TRACEPOINT);
	if (!r)
		return NULL;
	r->mm = (__u64)current_mm();
	r->mm_tgid = r->tgid;
	r->addr = addr;
	return r;
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

/* ---- the target itself: faults, madvise, exec, exit ---- */

/* x86's exceptions:page_fault_user is not described in BTF; its layout has
 * been the same since it was added (4.15). */
struct page_fault_user_args {
	__u64 common;
	__u64 address;
	__u64 ip;
	__u64 error_code;
};

static __always_inline void fault_event(__u64 addr, __u64 error_code)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct thp_rec *r;

	/* The range test is the cheap one: first.  Out of range, the thread's
	 * last in-range address must not be lent to the map_pages that follows:
	 * drop it (a lookup first, as most threads have none). */
	if (!in_ranges(addr, addr + 1)) {
		if (want_fault_addr && bpf_map_lookup_elem(&last_fault, &pid))
			bpf_map_delete_elem(&last_fault, &pid);
		return;
	}
	if (!current_is_target())
		return;
	if (want_fault_addr)
		bpf_map_update_elem(&last_fault, &pid, &addr, BPF_ANY);
	r = rec_reserve_small(REC_FAULT, VIA_TRACEPOINT);
	if (!r)
		return;
	r->mm = (__u64)current_mm();
	r->mm_tgid = r->tgid;
	r->addr = addr;
	r->len = error_code;
	rec_submit(r);
}

SEC("?tracepoint/exceptions/page_fault_user")
int page_fault_user_tp(struct page_fault_user_args *ctx)
{
	fault_event(ctx->address, ctx->error_code);
	return 0;
}

/* (address, regs, error_code) */
SEC("?raw_tp/page_fault_user")
int page_fault_user_raw(struct bpf_raw_tracepoint_args *ctx)
{
	fault_event(ctx->args[0], ctx->args[2]);
	return 0;
}

static __always_inline void madvise_record(__u64 start, __u64 len, __u64 advice, long ret)
{
	struct thp_rec *r;

	if (!in_ranges(start, start + len))
		return;
	r = rec_reserve(REC_MADVISE, VIA_TRACEPOINT);
	if (!r)
		return;
	r->mm = (__u64)current_mm();
	r->mm_tgid = r->tgid;
	r->addr = start;
	r->len = len;
	r->arg = (__s32)advice;
	r->ret = ret;
	r->flags = REC_F_HAS_RET;
	rec_submit(r);
}

SEC("?tracepoint/syscalls/sys_enter_madvise")
int madvise_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!current_is_target())
		return 0;
	stash_put(REC_MADVISE, BPF_CORE_READ(ctx, args[0]), BPF_CORE_READ(ctx, args[1]),
		  BPF_CORE_READ(ctx, args[2]));
	return 0;
}

SEC("?tracepoint/syscalls/sys_exit_madvise")
int madvise_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct stash_val v;

	if (stash_take(REC_MADVISE, &v))
		madvise_record(v.a[0], v.a[1], v.a[2], BPF_CORE_READ(ctx, ret));
	return 0;
}

#if defined(__TARGET_ARCH_x86)
/* Every system call passes here, so the syscall number is tested first;
 * user space offers these on x86_64 only. */
#define NR_MADVISE 28
#define TS_COMPAT 0x0002	/* an ia32 syscall: its numbers differ */

static __always_inline bool native_syscall(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (bpf_core_field_exists(t->thread_info.status))
		return !(BPF_CORE_READ(t, thread_info.status) & TS_COMPAT);
	return true;
}

/* (regs, ret).  One program at the exit is enough: the arguments are
 * still in the saved user registers, which madvise does not change. */
SEC("?raw_tp/sys_exit")
int madvise_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if (BPF_CORE_READ(regs, orig_ax) != NR_MADVISE || !native_syscall() || !current_is_target())
		return 0;
	madvise_record(BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si), BPF_CORE_READ(regs, dx),
		       (long)ctx->args[1]);
	return 0;
}
#endif

/* ---- the target's mappings: mmap, munmap, mremap, mprotect ---- */

/* A region's life starts with a mapping and ends with its unmapping; a
 * PMD is split by an mprotect or munmap of part of it.  Recorded at the
 * syscall's exit, when the result is known, for ranges that touch the
 * traced ones.  kind: REC_MMAP..REC_MPROTECT; a: the syscall's arguments;
 * ret: its return value. */
static __always_inline void mapping_record(__u16 kind, __u64 a0, __u64 a1, __u64 a2, __u64 a3,
					   long ret)
{
	__u64 start = a0, len = a1, new_addr = 0, new_len = 0;
	struct thp_rec *r;

	if (kind == REC_MMAP) {
		if (ret < 0 && ret > -4096)	/* failed: nothing was mapped */
			return;
		start = (__u64)ret;
	} else if (kind == REC_MREMAP && !(ret < 0 && ret > -4096)) {
		new_addr = (__u64)ret;
		new_len = a2;
	}
	if (!in_ranges(start, start + len) && !(new_len && in_ranges(new_addr, new_addr + new_len)))
		return;
	r = rec_reserve_small(kind, VIA_TRACEPOINT);
	if (!r)
		return;
	r->mm = (__u64)current_mm();
	r->mm_tgid = r->tgid;
	r->addr = start;
	r->len = len;
	r->pgoff = new_addr;
	r->pgoff_end = new_len;
	r->ret = ret < 0 && ret > -4096 ? (__s32)ret : 0;
	r->arg = kind == REC_MMAP || kind == REC_MPROTECT ? (__s32)a2 : 0;
	r->arg2 = kind == REC_MMAP ? (__s32)a3 : 0;
	r->flags = REC_F_HAS_RET;
	rec_submit(r);
}

/* The generic syscall tracepoints (every kernel has them): the arguments
 * at the entry, kept per thread until the exit. */
#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_MUNMAP 11
#define NR_MREMAP 25

static __always_inline __u16 mapping_kind(long nr)
{
	return nr == NR_MMAP ? REC_MMAP : nr == NR_MUNMAP ? REC_MUNMAP
	     : nr == NR_MREMAP ? REC_MREMAP : nr == NR_MPROTECT ? REC_MPROTECT : 0;
}

SEC("?tracepoint/raw_syscalls/sys_enter")
int mapping_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u16 kind = mapping_kind(BPF_CORE_READ(ctx, id));

	if (!kind || !current_is_target())
		return 0;
	stash_put(kind, BPF_CORE_READ(ctx, args[0]), BPF_CORE_READ(ctx, args[1]),
		  BPF_CORE_READ(ctx, args[2]));
	return 0;
}

SEC("?tracepoint/raw_syscalls/sys_exit")
int mapping_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u16 kind = mapping_kind(BPF_CORE_READ(ctx, id));
	struct stash_val v;

	/* mmap's flags are not kept: the stash holds three arguments */
	if (kind && stash_take(kind, &v))
		mapping_record(kind, v.a[0], v.a[1], v.a[2], 0, BPF_CORE_READ(ctx, ret));
	return 0;
}

#if defined(__TARGET_ARCH_x86)
/* (regs, ret): the arguments are still in the saved user registers. */
SEC("?raw_tp/sys_exit")
int mapping_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u16 kind = mapping_kind(BPF_CORE_READ(regs, orig_ax));

	if (!kind || !native_syscall() || !current_is_target())
		return 0;
	mapping_record(kind, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si),
		       BPF_CORE_READ(regs, dx), BPF_CORE_READ(regs, r10), (long)ctx->args[1]);
	return 0;
}
#endif

static __always_inline struct thp_rec *exec_rec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *state = bpf_map_lookup_elem(&targets, &tgid);
	struct thp_rec *r;

	if (state && *state == TARGET_PENDING_EXEC)
		*state = TARGET_ACTIVE;
	if (!current_is_target())
		return NULL;
	r = rec_reserve(REC_EXEC, VIA_TRACEPOINT);
	if (!r)
		return NULL;
	r->mm = (__u64)current_mm();
	r->mm_tgid = r->tgid;
	return r;
}

SEC("?tracepoint/sched/sched_process_exec")
int process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
	struct thp_rec *r = exec_rec();

	if (!r)
		return 0;
	rec_set_tp_str(r, ctx, loc);
	rec_submit(r);
	return 0;
}

/* (task, old_pid, bprm) */
SEC("?raw_tp/sched_process_exec")
int process_exec_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	struct thp_rec *r = exec_rec();

	if (!r)
		return 0;
	bpf_probe_read_kernel_str(r->file, sizeof(r->file), BPF_CORE_READ(bprm, filename));
	rec_submit(r);
	return 0;
}

static __always_inline void exit_event(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct thp_rec *r;
	__u32 tgid = id >> 32;

	if ((__u32)id != tgid || tgid == self_tgid)
		return;
	if (!trace_all && !tgid_active(tgid))
		return;
	r = rec_reserve(REC_EXIT, VIA_TRACEPOINT);
	if (!r)
		return;
	task = (struct task_struct *)bpf_get_current_task();
	r->mm_tgid = tgid;
	r->ret = BPF_CORE_READ(task, exit_code);
	r->flags = REC_F_HAS_RET;
	/* Force a wake-up: the end of the target is worth reporting at once. */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

SEC("?tracepoint/sched/sched_process_exit")
int process_exit(void *ctx)
{
	exit_event();
	return 0;
}

SEC("?raw_tp/sched_process_exit")
int process_exit_raw(void *ctx)
{
	exit_event();
	return 0;
}
