/* The JSON keys of anonymous memory (out_json_anon.c): out_json.c calls
 * these from its writers, input/jsonl.c reads the same keys back. */
#ifndef THP_OUT_JSON_ANON_H
#define THP_OUT_JSON_ANON_H

#include "model/regions.h"
#include "sinks/jsonw.h"

/* An event's: referenced, none_or_zero, unmapped, isolated (scan_pmd,
 * collapse_huge_page), addr_inferred, and a state sample's fault counters
 * (fault_alloc_delta, fault_fallback_delta, fault_fallback_charge_delta,
 * faultstat_since_t) and folio_sizes ("16kB 64kB"). */
void json_anon_event(struct jsonw *w, const struct thp_event *ev);
/* A verdict's: became_huge (+ became_inferred), fallback_cause (+
 * fallback_inferred), mthp_sizes. */
void json_anon_verdict(struct jsonw *w, const struct region *r);
/* The opening context's: max_ptes_none, max_ptes_swap, max_ptes_shared,
 * mthp_enabled. */
void json_anon_context(struct jsonw *w, const struct thp_context *ctx);

/* "16kB 64kB" for orders (bit k: 4 KiB << k), and back (0 on garbage). */
const char *folio_sizes_str(uint32_t orders, char *out, size_t len);
uint32_t folio_sizes_parse(const char *s);

#endif
