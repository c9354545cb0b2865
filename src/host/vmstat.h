/* /proc/vmstat counters, read for support of what the model infers: a PMD
 * that pagemap shows gone was split if thp_split_pmd rose meanwhile (the
 * counter is system-wide: support, not proof).  The parser works on text,
 * so that tests and the fuzzer can feed it anything. */
#ifndef THP_VMSTAT_H
#define THP_VMSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of counter key in a vmstat text ("name value\n" lines).
 * Returns true and sets *out when a well-formed line has it (a decimal
 * value that fits int64_t); false otherwise. */
bool vmstat_find(const char *text, size_t len, const char *key, int64_t *out);

/* Read /proc/vmstat once and find key.  Returns 0, or -errno (-ENOENT when
 * the kernel has no such counter). */
int vmstat_read(const char *key, int64_t *out);

#endif
