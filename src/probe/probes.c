/* The probe table and the attach policy, in one place.
 *
 * Whether a mechanism works is found by trying it with a two-instruction
 * program, not by reading kernel config: on our 6.18 machines fentry is
 * refused with EPERM although BTF and the functions are all there, and the
 * only honest test is the kernel's answer. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe/btf_names.h"
#include "util/config.h"
#include "sinks/jsonw.h"
#include "probe/probes.h"

struct probe_def {
	const char *name;		/* as shown to the user */
	const char *func;		/* kernel function, NULL for tracepoint-only probes */
	const char *params[4];		/* leading parameters our programs read */
	size_t nparams;
	const char *fentry[2];		/* fentry, fexit programs */
	const char *kprobe[2];		/* kprobe, kretprobe programs */
	const char *tp[2];		/* tracepoint programs */
	const char *tp_event[2];	/* "category/name" */
	const char *why_no_fentry;	/* when we deliberately have no fentry program */
	const char *raw[2];		/* raw tracepoint programs, preferred to tp */
	const char *raw_event[2];	/* their tracepoints */
	const char *raw_shape[2];	/* see kbtf_tp_shape() */
};

#define RAW_NONE { NULL }, { NULL }, { NULL }

/* x86_64's raw sys_enter/sys_exit programs know its syscall numbers. */
#ifdef __x86_64__
#define RAW_MADVISE { "madvise_exit_raw" }, { "sys_exit" }, { "p:pt_regs l" }
#else
#define RAW_MADVISE RAW_NONE
#endif

static const struct probe_def defs[] = {
	{ "collapse_file", "collapse_file", { "mm", "addr", "file", "start" }, 4,
	  { "collapse_file_fentry", "collapse_file_fexit" },
	  { "collapse_file_kprobe", "collapse_file_kretprobe" },
	  { "collapse_file_tp" }, { "huge_memory/mm_khugepaged_collapse_file" }, NULL,
	  { "collapse_file_raw" }, { "mm_khugepaged_collapse_file" },
	  /* addr is argument 3, or 4 where is_shmem comes first (6.2-6.8) */
	  { "p:mm_struct ? l l b p:file i i|p:mm_struct ? l b l p:file i i" } },
	{ "retract_page_tables", "retract_page_tables", { "mapping", "pgoff" }, 2,
	  { "retract_page_tables_fentry" }, { "retract_page_tables_kprobe" },
	  { NULL }, { NULL }, NULL, RAW_NONE },
	{ "pmdp_collapse_flush", "pmdp_collapse_flush", { "vma", "address" }, 2,
	  { NULL }, { "pmdp_collapse_flush_kprobe" }, { NULL }, { NULL },
	  "it returns a struct (pmd_t), which fentry/fexit cannot take", RAW_NONE },
	{ "do_set_pmd", "do_set_pmd", { "vmf" }, 1,
	  { NULL, "do_set_pmd_fexit" }, { "do_set_pmd_kprobe", "do_set_pmd_kretprobe" },
	  { NULL }, { NULL }, NULL, RAW_NONE },
	{ "filemap_map_pages", "filemap_map_pages", { "vmf", "start_pgoff", "end_pgoff" }, 3,
	  { NULL, "filemap_map_pages_fexit" },
	  { "filemap_map_pages_kprobe", "filemap_map_pages_kretprobe" },
	  { "filemap_map_pages_tp" }, { "filemap/mm_filemap_map_pages" }, NULL,
	  { "filemap_map_pages_raw" }, { "mm_filemap_map_pages" }, { "p:address_space l l" } },
	{ "scan_file", NULL, { NULL }, 0, { NULL }, { NULL },
	  { "scan_file_tp" }, { "huge_memory/mm_khugepaged_scan_file" }, NULL,
	  { "scan_file_raw" }, { "mm_khugepaged_scan_file" }, { "p:mm_struct ? p:file i i i" } },
	{ "fault", NULL, { NULL }, 0, { NULL }, { NULL },
	  { "page_fault_user_tp" }, { "exceptions/page_fault_user" }, NULL,
	  { "page_fault_user_raw" }, { "page_fault_user" }, { "l p:pt_regs l" } },
	{ "madvise", NULL, { NULL }, 0, { NULL }, { NULL },
	  { "madvise_enter", "madvise_exit" },
	  { "syscalls/sys_enter_madvise", "syscalls/sys_exit_madvise" }, NULL, RAW_MADVISE },
	{ "exec", NULL, { NULL }, 0, { NULL }, { NULL },
	  { "process_exec" }, { "sched/sched_process_exec" }, NULL,
	  { "process_exec_raw" }, { "sched_process_exec" }, { "p:task_struct i p:linux_binprm" } },
	{ "exit", NULL, { NULL }, 0, { NULL }, { NULL },
	  { "process_exit" }, { "sched/sched_process_exit" }, NULL,
	  { "process_exit_raw" }, { "sched_process_exit" }, { "p:task_struct ..." } },
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))
_Static_assert(NDEFS <= PROBES_MAX, "probe table larger than PROBES_MAX");

const char *backend_name(enum backend b)
{
	static const char *const n[] = { "auto", "fentry", "kprobe", "tracepoint" };

	return (unsigned)b < 4 ? n[b] : "?";
}

int backend_from_name(const char *s)
{
	for (int b = BACKEND_AUTO; b <= BACKEND_TRACEPOINT; b++)
		if (strcmp(s, backend_name(b)) == 0)
			return b;
	return -1;
}

const char *mech_name(enum mech m)
{
	static const char *const n[] = { "none", "fentry", "kprobe", "tracepoint" };

	return (unsigned)m < MECH_MAX ? n[m] : "?";
}

/* ---- trials ---- */

static const char *tracefs_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[64];

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events", dirs[i]);
		if (access(p, F_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

int tracefs_ensure(char *err, size_t errlen)
{
	if (tracefs_dir())
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 && tracefs_dir())
		return 0;
	snprintf(err, errlen,
		 "tracefs is not mounted and mounting it failed (%s): run 'mount -t tracefs nodev /sys/kernel/tracing'",
		 strerror(errno));
	return -1;
}

/* Two instructions: r0 = 0; exit. */
static const struct bpf_insn ret0[] = {
	{ .code = 0xb7, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0 },
	{ .code = 0x95, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0 },
};

/* The verifier's reason is its last line, except for the statistics it
 * appends ("processed 0 insns ...", "verification time ..."). */
static void last_log_line(const char *log, char *out, size_t outlen)
{
	const char *end = log + strlen(log), *start;

	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		if (start == log || (strncmp(start, "processed ", 10) != 0 &&
				     strncmp(start, "verification time", 17) != 0))
			break;
		end = start;
	}
	snprintf(out, outlen, "%.*s", (int)(end - start), start);
}

static void set_errno_why(char *why, size_t n, const char *what, int err, const char *log)
{
	char line[120] = "";

	if (log)
		last_log_line(log, line, sizeof(line));
	snprintf(why, n, "%s: %s%s%s", what, strerror(err), line[0] ? ": " : "", line);
}

static int trial_tracing(int btf_id, enum bpf_attach_type at, char *why, size_t n)
{
	static char log[16384];
	/* EPERM at load is about us (lockdown, an LSM, capabilities), not
	 * about the function: once is enough to know, and each try costs a
	 * verifier run. */
	static char refused[160];
	int fd, link;

	if (refused[0]) {
		snprintf(why, n, "%s", refused);
		return -EPERM;
	}
	log[0] = 0;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at, .attach_btf_id = btf_id,
		    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &o);
	if (fd < 0) {
		int e = errno;

		set_errno_why(why, n, "refused at load", e, log);
		if (e == EPERM)
			snprintf(refused, sizeof(refused), "%s", why);
		return -e;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		int e = errno;

		set_errno_why(why, n, "refused at attach", e, NULL);
		close(fd);
		return -e;
	}
	close(link);
	close(fd);
	snprintf(why, n, "ok");
	return 0;
}

static int read_int_file(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int perf_attach_trial(struct perf_event_attr *attr, enum bpf_prog_type type, char *why,
			     size_t n)
{
	int pfd, fd, e;

	fd = bpf_prog_load(type, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0) {
		e = errno;
		set_errno_why(why, n, "program refused", e, NULL);
		return -e;
	}
	pfd = syscall(__NR_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		e = errno;
		set_errno_why(why, n, "perf_event_open failed", e, NULL);
		close(fd);
		return -e;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) < 0) {
		e = errno;
		set_errno_why(why, n, "attach refused", e, NULL);
		close(pfd);
		close(fd);
		return -e;
	}
	close(pfd);
	close(fd);
	snprintf(why, n, "ok");
	return 0;
}

static int trial_kprobe(const char *func, bool ret, char *why, size_t n)
{
	struct perf_event_attr attr;
	int type, bit = 0, rc;

	if (read_int_file("/sys/bus/event_source/devices/kprobe/type", &type) < 0) {
		snprintf(why, n, "no kprobe PMU (kernel built without CONFIG_KPROBES)");
		return -ENOTSUP;
	}
	if (ret) {
		FILE *f = fopen("/sys/bus/event_source/devices/kprobe/format/retprobe", "re");

		if (!f || fscanf(f, "config:%d", &bit) != 1)
			bit = 0;
		if (f)
			fclose(f);
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = ret ? 1ULL << bit : 0;
	attr.config1 = (uint64_t)(uintptr_t)func;
	rc = perf_attach_trial(&attr, BPF_PROG_TYPE_KPROBE, why, n);
	if (rc == -ENOENT)
		snprintf(why, n, "%s is not a kernel symbol here (inlined or not traceable)", func);
	return rc;
}

/* A tracepoint is tried by its id in tracefs and by loading a tracepoint
 * program, not by attaching: closing a tracepoint perf event waits for an
 * RCU grace period (25-60 ms here), and eight of them made start-up slow. */
static int trial_tracepoint(const char *event, char *why, size_t n)
{
	const char *dir = tracefs_dir();
	char path[256];
	int id, fd;

	if (!dir) {
		snprintf(why, n, "tracefs not mounted");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, event);
	if (read_int_file(path, &id) < 0) {
		snprintf(why, n, "no tracepoint %s on this kernel", event);
		return -ENOENT;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0) {
		int e = errno;

		set_errno_why(why, n, "program refused", e, NULL);
		return -e;
	}
	close(fd);
	snprintf(why, n, "ok");
	return 0;
}

/* The program type, once: the tracepoint itself is vouched for by its
 * btf_trace_ typedef, and attaching to try it would make the real attach
 * wait for an RCU grace period. */
static int trial_raw_tp(char *why, size_t n)
{
	static int rc = 1;
	static char saved[160];

	if (rc == 1) {
		int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", ret0, 2, NULL);

		rc = fd < 0 ? -errno : 0;
		if (fd < 0)
			set_errno_why(saved, sizeof(saved), "raw tracepoint program refused", -rc, NULL);
		else
			close(fd);
	}
	snprintf(why, n, "%s", rc ? saved : "ok");
	return rc;
}

/* ---- policy ---- */

static bool has_progs(const char *const p[2])
{
	return p[0] || p[1];
}

static void try_fentry(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];
	int id;

	s->tried[MECH_FENTRY] = true;
	if (!kbtf_func_matches(btf, d->func, d->params, d->nparams, why, sizeof(why))) {
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
	    !kbtf_func_matches(btf, d->func, d->params, d->nparams, why, sizeof(why))) {
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
	if (s->chosen == MECH_NONE)
		snprintf(s->note, sizeof(s->note),
			 "%s: not probeable here (fentry: %s; kprobe: %s); pagemap sampling stands in",
			 d->name, s->why[MECH_FENTRY], s->why[MECH_KPROBE]);
	else if (want != MECH_NONE && s->chosen != want)
		snprintf(s->note, sizeof(s->note), "%s: %s unavailable (%s); using %s", d->name,
			 mech_name(want), s->why[want], mech_name(s->chosen));
	else if (want == MECH_NONE && s->chosen == MECH_TRACEPOINT &&
		 strstr(s->why[MECH_FENTRY], "not in the kernel's BTF"))
		/* Missing, not refused: worth saying once, the events differ. */
		snprintf(s->note, sizeof(s->note), "%s: %s; using tracepoint %s", d->name,
			 s->why[MECH_FENTRY], d->tp_event[0]);
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

		s->def = &defs[i];
		for (int m = 0; m < MECH_MAX; m++)
			snprintf(s->why[m], sizeof(s->why[m]), "not offered");
		if (defs[i].func && b != BACKEND_TRACEPOINT) {
			try_fentry(s, btf);
			try_kprobe(s, btf);
		}
		if (has_progs(defs[i].tp))
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
	c->cf_addr_arg = 3;
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
		if (strcmp(s->def->name, "filemap_map_pages") == 0 && s->chosen == MECH_TRACEPOINT)
			c->want_fault_addr = true;
		if (strcmp(s->def->name, "collapse_file") == 0 && s->chosen == MECH_TRACEPOINT &&
		    s->raw && s->raw_variant == 1)
			c->cf_addr_arg = 4;
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

static const char *mech_label(enum mech m)
{
	switch (m) {
	case MECH_FENTRY: return "fentry/fexit";
	case MECH_KPROBE: return "kprobe/kretprobe";
	case MECH_TRACEPOINT: return "tracepoint";
	default: return "none";
	}
}

void probes_print(const struct probe_set *ps, FILE *out)
{
	fprintf(out, "probes on this kernel (backend %s):\n", backend_name(ps->backend));
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];
		const struct probe_def *d = s->def;

		fprintf(out, "%-20s uses %s", d->name, mech_label(s->chosen));
		if (s->chosen == MECH_TRACEPOINT && s->raw)
			fprintf(out, " %s%s%s, raw", d->raw_event[0], d->raw_event[1] ? " + " : "",
				d->raw_event[1] ? d->raw_event[1] : "");
		else if (s->chosen == MECH_TRACEPOINT)
			fprintf(out, " %s%s%s", d->tp_event[0], d->tp_event[1] ? " + " : "",
				d->tp_event[1] ? d->tp_event[1] : "");
		if (s->chosen == MECH_NONE && d->func)
			fprintf(out, " (pagemap sampling stands in)");
		fputc('\n', out);
		for (int m = MECH_FENTRY; m < MECH_MAX; m++) {
			if (!s->tried[m] && !(d->func && m != MECH_TRACEPOINT))
				continue;
			if (m == MECH_TRACEPOINT && !has_progs(d->tp))
				fprintf(out, "    %-17s none stands for it\n", "tracepoint:");
			else
				fprintf(out, "    %-17s %s\n",
					m == MECH_FENTRY ? "fentry/fexit:" : m == MECH_KPROBE ?
					"kprobe/kretprobe:" : "tracepoint:", s->why[m]);
		}
	}
}

void probes_print_json(const struct probe_set *ps, FILE *out)
{
	char buf[2048];
	struct jsonw w;

	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];

		jsonw_init(&w, buf, sizeof(buf));
		jsonw_begin(&w);
		jsonw_str(&w, "event", "probe");
		jsonw_str(&w, "probe", s->def->name);
		jsonw_str(&w, "backend", backend_name(ps->backend));
		jsonw_str(&w, "mechanism", mech_name(s->chosen));
		if (s->def->func)
			jsonw_str(&w, "function", s->def->func);
		for (int m = MECH_FENTRY; m < MECH_MAX; m++)
			if (s->tried[m])
				jsonw_str(&w, mech_name(m), s->why[m]);
		if (s->chosen == MECH_TRACEPOINT)
			jsonw_str(&w, "tracepoint_kind", s->raw ? "raw" : "perf_event");
		if (s->note[0])
			jsonw_str(&w, "note", s->note);
		jsonw_end(&w);
		if (!w.overflow)
			fprintf(out, "%s\n", buf);
	}
}

void probes_print_notes(const struct probe_set *ps, FILE *out)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].note[0])
			fprintf(out, "thptrace: %s\n", ps->p[i].note);
}

enum mech probes_mech_of(const struct probe_set *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].def->name, name) == 0)
			return ps->p[i].chosen;
	return MECH_NONE;
}
