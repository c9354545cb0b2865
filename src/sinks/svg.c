/* The SVG timeline (see svg.h), written by hand: SVG is plain XML, and the
 * only hard part of writing XML is escaping text, done in xml_text() below.
 *
 * Events are recorded compactly while the trace runs (strings interned) and
 * only drawn at the end, when the regions and their verdicts are known:
 * each event is then matched to its lanes the way regions.c matches it to
 * regions (by address, madvise range, file or process), which also places
 * events that came before their region existed.
 *
 * Layout, fixed width; every lane is LANE_H high:
 *
 *   header  title, what was drawn, time ticks
 *   lanes   label (address range, file) | state band + markers | verdict
 *   axis    ticks and "seconds since the trace started"
 *   legend  state colours, marker shapes
 *
 * Everything inside a lane is drawn inside it by construction: times are
 * clamped to the plot, markers are clamped so that their whole shape stays
 * in the plot, state changes in the same pixel column collapse to the last
 * one, events of one kind in the same pixel column are one marker, and
 * markers of one kind that would overlap (shape or count) merge into one
 * marker with a count (the tooltip lists what was merged).  Output is a function
 * of the events alone: same events, same bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/svg.h"
#include "util/utf8.h"

#define SVG_W 1200
#define LABEL_X 8
#define PLOT_X0 262
#define PLOT_X1 1010
#define PLOT_W (PLOT_X1 - PLOT_X0)
#define VERDICT_X 1018
#define HEADER_H 74
#define LANE_H 28
#define AXIS_H 40
#define LEGEND_H 70
#define MARK_HALF 5		/* no marker reaches further than this from its x */
#define DIGIT_W 5		/* width of a count digit at font-size 8, at most */

#define SVG_MAX_EVENTS 1000000
#define SVG_MAX_LANES 400
#define MADVISE_MAX_REGIONS 4096

/* ---- recording ---- */

struct pool {
	char **s;
	uint32_t n, cap;
	uint32_t *h;		/* open addressing: index + 1, 0 empty */
	uint32_t hcap;
};

struct sev {
	double t;
	uint64_t addr;		/* EV_STATE: the region */
	uint64_t len;
	int64_t ret;
	uint32_t fields;
	uint32_t mm_id;
	uint32_t pid, tgid, target;
	uint32_t file, result, comm;	/* pool ids, 0 = "" */
	int32_t behavior;
	uint8_t kind, state, thp;
	uint64_t errcode;
};

struct svg_trace {
	struct sev *ev;
	size_t n, cap;
	uint64_t dropped;	/* events past SVG_MAX_EVENTS */
	uint64_t lost;		/* records the ring buffer lost */
	double t_max;
	struct pool pool;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int pool_grow(struct pool *p)
{
	uint32_t hcap = p->hcap ? p->hcap * 2 : 256;
	uint32_t *h = calloc(hcap, sizeof(*h));

	if (!h)
		return -1;
	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t k = hash_str(p->s[i]) & (hcap - 1);

		while (h[k])
			k = (k + 1) & (hcap - 1);
		h[k] = i + 1;
	}
	free(p->h);
	p->h = h;
	p->hcap = hcap;
	return 0;
}

/* The id of s (0 for "" or on failure): s[id - 1] == s. */
static uint32_t intern(struct pool *p, const char *s)
{
	uint32_t k;

	if (!s || !*s)
		return 0;
	if ((p->n + 1) * 2 > p->hcap && pool_grow(p) < 0)
		return 0;
	k = hash_str(s) & (p->hcap - 1);
	while (p->h[k]) {
		if (strcmp(p->s[p->h[k] - 1], s) == 0)
			return p->h[k];
		k = (k + 1) & (p->hcap - 1);
	}
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->s, cap * sizeof(*v));

		if (!v)
			return 0;
		p->s = v;
		p->cap = cap;
	}
	if (!(p->s[p->n] = strdup(s)))
		return 0;
	p->h[k] = ++p->n;
	return p->n;
}

static const char *str_of(const struct pool *p, uint32_t id)
{
	return id && id <= p->n ? p->s[id - 1] : "";
}

struct svg_trace *svg_trace_new(void)
{
	return calloc(1, sizeof(struct svg_trace));
}

void svg_trace_free(struct svg_trace *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->pool.n; i++)
		free(s->pool.s[i]);
	free(s->pool.s);
	free(s->pool.h);
	free(s->ev);
	free(s);
}

void svg_trace_event(struct svg_trace *s, const struct thp_event *ev)
{
	struct sev *e;

	if (!s || !ev)
		return;
	switch (ev->kind) {
	case EV_LOST:
		s->lost += ev->count;
		return;
	case EV_MADVISE:
	case EV_FAULT:
	case EV_SCAN_FILE:
	case EV_COLLAPSE_FILE:
	case EV_RETRACT:
	case EV_PMDP_COLLAPSE_FLUSH:
	case EV_MAP_PAGES:
	case EV_SET_PMD:
	case EV_STATE:
	case EV_EXIT:
		break;
	default:
		if (ev->t > s->t_max)
			s->t_max = ev->t;
		return;
	}
	if (ev->t > s->t_max)
		s->t_max = ev->t;
	if (s->n >= SVG_MAX_EVENTS) {
		s->dropped++;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct sev *v = realloc(s->ev, cap * sizeof(*v));

		if (!v) {
			s->dropped++;
			return;
		}
		s->ev = v;
		s->cap = cap;
	}
	e = &s->ev[s->n++];
	memset(e, 0, sizeof(*e));
	e->t = ev->t > 0 ? ev->t : 0;
	e->kind = (uint8_t)ev->kind;
	e->addr = ev->kind == EV_STATE ? (ev->region ? ev->region : ev->addr) : ev->addr;
	e->len = ev->len;
	e->ret = ev->ret;
	e->fields = ev->fields;
	e->mm_id = ev->mm_id;
	e->pid = ev->pid;
	e->tgid = ev->tgid;
	e->target = ev->target_pid ? ev->target_pid : ev->tgid;
	e->behavior = ev->behavior;
	e->state = (uint8_t)ev->state;
	e->thp = ev->thp;
	e->errcode = ev->errcode;
	e->file = intern(&s->pool, ev->file);
	e->result = intern(&s->pool, ev->result_name);
	e->comm = intern(&s->pool, ev->comm);
}

/* ---- XML ---- */

/* Write s as XML character data, good in text and in quoted attributes:
 * & < > " ' as entities; control characters (C0, DEL, C1) dropped, since
 * XML 1.0 forbids most and a label has no use for any; bytes that are not
 * UTF-8, and U+FFFE/U+FFFF (not XML characters), as U+FFFD. */
static void xml_text(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t len;

		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&apos;", f); i++; continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		len = utf8_seq(u + i, n - i);
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			i++;
			continue;
		}
		if (len == 2 && c == 0xc2 && u[i + 1] < 0xa0) {
			i += 2;		/* C1 control */
			continue;
		}
		if (len == 3 && c == 0xef && u[i + 1] == 0xbf && (u[i + 2] == 0xbe || u[i + 2] == 0xbf))
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(u + i, 1, len, f);
		i += len;
	}
}

/* No libm: the tool links without -lm. */
static double rnd(double v)
{
	return v >= 0 ? (double)(long long)(v + 0.5) : -(double)(long long)(-v + 0.5);
}

/* Numbers are written into char[NUMBUF] buffers. */
#define NUMBUF 32

/* A coordinate with one decimal, whatever the locale's decimal point. */
static const char *num(char *b, double v)
{
	long t = (long)rnd(v * 10.0);

	if (t % 10 == 0)
		snprintf(b, NUMBUF, "%ld", t / 10);
	else
		snprintf(b, NUMBUF, "%s%ld.%ld", t < 0 ? "-" : "", labs(t) / 10, labs(t) % 10);
	return b;
}

/* Seconds for people with 0 to 6 decimals, a '.' whatever the locale. */
static const char *secs(char *b, double v, int decimals)
{
	static const long long scale_of[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	long long scale, t, ip, fp;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	if (!(v < 1e12 && v > -1e12)) {
		/* no decimals, so no locale's decimal point either */
		snprintf(b, NUMBUF, "%.0f", v == v ? v : 0.0);
		return b;
	}
	scale = scale_of[decimals];
	t = (long long)rnd(v * (double)scale);
	ip = t / scale;
	fp = llabs(t % scale);
	if (decimals > 0)
		snprintf(b, NUMBUF, "%s%lld.%0*lld", t < 0 && ip == 0 ? "-" : "", ip, decimals, fp);
	else
		snprintf(b, NUMBUF, "%lld", ip);
	return b;
}

/* ---- matching events to lanes ---- */

enum mark_kind {
	MK_CLEAR,
	MK_EXIT,
	MK_MADVISE,
	MK_SCAN,
	MK_REFAULT,
	MK_COLLAPSE_OK,
	MK_COLLAPSE_FAIL,
	MK_MAX,
};

static const char *const mark_label[MK_MAX] = {
	[MK_CLEAR] = "PMD cleared",
	[MK_EXIT] = "process exit",
	[MK_MADVISE] = "madvise",
	[MK_SCAN] = "scan",
	[MK_REFAULT] = "refault",
	[MK_COLLAPSE_OK] = "collapse succeeded",
	[MK_COLLAPSE_FAIL] = "collapse failed",
};

#define MARK_DETAILS 3

struct mark {
	uint8_t kind;
	long bucket;
	double x, t0, t1;
	uint32_t count;
	uint32_t det[MARK_DETAILS], det_n[MARK_DETAILS], det_other;
};

struct chg {
	double t;
	uint8_t state;
};

struct lane {
	const struct region *r;
	uint8_t cur;
	bool awaiting, collapsed;
	struct chg *chg;
	size_t n_chg, cap_chg;
	struct mark open[MK_MAX];
	bool has_open[MK_MAX];
	struct mark *marks;
	size_t n_marks, cap_marks;
};

struct key {
	uint64_t start;
	uint32_t mm_id;
	uint32_t lane;
};

struct draw {
	struct svg_trace *s;
	struct lane *lanes;
	size_t n;
	struct key *keys;
	double T;
	int oom;
};

static double px(const struct draw *d, double t)
{
	double x = PLOT_X0 + (t / d->T) * PLOT_W;

	return x < PLOT_X0 ? PLOT_X0 : x > PLOT_X1 ? PLOT_X1 : x;
}

static void *grow(void *v, size_t *cap, size_t need, size_t size, int *oom)
{
	void *nv;
	size_t nc;

	if (need <= *cap)
		return v;
	nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	nv = realloc(v, nc * size);
	if (!nv) {
		*oom = 1;
		return NULL;
	}
	*cap = nc;
	return nv;
}

static void set_state(struct draw *d, struct lane *l, double t, uint8_t st)
{
	struct chg *c;

	if (l->cur == st)
		return;
	l->cur = st;
	c = grow(l->chg, &l->cap_chg, l->n_chg + 1, sizeof(*l->chg), &d->oom);
	if (!c)
		return;
	l->chg = c;
	l->chg[l->n_chg++] = (struct chg){ t, st };
}

static void flush_mark(struct draw *d, struct lane *l, int kind)
{
	struct mark *m;

	if (!l->has_open[kind])
		return;
	m = grow(l->marks, &l->cap_marks, l->n_marks + 1, sizeof(*l->marks), &d->oom);
	if (m) {
		l->marks = m;
		l->marks[l->n_marks++] = l->open[kind];
	}
	l->has_open[kind] = false;
}

static void add_mark(struct draw *d, struct lane *l, int kind, double t, const char *detail)
{
	double x = px(d, t);
	long bucket = (long)(x - PLOT_X0);	/* its pixel column: x >= PLOT_X0 */
	uint32_t id = intern(&d->s->pool, detail);
	struct mark *m = &l->open[kind];
	int k;

	if (l->has_open[kind] && m->bucket != bucket)
		flush_mark(d, l, kind);
	if (!l->has_open[kind]) {
		memset(m, 0, sizeof(*m));
		m->kind = (uint8_t)kind;
		m->bucket = bucket;
		m->x = x;
		m->t0 = t;
		l->has_open[kind] = true;
	}
	m->t1 = t;
	m->count++;
	for (k = 0; k < MARK_DETAILS && m->det_n[k]; k++)
		if (m->det[k] == id)
			break;
	if (k == MARK_DETAILS) {
		m->det_other++;
		return;
	}
	m->det[k] = id;
	m->det_n[k]++;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->mm_id != y->mm_id)
		return x->mm_id < y->mm_id ? -1 : 1;
	return x->lane < y->lane ? -1 : x->lane > y->lane;
}

typedef void (*lane_fn)(struct draw *d, struct lane *l, const struct sev *e);

/* Every lane at start (2 MiB aligned) of mm (any mm when mm is 0). */
static int at_addr(struct draw *d, uint64_t start, uint32_t mm, const struct sev *e, lane_fn fn)
{
	size_t lo = 0, hi = d->n;
	int hits = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->keys[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->n && d->keys[lo].start == start; lo++) {
		if (mm && d->keys[lo].mm_id != mm)
			continue;
		fn(d, &d->lanes[d->keys[lo].lane], e);
		hits++;
	}
	return hits;
}

static bool file_match(const struct draw *d, const struct lane *l, const struct sev *e, bool any_mm)
{
	return (l->r->mm_id == e->mm_id || (any_mm && !e->mm_id)) &&
	       regions_same_file(l->r->file, str_of(&d->s->pool, e->file));
}

/* No usable address: the only lane of the file, else the first one not
 * collapsed yet (as regions.c picks). */
static void by_file_one(struct draw *d, const struct sev *e, lane_fn fn)
{
	struct lane *only = NULL, *fresh = NULL;
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++) {
		struct lane *l = &d->lanes[i];

		if (!file_match(d, l, e, true))
			continue;
		n++;
		only = l;
		if (!fresh && !l->collapsed)
			fresh = l;
	}
	if (n == 1)
		fn(d, only, e);
	else if (fresh)
		fn(d, fresh, e);
}

static bool is_khugepaged(const struct draw *d, const struct sev *e)
{
	const char *c = str_of(&d->s->pool, e->comm);

	return !*c || strncmp(c, "khugepaged", 10) == 0;
}

static void who(const struct draw *d, const struct sev *e, char *b, size_t n)
{
	if (is_khugepaged(d, e))
		snprintf(b, n, "khugepaged");
	else
		snprintf(b, n, "MADV_COLLAPSE (%s)", str_of(&d->s->pool, e->comm));
}

static void refault_mark(struct draw *d, struct lane *l, double t, const char *what)
{
	if (!l->awaiting)
		return;
	l->awaiting = false;
	add_mark(d, l, MK_REFAULT, t, what);
}

static void clear_mark(struct draw *d, struct lane *l, double t, const char *what)
{
	set_state(d, l, t, PS_NONE);
	if (l->awaiting)
		return;		/* retract, pmdp flush and pagemap report one clear */
	l->awaiting = true;
	add_mark(d, l, MK_CLEAR, t, what);
}

static void on_madvise(struct draw *d, struct lane *l, const struct sev *e)
{
	const char *name = madv_name(e->behavior);
	char b[96];

	if (name)
		snprintf(b, sizeof(b), "%s", name);
	else
		snprintf(b, sizeof(b), "advice=%d", e->behavior);
	if ((e->fields & EVF_RET) && e->ret)
		snprintf(b + strlen(b), sizeof(b) - strlen(b), " failed: %" PRId64, e->ret);
	add_mark(d, l, MK_MADVISE, e->t, b);
}

static void on_scan(struct draw *d, struct lane *l, const struct sev *e)
{
	const char *res = str_of(&d->s->pool, e->result);
	char w[48], b[128];

	who(d, e, w, sizeof(w));
	snprintf(b, sizeof(b), "%s by %s", *res ? res : "no result", w);
	add_mark(d, l, MK_SCAN, e->t, b);
}

static void on_collapse(struct draw *d, struct lane *l, const struct sev *e)
{
	const char *res = str_of(&d->s->pool, e->result);
	int o = scan_result_outcome(res);
	char w[48], b[128];

	who(d, e, w, sizeof(w));
	snprintf(b, sizeof(b), "%s by %s", *res ? res : "no result", w);
	add_mark(d, l, o < 0 ? MK_COLLAPSE_FAIL : MK_COLLAPSE_OK, e->t, b);
	if (o > 0)
		l->collapsed = true;
}

static void on_retract(struct draw *d, struct lane *l, const struct sev *e)
{
	clear_mark(d, l, e->t, "retract_page_tables removed the page table");
}

static void on_flush(struct draw *d, struct lane *l, const struct sev *e)
{
	clear_mark(d, l, e->t, "pmdp_collapse_flush cleared the PMD");
}

static void on_fault(struct draw *d, struct lane *l, const struct sev *e)
{
	refault_mark(d, l, e->t, !(e->fields & EVF_ERRCODE) ? "page fault"
				 : (e->errcode & 2) ? "page fault (write)" : "page fault (read)");
}

static void on_map_pages(struct draw *d, struct lane *l, const struct sev *e)
{
	refault_mark(d, l, e->t, "fault-around (filemap_map_pages)");
	if (l->cur == PS_NONE || l->cur == PS_UNKNOWN)
		set_state(d, l, e->t, PS_PTE);
}

static void on_set_pmd(struct draw *d, struct lane *l, const struct sev *e)
{
	bool in_collapse = (e->fields & EVF_IN_COLLAPSE) || is_khugepaged(d, e);

	if ((e->fields & EVF_RET) && e->ret != 0)
		return;
	if (!in_collapse)
		refault_mark(d, l, e->t, "page fault mapped one PMD (do_set_pmd)");
	else
		l->awaiting = false;
	set_state(d, l, e->t, PS_PMD);
}

static void on_state(struct draw *d, struct lane *l, const struct sev *e)
{
	uint8_t prev = l->cur;

	switch (e->state) {
	case PS_NONE:
		if (prev == PS_PMD || l->collapsed)
			clear_mark(d, l, e->t, "pagemap: not present");
		set_state(d, l, e->t, PS_NONE);
		break;
	case PS_PTE:
	case PS_PMD:
		refault_mark(d, l, e->t, e->state == PS_PMD ? "pagemap: mapped by one PMD"
							    : "pagemap: small pages present");
		set_state(d, l, e->t, e->state);
		break;
	default:
		break;
	}
}

static void on_proc_exit(struct draw *d, struct lane *l, const struct sev *e)
{
	add_mark(d, l, MK_EXIT, e->t, "the process exited");
}

static void dispatch(struct draw *d, const struct sev *e)
{
	const char *file = str_of(&d->s->pool, e->file);
	const uint64_t start = e->addr & THP_REGION_MASK;
	const bool has_addr = e->fields & EVF_ADDR;

	switch (e->kind) {
	case EV_STATE:
		at_addr(d, start, e->mm_id, e, on_state);
		break;
	case EV_MADVISE: {
		uint64_t end = e->addr + e->len, a = start;

		if (!e->len || end < e->addr)
			break;
		for (int k = 0; a < end && k < MADVISE_MAX_REGIONS; a += THP_REGION_SIZE, k++) {
			at_addr(d, a, e->mm_id, e, on_madvise);
			if (a > UINT64_MAX - THP_REGION_SIZE)
				break;
		}
		break;
	}
	case EV_FAULT:
		if (has_addr)
			at_addr(d, start, e->mm_id, e, on_fault);
		break;
	case EV_MAP_PAGES:
		if (has_addr)
			at_addr(d, start, e->mm_id, e, on_map_pages);
		break;
	case EV_SET_PMD:
		if (has_addr)
			at_addr(d, start, e->mm_id, e, on_set_pmd);
		break;
	case EV_PMDP_COLLAPSE_FLUSH:
		if (has_addr)
			at_addr(d, start, e->mm_id, e, on_flush);
		break;
	case EV_RETRACT:
		if (has_addr)
			at_addr(d, start, e->mm_id, e, on_retract);
		else if (*file)
			by_file_one(d, e, on_retract);
		break;
	case EV_COLLAPSE_FILE:
		/* Unfixed kernels swapped addr and is_shmem: 0, 1 or garbage. */
		if (has_addr && e->addr && !(e->addr & ~THP_REGION_MASK) &&
		    at_addr(d, start, e->mm_id, e, on_collapse))
			break;
		if (*file)
			by_file_one(d, e, on_collapse);
		break;
	case EV_SCAN_FILE:
		if (!*file)
			break;
		for (size_t i = 0; i < d->n; i++)
			if (file_match(d, &d->lanes[i], e, false))
				on_scan(d, &d->lanes[i], e);
		break;
	case EV_EXIT:
		if (e->pid && e->tgid && e->pid != e->tgid)
			break;	/* a thread's exit is not the process's */
		for (size_t i = 0; i < d->n; i++) {
			struct lane *l = &d->lanes[i];

			if (e->mm_id ? l->r->mm_id == e->mm_id : (l->r->pid && l->r->pid == e->target))
				on_proc_exit(d, l, e);
		}
		break;
	default:
		break;
	}
}

/* ---- drawing ---- */

static const char *const state_fill[] = {
	[PS_UNKNOWN] = "#dddddd",
	[PS_NONE] = "#f4a582",
	[PS_PTE] = "#92c5de",
	[PS_PMD] = "#1a9850",
};

static const char *const state_label[] = {
	[PS_UNKNOWN] = "not sampled yet",
	[PS_NONE] = "not present",
	[PS_PTE] = "small pages (PTE-mapped)",
	[PS_PMD] = "huge page (PMD-mapped)",
};

static const char *const state_class[] = {
	[PS_UNKNOWN] = "st-unknown",
	[PS_NONE] = "st-none",
	[PS_PTE] = "st-pte",
	[PS_PMD] = "st-pmd",
};

static const char *reason_fill(enum verdict_reason r)
{
	switch (r) {
	case VR_HUGE:
		return "#1a7837";
	case VR_UNKNOWN:
	case VR_NOT_COLLAPSED:
		return "#555555";
	default:
		return "#b2182b";
	}
}

/* 1, 2 or 5 times a power of ten, the smallest at least raw (> 0). */
static double nice_step(double raw, int *decimals)
{
	double p = 1, step;
	int dec = 0;

	while (p * 10 <= raw)
		p *= 10;
	while (p > raw && dec < 9) {
		p /= 10;
		dec++;
	}
	if (raw <= p * 1.0000001) {
		step = p;
	} else if (raw <= 2 * p) {
		step = 2 * p;
	} else if (raw <= 5 * p) {
		step = 5 * p;
	} else {
		step = 10 * p;
		if (dec > 0)
			dec--;
	}
	*decimals = dec > 6 ? 6 : dec;
	return step;
}

static void band(FILE *f, double x0, double x1, double y, uint8_t st, double t0, double t1)
{
	char a[32], b[32], c[32], s0[32], s1[32];

	if (x1 - x0 <= 0)
		return;
	fprintf(f, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"16\" fill=\"%s\">",
		state_class[st], num(a, x0), num(b, y), num(c, x1 - x0), state_fill[st]);
	fprintf(f, "<title>%s, %s s to %s s</title></rect>\n", state_label[st], secs(s0, t0, 3),
		secs(s1, t1, 3));
}

static void draw_bands(FILE *f, struct draw *d, const struct lane *l, double y0)
{
	double x_start = PLOT_X0, t_start = 0;
	uint8_t st = PS_UNKNOWN;

	/* A state that lasts less than a pixel column gives way to the next. */
	for (size_t i = 0; i < l->n_chg; i++) {
		double x = rnd(px(d, l->chg[i].t));

		if (x > x_start) {
			if (l->chg[i].state == st)
				continue;
			band(f, x_start, x, y0 + 6, st, t_start, l->chg[i].t);
			x_start = x;
			t_start = l->chg[i].t;
		}
		st = l->chg[i].state;
	}
	band(f, x_start, PLOT_X1, y0 + 6, st, t_start, d->T);
}

/* The shape of a marker of kind k centred on x in the lane at y0. */
static void shape(FILE *f, int k, double x, double y0)
{
	char a[32], b[32], c[32], e[32], g[32], h[32], i2[32], j2[32];

	switch (k) {
	case MK_MADVISE:
		fprintf(f, "<polygon class=\"mk-madvise\" points=\"%s,%s %s,%s %s,%s\" fill=\"#762a83\"",
			num(a, x - 4), num(b, y0 + 1), num(c, x + 4), num(e, y0 + 1), num(g, x),
			num(h, y0 + 7));
		break;
	case MK_SCAN:
		fprintf(f, "<circle class=\"mk-scan\" cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"#404040\" stroke=\"#ffffff\" stroke-width=\"0.5\"",
			num(a, x), num(b, y0 + 9));
		break;
	case MK_COLLAPSE_OK:
		fprintf(f, "<polygon class=\"mk-collapse-ok\" points=\"%s,%s %s,%s %s,%s %s,%s\" fill=\"#00441b\" stroke=\"#ffffff\" stroke-width=\"1\"",
			num(a, x), num(b, y0 + 9), num(c, x + 5), num(e, y0 + 14), num(g, x),
			num(h, y0 + 19), num(i2, x - 5), num(j2, y0 + 14));
		break;
	case MK_COLLAPSE_FAIL: {
		/* An X, as one polygon. */
		static const double P[12][2] = {
			{ -4, -2.6 }, { -2.6, -4 }, { 0, -1.4 }, { 2.6, -4 }, { 4, -2.6 }, { 1.4, 0 },
			{ 4, 2.6 }, { 2.6, 4 }, { 0, 1.4 }, { -2.6, 4 }, { -4, 2.6 }, { -1.4, 0 },
		};

		fputs("<polygon class=\"mk-collapse-fail\" points=\"", f);
		for (int i = 0; i < 12; i++)
			fprintf(f, "%s%s,%s", i ? " " : "", num(a, x + P[i][0]), num(b, y0 + 14 + P[i][1]));
		fputs("\" fill=\"#d7191c\" stroke=\"#ffffff\" stroke-width=\"0.6\"", f);
		break;
	}
	case MK_CLEAR:
		fprintf(f, "<rect class=\"mk-clear\" x=\"%s\" y=\"%s\" width=\"3\" height=\"20\" fill=\"#e66101\"",
			num(a, x - 1.5), num(b, y0 + 4));
		break;
	case MK_REFAULT:
		fprintf(f, "<polygon class=\"mk-refault\" points=\"%s,%s %s,%s %s,%s\" fill=\"#2166ac\"",
			num(a, x - 4), num(b, y0 + 27), num(c, x + 4), num(e, y0 + 27), num(g, x),
			num(h, y0 + 21));
		break;
	case MK_EXIT:
		fprintf(f, "<rect class=\"mk-exit\" x=\"%s\" y=\"%s\" width=\"2\" height=\"24\" fill=\"#000000\"",
			num(a, x - 1), num(b, y0 + 2));
		break;
	}
}

static int mark_cmp(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return 0;
}

/* Half the width of each kind's shape. */
static const double shape_half[MK_MAX] = {
	[MK_CLEAR] = 1.5, [MK_EXIT] = 1, [MK_MADVISE] = 4, [MK_SCAN] = 2.5,
	[MK_REFAULT] = 4, [MK_COLLAPSE_OK] = 5, [MK_COLLAPSE_FAIL] = 4,
};

static int digits(uint32_t n)
{
	int k = 1;

	while (n >= 10) {
		n /= 10;
		k++;
	}
	return k;
}

/* Fold b into a: counts, time span, details (the first MARK_DETAILS
 * distinct ones are named, the rest counted). */
static void merge_mark(struct mark *a, const struct mark *b)
{
	a->count += b->count;
	if (b->t0 < a->t0)
		a->t0 = b->t0;
	if (b->t1 > a->t1)
		a->t1 = b->t1;
	a->det_other += b->det_other;
	for (int k = 0; k < MARK_DETAILS && b->det_n[k]; k++) {
		int j;

		for (j = 0; j < MARK_DETAILS && a->det_n[j]; j++)
			if (a->det[j] == b->det[k])
				break;
		if (j == MARK_DETAILS) {
			a->det_other += b->det_n[k];
			continue;
		}
		a->det[j] = b->det[k];
		a->det_n[j] += b->det_n[k];
	}
}

/* Marks sorted by kind, then time: from left to right, a marker takes in
 * the following ones of its kind that would touch its shape or its count. */
static size_t coalesce(struct mark *m, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n;) {
		struct mark c = m[i++];

		while (i < n && m[i].kind == c.kind) {
			double gap = 2 * shape_half[c.kind] + 1;

			if (c.count + m[i].count > 1)
				gap += 1 + DIGIT_W * digits(c.count + m[i].count);
			if (m[i].x >= c.x + gap)
				break;
			merge_mark(&c, &m[i++]);
		}
		m[out++] = c;
	}
	return out;
}

static void draw_mark(FILE *f, struct draw *d, const struct mark *m, double y0)
{
	static const double label_dy[MK_MAX] = {
		[MK_CLEAR] = 10, [MK_EXIT] = 10, [MK_MADVISE] = 7, [MK_SCAN] = 12,
		[MK_REFAULT] = 27, [MK_COLLAPSE_OK] = 17, [MK_COLLAPSE_FAIL] = 17,
	};
	double x = m->x;
	char a[32], b[32], s0[32], s1[32];

	if (x < PLOT_X0 + MARK_HALF)
		x = PLOT_X0 + MARK_HALF;
	if (x > PLOT_X1 - MARK_HALF)
		x = PLOT_X1 - MARK_HALF;
	shape(f, m->kind, x, y0);
	fputs("><title>", f);
	if (m->count == 1)
		fprintf(f, "%s at %s s: ", mark_label[m->kind], secs(s0, m->t0, 3));
	else
		fprintf(f, "%u × %s, %s s to %s s: ", m->count, mark_label[m->kind], secs(s0, m->t0, 3),
			secs(s1, m->t1, 3));
	for (int k = 0; k < MARK_DETAILS && m->det_n[k]; k++) {
		fputs(k ? "; " : "", f);
		xml_text(f, str_of(&d->s->pool, m->det[k]));
		if (m->count > 1)
			fprintf(f, " ×%u", m->det_n[k]);
	}
	if (m->det_other)
		fprintf(f, "; %u of other kinds", m->det_other);
	fprintf(f, "</title></%s>\n",
		m->kind == MK_SCAN ? "circle" : m->kind == MK_CLEAR || m->kind == MK_EXIT ? "rect" : "polygon");
	if (m->count > 1) {
		char cnt[16];
		double w = DIGIT_W * snprintf(cnt, sizeof(cnt), "%u", m->count);
		bool right = x + MARK_HALF + 1 + w <= PLOT_X1;

		fprintf(f, "<text class=\"mk-count\" x=\"%s\" y=\"%s\" font-size=\"8\" text-anchor=\"%s\" fill=\"#000000\">%s</text>\n",
			num(a, right ? x + MARK_HALF + 1 : x - MARK_HALF - 1), num(b, y0 + label_dy[m->kind]),
			right ? "start" : "end", cnt);
	}
}

/* At most max bytes of s, whole UTF-8 characters; the tail when tail. */
static void clip_text(char *out, size_t outlen, const char *s, size_t max, bool tail)
{
	size_t n = strlen(s), from = 0;

	if (n <= max) {
		snprintf(out, outlen, "%s", s);
		return;
	}
	if (tail) {
		from = n - max;
		while (from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
			from++;
		snprintf(out, outlen, "…%s", s + from);
	} else {
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
		snprintf(out, outlen, "%.*s…", (int)max, s);
	}
}

static void draw_lane(FILE *f, struct draw *d, struct lane *l, size_t i, double y0)
{
	const struct region *r = l->r;
	char a[32], b[32], file[EV_FILE_LEN + 8];
	const char *fname = r->file[0] ? r->file : "[anonymous]";

	/* data-*: the lane's box and its plot's x range, for tests and tools */
	fprintf(f, "<g class=\"lane\" id=\"lane-%zu\" data-region=\"0x%" PRIx64 "\" data-mm=\"%u\" data-y=\"%s\" data-h=\"%d\" data-x0=\"%d\" data-x1=\"%d\" data-w=\"%d\">\n",
		i, r->start, r->mm_id, num(a, y0), LANE_H, PLOT_X0, PLOT_X1, SVG_W);
	/* label: address range, then the file (its tail when long) */
	fprintf(f, "<text class=\"lane-addr\" x=\"%d\" y=\"%s\" font-family=\"monospace\" font-size=\"10\">0x%" PRIx64 "-0x%" PRIx64 "<title>",
		LABEL_X, num(b, y0 + 12), r->start, (uint64_t)(r->start + THP_REGION_SIZE));
	xml_text(f, fname);
	fprintf(f, " (pid %u, mm %u)</title></text>\n", r->pid, r->mm_id);
	clip_text(file, sizeof(file), fname, 40, true);
	fprintf(f, "<text class=\"lane-file\" x=\"%d\" y=\"%s\" font-size=\"10\" fill=\"#444444\">", LABEL_X,
		num(b, y0 + 24));
	xml_text(f, file);
	fputs("<title>", f);
	xml_text(f, fname);
	fputs("</title></text>\n", f);

	draw_bands(f, d, l, y0);
	for (int k = 0; k < MK_MAX; k++)
		flush_mark(d, l, k);
	if (l->n_marks) {
		qsort(l->marks, l->n_marks, sizeof(*l->marks), mark_cmp);
		l->n_marks = coalesce(l->marks, l->n_marks);
	}
	for (size_t k = 0; k < l->n_marks; k++)
		draw_mark(f, d, &l->marks[k], y0);

	fprintf(f, "<text class=\"verdict\" x=\"%d\" y=\"%s\" font-size=\"11\" font-weight=\"bold\" fill=\"%s\">",
		VERDICT_X, num(b, y0 + 18), reason_fill(r->reason));
	xml_text(f, verdict_reason_name(r->reason));
	fputs("<title>", f);
	xml_text(f, r->why);
	fputs("</title></text>\n</g>\n", f);
}

static void draw_axis(FILE *f, const struct draw *d, double y_top, double y_bot)
{
	int decimals;
	double step = nice_step(d->T / 8, &decimals);
	char a[32], b[32], c[32], e[32], s[32];

	fputs("<g class=\"axis\" font-size=\"10\" fill=\"#333333\" text-anchor=\"middle\">\n", f);
	for (long k = 0;; k++) {
		double t = k * step, x;

		if (t > d->T * (1 + 1e-9) || k > 1000)
			break;
		x = px(d, t);
		fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#000000\" stroke-opacity=\"0.15\" stroke-width=\"1\"/>\n",
			num(a, x), num(b, y_top), num(e, x), num(c, y_bot + 4));
		secs(s, t, decimals);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", num(a, x), num(b, y_top - 4), s);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", num(a, x), num(b, y_bot + 15), s);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%s\" x2=\"%d\" y2=\"%s\" stroke=\"#000000\" stroke-width=\"1\"/>\n",
		PLOT_X0, num(b, y_bot), PLOT_X1, num(c, y_bot));
	fprintf(f, "<text x=\"%d\" y=\"%s\">seconds since the trace started (ticks every %s s)</text>\n",
		(PLOT_X0 + PLOT_X1) / 2, num(b, y_bot + 31), secs(s, step, decimals));
	fputs("</g>\n", f);
}

static void draw_legend(FILE *f, double y)
{
	static const int order[] = { MK_MADVISE, MK_SCAN, MK_COLLAPSE_OK, MK_COLLAPSE_FAIL, MK_CLEAR,
				     MK_REFAULT, MK_EXIT };
	/* Where each shape's middle is below the lane top it is drawn for. */
	static const double mid[MK_MAX] = {
		[MK_MADVISE] = 4, [MK_SCAN] = 9, [MK_COLLAPSE_OK] = 14, [MK_COLLAPSE_FAIL] = 14,
		[MK_CLEAR] = 14, [MK_REFAULT] = 24, [MK_EXIT] = 14,
	};
	char a[NUMBUF], b[NUMBUF];
	double x;

	fputs("<g class=\"legend\" font-size=\"11\" fill=\"#222222\">\n", f);
	fprintf(f, "<text x=\"%d\" y=\"%s\" font-weight=\"bold\">page state</text>\n", LABEL_X, num(b, y + 14));
	x = 100;
	for (int s = PS_UNKNOWN; s <= PS_PMD; s++) {
		fprintf(f, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"16\" height=\"10\" fill=\"%s\"/>\n",
			state_class[s], num(a, x), num(b, y + 5), state_fill[s]);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", num(a, x + 21), num(b, y + 14), state_label[s]);
		x += 190;
	}
	fprintf(f, "<text x=\"%d\" y=\"%s\" font-weight=\"bold\">markers</text>\n", LABEL_X, num(b, y + 38));
	x = 100;
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		const char *label = order[k] == MK_SCAN ? "scan (khugepaged or MADV_COLLAPSE)" : mark_label[order[k]];

		shape(f, order[k], x + 5, y + 34 - mid[order[k]]);
		fputs("/>\n", f);
		fprintf(f, "<text x=\"%s\" y=\"%s\">%s</text>\n", num(a, x + 14), num(b, y + 38), label);
		x += 30 + 6.2 * (double)strlen(label);
	}
	fprintf(f, "<text x=\"%d\" y=\"%s\" fill=\"#555555\">A number beside a marker: that many events of its kind merged into it (too close to draw apart). Hover over anything for details. Each lane ends with its verdict.</text>\n",
		LABEL_X, num(b, y + 60));
	fputs("</g>\n", f);
}

struct by_time {
	double t;
	size_t i;
};

static int by_time_cmp(const void *a, const void *b)
{
	const struct by_time *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int svg_trace_write(struct svg_trace *s, const struct regions *rs, const char *path, char *err,
		    size_t errlen)
{
	struct svg_trace empty = { 0 };
	struct draw d = { 0 };
	struct by_time *order = NULL;
	size_t shown;
	double y_lanes = HEADER_H, y_end, height;
	char a[32], b[32], t[32];
	FILE *f;
	int rc = 0;

	if (!s)
		s = &empty;
	if (!path || !*path) {
		snprintf(err, errlen, "no SVG file name");
		return -1;
	}
	shown = rs ? rs->n : 0;
	if (shown > SVG_MAX_LANES)
		shown = SVG_MAX_LANES;
	d.s = s;
	d.n = shown;
	/* 2% room after the last event, so that a state it starts shows */
	d.T = (s->t_max >= 0.001 ? s->t_max : 0.001) * 1.02;
	d.lanes = calloc(shown ? shown : 1, sizeof(*d.lanes));
	d.keys = calloc(shown ? shown : 1, sizeof(*d.keys));
	if (!d.lanes || !d.keys) {
		free(d.lanes);
		free(d.keys);
		snprintf(err, errlen, "SVG: out of memory");
		return -1;
	}
	for (size_t i = 0; i < shown; i++) {
		d.lanes[i].r = &rs->v[i];
		d.lanes[i].cur = PS_UNKNOWN;
		d.keys[i] = (struct key){ rs->v[i].start, rs->v[i].mm_id, (uint32_t)i };
	}
	qsort(d.keys, shown, sizeof(*d.keys), key_cmp);
	/* Events arrive in batches (ring buffer, then pagemap samples): draw
	 * them in time order, keeping arrival order among equal times. */
	order = malloc((s->n ? s->n : 1) * sizeof(*order));
	if (!order) {
		snprintf(err, errlen, "SVG: out of memory");
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < s->n; i++)
		order[i] = (struct by_time){ s->ev[i].t, i };
	qsort(order, s->n, sizeof(*order), by_time_cmp);
	for (size_t i = 0; i < s->n && shown; i++)
		dispatch(&d, &s->ev[order[i].i]);

	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write SVG '%s': %s", path, strerror(errno));
		rc = -1;
		goto out;
	}
	y_end = y_lanes + (double)(shown ? shown : 1) * LANE_H;
	height = y_end + AXIS_H + LEGEND_H;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%s\" viewBox=\"0 0 %d %s\" font-family=\"sans-serif\">\n",
		SVG_W, num(a, height), SVG_W, num(b, height));
	fprintf(f, "<title>thptrace: huge page timeline</title>\n");
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%s\" fill=\"#ffffff\"/>\n", SVG_W, num(a, height));
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"15\" font-weight=\"bold\">thptrace: file-backed huge pages, one lane per 2 MiB region</text>\n",
		LABEL_X);
	fprintf(f, "<text x=\"%d\" y=\"37\" font-size=\"11\" fill=\"#444444\">%zu region%s, %s s traced",
		LABEL_X, rs ? rs->n : 0, rs && rs->n == 1 ? "" : "s", secs(t, s->t_max, 3));
	if (rs && rs->n > shown)
		fprintf(f, "; only the first %zu regions are drawn", shown);
	if (s->dropped)
		fprintf(f, "; the last %" PRIu64 " events are not drawn (more than %d)", s->dropped, SVG_MAX_EVENTS);
	if (s->lost)
		fprintf(f, "; %" PRIu64 " records were lost by the ring buffer", s->lost);
	fputs("</text>\n", f);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" font-weight=\"bold\">region, file</text>\n",
		LABEL_X, HEADER_H - 20);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" font-weight=\"bold\">verdict</text>\n",
		VERDICT_X, HEADER_H - 20);

	/* stripes, then the time grid, then the lanes on top */
	fputs("<g class=\"stripes\">\n", f);
	for (size_t i = 0; i < shown; i++)
		if (i % 2 == 0)
			fprintf(f, "<rect x=\"0\" y=\"%s\" width=\"%d\" height=\"%d\" fill=\"#f3f3f3\"/>\n",
				num(a, y_lanes + (double)i * LANE_H), SVG_W, LANE_H);
	fputs("</g>\n", f);
	draw_axis(f, &d, y_lanes, y_end);
	if (!shown)
		fprintf(f, "<text x=\"%d\" y=\"%s\" font-size=\"12\" fill=\"#555555\">no huge-page region of the target saw madvise or THP activity</text>\n",
			PLOT_X0 + 8, num(a, y_lanes + 18));
	for (size_t i = 0; i < shown; i++)
		draw_lane(f, &d, &d.lanes[i], i, y_lanes + (double)i * LANE_H);
	draw_legend(f, y_end + AXIS_H);
	fputs("</svg>\n", f);
	if (ferror(f) || d.oom) {
		snprintf(err, errlen, "cannot write SVG '%s': %s", path,
			 d.oom ? "out of memory" : strerror(errno ? errno : EIO));
		rc = -1;
	}
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write SVG '%s': %s", path, strerror(errno));
		rc = -1;
	}
out:
	for (size_t i = 0; i < shown; i++) {
		free(d.lanes[i].chg);
		free(d.lanes[i].marks);
	}
	free(d.lanes);
	free(d.keys);
	free(order);
	return rc;
}
