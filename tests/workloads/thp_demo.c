/*
 * thp_demo - collapse this program's own first 2 MiB into a file THP and
 * refault it.
 *
 * This is the seed report's test.cc (after MaskRay's "exploring the section
 * layout in linker output"): the region [__ehdr_start, +2 MiB) is a private,
 * read-only file mapping of the executable.  Run from a tmpfs mounted with
 * huge=advise, khugepaged (or MADV_COLLAPSE) can replace its small page-cache
 * pages by one huge folio.  After khugepaged's collapse the range reads "not
 * present" until it is touched; the touch then maps it by one PMD (or by 512
 * PTEs after MADV_NOHUGEPAGE).  The program prints each state it sees.
 *
 * Layout: link with lld and -z max-page-size=0x200000 (see the Makefile).
 * lld puts read-only data first, so the 2 MiB+ const array below makes the
 * first loadable segment span the whole aligned 2 MiB from __ehdr_start.
 *
 * State check: the PAGEMAP_SCAN ioctl on /proc/self/pagemap (Linux 6.7+)
 * gives present and PMD-mapped ("huge") pages in one call; without it, the
 * pagemap entries, /proc/kpageflags (KPF_THP) and smaps' *PmdMapped lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/magic.h>

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* PAGEMAP_SCAN UAPI (include/uapi/linux/fs.h, Linux 6.7); Debian 12's
 * headers predate it. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
#define PAGE_IS_HUGE (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

#define HPAGE_SIZE (2UL << 20)
#define ANON_SIZE (4UL << 20)
#define POLL_NS 50000000L
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define KPF_THP 22
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

/* Linker-defined: the ELF header, i.e. the start of the first segment. */
extern const unsigned char __ehdr_start[] __attribute__((visibility("hidden")));

/*
 * 2 MiB + 4 KiB of read-only data: makes the first segment at least 2 MiB
 * long.  It must come first in .rodata: whatever else lies in the region
 * (float constants, switch jump tables, strings) would be read by the program
 * itself, and such a read after khugepaged's collapse refaults the region
 * as a PMD before anyone could see it "not present".  A C array lands after
 * the compiler's constant sections; module-level asm is emitted before any
 * function, so its section is the first of this object, and lld keeps that
 * order.  (Only the ELF header, .dynsym, .dynstr and relocations precede it,
 * which ld.so reads at startup; the Makefile links with -z now so that lazy
 * binding does not read them later.)  PROGBITS zeros are file-backed.
 */
__asm__("	.pushsection .rodata.thp_demo_blob,\"a\",@progbits\n"
	"	.balign 16\n"
	"	.type demo_blob,@object\n"
	"demo_blob:\n"
	"	.ascii \"THP-demo\"\n"
	"	.zero (2 << 20) + 4096 - 8\n"
	"	.size demo_blob, . - demo_blob\n"
	"	.popsection\n");
extern const unsigned char demo_blob[] __attribute__((visibility("hidden")));
#define DEMO_BLOB_SIZE (HPAGE_SIZE + 4096)

enum mode { MODE_WAIT, MODE_COLLAPSE };

struct opts {
	enum mode mode;
	bool anon;
	bool touch;
	bool nohuge_before_touch;
	bool force_fallback;
	double timeout;
	double hold;
	double delay;
	double settle;
};

enum pstate { ST_NONE, ST_PARTIAL, ST_PTE, ST_PMD };

static const char *const state_names[] = {
	[ST_NONE] = "none",
	[ST_PARTIAL] = "partial",
	[ST_PTE] = "pte",
	[ST_PMD] = "pmd",
};

struct region_state {
	enum pstate st;
	unsigned present;  /* pages present (mapped) in the region */
	unsigned huge;     /* of those, mapped by a PMD */
	int thp;           /* present pages in a THP folio: 1 all, 0 none, 2 some, -1 unknown */
	const char *method;
};

struct ctx {
	struct opts o;
	uintptr_t start;
	size_t len;
	size_t psz;
	unsigned npages;
	int pagemap_fd;
	int kpf_fd;         /* /proc/kpageflags, -1 if unreadable */
	bool use_scan;      /* PAGEMAP_SCAN works */
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: thp_demo [OPTIONS]\n"
"Collapse this program's own first 2 MiB (the file mapping at __ehdr_start)\n"
"into a transparent huge page, then touch it and report the page state.\n"
"Run it from a tmpfs mounted with huge=advise (tests/lib/thp_env.sh).\n"
"\n"
"Modes:\n"
"  -w, --wait                 wait for khugepaged to collapse the region (default);\n"
"                             the region is not touched while waiting\n"
"  -c, --collapse             collapse it at once with madvise(MADV_COLLAPSE)\n"
"\n"
"Options:\n"
"  -A, --no-anon              do not map an anonymous MADV_HUGEPAGE region; on 6.18\n"
"                             khugepaged then never scans this process\n"
"  -n, --no-touch             after the collapse, report the state without touching\n"
"  -N, --nohuge-before-touch  madvise(MADV_NOHUGEPAGE) between collapse and touch\n"
"  -t, --timeout SEC          how long to wait for khugepaged (default 30)\n"
"  -H, --hold SEC             sleep SEC seconds before exiting (default 0)\n"
"  -D, --delay SEC            sleep SEC seconds before the madvise (default 0), e.g.\n"
"                             to attach a tracer with -p first\n"
"  -S, --settle SEC           after the collapse, wait SEC seconds before the next\n"
"                             step (default 0.2), like the seed's sleep: the\n"
"                             unmapped state lasts long enough to be seen\n"
"  -F, --no-pagemap-scan      check with pagemap+kpageflags even if the\n"
"                             PAGEMAP_SCAN ioctl works\n"
"  -h, --help                 show this help\n"
"\n"
"Each check prints 'region ADDR state=none|partial|pte|pmd thp=0|1|some|?\n"
"present=N/512 (METHOD)'; the last line is 'RESULT huge', 'RESULT not-present',\n"
"'RESULT small-pages' or 'RESULT not-collapsed'.\n"
"\n"
"Expected results: --wait: huge; with --no-touch: not-present; with\n"
"--nohuge-before-touch: small-pages.  --collapse: huge in every variant (the\n"
"kernel maps the PMD itself, so nothing refaults).\n"
"Exit status: 0 expected result, 1 other result or no collapse, 2 usage or\n"
"setup error.\n");
}

static int parse_seconds(const char *opt, const char *arg, double *out, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0 || (!zero_ok && v == 0) || v > 1e6) {
		fprintf(stderr, "thp_demo: %s: invalid number of seconds '%s'\n", opt, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "collapse", no_argument, NULL, 'c' },
		{ "no-anon", no_argument, NULL, 'A' },
		{ "no-touch", no_argument, NULL, 'n' },
		{ "nohuge-before-touch", no_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'H' },
		{ "delay", required_argument, NULL, 'D' },
		{ "settle", required_argument, NULL, 'S' },
		{ "no-pagemap-scan", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seen_wait = false, seen_collapse = false;
	int c;

	*o = (struct opts){ .mode = MODE_WAIT, .anon = true, .touch = true, .timeout = 30,
			    .settle = 0.2 };
	while ((c = getopt_long(argc, argv, "wcAnNt:H:D:S:Fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'w': seen_wait = true; o->mode = MODE_WAIT; break;
		case 'c': seen_collapse = true; o->mode = MODE_COLLAPSE; break;
		case 'A': o->anon = false; break;
		case 'n': o->touch = false; break;
		case 'N': o->nohuge_before_touch = true; break;
		case 't':
			if (parse_seconds("--timeout", optarg, &o->timeout, false))
				return -1;
			break;
		case 'H':
			if (parse_seconds("--hold", optarg, &o->hold, true))
				return -1;
			break;
		case 'D':
			if (parse_seconds("--delay", optarg, &o->delay, true))
				return -1;
			break;
		case 'S':
			if (parse_seconds("--settle", optarg, &o->settle, true))
				return -1;
			break;
		case 'F': o->force_fallback = true; break;
		case 'h': usage(stdout); exit(0);
		default:
			fprintf(stderr, "Try 'thp_demo --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "thp_demo: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (seen_wait && seen_collapse) {
		fprintf(stderr, "thp_demo: --wait and --collapse are exclusive\n");
		return -1;
	}
	if (!o->touch && o->nohuge_before_touch) {
		fprintf(stderr, "thp_demo: --nohuge-before-touch needs the touch that --no-touch skips\n");
		return -1;
	}
	return 0;
}

/* First line of a sysfs/proc file, newline stripped; "" if unreadable. */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static long read_long(const char *path)
{
	char buf[64], *end;
	long v;

	read_line(path, buf, sizeof(buf));
	errno = 0;
	v = strtol(buf, &end, 10);
	return (errno || end == buf) ? -1 : v;
}

/* The bracketed choice of a sysfs "a [b] c" file. */
static void read_choice(const char *path, char *buf, size_t size)
{
	char line[256], *l, *r;

	read_line(path, line, sizeof(line));
	l = strchr(line, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r) {
		snprintf(buf, size, "%s", line[0] ? line : "?");
		return;
	}
	*r = '\0';
	snprintf(buf, size, "%s", l + 1);
}

/* File system type and huge= option of the mount holding dev; "?" if unknown. */
static void mount_info(dev_t dev, char *fstype, size_t fsize, char *huge, size_t hsize)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	snprintf(fstype, fsize, "?");
	snprintf(huge, hsize, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char *sep, type[64], src[1024], sopts[2048], *h;

		if (sscanf(line, "%*d %*d %u:%u", &maj, &min) != 2 ||
		    makedev(maj, min) != dev)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %1023s %2047s", type, src, sopts) != 3)
			continue;
		snprintf(fstype, fsize, "%s", type);
		h = strstr(sopts, "huge=");
		if (h) {
			h += 5;
			snprintf(huge, hsize, "%.*s", (int)strcspn(h, ","), h);
		} else {
			snprintf(huge, hsize, strcmp(type, "tmpfs") ? "-" : "never");
		}
	}
	fclose(f);
}

/*
 * Check that [start, start+len) is covered by file mappings of exe_ino with
 * no hole, i.e. that the first loadable segment spans the region.
 */
static int check_region_mapped(uintptr_t start, size_t len, ino_t exe_ino)
{
	FILE *f = fopen("/proc/self/maps", "re");
	uintptr_t cursor = start, end = start + len;
	char line[4096];

	if (!f) {
		fprintf(stderr, "thp_demo: error: /proc/self/maps: %s\n", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && cursor < end) {
		unsigned long lo, hi, ino;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) != 3)
			continue;
		if (hi <= cursor || lo >= end)
			continue;
		if (lo > cursor || ino != (unsigned long)exe_ino)
			break;
		cursor = hi;
	}
	fclose(f);
	if (cursor < end) {
		fprintf(stderr,
			"thp_demo: error: 0x%lx-0x%lx is not all mapped from this executable "
			"(stops at 0x%lx): link with -fuse-ld=lld -z max-page-size=0x200000\n",
			(unsigned long)start, (unsigned long)end, (unsigned long)cursor);
		return -1;
	}
	return 0;
}

/* smaps' FilePmdMapped + ShmemPmdMapped (kB) for the VMA at exactly [start, end). */
static long smaps_pmd_kb(uintptr_t start, uintptr_t end)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[4096];
	bool in_vma = false;
	long total = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		long kb;
		char key[64], perms[8];

		/* A VMA header; attribute lines ("Size:", "FilePmdMapped:") never parse so. */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
			in_vma = lo == start && hi == end;
			if (in_vma)
				total = 0;
			continue;
		}
		if (in_vma && sscanf(line, "%63[^:]: %ld kB", key, &kb) == 2 &&
		    (!strcmp(key, "FilePmdMapped") || !strcmp(key, "ShmemPmdMapped")))
			total += kb;
	}
	fclose(f);
	return total;
}

/* Count present pages in a THP folio, via pagemap PFNs and kpageflags. */
static void thp_from_kpageflags(struct ctx *c, const uint64_t *ents, struct region_state *rs)
{
	unsigned with = 0, known = 0;

	if (c->kpf_fd < 0)
		return;
	for (unsigned i = 0; i < c->npages; i++) {
		uint64_t pfn = ents[i] & PM_PFN_MASK, flags;

		if (!(ents[i] & PM_PRESENT) || !pfn)
			continue;
		if (pread(c->kpf_fd, &flags, sizeof(flags), (off_t)(pfn * sizeof(flags))) != sizeof(flags))
			continue;
		known++;
		if (flags & (1ULL << KPF_THP))
			with++;
	}
	if (!known || known != rs->present)
		return;
	rs->thp = with == known ? 1 : with ? 2 : 0;
}

static int read_pagemap(struct ctx *c, uint64_t *ents)
{
	size_t want = c->npages * sizeof(*ents);
	ssize_t n = pread(c->pagemap_fd, ents, want, (off_t)(c->start / c->psz * sizeof(*ents)));

	if (n != (ssize_t)want) {
		fprintf(stderr, "thp_demo: error: reading pagemap: %s\n",
			n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	return 0;
}

/* One PAGEMAP_SCAN ioctl over the region.  Returns 0, or -errno. */
static int check_scan(struct ctx *c, struct region_state *rs)
{
	struct page_region vec[c->npages];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = c->start,
		.end = c->start + c->len,
		.vec = (uintptr_t)vec,
		.vec_len = c->npages,
		.category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE,
	};
	long n = ioctl(c->pagemap_fd, PAGEMAP_SCAN, &arg);

	if (n < 0)
		return -errno;
	for (long i = 0; i < n; i++) {
		unsigned pages = (unsigned)((vec[i].end - vec[i].start) / c->psz);

		rs->present += pages;
		if (vec[i].categories & PAGE_IS_HUGE)
			rs->huge += pages;
	}
	rs->method = "pagemap_scan";
	return 0;
}

static int check_fallback(struct ctx *c, struct region_state *rs, const uint64_t *ents)
{
	long kb;

	for (unsigned i = 0; i < c->npages; i++)
		if (ents[i] & PM_PRESENT)
			rs->present++;
	/* madvise() split the region into its own VMA, so smaps counts just it. */
	kb = smaps_pmd_kb(c->start, c->start + c->len);
	if (kb > 0) {
		unsigned long pages = (unsigned long)kb * 1024 / c->psz;

		rs->huge = pages > rs->present ? rs->present : (unsigned)pages;
	}
	rs->method = c->kpf_fd >= 0 ? "pagemap+kpageflags" : "pagemap";
	return 0;
}

static int check_region(struct ctx *c, struct region_state *rs)
{
	uint64_t ents[c->npages];
	bool have_ents = false;

	*rs = (struct region_state){ .thp = -1 };
	if (c->use_scan) {
		int err = check_scan(c, rs);

		if (err == -ENOTTY || err == -EINVAL) {
			printf("thp_demo: PAGEMAP_SCAN ioctl unavailable (%s): using pagemap+kpageflags\n",
			       strerror(-err));
			c->use_scan = false;
			*rs = (struct region_state){ .thp = -1 };
		} else if (err) {
			fprintf(stderr, "thp_demo: error: PAGEMAP_SCAN: %s\n", strerror(-err));
			return -1;
		}
	}
	/* pagemap entries: the fallback's data, and the PFNs for kpageflags. */
	if (!c->use_scan || c->kpf_fd >= 0) {
		if (read_pagemap(c, ents))
			return -1;
		have_ents = true;
	}
	if (!c->use_scan)
		check_fallback(c, rs, ents);

	if (rs->present == 0)
		rs->st = ST_NONE;
	else if (rs->huge == c->npages)
		rs->st = ST_PMD;
	else if (rs->present == c->npages && rs->huge == 0)
		rs->st = ST_PTE;
	else
		rs->st = ST_PARTIAL;
	if (have_ents)
		thp_from_kpageflags(c, ents, rs);
	if (rs->thp < 0 && rs->st == ST_PMD)
		rs->thp = 1;    /* a PMD maps a PMD-sized folio */
	return 0;
}

static const char *thp_str(int thp)
{
	switch (thp) {
	case 0: return "0";
	case 1: return "1";
	case 2: return "some";
	default: return "?";
	}
}

static void print_state(struct ctx *c, const struct region_state *rs, const char *label)
{
	printf("thp_demo: region 0x%lx state=%s thp=%s present=%u/%u (%s) [%s +%.3fs]\n",
	       (unsigned long)c->start, state_names[rs->st], thp_str(rs->thp), rs->present,
	       c->npages, rs->method, label, now() - c->t0);
}

static bool same_state(const struct region_state *a, const struct region_state *b)
{
	return a->st == b->st && a->present == b->present && a->huge == b->huge && a->thp == b->thp;
}

/* The region changed from small page-cache pages to a huge folio. */
static bool looks_collapsed(const struct region_state *rs)
{
	return rs->st == ST_NONE || rs->st == ST_PMD || rs->thp == 1;
}

static unsigned touch_region(struct ctx *c)
{
	const volatile unsigned char *p = (const volatile unsigned char *)__ehdr_start;
	unsigned sum = 0;

	for (size_t off = 0; off < c->len; off += c->psz)
		sum += p[off];
	return sum;
}

static const char *result_name(const struct region_state *rs, bool collapsed)
{
	if (!collapsed)
		return "not-collapsed";
	switch (rs->st) {
	case ST_PMD: return "huge";
	case ST_NONE: return "not-present";
	default: return "small-pages";
	}
}

static const char *expected_result(const struct opts *o)
{
	if (o->mode == MODE_COLLAPSE)
		return "huge";
	if (!o->touch)
		return "not-present";
	if (o->nohuge_before_touch)
		return "small-pages";
	return "huge";
}

static void print_environment(const char *exe, const struct stat *st)
{
	char fstype[64], huge[64], enabled[64], shmem[64];
	struct statfs sfs;

	mount_info(st->st_dev, fstype, sizeof(fstype), huge, sizeof(huge));
	read_choice(THP_SYSFS "/enabled", enabled, sizeof(enabled));
	read_choice(THP_SYSFS "/shmem_enabled", shmem, sizeof(shmem));
	printf("thp_demo: fs %s huge=%s; THP enabled=%s shmem_enabled=%s; "
	       "khugepaged scan_sleep_millisecs=%ld pages_to_scan=%ld\n",
	       fstype, huge, enabled, shmem,
	       read_long(THP_SYSFS "/khugepaged/scan_sleep_millisecs"),
	       read_long(THP_SYSFS "/khugepaged/pages_to_scan"));
	if (statfs(exe, &sfs) == 0 && sfs.f_type != TMPFS_MAGIC)
		printf("thp_demo: note: %s is not on tmpfs; without CONFIG_READ_ONLY_THP_FOR_FS "
		       "it will not be collapsed\n", exe);
	else if (!strcmp(fstype, "tmpfs") && strcmp(huge, "advise") && strcmp(huge, "always") &&
		 strcmp(huge, "within_size"))
		printf("thp_demo: note: tmpfs mounted with huge=%s: khugepaged will not collapse "
		       "it (MADV_COLLAPSE still may)\n", huge);
	if (!strcmp(enabled, "never"))
		printf("thp_demo: note: THP enabled=never; khugepaged may not run\n");
}

int main(int argc, char **argv)
{
	struct ctx c = { .pagemap_fd = -1, .kpf_fd = -1 };
	struct region_state rs, last;
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n;
	long scans0, collapsed0;
	bool collapsed = false, pre_huge;
	const char *result, *expected;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &c.o))
		return 2;
	c.t0 = now();
	c.psz = (size_t)sysconf(_SC_PAGESIZE);
	c.len = HPAGE_SIZE;
	c.npages = (unsigned)(c.len / c.psz);
	c.start = (uintptr_t)__ehdr_start;
	c.use_scan = !c.o.force_fallback;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0 || stat("/proc/self/exe", &st) < 0) {
		fprintf(stderr, "thp_demo: error: /proc/self/exe: %s\n", strerror(errno));
		return 2;
	}
	exe[n] = '\0';
	printf("thp_demo: pid %d region 0x%lx-0x%lx file %s\n", (int)getpid(),
	       (unsigned long)c.start, (unsigned long)(c.start + c.len), exe);
	print_environment(exe, &st);

	if (c.start % HPAGE_SIZE) {
		fprintf(stderr, "thp_demo: error: __ehdr_start 0x%lx is not 2 MiB aligned "
			"(link with -z max-page-size=0x200000)\n", (unsigned long)c.start);
		return 2;
	}
	if (read_long(THP_SYSFS "/hpage_pmd_size") > 0 &&
	    read_long(THP_SYSFS "/hpage_pmd_size") != (long)HPAGE_SIZE) {
		fprintf(stderr, "thp_demo: error: hpage_pmd_size is %ld, this demo assumes 2 MiB\n",
			read_long(THP_SYSFS "/hpage_pmd_size"));
		return 2;
	}
	if (check_region_mapped(c.start, c.len, st.st_ino))
		return 2;
	if ((uintptr_t)demo_blob + DEMO_BLOB_SIZE < c.start + c.len) {
		fprintf(stderr, "thp_demo: error: the read-only array ends at 0x%lx, inside the "
			"region: it must come first in .rodata (link with -fuse-ld=lld)\n",
			(unsigned long)demo_blob + DEMO_BLOB_SIZE);
		return 2;
	}
	c.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (c.pagemap_fd < 0) {
		fprintf(stderr, "thp_demo: error: /proc/self/pagemap: %s\n", strerror(errno));
		return 2;
	}
	c.kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	if (c.o.delay > 0) {
		printf("thp_demo: waiting %g s before the madvise\n", c.o.delay);
		fflush(stdout);
		sleep_seconds(c.o.delay);
	}
	/* Map every small page first, so that a collapse shows as a change; and
	 * before the madvise, so that khugepaged cannot collapse the region
	 * while this read is still faulting it in. */
	printf("thp_demo: pre-touch read %u pages (sum %u, array at +0x%lx)\n", c.npages,
	       touch_region(&c), (unsigned long)((uintptr_t)demo_blob - c.start));
	if (check_region(&c, &rs))
		return 2;
	print_state(&c, &rs, "start");

	if (madvise((void *)c.start, c.len, MADV_HUGEPAGE)) {
		fprintf(stderr, "thp_demo: error: madvise(0x%lx, 2 MiB, MADV_HUGEPAGE): %s\n",
			(unsigned long)c.start, strerror(errno));
		return 2;
	}
	if (c.o.anon) {
		void *anon = mmap(NULL, ANON_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (anon == MAP_FAILED || madvise(anon, ANON_SIZE, MADV_HUGEPAGE)) {
			fprintf(stderr, "thp_demo: error: anonymous MADV_HUGEPAGE region: %s\n",
				strerror(errno));
			return 2;
		}
		memset(anon, 0x5a, ANON_SIZE);
		printf("thp_demo: anonymous MADV_HUGEPAGE region 0x%lx-0x%lx touched\n",
		       (unsigned long)anon, (unsigned long)anon + ANON_SIZE);
	}

	pre_huge = looks_collapsed(&rs);
	if (pre_huge)
		printf("thp_demo: note: the region is already backed by a huge folio before any "
		       "collapse (tmpfs keeps it in the page cache of a reused copy); copy the "
		       "binary afresh\n");

	scans0 = read_long(THP_SYSFS "/khugepaged/full_scans");
	collapsed0 = read_long(THP_SYSFS "/khugepaged/pages_collapsed");
	if (c.o.mode == MODE_COLLAPSE) {
		double t = now();
		int rc, err, tries = 0;

		/* EAGAIN is transient (pages just faulted in are still on a per-CPU
		 * LRU batch, SCAN_PAGE_LRU): the man page says to retry. */
		do {
			if (tries)
				usleep(50000);
			rc = madvise((void *)c.start, c.len, MADV_COLLAPSE);
			err = errno;
		} while (rc && err == EAGAIN && ++tries < 10);
		if (tries)
			printf("thp_demo: madvise(MADV_COLLAPSE) returned EAGAIN %d time(s)\n", tries);
		if (rc) {
			printf("thp_demo: madvise(MADV_COLLAPSE) failed after %.3f s: %s\n",
			       now() - t, strerror(err));
		} else {
			printf("thp_demo: madvise(MADV_COLLAPSE) succeeded in %.3f s\n", now() - t);
			collapsed = true;
		}
		if (check_region(&c, &rs))
			return 2;
		print_state(&c, &rs, "after-collapse");
	} else if (pre_huge) {
		printf("thp_demo: nothing to wait for: the region is already huge\n");
		collapsed = true;
	} else {
		double t = now(), waited;

		printf("thp_demo: waiting up to %g s for khugepaged (polling every 50 ms, "
		       "not touching the region)\n", c.o.timeout);
		last = rs;
		for (;;) {
			struct timespec ts = { 0, POLL_NS };

			if (check_region(&c, &rs))
				return 2;
			if (!same_state(&rs, &last))
				print_state(&c, &rs, "waiting");
			last = rs;
			if (looks_collapsed(&rs)) {
				collapsed = true;
				break;
			}
			if (now() - t >= c.o.timeout)
				break;
			nanosleep(&ts, NULL);
		}
		waited = now() - t;
		if (collapsed)
			printf("thp_demo: khugepaged collapsed the region after %.3f s "
			       "(state=%s; full_scans +%ld, pages_collapsed +%ld)\n",
			       waited, state_names[rs.st],
			       read_long(THP_SYSFS "/khugepaged/full_scans") - scans0,
			       read_long(THP_SYSFS "/khugepaged/pages_collapsed") - collapsed0);
		else
			printf("thp_demo: timeout: no collapse after %.3f s (state=%s; "
			       "full_scans +%ld, pages_collapsed +%ld)\n",
			       waited, state_names[rs.st],
			       read_long(THP_SYSFS "/khugepaged/full_scans") - scans0,
			       read_long(THP_SYSFS "/khugepaged/pages_collapsed") - collapsed0);
		if (collapsed && c.o.settle > 0) {
			printf("thp_demo: settling %g s before going on\n", c.o.settle);
			fflush(stdout);
			sleep_seconds(c.o.settle);
		}
	}

	if (collapsed && c.o.nohuge_before_touch) {
		if (madvise((void *)c.start, c.len, MADV_NOHUGEPAGE)) {
			fprintf(stderr, "thp_demo: error: madvise(MADV_NOHUGEPAGE): %s\n",
				strerror(errno));
			return 2;
		}
		printf("thp_demo: madvise(MADV_NOHUGEPAGE) before the touch\n");
	}
	if (collapsed && c.o.touch) {
		printf("thp_demo: touch read %u pages (sum %u)\n", c.npages, touch_region(&c));
		if (check_region(&c, &rs))
			return 2;
		print_state(&c, &rs, "after-touch");
	}

	result = result_name(&rs, collapsed);
	expected = expected_result(&c.o);
	printf("thp_demo: RESULT %s\n", result);
	if (strcmp(result, expected))
		printf("thp_demo: expected %s in this mode\n", expected);
	if (c.o.hold > 0) {
		printf("thp_demo: holding for %g s\n", c.o.hold);
		sleep_seconds(c.o.hold);
	}
	return strcmp(result, expected) ? 1 : 0;
}
