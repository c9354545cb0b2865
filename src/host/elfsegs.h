/* Loadable segments of an ELF executable, read with libelf, and their
 * run-time addresses once the load bias is known from /proc/PID/maps. */
#ifndef THP_ELFSEGS_H
#define THP_ELFSEGS_H

#include <stdint.h>
#include <stddef.h>
#include "host/procmaps.h"
#include "host/ranges.h"

struct elf_seg {
	uint64_t vaddr, memsz;		/* from PT_LOAD */
	uint64_t offset, filesz;
	uint32_t flags;			/* PF_R | PF_W | PF_X */
};

struct elf_segs {
	int is_pie;			/* ET_DYN */
	size_t n;
	struct elf_seg seg[32];
};

/* Read the PT_LOAD headers of the file at path.  Returns 0, or -1 with a
 * one-line reason in err. */
int elfsegs_read(const char *path, struct elf_segs *out, char *err, size_t errlen);

/* Load bias of the executable whose mappings in maps have path exe_path (the
 * mapping of file offset 0 gives it: bias = map.start - (first PT_LOAD vaddr
 * rounded down to its page)).  Returns 0 or -1 if not mapped. */
int elfsegs_bias(const struct elf_segs *segs, const struct map_list *maps,
		 const char *exe_path, uint64_t *bias);

/* Run-time ranges of the segments (page-rounded), at most max.  Returns the count. */
size_t elfsegs_ranges(const struct elf_segs *segs, uint64_t bias,
		      struct addr_range *out, size_t max);

#endif
