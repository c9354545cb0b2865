/* /proc/PID/mountinfo, read in one place: the mounts a process sees, each
 * with its mount point (unescaped), filesystem type and, for tmpfs, its
 * huge= option.  The region facts (host/sysinfo.c) ask which mount holds a
 * mapped file; doctor lists the tmpfs mounts and finds tracefs. */
#ifndef THP_MOUNTINFO_H
#define THP_MOUNTINFO_H

#include <sys/types.h>

struct mount_entry {
	char point[4096];	/* the mount point, with mountinfo's \ooo escapes undone */
	char fstype[64];	/* "tmpfs", "ext4", "tracefs", ... */
	char huge[16];		/* tmpfs: its huge= option, "never" when it has none;
				 * "" for every other filesystem */
};

/* Parse one mountinfo line (with or without its newline):
 *	id parent maj:min root point opts [optional...] - fstype source superopts
 * Returns 0, or -1 when the line is not one (or its point does not fit). */
int mountinfo_parse_line(const char *line, struct mount_entry *e);

/* Call fn for each mount of /proc/PID/mountinfo (pid 0: this process), in
 * the file's order (a later mount on the same point hides an earlier one);
 * lines that do not parse are skipped.  fn returns nonzero to stop.
 * Returns 0, or -errno when the file cannot be read. */
int mountinfo_each(pid_t pid, int (*fn)(const struct mount_entry *e, void *arg), void *arg);

/* The mount that holds path as pid sees it: the longest mount point that is
 * path or a directory above it, the later of two on the same point.
 * Returns 0, or -1 (no such mount, or mountinfo unreadable). */
int mountinfo_find(pid_t pid, const char *path, struct mount_entry *out);

#endif
