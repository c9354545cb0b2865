/* The JSON keys of anonymous memory (see out_json_anon.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/explain_anon.h"
#include "sinks/out_json_anon.h"

const char *folio_sizes_str(uint32_t orders, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (int k = 1; k < 32 && used < len; k++)
		if (orders & (1u << k))
			used += (size_t)snprintf(out + used, len - used, "%s%ukB", used ? " " : "", 4u << k);
	return out;
}

uint32_t folio_sizes_parse(const char *s)
{
	uint32_t m = 0;

	while (*s) {
		char *end;
		unsigned long kb = strtoul(s, &end, 10);
		int k = 0;

		if (end == s || strncmp(end, "kB", 2) != 0)
			return 0;
		while (k < 31 && (4ul << k) < kb)
			k++;
		if ((4ul << k) != kb || k == 0)
			return 0;
		m |= 1u << k;
		s = end + 2;
		while (*s == ' ')
			s++;
	}
	return m;
}

void json_anon_event(struct jsonw *w, const struct thp_event *ev)
{
	char sz[160];

	if (ev->fields & EVF_ADDR_GUESS)
		jsonw_bool(w, "addr_inferred", true);
	if (ev->fields & EVF_ANON_SCAN) {
		if (ev->referenced >= 0)
			jsonw_i64(w, "referenced", ev->referenced);
		if (ev->none_or_zero >= 0)
			jsonw_i64(w, "none_or_zero", ev->none_or_zero);
		if (ev->unmapped >= 0)
			jsonw_i64(w, "unmapped", ev->unmapped);
		if (ev->isolated >= 0)
			jsonw_i64(w, "isolated", ev->isolated);
	}
	if (ev->fields & EVF_FAULTSTAT) {
		jsonw_i64(w, "fault_alloc_delta", ev->fault_alloc_delta);
		jsonw_i64(w, "fault_fallback_delta", ev->fault_fallback_delta);
		jsonw_i64(w, "fault_fallback_charge_delta", ev->fault_charge_delta);
		jsonw_double(w, "faultstat_since_t", ev->faultstat_since_t, 6);
	}
	if (ev->fields & EVF_FOLIOS)
		jsonw_str(w, "folio_sizes", folio_sizes_str(ev->folio_orders, sz, sizeof(sz)));
}

void json_anon_verdict(struct jsonw *w, const struct region *r)
{
	const struct verdict_evidence *e = &r->ev;
	char sz[160];

	if (r->reason == VR_HUGE) {
		jsonw_str(w, "became_huge", explain_became_name(e->became));
		if (e->became_inferred)
			jsonw_bool(w, "became_inferred", true);
	}
	if (r->reason == VR_FAULT_FALLBACK) {
		jsonw_str(w, "fallback_cause", explain_fallback_name(e->fallback));
		jsonw_bool(w, "fallback_inferred", e->fallback_inferred);
		jsonw_str(w, "fallback_cause_from", explain_fallback_from_name(e->fallback_from));
	}
	if (r->reason == VR_MTHP)
		jsonw_str(w, "mthp_sizes", folio_sizes_str(e->mthp_orders, sz, sizeof(sz)));
}

void json_anon_context(struct jsonw *w, const struct thp_context *ctx)
{
	if (ctx->have_max_ptes) {
		jsonw_i64(w, "max_ptes_none", ctx->max_ptes_none);
		jsonw_i64(w, "max_ptes_swap", ctx->max_ptes_swap);
		jsonw_i64(w, "max_ptes_shared", ctx->max_ptes_shared);
	}
	if (ctx->mthp_enabled[0])
		jsonw_str(w, "mthp_enabled", ctx->mthp_enabled);
}
