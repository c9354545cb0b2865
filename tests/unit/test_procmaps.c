/* Unit tests for src/procmaps.c: maps line parsing, whole texts, the
 * /proc reader and lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "host/procmaps.h"

static struct map_entry e;	/* 4 KiB: keep it off the stack */

static void parse_ok(const char *line)
{
	memset(&e, 0x5a, sizeof(e));
	if (procmaps_parse_line(line, &e) != 0)
		fail_msg("rejected: '%s'", line);
}

static void test_file_line(void **state)
{
	(void)state;
	parse_ok("562dac450000-562dac455000 r-xp 00002000 fd:01 247134                     /usr/bin/cat\n");
	assert_int_equal(e.start, 0x562dac450000ULL);
	assert_int_equal(e.end, 0x562dac455000ULL);
	assert_string_equal(e.perms, "r-xp");
	assert_int_equal(e.offset, 0x2000);
	assert_int_equal(e.dev_major, 0xfd);
	assert_int_equal(e.dev_minor, 0x01);
	assert_int_equal(e.ino, 247134);
	assert_string_equal(e.path, "/usr/bin/cat");
	assert_int_equal(map_kdev(&e), (0xfdu << 20) | 1);

	/* The same without the newline. */
	parse_ok("562dac450000-562dac455000 r-xp 00002000 fd:01 247134 /usr/bin/cat");
	assert_string_equal(e.path, "/usr/bin/cat");
}

static void test_special_paths(void **state)
{
	(void)state;
	parse_ok("55d1e7a5a000-55d1e7a7b000 rw-p 00000000 00:00 0                          [heap]\n");
	assert_string_equal(e.path, "[heap]");
	assert_string_equal(e.perms, "rw-p");
	assert_int_equal(e.ino, 0);
	assert_int_equal(e.dev_major, 0);
	assert_int_equal(e.dev_minor, 0);

	parse_ok("7ffc4c9e1000-7ffc4ca02000 rw-p 00000000 00:00 0                          [stack]");
	assert_string_equal(e.path, "[stack]");
	parse_ok("7ffc4cbd6000-7ffc4cbd8000 r-xp 00000000 00:00 0                          [vdso]\n");
	assert_string_equal(e.path, "[vdso]");
	assert_string_equal(e.perms, "r-xp");
	parse_ok("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n");
	assert_int_equal(e.start, 0xffffffffff600000ULL);
	assert_int_equal(e.end, 0xffffffffff601000ULL);
	assert_string_equal(e.path, "[vsyscall]");

	/* Spaces inside the path are kept, and so is " (deleted)". */
	parse_ok("7f0000000000-7f0000200000 r-xp 00000000 08:02 12345  /tmp/my dir/a b.so (deleted)\n");
	assert_string_equal(e.path, "/tmp/my dir/a b.so (deleted)");
	assert_int_equal(e.dev_major, 8);
	assert_int_equal(e.dev_minor, 2);
	parse_ok("7f0000000000-7f0000200000 rw-s 00000000 00:01 1029 /memfd:thp demo (deleted)");
	assert_string_equal(e.path, "/memfd:thp demo (deleted)");
	assert_string_equal(e.perms, "rw-s");
	assert_int_equal(e.ino, 1029);
}

static void test_anonymous(void **state)
{
	(void)state;
	/* Current kernels: nothing after the inode. */
	parse_ok("7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0\n");
	assert_string_equal(e.path, "");
	assert_int_equal(e.start, 0x7f1c2a000000ULL);
	/* Old kernels: a trailing space. */
	parse_ok("7f1c2a000000-7f1c2a021000 ---p 00000000 00:00 0 \n");
	assert_string_equal(e.path, "");
	assert_string_equal(e.perms, "---p");
	parse_ok("7f1c2a000000-7f1c2a021000 ---p 00000000 00:00 0");
	assert_string_equal(e.path, "");
}

static void test_numbers(void **state)
{
	(void)state;
	/* Wide device numbers, a large inode, a 64-bit offset. */
	parse_ok("1000-2000 r--p ffffffffffff0000 103:1a2b3 18446744073709551615 /x");
	assert_int_equal(e.offset, 0xffffffffffff0000ULL);
	assert_int_equal(e.dev_major, 0x103);
	assert_int_equal(e.dev_minor, 0x1a2b3);
	assert_int_equal(e.ino, UINT64_MAX);
	assert_int_equal(map_kdev(&e), (0x103u << 20) | 0x1a2b3);
	/* Upper-case hex is accepted. */
	parse_ok("7F00-8A00 r--p 0000ABCD FD:0A 1 /y");
	assert_int_equal(e.start, 0x7f00);
	assert_int_equal(e.end, 0x8a00);
	assert_int_equal(e.offset, 0xabcd);
	assert_int_equal(e.dev_minor, 10);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"1000 r-xp 00000000 00:00 0",			/* no end */
		"1000- r-xp 00000000 00:00 0",
		"-2000 r-xp 00000000 00:00 0",
		"2000-1000 r-xp 00000000 00:00 0",		/* start >= end */
		"1000-1000 r-xp 00000000 00:00 0",
		"10000000000000000-20000000000000000 r-xp 0 00:00 0", /* > 64 bits */
		"1000-2000 rwx 00000000 00:00 0",			/* short perms */
		"1000-2000 rwxq 00000000 00:00 0",		/* bad perms */
		"1000-2000 xwrp 00000000 00:00 0",
		"1000-2000 r-xp",
		"1000-2000 r-xp 00000000",
		"1000-2000 r-xp 00000000 00:00",
		"1000-2000 r-xp 00000000 0000 0",		/* no colon */
		"1000-2000 r-xp 00000000 :00 0",
		"1000-2000 r-xp 00000000 00: 0",
		"1000-2000 r-xp 00000000 1000:00 0",		/* major > 12 bits */
		"1000-2000 r-xp 00000000 00:100000 0",		/* minor > 20 bits */
		"1000-2000 r-xp 0000000g 00:00 0",
		"1000-2000 r-xp 00000000 00:00 x",
		"1000-2000 r-xp 00000000 00:00 12x /path",	/* junk on the inode */
		"1000-2000 r-xp 00000000 00:00 18446744073709551616", /* inode overflow */
		"1000-2000 r-xp 00000000 00:00 -1",
		"1000-2000r-xp 00000000 00:00 0",
		" 1000-2000 r-xp 00000000 00:00 0",
		"0x1000-0x2000 r-xp 00000000 00:00 0",
		"1000-2000 r-xp 00000000 00:00 0 /a\n/b",	/* two lines */
		"1000-2000 r-xp 00000000 00:00 0\n\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0x5a, sizeof(e));
		if (procmaps_parse_line(bad[i], &e) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		/* Nothing written on failure. */
		assert_int_equal(((unsigned char *)&e)[0], 0x5a);
	}
	assert_int_equal(procmaps_parse_line(NULL, &e), -1);
	assert_int_equal(procmaps_parse_line("1000-2000 r-xp 0 00:00 0", NULL), -1);
}

static void test_long_path(void **state)
{
	size_t n = 6000;
	char *line = malloc(n + 64);

	(void)state;
	assert_non_null(line);
	int k = snprintf(line, 64, "1000-2000 r--p 00000000 00:00 1 ");
	memset(line + k, 'p', n);
	line[k + n] = '\0';
	parse_ok(line);
	assert_int_equal(strlen(e.path), sizeof(e.path) - 1);
	assert_int_equal(e.path[0], 'p');
	free(line);
}

static const char text[] =
	"55d1e7000000-55d1e7002000 r--p 00000000 fd:01 100 /usr/bin/demo\n"
	"55d1e7002000-55d1e7005000 r-xp 00002000 fd:01 100 /usr/bin/demo\n"
	"this is not a maps line\n"
	"\n"
	"55d1e7a5a000-55d1e7a7b000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n"
	"1000-2000 r-xp 00000000 00:00\n"
	"7ffc4c9e1000-7ffc4ca02000 rw-p 00000000 00:00 0 [stack]"; /* no final newline */

static void test_parse_text(void **state)
{
	struct map_list l = { 0 };
	size_t bad = 99;

	(void)state;
	assert_int_equal(procmaps_parse(text, strlen(text), &l, &bad), 0);
	assert_int_equal(l.n, 5);
	assert_int_equal(bad, 2);
	assert_true(l.cap >= l.n);
	assert_string_equal(l.v[0].path, "/usr/bin/demo");
	assert_int_equal(l.v[1].offset, 0x2000);
	assert_string_equal(l.v[1].perms, "r-xp");
	assert_string_equal(l.v[2].path, "[heap]");
	assert_string_equal(l.v[3].path, "");
	assert_string_equal(l.v[4].path, "[stack]");
	assert_int_equal(l.v[4].end, 0x7ffc4ca02000ULL);

	/* Appends, and bad may be NULL. */
	assert_int_equal(procmaps_parse(text, strlen(text), &l, NULL), 0);
	assert_int_equal(l.n, 10);
	assert_string_equal(l.v[9].path, "[stack]");

	/* Lookups: the first mapping that holds the address. */
	assert_ptr_equal(map_list_find(&l, 0x55d1e7000000ULL), &l.v[0]);
	assert_ptr_equal(map_list_find(&l, 0x55d1e7001fffULL), &l.v[0]);
	assert_ptr_equal(map_list_find(&l, 0x55d1e7002000ULL), &l.v[1]);
	assert_ptr_equal(map_list_find(&l, 0x7f0000000fffULL), &l.v[3]);
	assert_null(map_list_find(&l, 0x7f0000001000ULL));
	assert_null(map_list_find(&l, 0));
	assert_null(map_list_find(&l, UINT64_MAX));
	assert_null(map_list_find(NULL, 0x55d1e7000000ULL));

	map_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
	map_list_free(&l);	/* twice is fine */
	map_list_free(NULL);
}

static void test_parse_edge_texts(void **state)
{
	struct map_list l = { 0 };
	size_t bad = 99;
	/* Only the first len bytes count; a NUL inside a line spoils it. */
	static const char t[] = "1000-2000 r-xp 00000000 00:00 0 /a\0b\n"
				"3000-4000 r-xp 00000000 00:00 0 /c\n"
				"5000-6000 r-xp 00000000 00:00 0 /d\n";

	(void)state;
	assert_int_equal(procmaps_parse(t, sizeof(t) - 1, &l, &bad), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(bad, 1);
	assert_string_equal(l.v[0].path, "/c");
	map_list_free(&l);

	/* Cut inside the third line: "5000-60" is not a line. */
	assert_int_equal(procmaps_parse(t, sizeof(t) - 1 - 30, &l, &bad), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(bad, 2);
	map_list_free(&l);

	assert_int_equal(procmaps_parse("", 0, &l, &bad), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(procmaps_parse(NULL, 10, &l, &bad), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(procmaps_parse("\n\n\n", 3, &l, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(procmaps_parse(t, 5, NULL, &bad), -1);

	/* Many lines: the list grows. */
	size_t n = 1000;
	char *big = malloc(n * 64), *p = big;

	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%zx-%zx rw-p 00000000 00:00 0\n", (i + 1) * 0x1000, (i + 2) * 0x1000);
	assert_int_equal(procmaps_parse(big, (size_t)(p - big), &l, &bad), 0);
	assert_int_equal(l.n, n);
	assert_int_equal(bad, 0);
	assert_int_equal(l.v[n - 1].start, n * 0x1000);
	assert_ptr_equal(map_list_find(&l, 0x1800), &l.v[0]);
	assert_ptr_equal(map_list_find(&l, n * 0x1000 + 5), &l.v[n - 1]);
	free(big);
	map_list_free(&l);
}

static void test_read_self(void **state)
{
	struct map_list l = { 0 };
	char exe[PATH_MAX];
	ssize_t n;
	const struct map_entry *m;
	void *anon;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';

	anon = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);

	assert_int_equal(procmaps_read(getpid(), &l), 0);
	assert_true(l.n > 5);

	/* The code of this function lies in an executable mapping of this
	 * program's file. */
	m = map_list_find(&l, (uint64_t)(uintptr_t)&test_read_self);
	assert_non_null(m);
	assert_int_equal(m->perms[0], 'r');
	assert_int_equal(m->perms[2], 'x');
	assert_string_equal(m->path, exe);
	assert_true(m->ino != 0);

	/* The anonymous mapping just made, with its exact protection. */
	m = map_list_find(&l, (uint64_t)(uintptr_t)anon + 4096);
	assert_non_null(m);
	assert_true(m->start <= (uint64_t)(uintptr_t)anon);
	assert_true(m->end >= (uint64_t)(uintptr_t)anon + 3 * 4096);
	assert_int_equal(m->perms[1], '-');
	assert_int_equal(m->ino, 0);

	/* A stack variable lies in [stack]. */
	int local = 0;

	m = map_list_find(&l, (uint64_t)(uintptr_t)&local);
	assert_non_null(m);
	assert_string_equal(m->path, "[stack]");
	map_list_free(&l);

	/* pid 0 reads our own maps too. */
	assert_int_equal(procmaps_read(0, &l), 0);
	assert_non_null(map_list_find(&l, (uint64_t)(uintptr_t)anon));
	map_list_free(&l);
	munmap(anon, 3 * 4096);
}

static void test_read_missing(void **state)
{
	struct map_list l = { 0 };
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long pid_max = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	/* Process ids are below pid_max, so this one cannot exist. */
	assert_int_equal(procmaps_read((pid_t)pid_max, &l), -ENOENT);
	assert_int_equal(l.n, 0);
	assert_int_equal(procmaps_read(-1, &l), -EINVAL);
	assert_int_equal(procmaps_read(1, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_line),
		cmocka_unit_test(test_special_paths),
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_parse_edge_texts),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_missing),
	};

	return cmocka_run_group_tests_name("procmaps", tests, NULL, NULL);
}
