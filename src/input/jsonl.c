/* JSON Lines back into events (see jsonl.h).
 *
 * Lines that are not plain events:
 *   "verdict", "mapping", "probe"  skipped: verdicts and mappings are recomputed
 *   "summary"           its counts, lost, exit_status and stopped
 *   "context"           machine facts for the verdicts (struct thp_context),
 *                       merged line by line (each sets the keys it has), and
 *                       start_ns, the clock at the start, from which each
 *                       event's exact t is ts_ns - start_ns (JSON "t" has
 *                       only 6 decimals); a line with start_ns is the
 *                       opening one, one without it the end one; the
 *                       opening one's "time" is the wall clock then
 *   "region_file"       one region's backing-file facts
 *
 * Every line may have "schema_version" (none: 1); a line of a version
 * above THPTRACE_JSON_SCHEMA_VERSION is JL_TOO_NEW, and the caller stops. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "input/jsonl.h"
#include "sinks/json_schema.h"
#include "sinks/out_json_anon.h"
#include "util/walltime.h"

void jsonl_init(struct jsonl_reader *jr)
{
	memset(jr, 0, sizeof(*jr));
	jr->ctx.scan_sleep_ms = jr->ctx.pages_to_scan = -1;
	jr->ctx.full_scans_start = jr->ctx.full_scans_end = -1;
	jr->ctx.read_only_thp_for_fs = -1;
	jr->ctx.duration_s = -1;
}

/* ---- typed getters ---- */

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

/* A settings line's string: required, and whole (cut short, it would not
 * be written back as it was read). */
static void get_whole_str(struct getter *g, const char *key, char *dst, size_t cap)
{
	const char *s;
	int rc = g->failed ? 0 : jsonr_str(g->j, key, &s, g->err, g->errlen);

	if (rc < 0)
		g->failed = 1;
	else if (rc == 0)
		get_fail(g, "a settings event needs \"%s\"", key);
	else if (strlen(s) >= cap)
		get_fail(g, "\"%s\": longer than %zu bytes", key, cap - 1);
	else
		memcpy(dst, s, strlen(s) + 1);
}

/* Rebuild an event from the keys json_event (out_json.c) writes.  Each
 * EVF_* bit is set exactly when its key is present, so the event renders
 * again as the same text and the same JSON line. */

/* ---- one line -> struct thp_event ---- */

static int parse_event(struct jsonr *j, enum ev_kind kind, struct thp_event *ev, const uint64_t *start_ns,
		       char *err, size_t errlen)
{
	struct getter g = { j, err, errlen, 0 };
	char name[EV_NAME_LEN];
	uint64_t u;
	bool b, have_present, have_swap;
	int32_t i32;

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
	if (get_u64(&g, "faults_unrecorded", &ev->faults_unrecorded))
		ev->fields |= EVF_UNRECORDED;
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
	/* A state sample has "present" of its own and no "swap" (a foreign
	 * line with one would write "present" twice on the way back). */
	if ((have_swap || have_present) && kind != EV_STATE)
		ev->fields |= EVF_PRESENT;
	if (get_u64(&g, "error_code", &ev->errcode))
		ev->fields |= EVF_ERRCODE;
	if (get_hex(&g, "new_addr", &ev->new_addr) | get_u64(&g, "new_len", &ev->new_len))
		ev->fields |= EVF_NEW_RANGE;
	if (get_i32(&g, "prot", &ev->prot, INT32_MIN, INT32_MAX))
		ev->fields |= EVF_PROT;
	if (get_i32(&g, "flags", &ev->flags, INT32_MIN, INT32_MAX))
		ev->fields |= EVF_FLAGS;
	if (get_i32(&g, "order", &ev->order, 0, 63))
		ev->fields |= EVF_ORDER;
	if (get_i32(&g, "new_order", &ev->new_order, 0, 63))
		ev->fields |= EVF_ORDER;
	if (get_i64(&g, "thp_split_pmd_delta", &ev->split_pmd_delta) &
	    get_double(&g, "vmstat_since_t", &ev->vmstat_since_t))
		ev->fields |= EVF_VMSTAT;
	if (get_i64(&g, "ret", &ev->ret))
		ev->fields |= EVF_RET;
	/* anonymous memory (out_json_anon.c) */
	ev->referenced = ev->none_or_zero = ev->unmapped = ev->isolated = -1;
	if (get_i32(&g, "referenced", &ev->referenced, INT32_MIN, INT32_MAX) |
	    get_i32(&g, "none_or_zero", &ev->none_or_zero, INT32_MIN, INT32_MAX) |
	    get_i32(&g, "unmapped", &ev->unmapped, INT32_MIN, INT32_MAX) |
	    get_i32(&g, "isolated", &ev->isolated, INT32_MIN, INT32_MAX))
		ev->fields |= EVF_ANON_SCAN;
	if (get_bool(&g, "addr_inferred", &b) && b)
		ev->fields |= EVF_ADDR_GUESS;
	if (get_i64(&g, "fault_alloc_delta", &ev->fault_alloc_delta) &
	    get_i64(&g, "fault_fallback_delta", &ev->fault_fallback_delta) &
	    get_i64(&g, "fault_fallback_charge_delta", &ev->fault_charge_delta) &
	    get_double(&g, "faultstat_since_t", &ev->faultstat_since_t))
		ev->fields |= EVF_FAULTSTAT;
	if (get_str(&g, "folio_sizes", name, sizeof(name))) {
		ev->folio_orders = folio_sizes_parse(name);
		ev->fields |= EVF_FOLIOS;
	}
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
		ev->thp_eligible = -1;
		if (get_bool(&g, "vm_hugepage", &b)) {
			ev->vm_hugepage = b;
			ev->fields |= EVF_VMFLAGS;
		}
		if (get_bool(&g, "vm_nohugepage", &b)) {
			ev->vm_nohugepage = b;
			ev->fields |= EVF_VMFLAGS;
		}
		if (get_i32(&g, "thp_eligible", &i32, 0, 1)) {
			ev->thp_eligible = (int8_t)i32;
			ev->fields |= EVF_VMFLAGS;
		}
		if ((get_hex(&g, "map_start", &ev->map_start) & get_hex(&g, "map_end", &ev->map_end)) &&
		    ev->map_end <= ev->map_start && !g.failed)
			get_fail(&g, "\"map_end\" must be above \"map_start\"");
	}
	if (kind == EV_LOST && get_u64(&g, "count", &u))
		ev->count = u;
	if (kind == EV_SETTINGS) {
		ev->fields |= EVF_KNOB;
		get_whole_str(&g, "knob", ev->knob, sizeof(ev->knob));
		get_whole_str(&g, "value", ev->value, sizeof(ev->value));
		get_whole_str(&g, "old", ev->old_value, sizeof(ev->old_value));
	}
	return g.failed ? -1 : 0;
}

/* ---- the other lines ---- */


/* ---- the other lines ---- */

static int parse_summary(struct jsonl_reader *jr, struct run_summary *out, char *err, size_t errlen)
{
	struct getter g = { &jr->j, err, errlen, 0 };
	struct run_summary s;
	const struct jsonr_member *c;
	int32_t status;
	int64_t fs;

	memset(&s, 0, sizeof(s));
	s.exit_status = -1;
	s.faults_unrecorded = -1;
	get_double(&g, "t", &s.t);
	if (!get_str(&g, "stopped", s.stop_reason, sizeof(s.stop_reason)))
		snprintf(s.stop_reason, sizeof(s.stop_reason), "end of input");
	if (get_i32(&g, "exit_status", &status, INT32_MIN, INT32_MAX))
		s.exit_status = status;
	get_u64(&g, "lost", &s.lost);
	if (get_i64(&g, "faults_unrecorded", &s.faults_unrecorded) && s.faults_unrecorded < 0) {
		snprintf(err, errlen, "\"faults_unrecorded\": negative");
		return -1;
	}
	if (get_i64(&g, "full_scans_end", &fs))
		jr->ctx.full_scans_end = (long)fs;
	if (g.failed)
		return -1;
	c = jsonr_get(&jr->j, "counts");
	if (c && c->type != JSONR_OBJECT) {
		snprintf(err, errlen, "\"counts\": expected an object");
		return -1;
	}
	if (c) {
		struct jsonr *sub = &jr->sub;
		char e2[120];

		if (jsonr_parse(sub, c->raw, c->raw_len, e2, sizeof(e2)) < 0) {
			snprintf(err, errlen, "\"counts\": %s", e2);
			return -1;
		}
		for (size_t k = 0; k < sub->n; k++) {
			enum ev_kind kind = ev_kind_from_name(sub->m[k].key);
			uint64_t v;

			/* Counts of kinds this version does not know are not printed. */
			if (kind <= EV_NONE || kind >= EV_LOST)
				continue;
			if (jsonr_u64(sub, sub->m[k].key, &v, e2, sizeof(e2)) < 0) {
				snprintf(err, errlen, "\"counts\": %s", e2);
				return -1;
			}
			s.counts[kind] = v;
		}
	}
	*out = s;
	return 0;
}


static int parse_context(struct jsonl_reader *jr, bool *at_end, char *err, size_t errlen)
{
	struct getter g = { &jr->j, err, errlen, 0 };
	struct thp_context c = jr->ctx;
	int settings = 0;		/* keys of the opening line seen */
	uint64_t start;
	bool have_start;
	int32_t ro;
	int64_t v, wall_us = 0;
	char time[40];

	settings += get_str(&g, "thp_enabled", c.thp_enabled, sizeof(c.thp_enabled));
	settings += get_str(&g, "shmem_enabled", c.shmem_enabled, sizeof(c.shmem_enabled));
	settings += get_str(&g, "defrag", c.defrag, sizeof(c.defrag));
	if (get_i64(&g, "scan_sleep_ms", &v))
		c.scan_sleep_ms = (long)v, settings++;
	if (get_i64(&g, "pages_to_scan", &v))
		c.pages_to_scan = (long)v, settings++;
	if (get_i64(&g, "full_scans_start", &v))
		c.full_scans_start = (long)v, settings++;
	if (get_i64(&g, "full_scans_end", &v))
		c.full_scans_end = (long)v;
	if (get_i32(&g, "read_only_thp_for_fs", &ro, -1, 1))
		c.read_only_thp_for_fs = ro, settings++;
	if (get_i64(&g, "max_ptes_none", &v))
		c.max_ptes_none = (long)v, c.have_max_ptes = true;
	if (get_i64(&g, "max_ptes_swap", &v))
		c.max_ptes_swap = (long)v;
	if (get_i64(&g, "max_ptes_shared", &v))
		c.max_ptes_shared = (long)v;
	get_str(&g, "mthp_enabled", c.mthp_enabled, sizeof(c.mthp_enabled));
	get_bool(&g, "streaming", &c.streaming);
	get_double(&g, "duration_s", &c.duration_s);
	have_start = get_u64(&g, "start_ns", &start);
	/* the opening line's "time" is the wall clock at start_ns: every
	 * line's "time" is computed from it again */
	if (have_start && get_str(&g, "time", time, sizeof(time)) && walltime_parse(time, &wall_us) < 0)
		get_fail(&g, "\"time\": \"%s\" is not YYYY-MM-DDTHH:MM:SS.ffffffZ", time);
	if (g.failed)
		return -1;
	jr->ctx = c;
	/* The live run writes start_ns and the settings first, and only
	 * full_scans_end and duration_s at the end; a line of another tool's
	 * with settings but no start_ns still sets them. */
	*at_end = !have_start && !settings;
	if (have_start) {
		jr->start_ns = start;
		jr->have_start = true;
		jr->wall_start_us = wall_us;
	}
	return 0;
}

/* The live run looks these up when a region first shows up; the model
 * keeps them until their region exists. */
static int parse_region_file(struct jsonl_reader *jr, struct thp_event *ev, char *err, size_t errlen)
{
	struct getter g = { &jr->j, err, errlen, 0 };
	struct region_file_info *fi = &ev->finfo;
	int32_t v;

	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_REGION_FILE;
	fi->is_shmem = fi->open_for_write = fi->fully_mapped = fi->file_aligned = -1;
	get_u32(&g, "mm", &ev->mm_id);
	if (!get_hex(&g, "region", &ev->region) && !g.failed)
		get_fail(&g, "a region_file line needs \"region\"");
	get_str(&g, "file", ev->file, sizeof(ev->file));
	get_str(&g, "tmpfs_huge", fi->tmpfs_huge, sizeof(fi->tmpfs_huge));
	if (get_i32(&g, "is_shmem", &v, -1, 1))
		fi->is_shmem = v;
	if (get_i32(&g, "open_for_write", &v, -1, 1))
		fi->open_for_write = v;
	if (get_i32(&g, "fully_mapped", &v, -1, 1))
		fi->fully_mapped = v;
	if (get_i32(&g, "file_aligned", &v, -1, 1))
		fi->file_aligned = v;
	if (get_i32(&g, "thp_disabled", &v, 0, 1))
		fi->thp_disabled = v;
	if (g.failed)
		return -1;
	ev->region &= THP_REGION_MASK;
	return 0;
}

/* A pmd_split or pmd_zap the model inferred (not one a probe saw). */
static bool inferred(struct jsonl_reader *jr)
{
	char e[80];
	bool b = false;

	return jsonr_bool(&jr->j, "inferred", &b, e, sizeof(e)) > 0 && b;
}

__attribute__((format(printf, 3, 4)))
static enum jsonl_line fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return JL_ERROR;
}

enum jsonl_line jsonl_parse(struct jsonl_reader *jr, const char *line, size_t len, bool complete,
			    struct thp_event *ev, struct run_summary *sum, char *err, size_t errlen)
{
	char why[160], kind_name[32];
	struct getter g = { &jr->j, why, sizeof(why), 0 };
	enum ev_kind kind;
	uint64_t version = THPTRACE_JSON_SCHEMA_VERSION;
	bool at_end;

	if (jsonr_parse(&jr->j, line, len, why, sizeof(why)) < 0)
		return complete ? fail(err, errlen, "not a JSON object: %s", why)
				: fail(err, errlen, "incomplete last line (the file was cut short?): %s", why);
	/* Before anything else of the line: a later version may have changed
	 * what any other key means.  No key: written before the key existed,
	 * which is version 1. */
	if (get_u64(&g, "schema_version", &version) && version > THPTRACE_JSON_SCHEMA_VERSION) {
		fail(err, errlen, "schema_version %llu: written by a newer thptrace (this one reads %d)",
		     (unsigned long long)version, THPTRACE_JSON_SCHEMA_VERSION);
		return JL_TOO_NEW;
	}
	if (!g.failed && version == 0)
		get_fail(&g, "\"schema_version\": 0 is no version (they start at 1)");
	if (g.failed)
		return fail(err, errlen, "%s", why);
	if (!get_str(&g, "event", kind_name, sizeof(kind_name)))
		return fail(err, errlen, "%s", g.failed ? why : "no \"event\" key");
	/* verdicts and what the model inferred (pmd_split, pmd_zap) are
	 * computed again from the events */
	if (!strcmp(kind_name, "verdict") || !strcmp(kind_name, "probe") || !strcmp(kind_name, "mapping"))
		return JL_SKIP;
	if ((!strcmp(kind_name, "pmd_split") || !strcmp(kind_name, "pmd_zap")) && inferred(jr))
		return JL_SKIP;
	if (!strcmp(kind_name, "summary"))
		return parse_summary(jr, sum, why, sizeof(why)) < 0
			? fail(err, errlen, "summary: %s", why) : JL_SUMMARY;
	if (!strcmp(kind_name, "context")) {
		if (parse_context(jr, &at_end, why, sizeof(why)) < 0)
			return fail(err, errlen, "context: %s", why);
		memset(ev, 0, sizeof(*ev));
		ev->kind = EV_CONTEXT;
		ev->ctx = &jr->ctx;
		ev->start_ns = jr->start_ns;
		ev->wall_start_us = jr->wall_start_us;
		ev->ctx_end = at_end;
		return JL_EVENT;
	}
	if (!strcmp(kind_name, "region_file"))
		return parse_region_file(jr, ev, why, sizeof(why)) < 0
			? fail(err, errlen, "region_file: %s", why) : JL_EVENT;
	kind = ev_kind_from_name(kind_name);
	if (kind <= EV_NONE || kind > EV_LOST)
		return fail(err, errlen, "unknown event \"%s\"", kind_name);
	if (parse_event(&jr->j, kind, ev, jr->have_start ? &jr->start_ns : NULL, why, sizeof(why)) < 0)
		return fail(err, errlen, "%s: %s", kind_name, why);
	return JL_EVENT;
}
