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
/* fexit programs' return values: bpf_get_func_ret() where the kernel has it
 * (5.17+; user space probes for it), else the context slot after the
 * arguments, whose index user space reads from the function's prototype in
 * BTF (0: the function returns void here, no result).  One constant per
 * probe; the verifier sees them as constants and never walks the branch
 * not taken, so the helper's call is not even checked where it is absent. */
const volatile bool have_func_ret = true;
const volatile __u32 ret_idx_collapse = 5;	/* collapse_file(mm, addr, file, start, cc) */
const volatile __u32 ret_idx_set_pmd = 2;	/* do_set_pmd(vmf, page) */
const volatile __u32 ret_idx_map_pages = 3;	/* filemap_map_pages(vmf, start, end) */
const volatile __u32 ret_idx_migrate = 2;	/* set_pmd_migration_entry(pvmw, page) */
const volatile __u32 ret_idx_scan_pmd = 5;	/* hpage_collapse_scan_pmd(mm, vma, addr, locked, cc) */
const volatile __u32 ret_idx_collapse_hp = 5;	/* collapse_huge_page(mm, addr, ref, unmapped, cc) */
const volatile __u32 ret_idx_huge_fault = 1;	/* do_huge_pmd_anonymous_page(vmf) */

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
	__u64 a[5];
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

#include "relevance.bpf.h"

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
		return proc_relevant(*known) ? *known : 0;
	if (bpf_core_field_exists(mm->owner)) {
		struct task_struct *owner = BPF_CORE_READ(mm, owner);

		if (owner)
			owner_tgid = BPF_CORE_READ(owner, tgid);
	}
	if (!owner_tgid || owner_tgid == self_tgid)
		return 0;
	if (!trace_all && !tgid_active(owner_tgid))
		return 0;
	/* -a's filter: khugepaged's work for a process THP does not concern
	 * (its exit is never recorded, so its mm id would never retire) */
	if (!proc_relevant(owner_tgid))
		return 0;
	bpf_map_update_elem(&target_mms, &key, &owner_tgid, BPF_ANY);
	return owner_tgid;
}

/* Is the current task a target?  Also teaches target_mms its mm. */
static __always_inline bool current_is_target(void)
{
	__u32 *owner;
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
	/* a freed mm_struct's address comes back with its next process: the
	 * owner is corrected, not only learned */
	owner = bpf_map_lookup_elem(&target_mms, &key);
	if (!owner || *owner != tgid)
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

	relevance_mark(r->mm_tgid ? r->mm_tgid : r->tgid);
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

/* An fexit program's return value (see have_func_ret): ctx slot idx, read
 * at a constant offset in each branch (the verifier refuses a computed
 * one); idx 0 is "void". */
static __always_inline __u64 fexit_ret(__u64 *ctx, __u32 idx)
{
	__u64 ret = 0;

	if (!idx)
		return 0;
	if (have_func_ret) {
		bpf_get_func_ret(ctx, &ret);
		return ret;
	}
	switch (idx) {
	case 1: ret = ctx[1]; break;
	case 2: ret = ctx[2]; break;
	case 3: ret = ctx[3]; break;
	case 4: ret = ctx[4]; break;
	case 5: ret = ctx[5]; break;
	case 6: ret = ctx[6]; break;
	}
	return ret;
}

/* A record the target's own thread makes about its own mm (a fault, a
 * syscall, its exec), at addr; NULL when the ring buffer is full. */
static __always_inline struct thp_rec *own_rec(__u16 kind, bool small, __u64 addr)
{
	struct thp_rec *r = small ? rec_reserve_small(kind, VIA_TRACEPOINT)
				  : rec_reserve(kind, VIA_TRACEPOINT);

	if (!r)
		return NULL;
	struct mm_struct *mm = current_mm();

	r->mm = (__u64)mm;
	/* the mm's owner, not the thread's process: a vfork child runs in
	 * its parent's mm, and user space tells mms apart by their owner */
	r->mm_tgid = r->tgid;
	if (mm && bpf_core_field_exists(mm->owner)) {
		struct task_struct *owner = BPF_CORE_READ(mm, owner);

		if (owner)
			r->mm_tgid = BPF_CORE_READ(owner, tgid);
	}
	r->addr = addr;
	return r;
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

/* The programs, one file per part of the story; each includes nothing, and
 * reads the maps and helpers above. */
#include "khugepaged.bpf.h"
#include "fault_path.bpf.h"
#include "way_back.bpf.h"
#include "anon.bpf.h"
#include "target.bpf.h"
