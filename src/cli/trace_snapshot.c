/* Snapshots of running processes as state events; see trace_snapshot.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/snapshot.h"
#include "util/config.h"
#include "cli/bpf_targets.h"
#include "cli/trace_clock.h"
#include "cli/trace_snapshot.h"

void snapshots_init(struct snapshots *sn, struct decoder *dec, const struct regions *rs,
		    struct state_queue *q, const struct thptrace_bpf *skel, const struct trace_opts *o)
{
	memset(sn, 0, sizeof(*sn));
	sn->dec = dec;
	sn->rs = rs;
	sn->q = q;
	sn->skel = skel;
	sn->no_scan = config()->no_pagemap_scan;
	/* a CMD is traced from its first instruction: nothing to catch up on */
	sn->every_ns = o->cmd || o->no_snapshot || !(o->resnapshot > 0) ? 0 : (uint64_t)(o->resnapshot * 1e9);
	sn->next_ns = sn->every_ns ? trace_now_ns() + sn->every_ns : 0;
}

void snapshots_start(struct snapshots *sn, const struct trace_opts *o)
{
	int rc;

	if (o->cmd || o->no_snapshot)
		return;
	if (o->all) {
		snapshots_take_all(sn, getpid());
		return;
	}
	rc = snapshots_take(sn, o->pid, true);
	if (rc < 0 && rc != -ESRCH)
		fprintf(stderr, "thptrace: -p %d: no snapshot of what it already has (%s); "
			"the timeline starts empty\n", (int)o->pid, strerror(-rc));
}

static int by_pid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void snapshots_again(struct snapshots *sn, const struct trace_opts *o)
{
	const struct regions *rs = sn->rs;
	uint32_t *pids;
	size_t n = 0;

	if (!o->all) {
		snapshots_take(sn, o->pid, false);
		return;
	}
	/* -a: each process that has regions, once */
	if (!(pids = malloc((rs->n + 1) * sizeof(*pids))))
		return;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].pid && !rs->v[i].ended)
			pids[n++] = rs->v[i].pid;
	qsort(pids, n, sizeof(*pids), by_pid);
	for (size_t i = 0; i < n; i++)
		if (!i || pids[i] != pids[i - 1])
			snapshots_take(sn, (pid_t)pids[i], false);
	free(pids);
}

struct take {
	struct snapshots *sn;
	pid_t pid;
	uint32_t mm_id;
	bool at_start;
	uint64_t ts;
	size_t queued;
};

/* A region worth a line: something is there, or it was madvised (an
 * untouched MADV_HUGEPAGE range is a question people ask about).  Under
 * THP "always" every big mapping is relevant, thread stacks and empty
 * arenas included: those with nothing present are left out. */
static bool worth_it(const struct snapshot_region *s)
{
	if (s->sample_err || s->sample.state == PS_UNKNOWN)
		return false;
	return s->sample.state != PS_NONE || (s->map->vmflags & (SMAPS_VM_HG | SMAPS_VM_NH));
}

static int one_region(const struct snapshot_region *s, void *arg)
{
	struct take *tk = arg;
	struct snapshots *sn = tk->sn;
	const struct region *r;
	struct thp_event *ev;

	if (!worth_it(s) || !bpf_targets_touch(sn->skel, s->addr, s->addr + THP_REGION_SIZE)) {
		sn->skipped++;
		return 0;
	}
	/* an id only for a process with something to show: -a looks at
	 * every process, and ids are a bounded table */
	if (!tk->mm_id && !(tk->mm_id = decoder_mm_id_of_pid(sn->dec, (uint32_t)tk->pid)))
		return -ENOSPC;
	r = regions_find((struct regions *)sn->rs, tk->mm_id, s->addr);
	/* again later: only what the model does not know, or has wrong */
	if (!tk->at_start && r && r->state == s->sample.state && r->thp == s->sample.thp)
		return 0;
	if (!r && s->anon) {
		/* the file facts of anonymous memory need no /proc walk */
		if (!(ev = state_queue_push(sn->q)))
			return -ENOMEM;
		*ev = (struct thp_event){ .kind = EV_REGION_FILE, .ts_ns = tk->ts,
					  .t = decoder_t(sn->dec, tk->ts), .mm_id = tk->mm_id,
					  .target_pid = (uint32_t)tk->pid, .region = s->addr,
					  .finfo = s->finfo };
		ev->finfo.open_for_write = -1;
	}
	if (!(ev = state_queue_push(sn->q)))
		return -ENOMEM;
	ev->kind = EV_STATE;
	ev->via = VIA_ID_SNAPSHOT;
	ev->ts_ns = tk->ts;
	ev->t = decoder_t(sn->dec, tk->ts);
	ev->pid = ev->tgid = ev->target_pid = (uint32_t)tk->pid;
	ev->mm_id = tk->mm_id;
	ev->region = s->addr;
	ev->state = s->sample.state;
	ev->thp = s->sample.thp;
	ev->present = (int32_t)s->sample.present;
	ev->fields = EVF_STATE | EVF_VMFLAGS;
	ev->vm_hugepage = (s->map->vmflags & SMAPS_VM_HG) != 0;
	ev->vm_nohugepage = (s->map->vmflags & SMAPS_VM_NH) != 0;
	ev->thp_eligible = (int8_t)s->map->thp_eligible;
	ev->map_start = s->map->map.start;
	ev->map_end = s->map->map.end;
	if (!s->anon && s->map->map.path[0] == '/') {
		snprintf(ev->file, sizeof(ev->file), "%.*s", (int)sizeof(ev->file) - 1, s->map->map.path);
		ev->fields |= EVF_FILE;
	}
	tk->queued++;
	return 0;
}

int snapshots_take(struct snapshots *sn, pid_t pid, bool at_start)
{
	struct take tk = { .sn = sn, .pid = pid, .at_start = at_start };
	struct snapshot_stats st;
	uint64_t t0 = trace_now_ns();
	int rc;

	/* one time for the whole snapshot: it is one look at the process */
	tk.ts = t0;
	rc = snapshot_take(pid, sn->no_scan, one_region, &tk, &st);
	sn->spent_ns += trace_now_ns() - t0;
	sn->taken++;
	sn->regions += tk.queued;
	sn->dropped += st.dropped;
	if (tk.queued)
		sn->processes++;
	return rc;
}

size_t snapshots_take_all(struct snapshots *sn, pid_t self)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t with = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		size_t before = sn->regions;

		if (!isdigit((unsigned char)de->d_name[0]) || *end || pid <= 0 || pid == self)
			continue;
		/* kernel threads have no smaps lines, and cost one open */
		if (snapshots_take(sn, (pid_t)pid, true) == 0 && sn->regions > before)
			with++;
	}
	closedir(d);
	return with;
}

bool snapshots_due(struct snapshots *sn, uint64_t now)
{
	if (!sn->every_ns || now < sn->next_ns)
		return false;
	sn->next_ns = now + sn->every_ns;
	return true;
}
