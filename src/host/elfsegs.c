/* PT_LOAD segments of an ELF file (libelf) and their run-time addresses. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host/elfsegs.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		/* One line: a path with a newline in it must not break it. */
		for (char *p = err; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = '?';
	}
	return -1;
}

static const char *elf_msg(void)
{
	const char *m = elf_errmsg(elf_errno());

	return m ? m : "unknown libelf error";
}

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	/* A power of two, or the rounding below would be nonsense. */
	if (p <= 0 || (p & (p - 1)))
		return 4096;
	return (uint64_t)p;
}

int elfsegs_read(const char *path, struct elf_segs *out, char *err, size_t errlen)
{
	struct elf_segs segs;
	Elf *elf = NULL;
	GElf_Ehdr ehdr;
	struct stat st;
	size_t nph = 0;
	int fd = -1, ret = -1;

	if (err && errlen)
		err[0] = '\0';
	memset(&segs, 0, sizeof(segs));
	if (out)
		memset(out, 0, sizeof(*out));
	if (!path || !*path)
		return fail(err, errlen, "no ELF file name given");
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errlen, "libelf: %s", elf_msg());

	/* O_NONBLOCK: a FIFO must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "%s: %s", path,
		     S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		fail(err, errlen, "%s: %s", path, elf_msg());
		goto out;
	}
	if (elf_kind(elf) != ELF_K_ELF) {
		fail(err, errlen, "%s: not an ELF file", path);
		goto out;
	}
	if (!gelf_getehdr(elf, &ehdr)) {
		fail(err, errlen, "%s: bad ELF header: %s", path, elf_msg());
		goto out;
	}
	if (ehdr.e_type == ET_DYN) {
		segs.is_pie = 1;
	} else if (ehdr.e_type != ET_EXEC) {
		fail(err, errlen, "%s: not an executable or shared object (ELF type %u)",
		     path, (unsigned)ehdr.e_type);
		goto out;
	}
	if (elf_getphdrnum(elf, &nph) != 0) {
		fail(err, errlen, "%s: bad program headers: %s", path, elf_msg());
		goto out;
	}
	/* libelf reports no headers rather than an error when they lie
	 * beyond the end of the file. */
	if ((ehdr.e_phnum != 0 && nph == 0) ||
	    (nph && (ehdr.e_phoff > (uint64_t)st.st_size ||
		     (ehdr.e_phentsize &&
		      nph > ((uint64_t)st.st_size - ehdr.e_phoff) / ehdr.e_phentsize)))) {
		fail(err, errlen, "%s: program headers lie beyond the end of the file (truncated?)",
		     path);
		goto out;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		struct elf_seg *s;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			fail(err, errlen, "%s: bad program header %zu: %s", path, i, elf_msg());
			goto out;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (segs.n == sizeof(segs.seg) / sizeof(segs.seg[0])) {
			fail(err, errlen, "%s: more than %zu loadable segments", path, segs.n);
			goto out;
		}
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr ||
		    ph.p_offset + ph.p_filesz < ph.p_offset) {
			fail(err, errlen, "%s: loadable segment %zu wraps around", path, segs.n);
			goto out;
		}
		s = &segs.seg[segs.n++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->flags = ph.p_flags;
	}
	if (segs.n == 0) {
		fail(err, errlen, "%s: no loadable segments", path);
		goto out;
	}
	if (out)
		*out = segs;
	ret = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

/* Does the maps path name exe_path, perhaps replaced since ("... (deleted)")? */
static int same_path(const char *mpath, const char *exe_path)
{
	static const char deleted[] = " (deleted)";
	size_t n = strlen(exe_path);

	if (strncmp(mpath, exe_path, n) != 0)
		return 0;
	return mpath[n] == '\0' || strcmp(mpath + n, deleted) == 0;
}

int elfsegs_bias(const struct elf_segs *segs, const struct map_list *maps,
		 const char *exe_path, uint64_t *bias)
{
	uint64_t pg = page_size(), mask = ~(pg - 1);
	const struct map_entry *best = NULL;
	const struct elf_seg *seg = NULL;

	if (!segs || !maps || !exe_path || !*exe_path || !bias || segs->n == 0 || !maps->v)
		return -1;
	/* The mapping of the lowest file offset that starts a segment, normally
	 * offset 0; among equals the lowest address, which is the loader's
	 * rather than a later mmap of the same file. */
	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *m = &maps->v[i];

		if (!same_path(m->path, exe_path))
			continue;
		for (size_t j = 0; j < segs->n && j < sizeof(segs->seg) / sizeof(segs->seg[0]); j++) {
			const struct elf_seg *s = &segs->seg[j];

			if ((s->offset & mask) != m->offset)
				continue;
			if (!best || m->offset < best->offset ||
			    (m->offset == best->offset && m->start < best->start)) {
				best = m;
				seg = s;
			}
			break;
		}
	}
	if (!best)
		return -1;
	*bias = best->start - (seg->vaddr & mask);
	return 0;
}

size_t elfsegs_ranges(const struct elf_segs *segs, uint64_t bias,
		      struct addr_range *out, size_t max)
{
	uint64_t pg = page_size(), mask = ~(pg - 1);
	size_t k = 0;

	if (!segs || !out)
		return 0;
	for (size_t i = 0; i < segs->n && i < sizeof(segs->seg) / sizeof(segs->seg[0]) && k < max; i++) {
		const struct elf_seg *s = &segs->seg[i];
		uint64_t start = bias + s->vaddr, end = start + s->memsz;

		if (s->memsz == 0 || end < start)
			continue;
		start &= mask;
		if (end > UINT64_MAX - (pg - 1))
			end = UINT64_MAX & mask;	/* rounding up would wrap */
		else
			end = (end + pg - 1) & mask;
		if (start >= end)
			continue;
		out[k].start = start;
		out[k].end = end;
		k++;
	}
	return k;
}
