/* /proc/PID/maps parsing.  The parser works on text so that tests and the
 * fuzzer can feed it anything; procmaps_read() is the thin /proc wrapper. */
#ifndef THP_PROCMAPS_H
#define THP_PROCMAPS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end;		/* [start, end) */
	uint64_t offset;		/* file offset of start */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	char perms[5];			/* "r-xp" */
	char path[4096];		/* "" for anonymous; may end in " (deleted)" */
};

struct map_list {
	struct map_entry *v;
	size_t n, cap;
};

/* Parse one line (without or with its trailing newline).  Returns 0, or -1
 * if the line is not a maps line. */
int procmaps_parse_line(const char *line, struct map_entry *out);

/* Parse a whole maps text; lines that do not parse are skipped and counted in
 * *bad (may be NULL).  Returns 0 or -1 (out of memory).  The list is appended to. */
int procmaps_parse(const char *text, size_t len, struct map_list *out, size_t *bad);

/* Read /proc/PID/maps.  Returns 0, or -errno (ENOENT when the process is gone). */
int procmaps_read(pid_t pid, struct map_list *out);

void map_list_free(struct map_list *l);

/* The mapping that contains addr, or NULL. */
const struct map_entry *map_list_find(const struct map_list *l, uint64_t addr);

/* Kernel dev_t encoding as tracepoints report it (major << 20 | minor). */
static inline uint32_t map_kdev(const struct map_entry *m)
{
	return (m->dev_major << 20) | m->dev_minor;
}

#endif
