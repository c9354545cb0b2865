/* Region state machine (see regions.h).  Every time here is an event's t;
 * nothing reads a clock, /proc or BPF, so a replayed stream gives the same
 * answer as the live run.  The verdict text lives in verdict.c. */
#include <stdarg.h>
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

void regions_init(struct regions *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void regions_free(struct regions *rs)
{
	free(rs->v);
	free(rs->orphans);
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

__attribute__((format(printf, 4, 5)))
static void add_ms(struct region *r, double t, const char *what, const char *fmt, ...)
{
	struct milestone *m;
	va_list ap;

	if (r->n_milestones >= REGION_MAX_MILESTONES) {
		r->dropped_milestones++;
		return;
	}
	m = &r->ms[r->n_milestones++];
	m->t = t;
	snprintf(m->what, sizeof(m->what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(m->detail, sizeof(m->detail), fmt, ap);
	va_end(ap);
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

static void cleared(struct region *r, double t, const char *detail)
{
	if (awaiting_refault(r))
		return;		/* retract, pmdp flush and pagemap all report one clear */
	r->t_cleared = t;
	if (r->collapsed)
		r->cleared_after_collapse = true;
	add_ms(r, t, "pmd_cleared", "%s", detail);
}

static void refault(struct region *r, double t, const char *detail)
{
	if (!awaiting_refault(r))
		return;
	r->t_refault = t;
	if (r->unmapped_s < 0)
		r->unmapped_s = t - r->t_cleared;
	add_ms(r, t, "refault", "%s", detail);
}

static void mapped_pmd(struct region *r, double t, const char *detail)
{
	if (r->t_pmd >= 0 && r->t_pmd >= r->t_cleared)
		return;		/* do_set_pmd already said so; pagemap only confirms */
	r->t_pmd = t;
	/* MADV_COLLAPSE maps the PMD inside the call, before its exit event. */
	if (r->t_madvise >= 0 && r->madvise_to_pmd_s < 0)
		r->madvise_to_pmd_s = t > r->t_madvise ? t - r->t_madvise : 0;
	add_ms(r, t, "pmd_mapped", "%s", detail);
}

static const char *actor(const struct thp_event *ev, char *buf, size_t len)
{
	if (is_khugepaged(ev) || !ev->comm[0])
		return "khugepaged";
	snprintf(buf, len, "MADV_COLLAPSE (%s)", ev->comm);
	return buf;
}

static void apply_scan(struct region *r, const struct thp_event *ev)
{
	const char *name = ev->result_name[0] ? ev->result_name : "no result";
	int o = scan_result_outcome(ev->result_name);
	bool kh = is_khugepaged(ev) || !ev->comm[0];
	char who[40];

	if (kh)
		r->scans++;
	if (kh && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		add_ms(r, ev->t, "scanned", "%s by khugepaged (%d present, %d swapped)",
		       name, ev->present, ev->swap);
	} else if (o < 0 && strcmp(r->last_result, ev->result_name) != 0) {
		add_ms(r, ev->t, "scanned", "%s by %s", name, actor(ev, who, sizeof(who)));
	}
	if (o < 0)
		snprintf(r->last_result, sizeof(r->last_result), "%s", ev->result_name);
}

/* pagemap saw the range go empty before the collapse event came: now we
 * know that was the collapse clearing the PMD. */
static void relabel_unmapped(struct region *r)
{
	for (size_t i = r->n_milestones; i-- > 0;) {
		struct milestone *m = &r->ms[i];
		if (m->t == r->t_cleared && !strcmp(m->what, "unmapped")) {
			snprintf(m->what, sizeof(m->what), "pmd_cleared");
			snprintf(m->detail, sizeof(m->detail), "pagemap: not present (the collapse cleared it)");
			return;
		}
	}
}

static void apply_collapse(struct region *r, const struct thp_event *ev)
{
	const char *name = ev->result_name[0] ? ev->result_name : "no result";
	int o = scan_result_outcome(ev->result_name);
	char who[40];

	set_file(r, ev);
	if (is_khugepaged(ev) && r->t_first_scan < 0) {
		r->t_first_scan = ev->t;
		add_ms(r, ev->t, "scanned", "khugepaged reached this region");
	}
	if (!is_khugepaged(ev) && ev->comm[0])
		r->madv_collapse = true;
	r->collapse_attempts++;
	add_ms(r, ev->t, "collapse", "%s by %s", name, actor(ev, who, sizeof(who)));
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
		r->t_collapse = ev->t;
		if (!r->cleared_after_collapse && r->state == PS_NONE)
			cleared(r, ev->t, "pagemap: not present after the collapse");
	} else if (o < 0) {
		r->collapse_failures++;
		snprintf(r->last_result, sizeof(r->last_result), "%s", ev->result_name);
	}
}

static void apply_set_pmd(struct region *r, const struct thp_event *ev)
{
	bool in_collapse = (ev->fields & EVF_IN_COLLAPSE) || is_khugepaged(ev);

	if ((ev->fields & EVF_RET) && ev->ret != 0) {
		add_ms(r, ev->t, "pmd_refused", "do_set_pmd returned %#llx: small pages instead",
		       (unsigned long long)ev->ret);
		return;
	}
	/* Not a refault by itself: MADV_COLLAPSE's own PMD install comes
	 * through here too, outside collapse_file.  The fault event says it. */
	mapped_pmd(r, ev->t, in_collapse ? "do_set_pmd by the collapse itself"
					 : "do_set_pmd: one PMD for the whole region");
}

/* Apply an event that never creates a region to one region it concerns. */
static void apply(struct region *r, const struct thp_event *ev)
{
	char d[96];

	switch (ev->kind) {
	case EV_SCAN_FILE:
		apply_scan(r, ev);
		break;
	case EV_COLLAPSE_FILE:
		apply_collapse(r, ev);
		break;
	case EV_RETRACT:
		cleared(r, ev->t, "retract_page_tables removed the page table");
		break;
	case EV_PMDP_COLLAPSE_FLUSH:
		cleared(r, ev->t, "pmdp_collapse_flush cleared the PMD");
		break;
	case EV_FAULT:
		snprintf(d, sizeof(d), "page fault at %#llx%s", (unsigned long long)ev->addr,
			 !(ev->fields & EVF_ERRCODE) ? "" : (ev->errcode & 2) ? " (write)" : " (read)");
		refault(r, ev->t, d);
		break;
	case EV_MAP_PAGES:
		refault(r, ev->t, "fault-around (filemap_map_pages)");
		break;
	case EV_SET_PMD:
		apply_set_pmd(r, ev);
		break;
	case EV_EXIT:
		if (r->t_exit < 0) {
			r->t_exit = ev->t;
			add_ms(r, ev->t, "exit", "the process exited");
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

	if (s == PS_UNKNOWN)
		return;
	r->thp = ev->thp;
	r->state = s;
	if (s == prev)
		return;
	switch (s) {
	case PS_PMD:
		refault(r, ev->t, "seen by pagemap (sample time)");
		mapped_pmd(r, ev->t, "pagemap: mapped by one PMD");
		break;
	case PS_NONE:
		if (awaiting_refault(r))
			break;	/* the clear was already seen */
		if (r->collapsed && !r->cleared_after_collapse && r->t_collapse > r->t_pmd &&
		    r->t_collapse > r->t_refault)
			/* collapse_file cleared it before its event: not later
			 * than that, whenever pagemap got to look */
			cleared(r, r->t_collapse, "pagemap: not present after the collapse");
		else if (prev == PS_PMD || (r->collapsed && !r->cleared_after_collapse))
			cleared(r, ev->t, "pagemap: not present");
		else if (prev == PS_PTE) {
			/* maybe a clear whose collapse event is still to come */
			r->t_cleared = ev->t;
			add_ms(r, ev->t, "unmapped", "pagemap: not present any more");
		}
		break;
	case PS_PTE:
		refault(r, ev->t, "seen by pagemap (sample time)");
		if (prev == PS_PMD)
			add_ms(r, ev->t, "pte_mapped", "the PMD mapping was split into small pages");
		else if (r->collapsed && (prev == PS_NONE || ev->thp))
			add_ms(r, ev->t, "pte_mapped", "refault mapped small pages%s",
			       ev->thp ? " of the huge page" : "");
		else if (prev == PS_NONE)
			add_ms(r, ev->t, "pte_mapped", "mapped with small pages");
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
	add_ms(r, ev->t, "madvised", "%s", madv_name(ev->behavior));
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
			add_ms(r, ev->t, "madvise_failed", "%s failed: %lld", madv_name(b),
			       (long long)ev->ret);
		} else if (ok) {
			r->nohuge = true;
			r->t_nohuge = ev->t;
			add_ms(r, ev->t, "nohugepage", "MADV_NOHUGEPAGE");
		}
		if (first == SIZE_MAX)
			first = (size_t)(r - rs->v);
	}
	if (rs->n > from)
		orphans_replay(rs, from);
	return first == SIZE_MAX ? NULL : &rs->v[first];
}

struct region *regions_feed(struct regions *rs, const struct thp_event *ev)
{
	struct region *r;

	if (!rs || !ev)
		return NULL;
	switch (ev->kind) {
	case EV_MADVISE:
		return feed_madvise(rs, ev);
	case EV_STATE:
		return feed_state(rs, ev);
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

void regions_finish(struct regions *rs, const struct thp_context *ctx)
{
	static const struct thp_context none = {
		.scan_sleep_ms = -1, .pages_to_scan = -1, .full_scans_start = -1,
		.full_scans_end = -1, .read_only_thp_for_fs = -1, .duration_s = -1,
	};

	if (!ctx)
		ctx = &none;
	for (size_t i = 0; i < rs->n; i++) {
		struct region *r = &rs->v[i];
		sort_milestones(r);
		r->final_inferred = r->state == PS_UNKNOWN;
		r->final_state = r->final_inferred ? infer_state(r) : r->state;
		if (r->final_state == PS_UNKNOWN)
			r->final_inferred = false;
		region_verdict(r, r->mm_id < 64 ? rs->mm_scanned[r->mm_id] : rs->saw_scan_any, ctx);
	}
}
