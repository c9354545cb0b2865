/* The probe table and the attach policy.
 *
 * defs[] has one block per probe: what it observes, the programs of
 * bpf/thptrace.bpf.c that serve it by each mechanism, and what its choice
 * sets in .rodata (the fields are described in probe_def.h).  The policy
 * below is the same for every row: per probe, fentry/fexit, then
 * kprobe/kretprobe, then the tracepoint (raw where its BTF prototype has
 * the expected arguments, else by perf event), each tried on this kernel
 * (probe_trials.c); the first that works is used, or the one --backend
 * forces.  What was chosen is printed by probes_print.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe/btf_names.h"
#include "probe/probe_def.h"
#include "probe/probe_trials.h"
#include "probe/probes.h"
#include "util/config.h"

static const struct probe_def defs[] = {
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
	/* fault: the target's user page faults (the refault that maps a PMD). */
	{
		.name = "fault",
		.tp = { "page_fault_user_tp" },
		.tp_event = { "exceptions/page_fault_user" },
		.raw = { "page_fault_user_raw" },
		.raw_event = { "page_fault_user" },
		/* (address, regs, error_code) */
		.raw_shape = { "l p:pt_regs l" },
	},
	/* madvise: the target asking for (or against) huge pages.  By perf
	 * event at entry and exit; raw, one program at sys_exit alone,
	 * filtered to madvise by syscall number, which the raw program knows
	 * for x86_64 only. */
	{
		.name = "madvise",
		.tp = { "madvise_enter", "madvise_exit" },
		.tp_event = { "syscalls/sys_enter_madvise", "syscalls/sys_exit_madvise" },
#ifdef __x86_64__
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
	/* mmap: the target's mmap, munmap, mremap and mprotect, where a
	 * region's life starts and ends and what splits its PMD.  By perf
	 * event on the generic raw_syscalls tracepoints (the syscall number is
	 * tested first); raw, one program at sys_exit alone on x86_64, as for
	 * madvise. */
	{
		.name = "mmap",
		.tp = { "mapping_enter", "mapping_exit" },
		.tp_event = { "raw_syscalls/sys_enter", "raw_syscalls/sys_exit" },
#ifdef __x86_64__
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

#define NDEFS (sizeof(defs) / sizeof(defs[0]))
_Static_assert(NDEFS <= PROBES_MAX, "probe table larger than PROBES_MAX");

/* ---- the policy: the same for every row ---- */

static size_t nparams(const struct probe_def *d)
{
	size_t n = 0;

	while (n < PROBE_PARAMS_MAX && d->params[n])
		n++;
	return n;
}

static void try_fentry(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];
	int id;

	s->tried[MECH_FENTRY] = true;
	if (!kbtf_func_matches(btf, d->func, d->params, nparams(d), why, sizeof(why))) {
		snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "%s", why);
		return;
	}
	id = kbtf_func_id(btf, d->func);
	/* Try fentry even where we have no program, so the kernel's reason is shown. */
	if (trial_tracing(id, BPF_TRACE_FENTRY, why, sizeof(why)) < 0 ||
	    (d->fentry[1] && trial_tracing(id, BPF_TRACE_FEXIT, why, sizeof(why)) < 0)) {
		snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "%s", why);
		return;
	}
	if (!has_progs(d->fentry)) {
		snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "not used: %s",
			 d->why_no_fentry ? d->why_no_fentry : "no fentry program");
		return;
	}
	s->ok[MECH_FENTRY] = true;
	snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "ok");
}

static void try_kprobe(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];

	s->tried[MECH_KPROBE] = true;
	/* Without BTF for the function we cannot check its arguments: a kprobe
	 * on a function whose prototype we cannot see would read garbage. */
	if (btf && kbtf_func_id(btf, d->func) >= 0 &&
	    !kbtf_func_matches(btf, d->func, d->params, nparams(d), why, sizeof(why))) {
		snprintf(s->why[MECH_KPROBE], sizeof(s->why[0]), "%s", why);
		return;
	}
	if (trial_kprobe(d->func, false, why, sizeof(why)) < 0 ||
	    (d->kprobe[1] && trial_kprobe(d->func, true, why, sizeof(why)) < 0)) {
		snprintf(s->why[MECH_KPROBE], sizeof(s->why[0]), "%s", why);
		return;
	}
	s->ok[MECH_KPROBE] = true;
	snprintf(s->why[MECH_KPROBE], sizeof(s->why[0]), "ok");
}

/* Raw when every one of the probe's tracepoints has the argument shape
 * its raw program reads; otherwise raw_why says why not. */
static bool try_raw(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];
	int alt = 0;

	if (!d->raw[0]) {
		snprintf(s->raw_why, sizeof(s->raw_why), "no raw program");
		return false;
	}
	if (config()->perf_tracepoints) {
		snprintf(s->raw_why, sizeof(s->raw_why), "THPTRACE_PERF_TRACEPOINTS is set");
		return false;
	}
	if (!btf) {
		snprintf(s->raw_why, sizeof(s->raw_why), "no BTF to check its arguments");
		return false;
	}
	for (int i = 0; i < 2 && d->raw_event[i]; i++) {
		int a = kbtf_tp_shape(btf, d->raw_event[i], d->raw_shape[i], why, sizeof(why));

		if (a < 0) {
			snprintf(s->raw_why, sizeof(s->raw_why), "%s", why);
			return false;
		}
		if (i == 0)
			alt = a;
	}
	if (trial_raw_tp(why, sizeof(why)) < 0) {
		snprintf(s->raw_why, sizeof(s->raw_why), "%s", why);
		return false;
	}
	s->raw = true;
	s->raw_variant = alt;
	snprintf(s->raw_why, sizeof(s->raw_why), "ok");
	return true;
}

static void try_tp(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];

	s->tried[MECH_TRACEPOINT] = true;
	if (try_raw(s, btf)) {
		s->ok[MECH_TRACEPOINT] = true;
		snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "ok (raw: arguments checked against BTF)");
		return;
	}
	if (!has_progs(d->tp)) {
		/* a raw program only: no perf-event twin to fall back to */
		snprintf(why, sizeof(why), "%s", s->raw_why);
		snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "not raw: %.140s", why);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (d->tp_event[i] && trial_tracepoint(d->tp_event[i], why, sizeof(why)) < 0) {
			snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "%s", why);
			return;
		}
	}
	s->ok[MECH_TRACEPOINT] = true;
	snprintf(why, sizeof(why), "%s", s->raw_why);
	snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "ok (perf event; not raw: %.100s)", why);
}

static void choose_one(struct probe_status *s, enum backend b)
{
	const struct probe_def *d = s->def;
	/* The forced mechanism first, then the normal order for what is left. */
	enum mech order[4] = { MECH_FENTRY, MECH_KPROBE, MECH_TRACEPOINT, MECH_NONE };
	enum mech want = b == BACKEND_FENTRY ? MECH_FENTRY
		       : b == BACKEND_KPROBE ? MECH_KPROBE
		       : b == BACKEND_TRACEPOINT ? MECH_TRACEPOINT : MECH_NONE;

	if (want == MECH_KPROBE) {
		order[0] = MECH_KPROBE;
		order[1] = MECH_FENTRY;
	} else if (want == MECH_TRACEPOINT) {
		order[0] = MECH_TRACEPOINT;
		order[1] = order[2] = MECH_NONE;
	}
	s->chosen = MECH_NONE;
	for (int i = 0; i < 3 && order[i] != MECH_NONE; i++) {
		if (s->ok[order[i]]) {
			s->chosen = order[i];
			break;
		}
	}
	if (!d->func)
		return;
	s->unprobeable = s->chosen == MECH_NONE;
	if (s->chosen == MECH_NONE)
		snprintf(s->note, sizeof(s->note),
			 "%s: not probeable here (fentry: %s; kprobe: %s); %s",
			 d->name, s->why[MECH_FENTRY], s->why[MECH_KPROBE],
			 d->stand_in ? d->stand_in : "pagemap sampling stands in");
	else if (want != MECH_NONE && s->chosen != want)
		snprintf(s->note, sizeof(s->note), "%s: %s unavailable (%s); using %s", d->name,
			 mech_name(want), s->why[want], mech_name(s->chosen));
	else if (want == MECH_NONE && s->chosen == MECH_TRACEPOINT &&
		 strstr(s->why[MECH_FENTRY], "not in the kernel's BTF"))
		/* Missing, not refused: worth saying once, the events differ. */
		snprintf(s->note, sizeof(s->note), "%s: %s; using tracepoint %s", d->name,
			 s->why[MECH_FENTRY], d->tp_event[0]);
}

/* Rows with the same name are variants of one probe, one per kernel
 * shape of its function (split_huge_pmd_locked or __split_huge_pmd): the
 * first whose trial passed serves, the later ones are not even tried.
 * The earlier row of the same name that can serve, or NULL. */
static const struct probe_status *variant_serving(const struct probe_set *ps, size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		const struct probe_status *e = &ps->p[i];

		if (strcmp(e->def->name, defs[upto].name) == 0 &&
		    (e->ok[MECH_FENTRY] || e->ok[MECH_KPROBE] || e->ok[MECH_TRACEPOINT]))
			return e;
	}
	return NULL;
}

/* One note per probe: where a variant serves, the others' notes go; where
 * none does, only the first variant's note stays (naming its function). */
static void variants_settle(struct probe_set *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct probe_status *s = &ps->p[i];
		bool served = false, first = true;

		for (size_t j = 0; j < ps->n; j++) {
			if (j == i || strcmp(ps->p[j].def->name, s->def->name) != 0)
				continue;
			served |= ps->p[j].chosen != MECH_NONE;
			first &= j > i;
		}
		if (s->serving || (s->chosen == MECH_NONE && (served || !first)))
			s->note[0] = '\0';
	}
}

int probes_choose(struct probe_set *ps, enum backend b, struct kbtf *btf,
		  char *err, size_t errlen)
{
	bool want_fentry = b == BACKEND_FENTRY, want_kprobe = b == BACKEND_KPROBE;
	bool any_fentry = false, any_kprobe = false;

	memset(ps, 0, sizeof(*ps));
	ps->backend = b;
	if (tracefs_ensure(err, errlen) < 0)
		return -1;
	if (btf) {
		const char *funcs[NDEFS];
		size_t nf = 0;

		for (size_t i = 0; i < NDEFS; i++)
			if (defs[i].func)
				funcs[nf++] = defs[i].func;
		kbtf_prefetch(btf, BTF_KIND_FUNC, funcs, nf);
	}
	for (size_t i = 0; i < NDEFS; i++) {
		struct probe_status *s = &ps->p[ps->n++];
		const struct probe_status *serving = variant_serving(ps, s - ps->p);

		s->def = &defs[i];
		for (int m = 0; m < MECH_MAX; m++)
			snprintf(s->why[m], sizeof(s->why[m]), "not offered");
		if (serving) {
			/* an earlier variant of this probe attaches: not tried */
			s->serving = serving->def->func;
			continue;
		}
		if (defs[i].func && b != BACKEND_TRACEPOINT) {
			try_fentry(s, btf);
			try_kprobe(s, btf);
		}
		if (has_progs(defs[i].tp) || has_progs(defs[i].raw))
			try_tp(s, btf);
		any_fentry |= s->ok[MECH_FENTRY];
		any_kprobe |= s->ok[MECH_KPROBE];
	}
	if (want_fentry && !any_fentry) {
		snprintf(err, errlen, "--backend fentry: no fentry program can attach on this kernel (%s)",
			 ps->p[0].why[MECH_FENTRY]);
		return -1;
	}
	if (want_kprobe && !any_kprobe) {
		snprintf(err, errlen, "--backend kprobe: no kprobe can attach on this kernel (%s)",
			 ps->p[0].why[MECH_KPROBE]);
		return -1;
	}
	for (size_t i = 0; i < ps->n; i++)
		choose_one(&ps->p[i], b);
	variants_settle(ps);
	return 0;
}

static const char *const *progs_of(const struct probe_status *s, enum mech m)
{
	const struct probe_def *d = s->def;

	switch (m) {
	case MECH_FENTRY: return d->fentry;
	case MECH_KPROBE: return d->kprobe;
	case MECH_TRACEPOINT: return s->raw ? d->raw : d->tp;
	default: return NULL;
	}
}

int probes_apply(const struct probe_set *ps, struct bpf_object *obj, struct probe_consts *c)
{
	memset(c, 0, sizeof(*c));
	c->cf_addr_arg = 3;	/* the BPF object's own default */
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];
		const char *const *progs = progs_of(s, s->chosen);

		for (int j = 0; progs && j < 2; j++) {
			struct bpf_program *p;

			if (!progs[j])
				continue;
			p = bpf_object__find_program_by_name(obj, progs[j]);
			if (!p) {
				errno = ENOENT;
				return -1;
			}
			bpf_program__set_autoload(p, true);
		}
		/* What the row says its tracepoint programs need. */
		if (s->chosen != MECH_TRACEPOINT)
			continue;
		if (s->def->tp_needs_fault_addr)
			c->want_fault_addr = true;
		if (s->raw && (unsigned)s->raw_variant < RAW_SHAPE_ALTS &&
		    s->def->raw_cf_addr_arg[s->raw_variant])
			c->cf_addr_arg = s->def->raw_cf_addr_arg[s->raw_variant];
	}
	return 0;
}

void probes_attach(struct probe_set *ps, struct bpf_object *obj, FILE *warn)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct probe_status *s = &ps->p[i];
		const char *const *progs = progs_of(s, s->chosen);

		for (int j = 0; progs && j < 2; j++) {
			struct bpf_program *p;
			struct bpf_link *l;

			if (!progs[j])
				continue;
			p = bpf_object__find_program_by_name(obj, progs[j]);
			l = p ? bpf_program__attach(p) : NULL;
			if (!l) {
				int e = errno;

				fprintf(warn, "thptrace: failed to attach %s for %s: %s; continuing without it\n",
					progs[j], s->def->name, strerror(e));
				for (int k = 0; k < 2; k++) {
					bpf_link__destroy(s->links[k]);
					s->links[k] = NULL;
				}
				snprintf(s->note, sizeof(s->note), "%s: attach failed (%s)", s->def->name,
					 strerror(e));
				s->chosen = MECH_NONE;
				break;
			}
			s->links[j] = l;
		}
	}
}

void probes_detach(struct probe_set *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		for (int k = 0; k < 2; k++) {
			bpf_link__destroy(ps->p[i].links[k]);
			ps->p[i].links[k] = NULL;
		}
}

enum mech probes_mech_of(const struct probe_set *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].def->name, name) == 0)
			return ps->p[i].chosen;
	return MECH_NONE;
}
