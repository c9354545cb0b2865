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
	}
}

struct thp_context settings_of_ended(const struct region *r, const struct regions *rs)
{
	const struct thp_context *u = &r->ctx_unmapped;
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

