/* Unit tests for src/elfsegs.c: PT_LOAD reading (real and synthetic ELF
 * files), the load bias against this process's own maps, and the ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "host/elfsegs.h"

int main(void);

static char tmpdir[64];
static uint64_t pg;

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_elfsegs.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

/* An independent reading of the program headers, with <elf.h> only. */
struct raw {
	int type;
	size_t nload;
	Elf64_Phdr load[64];
};

static void raw_read(const char *path, struct raw *r)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh.e_ident[EI_CLASS], ELFCLASS64);
	r->type = eh.e_type;
	r->nload = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		assert_int_equal(pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)),
				 sizeof(ph));
		if (ph.p_type == PT_LOAD && r->nload < 64)
			r->load[r->nload++] = ph;
	}
	close(fd);
}

static void check_against_raw(const char *path)
{
	struct elf_segs s;
	struct raw r;
	char err[256] = "";

	if (elfsegs_read(path, &s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	raw_read(path, &r);
	assert_int_equal(s.is_pie, r.type == ET_DYN);
	assert_int_equal(s.n, r.nload);
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.seg[i].vaddr, r.load[i].p_vaddr);
		assert_int_equal(s.seg[i].memsz, r.load[i].p_memsz);
		assert_int_equal(s.seg[i].offset, r.load[i].p_offset);
		assert_int_equal(s.seg[i].filesz, r.load[i].p_filesz);
		assert_int_equal(s.seg[i].flags, r.load[i].p_flags);
	}
}

static int has_exec(const struct elf_segs *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->seg[i].flags & PF_X)
			return 1;
	return 0;
}

static void test_read_self(void **state)
{
	struct elf_segs s;
	char err[256];

	(void)state;
	check_against_raw("/proc/self/exe");
	assert_int_equal(elfsegs_read("/proc/self/exe", &s, err, sizeof(err)), 0);
	assert_true(s.n >= 1);
	assert_true(has_exec(&s));
}

static void test_read_bin_true(void **state)
{
	struct elf_segs s;
	char err[256];

	(void)state;
	check_against_raw("/bin/true");
	assert_int_equal(elfsegs_read("/bin/true", &s, err, sizeof(err)), 0);
	assert_true(has_exec(&s));
	assert_string_equal(err, "");
}

static void expect_error(const char *path, const char *want)
{
	struct elf_segs s;
	char err[512];

	memset(&s, 0x5a, sizeof(s));
	memset(err, 'X', sizeof(err));
	assert_int_equal(elfsegs_read(path, &s, err, sizeof(err)), -1);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	assert_null(strchr(err, '\n'));
	if (!strstr(err, want))
		fail_msg("%s: message '%s' lacks '%s'", path ? path : "(null)", err, want);
	/* No segments are reported on failure. */
	assert_int_equal(s.n, 0);
}

static void test_errors(void **state)
{
	char path[128], msg[256];
	static const char text[] = "#!/bin/sh\necho not an ELF file\n";
	static const char fake_magic[] = "\x7f" "ELF";

	(void)state;
	tmp_path(path, sizeof(path), "missing");
	snprintf(msg, sizeof(msg), "%s: No such file or directory", path);
	expect_error(path, msg);

	tmp_path(path, sizeof(path), "script");
	write_file(path, text, sizeof(text) - 1);
	snprintf(msg, sizeof(msg), "%s: not an ELF file", path);
	expect_error(path, msg);

	tmp_path(path, sizeof(path), "empty");
	write_file(path, "", 0);
	expect_error(path, path);

	tmp_path(path, sizeof(path), "magic-only");
	write_file(path, fake_magic, 4);
	expect_error(path, path);

	snprintf(msg, sizeof(msg), "%s: Is a directory", tmpdir);
	expect_error(tmpdir, msg);
	expect_error("/dev/null", "/dev/null: not a regular file");
	/* A FIFO without a writer must not hang. */
	tmp_path(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(msg, sizeof(msg), "%s: not a regular file", path);
	expect_error(path, msg);
	expect_error("", "no ELF file name");
	expect_error(NULL, "no ELF file name");

	/* A name with a newline still gives one line. */
	tmp_path(path, sizeof(path), "new\nline");
	expect_error(path, "new?line");

	/* NULL or zero-length error buffers are fine. */
	struct elf_segs s;

	assert_int_equal(elfsegs_read("/nonexistent/x", &s, NULL, 0), -1);
	assert_int_equal(elfsegs_read("/nonexistent/x", &s, msg, 0), -1);
	assert_int_equal(elfsegs_read("/bin/true", NULL, NULL, 0), 0);
}

static void test_truncated(void **state)
{
	char path[128];
	char buf[8192];
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	size_t cut;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
	/* The header survives, the program headers do not. */
	tmp_path(path, sizeof(path), "truncated");
	cut = (size_t)eh->e_phoff + eh->e_phentsize / 2;
	assert_true(cut < sizeof(buf));
	write_file(path, buf, cut);
	expect_error(path, "program headers lie beyond the end of the file");
	/* Only part of the ELF header. */
	write_file(path, buf, 20);
	expect_error(path, path);
}

/* A synthetic 64-bit little/big-endian-native ELF file: header then the
 * given program headers. */
static void write_elf(const char *path, int type, const Elf64_Phdr *ph, unsigned nph)
{
	size_t n = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	unsigned char *buf = calloc(1, n);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	union { uint16_t u; unsigned char c[2]; } endian = { 1 };

	assert_non_null(buf);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = endian.c[0] ? ELFDATA2LSB : ELFDATA2MSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = (Elf64_Half)type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = nph ? sizeof(Elf64_Ehdr) : 0;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)nph;
	if (nph)
		memcpy(buf + sizeof(Elf64_Ehdr), ph, nph * sizeof(Elf64_Phdr));
	write_file(path, buf, n);
	free(buf);
}

static void test_synthetic(void **state)
{
	char path[128], err[256];
	struct elf_segs s;
	Elf64_Phdr ph[40];

	(void)state;
	memset(ph, 0, sizeof(ph));
	tmp_path(path, sizeof(path), "synth");

	/* Two loads around a note: only the loads, in order. */
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
			      .p_vaddr = 0x400000, .p_filesz = 0x1234, .p_memsz = 0x1234 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x200,
			      .p_vaddr = 0x400200, .p_filesz = 0x20, .p_memsz = 0x20 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x1e10,
			      .p_vaddr = 0x402e10, .p_filesz = 0x100, .p_memsz = 0x5000 };
	write_elf(path, ET_EXEC, ph, 3);
	assert_int_equal(elfsegs_read(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.is_pie, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seg[0].vaddr, 0x400000);
	assert_int_equal(s.seg[0].memsz, 0x1234);
	assert_int_equal(s.seg[0].flags, PF_R | PF_X);
	assert_int_equal(s.seg[1].vaddr, 0x402e10);
	assert_int_equal(s.seg[1].offset, 0x1e10);
	assert_int_equal(s.seg[1].filesz, 0x100);
	assert_int_equal(s.seg[1].memsz, 0x5000);
	assert_int_equal(s.seg[1].flags, PF_R | PF_W);

	write_elf(path, ET_DYN, ph, 3);
	assert_int_equal(elfsegs_read(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.is_pie, 1);

	/* No loadable segment at all. */
	write_elf(path, ET_EXEC, ph + 1, 1);
	snprintf(err, sizeof(err), "%s: no loadable segments", path);
	expect_error(path, err);
	write_elf(path, ET_DYN, NULL, 0);
	expect_error(path, "no loadable segments");

	/* An object file or a core dump is not a program. */
	write_elf(path, ET_REL, ph, 3);
	expect_error(path, "not an executable or shared object (ELF type 1)");
	write_elf(path, ET_CORE, ph, 3);
	expect_error(path, "(ELF type 4)");

	/* 32 loads fit, 33 do not. */
	for (int i = 0; i < 40; i++)
		ph[i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R,
				      .p_offset = (uint64_t)i * 0x1000,
				      .p_vaddr = (uint64_t)i * 0x1000,
				      .p_filesz = 0x1000, .p_memsz = 0x1000 };
	write_elf(path, ET_EXEC, ph, 32);
	assert_int_equal(elfsegs_read(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 32);
	assert_int_equal(s.seg[31].vaddr, 31 * 0x1000);
	write_elf(path, ET_EXEC, ph, 33);
	expect_error(path, "more than 32 loadable segments");

	/* A segment whose end wraps around. */
	ph[0].p_vaddr = UINT64_MAX - 0x10;
	write_elf(path, ET_EXEC, ph, 1);
	expect_error(path, "wraps around");
}

static void test_bias_self(void **state)
{
	struct elf_segs s, xs;
	struct map_list maps = { 0 };
	struct addr_range r[32];
	char exe[PATH_MAX], err[256];
	uint64_t bias = 12345, lowest = UINT64_MAX;
	uint64_t here = (uint64_t)(uintptr_t)&main;
	ssize_t n;
	size_t nr, hits = 0;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';

	if (elfsegs_read(exe, &s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(procmaps_read(getpid(), &maps), 0);
	assert_int_equal(elfsegs_bias(&s, &maps, exe, &bias), 0);

	/* Independently: the mapping of offset 0 sits at bias + the first
	 * segment's page. */
	for (size_t i = 0; i < maps.n; i++)
		if (strcmp(maps.v[i].path, exe) == 0 && maps.v[i].offset == 0 &&
		    maps.v[i].start < lowest)
			lowest = maps.v[i].start;
	assert_true(lowest != UINT64_MAX);
	assert_int_equal(bias, lowest - (s.seg[0].vaddr & ~(pg - 1)));
	if (!s.is_pie)
		assert_int_equal(bias, 0);

	/* main() lies in an executable segment, both as a file address ... */
	for (size_t i = 0; i < s.n; i++)
		if ((s.seg[i].flags & PF_X) && here - bias >= s.seg[i].vaddr &&
		    here - bias < s.seg[i].vaddr + s.seg[i].memsz)
			hits++;
	assert_int_equal(hits, 1);

	/* ... and in the run-time range of the executable segments. */
	xs = s;
	xs.n = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.seg[i].flags & PF_X)
			xs.seg[xs.n++] = s.seg[i];
	nr = elfsegs_ranges(&xs, bias, r, 32);
	assert_int_equal(nr, xs.n);
	assert_true(ranges_overlap(r, nr, here, here + 1));
	/* which the kernel shows as an executable mapping of this file. */
	const struct map_entry *m = map_list_find(&maps, here);

	assert_non_null(m);
	assert_int_equal(m->perms[2], 'x');
	assert_string_equal(m->path, exe);
	for (size_t i = 0; i < nr; i++)
		if (here >= r[i].start && here < r[i].end) {
			assert_true(r[i].start <= m->start);
			assert_true(r[i].end >= m->end);
		}

	/* All segments' ranges: a data address lies in one too. */
	static int data_var = 1;

	nr = elfsegs_ranges(&s, bias, r, 32);
	assert_int_equal(nr, s.n);
	assert_true(ranges_overlap(r, nr, (uintptr_t)&data_var, (uintptr_t)&data_var + 1));
	map_list_free(&maps);
}

static void add_map(struct map_list *l, uint64_t start, uint64_t end, uint64_t off,
		    const char *path)
{
	struct map_entry *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->start = start;
	e->end = end;
	e->offset = off;
	strcpy(e->perms, "r--p");
	snprintf(e->path, sizeof(e->path), "%s", path);
}

static void test_bias_synthetic(void **state)
{
	struct elf_segs pie = { .is_pie = 1, .n = 2, .seg = {
		{ .vaddr = 0, .memsz = 0x1800, .offset = 0, .filesz = 0x1800, .flags = PF_R },
		{ .vaddr = 0x2e10, .memsz = 0x3000, .offset = 0x1e10, .filesz = 0x3000,
		  .flags = PF_R | PF_X },
	} };
	struct elf_segs fixed = { .is_pie = 0, .n = 1, .seg = {
		{ .vaddr = 0x400000, .memsz = 0x1000, .offset = 0, .filesz = 0x1000,
		  .flags = PF_R | PF_X },
	} };
	struct map_list l = { 0 };
	uint64_t bias = 0;

	(void)state;
	/* A later mmap of the same file (higher) and a look-alike name. */
	add_map(&l, 0x7f0000000000, 0x7f0000002000, 0, "/usr/bin/demo");
	add_map(&l, 0x555555556000, 0x555555559000, 0x1000, "/usr/bin/demo");
	add_map(&l, 0x555555554000, 0x555555556000, 0, "/usr/bin/demo");
	add_map(&l, 0x100000, 0x101000, 0, "/usr/bin/demo2");
	add_map(&l, 0x400000, 0x401000, 0, "/usr/bin/old (deleted)");

	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo", &bias), 0);
	assert_int_equal(bias, 0x555555554000ULL);
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo2", &bias), 0);
	assert_int_equal(bias, 0x100000);
	/* Replaced on disk since it started. */
	assert_int_equal(elfsegs_bias(&fixed, &l, "/usr/bin/old", &bias), 0);
	assert_int_equal(bias, 0);
	/* Not mapped, or not this name exactly. */
	bias = 77;
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/dem", &bias), -1);
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo3", &bias), -1);
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/old (deleted) (deleted)", &bias), -1);
	assert_int_equal(elfsegs_bias(&pie, &l, "", &bias), -1);
	assert_int_equal(elfsegs_bias(&pie, &l, NULL, &bias), -1);
	assert_int_equal(elfsegs_bias(NULL, &l, "/usr/bin/demo", &bias), -1);
	assert_int_equal(elfsegs_bias(&pie, NULL, "/usr/bin/demo", &bias), -1);
	assert_int_equal(bias, 77);

	/* The offset-0 mapping wins over another segment's, even one lower
	 * in memory and earlier in the list. */
	map_list_free(&l);
	add_map(&l, 0x200000, 0x203000, 0x1000, "/usr/bin/demo");
	add_map(&l, 0x555555554000, 0x555555556000, 0, "/usr/bin/demo");
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo", &bias), 0);
	assert_int_equal(bias, 0x555555554000ULL);

	/* Without the offset-0 mapping, a later segment's mapping gives it:
	 * the page of its offset maps the page of its address. */
	map_list_free(&l);
	add_map(&l, 0x555555556000, 0x555555559000, 0x1000, "/usr/bin/demo");
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo", &bias), 0);
	assert_int_equal(bias, 0x555555554000ULL);
	/* A mapping at an offset where no segment starts says nothing. */
	map_list_free(&l);
	add_map(&l, 0x555555555000, 0x555555556000, 0x3000, "/usr/bin/demo");
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo", &bias), -1);
	map_list_free(&l);
	assert_int_equal(elfsegs_bias(&pie, &l, "/usr/bin/demo", &bias), -1);
}

static void test_ranges(void **state)
{
	struct elf_segs s = { .is_pie = 1, .n = 4, .seg = {
		{ .vaddr = 0x1234, .memsz = 0x10, .flags = PF_R },
		{ .vaddr = 0x3010, .memsz = 0x0, .flags = PF_R },	/* empty: skipped */
		{ .vaddr = 0x5000, .memsz = 0x2001, .flags = PF_R | PF_X },
		{ .vaddr = 0x9ff0, .memsz = 0x20, .flags = PF_R | PF_W },
	} };
	struct addr_range r[8];
	uint64_t b = 0x7f0000000000ULL;

	(void)state;
	if (pg != 4096)
		skip();
	memset(r, 0xee, sizeof(r));
	assert_int_equal(elfsegs_ranges(&s, b, r, 8), 3);
	assert_int_equal(r[0].start, b + 0x1000);
	assert_int_equal(r[0].end, b + 0x2000);
	assert_int_equal(r[1].start, b + 0x5000);
	assert_int_equal(r[1].end, b + 0x8000);
	assert_int_equal(r[2].start, b + 0x9000);
	assert_int_equal(r[2].end, b + 0xb000);
	/* The rest is untouched. */
	assert_int_equal(r[3].start, 0xeeeeeeeeeeeeeeeeULL);

	/* At most max. */
	memset(r, 0xee, sizeof(r));
	assert_int_equal(elfsegs_ranges(&s, 0, r, 2), 2);
	assert_int_equal(r[1].start, 0x5000);
	assert_int_equal(r[2].start, 0xeeeeeeeeeeeeeeeeULL);
	assert_int_equal(elfsegs_ranges(&s, 0, r, 0), 0);
	assert_int_equal(elfsegs_ranges(&s, 0, NULL, 8), 0);
	assert_int_equal(elfsegs_ranges(NULL, 0, r, 8), 0);

	/* Near the top of the address space nothing wraps. */
	struct elf_segs top = { .n = 1, .seg = { { .vaddr = UINT64_MAX - 0x1800, .memsz = 0x1000 } } };

	assert_int_equal(elfsegs_ranges(&top, 0, r, 8), 1);
	assert_int_equal(r[0].start, UINT64_MAX - 0x1fff);
	assert_int_equal(r[0].end, UINT64_MAX - 0xfff);
	assert_true(r[0].start < r[0].end);
	top.seg[0].memsz = 0x1700;
	assert_int_equal(elfsegs_ranges(&top, 0, r, 8), 1);
	assert_true(r[0].start < r[0].end);
	/* Addresses are modulo 2^64: a library loaded below its link
	 * address has a "negative" bias. */
	top.seg[0].vaddr = 0x401234;
	top.seg[0].memsz = 0x10;
	assert_int_equal(elfsegs_ranges(&top, (uint64_t)-0x1000, r, 8), 1);
	assert_int_equal(r[0].start, 0x400000);
	assert_int_equal(r[0].end, 0x401000);
	/* A segment that straddles the top is dropped. */
	top.seg[0].vaddr = UINT64_MAX - 0x10;
	top.seg[0].memsz = 0x100;
	assert_int_equal(elfsegs_ranges(&top, 0, r, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_bin_true),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_bias_self),
		cmocka_unit_test(test_bias_synthetic),
		cmocka_unit_test(test_ranges),
	};

	return cmocka_run_group_tests_name("elfsegs", tests, setup, teardown);
}
