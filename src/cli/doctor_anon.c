/* doctor's anonymous THP section (issue 13): the mode and what a fault
 * does under it, defrag, khugepaged's max_ptes_* limits in words, each
 * multi-size THP size's setting, and with -p PID that process's
 * PR_GET_THP_DISABLE and how much of its memory is huge now. */
#include <stdio.h>
#include <string.h>
#include "cli/doctor_sections.h"
#include "host/sysinfo.h"

static const char *defrag_words(const char *d)
{
	return !strcmp(d, "always") ? "a fault that finds no free 2 MiB block stalls to reclaim and compact"
	     : !strcmp(d, "defer") ? "a fault never stalls; kswapd and kcompactd are woken to make blocks for later"
	     : !strcmp(d, "defer+madvise") ? "MADV_HUGEPAGE regions stall to compact, the rest defer"
	     : !strcmp(d, "madvise") ? "only MADV_HUGEPAGE regions stall to compact; the rest take small pages"
	     : !strcmp(d, "never") ? "a fault takes a huge page only if one is free right now"
	     : "";
}

/* The process's THP_enabled (PR_GET_THP_DISABLE) and AnonHugePages. */
static void process_rows(struct doc *d, int pid)
{
	char path[64], line[160], name[64];
	long anon_huge = -1;
	int dis = sysinfo_thp_disabled(pid);
	struct jsonw *w;
	FILE *f;

	snprintf(name, sizeof(name), "pid %d", pid);
	if (dis < 0) {
		trow(d, name, "no such process, or no THP_enabled line in /proc/%d/status", pid);
		jcheck_str(d, "process_thp_disable", "unknown");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "AnonHugePages: %ld", &anon_huge) == 1)
				break;
		fclose(f);
	}
	trow(d, name, "%s%s", dis ? "PR_SET_THP_DISABLE is set: no huge pages at all for this process "
				    "(inherited across fork and exec; prctl(PR_SET_THP_DISABLE, 0) clears it)"
				  : "PR_GET_THP_DISABLE is 0: huge pages allowed",
	     "");
	if (anon_huge >= 0)
		trow(d, "AnonHugePages", "%ld kB now", anon_huge);
	w = jbegin(d, "process_thp_disable");
	jsonw_i64(w, "pid", pid);
	jsonw_bool(w, "value", dis == 1);
	if (anon_huge >= 0)
		jsonw_i64(w, "anon_huge_kb", anon_huge);
	jend(d);
}

void sec_anon(struct doc *d, const struct doctor_facts *f, int pid)
{
	const char *e = f->enabled;
	char mthp[sizeof(f->ctx.mthp_enabled)], name[64];
	struct jsonw *w;

	sec_begin(d, "anon", "anonymous THP (heaps, arenas: what a fault and khugepaged do)");
	if (!f->thp_sysfs) {
		trow(d, "", "no transparent huge pages in this kernel");
		jcheck_str(d, "anon_thp", "absent");
		sec_end(d);
		return;
	}
	trow(d, "mode", "%s: %s", e, !strcmp(e, "always") ? "every large enough anonymous mapping gets huge pages at fault"
		: !strcmp(e, "madvise") ? "only MADV_HUGEPAGE regions get huge pages at fault (and from khugepaged)"
		: !strcmp(e, "never") ? "no huge pages at fault or from khugepaged; MADV_COLLAPSE still works"
		: "unknown");
	jcheck_str(d, "anon_mode", e);
	trow(d, "defrag", "%s: %s", f->defrag, defrag_words(f->defrag));
	jcheck_str(d, "anon_defrag", f->defrag);
	for (int i = KH_MAX_PTES_NONE; i < KH_N; i++) {
		long n = f->khugepaged[i];
		const char *what = i == KH_MAX_PTES_NONE
			? "empty or zero-page entries of 512 that khugepaged may fill; above it: SCAN_EXCEED_NONE_PTE"
			: i == KH_MAX_PTES_SWAP ? "swapped-out pages khugepaged may read back; above it: SCAN_EXCEED_SWAP_PTE"
			: "pages shared with another process (after fork) it may copy; above it: SCAN_EXCEED_SHARED_PTE";

		snprintf(name, sizeof(name), "khugepaged/%s", doctor_khugepaged_names[i]);
		if (n >= 0)
			trow(d, name, "%ld (%s; MADV_COLLAPSE ignores it)", n, what);
	}
	sysinfo_mthp_enabled(mthp, sizeof(mthp));
	if (mthp[0]) {
		trow(d, "multi-size THP", "%s (a fault takes the largest enabled size that fits and is free; "
		     "\"inherit\" follows mode)", mthp);
		w = jbegin(d, "mthp_enabled");
		jsonw_str(w, "value", mthp);
		jend(d);
	} else {
		trow(d, "multi-size THP", "none in this kernel (hugepages-<size>kB came in 6.8): 2 MiB only");
		jcheck_str(d, "mthp_enabled", "absent");
	}
	if (pid > 0)
		process_rows(d, pid);
	sec_end(d);
}
