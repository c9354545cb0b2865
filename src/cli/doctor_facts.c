/* doctor's facts about this machine; see doctor_facts.h.  The lockdown mode
 * is read from securityfs, mounted in a private mount namespace when nobody
 * mounted it; the probe mechanisms are really loaded and attached. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cli/doctor_facts.h"
#include "host/kconfig.h"
#include "host/mountinfo.h"
#include "host/sysinfo.h"
#include "probe/btf_names.h"
#include "util/config.h"

const char *const doctor_funcs[DOCTOR_NFUNCS] = {
	"collapse_file", "retract_page_tables", "pmdp_collapse_flush", "do_set_pmd",
	"filemap_map_pages",
};

const char *const doctor_kconfig_names[KC_N] = {
	[KC_THP] = "CONFIG_TRANSPARENT_HUGEPAGE",
	[KC_RO_THP] = "CONFIG_READ_ONLY_THP_FOR_FS",
	[KC_KPROBES] = "CONFIG_KPROBES",
	[KC_BTF] = "CONFIG_DEBUG_INFO_BTF",
};

const char *const doctor_khugepaged_names[KH_N] = {
	"defrag", "scan_sleep_millisecs", "alloc_sleep_millisecs", "pages_to_scan",
	"full_scans", "pages_collapsed", "max_ptes_none", "max_ptes_swap", "max_ptes_shared",
};

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

/* ---- system ---- */

static int read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "re");
	bool ok;

	buf[0] = 0;
	if (!f)
		return -1;
	ok = fgets(buf, (int)n, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok ? 0 : -1;
}

/* The value of word `key=` on the kernel command line, or "". */
static void cmdline_param(const char *key, char *out, size_t n)
{
	char line[4096], *p;
	size_t kl = strlen(key);

	out[0] = 0;
	if (read_line("/proc/cmdline", line, sizeof(line)) < 0)
		return;
	for (p = strtok(line, " "); p; p = strtok(NULL, " "))
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			snprintf(out, n, "%s", p + kl + 1);
}

/* Read lockdown from a securityfs mounted in a child's private mount
 * namespace: nothing changes for the rest of the machine. */
static int lockdown_private(char *mode, size_t n)
{
	char buf[128] = "";
	int pfd[2], st;
	ssize_t len = 0;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		char line[128];

		close(pfd[0]);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) < 0 ||
		    sysinfo_selected("/sys/kernel/security/lockdown", line, sizeof(line)) < 0)
			_exit(1);
		if (write(pfd[1], line, strlen(line)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	for (ssize_t r; (r = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0;)
		len += r;
	buf[len > 0 ? len : 0] = 0;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !buf[0])
		return -1;
	snprintf(mode, n, "%s", buf);
	return 0;
}

static void read_lockdown(struct doctor_facts *f)
{
	char arg[64];
	const char *src;

	if (sysinfo_selected("/sys/kernel/security/lockdown", f->lockdown, sizeof(f->lockdown)) == 0) {
		snprintf(f->lockdown_src, sizeof(f->lockdown_src), "/sys/kernel/security/lockdown");
		return;
	}
	if (f->root && lockdown_private(f->lockdown, sizeof(f->lockdown)) == 0) {
		snprintf(f->lockdown_src, sizeof(f->lockdown_src),
			 "securityfs, mounted in a private mount namespace");
		return;
	}
	src = f->root ? "securityfs could not be read" :
		"securityfs is not mounted; root can read the current mode";
	if (f->config_src && kconfig_get("CONFIG_SECURITY_LOCKDOWN_LSM") == 0) {
		snprintf(f->lockdown, sizeof(f->lockdown), "none");
		snprintf(f->lockdown_src, sizeof(f->lockdown_src),
			 "CONFIG_SECURITY_LOCKDOWN_LSM not set");
		return;
	}
	cmdline_param("lockdown", arg, sizeof(arg));
	if (arg[0]) {
		snprintf(f->lockdown, sizeof(f->lockdown), "%s", arg);
		snprintf(f->lockdown_src, sizeof(f->lockdown_src),
			 "from lockdown= on the kernel command line; %s", src);
		return;
	}
	if (f->config_src) {
		static const char *const force[] = { "CONFIDENTIALITY", "INTEGRITY", "NONE" };

		for (size_t i = 0; i < 3; i++) {
			char name[64];

			snprintf(name, sizeof(name), "CONFIG_LOCK_DOWN_KERNEL_FORCE_%s", force[i]);
			if (kconfig_get(name) == 1) {
				snprintf(f->lockdown, sizeof(f->lockdown), "%s", force[i]);
				for (char *p = f->lockdown; *p; p++)
					*p = (char)(*p - 'A' + 'a');
				snprintf(f->lockdown_src, sizeof(f->lockdown_src),
					 "the boot default, from %s; %s", name, src);
				return;
			}
		}
	}
	snprintf(f->lockdown, sizeof(f->lockdown), "unknown");
	snprintf(f->lockdown_src, sizeof(f->lockdown_src), "%s", src);
}

/* One mountinfo entry: the first tracefs, and each tmpfs point once. */
static int add_mount(const struct mount_entry *e, void *arg)
{
	struct doctor_facts *f = arg;
	struct tmpfs_mount *t = NULL;
	size_t i;

	if (strlen(e->point) >= sizeof(f->tmpfs[0].point))
		return 0;
	if (strcmp(e->fstype, "tracefs") == 0 && !f->tracefs[0])
		snprintf(f->tracefs, sizeof(f->tracefs), "%s", e->point);
	/* A later mount on the same point hides the earlier one, whatever it is. */
	for (i = 0; i < f->ntmpfs; i++)
		if (strcmp(f->tmpfs[i].point, e->point) == 0)
			break;
	if (strcmp(e->fstype, "tmpfs") != 0) {
		if (i < f->ntmpfs) {
			memmove(&f->tmpfs[i], &f->tmpfs[i + 1], (f->ntmpfs - i - 1) * sizeof(f->tmpfs[0]));
			f->ntmpfs--;
		}
		return 0;
	}
	if (i < f->ntmpfs)
		t = &f->tmpfs[i];
	else if (f->ntmpfs < DOCTOR_MAX_TMPFS)
		t = &f->tmpfs[f->ntmpfs++];
	if (t) {
		snprintf(t->point, sizeof(t->point), "%s", e->point);
		snprintf(t->huge, sizeof(t->huge), "%s", e->huge);
	}
	return 0;
}

static void gather_system(struct doctor_facts *f)
{
	const char *btf_env = config()->btf_path;
	struct stat st;

	f->btf_env = btf_env != NULL;
	f->btf_path = btf_env ? btf_env : "/sys/kernel/btf/vmlinux";
	f->btf_file = stat(f->btf_path, &st) == 0;
	f->btf_size = f->btf_file ? (long)st.st_size : -1;
	read_lockdown(f);
}

/* ---- kernel config ---- */

static void gather_kconfig(struct doctor_facts *f)
{
	for (size_t i = 0; i < KC_N; i++) {
		int v = kconfig_get(doctor_kconfig_names[i]);

		f->kconfig[i] = v;
		f->inferred[i] = f->inferred_from[i] = NULL;
		if (v >= 0)
			continue;
		/* No config: what the running kernel shows instead. */
		if (i == KC_THP) {
			f->inferred[i] = f->thp_sysfs ? "y" : "not set";
			f->inferred_from[i] = THP_SYSFS;
		} else if (i == KC_KPROBES) {
			f->inferred[i] = access(KPROBE_PMU, F_OK) == 0 ? "y" : "not set";
			f->inferred_from[i] = KPROBE_PMU;
		} else if (i == KC_BTF) {
			f->inferred[i] = access("/sys/kernel/btf/vmlinux", F_OK) == 0 ? "y" : "not set";
			f->inferred_from[i] = "/sys/kernel/btf/vmlinux";
		}
	}
	f->thp_config = f->kconfig[KC_THP];
	if (f->thp_config < 0 && !f->thp_sysfs)
		f->thp_config = 0;
}

/* ---- THP sysfs ---- */

static void shown(char *out, size_t n, const char *ctx_value)
{
	snprintf(out, n, "%s", ctx_value[0] ? ctx_value : "unreadable");
}

static void gather_thp(struct doctor_facts *f)
{
	char path[512];

	/* The three modes exactly as a trace reads them (and the config). */
	sysinfo_context(&f->ctx);
	shown(f->enabled, sizeof(f->enabled), f->ctx.thp_enabled);
	shown(f->defrag, sizeof(f->defrag), f->ctx.defrag);
	shown(f->shmem_enabled, sizeof(f->shmem_enabled), f->ctx.shmem_enabled);
	f->pmd_size = sysinfo_long(THP_SYSFS "/hpage_pmd_size");
	if (f->pmd_size > 0) {
		/* Per-size controls (6.8+ anonymous, 6.11+ shmem) for the PMD size. */
		snprintf(path, sizeof(path), "%s/hugepages-%ldkB/enabled", THP_SYSFS, f->pmd_size / 1024);
		sysinfo_selected(path, f->enabled_pmd, sizeof(f->enabled_pmd));
		snprintf(path, sizeof(path), "%s/hugepages-%ldkB/shmem_enabled", THP_SYSFS,
			 f->pmd_size / 1024);
		sysinfo_selected(path, f->shmem_pmd, sizeof(f->shmem_pmd));
	}
	for (size_t i = 0; i < KH_N; i++) {
		snprintf(path, sizeof(path), "%s/khugepaged/%s", THP_SYSFS, doctor_khugepaged_names[i]);
		f->khugepaged[i] = sysinfo_long(path);
	}
}

void doctor_gather(struct doctor_facts *f)
{
	f->root = geteuid() == 0;
	uname(&f->uts);
	f->config_src = kconfig_source();
	f->thp_sysfs = access(THP_SYSFS, F_OK) == 0;
	/* before the probe trials, which may mount tracefs */
	mountinfo_each(0, add_mount, f);
	gather_system(f);
	gather_kconfig(f);
	gather_thp(f);
}

/* ---- probes ---- */

static int libbpf_silent(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	(void)lvl;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The PAGEMAP_SCAN ioctl (6.7+), as host/page_state.c asks for it: an
 * empty scan of our own pagemap. */
struct pm_scan_arg_probe {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

static bool have_pagemap_scan(void)
{
	struct pm_scan_arg_probe a = { .size = sizeof(a) };
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return true;	/* cannot tell: say nothing */
	ok = ioctl(fd, _IOWR('f', 16, struct pm_scan_arg_probe), &a) >= 0 ||
	     !(errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP);
	close(fd);
	return ok;
}

static void lack(struct doctor_facts *f, const char *fmt, ...)
{
	va_list ap;

	if (f->nlacks >= sizeof(f->lacks) / sizeof(f->lacks[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(f->lacks[f->nlacks++], sizeof(f->lacks[0]), fmt, ap);
	va_end(ap);
}

/* What this kernel lacks, each with what thptrace does instead. */
static void gather_lacks(struct doctor_facts *f, const struct kbtf *btf, const char *tracefs)
{
	static const char *const tps[][2] = {
		{ "huge_memory/mm_khugepaged_collapse_file", "6.2; collapse_file by fentry/kprobe where they attach" },
		{ "huge_memory/mm_khugepaged_scan_file", "6.1; no scan events, the collapse stands for the scan" },
		{ "filemap/mm_filemap_map_pages", "6.12; filemap_map_pages by fexit/kretprobe where they attach" },
	};
	char p[4200];

	if (f->probes_tried && probes_have_func_ret(&f->ps, btf) == 0)
		lack(f, "bpf_get_func_ret (5.17+): fexit programs read the return value from their context");
	if (!have_pagemap_scan())
		lack(f, "the PAGEMAP_SCAN ioctl (6.7+): page states from pagemap + kpageflags");
	for (size_t i = 0; tracefs && i < sizeof(tps) / sizeof(tps[0]); i++) {
		snprintf(p, sizeof(p), "%s/events/%s", tracefs, tps[i][0]);
		if (access(p, F_OK) < 0)
			lack(f, "the %s tracepoint (%s)", strchr(tps[i][0], '/') + 1, tps[i][1]);
	}
	for (size_t i = 0; f->btf_loaded && i < DOCTOR_NFUNCS; i++)
		if (!f->in_btf[i])
			lack(f, "%s in BTF (inlined or absent): not probeable", doctor_funcs[i]);
}

void doctor_try_probes(struct doctor_facts *f)
{
	struct kbtf *btf;
	char err[512];

	libbpf_set_print(libbpf_silent);
	btf = f->btf_file ? kbtf_load() : NULL;
	f->btf_loaded = btf != NULL;
	if (!f->root) {
		snprintf(f->probes_why, sizeof(f->probes_why), "probe trials need root");
		for (size_t i = 0; i < DOCTOR_NFUNCS; i++)
			f->in_btf[i] = kbtf_func_id(btf, doctor_funcs[i]) >= 0;
		f->kprobe_pmu = access(KPROBE_PMU, F_OK) == 0;
		kbtf_free(btf);
		return;
	}
	if (probes_choose(&f->ps, BACKEND_AUTO, btf, err, sizeof(err)) < 0)
		snprintf(f->probes_why, sizeof(f->probes_why), "%s", err);
	else
		f->probes_tried = true;
	for (size_t i = 0; i < DOCTOR_NFUNCS; i++)
		f->in_btf[i] = kbtf_func_id(btf, doctor_funcs[i]) >= 0;
	/* the trials may have mounted tracefs */
	gather_lacks(f, btf, f->tracefs[0] ? f->tracefs : access("/sys/kernel/tracing/events", F_OK) == 0 ?
		     "/sys/kernel/tracing" : NULL);
	kbtf_free(btf);
}
