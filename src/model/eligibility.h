/* The rules by which the kernel refuses a huge page for a 2 MiB range, in
 * one place: the verdicts (model/verdict.c) ask them about a traced region,
 * `doctor` asks them about this machine's mounts and memfd.  Pure: plain
 * facts in, a set of blockers out; sinks/explain.c words them. */
#ifndef THP_ELIGIBILITY_H
#define THP_ELIGIBILITY_H

#include <stdbool.h>
#include "model/settings.h"

/* What backs the range. */
enum backing {
	BACKING_UNKNOWN = 0,	/* no file facts */
	BACKING_ANON,		/* anonymous memory (no file) */
	BACKING_SHMEM,		/* tmpfs file, memfd, SysV shm, shared anonymous */
	BACKING_FILE,		/* a regular file on a disk filesystem */
};

/* One bit per rule that says no. */
enum elig_blocker {
	EB_NOHUGEPAGE		= 1u << 0,	/* MADV_NOHUGEPAGE on the range */
	EB_NOT_FULLY_MAPPED	= 1u << 1,	/* the mapping does not cover the aligned 2 MiB */
	EB_FILE_MISALIGNED	= 1u << 2,	/* file offset not 2 MiB aligned there */
	EB_SHMEM_DENY		= 1u << 3,	/* shmem_enabled=deny */
	EB_SHMEM_NEVER		= 1u << 4,	/* huge=never (mount) or shmem_enabled=never */
	EB_SHMEM_UNADVISED	= 1u << 5,	/* huge=advise / shmem_enabled=advise, not madvised */
	EB_NO_RO_THP_FOR_FS	= 1u << 6,	/* regular file, kernel without READ_ONLY_THP_FOR_FS */
	EB_OPEN_FOR_WRITE	= 1u << 7,	/* regular file open for writing */
	EB_THP_NEVER		= 1u << 8,	/* transparent_hugepage/enabled=never */
	EB_THP_UNADVISED	= 1u << 9,	/* enabled=madvise, not madvised */
	EB_PROCESS_DISABLED	= 1u << 10,	/* prctl(PR_SET_THP_DISABLE) in the process */
};

struct elig_facts {
	enum backing backing;
	const struct region_file_info *fi;	/* NULL: nothing known of the file */
	bool madvised_huge;		/* MADV_HUGEPAGE or MADV_COLLAPSE covered it */
	bool madv_collapse;		/* MADV_COLLAPSE was used: it ignores the sysfs modes */
	bool nohuge;			/* MADV_NOHUGEPAGE in force */
};

/* The backing as far as the file facts tell; has_file: the region has a
 * file name. */
enum backing backing_of(const struct region_file_info *fi, bool known, bool has_file);

/* The shmem mode that governs the range: the mount's huge= for a tmpfs
 * file, else shmem_enabled (memfd, SysV shm, shared anonymous). */
const char *shmem_mode_of(const struct region_file_info *fi, const struct thp_context *ctx);

/* Does a huge= or shmem_enabled value allow huge pages at all? */
bool shmem_mode_allows(const char *mode);

/* Every rule that says no, as EB_* bits; 0 when nothing forbids it. */
unsigned elig_blockers(const struct elig_facts *f, const struct thp_context *ctx);

#endif
