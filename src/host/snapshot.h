/* What a running process already has, for a tracer that attaches to it
 * (-p, and -a for each process it finds): each THP-relevant mapping of
 * /proc/PID/smaps (host/smaps.h has the rule) and the page state of each
 * 2 MiB aligned region inside it, so that a timeline can begin with what
 * was there before tracing began. */
#ifndef THP_SNAPSHOT_H
#define THP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "host/page_state.h"
#include "host/smaps.h"
#include "model/settings.h"

/* Regions sampled per snapshot at most (128 GiB of address space); the
 * rest are counted in snapshot_stats.dropped. */
#define SNAPSHOT_MAX_REGIONS 65536

struct snapshot_region {
	uint64_t addr;			/* 2 MiB aligned, wholly inside map */
	/* Its mapping: header (path, dev, ino, offset, perms), THPeligible,
	 * VmFlags (hg, nh), sizes.  Valid during the callback only. */
	const struct smaps_entry *map;
	bool anon;			/* private anonymous memory: no file, not shmem */
	uint64_t file_offset;		/* file offset of addr; 0 when anon */
	/* As sysinfo_region_file() would give them, from this one read:
	 * is_shmem (memfd, SysV, shared anonymous, or a file on tmpfs),
	 * tmpfs_huge, fully_mapped (always 1 here), file_aligned;
	 * open_for_write is -1 (not looked up: it walks /proc/PID/fd). */
	struct region_file_info finfo;
	struct region_sample sample;	/* page_sampler_read() of addr */
	int sample_err;			/* 0, or its -errno (sample.state is PS_UNKNOWN) */
};

struct snapshot_stats {
	size_t mappings;		/* mappings in smaps */
	size_t relevant;		/* of which THP-relevant */
	size_t regions;			/* regions handed to the callback */
	size_t dropped;			/* regions past SNAPSHOT_MAX_REGIONS, not sampled */
	size_t bad_lines;		/* smaps lines that did not parse */
};

/* Called for each region, in address order; return 0 to go on, nonzero
 * to stop the snapshot there. */
typedef int (*snapshot_fn)(const struct snapshot_region *r, void *arg);

/* Read pid's smaps once (pid 0: this process) and, for each region of each
 * THP-relevant mapping, sample its page state (no_scan as for
 * page_sampler_open()) and call fn.  A callback rather than an array: the
 * mapping facts include a 4 KiB path, and nothing is kept between regions.
 * st (may be NULL) is filled in either way.  Returns 0 (also when fn
 * stopped it), or -errno: ESRCH when the process is gone or goes away
 * meanwhile, EACCES without ptrace access to it. */
int snapshot_take(pid_t pid, bool no_scan, snapshot_fn fn, void *arg, struct snapshot_stats *st);

#endif
