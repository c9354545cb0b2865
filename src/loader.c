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
#include "core_btf.h"
#include "kbtf.h"
#include "loader.h"
#include "probes.h"
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
	struct btf *b = core_btf_build(kb, bpf_object__btf(obj));
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
static struct thptrace_bpf *open_load(const struct kbtf *kb, int core_fd,
				      const struct probe_set *ps, const struct load_params *p,
				      char *err, size_t errlen)
{
	char path[64];
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct thptrace_bpf *skel;
	struct probe_consts pc;
	int rc;

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
	if (probes_apply(ps, skel->obj, &pc) < 0) {
		snprintf(err, errlen, "BPF object lacks a program of the probe table");
		goto fail;
	}
	skel->rodata->want_fault_addr = pc.want_fault_addr;
	skel->rodata->raw_cf_addr_arg = pc.cf_addr_arg;
	/* Only the size changes: the reader still wakes past wake_bytes or
	 * every POLL_MS, so a small buffer overflows on a burst, as meant. */
	if (p->rb_bytes)
		bpf_map__set_max_entries(skel->maps.rb, (__u32)p->rb_bytes);
	if (core_fd >= 0 && (rc = fill_core_btf(core_fd, kb, skel->obj)) < 0) {
		snprintf(err, errlen, "cannot build the trimmed BTF: %s", strerror(-rc));
		goto fail;
	}
	rc = thptrace_bpf__load(skel);
	if (rc) {
		snprintf(err, errlen, "failed to load BPF programs: %s", strerror(-rc));
		goto fail;
	}
	return skel;
fail:
	thptrace_bpf__destroy(skel);
	return NULL;
}

struct thptrace_bpf *loader_open_load(const struct kbtf *kb, const struct probe_set *ps,
				      const struct load_params *p, char *err, size_t errlen)
{
	/* $THPTRACE_BTF stands in for the kernel's BTF in prototype checks
	 * only: relocations always follow the running kernel. */
	bool trim = kb && !getenv("THPTRACE_FULL_BTF") && !getenv("THPTRACE_BTF");
	int fd = trim ? memfd_create("thptrace-core-btf", MFD_CLOEXEC) : -1;
	struct thptrace_bpf *skel = NULL;
	char why[256];

	if (fd >= 0) {
		skel = open_load(kb, fd, ps, p, why, sizeof(why));
		close(fd);
		if (skel)
			return skel;
	}
	skel = open_load(NULL, -1, ps, p, err, errlen);
	/* The whole BTF worked where the trimmed one did not: a bug of ours
	 * worth a line, never a reason to fail. */
	if (skel && fd >= 0)
		fprintf(stderr, "thptrace: relocating against the trimmed BTF failed (%s); used the whole BTF\n",
			why);
	return skel;
}
