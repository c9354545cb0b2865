/* What the machine says about THP, read from sysfs, mountinfo, the kernel
 * config and the target's /proc: the facts verdicts and doctor need.  The
 * sysfs readers are here; mountinfo has one parser (host/mountinfo.h) and
 * the kernel config one reader (host/kconfig.h), which this file uses. */
#ifndef THP_SYSINFO_H
#define THP_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/regions.h"

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

/* The bracketed choice of a sysfs selector ("always [madvise] never"). */
int sysinfo_selected(const char *path, char *out, size_t n);
long sysinfo_long(const char *path);		/* -1 if unreadable */

/* Fill everything but full_scans_end and duration_s. */
void sysinfo_context(struct thp_context *ctx);

/* Each multi-size THP size's enabled, "16kB:never 64kB:always ..."; "" on
 * kernels without them (before 6.8). */
void sysinfo_mthp_enabled(char *out, size_t len);

/* PR_GET_THP_DISABLE of process pid, from its /proc/PID/status
 * THP_enabled line: 1 disabled, 0 not, -1 unknown. */
int sysinfo_thp_disabled(pid_t pid);

/* The THP knobs a run may see change: the tunables under THP_SYSFS and
 * khugepaged/, and each size's enabled and shmem_enabled
 * (hugepages-<size>kB/, 6.8+), each kept open so that reading it again is
 * one pread.  Those this kernel lacks are not there. */
#define THP_KNOBS_MAX 64
struct thp_knob {
	char name[EV_KNOB_LEN];		/* path under THP_SYSFS: "hugepages-64kB/enabled" */
	char value[EV_KNOB_VALUE_LEN];	/* last read: the selected word, or the number */
	int fd;
};
struct thp_knobs {
	size_t n;
	struct thp_knob k[THP_KNOBS_MAX];
};

/* Open and read each knob (ks->n of them). */
void sysinfo_knobs_open(struct thp_knobs *ks);
/* Read k again into value (n bytes): 0, or -1 if it cannot be read. */
int sysinfo_knob_read(const struct thp_knob *k, char *value, size_t n);
void sysinfo_knobs_close(struct thp_knobs *ks);

/* huge= mode of the tmpfs holding path ("" if not on tmpfs; "never" when the
 * mount has no huge= option).  mnt (may be NULL) gets the mount point.
 * Returns 0, or -1 when no mount holds it (or mountinfo is unreadable). */
int sysinfo_tmpfs_huge(pid_t pid, const char *path, char *mode, size_t n, char *mnt, size_t mn);

/* Is a mapping with this /proc/PID/maps path shmem that no mount's huge=
 * governs (shmem_enabled does): a memfd ("/memfd:NAME (deleted)"), SysV shm
 * ("/SYSV0000002a (deleted)"), shared anonymous memory ("/dev/zero
 * (deleted)", or "[anon_shmem:NAME]" once named)? */
bool sysinfo_internal_shmem(const char *path);

/* Facts about one region of pid (its mapping, file, mount). */
void sysinfo_region_file(pid_t pid, uint64_t region, struct region_file_info *fi, char *file,
			 size_t filen);

#endif
