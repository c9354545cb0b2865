/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): the target itself: its faults, madvise, mapping syscalls,
 * exec and exit. */
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
	r = own_rec(REC_FAULT, true, addr);
	if (!r)
		return;
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
	r = own_rec(REC_MADVISE, false, start);
	if (!r)
		return;
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
/* A global function: the verifier checks it once, with kind unknown,
 * instead of once per syscall kind in each caller (10 ms of load time). */
__noinline int mapping_record(__u64 kind_flags, __u64 a0, __u64 a1, __u64 a2, long ret)
{
	/* five arguments at most: the kind and mmap's flags share one */
	const __u32 kind = (__u32)kind_flags, a3 = (__u32)(kind_flags >> 32);
	const bool failed = ret < 0 && ret > -4096;
	const bool moved = kind == REC_MREMAP && !failed;
	__u64 start = kind == REC_MMAP ? (__u64)ret : a0;
	__u64 new_addr = moved ? (__u64)ret : 0, new_len = moved ? a2 : 0;
	struct thp_rec *r;

	if (kind == REC_MMAP && failed)		/* nothing was mapped */
		return 0;
	/* No range test here: the verifier walking the ranges loop in this
	 * program cost 5-10 ms at every start.  Mapping syscalls are few, and
	 * user space (bpf_targets_touch) drops those outside --range. */
	r = own_rec(kind, true, start);
	if (!r)
		return 0;
	r->len = a1;
	r->pgoff = new_addr;
	r->pgoff_end = new_len;
	r->ret = failed ? (__s32)ret : 0;
	r->arg = kind == REC_MMAP || kind == REC_MPROTECT ? (__s32)a2 : 0;
	r->arg2 = kind == REC_MMAP ? (__s32)a3 : 0;
	r->flags = REC_F_HAS_RET;
	rec_submit(r);
	return 0;
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
		mapping_record(kind, v.a[0], v.a[1], v.a[2], BPF_CORE_READ(ctx, ret));
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
	mapping_record(kind | (__u64)(__u32)BPF_CORE_READ(regs, r10) << 32, BPF_CORE_READ(regs, di),
		       BPF_CORE_READ(regs, si), BPF_CORE_READ(regs, dx), (long)ctx->args[1]);
	return 0;
}
#endif

static __always_inline struct thp_rec *exec_rec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *state = bpf_map_lookup_elem(&targets, &tgid);

	if (state && *state == TARGET_PENDING_EXEC)
		*state = TARGET_ACTIVE;
	if (!current_is_target())
		return NULL;
	return own_rec(REC_EXEC, false, 0);
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
