/* `thptrace report`: read the JSON Lines a live run wrote (here or on any
 * other machine), rebuild each struct thp_event exactly, and run them
 * through the same region state machine and sinks as trace.c does:
 * regions_feed -> output_event -> svg_trace_event, then regions_finish,
 * output_verdicts, output_summary and svg_trace_write.  The same events give
 * the same text, byte for byte.  No root, no BPF.
 *
 * Lines that are not events:
 *   "verdict", "probe"  skipped: verdicts are recomputed here
 *   "summary"           its counts, lost, exit_status and stopped are printed
 *                       as the live run printed them; without one, they are
 *                       counted from the events ("stopped: end of input")
 *   "context"           machine facts for the verdicts (struct thp_context),
 *                       and start_ns, the clock at the start, from which each
 *                       event's exact t is ts_ns - start_ns (JSON "t" has
 *                       only 6 decimals); each line sets the keys it has
 *   "region_file"       one region's backing-file facts (struct
 *                       region_file_info), looked up live from /proc
 * Without context lines every machine fact is unknown (-1 or ""). */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "model/event.h"
#include "util/jsonr.h"
#include "sinks/output.h"
#include "model/regions.h"
#include "cli/report.h"
#include "sinks/svg.h"

/* Exit statuses (also in the help text). */
#define RX_OK 0		/* every line parsed */
#define RX_BADLINES 1	/* report printed, but some lines could not be parsed */
#define RX_USAGE 2	/* bad command line, or the input cannot be opened or read */
#define RX_OUTPUT 6	/* the output or SVG file cannot be written (as for a live run) */

#define MAX_MESSAGES 20

struct pending_finfo {
	uint32_t mm_id;
	uint64_t start;
	struct region_file_info fi;
	char file[EV_FILE_LEN];
};

struct replay {
	struct regions rs;
	struct output out;
	struct svg_trace *svg;
	struct thp_context ctx;
	bool ctx_duration;		/* a context line gave duration_s */
	uint64_t start_ns;		/* the context's start_ns: CLOCK_MONOTONIC at trace start */
	bool have_start;
	struct run_summary sum;		/* the summary line's, when have_summary */
	bool have_summary;
	struct run_summary counted;	/* built from the events */
	double last_t;
	struct pending_finfo *pend;
	size_t n_pend, cap_pend;
	struct jsonr *j, *sub;
	unsigned long lineno, bad, messages;
};

/* ---- the command line ---- */

struct report_opts {
	const char *input;
	const char *out_path;
	const char *svg_path;
	bool json;
	bool all_faults;
};

enum { OPT_JSON = 256, OPT_SVG, OPT_ALL_FAULTS };

static const char report_doc[] =
"Replay a trace that thptrace saved as JSON Lines (thptrace --json -o F),\n"
"on this or any other machine: no root, no BPF.  Every event line goes\n"
"through the same region state machine as a live run, so the timeline, the\n"
"per-region verdicts and the summary come out as the live run printed them\n"
"(for the same events, byte for byte).  Verdict lines in the input are\n"
"ignored and recomputed; 'context' and 'region_file' lines, when the live\n"
"run wrote them, give the machine facts (THP sysfs knobs, tmpfs huge=\n"
"modes, file state) that a verdict may cite; without them those facts\n"
"count as unknown.\n"
"\n"
"Lines that cannot be parsed (not JSON, a line cut short, an unknown event\n"
"or a value of the wrong type) are left out and reported on standard error\n"
"as 'thptrace: report: line N: why' (the first 20, then a count); the\n"
"report is still printed.  Blank lines are ignored.  A SAVED.jsonl of '-'\n"
"reads standard input.\n"
"\n"
"EXAMPLES:\n"
"  sudo thptrace --json -o run.jsonl -- ./app   record (on the test machine)\n"
"  thptrace report run.jsonl                    timeline and verdicts, text\n"
"  thptrace report --svg run.svg run.jsonl      ... and draw the timeline\n"
"  thptrace report --json run.jsonl | jq -r 'select(.event==\"verdict\").reason'\n"
"  ssh box cat run.jsonl | thptrace report -\n"
"\n"
"Exit status: 0 every line parsed; 1 some lines could not be parsed (the\n"
"report is printed without them); 2 bad usage, or SAVED.jsonl cannot be\n"
"opened or read; 6 the -o or --svg file cannot be written.\n"
"\n"
"OPTIONS:";

static const struct argp_option report_options[] = {
	{ "json", OPT_JSON, NULL, 0,
	  "Write JSON Lines (the live schema) instead of text: events, recomputed verdicts, summary", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Also draw the timeline as an SVG picture into FILE (e.g. --svg run.svg)",
	  0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE instead of standard output", 0 },
	{ "all-faults", OPT_ALL_FAULTS, NULL, 0,
	  "Text: a line for every fault and filemap_map_pages, as a live run with --all-faults"
	  " (default: each region's first ones and a count)", 0 },
	{ 0 },
};

static error_t report_parse_opt(int key, char *arg, struct argp_state *st)
{
	struct report_opts *o = st->input;

	switch (key) {
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_ALL_FAULTS:
		o->all_faults = true;
		break;
	case OPT_SVG:
		if (!*arg)
			argp_error(st, "--svg needs a file name");
		o->svg_path = arg;
		break;
	case 'o':
		if (!*arg)
			argp_error(st, "-o needs a file name");
		o->out_path = arg;
		break;
	case ARGP_KEY_ARG:
		if (o->input)
			argp_error(st, "one saved file only ('%s' and '%s')", o->input, arg);
		o->input = arg;
		break;
	case ARGP_KEY_END:
		if (!o->input)
			argp_error(st, "which saved file? (e.g. thptrace report run.jsonl, or - for stdin)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- messages ---- */

__attribute__((format(printf, 2, 3)))
static void line_error(struct replay *rp, const char *fmt, ...)
{
	va_list ap;

	rp->bad++;
	if (++rp->messages > MAX_MESSAGES)
		return;
	fprintf(stderr, "thptrace: report: line %lu: ", rp->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- one line -> struct thp_event ---- */

/* Copy a decoded string into a fixed field, cut at a UTF-8 character
 * boundary if it is too long (only a foreign or edited file has that). */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = 0;
}

struct getter {
	struct jsonr *j;
	char *err;
	size_t errlen;
	int failed;
};

/* Each returns true when the key was present and valid; a present but
 * invalid key sets g->failed (and g->err). */
static bool get_u64(struct getter *g, const char *key, uint64_t *v)
{
	int rc = g->failed ? 0 : jsonr_u64(g->j, key, v, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	return rc > 0;
}

static bool get_u32(struct getter *g, const char *key, uint32_t *v)
{
	uint64_t x;

	if (!get_u64(g, key, &x))
		return false;
	if (x > UINT32_MAX) {
		snprintf(g->err, g->errlen, "\"%s\": %llu is out of range", key, (unsigned long long)x);
		g->failed = 1;
		return false;
	}
	*v = (uint32_t)x;
	return true;
}

static bool get_i64(struct getter *g, const char *key, int64_t *v)
{
	int rc = g->failed ? 0 : jsonr_i64(g->j, key, v, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	return rc > 0;
}

static bool get_i32(struct getter *g, const char *key, int32_t *v, int32_t lo, int32_t hi)
{
	int64_t x;

	if (!get_i64(g, key, &x))
		return false;
	if (x < lo || x > hi) {
		snprintf(g->err, g->errlen, "\"%s\": %lld is out of range", key, (long long)x);
		g->failed = 1;
		return false;
	}
	*v = (int32_t)x;
	return true;
}

static bool get_double(struct getter *g, const char *key, double *v)
{
	int rc = g->failed ? 0 : jsonr_double(g->j, key, v, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	return rc > 0;
}

static bool get_bool(struct getter *g, const char *key, bool *v)
{
	int rc = g->failed ? 0 : jsonr_bool(g->j, key, v, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	return rc > 0;
}

static bool get_str(struct getter *g, const char *key, char *dst, size_t cap)
{
	const char *s;
	int rc = g->failed ? 0 : jsonr_str(g->j, key, &s, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	if (rc <= 0)
		return false;
	copy_str(dst, cap, s);
	return true;
}

static bool get_hex(struct getter *g, const char *key, uint64_t *v)
{
	int rc = g->failed ? 0 : jsonr_hex(g->j, key, v, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	return rc > 0;
}

__attribute__((format(printf, 2, 3)))
static void get_fail(struct getter *g, const char *fmt, ...)
{
	va_list ap;

	if (g->failed)
		return;
	g->failed = 1;
	va_start(ap, fmt);
	vsnprintf(g->err, g->errlen, fmt, ap);
	va_end(ap);
}

/* Rebuild an event from the keys json_event (out_json.c) writes.  Each
 * EVF_* bit is set exactly when its key is present, so the event renders
 * again as the same text and the same JSON line. */
static int parse_event(struct jsonr *j, enum ev_kind kind, struct thp_event *ev, const uint64_t *start_ns,
		       char *err, size_t errlen)
{
	struct getter g = { j, err, errlen, 0 };
	char name[EV_NAME_LEN];
	uint64_t u;
	bool b, have_present, have_swap;

	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	if (!get_double(&g, "t", &ev->t) && !g.failed)
		get_fail(&g, "no \"t\" (seconds since the start)");
	if (get_u64(&g, "ts_ns", &ev->ts_ns) && start_ns && !g.failed) {
		/* "t" has 6 decimals; the live run computed with all of them
		 * (decoder_t).  From the exact clock, times and the durations
		 * between them come out bit for bit as live; unless the file was
		 * edited and the two disagree, then "t" is what was shown. */
		double t = ev->ts_ns >= *start_ns ? (double)(ev->ts_ns - *start_ns) / 1e9
						  : -(double)(*start_ns - ev->ts_ns) / 1e9;
		double diff = t - ev->t;

		if (diff < 0.6e-6 && diff > -0.6e-6)
			ev->t = t;
	}
	get_u32(&g, "pid", &ev->pid);
	get_u32(&g, "tgid", &ev->tgid);
	get_str(&g, "comm", ev->comm, sizeof(ev->comm));
	if (get_str(&g, "via", name, sizeof(name))) {
		ev->via = ev_via_from_name(name);
		if (ev->via == VIA_ID_NONE && strcmp(name, "none") != 0)
			get_fail(&g, "\"via\": unknown mechanism \"%s\"", name);
	}
	get_u32(&g, "mm", &ev->mm_id);
	get_u32(&g, "target_pid", &ev->target_pid);

	if (get_hex(&g, "addr", &ev->addr))
		ev->fields |= EVF_ADDR;
	if (get_u64(&g, "len", &ev->len))
		ev->fields |= EVF_LEN;
	if (get_i32(&g, "advice", &ev->behavior, INT32_MIN, INT32_MAX)) {
		ev->fields |= EVF_BEHAVIOR;
	} else if (get_str(&g, "behavior", name, sizeof(name))) {
		int b_nr = madv_from_name(name);

		if (b_nr < 0)
			get_fail(&g, "\"behavior\": unknown advice \"%s\" (and no \"advice\" number)", name);
		ev->behavior = b_nr;
		ev->fields |= EVF_BEHAVIOR;
	}
	if (get_str(&g, "file", ev->file, sizeof(ev->file)))
		ev->fields |= EVF_FILE;
	if (get_u64(&g, "ino", &ev->ino))
		ev->fields |= EVF_INODE;
	if (get_u32(&g, "dev", &ev->dev))
		ev->fields |= EVF_INODE;
	if (get_u64(&g, "pgoff", &ev->pgoff))
		ev->fields |= EVF_PGOFF;
	if (get_u64(&g, "pgoff_end", &ev->pgoff_end))
		ev->fields |= EVF_PGOFF_END;
	if (get_str(&g, "result", ev->result_name, sizeof(ev->result_name)))
		ev->fields |= EVF_RESULT;
	if (get_i32(&g, "result_code", &ev->result, INT32_MIN, INT32_MAX))
		ev->fields |= EVF_RESULT;
	if (get_i32(&g, "nr", &ev->nr, INT32_MIN, INT32_MAX))
		ev->fields |= EVF_NR;
	have_present = get_i32(&g, "present", &ev->present, INT32_MIN, INT32_MAX);
	have_swap = get_i32(&g, "swap", &ev->swap, INT32_MIN, INT32_MAX);
	/* A state sample writes "present" on its own; scans write both. */
	if (have_swap || (have_present && kind != EV_STATE))
		ev->fields |= EVF_PRESENT;
	if (get_u64(&g, "error_code", &ev->errcode))
		ev->fields |= EVF_ERRCODE;
	if (get_i64(&g, "ret", &ev->ret))
		ev->fields |= EVF_RET;
	if (get_bool(&g, "in_collapse", &b) && b)
		ev->fields |= EVF_IN_COLLAPSE;

	if (kind == EV_STATE) {
		ev->fields |= EVF_STATE;
		if (!get_hex(&g, "region", &ev->region) && !g.failed)
			get_fail(&g, "a state event needs \"region\"");
		if (get_str(&g, "state", name, sizeof(name))) {
			ev->state = page_state_from_name(name);
			if (ev->state == PS_UNKNOWN && strcmp(name, "unknown") != 0)
				get_fail(&g, "\"state\": unknown page state \"%s\"", name);
		} else if (!g.failed) {
			get_fail(&g, "a state event needs \"state\"");
		}
		get_bool(&g, "thp", &ev->thp);
	}
	if (kind == EV_LOST && get_u64(&g, "count", &u))
		ev->count = u;
	return g.failed ? -1 : 0;
}

/* ---- the other lines ---- */

static int parse_summary(struct replay *rp, char *err, size_t errlen)
{
	struct getter g = { rp->j, err, errlen, 0 };
	struct run_summary s;
	const struct jsonr_member *c;
	int32_t status;
	int64_t fs;

	memset(&s, 0, sizeof(s));
	s.exit_status = -1;
	get_double(&g, "t", &s.t);
	if (!get_str(&g, "stopped", s.stop_reason, sizeof(s.stop_reason)))
		snprintf(s.stop_reason, sizeof(s.stop_reason), "end of input");
	if (get_i32(&g, "exit_status", &status, INT32_MIN, INT32_MAX))
		s.exit_status = status;
	get_u64(&g, "lost", &s.lost);
	if (get_i64(&g, "full_scans_end", &fs))
		rp->ctx.full_scans_end = (long)fs;
	if (g.failed)
		return -1;
	c = jsonr_get(rp->j, "counts");
	if (c && c->type != JSONR_OBJECT) {
		snprintf(err, errlen, "\"counts\": expected an object");
		return -1;
	}
	if (c) {
		char e2[200];

		if (jsonr_parse(rp->sub, c->raw, c->raw_len, e2, sizeof(e2)) < 0) {
			snprintf(err, errlen, "\"counts\": %s", e2);
			return -1;
		}
		for (size_t k = 0; k < rp->sub->n; k++) {
			enum ev_kind kind = ev_kind_from_name(rp->sub->m[k].key);
			uint64_t v;

			/* Counts of kinds this version does not know are not printed. */
			if (kind <= EV_NONE || kind >= EV_LOST)
				continue;
			if (jsonr_u64(rp->sub, rp->sub->m[k].key, &v, e2, sizeof(e2)) < 0) {
				snprintf(err, errlen, "\"counts\": %s", e2);
				return -1;
			}
			s.counts[kind] = v;
		}
	}
	rp->sum = s;
	rp->have_summary = true;
	return 0;
}

static int parse_context(struct replay *rp, char *err, size_t errlen)
{
	struct getter g = { rp->j, err, errlen, 0 };
	struct thp_context c = rp->ctx;
	uint64_t start;
	bool have_start;
	int32_t ro;
	int64_t v;

	get_str(&g, "thp_enabled", c.thp_enabled, sizeof(c.thp_enabled));
	get_str(&g, "shmem_enabled", c.shmem_enabled, sizeof(c.shmem_enabled));
	get_str(&g, "defrag", c.defrag, sizeof(c.defrag));
	if (get_i64(&g, "scan_sleep_ms", &v))
		c.scan_sleep_ms = (long)v;
	if (get_i64(&g, "pages_to_scan", &v))
		c.pages_to_scan = (long)v;
	if (get_i64(&g, "full_scans_start", &v))
		c.full_scans_start = (long)v;
	if (get_i64(&g, "full_scans_end", &v))
		c.full_scans_end = (long)v;
	if (get_i32(&g, "read_only_thp_for_fs", &ro, -1, 1))
		c.read_only_thp_for_fs = ro;
	if (get_double(&g, "duration_s", &c.duration_s))
		rp->ctx_duration = true;
	have_start = get_u64(&g, "start_ns", &start);
	if (g.failed)
		return -1;
	rp->ctx = c;
	if (have_start) {
		rp->start_ns = start;
		rp->have_start = true;
	}
	return 0;
}

static void apply_finfo(struct region *r, const struct pending_finfo *p)
{
	r->finfo = p->fi;
	r->have_finfo = true;
	if (!r->file[0] && p->file[0])
		snprintf(r->file, sizeof(r->file), "%s", p->file);
}

static int parse_region_file(struct replay *rp, char *err, size_t errlen)
{
	struct getter g = { rp->j, err, errlen, 0 };
	struct pending_finfo p;
	struct region *r;
	int32_t v;

	memset(&p, 0, sizeof(p));
	p.fi.is_shmem = p.fi.open_for_write = p.fi.fully_mapped = p.fi.file_aligned = -1;
	get_u32(&g, "mm", &p.mm_id);
	if (!get_hex(&g, "region", &p.start) && !g.failed)
		get_fail(&g, "a region_file line needs \"region\"");
	get_str(&g, "file", p.file, sizeof(p.file));
	get_str(&g, "tmpfs_huge", p.fi.tmpfs_huge, sizeof(p.fi.tmpfs_huge));
	if (get_i32(&g, "is_shmem", &v, -1, 1))
		p.fi.is_shmem = v;
	if (get_i32(&g, "open_for_write", &v, -1, 1))
		p.fi.open_for_write = v;
	if (get_i32(&g, "fully_mapped", &v, -1, 1))
		p.fi.fully_mapped = v;
	if (get_i32(&g, "file_aligned", &v, -1, 1))
		p.fi.file_aligned = v;
	if (g.failed)
		return -1;
	p.start &= THP_REGION_MASK;
	/* The live run looks these up when a region first shows up: the line
	 * may come just before or just after the event that created it. */
	r = regions_find(&rp->rs, p.mm_id, p.start);
	if (r) {
		if (!r->have_finfo)
			apply_finfo(r, &p);
		return 0;
	}
	if (rp->n_pend == rp->cap_pend) {
		size_t cap = rp->cap_pend ? rp->cap_pend * 2 : 16;
		struct pending_finfo *v2 = realloc(rp->pend, cap * sizeof(*v2));

		if (!v2) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rp->pend = v2;
		rp->cap_pend = cap;
	}
	rp->pend[rp->n_pend++] = p;
	return 0;
}

static void take_pending(struct replay *rp, struct region *r)
{
	for (size_t k = 0; k < rp->n_pend; k++) {
		if (rp->pend[k].mm_id != r->mm_id || rp->pend[k].start != r->start)
			continue;
		apply_finfo(r, &rp->pend[k]);
		rp->pend[k] = rp->pend[--rp->n_pend];
		return;
	}
}

/* ---- the replay ---- */

static void feed(struct replay *rp, const struct thp_event *ev)
{
	struct region *r = regions_feed(&rp->rs, ev);

	if (r && !r->have_finfo && rp->n_pend)
		take_pending(rp, r);
	rp->counted.counts[ev->kind]++;
	if (ev->kind == EV_LOST)
		rp->counted.lost += ev->count;
	if (ev->t > rp->last_t)
		rp->last_t = ev->t;
	output_event(&rp->out, ev);
	if (rp->svg)
		svg_trace_event(rp->svg, ev);
}

/* Echo a line this program understands but does not rebuild (context,
 * region_file) into JSON output, so that a replay's JSON replays again. */
static void echo(struct replay *rp, const char *line, size_t len)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (rp->out.json && !rp->out.err) {
		fprintf(rp->out.f, "%.*s\n", (int)len, line);
		if (ferror(rp->out.f))
			rp->out.err = errno ? errno : EIO;
	}
}

static void handle_line(struct replay *rp, const char *line, size_t len, bool complete)
{
	char err[256], kind_name[32];
	struct getter g = { rp->j, err, sizeof(err), 0 };
	struct thp_event ev;
	enum ev_kind kind;

	if (jsonr_parse(rp->j, line, len, err, sizeof(err)) < 0) {
		if (!complete)
			line_error(rp, "incomplete last line (the file was cut short?): %s", err);
		else
			line_error(rp, "not a JSON object: %s", err);
		return;
	}
	if (!get_str(&g, "event", kind_name, sizeof(kind_name))) {
		line_error(rp, "%s", g.failed ? err : "no \"event\" key");
		return;
	}
	if (!strcmp(kind_name, "verdict") || !strcmp(kind_name, "probe"))
		return;
	if (!strcmp(kind_name, "summary")) {
		if (parse_summary(rp, err, sizeof(err)) < 0)
			line_error(rp, "summary: %s", err);
		return;
	}
	if (!strcmp(kind_name, "context")) {
		if (parse_context(rp, err, sizeof(err)) < 0)
			line_error(rp, "context: %s", err);
		else
			echo(rp, line, len);
		return;
	}
	if (!strcmp(kind_name, "region_file")) {
		if (parse_region_file(rp, err, sizeof(err)) < 0)
			line_error(rp, "region_file: %s", err);
		else
			echo(rp, line, len);
		return;
	}
	kind = ev_kind_from_name(kind_name);
	if (kind <= EV_NONE || kind > EV_LOST) {
		line_error(rp, "unknown event \"%s\"", kind_name);
		return;
	}
	if (parse_event(rp->j, kind, &ev, rp->have_start ? &rp->start_ns : NULL, err, sizeof(err)) < 0) {
		line_error(rp, "%s: %s", kind_name, err);
		return;
	}
	feed(rp, &ev);
}

static bool blank(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
			return false;
	return true;
}

/* Read every line of f; lines longer than JSONR_MAX_LINE are reported and
 * skipped without being held in memory.  Returns 0, or -1 on a read error. */
static int read_lines(struct replay *rp, FILE *f, char *buf)
{
	size_t len = 0;
	bool too_long = false;
	int c;

	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF || c == '\n') {
			bool complete = c == '\n';

			if (c == EOF && ferror(f))
				return -1;
			if (c == EOF && len == 0 && !too_long)
				return 0;
			rp->lineno++;
			if (too_long)
				line_error(rp, "longer than %d bytes: not a line thptrace writes", JSONR_MAX_LINE);
			else if (!blank(buf, len))
				handle_line(rp, buf, len, complete);
			len = 0;
			too_long = false;
			if (c == EOF)
				return 0;
			continue;
		}
		if (too_long)
			continue;
		if (len >= JSONR_MAX_LINE) {
			too_long = true;
			continue;
		}
		buf[len++] = (char)c;
	}
}

static void ctx_unknown(struct thp_context *c)
{
	memset(c, 0, sizeof(*c));
	c->scan_sleep_ms = c->pages_to_scan = -1;
	c->full_scans_start = c->full_scans_end = -1;
	c->read_only_thp_for_fs = -1;
	c->duration_s = -1;
}

static bool same_file(FILE *in, const char *path)
{
	struct stat a, b;

	return path && fstat(fileno(in), &a) == 0 && stat(path, &b) == 0 && S_ISREG(a.st_mode) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int report_main(int argc, char **argv)
{
	static const struct argp argp = { report_options, report_parse_opt, "SAVED.jsonl", report_doc,
					  NULL, NULL, NULL };
	struct report_opts o = { 0 };
	struct replay rp;
	char **av, *buf = NULL;
	FILE *in, *outf;
	int rc = RX_OK;

	/* argp names itself after argv[0]: make usage say "thptrace report". */
	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av)
		return RX_USAGE;
	for (int k = 0; k < argc; k++)
		av[k] = argv[k];
	av[0] = (char *)"thptrace report";
	argp_err_exit_status = RX_USAGE;
	if (argp_parse(&argp, argc, av, 0, NULL, &o) != 0) {
		free(av);
		return RX_USAGE;
	}
	free(av);

	if (strcmp(o.input, "-") == 0) {
		in = stdin;
	} else if (!(in = fopen(o.input, "r"))) {
		fprintf(stderr, "thptrace: report: cannot open '%s': %s\n", o.input, strerror(errno));
		return RX_USAGE;
	}
	if (same_file(in, o.out_path) || same_file(in, o.svg_path)) {
		fprintf(stderr, "thptrace: report: '%s' is the input: refusing to overwrite it\n",
			same_file(in, o.out_path) ? o.out_path : o.svg_path);
		if (in != stdin)
			fclose(in);
		return RX_USAGE;
	}
	outf = o.out_path ? fopen(o.out_path, "w") : stdout;
	if (!outf) {
		fprintf(stderr, "thptrace: report: cannot write '%s': %s\n", o.out_path, strerror(errno));
		if (in != stdin)
			fclose(in);
		return RX_OUTPUT;
	}

	memset(&rp, 0, sizeof(rp));
	regions_init(&rp.rs);
	ctx_unknown(&rp.ctx);
	rp.counted.exit_status = -1;
	snprintf(rp.counted.stop_reason, sizeof(rp.counted.stop_reason), "end of input");
	output_init(&rp.out, outf, o.json, !o.out_path && isatty(fileno(stdout)));
	rp.out.all_faults = o.all_faults;
	rp.j = malloc(sizeof(*rp.j));
	rp.sub = malloc(sizeof(*rp.sub));
	buf = malloc(JSONR_MAX_LINE + 1);
	if (o.svg_path)
		rp.svg = svg_trace_new();
	if (!rp.j || !rp.sub || !buf || (o.svg_path && !rp.svg)) {
		fprintf(stderr, "thptrace: report: out of memory\n");
		rc = RX_USAGE;
		goto out;
	}

	if (read_lines(&rp, in, buf) < 0) {
		fprintf(stderr, "thptrace: report: cannot read '%s': %s\n", o.input, strerror(errno));
		rc = RX_USAGE;
		goto out;
	}

	/* region_file lines whose region appeared only later (orphans). */
	for (size_t k = 0; k < rp.n_pend;) {
		struct region *r = regions_find(&rp.rs, rp.pend[k].mm_id, rp.pend[k].start);

		if (r && !r->have_finfo) {
			apply_finfo(r, &rp.pend[k]);
			rp.pend[k] = rp.pend[--rp.n_pend];
		} else {
			k++;
		}
	}
	if (!rp.have_summary) {
		rp.sum = rp.counted;
		rp.sum.t = rp.last_t;
	}
	if (!rp.ctx_duration)
		rp.ctx.duration_s = rp.sum.t;
	regions_finish(&rp.rs, &rp.ctx);
	output_verdicts(&rp.out, &rp.rs);
	output_summary(&rp.out, &rp.sum);
	if (fflush(rp.out.f) != 0 && !rp.out.err)
		rp.out.err = errno ? errno : EIO;
	if (rp.out.err) {
		if (rp.out.err != EPIPE)
			fprintf(stderr, "thptrace: report: cannot write '%s': %s\n",
				o.out_path ? o.out_path : "standard output", strerror(rp.out.err));
		rc = RX_OUTPUT;
	}
	if (rp.svg) {
		char err[256];

		if (svg_trace_write(rp.svg, &rp.rs, o.svg_path, err, sizeof(err)) < 0) {
			fprintf(stderr, "thptrace: report: %s\n", err);
			rc = RX_OUTPUT;
		}
	}
	if (rp.bad) {
		if (rp.messages > MAX_MESSAGES)
			fprintf(stderr, "thptrace: report: ... and %lu more unparseable lines not shown\n",
				rp.messages - MAX_MESSAGES);
		fprintf(stderr,
			"thptrace: report: %lu of %lu lines could not be parsed and were left out of the report\n",
			rp.bad, rp.lineno);
		if (rc == RX_OK)
			rc = RX_BADLINES;
	}
out:
	if (outf != stdout && fclose(outf) != 0 && rc == RX_OK) {
		fprintf(stderr, "thptrace: report: cannot write '%s': %s\n", o.out_path, strerror(errno));
		rc = RX_OUTPUT;
	}
	if (in != stdin)
		fclose(in);
	regions_free(&rp.rs);
	svg_trace_free(rp.svg);
	free(rp.pend);
	free(rp.j);
	free(rp.sub);
	free(buf);
	return rc;
}
