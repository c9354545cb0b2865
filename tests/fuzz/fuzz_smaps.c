/* libFuzzer target: smaps_each() on arbitrary bytes.  Every mapping it
 * hands out must be self-consistent, must print back as smaps text that
 * parses to the same mapping, and must get the relevance rule's answer;
 * smaps_fd_each() on the same bytes from a file must give the same. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "host/smaps.h"
#include "model/event.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static const char *const named[] = { "rd", "wr", "ex", "sh", "mr", "mw", "me", "lo", "io",
				     "dd", "ht", "hg", "nh", "mg" };
static const uint32_t named_bit[] = {
	SMAPS_VM_RD, SMAPS_VM_WR, SMAPS_VM_EX, SMAPS_VM_SH, SMAPS_VM_MR, SMAPS_VM_MW, SMAPS_VM_ME,
	SMAPS_VM_LO, SMAPS_VM_IO, SMAPS_VM_DD, SMAPS_VM_HT, SMAPS_VM_HG, SMAPS_VM_NH, SMAPS_VM_MG,
};

static char text[sizeof(((struct map_entry *)0)->path) + 1024];
static struct smaps_list again;

static void check_flags(const struct smaps_entry *e)
{
	const char *r = e->vmflags_raw;
	size_t n = strnlen(r, sizeof(e->vmflags_raw));
	uint32_t bits = 0;

	CHECK(n < sizeof(e->vmflags_raw));
	if (!(e->have & SMAPS_HAVE_VMFLAGS))
		CHECK(n == 0 && e->vmflags == 0);
	/* "xx xx xx": two characters, then a blank before each next code. */
	CHECK(n == 0 || n % 3 == 2);
	for (size_t i = 0; i < n; i++) {
		char c = r[i];

		if (i % 3 == 2)
			CHECK(c == ' ');
		else
			CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (smaps_has_flag(e, named[i]))
			bits |= named_bit[i];
	CHECK(bits == e->vmflags);
}

static void check_regions(const struct smaps_entry *e)
{
	uint64_t first, n = smaps_aligned_regions(&e->map, &first);
	bool wants = (e->vmflags & SMAPS_VM_HG) || e->thp_eligible == 1 || e->anon_huge ||
		     e->shmem_pmd || e->file_pmd;

	if (n == 0) {
		CHECK(first == 0);
		CHECK(!smaps_thp_relevant(e));
		return;
	}
	CHECK(first % THP_REGION_SIZE == 0);
	CHECK(first >= e->map.start && first - e->map.start < THP_REGION_SIZE);
	CHECK(n <= (e->map.end - first) / THP_REGION_SIZE);
	/* The last region ends inside the mapping; one more would not fit. */
	CHECK(e->map.end - first - n * THP_REGION_SIZE < THP_REGION_SIZE);
	CHECK(smaps_thp_relevant(e) == (wants && !(e->vmflags & SMAPS_VM_HT)));
}

/* The mapping as the kernel would print it (only the fields it has). */
static int print(const struct smaps_entry *e)
{
	const struct map_entry *m = &e->map;
	int n = snprintf(text, sizeof(text), "%" PRIx64 "-%" PRIx64 " %s %08" PRIx64 " %02x:%02x %" PRIu64 "%s%s\n",
			 m->start, m->end, m->perms, m->offset, m->dev_major, m->dev_minor, m->ino,
			 m->path[0] ? "    " : "", m->path);
	static const struct { const char *key; uint32_t have; size_t off; } kb[] = {
		{ "Size", SMAPS_HAVE_SIZE, offsetof(struct smaps_entry, size) },
		{ "Rss", SMAPS_HAVE_RSS, offsetof(struct smaps_entry, rss) },
		{ "AnonHugePages", SMAPS_HAVE_ANON_HUGE, offsetof(struct smaps_entry, anon_huge) },
		{ "ShmemPmdMapped", SMAPS_HAVE_SHMEM_PMD, offsetof(struct smaps_entry, shmem_pmd) },
		{ "FilePmdMapped", SMAPS_HAVE_FILE_PMD, offsetof(struct smaps_entry, file_pmd) },
	};

	CHECK(n > 0 && (size_t)n < sizeof(text));
	for (size_t i = 0; i < sizeof(kb) / sizeof(kb[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)e + kb[i].off, sizeof(v));
		if (!(e->have & kb[i].have)) {
			CHECK(v == 0);
			continue;
		}
		CHECK(v % 1024 == 0);
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s:%8" PRIu64 " kB\n", kb[i].key, v >> 10);
	}
	if (e->have & SMAPS_HAVE_THP_ELIGIBLE)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "THPeligible:    %d\n", e->thp_eligible);
	if (e->have & SMAPS_HAVE_VMFLAGS)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "VmFlags: %s \n", e->vmflags_raw);
	CHECK((size_t)n < sizeof(text));
	return n;
}

static int check_entry(const struct smaps_entry *e, void *arg)
{
	size_t *count = arg, bad = 99;
	int n;

	++*count;
	CHECK(e->map.start < e->map.end);
	CHECK(memchr(e->map.path, '\0', sizeof(e->map.path)) != NULL);
	CHECK(e->thp_eligible >= -1 && e->thp_eligible <= 1);
	CHECK((e->thp_eligible == -1) == !(e->have & SMAPS_HAVE_THP_ELIGIBLE));
	CHECK((e->have & ~(uint32_t)0x7f) == 0);
	check_flags(e);
	check_regions(e);

	n = print(e);
	again.n = 0;
	CHECK(smaps_parse(text, (size_t)n, &again, &bad) == 0);
	CHECK(again.n == 1 && bad == 0);
	const struct smaps_entry *f = &again.v[0];

	CHECK(f->map.start == e->map.start && f->map.end == e->map.end);
	CHECK(f->map.offset == e->map.offset && f->map.ino == e->map.ino);
	CHECK(f->map.dev_major == e->map.dev_major && f->map.dev_minor == e->map.dev_minor);
	CHECK(strcmp(f->map.perms, e->map.perms) == 0 && strcmp(f->map.path, e->map.path) == 0);
	CHECK(f->size == e->size && f->rss == e->rss && f->anon_huge == e->anon_huge);
	CHECK(f->shmem_pmd == e->shmem_pmd && f->file_pmd == e->file_pmd);
	CHECK(f->thp_eligible == e->thp_eligible && f->have == e->have);
	CHECK(f->vmflags == e->vmflags && strcmp(f->vmflags_raw, e->vmflags_raw) == 0);
	return 0;
}

/* The mappings of smaps_each(), to hold smaps_fd_each()'s against. */
static struct smaps_list first_pass;
static size_t fd_seen;

static int same_as_text(const struct smaps_entry *e, void *arg)
{
	const struct smaps_entry *f;

	(void)arg;
	CHECK(fd_seen < first_pass.n);
	f = &first_pass.v[fd_seen++];
	CHECK(f->map.start == e->map.start && f->map.end == e->map.end);
	CHECK(strcmp(f->map.path, e->map.path) == 0 && strcmp(f->map.perms, e->map.perms) == 0);
	CHECK(f->size == e->size && f->rss == e->rss && f->anon_huge == e->anon_huge);
	CHECK(f->shmem_pmd == e->shmem_pmd && f->file_pmd == e->file_pmd);
	CHECK(f->thp_eligible == e->thp_eligible && f->have == e->have);
	CHECK(f->vmflags == e->vmflags && strcmp(f->vmflags_raw, e->vmflags_raw) == 0);
	return 0;
}

/* The input as a file, read through smaps_fd_each(). */
static void check_fd(const uint8_t *data, size_t size, size_t bad_text)
{
	static int fd = -1;
	size_t bad = 99;

	if (fd < 0)
		fd = memfd_create("fuzz_smaps", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	first_pass.n = 0;
	CHECK(smaps_parse((const char *)data, size, &first_pass, NULL) == 0);
	fd_seen = 0;
	CHECK(smaps_fd_each(fd, same_as_text, NULL, &bad) == 0);
	CHECK(fd_seen == first_pass.n && bad == bad_text);
}

static int stop_now(const struct smaps_entry *e, void *arg)
{
	(void)e;
	++*(size_t *)arg;
	return 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t count = 0, bad = (size_t)-1, lines = 0, stopped = 0;
	int rc;

	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;

		lines += n > 0;
		i += n + 1;
	}
	CHECK(smaps_each((const char *)data, size, check_entry, &count, &bad) == 0);
	/* Each non-empty line made a mapping, was used, or was bad. */
	CHECK(count + bad <= lines);

	check_fd(data, size, bad);

	/* A callback's nonzero return stops the walk at once. */
	rc = smaps_each((const char *)data, size, stop_now, &stopped, NULL);
	CHECK(count ? rc == 3 && stopped == 1 : rc == 0 && stopped == 0);
	return 0;
}
