/* The THP settings in force, as the events give them: the opening and end
 * `context`, and a `settings` event for each knob that changed.  A life
 * that ended is judged with the settings in force when it was unmapped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/region.h"
#include "model/regions_parts.h"

void settings_feed_context(struct regions *rs, const struct thp_event *ev)
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

/* A numeric knob's value; -1 (unknown) if it is not a number. */
static long knob_long(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return !*s || *end || v < 0 ? -1 : v;
}

/* In "16kB:never 64kB:always", the word after "<size>kB:" becomes v. */
static void mthp_set(char *list, size_t cap, const char *size_kb, const char *v)
{
	char key[24], out[sizeof(((struct thp_context *)0)->mthp_enabled)];
	size_t klen = strcspn(size_kb, "/"), used = 0;
	const char *p = list;
	bool found = false;

	if (klen + 2 > sizeof(key) || cap > sizeof(out))
		return;
	snprintf(key, sizeof(key), "%.*s:", (int)klen, size_kb);
	while (*p) {
		size_t n = strcspn(p, " ");

		if (!strncmp(p, key, strlen(key))) {
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s%s", used ? " " : "", key, v);
			found = true;
		} else {
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%.*s", used ? " " : "", (int)n, p);
		}
		if (used >= sizeof(out))
			return;
		p += n;
		while (*p == ' ')
			p++;
	}
	if (found)
		snprintf(list, cap, "%s", out);
}

/* rs->knobs_changed: the knobs of struct thp_context an EV_SETTINGS set */
enum {
	KNOB_ENABLED = 1, KNOB_SHMEM = 2, KNOB_DEFRAG = 4, KNOB_SCAN_SLEEP = 8, KNOB_PAGES = 16,
};

/* A knob changed during the run (EV_SETTINGS): the settings the verdicts
 * use (struct thp_context) take the new value from then on; the others
 * (each size's enabled, shmem_enabled, khugepaged's other tunables) are
 * on the timeline only. */
void settings_feed(struct regions *rs, const struct thp_event *ev)
{
	struct thp_context *c = &rs->ctx;
	const char *k = ev->knob, *v = ev->value;

	if (!(ev->fields & EVF_KNOB))
		return;
	if (!strcmp(k, "enabled")) {
		snprintf(c->thp_enabled, sizeof(c->thp_enabled), "%.*s", (int)sizeof(c->thp_enabled) - 1, v);
		rs->knobs_changed |= KNOB_ENABLED;
	} else if (!strcmp(k, "shmem_enabled")) {
		snprintf(c->shmem_enabled, sizeof(c->shmem_enabled), "%.*s", (int)sizeof(c->shmem_enabled) - 1, v);
		rs->knobs_changed |= KNOB_SHMEM;
	} else if (!strcmp(k, "defrag")) {
		snprintf(c->defrag, sizeof(c->defrag), "%s", v);
		rs->knobs_changed |= KNOB_DEFRAG;
	} else if (!strcmp(k, "khugepaged/scan_sleep_millisecs")) {
		c->scan_sleep_ms = knob_long(v);
		rs->knobs_changed |= KNOB_SCAN_SLEEP;
	} else if (!strcmp(k, "khugepaged/pages_to_scan")) {
		c->pages_to_scan = knob_long(v);
		rs->knobs_changed |= KNOB_PAGES;
	} else if (!strncmp(k, "khugepaged/max_ptes_", 20)) {
		long *to = !strcmp(k + 20, "none") ? &c->max_ptes_none : !strcmp(k + 20, "swap") ? &c->max_ptes_swap
			 : !strcmp(k + 20, "shared") ? &c->max_ptes_shared : NULL;

		if (to)
			*to = knob_long(v);
	} else if (!strncmp(k, "hugepages-", 10) && strstr(k, "kB/enabled")) {
		mthp_set(c->mthp_enabled, sizeof(c->mthp_enabled), k + 10, v);
	}
}

const struct thp_context settings_unknown = {
	.scan_sleep_ms = -1, .pages_to_scan = -1, .full_scans_start = -1, .full_scans_end = -1,
	.read_only_thp_for_fs = -1, .duration_s = -1, .max_ptes_none = -1, .max_ptes_swap = -1,
	.max_ptes_shared = -1,
};

/* The interned copies, a few per trace (one more each time a knob
 * changes): a short list searched from the newest. */
static struct thp_context **interned;
static size_t n_interned, cap_interned;

static bool same_ctx(const struct thp_context *a, const struct thp_context *b)
{
	return !strcmp(a->thp_enabled, b->thp_enabled) && !strcmp(a->shmem_enabled, b->shmem_enabled) &&
	       !strcmp(a->defrag, b->defrag) && a->scan_sleep_ms == b->scan_sleep_ms &&
	       a->pages_to_scan == b->pages_to_scan && a->full_scans_start == b->full_scans_start &&
	       a->full_scans_end == b->full_scans_end && a->read_only_thp_for_fs == b->read_only_thp_for_fs &&
	       a->duration_s == b->duration_s && a->streaming == b->streaming &&
	       a->have_max_ptes == b->have_max_ptes && a->max_ptes_none == b->max_ptes_none &&
	       a->max_ptes_swap == b->max_ptes_swap && a->max_ptes_shared == b->max_ptes_shared &&
	       !strcmp(a->mthp_enabled, b->mthp_enabled);
}

const struct thp_context *settings_intern(const struct thp_context *c)
{
	struct thp_context *copy;

	for (size_t i = n_interned; i-- > 0;)
		if (same_ctx(interned[i], c))
			return interned[i];
	if (n_interned == cap_interned) {
		size_t cap = cap_interned ? cap_interned * 2 : 16;
		struct thp_context **v = realloc(interned, cap * sizeof(*v));

		if (!v)
			return &settings_unknown;
		interned = v;
		cap_interned = cap;
	}
	if (!(copy = malloc(sizeof(*copy))))
		return &settings_unknown;
	*copy = *c;
	interned[n_interned++] = copy;
	return copy;
}

struct thp_context settings_of_ended(const struct region *r, const struct regions *rs)
{
	const struct thp_context *u = r->ctx_unmapped ? r->ctx_unmapped : &rs->ctx;
	const unsigned k = rs->knobs_changed;
	struct thp_context c = rs->ctx;

	if (k & KNOB_ENABLED)
		memcpy(c.thp_enabled, u->thp_enabled, sizeof(c.thp_enabled));
	if (k & KNOB_SHMEM)
		memcpy(c.shmem_enabled, u->shmem_enabled, sizeof(c.shmem_enabled));
	if (k & KNOB_DEFRAG)
		memcpy(c.defrag, u->defrag, sizeof(c.defrag));
	if (k & KNOB_SCAN_SLEEP)
		c.scan_sleep_ms = u->scan_sleep_ms;
	if (k & KNOB_PAGES)
		c.pages_to_scan = u->pages_to_scan;
	return c;
}

