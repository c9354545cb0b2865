/* One row of the probe table (defs[] in probes.c): a probe, the BPF
 * programs that can serve it by each mechanism, and the few things that
 * follow from choosing one of them.  Private to src/probe/probes*.c; the
 * rest of thptrace sees struct probe_status and the functions of probes.h.
 *
 * Programs come in pairs, [0] at entry and [1] at return (fentry/fexit,
 * kprobe/kretprobe) or, for a tracepoint, one per tracepoint (madvise has
 * two).  Either may be NULL; a mechanism with neither is not offered. */
#ifndef THP_PROBE_DEF_H
#define THP_PROBE_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include "probe/probes.h"

#define PROBE_PARAMS_MAX 4	/* leading function parameters a row can check */
#define RAW_SHAPE_ALTS 2	/* alternatives in one raw_shape that a row can tell apart */

struct probe_def {
	const char *name;		/* as shown to the user */

	/* fentry/fexit and kprobe/kretprobe: the kernel function, or NULL for
	 * a tracepoint-only probe.  params are the leading parameters our
	 * programs read, up to the first NULL: CO-RE relocates struct fields,
	 * not function arguments, so they are checked by name against the
	 * running kernel's BTF before either mechanism is used. */
	const char *func;
	const char *params[PROBE_PARAMS_MAX];
	const char *fentry[2];		/* fentry, fexit programs */
	const char *why_no_fentry;	/* shown when fentry would load but we have no program */
	const char *kprobe[2];		/* kprobe, kretprobe programs */
	/* what shows its events where nothing attaches; NULL: "pagemap
	 * sampling stands in" */
	const char *stand_in;

	/* A tracepoint by perf event: programs that read the formatted record. */
	const char *tp[2];
	const char *tp_event[2];	/* "category/name" under tracefs events/ */

	/* The same tracepoints by raw programs, preferred to tp (no per-event
	 * record copy; detaching waits for no RCU grace period).  Raw
	 * arguments are positional, and their order has changed between
	 * kernels, so a raw program is used only where the kernel's
	 * btf_trace_<raw_event> prototype matches raw_shape; otherwise tp.
	 *
	 * raw_shape, as read by kbtf_tp_shape() (btf_names.h): one token per
	 * argument after the tracepoint's leading void *, separated by spaces:
	 *   p          any pointer          p:NAME  a pointer to struct NAME
	 *   l          an 8-byte integer    i       a 4-byte integer
	 *   b          a bool               ?       anything
	 *   ...        (last) more arguments may follow
	 * Alternatives are separated by '|'; the index of the first that
	 * matches raw_shape[0] is kept as probe_status.raw_variant. */
	const char *raw[2];
	const char *raw_event[2];	/* tracepoint name, without its category */
	const char *raw_shape[2];	/* per raw_event */

	/* Its fexit program reads the return value with fexit_ret() (see
	 * bpf/thptrace.bpf.c): which ret_idx_* constant gets the slot the
	 * kernel's prototype puts it in (kbtf_func_ret_index()).  The kretprobe
	 * also learns from it whether the function returns void here. */
	enum ret_slot ret_slot;
	/* How many of params its fentry/fexit programs load from the context
	 * directly (the trials load the last of them); 0: all.  Others are
	 * copied out (5.10 refuses a direct load of a pointer to a pointer). */
	unsigned char ctx_args;

	/* What the choice sets in .rodata (struct probe_consts): */
	bool tp_needs_fault_addr;	/* by tracepoint, raw or not: want_fault_addr */
	/* By raw tracepoint: cf_addr_arg, per raw_shape[0] alternative (0: leave it). */
	unsigned char raw_cf_addr_arg[RAW_SHAPE_ALTS];
};

/* The table (probe_table.c), in the order the probes are tried. */
extern const struct probe_def probe_defs[];
extern const size_t probe_ndefs;

static inline bool has_progs(const char *const p[2])
{
	return p[0] || p[1];
}

#endif
