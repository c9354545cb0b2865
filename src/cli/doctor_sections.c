/* doctor's sections but the verdict; see doctor_sections.h. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/doctor_sections.h"
#include "host/sysinfo.h"
#include "model/eligibility.h"

#define TMPFS_ROWS 64		/* text shows this many tmpfs mounts, JSON all */

void sec_system(struct doc *d, const struct doctor_facts *f)
{
	const char *eff;
	struct jsonw *w;

	sec_begin(d, "system", "system");
	trow(d, "kernel release", "%s (%s)", f->uts.release, f->uts.machine);
	w = jbegin(d, "kernel_release");
	jsonw_str(w, "value", f->uts.release);
	jsonw_str(w, "machine", f->uts.machine);
	jend(d);

	if (f->root)
		trow(d, "running as", "root: probe mechanisms are tried below");
	else
		trow(d, "running as", "uid %d, not root: probe trials need root (sudo thptrace doctor)",
		     (int)geteuid());
	w = jbegin(d, "root");
	jsonw_bool(w, "value", f->root);
	jsonw_i64(w, "euid", (int64_t)geteuid());
	if (!f->root)
		jsonw_str(w, "note", "probe trials need root");
	jend(d);

	if (f->btf_file)
		trow(d, "BTF", "yes, %s (%ld KiB)%s", f->btf_path, f->btf_size / 1024,
		     f->btf_env ? ", from THPTRACE_BTF" : "");
	else
		trow(d, "BTF", "no %s: the kernel needs CONFIG_DEBUG_INFO_BTF=y", f->btf_path);
	w = jbegin(d, "btf");
	jsonw_bool(w, "value", f->btf_file);
	jsonw_str(w, "path", f->btf_path);
	if (f->btf_file)
		jsonw_i64(w, "bytes", f->btf_size);
	jend(d);

	eff = strcmp(f->lockdown, "none") == 0 ? "no restriction" :
	      strcmp(f->lockdown, "integrity") == 0 ?
	      "this level still allows BPF tracing (it blocks bpf_probe_write_user)" :
	      strcmp(f->lockdown, "confidentiality") == 0 ?
	      "blocks kprobes, tracefs and BPF reads of kernel memory: tracing cannot work" : NULL;
	trow(d, "lockdown", "%s (%s)%s%s", f->lockdown, f->lockdown_src, eff ? "; " : "",
	     eff ? eff : "");
	w = jbegin(d, "lockdown");
	jsonw_str(w, "value", f->lockdown);
	jsonw_str(w, "source", f->lockdown_src);
	jend(d);

	if (f->tracefs[0])
		trow(d, "tracefs", "mounted at %s", f->tracefs);
	else
		trow(d, "tracefs", "not mounted%s", f->root ? "; doctor mounts it at /sys/kernel/tracing"
			 " to try tracepoints" : "; thptrace (as root) mounts it at /sys/kernel/tracing");
	w = jbegin(d, "tracefs");
	jsonw_str(w, "value", f->tracefs[0] ? f->tracefs : "not mounted");
	jend(d);
	sec_end(d);
}

static const char *kconfig_text(int v)
{
	return v == 1 ? "y" : v == 0 ? "not set" : "unknown";
}

void sec_kconfig(struct doc *d, const struct doctor_facts *f)
{
	static const char *const why[KC_N] = {
		[KC_THP] = "THP at all",
		[KC_RO_THP] = "khugepaged/MADV_COLLAPSE of regular (non-tmpfs) files",
		[KC_KPROBES] = "kprobe/kretprobe probes",
		[KC_BTF] = "BTF: fentry, CO-RE and this tool",
	};

	if (f->config_src)
		sec_begin(d, "kconfig", "kernel config (from %s)", f->config_src);
	else
		sec_begin(d, "kconfig", "kernel config (no config file: neither /proc/config.gz nor "
			  "/boot/config-%s is readable)", f->uts.release);
	jcheck_str(d, "config_source", f->config_src ? f->config_src : "none");
	for (size_t i = 0; i < KC_N; i++) {
		const char *name = doctor_kconfig_names[i], *inferred = f->inferred[i];
		int v = f->kconfig[i];
		struct jsonw *w;

		if (v >= 0)
			trow(d, name, "%-8s for %s", kconfig_text(v), why[i]);
		else if (inferred)
			trow(d, name, "unknown (no config file); probably %s: %s %s", inferred,
			     f->inferred_from[i], strcmp(inferred, "y") == 0 ? "exists" : "is absent");
		else
			trow(d, name, "unknown (no config file)");
		w = jbegin(d, name);
		jsonw_str(w, "value", kconfig_text(v));
		if (inferred) {
			jsonw_str(w, "inferred", inferred);
			jsonw_str(w, "inferred_from", f->inferred_from[i]);
		}
		jend(d);
	}
	sec_end(d);
}

static void thp_selector(struct doc *d, const char *name, const char *val, const char *note)
{
	trow(d, name, "%s%s%s%s", val, note[0] ? " (" : "", note, note[0] ? ")" : "");
	jcheck_str(d, name, val);
}

void sec_thp(struct doc *d, const struct doctor_facts *f)
{
	const char *v = f->enabled;
	char name[128];

	sec_begin(d, "thp", "THP settings (%s)", THP_SYSFS);
	if (!f->thp_sysfs) {
		trow(d, "", "%s is absent: this kernel has no transparent huge pages", THP_SYSFS);
		jcheck_str(d, "thp_sysfs", "absent");
		sec_end(d);
		return;
	}
	thp_selector(d, "enabled", v,
		     strcmp(v, "madvise") == 0 ? "anonymous THP in MADV_HUGEPAGE regions only" :
		     strcmp(v, "always") == 0 ? "anonymous THP everywhere" :
		     strcmp(v, "never") == 0 ? "no anonymous THP (per-size settings aside)" : "");
	thp_selector(d, "defrag", f->defrag, "");
	v = f->shmem_enabled;
	thp_selector(d, "shmem_enabled", v,
		     strcmp(v, "force") == 0 ? "every tmpfs mount is huge, whatever its huge=" :
		     strcmp(v, "deny") == 0 ? "no tmpfs mount is huge, whatever its huge=" :
		     "memfd and SysV shm; a tmpfs mount follows its own huge= option");
	if (f->pmd_size > 0) {
		struct jsonw *w;

		trow(d, "hpage_pmd_size", "%ld (%ld KiB)", f->pmd_size, f->pmd_size / 1024);
		w = jbegin(d, "hpage_pmd_size");
		jsonw_i64(w, "value", f->pmd_size);
		jend(d);
		for (int s = 0; s < 2; s++) {
			v = s ? f->shmem_pmd : f->enabled_pmd;
			if (!v[0])
				continue;
			snprintf(name, sizeof(name), "hugepages-%ldkB/%s", f->pmd_size / 1024,
				 s ? "shmem_enabled" : "enabled");
			trow(d, name, "%s%s", v, strcmp(v, "inherit") == 0 ? " (follows the setting above)" : "");
			jcheck_str(d, name, v);
		}
	}
	for (size_t i = 0; i < KH_N; i++) {
		long n = f->khugepaged[i];
		struct jsonw *w;

		snprintf(name, sizeof(name), "khugepaged/%s", doctor_khugepaged_names[i]);
		if (n < 0) {
			trow(d, name, "unreadable");
			jcheck_str(d, name, "unreadable");
			continue;
		}
		if (i == KH_SCAN_SLEEP)
			trow(d, name, "%ld (khugepaged wakes every %.3g s)", n, n / 1000.0);
		else if (i == KH_ALLOC_SLEEP)
			trow(d, name, "%ld (wait after a failed huge page allocation)", n);
		else if (i == KH_PAGES_TO_SCAN)
			trow(d, name, "%ld (pages looked at per wakeup)", n);
		else if (i == KH_MAX_PTES_NONE)
			trow(d, name, "%ld (of 511, empty PTEs a collapse may fill)", n);
		else
			trow(d, name, "%ld", n);
		w = jbegin(d, name);
		jsonw_i64(w, "value", n);
		jend(d);
	}
	sec_end(d);
}

void sec_tmpfs(struct doc *d, const struct doctor_facts *f)
{
	sec_begin(d, "tmpfs", "tmpfs mounts and their huge= mode (from /proc/self/mountinfo)");
	if (!f->ntmpfs) {
		trow(d, "", "none");
		jcheck_str(d, "tmpfs", "none");
	}
	for (size_t i = 0; i < f->ntmpfs; i++) {
		const struct tmpfs_mount *t = &f->tmpfs[i];
		const char *note = "";
		struct jsonw *w;

		if (strcmp(f->shmem_enabled, "force") == 0 && strcmp(t->huge, "always") != 0)
			note = " (shmem_enabled=force makes it huge anyway)";
		else if (strcmp(f->shmem_enabled, "deny") == 0 && shmem_mode_allows(t->huge))
			note = " (but shmem_enabled=deny overrides it)";
		if (i < TMPFS_ROWS)
			trow(d, t->point, "%s%s", t->huge, note);
		else if (i == TMPFS_ROWS)
			trow(d, "", "... and %zu more (thptrace doctor --json lists them all)",
			     f->ntmpfs - TMPFS_ROWS);
		w = jbegin(d, "tmpfs");
		jsonw_str(w, "value", t->huge);
		jsonw_str(w, "mount", t->point);
		jend(d);
	}
	sec_end(d);
}

void sec_probes(struct doc *d, const struct doctor_facts *f)
{
	struct jsonw *w;
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *m;

	sec_begin(d, "probes", "probes (each mechanism really loaded and attached here)");
	if (!f->root) {
		trow(d, "", "not tried: probe trials need root (run 'sudo thptrace doctor'); what the "
		     "kernel's BTF and sysfs show to any user:");
		w = jbegin(d, "probes");
		jsonw_str(w, "value", "not tried");
		jsonw_str(w, "reason", f->probes_why);
		jend(d);
		for (size_t i = 0; i < DOCTOR_NFUNCS; i++) {
			bool btf = f->btf_loaded, in = f->in_btf[i];

			trow(d, doctor_funcs[i], "%s", !btf ? "unknown (no BTF)" : in ?
			     "in the kernel's BTF" : "not in the kernel's BTF (inlined, renamed or absent)");
			w = jbegin(d, "btf_function");
			jsonw_str(w, "value", !btf ? "unknown" : in ? "yes" : "no");
			jsonw_str(w, "function", doctor_funcs[i]);
			jend(d);
		}
		trow(d, "kprobe PMU", "%s", f->kprobe_pmu ? "present" : "absent (no kprobes on this kernel)");
		w = jbegin(d, "kprobe_pmu");
		jsonw_bool(w, "value", f->kprobe_pmu);
		jend(d);
		sec_end(d);
		return;
	}
	if (!f->probes_tried) {
		trow(d, "", "not tried: %s", f->probes_why);
		w = jbegin(d, "probes");
		jsonw_str(w, "value", "not tried");
		jsonw_str(w, "reason", f->probes_why);
		jend(d);
		sec_end(d);
		return;
	}
	if (!f->btf_loaded)
		trow(d, "", "without BTF (%s), fentry cannot be tried", f->btf_path);
	for (size_t i = 0; i < f->nlacks; i++) {
		trow(d, i ? "" : "this kernel lacks", "%s", f->lacks[i]);
		w = jbegin(d, "kernel_lacks");
		jsonw_str(w, "value", f->lacks[i]);
		jend(d);
	}
	if (d->json) {
		probes_print_json(&f->ps, d->out);
		sec_end(d);
		return;
	}
	m = open_memstream(&buf, &len);
	if (!m)
		return;
	probes_print(&f->ps, m);
	fclose(m);
	sec_end(d);
	/* probes_print's table, indented under the heading and wrapped. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int lead = (int)strspn(line, " ");

		if (strncmp(line, "probes on this kernel", 21) == 0)
			continue;
		fprintf(d->out, "  ");
		doc_wrap(d->out, 2, lead ? 2 + lead + 18 : 4, line);
	}
	free(buf);
}
