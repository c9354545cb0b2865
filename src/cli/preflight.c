/* What thptrace checks before it loads anything: capabilities, tracefs,
 * BTF, each failure one line and an exit code.  The BTF itself loads on a
 * thread, collected by preflight_btf() when the probes are chosen. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "probe/kbtf.h"
#include "util/config.h"
#include "host/target.h"
#include "cli/trace.h"

#define CAP_BIT(n) (1ull << (n))
#define CAP_SYS_ADMIN_NR 21
#define CAP_PERFMON_NR 38
#define CAP_BPF_NR 39

/* The effective capability set, from /proc/self/status (CapEff). */
static bool cap_effective(uint64_t *caps)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	bool ok = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, caps) == 1) {
			ok = true;
			break;
		}
	fclose(f);
	return ok;
}

/* Loading tracing programs needs CAP_BPF and CAP_PERFMON; CAP_SYS_ADMIN
 * stands for both.  Name what is missing rather than "not root". */
static int check_caps(void)
{
	uint64_t caps = 0;
	bool admin, bpf, perfmon;

	if (!cap_effective(&caps)) {
		if (geteuid() == 0)
			return 0;
		fprintf(stderr, "thptrace: needs root (CAP_BPF and CAP_PERFMON): run it with sudo\n");
		return EXIT_ENV;
	}
	admin = caps & CAP_BIT(CAP_SYS_ADMIN_NR);
	bpf = admin || (caps & CAP_BIT(CAP_BPF_NR));
	perfmon = admin || (caps & CAP_BIT(CAP_PERFMON_NR));
	if (bpf && perfmon)
		return 0;
	fprintf(stderr, "thptrace: missing %s %s%s%s (or CAP_SYS_ADMIN) to load BPF tracing"
		" programs: run it as root (sudo)\n", !bpf && !perfmon ? "capabilities" : "capability",
		bpf ? "" : "CAP_BPF",
		!bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return EXIT_ENV;
}

static bool tracefs_present(void)
{
	return access("/sys/kernel/tracing/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

/* Tracepoints are found through tracefs: mount it where it belongs if no
 * one has (as perf and bpftrace do), and say so. */
static int ensure_tracefs(void)
{
	if (tracefs_present())
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 && tracefs_present()) {
		fprintf(stderr, "thptrace: tracefs was not mounted: mounted it at /sys/kernel/tracing\n");
		return 0;
	}
	fprintf(stderr, "thptrace: tracefs is not mounted and mounting it failed (%s): run"
		" 'mount -t tracefs nodev /sys/kernel/tracing'\n", strerror(errno));
	return EXIT_ENV;
}

int trace_preflight(struct kbtf_job *btf)
{
	int rc = 0;

	/* First: it is the longest step, and needs no privilege to read. */
	kbtf_load_start(btf);
	if ((rc = check_caps()))
		goto fail;
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0 && !config()->btf_path) {
		fprintf(stderr, "thptrace: this kernel has no BTF (/sys/kernel/btf/vmlinux: %s): it"
			" needs CONFIG_DEBUG_INFO_BTF=y\n", strerror(errno));
		rc = EXIT_ENV;
		goto fail;
	}
	if ((rc = ensure_tracefs()))
		goto fail;
	return 0;
fail:
	kbtf_free(kbtf_load_wait(btf));
	return rc;
}

int preflight_btf(struct kbtf_job *job, struct kbtf **btf)
{
	*btf = kbtf_load_wait(job);
	if (!*btf) {
		fprintf(stderr, "thptrace: cannot read the kernel's BTF: %s\n", strerror(errno));
		return EXIT_ENV;
	}
	return 0;
}
