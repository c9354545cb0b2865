/* Open and load the BPF object: the one place that knows the order libbpf
 * needs (open, choose programs, set constants, load). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe/core_btf.h"
#include "util/config.h"
#include "probe/kbtf.h"
#include "probe/loader.h"
#include "probe/probe_trials.h"
#include "probe/probes.h"
#include "thptrace.h"
#include "thptrace.skel.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The trimmed BTF, built from the object's own BTF (known only after open)
 * into the memfd whose path libbpf was given at open and reads at load. */
static int fill_core_btf(int fd, const struct kbtf *kb, struct bpf_object *obj)
{
	/* THPTRACE_TEST_EMPTY_CORE_BTF: fault injection for the live tests, a
	 * trimmed BTF without the types, to walk the fallback. */
	struct btf *b = config()->empty_core_btf ? btf__new_empty()
			: core_btf_build(kb, bpf_object__btf(obj));
	const void *raw;
	__u32 size;
	int rc;

	if (!b)
		return -errno;
	raw = btf__raw_data(b, &size);
	rc = raw ? write_all(fd, raw, size) : -ENOMEM;
	btf__free(b);
	return rc;
}

/* core_fd < 0: libbpf relocates against the kernel's whole BTF. */
static struct thptrace_bpf *open_skel(int core_fd, const struct load_params *p, char *err,
				      size_t errlen)
{
	char path[64];
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct thptrace_bpf *skel;

	if (core_fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", core_fd);
		oo.btf_custom_path = path;
	}
	skel = thptrace_bpf__open_opts(&oo);
	if (!skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	skel->rodata->trace_all = p->all;
	skel->rodata->fault_filter = p->fault_filter;
	skel->rodata->self_tgid = p->self_tgid;
	/* Only the size changes: the reader still wakes past wake_bytes or
	 * every POLL_MS, so a small buffer overflows on a burst, as meant. */
	if (p->rb_bytes)
		bpf_map__set_max_entries(skel->maps.rb, (__u32)p->rb_bytes);
	/* LRU maps are allocated whole at load (2 ms for these two here).
	 * Sized for -a, every process; one target needs a few mms and its
	 * threads' last faults (the LRU evicts the oldest beyond that). */
	if (!p->all) {
		bpf_map__set_max_entries(skel->maps.target_mms, 64);
		bpf_map__set_max_entries(skel->maps.last_fault, 1024);
	}
	/* the relevance filter's maps are preallocated (bpf/relevance.bpf.h):
	 * without the filter (a CMD) token ones; -p needs one process's */
	if (!p->fault_filter) {
		bpf_map__set_max_entries(skel->maps.thp_regions, 1);
		bpf_map__set_max_entries(skel->maps.thp_procs, 1);
		bpf_map__set_max_entries(skel->maps.thp_madvised, 1);
	} else if (!p->all) {
		bpf_map__set_max_entries(skel->maps.thp_regions, 4096);
		bpf_map__set_max_entries(skel->maps.thp_procs, 16);
		bpf_map__set_max_entries(skel->maps.thp_madvised, 16);
	}
	return skel;
}

/* ---- which program the load refused ----
 * libbpf loads the whole object or nothing, and says which program failed
 * only in its messages ("prog 'NAME': ..."): while loading, they pass
 * through here (on to the -v printer) and the first program named in a
 * warning, with the verifier's last word, is kept. */
static libbpf_print_fn_t outer_print;
static char refused_prog[64], refused_why[160];

static int load_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_WARN && strncmp(fmt, "libbpf: prog '%s': ", 19) == 0) {
		va_list cp;
		const char *name;

		va_copy(cp, ap);
		name = va_arg(cp, const char *);
		if (!refused_prog[0] && name)
			snprintf(refused_prog, sizeof(refused_prog), "%s", name);
		if (name && strcmp(name, refused_prog) == 0) {
			if (strstr(fmt, "BEGIN PROG LOAD LOG")) {
				const char *log = va_arg(cp, const char *);
				char l[160];

				last_log_line(log ? log : "", l, sizeof(l));
				if (l[0])
					snprintf(refused_why, sizeof(refused_why), "%s", l);
			} else if (!refused_why[0] && strstr(fmt, "load failed: %s")) {
				snprintf(refused_why, sizeof(refused_why), "%s", va_arg(cp, const char *));
			} else if (!refused_why[0]) {
				vsnprintf(refused_why, sizeof(refused_why), fmt + 19, ap);
				refused_why[strcspn(refused_why, "\n")] = 0;
			}
		}
		va_end(cp);
	}
	return outer_print ? outer_print(lvl, fmt, ap) : 0;
}

/* THPTRACE_TEST_FAIL_LOAD=PROGRAM (live tests): that program, if chosen,
 * carries a program flag no kernel knows, so the kernel refuses it. */
static bool force_failure(struct bpf_object *obj)
{
	const char *name = config()->fail_load;
	struct bpf_program *p = name && *name ? bpf_object__find_program_by_name(obj, name) : NULL;

	if (!p || !bpf_program__autoload(p))
		return false;
	bpf_program__set_flags(p, bpf_program__flags(p) | (1u << 31));
	return true;
}

/* Enable the chosen programs and load; the skeleton is destroyed on failure. */
static int load_skel(struct thptrace_bpf *skel, int core_fd, const struct kbtf *kb,
		     const struct probe_set *ps, char *err, size_t errlen)
{
	struct probe_consts pc;
	bool forced;
	int rc;

	if (probes_apply(ps, skel->obj, &pc) < 0) {
		snprintf(err, errlen, "BPF object lacks a program of the probe table");
		goto fail;
	}
	skel->rodata->want_fault_addr = pc.want_fault_addr;
	skel->rodata->raw_cf_addr_arg = pc.cf_addr_arg;
	skel->rodata->have_func_ret = pc.have_func_ret;
	if (pc.ret_idx[RET_COLLAPSE] >= 0)
		skel->rodata->ret_idx_collapse = (__u32)pc.ret_idx[RET_COLLAPSE];
	if (pc.ret_idx[RET_SET_PMD] >= 0)
		skel->rodata->ret_idx_set_pmd = (__u32)pc.ret_idx[RET_SET_PMD];
	if (pc.ret_idx[RET_MAP_PAGES] >= 0)
		skel->rodata->ret_idx_map_pages = (__u32)pc.ret_idx[RET_MAP_PAGES];
	if (pc.ret_idx[RET_MIGRATE] >= 0)
		skel->rodata->ret_idx_migrate = (__u32)pc.ret_idx[RET_MIGRATE];
	if (pc.ret_idx[RET_SCAN_PMD] >= 0)
		skel->rodata->ret_idx_scan_pmd = (__u32)pc.ret_idx[RET_SCAN_PMD];
	if (pc.ret_idx[RET_COLLAPSE_HP] >= 0)
		skel->rodata->ret_idx_collapse_hp = (__u32)pc.ret_idx[RET_COLLAPSE_HP];
	if (pc.ret_idx[RET_HUGE_FAULT] >= 0)
		skel->rodata->ret_idx_huge_fault = (__u32)pc.ret_idx[RET_HUGE_FAULT];
	if (core_fd >= 0 && (rc = fill_core_btf(core_fd, kb, skel->obj)) < 0) {
		snprintf(err, errlen, "cannot build the trimmed BTF: %s", strerror(-rc));
		goto fail;
	}
	forced = force_failure(skel->obj);
	refused_prog[0] = refused_why[0] = 0;
	outer_print = libbpf_set_print(load_print);
	rc = thptrace_bpf__load(skel);
	libbpf_set_print(outer_print);
	if (rc) {
		if (forced && strcmp(refused_prog, config()->fail_load) == 0)
			snprintf(refused_why, sizeof(refused_why), "THPTRACE_TEST_FAIL_LOAD");
		snprintf(err, errlen, "failed to load BPF programs: %s%s%s%s%s", strerror(-rc),
			 refused_prog[0] ? " (" : "", refused_prog, refused_prog[0] ? ": " : "",
			 refused_prog[0] ? refused_why : "");
		if (refused_prog[0])
			strncat(err, ")", errlen - strlen(err) - 1);
		goto fail;
	}
	return 0;
fail:
	thptrace_bpf__destroy(skel);
	return -1;
}

int loader_open(struct loader *l, const struct load_params *p, char *err, size_t errlen)
{
	/* $THPTRACE_BTF stands in for the kernel's BTF in prototype checks
	 * only: relocations always follow the running kernel. */
	bool trim = !config()->full_btf && !config()->btf_path;

	l->params = *p;
	l->core_fd = trim ? memfd_create("thptrace-core-btf", MFD_CLOEXEC) : -1;
	l->skel = open_skel(l->core_fd, p, err, errlen);
	if (!l->skel) {
		loader_close(l);
		return -1;
	}
	return 0;
}

/* The trimmed BTF's memfd emptied for the next attempt (the path libbpf
 * was given at open stays the same). */
static int core_fd_reset(int fd)
{
	return ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

int loader_load(struct loader *l, const struct kbtf *kb, struct probe_set *ps, char *err,
		size_t errlen)
{
	/* Each program the kernel refuses costs a reopen and a load: a bound
	 * well past the number of probes that can fall back. */
	enum { ROUNDS = 24 };
	const bool can_trim = l->core_fd >= 0 && kb;
	bool trim = can_trim, tried_trim = false;
	char why[512] = "", line[600];

	if (!can_trim && l->core_fd >= 0) {
		/* opened for a trimmed BTF that cannot be built: the path is
		 * fixed at open, so open afresh for the whole BTF */
		close(l->core_fd);
		l->core_fd = -1;
		thptrace_bpf__destroy(l->skel);
		l->skel = NULL;
	}
	for (int round = 0; round < ROUNDS; round++) {
		if (!l->skel) {
			if (trim && core_fd_reset(l->core_fd) < 0)
				trim = false;
			if (!(l->skel = open_skel(trim ? l->core_fd : -1, &l->params, err, errlen)))
				return -1;
		}
		if (load_skel(l->skel, trim ? l->core_fd : -1, kb, ps, err, errlen) == 0) {
			if (l->core_fd >= 0)
				close(l->core_fd);
			l->core_fd = -1;
			/* It worked where the trimmed BTF did not: a bug of ours
			 * worth a line, never a reason to fail. */
			if (tried_trim)
				fprintf(stderr, "thptrace: relocating against the trimmed BTF failed (%s); used the whole BTF\n",
					why);
			return 0;
		}
		l->skel = NULL;		/* load_skel() destroyed it */
		if (trim) {
			/* first the whole BTF, with the same programs */
			snprintf(why, sizeof(why), "%s", err);
			trim = false;
			tried_trim = true;
			continue;
		}
		/* Refused with the whole BTF too: the program named is dropped
		 * and its probe takes the next mechanism, as after a failed
		 * trial (its note says so); then the trimmed BTF again. */
		if (!refused_prog[0] || !probes_drop_program(ps, kb, refused_prog, refused_why, line,
							       sizeof(line)))
			return -1;
		/* said once, with the other notes (probes_print_notes()) */
		trim = can_trim;
		tried_trim = false;
	}
	return -1;
}

void loader_close(struct loader *l)
{
	if (l->core_fd >= 0)
		close(l->core_fd);
	l->core_fd = -1;
	thptrace_bpf__destroy(l->skel);
	l->skel = NULL;
}
