/* The BPF map writes of a live trace (see bpf_targets.h). */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/bpf_targets.h"
#include "thptrace.skel.h"

int bpf_targets_register(struct thptrace_bpf *skel, pid_t pid, bool held)
{
	__u32 state = held ? TARGET_PENDING_EXEC : TARGET_ACTIVE;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &pid, &state, BPF_ANY);
}

void bpf_targets_set_ranges(struct thptrace_bpf *skel, const struct resolved_ranges *rr)
{
	int fd = bpf_map__fd(skel->maps.target_files);
	__u32 one = 1;

	for (size_t i = 0; i < rr->n; i++) {
		skel->bss->ranges[i].start = rr->r[i].start;
		skel->bss->ranges[i].end = rr->r[i].end;
	}
	skel->bss->nr_ranges = (__u32)rr->n;
	skel->bss->range_filter = rr->filter;
	for (size_t i = 0; i < rr->n_files; i++)
		bpf_map_update_elem(fd, &rr->files[i], &one, BPF_ANY);
}

void bpf_targets_update_ranges(struct thptrace_bpf *skel, pid_t pid,
			       const struct range_spec *spec)
{
	struct resolved_ranges rr;
	char err[256];

	if (target_resolve(pid, spec, false, &rr, err, sizeof(err)) == 0)
		bpf_targets_set_ranges(skel, &rr);
}

void bpf_targets_forget(struct thptrace_bpf *skel, struct decoder *dec, uint32_t tgid)
{
	uint64_t keys[16];
	size_t n;

	decoder_forget_tgid(dec, tgid, keys, &n, 16);
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(bpf_map__fd(skel->maps.target_mms), &keys[i]);
}

bool bpf_targets_touch(const struct thptrace_bpf *skel, uint64_t start, uint64_t end)
{
	if (!skel->bss->range_filter)
		return true;
	for (uint32_t i = 0; i < skel->bss->nr_ranges && i < THP_MAX_RANGES; i++)
		if (start < skel->bss->ranges[i].end && end > skel->bss->ranges[i].start)
			return true;
	return false;
}

/* Is pid a live process (not gone, not a zombie waiting to be reaped)? */
static bool alive(uint32_t pid)
{
	char path[32], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (!(f = fopen(path, "re")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* the comm may hold anything; the state follows it */
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

void bpf_targets_thp_region(struct thptrace_bpf *skel, uint32_t pid, uint64_t start)
{
	struct thp_region_key key = { .tgid = pid, .region = start >> 21 };
	int procs = bpf_map__fd(skel->maps.thp_procs);
	struct thp_proc p = { .relevant = 1 };
	uint8_t one = 1;

	if (!pid)
		return;
	/* already there: EEXIST, nothing to do */
	bpf_map_update_elem(bpf_map__fd(skel->maps.thp_regions), &key, &one, BPF_NOEXIST);
	if (bpf_map_lookup_elem(procs, &pid, &p) == 0) {
		if (p.relevant)
			return;
	} else if (!alive(pid)) {
		return;	/* it exited, its exit record not read yet: no entry to outlive it */
	}
	p.relevant = 1;	/* (a fault counted in between is lost: one) */
	bpf_map_update_elem(procs, &pid, &p, BPF_ANY);
}

uint64_t bpf_targets_unrecorded(struct thptrace_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.thp_procs);
	uint32_t key, next, *prev = NULL;
	struct thp_proc v;
	uint64_t sum = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &v) == 0)
			sum += v.unrecorded;
		key = next;
		prev = &key;
	}
	return sum + skel->bss->faults_unrecorded_quiet;
}
