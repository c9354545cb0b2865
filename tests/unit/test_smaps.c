/* Unit tests for src/host/smaps.c and src/host/snapshot.c: smaps text from
 * this machine and from older kernels, VmFlags, malformed and truncated
 * text, the THP-relevance rule, and both on this process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "host/smaps.h"
#include "host/snapshot.h"

#define MB2 (2ULL << 20)
#define ALL_HAVE (SMAPS_HAVE_SIZE | SMAPS_HAVE_RSS | SMAPS_HAVE_ANON_HUGE | SMAPS_HAVE_SHMEM_PMD | \
		  SMAPS_HAVE_FILE_PMD | SMAPS_HAVE_THP_ELIGIBLE | SMAPS_HAVE_VMFLAGS)

/* tests/workloads/thp_resident on 6.18 (the heap, file_huge on a huge=advise
 * tmpfs, anon_small, anon_huge, the vdso), verbatim: the kernel pads the
 * anonymous maps lines and ends VmFlags with a blank. */
static const char realistic[] =
	"55739e45d000-55739e47e000 rw-p 00000000 00:00 0                          [heap]\n"
	"Size:                132 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                   8 kB\n"
	"Pss:                   8 kB\n"
	"Pss_Dirty:             8 kB\n"
	"Shared_Clean:          0 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:         8 kB\n"
	"Referenced:            8 kB\n"
	"Anonymous:             8 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n"
	"THPeligible:           0\n"
	"VmFlags: rd wr mr mw me ac \n"
	"7f07d0e00000-7f07d1200000 rw-s 00000000 00:27 2                          /tmp/snapres/tmpfs/thp_resident.777\n"
	"Size:               4096 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                4096 kB\n"
	"Pss:                4096 kB\n"
	"Pss_Dirty:          4096 kB\n"
	"Shared_Clean:          0 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:      4096 kB\n"
	"Referenced:         4096 kB\n"
	"Anonymous:             0 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:     4096 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n"
	"THPeligible:           1\n"
	"VmFlags: rd wr sh mr mw me ms hg \n"
	"7f07d1400000-7f07d1800000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                4096 kB\n"
	"Pss:                4096 kB\n"
	"Pss_Dirty:          4096 kB\n"
	"Shared_Clean:          0 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:      4096 kB\n"
	"Referenced:         4096 kB\n"
	"Anonymous:          4096 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n"
	"THPeligible:           1\n"
	"VmFlags: rd wr mr mw me ac hg \n"
	"7f07d1a00000-7f07d1e00000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                4096 kB\n"
	"Pss:                4096 kB\n"
	"Pss_Dirty:          4096 kB\n"
	"Shared_Clean:          0 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:      4096 kB\n"
	"Referenced:         4096 kB\n"
	"Anonymous:          4096 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:      4096 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n"
	"THPeligible:           1\n"
	"VmFlags: rd wr mr mw me ac hg \n"
	"7f07d2260000-7f07d2262000 r-xp 00000000 00:00 0                          [vdso]\n"
	"Size:                  8 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                   4 kB\n"
	"Pss:                   0 kB\n"
	"Pss_Dirty:             0 kB\n"
	"Shared_Clean:          4 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:         0 kB\n"
	"Private_Dirty:         0 kB\n"
	"Referenced:            4 kB\n"
	"Anonymous:             0 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n"
	"THPeligible:           0\n"
	"VmFlags: rd ex mr mw me de \n";

static struct smaps_list parse_all(const char *text, size_t *bad)
{
	struct smaps_list l = { 0 };

	assert_int_equal(smaps_parse(text, strlen(text), &l, bad), 0);
	return l;
}

/* Keep every mapping (as smaps_parse() does). */
static int collect_each(const struct smaps_entry *e, void *arg)
{
	struct smaps_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = *e;
	return 0;
}

static void test_realistic(void **state)
{
	size_t bad = 99;
	struct smaps_list l = parse_all(realistic, &bad);
	const struct smaps_entry *heap = &l.v[0], *file = &l.v[1], *small = &l.v[2],
				 *huge = &l.v[3], *vdso = &l.v[4];
	uint64_t first;

	(void)state;
	assert_int_equal(l.n, 5);
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.v[i].have, ALL_HAVE);

	assert_string_equal(heap->map.path, "[heap]");
	assert_int_equal(heap->size, 132 << 10);
	assert_int_equal(heap->rss, 8 << 10);
	assert_int_equal(heap->thp_eligible, 0);
	assert_int_equal(heap->vmflags, SMAPS_VM_RD | SMAPS_VM_WR | SMAPS_VM_MR | SMAPS_VM_MW | SMAPS_VM_ME);
	assert_string_equal(heap->vmflags_raw, "rd wr mr mw me ac");
	assert_false(smaps_thp_relevant(heap));

	assert_string_equal(file->map.path, "/tmp/snapres/tmpfs/thp_resident.777");
	assert_string_equal(file->map.perms, "rw-s");
	assert_int_equal(file->map.dev_minor, 0x27);
	assert_int_equal(file->map.ino, 2);
	assert_int_equal(file->size, 4 << 20);
	assert_int_equal(file->shmem_pmd, 4 << 20);
	assert_int_equal(file->file_pmd, 0);
	assert_int_equal(file->anon_huge, 0);
	assert_int_equal(file->thp_eligible, 1);
	assert_true(file->vmflags & SMAPS_VM_SH);
	assert_true(file->vmflags & SMAPS_VM_HG);
	assert_false(file->vmflags & SMAPS_VM_NH);
	assert_string_equal(file->vmflags_raw, "rd wr sh mr mw me ms hg");
	assert_true(smaps_has_flag(file, "ms"));
	assert_false(smaps_has_flag(file, "ac"));
	assert_true(smaps_thp_relevant(file));
	assert_int_equal(smaps_aligned_regions(&file->map, &first), 2);
	assert_int_equal(first, 0x7f07d0e00000ULL);

	/* Madvised and eligible, nothing huge yet: relevant. */
	assert_string_equal(small->map.path, "");
	assert_int_equal(small->rss, 4 << 20);
	assert_int_equal(small->anon_huge, 0);
	assert_int_equal(small->thp_eligible, 1);
	assert_true(small->vmflags & SMAPS_VM_HG);
	assert_true(smaps_thp_relevant(small));

	assert_int_equal(huge->map.start, 0x7f07d1a00000ULL);
	assert_int_equal(huge->anon_huge, 4 << 20);
	assert_true(smaps_thp_relevant(huge));
	assert_int_equal(smaps_aligned_regions(&huge->map, &first), 2);
	assert_int_equal(first, 0x7f07d1a00000ULL);

	assert_string_equal(vdso->map.path, "[vdso]");
	assert_string_equal(vdso->vmflags_raw, "rd ex mr mw me de");
	assert_false(smaps_thp_relevant(vdso));

	/* The same text again appends; without its last byte it parses the same. */
	assert_int_equal(smaps_parse(realistic, strlen(realistic) - 1, &l, &bad), 0);
	assert_int_equal(l.n, 10);
	assert_int_equal(bad, 0);
	assert_string_equal(l.v[9].vmflags_raw, "rd ex mr mw me de");
	smaps_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	smaps_list_free(&l);
	smaps_list_free(NULL);
}

/* 4.19 had no THPeligible (5.0) nor FilePmdMapped (5.4); 3.x no VmFlags
 * (3.8) and no ShmemPmdMapped (4.8). */
static const char old_kernel[] =
	"7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"Rss:                4096 kB\n"
	"AnonHugePages:      2048 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"Locked:                0 kB\n"
	"VmFlags: rd wr mr mw me ac \n"
	"7f0000400000-7f0000800000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"Rss:                4096 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"VmFlags: rd wr mr mw me ac hg \n"
	"7f0000800000-7f0000c00000 rw-p 00000000 00:00 0 \n"
	"Size:               4096 kB\n"
	"Rss:                   0 kB\n"
	"AnonHugePages:         0 kB\n"
	"7f0000c00000-7f0001000000 rw-p 00000000 00:00 0\n"
	"Size:               4096 kB\n";

static void test_old_kernel(void **state)
{
	size_t bad = 99;
	struct smaps_list l = parse_all(old_kernel, &bad);

	(void)state;
	assert_int_equal(l.n, 4);
	assert_int_equal(bad, 0);
	assert_int_equal(l.v[0].thp_eligible, -1);
	assert_int_equal(l.v[0].have, SMAPS_HAVE_SIZE | SMAPS_HAVE_RSS | SMAPS_HAVE_ANON_HUGE |
					  SMAPS_HAVE_SHMEM_PMD | SMAPS_HAVE_VMFLAGS);
	assert_int_equal(l.v[0].anon_huge, 2 << 20);
	/* Huge already, or madvised: relevant without THPeligible. */
	assert_true(smaps_thp_relevant(&l.v[0]));
	assert_true(smaps_thp_relevant(&l.v[1]));
	/* Neither, and no VmFlags at all: not. */
	assert_int_equal(l.v[2].have, SMAPS_HAVE_SIZE | SMAPS_HAVE_RSS | SMAPS_HAVE_ANON_HUGE);
	assert_int_equal(l.v[2].vmflags, 0);
	assert_string_equal(l.v[2].vmflags_raw, "");
	assert_false(smaps_has_flag(&l.v[2], "rd"));
	assert_false(smaps_thp_relevant(&l.v[2]));
	assert_int_equal(l.v[3].have, SMAPS_HAVE_SIZE);
	assert_int_equal(l.v[3].thp_eligible, -1);
	smaps_list_free(&l);
}

/* Parse "HEADER\nVmFlags: <flags>\n" into e; returns the bad count. */
static size_t vmflags_of(const char *flags, struct smaps_entry *e)
{
	char text[512];
	struct smaps_list l = { 0 };
	size_t bad = 99;

	snprintf(text, sizeof(text), "1000-2000 rw-p 00000000 00:00 0\nVmFlags: rd wr\nVmFlags:%s\n", flags);
	assert_int_equal(smaps_parse(text, strlen(text), &l, &bad), 0);
	assert_int_equal(l.n, 1);
	*e = l.v[0];
	smaps_list_free(&l);
	return bad;
}

static void test_vmflags(void **state)
{
	static struct smaps_entry e;
	char many[256] = "";

	(void)state;
	assert_int_equal(vmflags_of(" rd wr ex sh mr mw me lo io dd ht hg nh mg", &e), 0);
	assert_int_equal(e.vmflags, SMAPS_VM_RD | SMAPS_VM_WR | SMAPS_VM_EX | SMAPS_VM_SH |
				    SMAPS_VM_MR | SMAPS_VM_MW | SMAPS_VM_ME | SMAPS_VM_LO |
				    SMAPS_VM_IO | SMAPS_VM_DD | SMAPS_VM_HT | SMAPS_VM_HG |
				    SMAPS_VM_NH | SMAPS_VM_MG);
	/* Codes without a bit are kept, in order; tabs and runs of blanks are
	 * separators. */
	assert_int_equal(vmflags_of("\tac  sd um\tuw ss sl  ", &e), 0);
	assert_int_equal(e.vmflags, 0);
	assert_string_equal(e.vmflags_raw, "ac sd um uw ss sl");
	assert_true(smaps_has_flag(&e, "sl"));
	assert_true(smaps_has_flag(&e, "ac"));
	assert_false(smaps_has_flag(&e, "s"));
	assert_false(smaps_has_flag(&e, "slx"));
	assert_false(smaps_has_flag(&e, NULL));
	assert_false(smaps_has_flag(NULL, "ac"));
	assert_int_equal(vmflags_of(" nh", &e), 0);
	assert_int_equal(e.vmflags, SMAPS_VM_NH);
	/* An empty list is a list. */
	assert_int_equal(vmflags_of(" ", &e), 0);
	assert_int_equal(e.vmflags, 0);
	assert_string_equal(e.vmflags_raw, "");
	assert_true(e.have & SMAPS_HAVE_VMFLAGS);

	/* Bad lines change nothing: the earlier "rd wr" stays. */
	static const char *const bad[] = { " rd w", " rdx", " RD", " r-", " hg,nh", " rd\x01" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vmflags_of(bad[i], &e) != 1)
			fail_msg("accepted VmFlags:'%s'", bad[i]);
		assert_string_equal(e.vmflags_raw, "rd wr");
		assert_int_equal(e.vmflags, SMAPS_VM_RD | SMAPS_VM_WR);
	}

	/* 64 codes (one per vm_flags bit) fit; 65 do not. */
	for (int i = 0; i < SMAPS_VMFLAGS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), " %c%c", 'a' + i / 26, 'a' + i % 26);
	assert_int_equal(vmflags_of(many, &e), 0);
	assert_int_equal(strlen(e.vmflags_raw), SMAPS_VMFLAGS_LEN - 1);
	assert_true(smaps_has_flag(&e, "cl"));
	strcat(many, " zz");
	assert_int_equal(vmflags_of(many, &e), 1);
}

static const char garbage[] =
	"Size:               4096 kB\n"			/* no mapping yet: bad */
	"\n"
	"200000-600000 rw-p 00000000 00:00 0\n"
	"Size:               4096 kB\n"
	"Rss:                 abc kB\n"			/* bad number */
	"AnonHugePages:      2048\n"			/* no unit */
	"ShmemPmdMapped:     2048 MB\n"			/* wrong unit */
	"FilePmdMapped:      18014398509481984 kB\n"	/* 2^54 kB: past 64 bits in bytes */
	"THPeligible:           2\n"			/* 0 or 1 */
	"THPeligible:           1 x\n"
	"Some_Future_Key:    whatever it says\n"	/* unknown: ignored */
	"VmFlags: rd wr mr mw me ac hg\n"
	"this is not a line of smaps\n"			/* bad; ends the mapping */
	"Rss:                4096 kB\n"			/* bad: belongs to no mapping */
	"7f00-\n"					/* a cut header */
	"AnonHugePages:      4096 kB\n"			/* bad: its header was bad */
	"800000-a00000 rw-p 00000000 00:00 0\n"
	"Size:               2048 kB\n"
	"THPeligible:           1\n"
	"Rss:                  12";			/* cut mid-line: bad */

static void test_garbage(void **state)
{
	size_t bad = 99;
	struct smaps_list l = parse_all(garbage, &bad);

	(void)state;
	assert_int_equal(l.n, 2);
	assert_int_equal(bad, 12);
	assert_int_equal(l.v[0].map.start, 0x200000);
	assert_int_equal(l.v[0].have, SMAPS_HAVE_SIZE | SMAPS_HAVE_VMFLAGS);
	assert_int_equal(l.v[0].size, 4 << 20);
	assert_int_equal(l.v[0].rss, 0);
	assert_int_equal(l.v[0].anon_huge, 0);
	assert_int_equal(l.v[0].thp_eligible, -1);
	assert_true(l.v[0].vmflags & SMAPS_VM_HG);
	assert_int_equal(l.v[1].map.start, 0x800000);
	assert_int_equal(l.v[1].thp_eligible, 1);
	assert_int_equal(l.v[1].rss, 0);
	smaps_list_free(&l);

	/* A NUL inside a header spoils that line only. */
	static const char nul[] = "1000-2000 rw-p 00000000 00:00 0 /a\0b\nSize: 4 kB\n"
				  "3000-4000 rw-p 00000000 00:00 0\nSize: 4 kB\n";

	assert_int_equal(smaps_parse(nul, sizeof(nul) - 1, &l, &bad), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(bad, 2);
	assert_int_equal(l.v[0].map.start, 0x3000);
	assert_int_equal(l.v[0].size, 4096);
	smaps_list_free(&l);

	/* Nothing, NULL text, no list. */
	assert_int_equal(smaps_parse("", 0, &l, &bad), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(smaps_parse(NULL, 10, &l, &bad), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(smaps_parse(garbage, 10, NULL, &bad), -1);
	assert_int_equal(smaps_each(garbage, 10, NULL, NULL, &bad), -1);
}

static int stop_at_second(const struct smaps_entry *e, void *arg)
{
	int *seen = arg;

	(void)e;
	return ++*seen == 2 ? 7 : 0;
}

static void test_each_stops(void **state)
{
	int seen = 0;
	size_t bad;

	(void)state;
	assert_int_equal(smaps_each(realistic, strlen(realistic), stop_at_second, &seen, &bad), 7);
	assert_int_equal(seen, 2);
	assert_int_equal(bad, 0);
}

static void assert_same(const struct smaps_entry *a, const struct smaps_entry *b)
{
	assert_int_equal(a->map.start, b->map.start);
	assert_int_equal(a->map.end, b->map.end);
	assert_int_equal(a->map.offset, b->map.offset);
	assert_int_equal(a->map.ino, b->map.ino);
	assert_string_equal(a->map.path, b->map.path);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->rss, b->rss);
	assert_int_equal(a->anon_huge, b->anon_huge);
	assert_int_equal(a->shmem_pmd, b->shmem_pmd);
	assert_int_equal(a->file_pmd, b->file_pmd);
	assert_int_equal(a->thp_eligible, b->thp_eligible);
	assert_int_equal(a->vmflags, b->vmflags);
	assert_int_equal(a->have, b->have);
	assert_string_equal(a->vmflags_raw, b->vmflags_raw);
}

/* Read from a file, in 64 KiB pieces that cut lines anywhere, the result is
 * the text's: also around lines longer than a piece. */
static void test_fd_pieces(void **state)
{
	size_t cap = 64 * sizeof(realistic) + 3 * 70000, len = 0, bad_fd = 99, bad_text = 99;
	char *text = malloc(cap);
	struct smaps_list a = { 0 }, b = { 0 };
	int fd = memfd_create("smaps text", MFD_CLOEXEC);

	(void)state;
	assert_non_null(text);
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++) {
		memcpy(text + len, realistic, sizeof(realistic) - 1);
		len += sizeof(realistic) - 1;
		if (i == 20) {		/* a key line of 70000 bytes: bad, the mapping goes on */
			len += (size_t)sprintf(text + len, "Rss: ");
			memset(text + len, '7', 70000);
			len += 70000;
			text[len++] = '\n';
			len += (size_t)sprintf(text + len, "THPeligible: 0\n");
		}
		if (i == 40) {		/* any other line of 70000: bad, ends the mapping */
			memset(text + len, 'x', 70000);
			len += 70000;
			text[len++] = '\n';
			len += (size_t)sprintf(text + len, "THPeligible: 0\n");
		}
	}
	len += (size_t)sprintf(text + len, "1000-200000 r--p 00000000 00:00 0\nRss: 4 kB");
	assert_true(len <= cap);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

	assert_int_equal(smaps_fd_each(fd, collect_each, &a, &bad_fd), 0);
	assert_int_equal(smaps_parse(text, len, &b, &bad_text), 0);
	assert_int_equal(a.n, 64 * 5 + 1);
	assert_int_equal(bad_text, 3);		/* two long lines, one orphan key */
	assert_int_equal(bad_fd, bad_text);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_same(&a.v[i], &b.v[i]);
	/* Mapping 20 * 5 + 4 (the vdso) took the THPeligible after the long key. */
	assert_int_equal(a.v[20 * 5 + 4].thp_eligible, 0);
	assert_int_equal(a.v[64 * 5].rss, 4096);

	assert_int_equal(smaps_fd_each(-1, collect_each, &a, NULL), -EINVAL);
	assert_int_equal(smaps_fd_each(fd, NULL, NULL, NULL), -EINVAL);
	smaps_list_free(&a);
	smaps_list_free(&b);
	free(text);
	close(fd);
}

/* An anonymous mapping [start, end) with these facts. */
static struct smaps_entry mapping(uint64_t start, uint64_t end, uint32_t flags, int eligible,
				  uint64_t anon_huge)
{
	struct smaps_entry e;

	memset(&e, 0, sizeof(e));
	e.map.start = start;
	e.map.end = end;
	e.vmflags = flags;
	e.thp_eligible = eligible;
	e.anon_huge = anon_huge;
	e.size = end - start;
	return e;
}

static void test_relevance(void **state)
{
	struct smaps_entry e;
	uint64_t first;

	(void)state;
	/* 1.9 MiB, aligned, madvised and eligible: no room for a PMD. */
	e = mapping(0x200000, 0x200000 + 1945600, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, &first), 0);
	assert_int_equal(first, 0);
	assert_false(smaps_thp_relevant(&e));
	/* Exactly one aligned 2 MiB. */
	e = mapping(0x200000, 0x400000, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, &first), 1);
	assert_int_equal(first, 0x200000);
	assert_true(smaps_thp_relevant(&e));
	/* 2 MiB, not aligned: none. */
	e = mapping(0x201000, 0x401000, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, NULL), 0);
	assert_false(smaps_thp_relevant(&e));
	/* 4 MiB, not aligned: one, in the middle. */
	e = mapping(0x101000, 0x501000, SMAPS_VM_HG, -1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, &first), 1);
	assert_int_equal(first, 0x200000);
	assert_true(smaps_thp_relevant(&e));
	/* Ending on a boundary: one; a page short of it: none. */
	e = mapping(0x201000, 0x600000, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, NULL), 1);
	e = mapping(0x201000, 0x5ff000, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, NULL), 0);

	/* Each reason alone is enough... */
	e = mapping(0x200000, 0x600000, 0, 1, 0);		/* THP "always" */
	assert_true(smaps_thp_relevant(&e));
	e = mapping(0x200000, 0x600000, 0, -1, 2 << 20);
	assert_true(smaps_thp_relevant(&e));
	e = mapping(0x200000, 0x600000, 0, 0, 0);
	e.shmem_pmd = 2 << 20;
	assert_true(smaps_thp_relevant(&e));
	e = mapping(0x200000, 0x600000, 0, 0, 0);
	e.file_pmd = 2 << 20;
	assert_true(smaps_thp_relevant(&e));
	/* ...and without any, big is not enough. */
	e = mapping(0x200000, 0x40000000, 0, 0, 0);
	assert_false(smaps_thp_relevant(&e));
	e = mapping(0x200000, 0x40000000, 0, -1, 0);
	assert_false(smaps_thp_relevant(&e));

	/* MADV_NOHUGEPAGE: not eligible, so out, unless a PMD is left. */
	e = mapping(0x200000, 0x600000, SMAPS_VM_NH, 0, 0);
	assert_false(smaps_thp_relevant(&e));
	e = mapping(0x200000, 0x600000, SMAPS_VM_NH, 0, 2 << 20);
	assert_true(smaps_thp_relevant(&e));
	/* hugetlb is never THP, whatever it says. */
	e = mapping(0x200000, 0x600000, SMAPS_VM_HT | SMAPS_VM_HG, 1, 0);
	assert_false(smaps_thp_relevant(&e));
	assert_false(smaps_thp_relevant(NULL));

	/* The top of the address space: no overflow. */
	e = mapping(UINT64_MAX - 0x1000, UINT64_MAX, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, &first), 0);
	e = mapping(0xffffffffffc00000ULL, UINT64_MAX, SMAPS_VM_HG, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, &first), 1);
	assert_int_equal(first, 0xffffffffffc00000ULL);
	e = mapping(0x0, 0x800000, 0, 1, 0);
	assert_int_equal(smaps_aligned_regions(&e.map, &first), 4);
	assert_int_equal(first, 0);
	assert_int_equal(smaps_aligned_regions(NULL, &first), 0);
}

/* len bytes at a 2 MiB aligned address (the rest of the reservation is
 * unmapped again). */
static char *map_aligned(size_t len, int prot, int flags, int fd)
{
	char *r = mmap(NULL, len + MB2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a, *p;

	assert_true(r != MAP_FAILED);
	a = (char *)(((uintptr_t)r + MB2 - 1) & ~(uintptr_t)(MB2 - 1));
	p = mmap(a, len, prot, flags | MAP_FIXED, fd, 0);
	assert_ptr_equal(p, a);
	if (a > r)
		assert_int_equal(munmap(r, (size_t)(a - r)), 0);
	assert_int_equal(munmap(a + len, (size_t)(r + MB2 - a)), 0);
	return p;
}

static const struct smaps_entry *find(const struct smaps_list *l, const void *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].map.start <= (uintptr_t)addr && (uintptr_t)addr < l->v[i].map.end)
			return &l->v[i];
	return NULL;
}

static int count_each(const struct smaps_entry *e, void *arg)
{
	(void)e;
	++*(size_t *)arg;
	return 0;
}

static void test_read_self(void **state)
{
	struct smaps_list l = { 0 };
	const struct smaps_entry *e;
	char *p = map_aligned(2 * MB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	size_t n = 0, bad = 99;

	(void)state;
	assert_int_equal(madvise(p, 2 * MB2, MADV_HUGEPAGE), 0);
	memset(p, 1, 2 * MB2);
	assert_int_equal(smaps_read(getpid(), &l), 0);
	assert_true(l.n > 5);
	e = find(&l, p);
	assert_non_null(e);
	assert_true(e->vmflags & SMAPS_VM_HG);
	assert_int_equal(e->rss, 2 * MB2);
	assert_true(e->have & SMAPS_HAVE_SIZE);
	assert_true(smaps_thp_relevant(e));
	assert_non_null(find(&l, (void *)(uintptr_t)&test_read_self));

	/* pid 0 is this process; the callback sees every mapping. */
	assert_int_equal(smaps_read_each(0, count_each, &n, &bad), 0);
	assert_int_equal(bad, 0);
	assert_true(n >= l.n - 2 && n <= l.n + 2);	/* the heap may grow meanwhile */
	smaps_list_free(&l);
	assert_int_equal(munmap(p, 2 * MB2), 0);
}

static void test_read_missing(void **state)
{
	struct smaps_list l = { 0 };
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	long pid_max = 0;
	struct snapshot_stats st;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
	fclose(f);
	assert_int_equal(smaps_read((pid_t)pid_max, &l), -ENOENT);
	assert_int_equal(l.n, 0);
	assert_int_equal(smaps_read(-1, &l), -EINVAL);
	assert_int_equal(smaps_read(1, NULL), -EINVAL);
	assert_int_equal(smaps_read_each(0, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(snapshot_take((pid_t)pid_max, false, (snapshot_fn)count_each, NULL, &st), -ESRCH);
	assert_int_equal(st.regions, 0);
	assert_int_equal(snapshot_take(0, false, NULL, NULL, NULL), -EINVAL);
}

/* Regions a snapshot gave, and what it said of two of them. */
struct seen {
	size_t n;
	uint64_t anon, shm;			/* the regions looked for */
	struct snapshot_region anon_r, shm_r;
	char shm_path[64];
	size_t stop_after;			/* stop once n reaches it (0: never) */
};

static int on_region(const struct snapshot_region *r, void *arg)
{
	struct seen *s = arg;

	s->n++;
	assert_int_equal(r->addr % MB2, 0);
	assert_true(r->map->map.start <= r->addr && r->addr + MB2 <= r->map->map.end);
	assert_true(smaps_thp_relevant(r->map));
	assert_int_equal(r->finfo.fully_mapped, 1);
	assert_int_equal(r->finfo.open_for_write, -1);
	if (r->addr == s->anon)
		s->anon_r = *r;
	if (r->addr == s->shm) {
		s->shm_r = *r;
		snprintf(s->shm_path, sizeof(s->shm_path), "%.63s", r->map->map.path);
	}
	return s->stop_after && s->n == s->stop_after;
}

static void test_snapshot_self(void **state)
{
	struct seen s = { 0 };
	struct snapshot_stats st;
	char *anon = map_aligned(2 * MB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int fd = memfd_create("smaps test", MFD_CLOEXEC);
	char *shm;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * MB2), 0);
	/* The file's second and third 2 MiB. */
	shm = mmap(NULL, 4 * MB2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(shm != MAP_FAILED);
	assert_int_equal(munmap(shm, 4 * MB2), 0);
	shm = (char *)(((uintptr_t)shm + MB2 - 1) & ~(uintptr_t)(MB2 - 1));
	assert_ptr_equal(mmap(shm, 2 * MB2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, MB2), shm);
	assert_int_equal(madvise(anon, 2 * MB2, MADV_HUGEPAGE), 0);
	assert_int_equal(madvise(shm, 2 * MB2, MADV_HUGEPAGE), 0);
	memset(anon, 1, 2 * MB2);
	memset(shm, 1, 4096);

	s.anon = (uintptr_t)anon + MB2;
	s.shm = (uintptr_t)shm;
	assert_int_equal(snapshot_take(0, false, on_region, &s, &st), 0);
	assert_int_equal(st.regions, s.n);
	assert_true(st.regions >= 4);
	assert_true(st.relevant >= 2 && st.relevant <= st.mappings);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.bad_lines, 0);

	assert_int_equal(s.anon_r.addr, s.anon);
	assert_true(s.anon_r.anon);
	assert_int_equal(s.anon_r.finfo.is_shmem, 0);
	assert_int_equal(s.anon_r.file_offset, 0);
	assert_int_equal(s.anon_r.finfo.file_aligned, -1);
	assert_int_equal(s.anon_r.sample_err, 0);
	assert_int_equal(s.anon_r.sample.present, 512);
	/* PMD-mapped if a huge page was free at the fault; small otherwise. */
	assert_true(s.anon_r.sample.state == PS_PMD || s.anon_r.sample.state == PS_PTE);

	/* A memfd is shmem whatever its mount; its offset is the mapping's. */
	assert_int_equal(s.shm_r.addr, s.shm);
	assert_false(s.shm_r.anon);
	assert_int_equal(s.shm_r.finfo.is_shmem, 1);
	assert_string_equal(s.shm_r.finfo.tmpfs_huge, "");
	assert_int_equal(s.shm_r.file_offset, MB2);
	assert_int_equal(s.shm_r.finfo.file_aligned, 1);
	assert_string_equal(s.shm_path, "/memfd:smaps test (deleted)");
	assert_int_equal(s.shm_r.sample_err, 0);
	assert_true(s.shm_r.sample.present >= 1);

	/* The plain pagemap reader says the same of what is there. */
	memset(&s.anon_r, 0, sizeof(s.anon_r));
	s.n = 0;
	assert_int_equal(snapshot_take(getpid(), true, on_region, &s, NULL), 0);
	assert_int_equal(s.anon_r.sample.present, 512);
	/* "pagemap", or "pagemap,no-kpageflags" when not root */
	assert_int_equal(strncmp(s.anon_r.sample.method, "pagemap", 7), 0);
	assert_int_not_equal(s.anon_r.sample.method[7], '_');

	/* The callback can stop it. */
	s.n = 0;
	s.stop_after = 1;
	assert_int_equal(snapshot_take(0, false, on_region, &s, &st), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(st.regions, 1);

	assert_int_equal(munmap(anon, 2 * MB2), 0);
	assert_int_equal(munmap(shm, 2 * MB2), 0);
	close(fd);
}

/* More regions than a snapshot samples: the rest are counted, not read. */
static void test_snapshot_cap(void **state)
{
	struct seen s = { 0 };
	struct snapshot_stats st;
	size_t len = (SNAPSHOT_MAX_REGIONS + 8) * MB2;
	char *p = map_aligned(len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);

	(void)state;
	assert_int_equal(madvise(p, len, MADV_HUGEPAGE), 0);
	assert_int_equal(snapshot_take(0, false, on_region, &s, &st), 0);
	assert_int_equal(st.regions, SNAPSHOT_MAX_REGIONS);
	assert_int_equal(s.n, SNAPSHOT_MAX_REGIONS);
	assert_true(st.dropped >= 8);
	assert_int_equal(munmap(p, len), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realistic),
		cmocka_unit_test(test_old_kernel),
		cmocka_unit_test(test_vmflags),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_each_stops),
		cmocka_unit_test(test_fd_pieces),
		cmocka_unit_test(test_relevance),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_missing),
		cmocka_unit_test(test_snapshot_self),
		cmocka_unit_test(test_snapshot_cap),
	};

	return cmocka_run_group_tests_name("smaps", tests, NULL, NULL);
}
