/* `thptrace doctor`: what this machine offers for tracing file THP collapse
 * and refault, and whether file THP can happen here at all.
 *
 * Everything is read or tried, not assumed: the probe mechanisms are really
 * loaded and attached (probes_choose), the lockdown mode is read from
 * securityfs (mounted in a private mount namespace when nobody mounted it),
 * the tmpfs huge= modes come from mountinfo.  Without root, doctor prints
 * what an unprivileged user can read and says that probe trials need root. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "probe/btf_names.h"
#include "util/config.h"
#include "cli/doctor.h"
#include "sinks/jsonw.h"
#include "probe/probes.h"
#include "host/sysinfo.h"
#include "host/target.h"
#include "util/textbuf.h"

#define WIDTH 99		/* text lines stay shorter than 100 columns */
#define LABEL_MAX 34		/* longer labels do not widen a section's column */
#define MAX_ROWS 80
#define MAX_TMPFS 256
#define TMPFS_ROWS 64		/* text shows this many tmpfs mounts, JSON all */
#define NB "\x01"		/* a space the text wrapper does not break at */

/* The five kernel functions the tool is about, in the order of the story. */
static const char *const funcs[] = {
	"collapse_file", "retract_page_tables", "pmdp_collapse_flush", "do_set_pmd",
	"filemap_map_pages",
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

/* ---- output: aligned text sections, or one JSON object per check ---- */

struct row {
	char label[1024];
	char value[1024];
};

struct doc {
	bool json;
	FILE *out;
	const char *section;		/* JSON "section" key */
	char title[256];
	struct row rows[MAX_ROWS];
	size_t nrows;
	char jbuf[32768];
	struct jsonw w;
};

/* Greedy word wrap at spaces (not at NB): the cursor is at column col now,
 * continuation lines are indented by `indent` spaces. */
static void print_wrapped(FILE *out, int col, int indent, const char *text)
{
	const char *p = text;

	while (*p) {
		int room = WIDTH - col, len = (int)strcspn(p, "\n");
		const char *brk;

		if (len > room) {
			/* the last space that fits; or the first one after, for a long word */
			brk = NULL;
			for (const char *q = p; q < p + len && q <= p + room; q++)
				if (*q == ' ')
					brk = q;
			if (!brk)
				brk = memchr(p, ' ', len);
			if (brk)
				len = (int)(brk - p);
		}
		for (int i = 0; i < len; i++)
			fputc(p[i] == NB[0] ? ' ' : p[i], out);
		fputc('\n', out);
		p += len;
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p) {
			fprintf(out, "%*s", indent, "");
			col = indent;
		}
	}
	if (p == text)
		fputc('\n', out);
}

static void sec_begin(struct doc *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sec_begin(struct doc *d, const char *key, const char *fmt, ...)
{
	va_list ap;

	d->section = key;
	d->nrows = 0;
	va_start(ap, fmt);
	vsnprintf(d->title, sizeof(d->title), fmt, ap);
	va_end(ap);
}

static void sec_end(struct doc *d)
{
	int w = 0;

	if (d->json)
		return;
	for (size_t i = 0; i < d->nrows; i++) {
		int l = (int)strlen(d->rows[i].label) + 1;

		if (l > w && l <= LABEL_MAX + 1)
			w = l;
	}
	fprintf(d->out, "\n%s\n", d->title);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct row *r = &d->rows[i];
		int col;

		if (!r->label[0]) {	/* a free-standing line */
			fprintf(d->out, "  ");
			print_wrapped(d->out, 2, 4, r->value);
			continue;
		}
		col = fprintf(d->out, "  %s:%*s ", r->label,
			      w - (int)strlen(r->label) - 1 > 0 ? w - (int)strlen(r->label) - 1 : 0, "");
		print_wrapped(d->out, col, col > 40 ? 6 : col, r->value);
	}
}

/* A text row "label: value" (label "" for a free-standing line). */
static void trow(struct doc *d, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void trow(struct doc *d, const char *label, const char *fmt, ...)
{
	struct row *r;
	va_list ap;

	if (d->json || d->nrows == MAX_ROWS)
		return;
	r = &d->rows[d->nrows++];
	snprintf(r->label, sizeof(r->label), "%s", label);
	va_start(ap, fmt);
	vsnprintf(r->value, sizeof(r->value), fmt, ap);
	va_end(ap);
}

/* A JSON check line: jbegin, add "value" and any extras to d->w, jend. */
static struct jsonw *jbegin(struct doc *d, const char *check)
{
	jsonw_init(&d->w, d->jbuf, sizeof(d->jbuf));
	jsonw_begin(&d->w);
	jsonw_str(&d->w, "event", "doctor");
	jsonw_str(&d->w, "section", d->section);
	jsonw_str(&d->w, "check", check);
	return &d->w;
}

static void jend(struct doc *d)
{
	jsonw_end(&d->w);
	if (d->json && !d->w.overflow)
		fprintf(d->out, "%s\n", d->jbuf);
}

static void jcheck_str(struct doc *d, const char *check, const char *value)
{
	jsonw_str(jbegin(d, check), "value", value);
	jend(d);
}

/* ---- small readers ---- */

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

/* Mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static int libbpf_silent(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	(void)lvl;
	(void)fmt;
	(void)ap;
	return 0;
}

/* ---- facts ---- */

struct tmpfs_mount {
	char point[1024];
	char huge[32];		/* "never" when the mount has no huge= option */
};

struct facts {
	bool root;
	struct utsname uts;
	bool btf_file;
	long btf_size;
	const char *btf_path;
	char lockdown[64], lockdown_src[160];
	char tracefs[4096];
	const char *config_src;	/* NULL: no config file */
	int thp_config;		/* sysinfo_kconfig() of CONFIG_TRANSPARENT_HUGEPAGE */
	int ro_thp;		/* ... CONFIG_READ_ONLY_THP_FOR_FS */
	bool thp_sysfs;		/* /sys/kernel/mm/transparent_hugepage exists */
	char enabled[64], shmem_enabled[64], shmem_pmd[64];
	long scan_sleep_ms;
	struct tmpfs_mount tmpfs[MAX_TMPFS];
	size_t ntmpfs;
	bool probes_tried;
	char probes_why[512];	/* why not tried */
	struct probe_set ps;
};

static bool huge_mode_on(const char *m)
{
	return strcmp(m, "always") == 0 || strcmp(m, "within_size") == 0 ||
	       strcmp(m, "advise") == 0 || strcmp(m, "force") == 0;
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

static void read_lockdown(struct facts *f)
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
	if (f->config_src && sysinfo_kconfig("CONFIG_SECURITY_LOCKDOWN_LSM") == 0) {
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
			if (sysinfo_kconfig(name) == 1) {
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

static void read_mounts(struct facts *f)
{
	char line[8192];
	FILE *m = fopen("/proc/self/mountinfo", "re");

	if (!m)
		return;
	while (fgets(line, sizeof(line), m)) {
		char point[4096], fstype[64], opts[4096], *dash, *h;
		struct tmpfs_mount *t = NULL;

		/* id parent maj:min root point opts [optional...] - fstype source superopts */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%63s %*s %4095s", fstype, opts) != 2)
			continue;
		unescape(point);
		if (strlen(point) >= sizeof(f->tmpfs[0].point))
			continue;
		if (strcmp(fstype, "tracefs") == 0 && !f->tracefs[0])
			snprintf(f->tracefs, sizeof(f->tracefs), "%s", point);
		if (strcmp(fstype, "tmpfs") != 0)
			continue;
		/* A later mount on the same point hides the earlier one. */
		for (size_t i = 0; i < f->ntmpfs; i++)
			if (strcmp(f->tmpfs[i].point, point) == 0)
				t = &f->tmpfs[i];
		if (!t) {
			if (f->ntmpfs == MAX_TMPFS)
				continue;
			t = &f->tmpfs[f->ntmpfs++];
		}
		snprintf(t->point, sizeof(t->point), "%s", point);
		h = strstr(opts, "huge=");
		if (h && (h == opts || h[-1] == ','))
			snprintf(t->huge, sizeof(t->huge), "%.*s", (int)strcspn(h + 5, ","), h + 5);
		else
			snprintf(t->huge, sizeof(t->huge), "never");
	}
	fclose(m);
}

static const char *find_config(void)
{
	static char boot[300];
	struct utsname u;

	if (access("/proc/config.gz", R_OK) == 0)
		return "/proc/config.gz";
	if (uname(&u) == 0) {
		snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
		if (access(boot, R_OK) == 0)
			return boot;
	}
	return NULL;
}

/* ---- sections ---- */

static void sec_system(struct doc *d, struct facts *f)
{
	const char *btf_env = config()->btf_path;
	struct stat st;
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

	f->btf_path = btf_env ? btf_env : "/sys/kernel/btf/vmlinux";
	f->btf_file = stat(f->btf_path, &st) == 0;
	f->btf_size = f->btf_file ? (long)st.st_size : -1;
	if (f->btf_file)
		trow(d, "BTF", "yes, %s (%ld KiB)%s", f->btf_path, f->btf_size / 1024,
		     btf_env ? ", from THPTRACE_BTF" : "");
	else
		trow(d, "BTF", "no %s: the kernel needs CONFIG_DEBUG_INFO_BTF=y", f->btf_path);
	w = jbegin(d, "btf");
	jsonw_bool(w, "value", f->btf_file);
	jsonw_str(w, "path", f->btf_path);
	if (f->btf_file)
		jsonw_i64(w, "bytes", f->btf_size);
	jend(d);

	read_lockdown(f);
	{
		const char *eff = strcmp(f->lockdown, "none") == 0 ? "no restriction" :
			strcmp(f->lockdown, "integrity") == 0 ?
			"this level still allows BPF tracing (it blocks bpf_probe_write_user)" :
			strcmp(f->lockdown, "confidentiality") == 0 ?
			"blocks kprobes, tracefs and BPF reads of kernel memory: tracing cannot work" :
			NULL;

		trow(d, "lockdown", "%s (%s)%s%s", f->lockdown, f->lockdown_src, eff ? "; " : "",
		     eff ? eff : "");
		w = jbegin(d, "lockdown");
		jsonw_str(w, "value", f->lockdown);
		jsonw_str(w, "source", f->lockdown_src);
		jend(d);
	}

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

static void sec_kconfig(struct doc *d, struct facts *f)
{
	static const char *const names[] = {
		"CONFIG_TRANSPARENT_HUGEPAGE", "CONFIG_READ_ONLY_THP_FOR_FS", "CONFIG_KPROBES",
		"CONFIG_DEBUG_INFO_BTF",
	};
	static const char *const why[] = {
		"THP at all", "khugepaged/MADV_COLLAPSE of regular (non-tmpfs) files",
		"kprobe/kretprobe probes", "BTF: fentry, CO-RE and this tool",
	};

	if (f->config_src)
		sec_begin(d, "kconfig", "kernel config (from %s)", f->config_src);
	else
		sec_begin(d, "kconfig", "kernel config (no config file: neither /proc/config.gz nor "
			  "/boot/config-%s is readable)", f->uts.release);
	jcheck_str(d, "config_source", f->config_src ? f->config_src : "none");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int v = f->config_src ? sysinfo_kconfig(names[i]) : -1;
		const char *inferred = NULL, *from = NULL;
		struct jsonw *w;

		if (i == 0)
			f->thp_config = v;
		if (i == 1)
			f->ro_thp = v;
		if (v < 0) {
			/* No config: what the running kernel shows instead. */
			if (i == 0) {
				inferred = f->thp_sysfs ? "y" : "not set";
				from = THP_SYSFS;
			} else if (i == 2) {
				inferred = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0 ?
					   "y" : "not set";
				from = "/sys/bus/event_source/devices/kprobe";
			} else if (i == 3) {
				inferred = access("/sys/kernel/btf/vmlinux", F_OK) == 0 ? "y" : "not set";
				from = "/sys/kernel/btf/vmlinux";
			}
		}
		if (v >= 0)
			trow(d, names[i], "%-8s for %s", kconfig_text(v), why[i]);
		else if (inferred)
			trow(d, names[i], "unknown (no config file); probably %s: %s %s", inferred,
			     from, strcmp(inferred, "y") == 0 ? "exists" : "is absent");
		else
			trow(d, names[i], "unknown (no config file)");
		w = jbegin(d, names[i]);
		jsonw_str(w, "value", kconfig_text(v));
		if (inferred) {
			jsonw_str(w, "inferred", inferred);
			jsonw_str(w, "inferred_from", from);
		}
		jend(d);
	}
	if (f->thp_config < 0 && !f->thp_sysfs)
		f->thp_config = 0;
	sec_end(d);
}

static void sec_thp(struct doc *d, struct facts *f)
{
	static const char *const sel[] = { "enabled", "defrag", "shmem_enabled" };
	static const char *const kh[] = {
		"defrag", "scan_sleep_millisecs", "alloc_sleep_millisecs", "pages_to_scan",
		"full_scans", "pages_collapsed", "max_ptes_none", "max_ptes_swap", "max_ptes_shared",
	};
	char path[512], val[64], name[128];
	long pmd;

	sec_begin(d, "thp", "THP settings (%s)", THP_SYSFS);
	if (!f->thp_sysfs) {
		trow(d, "", "%s is absent: this kernel has no transparent huge pages", THP_SYSFS);
		jcheck_str(d, "thp_sysfs", "absent");
		sec_end(d);
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		const char *note = "";

		snprintf(path, sizeof(path), "%s/%s", THP_SYSFS, sel[i]);
		if (sysinfo_selected(path, val, sizeof(val)) < 0)
			snprintf(val, sizeof(val), "unreadable");
		if (i == 0) {
			snprintf(f->enabled, sizeof(f->enabled), "%s", val);
			note = strcmp(val, "madvise") == 0 ? "anonymous THP in MADV_HUGEPAGE regions only" :
			       strcmp(val, "always") == 0 ? "anonymous THP everywhere" :
			       strcmp(val, "never") == 0 ? "no anonymous THP (per-size settings aside)" : "";
		} else if (i == 2) {
			snprintf(f->shmem_enabled, sizeof(f->shmem_enabled), "%s", val);
			note = strcmp(val, "force") == 0 ? "every tmpfs mount is huge, whatever its huge=" :
			       strcmp(val, "deny") == 0 ? "no tmpfs mount is huge, whatever its huge=" :
			       "memfd and SysV shm; a tmpfs mount follows its own huge= option";
		}
		trow(d, sel[i], "%s%s%s%s", val, note[0] ? " (" : "", note, note[0] ? ")" : "");
		jcheck_str(d, sel[i], val);
	}
	pmd = sysinfo_long(THP_SYSFS "/hpage_pmd_size");
	if (pmd > 0) {
		struct jsonw *w;

		trow(d, "hpage_pmd_size", "%ld (%ld KiB)", pmd, pmd / 1024);
		w = jbegin(d, "hpage_pmd_size");
		jsonw_i64(w, "value", pmd);
		jend(d);
		/* Per-size controls (6.8+ anonymous, 6.11+ shmem) for the PMD size. */
		for (int s = 0; s < 2; s++) {
			snprintf(name, sizeof(name), "hugepages-%ldkB/%s", pmd / 1024,
				 s ? "shmem_enabled" : "enabled");
			snprintf(path, sizeof(path), "%s/%s", THP_SYSFS, name);
			if (sysinfo_selected(path, val, sizeof(val)) < 0)
				continue;
			if (s)
				snprintf(f->shmem_pmd, sizeof(f->shmem_pmd), "%s", val);
			trow(d, name, "%s%s", val,
			     strcmp(val, "inherit") == 0 ? " (follows the setting above)" : "");
			jcheck_str(d, name, val);
		}
	}
	for (size_t i = 0; i < sizeof(kh) / sizeof(kh[0]); i++) {
		struct jsonw *w;
		long v;

		snprintf(name, sizeof(name), "khugepaged/%s", kh[i]);
		snprintf(path, sizeof(path), "%s/%s", THP_SYSFS, name);
		v = sysinfo_long(path);
		if (i == 1)
			f->scan_sleep_ms = v;
		if (v < 0) {
			trow(d, name, "unreadable");
			jcheck_str(d, name, "unreadable");
			continue;
		}
		if (i == 1)
			trow(d, name, "%ld (khugepaged wakes every %.3g s)", v, v / 1000.0);
		else if (i == 2)
			trow(d, name, "%ld (wait after a failed huge page allocation)", v);
		else if (i == 3)
			trow(d, name, "%ld (pages looked at per wakeup)", v);
		else if (i == 6)
			trow(d, name, "%ld (of 511, empty PTEs a collapse may fill)", v);
		else
			trow(d, name, "%ld", v);
		w = jbegin(d, name);
		jsonw_i64(w, "value", v);
		jend(d);
	}
	sec_end(d);
}

static void sec_tmpfs(struct doc *d, struct facts *f)
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
		else if (strcmp(f->shmem_enabled, "deny") == 0 && huge_mode_on(t->huge))
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

static void sec_probes(struct doc *d, struct facts *f)
{
	struct kbtf *btf = NULL;
	char err[512];

	sec_begin(d, "probes", "probes (each mechanism really loaded and attached here)");
	if (!f->root) {
		struct jsonw *w;

		snprintf(f->probes_why, sizeof(f->probes_why), "probe trials need root");
		trow(d, "", "not tried: probe trials need root (run 'sudo thptrace doctor'); what the "
		     "kernel's BTF and sysfs show to any user:");
		w = jbegin(d, "probes");
		jsonw_str(w, "value", "not tried");
		jsonw_str(w, "reason", f->probes_why);
		jend(d);
		btf = f->btf_file ? kbtf_load() : NULL;
		for (size_t i = 0; i < NFUNCS; i++) {
			bool in = kbtf_func_id(btf, funcs[i]) >= 0;

			trow(d, funcs[i], "%s", !btf ? "unknown (no BTF)" : in ? "in the kernel's BTF" :
			     "not in the kernel's BTF (inlined, renamed or absent)");
			w = jbegin(d, "btf_function");
			jsonw_str(w, "value", !btf ? "unknown" : in ? "yes" : "no");
			jsonw_str(w, "function", funcs[i]);
			jend(d);
		}
		kbtf_free(btf);
		{
			bool kp = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;

			trow(d, "kprobe PMU", "%s", kp ? "present" : "absent (no kprobes on this kernel)");
			w = jbegin(d, "kprobe_pmu");
			jsonw_bool(w, "value", kp);
			jend(d);
		}
		sec_end(d);
		return;
	}
	if (f->btf_file)
		btf = kbtf_load();
	if (probes_choose(&f->ps, BACKEND_AUTO, btf, err, sizeof(err)) < 0) {
		struct jsonw *w;

		snprintf(f->probes_why, sizeof(f->probes_why), "%s", err);
		trow(d, "", "not tried: %s", err);
		w = jbegin(d, "probes");
		jsonw_str(w, "value", "not tried");
		jsonw_str(w, "reason", err);
		jend(d);
		kbtf_free(btf);
		sec_end(d);
		return;
	}
	kbtf_free(btf);
	f->probes_tried = true;
	if (!btf)
		trow(d, "", "without BTF (%s), fentry cannot be tried", f->btf_path);
	if (d->json) {
		probes_print_json(&f->ps, d->out);
	} else {
		char *buf = NULL, *line, *save;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

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
			print_wrapped(d->out, 2, lead ? 2 + lead + 18 : 4, line);
		}
		free(buf);
		return;
	}
	sec_end(d);
}

/* ---- verdict ---- */

static void sec_verdict(struct doc *d, struct facts *f)
{
	char what[2048] = "", how[2048] = "", tracing[1024] = "", list[1024] = "", jlist[16384] = "[";
	bool per_size = f->shmem_pmd[0] && strcmp(f->shmem_pmd, "inherit") != 0;
	const char *memfd_mode = per_size ? f->shmem_pmd : f->shmem_enabled;
	bool deny = strcmp(f->shmem_enabled, "deny") == 0, force = strcmp(f->shmem_enabled, "force") == 0;
	bool thp = f->thp_config != 0 && f->thp_sysfs;
	bool memfd = thp && huge_mode_on(memfd_mode), file_thp;
	size_t nhuge = 0;
	struct jsonw *w;
	char modes[64] = "";

	/* tmpfs mounts where huge pages can back files */
	for (size_t i = 0; thp && !deny && i < f->ntmpfs; i++) {
		const struct tmpfs_mount *t = &f->tmpfs[i];
		char esc[6 * sizeof(t->point) + 3];

		if (!force && !huge_mode_on(t->huge))
			continue;
		if (nhuge < 4 && strlen(list) + strlen(t->point) + 3 < sizeof(list))
			text_append(list, sizeof(list), "%s%s", nhuge ? ", " : "", t->point);
		if (!strstr(modes, t->huge))
			text_append(modes, sizeof(modes), "%s%s", modes[0] ? "/" : "", t->huge);
		/* only whole strings: jlist must stay valid JSON */
		if (json_escape(esc, sizeof(esc), t->point, strlen(t->point)) < sizeof(esc) &&
		    strlen(jlist) + strlen(esc) + 2 < sizeof(jlist))
			text_append(jlist, sizeof(jlist), "%s%s", jlist[1] ? "," : "", esc);
		nhuge++;
	}
	text_append(jlist, sizeof(jlist), "]");
	if (nhuge > 4)
		text_append(list, sizeof(list), " and %zu more", nhuge - 4);
	file_thp = nhuge || memfd || (thp && f->ro_thp == 1);

	if (!thp) {
		snprintf(what, sizeof(what), "file THP: no, the kernel has no transparent huge pages "
			 "(CONFIG_TRANSPARENT_HUGEPAGE not set).");
		snprintf(how, sizeof(how), "To get it: a kernel built with CONFIG_TRANSPARENT_HUGEPAGE=y "
			 "(and CONFIG_READ_ONLY_THP_FOR_FS=y for regular files).");
	} else {
		text_append(what, sizeof(what), "file THP: %s", file_thp ? "yes" : "no");
		if (nhuge)
			text_append(what, sizeof(what), ", on tmpfs mounts with huge=%s: %s", force ? "force" : modes,
			    list);
		else
			text_append(what, sizeof(what), ", no tmpfs mount %s",
			    deny ? "can have it (shmem_enabled=deny)" : "has huge=advise/always/within_size");
		text_append(what, sizeof(what), "; memfd and SysV shm: %s (shmem_enabled=%s%s%s)",
		    memfd ? "yes" : "no", f->shmem_enabled, per_size ? ", PMD size " : "",
		    per_size ? f->shmem_pmd : "");
		if (f->ro_thp == 1)
			text_append(what, sizeof(what), "; regular files: yes, read-only ones "
			    "(CONFIG_READ_ONLY_THP_FOR_FS=y)");
		else if (f->ro_thp == 0)
			text_append(what, sizeof(what), "; no regular-file THP collapse "
			    "(CONFIG_READ_ONLY_THP_FOR_FS not set)");
		else
			text_append(what, sizeof(what), "; regular-file THP collapse: unknown (no config file "
			    "to read CONFIG_READ_ONLY_THP_FOR_FS from)");
		text_append(what, sizeof(what), ".");

		text_append(how, sizeof(how), "To get it: ");
		if (deny)
			text_append(how, sizeof(how), "echo" NB "advise" NB ">" NB "%s/shmem_enabled "
			    "(deny overrides every mount); ", THP_SYSFS);
		if (nhuge)
			text_append(how, sizeof(how), "put the file on %s", nhuge == 1 ? list : "one of those mounts");
		else
			text_append(how, sizeof(how), "mount" NB "-t" NB "tmpfs" NB "-o" NB
			    "huge=advise,size=256m" NB "thp" NB "/mnt/thp and put the file there");
		text_append(how, sizeof(how), ", map it at a 2" NB "MiB-aligned address and file offset; then "
		    "madvise(MADV_COLLAPSE) to collapse it at once, or madvise(MADV_HUGEPAGE) it and "
		    "also an anonymous region, so that khugepaged scans the process (a file-only "
		    "MADV_HUGEPAGE process may never be scanned)");
		if (strcmp(f->enabled, "never") == 0)
			text_append(how, sizeof(how), " - which needs echo" NB "madvise" NB ">" NB "%s/enabled",
			    THP_SYSFS);
		if (f->scan_sleep_ms > 1000)
			text_append(how, sizeof(how), "; khugepaged wakes every %.3g s: lower "
			    "khugepaged/scan_sleep_millisecs to see it sooner", f->scan_sleep_ms / 1000.0);
		if (!memfd)
			text_append(how, sizeof(how), ". For memfd: echo" NB "advise" NB ">" NB "%s/shmem_enabled",
			    THP_SYSFS);
		text_append(how, sizeof(how), ".");
	}

	if (f->probes_tried) {
		const char *none[NFUNCS];
		size_t nn = 0;

		text_append(tracing, sizeof(tracing), "Tracing here: ");
		for (size_t i = 0, k = 0; i < NFUNCS; i++) {
			enum mech m = probes_mech_of(&f->ps, funcs[i]);

			if (m == MECH_NONE) {
				none[nn++] = funcs[i];
				continue;
			}
			text_append(tracing, sizeof(tracing), "%s%s by %s", k++ ? ", " : "", funcs[i], mech_name(m));
		}
		for (size_t i = 0; i < nn; i++)
			text_append(tracing, sizeof(tracing), "%s%s", i ? ", " : nn < NFUNCS ? "; " : "", none[i]);
		if (nn)
			text_append(tracing, sizeof(tracing), ": no mechanism, pagemap sampling stands in");
		text_append(tracing, sizeof(tracing), ".");
	} else {
		snprintf(tracing, sizeof(tracing), "Tracing here: not tried (%s).", f->probes_why);
	}

	sec_begin(d, "verdict", "verdict");
	trow(d, "", "%s", what);
	trow(d, "", "%s", how);
	trow(d, "", "%s", tracing);
	sec_end(d);

	jsonw_init(&d->w, d->jbuf, sizeof(d->jbuf));
	w = &d->w;
	jsonw_begin(w);
	jsonw_str(w, "event", "doctor_verdict");
	jsonw_bool(w, "file_thp", file_thp);
	jsonw_raw(w, "tmpfs_huge_mounts", jlist);
	jsonw_bool(w, "memfd_shm", memfd);
	jsonw_str(w, "regular_files", f->ro_thp == 1 ? "yes" : f->ro_thp == 0 ? "no" : "unknown");
	jsonw_bool(w, "probes_tried", f->probes_tried);
	if (!f->probes_tried)
		jsonw_str(w, "probes_not_tried", f->probes_why);
	if (f->probes_tried) {
		char mechs[512] = "{";

		for (size_t i = 0; i < NFUNCS; i++)
			text_append(mechs, sizeof(mechs), "%s\"%s\":\"%s\"", i ? "," : "", funcs[i],
			    mech_name(probes_mech_of(&f->ps, funcs[i])));
		text_append(mechs, sizeof(mechs), "}");
		jsonw_raw(w, "mechanisms", mechs);
	}
	for (char *p = how; (p = strchr(p, NB[0]));)
		*p = ' ';
	jsonw_str(w, "verdict", what);
	jsonw_str(w, "how", how);
	jsonw_str(w, "tracing", tracing);
	jsonw_end(w);
	if (d->json) {
		if (w->overflow)	/* never lose the verdict line: the short form */
			fprintf(d->out, "{\"event\":\"doctor_verdict\",\"file_thp\":%s}\n",
				file_thp ? "true" : "false");
		else
			fprintf(d->out, "%s\n", d->jbuf);
	}
}

/* ---- command line ---- */

static void usage(FILE *out)
{
	fprintf(out,
"Usage: thptrace doctor [--json]\n"
"\n"
"Check this machine for tracing file THP collapse and refault: kernel release,\n"
"BTF, lockdown mode, kernel config (CONFIG_READ_ONLY_THP_FOR_FS, CONFIG_KPROBES,\n"
"CONFIG_TRANSPARENT_HUGEPAGE, CONFIG_DEBUG_INFO_BTF), the THP and khugepaged\n"
"sysfs settings, tmpfs mounts with their huge= mode, and for every probe which\n"
"mechanism (fentry/fexit, kprobe/kretprobe, tracepoint) really loads and\n"
"attaches here.  Ends with a verdict: can file THP happen here, and how to get\n"
"it.\n"
"\n"
"Options:\n"
"  --json      one JSON object per line: {\"event\":\"doctor\",\"section\":...,\n"
"              \"check\":...,\"value\":...}, the probes as {\"event\":\"probe\",...}\n"
"              lines, and last {\"event\":\"doctor_verdict\",...}\n"
"  -h, --help  this help\n"
"\n"
"Probe trials load BPF programs and need root.  Without root, doctor prints\n"
"everything else it can read, says that probe trials need root, and still\n"
"exits 0.  To try the probes it may mount tracefs at /sys/kernel/tracing; it\n"
"reads lockdown from a securityfs mounted in a private mount namespace when\n"
"none is mounted.\n"
"\n"
"Examples:\n"
"  sudo thptrace doctor\n"
"  thptrace doctor --json | jq -r 'select(.event==\"doctor_verdict\") | .verdict'\n"
"\n"
"Exit status: 0 when the checks ran (whatever they found, root or not),\n"
"2 bad usage, 6 standard output could not be written.\n");
}

int doctor_main(int argc, char **argv)
{
	static struct facts f;
	static struct doc d;

	d.out = stdout;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			d.json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "thptrace doctor: %s '%s' (try 'thptrace doctor --help')\n",
				argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
			return EXIT_USAGE;
		}
	}
	libbpf_set_print(libbpf_silent);
	f.root = geteuid() == 0;
	uname(&f.uts);
	f.config_src = find_config();
	f.ro_thp = -1;
	f.thp_config = -1;
	f.thp_sysfs = access(THP_SYSFS, F_OK) == 0;
	read_mounts(&f);

	if (!d.json)
		fprintf(d.out, "thptrace doctor: can this machine trace file THP collapse and refault?\n");
	sec_system(&d, &f);
	sec_kconfig(&d, &f);
	sec_thp(&d, &f);
	sec_tmpfs(&d, &f);
	sec_probes(&d, &f);
	sec_verdict(&d, &f);
	if (fflush(d.out) != 0 || ferror(d.out)) {
		fprintf(stderr, "thptrace doctor: cannot write the output: %s\n", strerror(errno));
		return EXIT_OUTPUT;
	}
	probes_detach(&f.ps);
	return 0;
}
