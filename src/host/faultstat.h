/* The system-wide counters of anonymous PMD-size faults: huge pages
 * allocated at fault, fallbacks to small pages, and fallbacks because the
 * memory cgroup refused the charge.  Support for what the model infers
 * about a fault that got small pages (other processes move them too). */
#ifndef THP_FAULTSTAT_H
#define THP_FAULTSTAT_H

#include <stdint.h>

struct faultstat {
	int64_t alloc, fallback, charge;
};

/* Read them: hugepages-2048kB/stats/anon_fault_{alloc,fallback,
 * fallback_charge} where the kernel has per-size stats (6.8+; the files
 * stay open, a read costs a pread each), else /proc/vmstat's thp_fault_*.
 * Returns 0, or -1 when neither is there. */
int faultstat_read(struct faultstat *out);

#endif
