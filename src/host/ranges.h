/* Address ranges the user asked to trace: parsed from --range, or taken from
 * /proc/PID/maps and ELF program headers (--text, --file). */
#ifndef THP_RANGES_H
#define THP_RANGES_H

#include <stdint.h>
#include <stddef.h>

struct addr_range {
	uint64_t start;
	uint64_t end;		/* exclusive */
};

/* Parse "START-END": hexadecimal, with or without 0x, START < END.
 * Returns 0, or -1 with a one-line reason (no trailing newline) in err. */
int range_parse(const char *s, struct addr_range *out, char *err, size_t errlen);

/* Does [start,end) overlap any of the n ranges?  n == 0 means "everything". */
int ranges_overlap(const struct addr_range *r, size_t n, uint64_t start, uint64_t end);

#endif
