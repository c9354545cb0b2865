/* Text and JSON by mapping (the default; --by region prints every region):
 * one summary per mapping, then the regions whose verdict differs from
 * their mapping's majority, grouped by verdict; and the timeline's lines
 * folded per mapping and kind once a few are shown.  Renders the model's
 * mappings (model/mappings.h); the words are explain.c's. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/explain.h"
#include "sinks/jsonw.h"
#include "sinks/output.h"
#include "util/textbuf.h"

/* ---- the timeline, folded per mapping ---- */

/* What a line is folded with: the lines of one kind about one file (or
 * anonymous memory) of one process.  Known while streaming, unlike the
 * mappings, which are only grouped at the end. */
static uint64_t file_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

bool fold_by_mapping(struct output *o, const struct thp_event *ev, const struct region *r)
{
	struct mapping_fold *fo = o->folds;
	uint64_t key;
	size_t i, free_at = MAPPING_FOLDS;

	if (o->by_region || o->all_faults || ev->kind == EV_EXIT || ev->kind == EV_EXEC)
		return false;
	/* faults outside every region: the heaps and stacks of the process
	 * that are no THP story, counted together */
	if (!r && ev->kind != EV_FAULT && ev->kind != EV_MAP_PAGES)
		return false;
	key = r ? file_key(r->file) : 1;
	uint32_t mm = r ? r->mm_id : ev->mm_id;
	for (i = 0; i < MAPPING_FOLDS; i++) {
		if (!fo[i].used) {
			free_at = free_at < i ? free_at : i;
			break;
		}
		if (fo[i].mm_id == mm && fo[i].file_key == key && fo[i].kind == ev->kind)
			break;
	}
	if (i == MAPPING_FOLDS) {
		if (free_at == MAPPING_FOLDS)
			return false;	/* table full: shown as they come */
		i = free_at;
	}
	if (!fo[i].used)
		fo[i] = (struct mapping_fold){ .used = true, .mm_id = mm, .file_key = key, .kind = ev->kind };
	if (!fo[i].what[0])
		snprintf(fo[i].what, sizeof(fo[i].what), "%.63s",
			 !r ? "memory outside every THP region" : r->file[0] ? r->file : "anonymous memory");
	fo[i].last_t = ev->t;
	if (fo[i].shown < MAPPING_FOLD_SHOWN) {
		fo[i].shown++;
		return false;
	}
	fo[i].folded++;
	return true;
}

void fold_by_mapping_flush(struct output *o)
{
	bool any = false;

	for (size_t i = 0; i < MAPPING_FOLDS && o->folds[i].used; i++) {
		const struct mapping_fold *fo = &o->folds[i];

		if (!fo->folded)
			continue;
		if (!any)
			fprintf(o->f, "\nfolded (the first %d lines of each kind per file, or anonymous memory, of each process are shown; --by region shows every line):\n",
				MAPPING_FOLD_SHOWN);
		any = true;
		fprintf(o->f, "  %" PRIu64 " more %s of %s (mm %u), until %.6f\n", fo->folded,
			ev_kind_name(fo->kind), fo->what, fo->mm_id, fo->last_t);
	}
}

/* ---- the verdicts, by mapping ---- */

/* Regions of m with verdict v, as address runs: "0xf8400000-0xfe000000
 * (47), 0xff000000"; at most `max` runs, then "...". */
static void runs(const struct regions *rs, const struct mapping *m, enum verdict_reason v, char *out,
		 size_t len, int max)
{
	int shown = 0;

	out[0] = 0;
	for (size_t i = 0; i < m->n;) {
		const struct region *r = &rs->v[m->members[i]];
		size_t j = i + 1, n = 1;

		if (r->reason != v) {
			i++;
			continue;
		}
		while (j < m->n && rs->v[m->members[j]].reason == v &&
		       rs->v[m->members[j]].start == rs->v[m->members[j - 1]].start + THP_REGION_SIZE) {
			j++;
			n++;
		}
		if (shown++ == max) {
			text_append(out, len, ", ...");
			return;
		}
		if (n == 1)
			text_append(out, len, "%s0x%" PRIx64, *out ? ", " : "", r->start);
		else
			text_append(out, len, "%s0x%" PRIx64 "-0x%" PRIx64 " (%zu)", *out ? ", " : "", r->start,
				    (uint64_t)(rs->v[m->members[j - 1]].start + THP_REGION_SIZE), n);
		i = j;
	}
}

/* Exceptions of one verdict: each in full when there are few, else their
 * address runs and the first one's why as an example. */
#define FEW_EXCEPTIONS 3

static void text_exceptions(FILE *f, const struct regions *rs, const struct mapping *m)
{
	char buf[EXPLAIN_WHY_MAX];

	for (int v = 0; v < VR_MAX; v++) {
		size_t n = m->by_reason[v];

		if (!n || (enum verdict_reason)v == m->majority)
			continue;
		if (n <= FEW_EXCEPTIONS) {
			for (size_t i = 0; i < m->n; i++) {
				const struct region *r = &rs->v[m->members[i]];

				if (r->reason == (enum verdict_reason)v)
					text_region(f, rs, r);
			}
			continue;
		}
		runs(rs, m, (enum verdict_reason)v, buf, sizeof(buf), 8);
		fprintf(f, "\n  %s: %zu regions: %s\n", verdict_reason_name((enum verdict_reason)v), n, buf);
		for (size_t i = 0; i < m->n; i++) {
			const struct region *r = &rs->v[m->members[i]];

			if (r->reason == (enum verdict_reason)v) {
				fprintf(f, "    e.g. 0x%" PRIx64 ": %s\n", r->start, explain_why(r, buf, sizeof(buf)));
				break;
			}
		}
	}
}

void text_mappings(FILE *f, const struct regions *rs, const struct mappings *ms)
{
	char line[EXPLAIN_WHY_MAX];

	if (rs->n == 0 || !ms->n) {
		text_verdicts(f, rs);	/* nothing to group, or out of memory */
		return;
	}
	fprintf(f, "\nmappings (%zu, with %zu region%s; --by region shows each region):\n", ms->n, rs->n,
		rs->n == 1 ? "" : "s");
	if (rs->dropped_regions)
		fprintf(f, "(%zu more regions not tracked: at most %zu are at once)\n", rs->dropped_regions,
			rs->max_regions);
	for (size_t k = 0; k < ms->n; k++) {
		const struct mapping *m = &ms->v[k];

		fprintf(f, "\n%s\n", explain_mapping_title(m, line, sizeof(line)));
		fprintf(f, "  %s\n", explain_mapping(m, line, sizeof(line)));
		if (m->n == 1) {
			text_region(f, rs, &rs->v[m->members[0]]);
			continue;
		}
		if (m->exceptions)
			fprintf(f, "  exceptions to the majority (%s): %zu\n", verdict_reason_name(m->majority),
				m->exceptions);
		text_exceptions(f, rs, m);
	}
}

void json_mapping(FILE *f, const struct mapping *m, const char *time)
{
	char buf[EXPLAIN_WHY_MAX + 2048], words[EXPLAIN_WHY_MAX];
	static const char *const how[HUGE_HOW_MAX] = { "before_tracing", "at_fault", "khugepaged",
						       "madv_collapse" };
	struct jsonw w, sub;
	char part[1024];

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_event(&w, "mapping", time);
	jsonw_u64(&w, "mm", m->mm_id);
	jsonw_u64(&w, "target_pid", m->pid);
	jsonw_hex(&w, "start", m->start);
	jsonw_hex(&w, "end", m->end);
	jsonw_bool(&w, "known", m->known);
	jsonw_str(&w, "file", m->file);
	jsonw_u64(&w, "regions", m->n);
	jsonw_init(&sub, part, sizeof(part));
	jsonw_begin(&sub);
	for (int v = 0; v < VR_MAX; v++)
		if (m->by_reason[v])
			jsonw_u64(&sub, verdict_reason_name((enum verdict_reason)v), m->by_reason[v]);
	jsonw_end(&sub);
	jsonw_raw(&w, "reasons", sub.overflow ? "{}" : part);
	jsonw_str(&w, "majority", verdict_reason_name(m->majority));
	jsonw_u64(&w, "exceptions", m->exceptions);
	jsonw_init(&sub, part, sizeof(part));
	jsonw_begin(&sub);
	for (int h = 0; h < HUGE_HOW_MAX; h++)
		jsonw_u64(&sub, how[h], m->huge_how[h]);
	jsonw_end(&sub);
	jsonw_raw(&w, "huge_how", sub.overflow ? "{}" : part);
	if (m->huge_by < 0)
		jsonw_raw(&w, "huge_by_t", "null");
	else
		jsonw_double(&w, "huge_by_t", m->huge_by, 6);
	jsonw_str(&w, "summary", explain_mapping(m, words, sizeof(words)));
	jsonw_end(&w);
	if (!w.overflow)
		fprintf(f, "%s\n", buf);
}
