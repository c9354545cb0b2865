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

static __always_inline void fault_event(__u64 addr, __u64 error_code, __u8 via)
{
	bool matters = true;
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
	/* -a: the relevance filter first, the cheaper test there; else the
	 * target test first, so that only the target's faults are counted.
	 * A process the filter does not concern has no last fault to forget:
	 * that lookup is spared for the bulk of a busy host's faults. */
	if (trace_all ? !fault_relevant_of(addr, true, &matters) || !current_is_target()
		      : !current_is_target() || !fault_relevant_of(addr, true, &matters)) {
		if (matters && want_fault_addr && bpf_map_lookup_elem(&last_fault, &pid))
			bpf_map_delete_elem(&last_fault, &pid);
		return;
	}
	if (want_fault_addr)
		bpf_map_update_elem(&last_fault, &pid, &addr, BPF_ANY);
	r = own_rec(REC_FAULT, true, addr);
	if (!r)
		return;
	r->via = via;
	r->len = error_code;
	rec_submit(r);
}

SEC("?tracepoint/exceptions/page_fault_user")
int page_fault_user_tp(struct page_fault_user_args *ctx)
{
	fault_event(ctx->address, ctx->error_code, VIA_TRACEPOINT);
	return 0;
}

/* (address, regs, error_code) */
SEC("?raw_tp/page_fault_user")
int page_fault_user_raw(struct bpf_raw_tracepoint_args *ctx)
{
	fault_event(ctx->args[0], ctx->args[2], VIA_TRACEPOINT);
	return 0;
}

/* Where there is no exceptions:page_fault_user (x86 only: arm64 has none),
 * handle_mm_fault(vma, address, flags, regs), which every architecture's
 * fault handler calls.  Only faults from user mode, as the tracepoint, and
 * not the retry of one (FAULT_FLAG_TRIED).  Its flags become x86's error
 * code bits, which user space reads: write 0x2, user 0x4, instruction 0x10. */
#define FAULT_FLAG_WRITE___old 0x01	/* #defines before enum fault_flag (5.15) */
#define FAULT_FLAG_TRIED___old 0x20
#define FAULT_FLAG_USER___old 0x40
#define FAULT_FLAG_INSTRUCTION___old 0x100

static __always_inline __u64 fault_flag(bool exists, __u64 value, __u64 old)
{
	return exists ? value : old;
}

static __always_inline void mm_fault_event(__u64 addr, __u32 flags, __u8 via)
{
	__u64 w = fault_flag(bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_WRITE),
			     bpf_core_enum_value(enum fault_flag, FAULT_FLAG_WRITE), FAULT_FLAG_WRITE___old);
	__u64 t = fault_flag(bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_TRIED),
			     bpf_core_enum_value(enum fault_flag, FAULT_FLAG_TRIED), FAULT_FLAG_TRIED___old);
	__u64 u = fault_flag(bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_USER),
			     bpf_core_enum_value(enum fault_flag, FAULT_FLAG_USER), FAULT_FLAG_USER___old);
	__u64 x = fault_flag(bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_INSTRUCTION),
			     bpf_core_enum_value(enum fault_flag, FAULT_FLAG_INSTRUCTION),
			     FAULT_FLAG_INSTRUCTION___old);

	if (!(flags & u) || (flags & t))
		return;
	fault_event(addr, (flags & w ? 0x2 : 0) | 0x4 | (flags & x ? 0x10 : 0), via);
}

SEC("?fentry/handle_mm_fault")
int BPF_PROG(handle_mm_fault_fentry, void *vma, unsigned long address, unsigned int flags)
{
	mm_fault_event(address, flags, VIA_FENTRY);
	return 0;
}

SEC("?kprobe/handle_mm_fault")
int BPF_KPROBE(handle_mm_fault_kprobe, void *vma, unsigned long address, unsigned int flags)
{
	mm_fault_event(address, flags, VIA_KPROBE);
	return 0;
}

static __always_inline void madvise_record(__u64 start, __u64 len, __u64 advice, long ret)
{
	struct thp_rec *r;

	if (!in_ranges(start, start + len))
		return;
	relevance_madvised(start, len, advice, ret);
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

/* System call numbers, per architecture (the Makefile passes
 * -D__TARGET_ARCH_$(ARCH)), for the raw_syscalls programs, which see every
 * system call and test the number first; and at the raw sys_exit, how to
 * read a native syscall's number from the saved user registers (its
 * arguments: libbpf's PT_REGS_PARMn_CORE_SYSCALL; arm64's x0 already holds
 * the return value, its first argument is orig_x0).  User space offers the
 * raw sys_exit programs on x86_64 and arm64 (probe_table.c). */
#if defined(__TARGET_ARCH_x86)
#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_MUNMAP 11
#define NR_MREMAP 25
#define NR_MADVISE 28
#define TS_COMPAT 0x0002	/* an ia32 syscall: its numbers differ */
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)

static __always_inline bool native_syscall(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (bpf_core_field_exists(t->thread_info.status))
		return !(BPF_CORE_READ(t, thread_info.status) & TS_COMPAT);
	return true;
}
#elif defined(__TARGET_ARCH_arm64)
/* asm-generic/unistd.h */
#define NR_MUNMAP 215
#define NR_MREMAP 216
#define NR_MMAP 222
#define NR_MPROTECT 226
#define NR_MADVISE 233
#define TIF_32BIT 22		/* an AArch32 task: its numbers differ */
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)

static __always_inline bool native_syscall(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return !(BPF_CORE_READ(t, thread_info.flags) & (1UL << TIF_32BIT));
}
#else
#error "bpf/target.bpf.h: no system call numbers for this architecture: add them (and SYSCALL_NR, native_syscall)"
#endif

/* (regs, ret).  One program at the exit is enough: the arguments are
 * still in the saved user registers, which madvise does not change. */
SEC("?raw_tp/sys_exit")
int madvise_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if (SYSCALL_NR(regs) != NR_MADVISE || !native_syscall() || !current_is_target())
		return 0;
	madvise_record(PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
		       PT_REGS_PARM3_CORE_SYSCALL(regs), (long)ctx->args[1]);
	return 0;
}

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
	if (!proc_relevant(bpf_get_current_pid_tgid() >> 32))
		return 0;	/* the relevance filter: a process THP does not concern */
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
 * at the entry, kept per thread until the exit.  NR_*: see above. */
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

/* (regs, ret): the arguments are still in the saved user registers. */
SEC("?raw_tp/sys_exit")
int mapping_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u16 kind = mapping_kind(SYSCALL_NR(regs));

	if (!kind || !native_syscall() || !current_is_target())
		return 0;
	mapping_record(kind | (__u64)(__u32)PT_REGS_PARM4_CORE_SYSCALL(regs) << 32,
		       PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
		       PT_REGS_PARM3_CORE_SYSCALL(regs), (long)ctx->args[1]);
	return 0;
}

static __always_inline struct thp_rec *exec_rec(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 *state = bpf_map_lookup_elem(&targets, &tgid);

	if (state && *state == TARGET_PENDING_EXEC)
		*state = TARGET_ACTIVE;
	if (!current_is_target())
		return NULL;
	relevance_exec(tgid);
	if (!proc_relevant(tgid))
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
	__u64 unrecorded;
	struct thp_rec *r;
	__u32 tgid = id >> 32;
	bool quiet;

	if ((__u32)id != tgid || tgid == self_tgid)
		return;
	if (!trace_all && !tgid_active(tgid))
		return;
	unrecorded = relevance_forget(tgid, &quiet);
	if (quiet)
		return;
	r = rec_reserve(REC_EXIT, VIA_TRACEPOINT);
	if (!r)
		return;
	task = (struct task_struct *)bpf_get_current_task();
	r->mm_tgid = tgid;
	r->ret = BPF_CORE_READ(task, exit_code);
	r->flags = REC_F_HAS_RET | (fault_filter ? REC_F_FILTERED : 0);
	r->len = unrecorded;
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
