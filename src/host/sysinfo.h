/* What the machine says about THP, read from sysfs, mountinfo, the kernel
 * config and the target's /proc: the facts verdicts and doctor need. */
#ifndef THP_SYSINFO_H
#define THP_SYSINFO_H

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

/* CONFIG_NAME from /proc/config.gz or /boot/config-$(uname -r): 1 (y/m),
 * 0 (not set), -1 (no config readable). */
int sysinfo_kconfig(const char *name);

/* huge= mode of the tmpfs holding path ("" if not on tmpfs; "never" when the
 * mount has no huge= option).  mnt (may be NULL) gets the mount point. */
int sysinfo_tmpfs_huge(pid_t pid, const char *path, char *mode, size_t n, char *mnt, size_t mn);

/* Facts about one region of pid (its mapping, file, mount). */
void sysinfo_region_file(pid_t pid, uint64_t region, struct region_file_info *fi, char *file,
			 size_t filen);

#endif
