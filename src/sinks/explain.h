/* Words for what the model holds as data: a milestone's detail, a
 * verdict's "why", the eligibility blockers.  Every sink (text, JSON, SVG)
 * says the same thing by calling these; none of them decides anything. */
#ifndef THP_EXPLAIN_H
#define THP_EXPLAIN_H

#include <stddef.h>
#include "model/mappings.h"
#include "model/regions.h"

/* "SCAN_SUCCEED by khugepaged", "page fault at 0x7f... (read)". */
const char *explain_milestone(const struct milestone *m, char *out, size_t len);

/* The verdict's one to three sentences for a person (regions_finish done). */
const char *explain_why(const struct region *r, char *out, size_t len);

/* Every blocker in r->ev.blockers, "; "-joined. */
const char *explain_blockers(const struct region *r, char *out, size_t len);

/* A mapping's heading: "0xf0000000-0x100000000 256 MiB anonymous (pid
 * 4994, mm 1), 128 regions". */
const char *explain_mapping_title(const struct mapping *m, char *out, size_t len);

/* Its story in one line: "128 of 128 regions huge at fault by 0.160 s",
 * then the other verdicts and their counts. */
const char *explain_mapping(const struct mapping *m, char *out, size_t len);

#define EXPLAIN_WHY_MAX 1024

#endif
