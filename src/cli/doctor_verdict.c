/* doctor's verdict: can file THP happen on this machine, how to get it, and
 * what traces it here.  Whether a tmpfs mount, a memfd or a regular file can
 * get huge pages is asked of model/eligibility.h, the rules the per-region
 * verdicts use, about a file there that the program maps 2 MiB-aligned and
 * madvises MADV_HUGEPAGE; the words are doctor's. */
#include <stdio.h>
#include <string.h>
#include "cli/doctor_sections.h"
#include "host/sysinfo.h"
#include "model/eligibility.h"
#include "sinks/json_schema.h"
#include "util/textbuf.h"

/* What forbids huge pages for a file of this backing (tmpfs_huge: its
 * mount's huge=, "" for memfd and SysV shm) on a machine set as ctx says. */
static unsigned blockers(enum backing b, const char *tmpfs_huge, const struct thp_context *ctx)
{
	struct region_file_info fi = {
		.is_shmem = b == BACKING_SHMEM, .open_for_write = 0, .fully_mapped = 1, .file_aligned = 1,
	};
	struct elig_facts ef = { .backing = b, .fi = &fi, .madvised_huge = true };

	snprintf(fi.tmpfs_huge, sizeof(fi.tmpfs_huge), "%s", tmpfs_huge);
	return elig_blockers(&ef, ctx);
}

/* The answers, and the lists the words need. */
struct answer {
	bool thp;			/* the kernel has THP at all */
	size_t nhuge;			/* tmpfs mounts where files can be huge */
	char list[1024];		/* the first four of them, ", "-joined */
	char modes[64];			/* their huge= modes, "/"-joined */
	char jlist[16384];		/* all of them, a JSON array */
	bool per_size;			/* hugepages-<PMD>kB/shmem_enabled is not inherit */
	bool memfd;			/* memfd and SysV shm can be huge */
	unsigned regular_b;		/* what forbids it for a read-only regular file */
	const char *regular;		/* "yes", "no", "unknown" */
	bool file_thp;
};

static void decide(const struct doctor_facts *f, struct answer *a)
{
	struct thp_context memfd_ctx = f->ctx;

	memset(a, 0, sizeof(*a));
	a->thp = f->thp_config != 0 && f->thp_sysfs;
	snprintf(a->jlist, sizeof(a->jlist), "[");
	for (size_t i = 0; a->thp && i < f->ntmpfs; i++) {
		const struct tmpfs_mount *t = &f->tmpfs[i];
		char esc[6 * sizeof(t->point) + 3];

		if (blockers(BACKING_SHMEM, t->huge, &f->ctx))
			continue;
		if (a->nhuge < 4 && strlen(a->list) + strlen(t->point) + 3 < sizeof(a->list))
			text_append(a->list, sizeof(a->list), "%s%s", a->nhuge ? ", " : "", t->point);
		if (!strstr(a->modes, t->huge))
			text_append(a->modes, sizeof(a->modes), "%s%s", a->modes[0] ? "/" : "", t->huge);
		/* only whole strings: jlist must stay valid JSON */
		if (json_escape(esc, sizeof(esc), t->point, strlen(t->point)) < sizeof(esc) &&
		    strlen(a->jlist) + strlen(esc) + 2 < sizeof(a->jlist))
			text_append(a->jlist, sizeof(a->jlist), "%s%s", a->jlist[1] ? "," : "", esc);
		a->nhuge++;
	}
	text_append(a->jlist, sizeof(a->jlist), "]");
	if (a->nhuge > 4)
		text_append(a->list, sizeof(a->list), " and %zu more", a->nhuge - 4);

	/* memfd and SysV shm: shmem_enabled, or its PMD-size twin where set */
	a->per_size = f->shmem_pmd[0] && strcmp(f->shmem_pmd, "inherit") != 0;
	if (a->per_size)
		snprintf(memfd_ctx.shmem_enabled, sizeof(memfd_ctx.shmem_enabled), "%s", f->shmem_pmd);
	a->memfd = a->thp && memfd_ctx.shmem_enabled[0] && !blockers(BACKING_SHMEM, "", &memfd_ctx);

	/* a read-only regular file (CONFIG_READ_ONLY_THP_FOR_FS) */
	a->regular_b = blockers(BACKING_FILE, "", &f->ctx);
	a->regular = a->regular_b ? "no" : f->ctx.read_only_thp_for_fs < 0 ? "unknown" : "yes";
	a->file_thp = a->nhuge || a->memfd || (a->thp && strcmp(a->regular, "yes") == 0);
}

static void what_text(const struct doctor_facts *f, const struct answer *a, char *what, size_t n)
{
	bool deny = strcmp(f->shmem_enabled, "deny") == 0, force = strcmp(f->shmem_enabled, "force") == 0;

	if (!a->thp) {
		snprintf(what, n, "file THP: no, the kernel has no transparent huge pages "
			 "(CONFIG_TRANSPARENT_HUGEPAGE not set).");
		return;
	}
	text_append(what, n, "file THP: %s", a->file_thp ? "yes" : "no");
	if (a->nhuge)
		text_append(what, n, ", on tmpfs mounts with huge=%s: %s", force ? "force" : a->modes,
			    a->list);
	else
		text_append(what, n, ", no tmpfs mount %s",
			    deny ? "can have it (shmem_enabled=deny)" : "has huge=advise/always/within_size");
	text_append(what, n, "; memfd and SysV shm: %s (shmem_enabled=%s%s%s)", a->memfd ? "yes" : "no",
		    f->shmem_enabled, a->per_size ? ", PMD size " : "", a->per_size ? f->shmem_pmd : "");
	if (a->regular_b & EB_NO_RO_THP_FOR_FS)
		text_append(what, n, "; no regular-file THP collapse (CONFIG_READ_ONLY_THP_FOR_FS not set)");
	else if (a->regular_b & EB_THP_NEVER)
		text_append(what, n, "; no regular-file THP collapse (transparent_hugepage/enabled is "
			    "never; MADV_COLLAPSE aside)");
	else if (strcmp(a->regular, "yes") == 0)
		text_append(what, n, "; regular files: yes, read-only ones (CONFIG_READ_ONLY_THP_FOR_FS=y)");
	else
		text_append(what, n, "; regular-file THP collapse: unknown (no config file to read "
			    "CONFIG_READ_ONLY_THP_FOR_FS from)");
	text_append(what, n, ".");
}

static void how_text(const struct doctor_facts *f, const struct answer *a, char *how, size_t n)
{
	long sleep_ms = f->khugepaged[KH_SCAN_SLEEP];

	if (!a->thp) {
		snprintf(how, n, "To get it: a kernel built with CONFIG_TRANSPARENT_HUGEPAGE=y "
			 "(and CONFIG_READ_ONLY_THP_FOR_FS=y for regular files).");
		return;
	}
	text_append(how, n, "To get it: ");
	if (strcmp(f->shmem_enabled, "deny") == 0)
		text_append(how, n, "echo" NB "advise" NB ">" NB "%s/shmem_enabled "
			    "(deny overrides every mount); ", THP_SYSFS);
	if (a->nhuge)
		text_append(how, n, "put the file on %s", a->nhuge == 1 ? a->list : "one of those mounts");
	else
		text_append(how, n, "mount" NB "-t" NB "tmpfs" NB "-o" NB "huge=advise,size=256m" NB
			    "thp" NB "/mnt/thp and put the file there");
	text_append(how, n, ", map it at a 2" NB "MiB-aligned address and file offset; then "
		    "madvise(MADV_COLLAPSE) to collapse it at once, or madvise(MADV_HUGEPAGE) it and "
		    "also an anonymous region, so that khugepaged scans the process (a file-only "
		    "MADV_HUGEPAGE process may never be scanned)");
	if (strcmp(f->enabled, "never") == 0)
		text_append(how, n, " - which needs echo" NB "madvise" NB ">" NB "%s/enabled", THP_SYSFS);
	if (sleep_ms > 1000)
		text_append(how, n, "; khugepaged wakes every %.3g s: lower "
			    "khugepaged/scan_sleep_millisecs to see it sooner", sleep_ms / 1000.0);
	if (!a->memfd)
		text_append(how, n, ". For memfd: echo" NB "advise" NB ">" NB "%s/shmem_enabled",
			    THP_SYSFS);
	text_append(how, n, ".");
}

static void tracing_text(const struct doctor_facts *f, char *tracing, size_t n)
{
	const char *none[DOCTOR_NFUNCS];
	size_t nn = 0;

	if (!f->probes_tried) {
		snprintf(tracing, n, "Tracing here: not tried (%s).", f->probes_why);
		return;
	}
	text_append(tracing, n, "Tracing here: ");
	for (size_t i = 0, k = 0; i < DOCTOR_NFUNCS; i++) {
		enum mech m = probes_mech_of(&f->ps, doctor_funcs[i]);

		if (m == MECH_NONE) {
			none[nn++] = doctor_funcs[i];
			continue;
		}
		text_append(tracing, n, "%s%s by %s", k++ ? ", " : "", doctor_funcs[i], mech_name(m));
	}
	for (size_t i = 0; i < nn; i++)
		text_append(tracing, n, "%s%s", i ? ", " : nn < DOCTOR_NFUNCS ? "; " : "", none[i]);
	if (nn)
		text_append(tracing, n, ": no mechanism, pagemap sampling stands in");
	text_append(tracing, n, ".");
}

void sec_verdict(struct doc *d, const struct doctor_facts *f)
{
	static struct answer a;
	char what[2048] = "", how[2048] = "", tracing[1024] = "";
	struct jsonw *w = &d->w;

	decide(f, &a);
	what_text(f, &a, what, sizeof(what));
	how_text(f, &a, how, sizeof(how));
	tracing_text(f, tracing, sizeof(tracing));

	sec_begin(d, "verdict", "verdict");
	trow(d, "", "%s", what);
	trow(d, "", "%s", how);
	trow(d, "", "%s", tracing);
	sec_end(d);

	jsonw_init(w, d->jbuf, sizeof(d->jbuf));
	jsonw_begin(w);
	jsonw_event(w, "doctor_verdict", NULL);
	jsonw_bool(w, "file_thp", a.file_thp);
	jsonw_raw(w, "tmpfs_huge_mounts", a.jlist);
	jsonw_bool(w, "memfd_shm", a.memfd);
	jsonw_str(w, "regular_files", a.regular);
	jsonw_bool(w, "probes_tried", f->probes_tried);
	if (!f->probes_tried)
		jsonw_str(w, "probes_not_tried", f->probes_why);
	if (f->probes_tried) {
		char mechs[512] = "{";

		for (size_t i = 0; i < DOCTOR_NFUNCS; i++)
			text_append(mechs, sizeof(mechs), "%s\"%s\":\"%s\"", i ? "," : "", doctor_funcs[i],
				    mech_name(probes_mech_of(&f->ps, doctor_funcs[i])));
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
			fprintf(d->out, "{\"event\":\"doctor_verdict\",\"schema_version\":%d,\"file_thp\":%s}\n",
				THPTRACE_JSON_SCHEMA_VERSION, a.file_thp ? "true" : "false");
		else
			fprintf(d->out, "%s\n", d->jbuf);
	}
}
