/* Words for a mapping's summary (model/mappings.h), shared by the text,
 * the JSON `mapping` lines and the SVG's mapping lanes. */
#include <inttypes.h>
#include <stdio.h>
#include "sinks/explain.h"
#include "util/textbuf.h"

static const char *size_words(uint64_t bytes, char *out, size_t len)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
		snprintf(out, len, "%" PRIu64 " GiB", bytes >> 30);
	else if (bytes >= (1ull << 30))
		snprintf(out, len, "%.1f GiB", (double)bytes / (1ull << 30));
	else if (bytes >= (1ull << 20))
		snprintf(out, len, "%" PRIu64 " MiB", bytes >> 20);
	else
		snprintf(out, len, "%" PRIu64 " KiB", bytes >> 10);
	return out;
}

const char *explain_mapping_title(const struct mapping *m, char *out, size_t len)
{
	char sz[32];

	snprintf(out, len, "0x%" PRIx64 "-0x%" PRIx64 " %s %s%s (pid %u, mm %u), %zu region%s", m->start,
		 m->end, size_words(m->end - m->start, sz, sizeof(sz)), m->file[0] ? m->file : "anonymous",
		 m->known ? "" : " (the span of its regions: its mapping was not seen)", m->pid, m->mm_id, m->n,
		 m->n == 1 ? "" : "s");
	return out;
}

static const char *const how_words[HUGE_HOW_MAX] = {
	[HUGE_BEFORE] = "already PMD-mapped when tracing began",
	[HUGE_AT_FAULT] = "at fault",
	[HUGE_KHUGEPAGED] = "collapsed by khugepaged",
	[HUGE_MADV_COLLAPSE] = "collapsed by MADV_COLLAPSE",
};

const char *explain_mapping(const struct mapping *m, char *out, size_t len)
{
	size_t huge = m->by_reason[VR_HUGE];
	const char *sep = "";

	out[0] = 0;
	if (huge) {
		int kinds = 0, only = 0;

		for (int h = 0; h < HUGE_HOW_MAX; h++)
			if (m->huge_how[h]) {
				kinds++;
				only = h;
			}
		text_append(out, len, "%zu of %zu regions huge", huge, m->n);
		if (kinds == 1)
			text_append(out, len, " %s", how_words[only]);
		else {
			const char *s2 = " (";

			for (int h = 0; h < HUGE_HOW_MAX; h++)
				if (m->huge_how[h]) {
					text_append(out, len, "%s%zu %s", s2, m->huge_how[h], how_words[h]);
					s2 = ", ";
				}
			text_append(out, len, ")");
		}
		if (m->huge_by >= 0)
			text_append(out, len, " by %.3f s", m->huge_by);
		sep = "; ";
	}
	for (int v = 0; v < VR_MAX; v++) {
		if (v == VR_HUGE || !m->by_reason[v])
			continue;
		text_append(out, len, "%s%zu %s", sep, m->by_reason[v], verdict_reason_name((enum verdict_reason)v));
		sep = "; ";
	}
	return out;
}
