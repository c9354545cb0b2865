/* Region state machine (see regions.h).  Every time here is an event's t;
 * nothing reads a clock, /proc or BPF, so a replayed stream gives the same
 * answer as the live run.  The verdict's choice lives in verdict.c, its
 * words in sinks/explain.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/thp_types.h"
#include "thptrace.h"
#include "model/regions.h"

/* Enough to hold what one MADV_COLLAPSE emits before its madvise exit
 * event (collapse, scan, PMD clear and set) even with some other traffic. */
#define ORPHAN_MAX 32
/* A madvise over more than 2 GiB is an arena, not a file mapping anyone
 * wants explained region by region; tracking all of it (about 10 KiB per
 * region, each sampled by pagemap) only costs memory and time. */
#define MADVISE_MAX_REGIONS 1024
/* The BPF record cuts file names to THP_FILE_LEN - 1 bytes. */
#define REC_FILE_MAX (THP_FILE_LEN - 1)

#define MADV_HUGEPAGE_NR 14
#define MADV_NOHUGEPAGE_NR 15
#define MADV_COLLAPSE_NR 25

/* Every setting unknown until an EV_CONTEXT says otherwise. */
static const struct thp_context ctx_unknown = {
	.scan_sleep_ms = -1, .pages_to_scan = -1, .full_scans_start = -1,
	.full_scans_end = -1, .read_only_thp_for_fs = -1, .duration_s = -1,
};

void regions_init(struct regions *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->ctx = ctx_unknown;
}

void regions_free(struct regions *rs)
{
	free(rs->v);
	free(rs->orphans);
	free(rs->pending_files);
	memset(rs, 0, sizeof(*rs));
}

static bool is_khugepaged(const struct thp_event *ev)
{
	return strncmp(ev->comm, "khugepaged", 10) == 0;
}

static uint32_t ev_target(const struct thp_event *ev)
{
	return ev->target_pid ? ev->target_pid : ev->tgid;
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

/* A new milestone of r (zeroed but for t, kind and how), or NULL when the
 * region has as many as it keeps: the caller fills the fields it has. */
static struct milestone *add_ms(struct region *r, double t, enum ms_kind kind, enum ms_how how)
{
	struct milestone *m;

	if (r->n_milestones >= REGION_MAX_MILESTONES) {
		r->dropped_milestones++;
		return NULL;
	}
	m = &r->ms[r->n_milestones++];
	memset(m, 0, sizeof(*m));
	m->t = t;
	m->kind = kind;
	m->how = how;
	m->write = -1;
	return m;
}

/* The page state from t on.  A full list drops its oldest change, so that
 * the last state (the one that matters most) is always right. */
static void set_state(struct region *r, double t, enum page_state st, enum ms_how how)
{
	if (r->n_changes && r->chg[r->n_changes - 1].state == st)
		return;
	if (r->n_changes == REGION_MAX_CHANGES) {
		memmove(r->chg, r->chg + 1, (REGION_MAX_CHANGES - 1) * sizeof(r->chg[0]));
		r->n_changes--;
		r->dropped_changes++;
	}
	r->chg[r->n_changes++] = (struct state_change){ t, st, how };
}

struct region *regions_find(struct regions *rs, uint32_t mm_id, uint64_t start)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].start == start && rs->v[i].mm_id == mm_id)
			return &rs->v[i];
	return NULL;
}

static struct region *region_new(struct regions *rs, uint32_t mm_id, uint32_t pid, uint64_t start)
{
	struct region *r;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct region *v = realloc(rs->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		rs->v = v;
		rs->cap = cap;
	}
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->mm_id = mm_id;
	r->pid = pid;
	r->start = start;
	r->t_madvise = r->t_first_scan = r->t_collapse = -1;
	r->t_cleared = r->t_refault = r->t_pmd = -1;
	r->t_nohuge = r->t_exit = -1;
	r->finfo.is_shmem = r->finfo.open_for_write = -1;
	r->finfo.fully_mapped = r->finfo.file_aligned = -1;
	r->unmapped_s = r->madvise_to_pmd_s = -1;
	return r;
}

static void set_file(struct region *r, const struct thp_event *ev)
{
	if (!r->file[0] && ev->file[0])
		snprintf(r->file, sizeof(r->file), "%s", ev->file);
}

/* The PMD was cleared and nothing has mapped the range since: the next
 * touch is the refault that decides between one PMD and small pages. */
static bool awaiting_refault(const struct region *r)
{
	return r->t_cleared >= 0 && r->t_refault < r->t_cleared && r->t_pmd < r->t_cleared;
}

static void cleared(struct region *r, double t, enum ms_how how)
{
	if (awaiting_refault(r))
		return;		/* retract, pmdp flush and pagemap all report one clear */
	r->t_cleared = t;
	if (r->collapsed)
		r->cleared_after_collapse = true;
	add_ms(r, t, MS_PMD_CLEARED, how);
}

static struct milestone *refault(struct region *r, double t, enum ms_how how)
{
	if (!awaiting_refault(r))
		return NULL;
	r->t_refault = t;
	if (r->unmapped_s < 0)
		r->unmapped_s = t - r->t_cleared;
	return add_ms(r, t, MS_REFAULT, how);
}

static void mapped_pmd(struct region *r, double t, enum ms_how how)
{
	set_state(r, t, PS_PMD, how);
	if (r->t_pmd >= 0 && r->t_pmd >= r->t_cleared)
		return;		/* do_set_pmd already said so; pagemap only confirms */
	r->t_pmd = t;
	/* MADV_COLLAPSE maps the PMD inside the call, before its exit event. */
	if (r->t_madvise >= 0 && r->madvise_to_pmd_s < 0)
		r->madvise_to_pmd_s = t > r->t_madvise ? t - r->t_madvise : 0;
	add_ms(r, t, MS_PMD_MAPPED, how);
}

/* khugepaged, or the process in madvise(MADV_COLLAPSE).  An event without
 * a comm comes from a perf-event tracepoint record of khugepaged's. */
static enum actor actor_of(const struct thp_event *ev)
{
	return is_khugepaged(ev) || !ev->comm[0] ? ACT_KHUGEPAGED : ACT_MADV_COLLAPSE;
}

static void set_actor(struct milestone *m, const struct thp_event *ev)
{
	if (!m)
		return;
	m->actor = actor_of(ev);
	snprintf(m->comm, sizeof(m->comm), "%s", ev->comm);
	snprintf(m->result, sizeof(m->result), "%s", ev->result_name);
}

static void failed_result(struct region *r, const struct thp_event *ev)
{
	snprintf(r->last_result, sizeof(r->last_result), "%s", ev->result_name);
	r->last_result_by = actor_of(ev);
}

static void apply_scan(struct region *r, const struct thp_event *ev)
{
	int o = scan_result_outcome(ev->result_name);
	bool kh = actor_of(ev) == ACT_KHUGEPAGED;
	struct milestone *m;

	if (kh)
		r->scans++;
	if (kh && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		m = add_ms(r, ev->t, MS_SCANNED, HOW_FIRST_SCAN);
		set_actor(m, ev);
		if (m) {
			m->present = ev->present;
			m->swap = ev->swap;
		}
	} else if (o < 0 && strcmp(r->last_result, ev->result_name) != 0) {
		set_actor(add_ms(r, ev->t, MS_SCANNED, HOW_NONE), ev);
	}
	if (o < 0)
		failed_result(r, ev);
}

/* pagemap saw the range go empty before the collapse event came: now we
 * know that was the collapse clearing the PMD. */
static void relabel_unmapped(struct region *r)
{
	for (size_t i = r->n_milestones; i-- > 0;) {
		struct milestone *m = &r->ms[i];
		if (m->t == r->t_cleared && m->kind == MS_UNMAPPED) {
			m->kind = MS_PMD_CLEARED;
			m->how = HOW_PAGEMAP_COLLAPSE_CLEARED;
			return;
		}
	}
}

static void apply_collapse(struct region *r, const struct thp_event *ev)
{
	int o = scan_result_outcome(ev->result_name);

	set_file(r, ev);
	if (is_khugepaged(ev) && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		add_ms(r, ev->t, MS_SCANNED, HOW_REACHED);
	}
	if (!is_khugepaged(ev) && ev->comm[0])
		r->madv_collapse = true;
	r->collapse_attempts++;
	set_actor(add_ms(r, ev->t, MS_COLLAPSE, HOW_NONE), ev);
	if (o > 0) {
		/* collapse_file clears the old page tables (retract) before its
		 * tracepoint fires, so a pending clear belongs to this collapse;
		 * so does one just before it that a refault already followed (the
		 * tracepoint can come after the refault).  Older clears were
		 * something else: a collapse takes well under a second. */
		r->cleared_after_collapse = awaiting_refault(r) ||
			(r->t_cleared > r->t_collapse && ev->t - r->t_cleared < 1.0);
		if (r->cleared_after_collapse)
			relabel_unmapped(r);
		r->collapsed = true;
		r->collapsed_by = actor_of(ev);
		r->t_collapse = ev->t;
		if (!r->cleared_after_collapse && r->state == PS_NONE)
			cleared(r, ev->t, HOW_PAGEMAP_AFTER_COLLAPSE);
	} else if (o < 0) {
		r->collapse_failures++;
		failed_result(r, ev);
	}
}

static void apply_set_pmd(struct region *r, const struct thp_event *ev)
{
	bool in_collapse = (ev->fields & EVF_IN_COLLAPSE) || is_khugepaged(ev);

	if ((ev->fields & EVF_RET) && ev->ret != 0) {
		struct milestone *m = add_ms(r, ev->t, MS_PMD_REFUSED, HOW_SET_PMD);

		if (m)
			m->ret = ev->ret;
		return;
	}
	/* Not a refault by itself: MADV_COLLAPSE's own PMD install comes
	 * through here too, outside collapse_file.  The fault event says it. */
	mapped_pmd(r, ev->t, in_collapse ? HOW_SET_PMD_IN_COLLAPSE : HOW_SET_PMD);
}

/* Apply an event that never creates a region to one region it concerns. */
static void apply(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	switch (ev->kind) {
	case EV_SCAN_FILE:
		apply_scan(r, ev);
		break;
	case EV_COLLAPSE_FILE:
		apply_collapse(r, ev);
		break;
	case EV_RETRACT:
		set_state(r, ev->t, PS_NONE, HOW_RETRACT);
		cleared(r, ev->t, HOW_RETRACT);
		break;
	case EV_PMDP_COLLAPSE_FLUSH:
		set_state(r, ev->t, PS_NONE, HOW_PMDP_FLUSH);
		cleared(r, ev->t, HOW_PMDP_FLUSH);
		break;
	case EV_FAULT:
		if ((m = refault(r, ev->t, HOW_FAULT))) {
			m->addr = ev->addr;
			m->write = !(ev->fields & EVF_ERRCODE) ? -1 : (ev->errcode & 2) ? 1 : 0;
		}
		break;
	case EV_MAP_PAGES:
		/* The state is left to pagemap: filemap_map_pages also maps a
		 * PMD (filemap_map_pmd), and its fexit comes after do_set_pmd. */
		refault(r, ev->t, HOW_MAP_PAGES);
		break;
	case EV_SET_PMD:
		apply_set_pmd(r, ev);
		break;
	case EV_EXIT:
		if (r->t_exit < 0) {
			r->t_exit = ev->t;
			add_ms(r, ev->t, MS_EXIT, HOW_NONE);
		}
		break;
	default:
		break;
	}
}

enum how { BY_NONE, BY_ADDR, BY_FILE, BY_FILE_ONE, BY_PROCESS };

static enum how how_to_match(const struct thp_event *ev)
{
	switch (ev->kind) {
	case EV_FAULT:
	case EV_MAP_PAGES:
	case EV_SET_PMD:
	case EV_PMDP_COLLAPSE_FLUSH:
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
		if (!file_match(r, ev, true))
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
			apply(first, ev);
		return first;
	}
	for (size_t i = from; how != BY_NONE && i < rs->n; i++) {
		struct region *r = &rs->v[i];
		bool hit = how == BY_ADDR ? r->start == (ev->addr & THP_REGION_MASK) &&
						    (!ev->mm_id || r->mm_id == ev->mm_id)
			 : how == BY_FILE ? file_match(r, ev, false)
			 : ev->mm_id ? r->mm_id == ev->mm_id
			 : r->pid && r->pid == ev_target(ev);
		if (!hit)
			continue;
		apply(r, ev);
		if (!first)
			first = r;
	}
	return first;
}

static bool bufferable(const struct thp_event *ev)
{
	return ev->kind == EV_COLLAPSE_FILE || ev->kind == EV_SCAN_FILE || ev->kind == EV_RETRACT ||
	       ev->kind == EV_PMDP_COLLAPSE_FLUSH || ev->kind == EV_SET_PMD;
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

static void state_change(struct region *r, const struct thp_event *ev)
{
	enum page_state prev = r->state, s = ev->state;
	struct milestone *m;

	if (s == PS_UNKNOWN)
		return;
	r->thp = ev->thp;
	r->state = s;
	set_state(r, ev->t, s, HOW_PAGEMAP);
	if (s == prev)
		return;
	switch (s) {
	case PS_PMD:
		refault(r, ev->t, HOW_PAGEMAP);
		mapped_pmd(r, ev->t, HOW_PAGEMAP);
		break;
	case PS_NONE:
		if (awaiting_refault(r))
			break;	/* the clear was already seen */
		if (r->collapsed && !r->cleared_after_collapse && r->t_collapse > r->t_pmd &&
		    r->t_collapse > r->t_refault)
			/* collapse_file cleared it before its event: not later
			 * than that, whenever pagemap got to look */
			cleared(r, r->t_collapse, HOW_PAGEMAP_AFTER_COLLAPSE);
		else if (prev == PS_PMD || (r->collapsed && !r->cleared_after_collapse))
			cleared(r, ev->t, HOW_PAGEMAP);
		else if (prev == PS_PTE) {
			/* maybe a clear whose collapse event is still to come */
			r->t_cleared = ev->t;
			add_ms(r, ev->t, MS_UNMAPPED, HOW_PAGEMAP);
		}
		break;
	case PS_PTE:
		refault(r, ev->t, HOW_PAGEMAP);
		m = NULL;
		if (prev == PS_PMD)
			m = add_ms(r, ev->t, MS_PTE_MAPPED, HOW_SPLIT);
		else if (r->collapsed && (prev == PS_NONE || ev->thp))
			m = add_ms(r, ev->t, MS_PTE_MAPPED, HOW_REFAULT_SMALL);
		else if (prev == PS_NONE)
			m = add_ms(r, ev->t, MS_PTE_MAPPED, HOW_MAPPED_SMALL);
		if (m)
			m->thp = ev->thp;
		break;
	default:
		break;
	}
}

static struct region *feed_state(struct regions *rs, const struct thp_event *ev)
{
	uint64_t start = (ev->region ? ev->region : ev->addr) & THP_REGION_MASK;
	struct region *r = regions_find(rs, ev->mm_id, start);
	size_t from = rs->n, idx;

	if (!r && !(r = region_new(rs, ev->mm_id, ev_target(ev), start)))
		return NULL;
	idx = (size_t)(r - rs->v);
	set_file(r, ev);
	if (rs->n > from)
		orphans_replay(rs, from);	/* older than this sample */
	r = &rs->v[idx];
	state_change(r, ev);
	return r;
}

static void madvised(struct region *r, const struct thp_event *ev)
{
	struct milestone *m;

	r->madvised_huge = true;
	if (r->t_madvise < 0)
		r->t_madvise = ev->t;
	if (ev->behavior == MADV_COLLAPSE_NR)
		r->madv_collapse = true;
	else
		r->nohuge = false;	/* MADV_HUGEPAGE undoes MADV_NOHUGEPAGE */
	set_file(r, ev);
	if (!r->pid)
		r->pid = ev_target(ev);
	m = add_ms(r, ev->t, MS_MADVISED, HOW_NONE);
	if (m)
		m->behavior = ev->behavior;
}

static struct region *feed_madvise(struct regions *rs, const struct thp_event *ev)
{
	const int b = ev->behavior;
	const bool ok = !(ev->fields & EVF_RET) || ev->ret == 0;
	const bool huge = b == MADV_HUGEPAGE_NR || b == MADV_COLLAPSE_NR;
	const uint64_t start = ev->addr & THP_REGION_MASK, last = ev->addr + ev->len - 1;
	size_t from = rs->n, first = SIZE_MAX;
	uint64_t count;

	if (!ev->len || last < ev->addr || (!huge && b != MADV_NOHUGEPAGE_NR))
		return NULL;
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
		if (huge && ok) {
			madvised(r, ev);
		} else if (huge) {
			if (b == MADV_COLLAPSE_NR)
				r->madv_collapse = true;	/* tried: huge=never did not stop it */
			struct milestone *m = add_ms(r, ev->t, MS_MADVISE_FAILED, HOW_NONE);

			if (m) {
				m->behavior = b;
				m->ret = ev->ret;
			}
		} else if (ok) {
			r->nohuge = true;
			r->t_nohuge = ev->t;
			add_ms(r, ev->t, MS_NOHUGEPAGE, HOW_NONE);
		}
		if (first == SIZE_MAX)
			first = (size_t)(r - rs->v);
	}
	if (rs->n > from)
		orphans_replay(rs, from);
	return first == SIZE_MAX ? NULL : &rs->v[first];
}

static void apply_file_facts(struct region *r, const struct thp_event *ev)
{
	r->finfo = ev->finfo;
	r->have_finfo = true;
	if (!r->file[0] && ev->file[0])
		snprintf(r->file, sizeof(r->file), "%s", ev->file);
}

/* A region's file facts are looked up when it first shows up: they may come
 * just before the event that creates it (replay), so they wait here. */
static struct region *feed_region_file(struct regions *rs, const struct thp_event *ev)
{
	uint64_t start = ev->region & THP_REGION_MASK;
	struct region *r = regions_find(rs, ev->mm_id, start);
	struct thp_event *v;

	if (r) {
		if (!r->have_finfo)
			apply_file_facts(r, ev);
		return r;
	}
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
			apply_file_facts(r, p);
			*p = rs->pending_files[--rs->n_pending_files];
		} else {
			k++;
		}
	}
}

static void feed_context(struct regions *rs, const struct thp_event *ev)
{
	const struct thp_context *c = ev->ctx;

	if (!c)
		return;
	/* The end line carries only what changed by the end. */
	if (ev->ctx_end) {
		rs->ctx.full_scans_end = c->full_scans_end;
		rs->ctx.duration_s = c->duration_s;
	} else {
		double d = rs->ctx.duration_s;
		long fe = rs->ctx.full_scans_end;

		rs->ctx = *c;
		if (c->full_scans_end < 0)
			rs->ctx.full_scans_end = fe;
		if (c->duration_s < 0)
			rs->ctx.duration_s = d;
	}
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
	case EV_CONTEXT:
		feed_context(rs, ev);
		return NULL;
	case EV_SCAN_FILE:
	case EV_COLLAPSE_FILE:
		/* MADV_COLLAPSE runs the same scan in the process itself: only
		 * khugepaged's own visits show that it knows this mm. */
		if (is_khugepaged(ev) || (ev->kind == EV_SCAN_FILE && !ev->comm[0])) {
			rs->saw_scan_any = true;
			if (ev->mm_id < 64)
				rs->mm_scanned[ev->mm_id] = true;
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
	from = rs->n;
	r = feed(rs, ev);
	if (rs->n > from && rs->n_pending_files) {
		idx = r ? (size_t)(r - rs->v) : 0;
		pending_files_take(rs, from);
		r = r ? &rs->v[idx] : NULL;
	}
	return r;
}

/* Without a page state sample, the last mapping event says how it ended;
 * a refault with no PMD event may have been either, so that stays unknown. */
static enum page_state infer_state(const struct region *r)
{
	if (r->t_pmd >= 0 && r->t_pmd >= r->t_cleared)
		return PS_PMD;
	if (awaiting_refault(r))
		return PS_NONE;
	return PS_UNKNOWN;
}

/* Replayed orphans and madvise exit times can put milestones out of order. */
static void sort_milestones(struct region *r)
{
	for (size_t i = 1; i < r->n_milestones; i++) {
		struct milestone m = r->ms[i];
		size_t j = i;
		for (; j > 0 && r->ms[j - 1].t > m.t; j--)
			r->ms[j] = r->ms[j - 1];
		r->ms[j] = m;
	}
}

/* Orphans and the collapse's own clear can put changes out of order. */
static void sort_changes(struct region *r)
{
	for (size_t i = 1; i < r->n_changes; i++) {
		struct state_change c = r->chg[i];
		size_t j = i;
		for (; j > 0 && r->chg[j - 1].t > c.t; j--)
			r->chg[j] = r->chg[j - 1];
		r->chg[j] = c;
	}
}

void regions_finish(struct regions *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct region *r = &rs->v[i];
		sort_milestones(r);
		sort_changes(r);
		r->final_inferred = r->state == PS_UNKNOWN;
		r->final_state = r->final_inferred ? infer_state(r) : r->state;
		if (r->final_state == PS_UNKNOWN)
			r->final_inferred = false;
		region_verdict(r, r->mm_id < 64 ? rs->mm_scanned[r->mm_id] : rs->saw_scan_any, &rs->ctx);
	}
}

const struct milestone *region_last_ms(const struct region *r, enum ms_kind k)
{
	for (size_t i = r->n_milestones; i-- > 0;)
		if (r->ms[i].kind == k)
			return &r->ms[i];
	return NULL;
}
