/* What doctor finds on this machine, gathered before anything is printed:
 * the system (BTF, lockdown, tracefs), the kernel config, the THP sysfs
 * settings, the tmpfs mounts, which probe mechanisms really load here, and
 * the machine as the eligibility rules (model/eligibility.h) see it.
 * Everything is read through host/ (sysinfo, kconfig, mountinfo) or tried,
 * not assumed. */
#ifndef THP_DOCTOR_FACTS_H
#define THP_DOCTOR_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/utsname.h>
#include "model/settings.h"
#include "probe/probes.h"

#define DOCTOR_MAX_TMPFS 256

/* The five kernel functions the tool is about, in the order of the story. */
#define DOCTOR_NFUNCS 5
extern const char *const doctor_funcs[DOCTOR_NFUNCS];

/* The kernel config options doctor shows, and the khugepaged knobs. */
enum { KC_THP, KC_RO_THP, KC_KPROBES, KC_BTF, KC_N };
extern const char *const doctor_kconfig_names[KC_N];
enum { KH_DEFRAG, KH_SCAN_SLEEP, KH_ALLOC_SLEEP, KH_PAGES_TO_SCAN, KH_FULL_SCANS,
       KH_PAGES_COLLAPSED, KH_MAX_PTES_NONE, KH_MAX_PTES_SWAP, KH_MAX_PTES_SHARED, KH_N };
extern const char *const doctor_khugepaged_names[KH_N];

struct tmpfs_mount {
	char point[1024];
	char huge[16];		/* "never" when the mount has no huge= option */
};

struct doctor_facts {
	bool root;
	struct utsname uts;

	/* system */
	const char *btf_path;	/* THPTRACE_BTF, else the kernel's */
	bool btf_env;		/* btf_path came from THPTRACE_BTF */
	bool btf_file;
	long btf_size;
	char lockdown[64], lockdown_src[160];
	char tracefs[4096];	/* the first tracefs mount, "" if none */

	/* kernel config: kconfig[i] is 1, 0, -1 (no config); without a config
	 * the running kernel may show it: inferred "y"/"not set", from where */
	const char *config_src;	/* NULL: no config file */
	int kconfig[KC_N];
	const char *inferred[KC_N], *inferred_from[KC_N];
	int thp_config;		/* CONFIG_TRANSPARENT_HUGEPAGE, 0 too when sysfs has no THP */

	/* THP sysfs; "unreadable" for a selector that cannot be read */
	bool thp_sysfs;		/* /sys/kernel/mm/transparent_hugepage exists */
	char enabled[64], defrag[64], shmem_enabled[64];
	long pmd_size;		/* hpage_pmd_size, -1 unreadable */
	char enabled_pmd[16], shmem_pmd[16];	/* hugepages-<PMD>kB/..., "" when absent */
	long khugepaged[KH_N];	/* -1 unreadable */

	/* tmpfs mounts, each point once (the mount that shows there) */
	struct tmpfs_mount tmpfs[DOCTOR_MAX_TMPFS];
	size_t ntmpfs;

	/* probes: as root, each mechanism tried; else what BTF shows */
	bool probes_tried;
	char probes_why[512];	/* why not tried */
	struct probe_set ps;
	bool btf_loaded;	/* the kernel's BTF could be loaded */
	bool in_btf[DOCTOR_NFUNCS];
	bool kprobe_pmu;
	/* What this kernel lacks that newer ones have, and what stands in
	 * (after the probe trials): one phrase each. */
	char lacks[8][200];
	size_t nlacks;

	/* The machine as the eligibility rules see it (host/sysinfo.c's
	 * sysinfo_context, as a trace fills it): "" where unreadable. */
	struct thp_context ctx;
};

/* Everything but the probes, in the order the sections print it. */
void doctor_gather(struct doctor_facts *f);

/* The probe trials (root), or what an unprivileged user can see. */
void doctor_try_probes(struct doctor_facts *f);

#endif
