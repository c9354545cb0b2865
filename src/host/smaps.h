/* /proc/PID/smaps parsing: per mapping, the maps header line and the few
 * fields that say how THP stands there.  Like host/procmaps.h the parser
 * works on text (tests, the fuzzer); smaps_read() and smaps_read_each() are
 * the thin /proc wrappers.  Everything is read in one pass with a bounded
 * line buffer: a process may have tens of thousands of mappings. */
#ifndef THP_SMAPS_H
#define THP_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "host/procmaps.h"

/* VmFlags codes that matter for THP, as bits of smaps_entry.vmflags.  The
 * kernel prints one two-letter code per set VM_* flag (fs/proc/task_mmu.c);
 * all of them, named here or not, are kept in smaps_entry.vmflags_raw. */
enum smaps_vmflag {
	SMAPS_VM_RD = 1u << 0,		/* rd: readable */
	SMAPS_VM_WR = 1u << 1,		/* wr: writable */
	SMAPS_VM_EX = 1u << 2,		/* ex: executable */
	SMAPS_VM_SH = 1u << 3,		/* sh: shared */
	SMAPS_VM_MR = 1u << 4,		/* mr: may read */
	SMAPS_VM_MW = 1u << 5,		/* mw: may write */
	SMAPS_VM_ME = 1u << 6,		/* me: may execute */
	SMAPS_VM_LO = 1u << 7,		/* lo: mlocked */
	SMAPS_VM_IO = 1u << 8,		/* io: memory-mapped I/O */
	SMAPS_VM_DD = 1u << 9,		/* dd: not in core dumps */
	SMAPS_VM_HT = 1u << 10,		/* ht: hugetlb (not THP) */
	SMAPS_VM_HG = 1u << 11,		/* hg: MADV_HUGEPAGE */
	SMAPS_VM_NH = 1u << 12,		/* nh: MADV_NOHUGEPAGE */
	SMAPS_VM_MG = 1u << 13,		/* mg: MADV_MERGEABLE (KSM) */
};

/* Which fields a mapping's text had (older kernels lack some). */
enum smaps_have {
	SMAPS_HAVE_SIZE = 1u << 0,
	SMAPS_HAVE_RSS = 1u << 1,
	SMAPS_HAVE_ANON_HUGE = 1u << 2,		/* AnonHugePages: 2.6.38+ */
	SMAPS_HAVE_SHMEM_PMD = 1u << 3,		/* ShmemPmdMapped: 4.8+ */
	SMAPS_HAVE_FILE_PMD = 1u << 4,		/* FilePmdMapped: 5.4+ */
	SMAPS_HAVE_THP_ELIGIBLE = 1u << 5,	/* THPeligible: 5.0+ */
	SMAPS_HAVE_VMFLAGS = 1u << 6,		/* VmFlags: 3.8+ */
};

/* At most one code per bit of the kernel's 64-bit vm_flags: "xx " each. */
#define SMAPS_VMFLAGS_MAX 64
#define SMAPS_VMFLAGS_LEN (3 * SMAPS_VMFLAGS_MAX)

struct smaps_entry {
	struct map_entry map;		/* the header line, as procmaps parses it */
	/* Sizes in bytes (smaps prints kB); 0 when absent. */
	uint64_t size, rss;
	uint64_t anon_huge;		/* AnonHugePages: anonymous, PMD-mapped */
	uint64_t shmem_pmd;		/* ShmemPmdMapped */
	uint64_t file_pmd;		/* FilePmdMapped (page cache, not shmem) */
	int thp_eligible;		/* THPeligible: 1, 0, or -1 when absent */
	uint32_t vmflags;		/* enum smaps_vmflag bits */
	uint32_t have;			/* enum smaps_have bits */
	char vmflags_raw[SMAPS_VMFLAGS_LEN];	/* every code, one space apart: "rd wr mr mw me ac hg" */
};

struct smaps_list {
	struct smaps_entry *v;
	size_t n, cap;
};

/* Called once per mapping, in the text's order; e is valid during the call
 * only.  Return 0 to go on, nonzero to stop. */
typedef int (*smaps_fn)(const struct smaps_entry *e, void *arg);

/* Parse a whole smaps text, one mapping at a time.  A line that is neither
 * a maps header nor a "Key: value" line, a known key whose value does not
 * parse, a key line with no mapping above it (before the first header, or
 * after a header that did not parse) and any line longer than a maps line
 * can be (about 4.3 KiB) are counted in *bad (may be NULL) and skipped;
 * unknown keys are ignored.  Returns 0, fn's nonzero return when it
 * stopped, or -1 (out of memory). */
int smaps_each(const char *text, size_t len, smaps_fn fn, void *arg, size_t *bad);

/* smaps_each() into a list (appended to).  Returns 0 or -1 (out of memory). */
int smaps_parse(const char *text, size_t len, struct smaps_list *out, size_t *bad);

/* smaps_each() on what fd gives until EOF, read in 64 KiB pieces: memory
 * stays bounded whatever the number of mappings.  Returns 0, fn's nonzero
 * return, or -errno. */
int smaps_fd_each(int fd, smaps_fn fn, void *arg, size_t *bad);

/* /proc/PID/smaps (pid 0: this process) through smaps_fd_each().  Returns
 * 0, fn's nonzero return, or -errno (ENOENT when the process is gone,
 * EACCES without ptrace access to it). */
int smaps_read_each(pid_t pid, smaps_fn fn, void *arg, size_t *bad);
int smaps_read(pid_t pid, struct smaps_list *out);

void smaps_list_free(struct smaps_list *l);

/* Is this VmFlags code set ("hg", "ac", ...)?  False when VmFlags was absent. */
bool smaps_has_flag(const struct smaps_entry *e, const char *code);

/* The 2 MiB aligned 2 MiB regions that lie wholly inside the mapping: their
 * number, and the first one in *first (0 when there is none).  Region i is
 * *first + i * 2 MiB. */
uint64_t smaps_aligned_regions(const struct map_entry *m, uint64_t *first);

/* Does the mapping matter for THP?  See smaps.c for the rule. */
bool smaps_thp_relevant(const struct smaps_entry *e);

#endif
