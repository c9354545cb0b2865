/* /proc enrichment of the live trace's events (see region_facts.h). */
#include <stdio.h>
#include "host/sysinfo.h"
#include "cli/region_facts.h"

/* The target's mapping that holds addr; false if none.  One read per
 * drain: a madvise storm must not cost a read per call. */
static bool mapping_of(struct maps_cache *mc, pid_t pid, uint64_t addr, struct map_entry *out)
{
	struct map_list maps = { 0 };
	const struct map_entry *m;

	if (!mc->fresh || pid != mc->pid) {
		if (procmaps_read(pid, &maps) == 0) {
			map_list_free(&mc->maps);
			mc->maps = maps;
			mc->pid = pid;
			mc->fresh = true;
		} else if (pid != mc->pid) {
			return false;
		}
	}
	m = map_list_find(&mc->maps, addr);
	if (m)
		*out = *m;
	return m != NULL;
}

const struct map_list *maps_cache_read(struct maps_cache *mc, pid_t pid)
{
	struct map_entry m;

	mc->fresh = false;
	mapping_of(mc, pid, 0, &m);
	return mc->fresh && mc->pid == pid ? &mc->maps : NULL;
}

void maps_cache_free(struct maps_cache *mc)
{
	map_list_free(&mc->maps);
}

void region_facts_file(const struct region *r, const struct thp_event *by, struct thp_event *fe)
{
	*fe = (struct thp_event){ .kind = EV_REGION_FILE, .ts_ns = by->ts_ns, .t = by->t,
				  .mm_id = r->mm_id, .target_pid = r->pid, .region = r->start };
	sysinfo_region_file(r->pid, r->start, &fe->finfo, fe->file, sizeof(fe->file));
	if (r->file[0])
		snprintf(fe->file, sizeof(fe->file), "%s", r->file);
}

void region_facts_madvise(struct maps_cache *mc, struct thp_event *ev)
{
	static struct map_entry m;

	if (mapping_of(mc, ev->target_pid, ev->addr, &m) && m.path[0] == '/') {
		snprintf(ev->file, sizeof(ev->file), "%.*s", (int)sizeof(ev->file) - 1, m.path);
		ev->fields |= EVF_FILE;
	}
}

void region_facts_collapse_addr(struct maps_cache *mc, struct thp_event *ev)
{
	static struct map_entry m;
	uint64_t off = ev->pgoff << 12;

	if ((ev->fields & EVF_ADDR) || !(ev->fields & EVF_INODE) || !(ev->fields & EVF_PGOFF))
		return;
	mapping_of(mc, ev->target_pid, 0, &m);	/* read once per drain */
	if (mc->pid != (pid_t)ev->target_pid)
		return;
	for (size_t i = 0; i < mc->maps.n; i++) {
		const struct map_entry *e = &mc->maps.v[i];

		if (e->ino != ev->ino || map_kdev(e) != ev->dev || off < e->offset ||
		    off >= e->offset + (e->end - e->start))
			continue;
		/* the huge page's start: start is 512-page aligned in the file */
		ev->addr = e->start + (off - e->offset);
		ev->fields |= EVF_ADDR;
		return;
	}
}

/* The collapse tracepoint's address was garbage on kernels before a 2024
 * fix (swapped with is_shmem), and its index is where the scan stopped, not
 * where the range starts: both are checked against the target's mappings. */
void region_facts_collapse_tp(struct maps_cache *mc, struct thp_event *ev)
{
	static struct map_entry m;

	region_facts_collapse_addr(mc, ev);
	if (ev->via != VIA_ID_TRACEPOINT || !(ev->fields & EVF_ADDR))
		return;
	if (!mapping_of(mc, ev->target_pid, ev->addr, &m)) {
		ev->fields &= ~EVF_ADDR;
		ev->addr = 0;
		return;
	}
	if (m.path[0] == '/')
		ev->pgoff = (m.offset + (ev->addr - m.start)) >> 12;
}

void region_facts_anon_addr(struct maps_cache *mc, struct thp_event *ev)
{
	static struct map_entry m;

	if (!(ev->fields & EVF_ADDR_GUESS))
		return;
	if (mapping_of(mc, ev->target_pid, ev->addr, &m) && m.path[0] != '/' &&
	    m.start <= ev->addr && m.end >= ev->addr + THP_REGION_SIZE)
		return;
	ev->fields &= ~(EVF_ADDR | EVF_ADDR_GUESS);
	ev->addr = 0;
}
