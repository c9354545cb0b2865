/* Words for anonymous memory (explain_anon.c); explain.c calls them for
 * the milestones and verdicts that are anonymous memory's own. */
#ifndef THP_EXPLAIN_ANON_H
#define THP_EXPLAIN_ANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/regions.h"

/* "16 kB, 64 kB" for the orders set in orders (bit k: 4 KiB << k). */
const char *explain_sizes(uint32_t orders, char *out, size_t len);

/* A milestone's detail, or NULL when it is not an anonymous one. */
const char *explain_anon_milestone(const struct milestone *m, char *out, size_t len);

/* fault_fallback, mthp: the whole why (true); false for other reasons. */
bool explain_anon_why(const struct region *r, char *w, size_t n);

/* huge, no collapse: how a fault made it (true), appended to w. */
bool explain_anon_became(const struct region *r, char *w, size_t n);

/* scan_failed: the knob that decided it, its value and the counts. */
void explain_anon_scan_knob(const struct region *r, char *w, size_t n);

/* JSON names: became_huge, fallback_cause. */
const char *explain_became_name(enum became_huge b);
const char *explain_fallback_name(enum fallback_cause c);
const char *explain_fallback_from_name(enum fallback_from f);	/* page_alloc, fault_counters, none */

#endif
