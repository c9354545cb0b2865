/* Open and load the BPF object: the one place that knows the order libbpf
 * needs (open, choose programs, set constants, load). */
#include <errno.h>
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
	return skel;
}

/* Enable the chosen programs and load; the skeleton is destroyed on failure. */
static int load_skel(struct thptrace_bpf *skel, int core_fd, const struct kbtf *kb,
		     const struct probe_set *ps, char *err, size_t errlen)
{
	struct probe_consts pc;
	int rc;

	if (probes_apply(ps, skel->obj, &pc) < 0) {
		snprintf(err, errlen, "BPF object lacks a program of the probe table");
		goto fail;
	}
	skel->rodata->want_fault_addr = pc.want_fault_addr;
	skel->rodata->raw_cf_addr_arg = pc.cf_addr_arg;
	if (core_fd >= 0 && (rc = fill_core_btf(core_fd, kb, skel->obj)) < 0) {
		snprintf(err, errlen, "cannot build the trimmed BTF: %s", strerror(-rc));
		goto fail;
	}
	rc = thptrace_bpf__load(skel);
	if (rc) {
		snprintf(err, errlen, "failed to load BPF programs: %s", strerror(-rc));
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

int loader_load(struct loader *l, const struct kbtf *kb, const struct probe_set *ps, char *err,
		size_t errlen)
{
	bool tried_trim = false;
	char why[256];

	if (l->core_fd >= 0 && kb) {
		if (load_skel(l->skel, l->core_fd, kb, ps, why, sizeof(why)) == 0) {
			close(l->core_fd);
			l->core_fd = -1;
			return 0;
		}
		l->skel = NULL;		/* load_skel() destroyed it */
		tried_trim = true;
	}
	if (l->core_fd >= 0) {
		/* Opened for a trimmed BTF, and the path is fixed at open: open
		 * afresh for libbpf to read the kernel's whole BTF. */
		close(l->core_fd);
		l->core_fd = -1;
		thptrace_bpf__destroy(l->skel);
		l->skel = NULL;
	}
	if (!l->skel && !(l->skel = open_skel(-1, &l->params, err, errlen)))
		return -1;
	if (load_skel(l->skel, -1, NULL, ps, err, errlen) < 0) {
		l->skel = NULL;
		return -1;
	}
	/* It worked where the trimmed BTF did not: a bug of ours worth a line,
	 * never a reason to fail. */
	if (tried_trim)
		fprintf(stderr, "thptrace: relocating against the trimmed BTF failed (%s); used the whole BTF\n",
			why);
	return 0;
}

void loader_close(struct loader *l)
{
	if (l->core_fd >= 0)
		close(l->core_fd);
	l->core_fd = -1;
	thptrace_bpf__destroy(l->skel);
	l->skel = NULL;
}
