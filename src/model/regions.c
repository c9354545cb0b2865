/* Region state machine (see regions.h).  Every time here is an event's t;
 * nothing reads a clock, /proc or BPF, so a replayed stream gives the same
 * answer as the live run.  This file keeps the regions and finds which
 * ones an event concerns; region.c applies it to each, verdict.c chooses
 * the verdict, sinks/explain.c words it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/thp_types.h"
#include "thptrace.h"
#include "model/region.h"
#include "model/regions.h"
#include "model/regions_parts.h"

/* Enough to hold what one MADV_COLLAPSE emits before its madvise exit
 * event (collapse, scan, PMD clear and set) even with some other traffic. */
#define ORPHAN_MAX 32
/* A madvise over more than 2 GiB is an arena, not a file mapping anyone
 * wants explained region by region; tracking all of it (about 10 KiB per
 * region, each sampled by pagemap) only costs memory and time. */
#define MADVISE_MAX_REGIONS 1024
/* The BPF record cuts file names to THP_FILE_LEN - 1 bytes. */
#define REC_FILE_MAX (THP_FILE_LEN - 1)


/* An event applied to a region: its general part (region.c), then its
 * anonymous-memory part (region_anon.c), called from here so that
 * neither of those files calls the other. */
static void region_apply_all(struct region *r, const struct thp_event *ev)
{
	region_apply(r, ev);
	switch (ev->kind) {
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
	case EV_PAGE_ALLOC:
	case EV_HUGE_FAULT:
		region_anon_apply(r, ev);
		break;
	default:
		break;
	}
}

/* Every setting unknown until an EV_CONTEXT says otherwise. */
static const struct thp_context ctx_unknown = {
	.scan_sleep_ms = -1, .pages_to_scan = -1, .full_scans_start = -1,
	.full_scans_end = -1, .read_only_thp_for_fs = -1, .duration_s = -1,
};

void regions_init(struct regions *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->ctx = ctx_unknown;
	rs->max_regions = REGIONS_MAX;
}

void regions_free(struct regions *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		region_release(&rs->v[i]);
	free(rs->v);
	free(rs->orphans);
	anon_free(rs);
	free(rs->pending_files);
	free(rs->index);
	free(rs->tombs);
	idset_free(&rs->mm_scanned);
	idset_free(&rs->retired);
	memset(rs, 0, sizeof(*rs));
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

bool regions_same_file(const char *region_file, const char *ev_file)
{
	static const char del[] = " (deleted)";
	const size_t dl = sizeof(del) - 1;
	const char *a = base_name(region_file), *b = base_name(ev_file);
	size_t la = strlen(a), lb = strlen(b);

	if (la >= dl && strcmp(a + la - dl, del) == 0)
		la -= dl;
	if (!la || !lb)
		return false;
	if (lb >= REC_FILE_MAX)
		return la >= lb && strncmp(a, b, lb) == 0;
	return la == lb && strncmp(a, b, la) == 0;
}

static struct region *region_new(struct regions *rs, uint32_t mm_id, uint32_t pid, uint64_t start)
{
	const struct region *prev = regions_last_life(rs, mm_id, start);
	const struct tomb *gone = prev ? NULL : tombs_find(rs, mm_id, start);
	const int life = prev ? prev->life + 1 : gone ? gone->life + 1 : 1;
	const double since = prev ? prev->t_unmapped : gone ? gone->t_unmapped : -1;
	const struct recent_map *m;
	struct region *r;

	if (rs->n >= rs->max_regions) {
		rs->dropped_regions++;
		return NULL;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct region *v = realloc(rs->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		rs->v = v;
		rs->cap = cap;
	}
	r = &rs->v[rs->n];
	region_init(r, mm_id, pid, start);
	r->life = life;
	if (regions_index_add(rs, rs->n) < 0)
		return NULL;
	rs->n++;
	if ((m = lives_mapped_since(rs, mm_id, start, since))) {
		region_mapped_at(r, m->t);
		r->map_start = m->start;
		r->map_end = m->end;
	}
	return r;
}

enum how { BY_NONE, BY_ADDR, BY_FILE, BY_FILE_ONE, BY_PROCESS };

static enum how how_to_match(const struct thp_event *ev)
{
	switch (ev->kind) {
	case EV_FAULT:
	case EV_MAP_PAGES:
	case EV_SET_PMD:
	case EV_PMDP_COLLAPSE_FLUSH:
	case EV_PMD_SPLIT:
	case EV_PMD_ZAP:
	case EV_PMD_MIGRATION:
	case EV_PMD_MIGRATED:
	case EV_FOLIO_SPLIT:
	case EV_FOLIO_DEFERRED_SPLIT:
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
	case EV_PAGE_ALLOC:
	case EV_HUGE_FAULT:
		return (ev->fields & EVF_ADDR) ? BY_ADDR : BY_NONE;
	case EV_COLLAPSE_FILE:
	case EV_RETRACT:
		/* Unfixed kernels swapped collapse_file's addr and is_shmem. */
		if ((ev->fields & EVF_ADDR) && (ev->kind == EV_RETRACT ||
						(ev->addr && !(ev->addr & ~THP_REGION_MASK))))
			return BY_ADDR;
		return ev->file[0] ? BY_FILE_ONE : BY_NONE;
	case EV_SCAN_FILE:
		return ev->file[0] ? BY_FILE : BY_NONE;
	case EV_EXIT:
		/* a thread's exit is not the process's */
		return ev->pid && ev->tgid && ev->pid != ev->tgid ? BY_NONE : BY_PROCESS;
	default:
		return BY_NONE;
	}
}

static bool file_match(const struct region *r, const struct thp_event *ev, bool any_mm)
{
	return (r->mm_id == ev->mm_id || (any_mm && !ev->mm_id)) && regions_same_file(r->file, ev->file);
}

/* Without a usable address, one region of the file must be chosen: the
 * only one, else the first not collapsed yet (khugepaged walks a mapping
 * upwards, and creation order follows the madvised range). */
static struct region *pick_by_file(struct regions *rs, const struct thp_event *ev, size_t from)
{
	struct region *only = NULL, *fresh = NULL;
	size_t n = 0;

	for (size_t i = from; i < rs->n; i++) {
		struct region *r = &rs->v[i];
		if (r->ended || !file_match(r, ev, true))
			continue;
		n++;
		only = r;
		if (!fresh && !r->collapsed)
			fresh = r;
	}
	return n == 1 ? only : fresh;
}

/* Apply ev to every region (index >= from) it concerns; the first one. */
static struct region *dispatch(struct regions *rs, const struct thp_event *ev, size_t from)
{
	enum how how = how_to_match(ev);
	struct region *first = NULL;

	if (how == BY_FILE_ONE) {
		if ((first = pick_by_file(rs, ev, from)))
			region_apply_all(first, ev);
		return first;
	}
	/* The common case, a fault or a PMD event of a known mm: one lookup
	 * (an address has one current life per mm). */
	if (how == BY_ADDR && ev->mm_id) {
		first = regions_find(rs, ev->mm_id, ev->addr & THP_REGION_MASK);
		if (first && (size_t)(first - rs->v) >= from)
			region_apply_all(first, ev);
		else
			first = NULL;
		return first;
	}
	for (size_t i = from; how != BY_NONE && i < rs->n; i++) {
		struct region *r = &rs->v[i];
		bool hit = !r->ended && how == BY_ADDR ? r->start == (ev->addr & THP_REGION_MASK) &&
						    (!ev->mm_id || r->mm_id == ev->mm_id)
			 : r->ended ? false
			 : how == BY_FILE ? file_match(r, ev, false)
			 : ev->mm_id ? r->mm_id == ev->mm_id
			 : r->pid && r->pid == ev_target(ev);
		if (!hit)
			continue;
		region_apply_all(r, ev);
		if (!first)
			first = r;
	}
	return first;
}

static bool bufferable(const struct thp_event *ev)
{
	return ev->kind == EV_COLLAPSE_FILE || ev->kind == EV_SCAN_FILE || ev->kind == EV_RETRACT ||
	       ev->kind == EV_PMDP_COLLAPSE_FLUSH || ev->kind == EV_SET_PMD ||
	       ev->kind == EV_SCAN_PMD || ev->kind == EV_COLLAPSE_HUGE_PAGE;
}

static void orphan_push(struct regions *rs, const struct thp_event *ev)
{
	if (!rs->orphans) {
		rs->orphans = calloc(ORPHAN_MAX, sizeof(*rs->orphans));
		if (!rs->orphans)
			return;
	}
	rs->orphans[rs->orphan_next] = *ev;
	rs->orphan_next = (rs->orphan_next + 1) % ORPHAN_MAX;
	if (rs->n_orphans < ORPHAN_MAX)
		rs->n_orphans++;
}

/* Regions [from, n) are new: give them the recent events that found no
 * region, oldest first.  An orphan that lands is used up. */
static void orphans_replay(struct regions *rs, size_t from)
{
	size_t oldest = (rs->orphan_next + ORPHAN_MAX - rs->n_orphans) % ORPHAN_MAX;

	for (size_t k = 0; k < rs->n_orphans && from < rs->n; k++) {
		struct thp_event *o = &rs->orphans[(oldest + k) % ORPHAN_MAX];
		if (o->kind != EV_NONE && dispatch(rs, o, from))
			o->kind = EV_NONE;
	}
}

/* thp_split_pmd counts every process's splits: of its rise before r's
 * inferred loss, how much the splits this trace saw elsewhere explain. */
static void splits_elsewhere(struct regions *rs, struct region *r, double now)
{
	struct milestone *m = (struct milestone *)region_last_ms(r, r->lost_kind);
	int32_t n = 0;

	if (!m || m->t != now || m->split_pmd_delta < 0)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *o = &rs->v[i];

		for (size_t k = 0; o != r && k < o->n_milestones; k++)
			if (o->ms[k].kind == MS_SPLIT && o->ms[k].t > m->vmstat_since_t && o->ms[k].t <= now)
				n++;
	}
	m->split_pmd_others = n;
}

static struct region *feed_state(struct regions *rs, const struct thp_event *ev)
{
	uint64_t start = (ev->region ? ev->region : ev->addr) & THP_REGION_MASK;
	struct region *r = regions_find(rs, ev->mm_id, start);
	size_t from = rs->n, idx;

	/* After its unmapping, an empty range is no new life: only a mapping
	 * we did not see (pages present again) is. */
	if (!r && ev->state != PS_PTE && ev->state != PS_PMD && regions_had_life(rs, ev->mm_id, start))
		return NULL;
	if (!r && !(r = region_new(rs, ev->mm_id, ev_target(ev), start)))
		return NULL;
	idx = (size_t)(r - rs->v);
	if (rs->n > from)
		orphans_replay(rs, from);	/* older than this sample */
	r = &rs->v[idx];
	anon_pending_apply(rs, r, ev);
	region_anon_sample(r, ev);
	region_sample(r, ev);
	if (r->lost_to_tell && (ev->fields & EVF_VMSTAT))
		splits_elsewhere(rs, r, ev->t);
	return r;
}

static struct region *feed_madvise(struct regions *rs, const struct thp_event *ev)
{
	const int b = ev->behavior;
	const bool ok = !(ev->fields & EVF_RET) || ev->ret == 0;
	const bool huge = b == MADV_HUGEPAGE_NR || b == MADV_COLLAPSE_NR;
	const uint64_t start = ev->addr & THP_REGION_MASK, last = ev->addr + ev->len - 1;
	size_t from = rs->n, first = SIZE_MAX;
	uint64_t count;

	if (!ev->len || last < ev->addr)
		return NULL;
	if (!huge && b != MADV_NOHUGEPAGE_NR)
		return ok && lives_drops_pages(b) ? lives_over_range(rs, ev, ev->addr, ev->len) : NULL;
	count = (last - start) / THP_REGION_SIZE + 1;
	if (count > MADVISE_MAX_REGIONS)
		count = MADVISE_MAX_REGIONS;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t a = start + i * THP_REGION_SIZE;
		struct region *r = regions_find(rs, ev->mm_id, a);
		if (huge && ok && !r)
			r = region_new(rs, ev->mm_id, ev_target(ev), a);
		if (!r)
			continue;
		region_madvise(r, ev, huge, ok);
		if (first == SIZE_MAX)
			first = (size_t)(r - rs->v);
	}
	if (rs->n > from)
		orphans_replay(rs, from);
	return first == SIZE_MAX ? NULL : &rs->v[first];
}

/* A region's file facts are looked up when it first shows up: they may come
 * just before the event that creates it (replay), so they wait here. */
static struct region *feed_region_file(struct regions *rs, const struct thp_event *ev)
{
	uint64_t start = ev->region & THP_REGION_MASK;
	struct region *r = regions_find(rs, ev->mm_id, start);
	struct thp_event *v;

	/* facts that come after a short life ended are still its own */
	if (!r)
		r = regions_last_life(rs, ev->mm_id, start);
	if (r) {
		if (!r->have_finfo)
			region_file_facts(r, ev);
		return r;
	}
	if (tombs_find(rs, ev->mm_id, start))
		return NULL;	/* its life was judged and written already */
	if (rs->n_pending_files == rs->cap_pending_files) {
		size_t cap = rs->cap_pending_files ? rs->cap_pending_files * 2 : 16;

		v = realloc(rs->pending_files, cap * sizeof(*v));
		if (!v)
			return NULL;
		rs->pending_files = v;
		rs->cap_pending_files = cap;
	}
	v = &rs->pending_files[rs->n_pending_files++];
	*v = *ev;
	v->region = start;
	return NULL;
}

/* Regions [from, n) are new: give them the file facts that came first. */
static void pending_files_take(struct regions *rs, size_t from)
{
	for (size_t k = 0; k < rs->n_pending_files;) {
		struct thp_event *p = &rs->pending_files[k];
		struct region *r = regions_find(rs, p->mm_id, p->region);

		if (r && (size_t)(r - rs->v) >= from && !r->have_finfo) {
			region_file_facts(r, p);
			*p = rs->pending_files[--rs->n_pending_files];
		} else {
			k++;
		}
	}
}

/* Anonymous memory's events (regions_anon.c prepares them): a large
 * allocation at a fault, a scan or collapse with a usable address, the huge
 * fault; a huge page made at a fault or by a collapse makes its region. */
static struct region *feed_anon(struct regions *rs, const struct thp_event *ev)
{
	struct thp_event e;
	bool create = false;
	size_t from = rs->n, idx;
	struct region *r;

	if ((ev->kind == EV_SCAN_PMD || ev->kind == EV_COLLAPSE_HUGE_PAGE) && ev_is_khugepaged(ev)) {
		rs->saw_scan_any = true;
		if (ev->mm_id)
			idset_add(&rs->mm_scanned, ev->mm_id);
	}
	if (!anon_prepare(rs, ev, &e, &create))
		return NULL;
	r = dispatch(rs, &e, 0);
	if (!r && create && (r = region_new(rs, e.mm_id, ev_target(&e), e.addr & THP_REGION_MASK))) {
		idx = (size_t)(r - rs->v);
		orphans_replay(rs, from);
		r = &rs->v[idx];
		region_apply_all(r, &e);
	}
	if (!r && bufferable(&e))
		orphan_push(rs, &e);
	return r;
}

static struct region *feed(struct regions *rs, const struct thp_event *ev)
{
	struct region *r;

	switch (ev->kind) {
	case EV_MADVISE:
		return feed_madvise(rs, ev);
	case EV_STATE:
		return feed_state(rs, ev);
	case EV_REGION_FILE:
		return feed_region_file(rs, ev);
	case EV_MMAP:
	case EV_MUNMAP:
	case EV_MREMAP:
	case EV_MPROTECT:
		return lives_feed_mapping(rs, ev);
	case EV_CONTEXT:
		settings_feed_context(rs, ev);
		return NULL;
	case EV_SETTINGS:
		settings_feed(rs, ev);
		return NULL;
	case EV_SCAN_PMD:
	case EV_COLLAPSE_HUGE_PAGE:
	case EV_PAGE_ALLOC:
	case EV_HUGE_FAULT:
		return feed_anon(rs, ev);
	case EV_FAULT:
		anon_note_fault(rs, ev);
		break;
	case EV_SCAN_FILE:
	case EV_COLLAPSE_FILE:
		if (ev->kind == EV_COLLAPSE_FILE)
			rs->saw_collapse_file = true;
		/* MADV_COLLAPSE runs the same scan in the process itself: only
		 * khugepaged's own visits show that it knows this mm. */
		if (ev_is_khugepaged(ev) || (ev->kind == EV_SCAN_FILE && !ev->comm[0])) {
			rs->saw_scan_any = true;
			if (ev->mm_id)
				idset_add(&rs->mm_scanned, ev->mm_id);
		}
		break;
	default:
		break;
	}
	r = dispatch(rs, ev, 0);
	if (!r && bufferable(ev))
		orphan_push(rs, ev);
	return r;
}

struct region *regions_feed(struct regions *rs, const struct thp_event *ev)
{
	size_t from, idx;
	struct region *r;

	if (!rs || !ev)
		return NULL;
	/* a process that exited: its regions were judged and written (and the
	 * kernel may reuse its mm_struct, which would then have a new id) */
	if (ev->mm_id && idset_has(&rs->retired, ev->mm_id))
		return NULL;
	from = rs->n;
	r = feed(rs, ev);
	if (rs->n > from && rs->n_pending_files) {
		idx = r ? (size_t)(r - rs->v) : 0;
		pending_files_take(rs, from);
		r = r ? &rs->v[idx] : NULL;
	}
	return r;
}

/* The settings an ended life is judged with: each knob an EV_SETTINGS
 * changed during the run as it was when the life was unmapped; the others
 * (what the EV_CONTEXT lines gave, wherever they came in the stream) and
 * the run's own facts (full scans, CONFIG_READ_ONLY_THP_FOR_FS, the
 * duration) as known at the end. */
void regions_judge(struct regions *rs, struct region *r, double traced_s)
{
	struct thp_context c = r->ended ? settings_of_ended(r, rs) : rs->ctx;


	if (!rs->saw_collapse_file)
		region_collapse_from_scan(r);
	region_end(r);
	region_verdict(r, r->mm_id ? regions_mm_scanned(rs, r->mm_id) : rs->saw_scan_any, &c);
	/* not in the settings: they are shared by every region judged alike */
	r->ev.traced_s = traced_s;
}

void regions_finish(struct regions *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		regions_judge(rs, &rs->v[i], -1);
}

bool region_inferred(struct region *r, struct thp_event *out)
{
	const struct milestone *m;

	if (!r || !r->lost_to_tell)
		return false;
	r->lost_to_tell = false;
	m = region_last_ms(r, r->lost_kind);
	memset(out, 0, sizeof(*out));
	out->kind = r->lost_kind == MS_SPLIT ? EV_PMD_SPLIT : EV_PMD_ZAP;
	out->via = VIA_ID_PAGEMAP;
	out->t = r->t_lost;
	out->mm_id = r->mm_id;
	out->target_pid = r->pid;
	out->pid = out->tgid = r->pid;
	out->addr = r->start;
	out->fields = EVF_ADDR;
	if (m) {
		out->state = m->state;
		if (m->split_pmd_delta >= 0) {
			out->split_pmd_delta = m->split_pmd_delta;
			out->vmstat_since_t = m->vmstat_since_t;
			out->fields |= EVF_VMSTAT;
		}
		if (m->cause != EV_NONE) {
			const char *c = m->cause == EV_MADVISE ? madv_name(m->cause_advice) : ev_kind_name(m->cause);

			snprintf(out->cause, sizeof(out->cause), "%s", c ? c : "madvise");
			out->cause_t = m->cause_t;
			out->fields |= EVF_CAUSE;
		}
	}
	return true;
}
