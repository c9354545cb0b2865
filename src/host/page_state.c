/* Page state of one 2 MiB region of another process, from /proc/PID/pagemap.
 *
 * Two ways to read it:
 *  - the PAGEMAP_SCAN ioctl (Linux 6.7+): one call returns the present
 *    ranges of the region, each tagged PAGE_IS_HUGE when a PMD (or hugetlb)
 *    entry maps it.  That tells a PMD mapping from 512 PTEs mapping the same
 *    huge folio, which nothing else in pagemap can.
 *  - plain pagemap entries (older kernels, or THPTRACE_NO_PAGEMAP_SCAN=1):
 *    one pread of the 512 entries, then /proc/kpageflags for the first PFN.
 *    "pmd" there is a best guess, see read_pagemap().
 *
 * This runs right after events on the tracer's hot path, so a sample costs
 * at most three syscalls in the common case: the ioctl (or the 4 KiB pread),
 * one 8-byte pagemap pread for the first present page's PFN, one 8-byte
 * kpageflags pread.
 *
 * The pagemap file descriptor pins the mm the process had when it was
 * opened.  Once that mm is gone (the process exited, or exec'ed a new
 * image), pagemap reads return 0 bytes and PAGEMAP_SCAN finds no VMAs; both
 * are reported as -ESRCH. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "host/page_state.h"

/* The PAGEMAP_SCAN UAPI, as in linux/include/uapi/linux/fs.h (6.7+).
 * Debian 12's headers lack it, so it is spelled out here under our own
 * names; the layout must match the kernel's exactly (the kernel rejects any
 * other size). */
#define THP_PAGE_IS_PRESENT	(1ULL << 3)
#define THP_PAGE_IS_HUGE	(1ULL << 6)

struct thp_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct thp_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define THP_PAGEMAP_SCAN _IOWR('f', 16, struct thp_pm_scan_arg)

_Static_assert(sizeof(struct thp_page_region) == 24, "page_region layout");
_Static_assert(sizeof(struct thp_pm_scan_arg) == 96, "pm_scan_arg layout");

#define PG_SIZE 4096ULL
#define PG_SHIFT 12
#define REGION_PAGES ((uint32_t)(THP_REGION_SIZE / PG_SIZE))	/* 512 */

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define KPF_THP_BIT	22

/* Output entries per ioctl.  Ranges of equal categories merge, so a region
 * gives one or two ranges in practice; a full vector just means another
 * call from walk_end.  The worst case (every other page present) is 256
 * ranges: 4 calls with 64 entries (~11 us here, against ~30 us with 16),
 * while 64 costs the common cases nothing measurable (1.5 KiB of stack and
 * of kernel bounce buffer). */
#define SCAN_VEC 64

/* PAGEMAP_SCAN support, probed once per process: 0 unknown, 1 yes, -1 no. */
static int scan_support;

struct page_sampler {
	pid_t pid;
	int pagemap_fd;
	int kpf_fd;		/* /proc/kpageflags, -1 when not readable */
	bool use_scan;
	bool forced_fallback;	/* THPTRACE_NO_PAGEMAP_SCAN */
};

static const char *method_name(const struct page_sampler *s)
{
	if (s->use_scan)
		return s->kpf_fd >= 0 ? "pagemap_scan" : "pagemap_scan,no-kpageflags";
	return s->kpf_fd >= 0 ? "pagemap" : "pagemap,no-kpageflags";
}

/* errno of a failed pagemap access, as this module reports it. */
static int gone_or(int err)
{
	if (err == ESRCH || err == ENOENT || err == EIO)
		return -ESRCH;
	return -err;
}

/* An empty scan: 0 on kernels with PAGEMAP_SCAN, ENOTTY before 6.7. */
static bool probe_scan(int fd)
{
	struct thp_pm_scan_arg a = { .size = sizeof(a) };

	if (ioctl(fd, THP_PAGEMAP_SCAN, &a) >= 0)
		return true;
	return !(errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP);
}

/* True when /proc/PID/stat shows a zombie (or dead) task.  A task without
 * an mm has root-owned /proc files, so a non-root caller gets EACCES for
 * what is really "gone". */
static bool is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

struct page_sampler *page_sampler_open(pid_t pid, bool no_scan)
{
	struct page_sampler *s;
	char path[64];
	uint64_t e;
	ssize_t r;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pid = pid;
	s->kpf_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	s->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->pagemap_fd < 0) {
		err = errno;
		if (err == ENOENT || (err == EACCES && is_zombie(pid)))
			err = ESRCH;
		goto fail;
	}
	/* A zombie or a kernel thread opens fine but has no mm: reads give
	 * EOF.  Catch that here, also because PAGEMAP_SCAN on an mm-less
	 * pagemap dereferenced NULL on some kernels. */
	r = pread(s->pagemap_fd, &e, sizeof(e), 0);
	if (r != (ssize_t)sizeof(e)) {
		err = r < 0 ? -gone_or(errno) : ESRCH;
		goto fail;
	}
	/* Not readable unless root (CAP_SYS_ADMIN): then thp stays false and
	 * method says "no-kpageflags". */
	s->kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	s->forced_fallback = no_scan;
	if (!s->forced_fallback) {
		int sup = __atomic_load_n(&scan_support, __ATOMIC_RELAXED);

		if (sup == 0) {
			sup = probe_scan(s->pagemap_fd) ? 1 : -1;
			__atomic_store_n(&scan_support, sup, __ATOMIC_RELAXED);
		}
		s->use_scan = sup > 0;
	}
	return s;
fail:
	page_sampler_close(s);
	errno = err;
	return NULL;
}

void page_sampler_close(struct page_sampler *s)
{
	if (!s)
		return;
	if (s->pagemap_fd >= 0)
		close(s->pagemap_fd);
	if (s->kpf_fd >= 0)
		close(s->kpf_fd);
	free(s);
}

/* Zero bytes from pagemap at a user address: either the mm is gone or the
 * address is past the task's address space (pagemap stops at TASK_SIZE).
 * Entry 0 always exists for a live mm, so one more read tells which. */
static int eof_means(struct page_sampler *s)
{
	uint64_t e;
	ssize_t r = pread(s->pagemap_fd, &e, sizeof(e), 0);

	if (r < 0)
		return gone_or(errno);
	return r == (ssize_t)sizeof(e) ? 0 : -ESRCH;
}

/* The pagemap entry of the page at addr: 1 read, 0 EOF, -errno. */
static int read_entry(struct page_sampler *s, uint64_t addr, uint64_t *e)
{
	ssize_t r = pread(s->pagemap_fd, e, sizeof(*e), (off_t)((addr >> PG_SHIFT) * 8));

	if (r < 0)
		return gone_or(errno);
	return r == (ssize_t)sizeof(*e);
}

/* KPF_THP of a PFN; false when kpageflags is unreadable or pfn unknown. */
static bool pfn_is_thp(struct page_sampler *s, uint64_t pfn)
{
	uint64_t f;

	if (s->kpf_fd < 0 || pfn == 0)
		return false;
	if (pread(s->kpf_fd, &f, sizeof(f), (off_t)(pfn * 8)) != (ssize_t)sizeof(f))
		return false;
	return (f >> KPF_THP_BIT) & 1;
}

/* Returns 1 on success, 0 when PAGEMAP_SCAN turned out unsupported (the
 * caller falls back), -errno otherwise. */
static int read_scan(struct page_sampler *s, uint64_t region, struct region_sample *out)
{
	struct thp_page_region vec[SCAN_VEC];
	struct thp_pm_scan_arg a;
	const uint64_t end = region + THP_REGION_SIZE;
	uint64_t start = region, first = 0, huge = 0, e;
	uint32_t present = 0;
	int rc;

	for (;;) {
		long n;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.start = start;
		a.end = end;
		a.vec = (uint64_t)(uintptr_t)vec;
		a.vec_len = SCAN_VEC;
		a.category_anyof_mask = THP_PAGE_IS_PRESENT;
		a.return_mask = THP_PAGE_IS_PRESENT | THP_PAGE_IS_HUGE;
		n = ioctl(s->pagemap_fd, THP_PAGEMAP_SCAN, &a);
		if (n < 0) {
			if (errno == ENOTTY || errno == EINVAL) {
				__atomic_store_n(&scan_support, -1, __ATOMIC_RELAXED);
				s->use_scan = false;
				return 0;
			}
			/* Our vector is valid, so EFAULT means the region lies
			 * past the largest user address: nothing there. */
			if (errno == EFAULT && present == 0)
				break;
			return gone_or(errno);
		}
		if (n > SCAN_VEC)
			return -EIO;
		for (long i = 0; i < n; i++) {
			uint64_t lo = vec[i].start < region ? region : vec[i].start;
			uint64_t hi = vec[i].end > end ? end : vec[i].end;
			uint64_t pages;

			if (hi <= lo)
				continue;
			pages = (hi - lo) >> PG_SHIFT;
			if (!present)
				first = lo;
			present += (uint32_t)pages;
			if (vec[i].categories & THP_PAGE_IS_HUGE)
				huge += pages;
		}
		/* The kernel stops early only when vec is full; it then sets
		 * walk_end to where it stopped.  Guard against no progress. */
		if (n < SCAN_VEC || a.walk_end >= end || a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	if (present > REGION_PAGES)
		present = REGION_PAGES;

	out->present = present;
	if (!present) {
		/* No VMA is also what a dead mm looks like: check it is alive. */
		rc = read_entry(s, region, &e);
		if (rc < 0)
			return rc;
		if (rc == 0 && (rc = eof_means(s)) < 0)
			return rc;
		out->state = PS_NONE;
		return 1;
	}
	out->state = present == REGION_PAGES && huge == REGION_PAGES ? PS_PMD : PS_PTE;
	if (s->kpf_fd >= 0) {
		rc = read_entry(s, first, &e);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ESRCH;	/* died since the ioctl */
		if (e & PM_PRESENT)
			out->thp = pfn_is_thp(s, e & PM_PFN_MASK);
	}
	return 1;
}

static int read_pagemap(struct page_sampler *s, uint64_t region, struct region_sample *out)
{
	uint64_t ent[REGION_PAGES];
	uint32_t n, present = 0, first = 0;
	bool contiguous = true;
	uint64_t pfn0 = 0;
	ssize_t r;

	r = pread(s->pagemap_fd, ent, sizeof(ent), (off_t)((region >> PG_SHIFT) * 8));
	if (r < 0)
		return gone_or(errno);
	if (r == 0) {
		int rc = eof_means(s);

		if (rc < 0)
			return rc;
		out->state = PS_NONE;	/* past the end of the address space */
		return 0;
	}
	/* Short only when the region straddles TASK_SIZE: the rest is absent. */
	n = (uint32_t)(r / 8);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t pfn = ent[i] & PM_PFN_MASK;

		if (!(ent[i] & PM_PRESENT)) {
			contiguous = false;
			continue;
		}
		if (!present++) {
			first = i;
			pfn0 = pfn;
		}
		if (pfn0 == 0 || pfn != pfn0 + i - first)
			contiguous = false;
	}
	out->present = present;
	if (!present) {
		out->state = PS_NONE;
		return 0;
	}
	out->thp = pfn_is_thp(s, pfn0);
	/* Best guess: 512 present pages of one naturally aligned huge folio are
	 * "pmd".  pagemap cannot tell that from the same folio mapped by 512
	 * PTEs (e.g. a refault after MADV_NOHUGEPAGE), which PAGEMAP_SCAN can.
	 * Without PFNs (not root) this never says "pmd". */
	if (present == REGION_PAGES && contiguous && (pfn0 % REGION_PAGES) == 0 && out->thp)
		out->state = PS_PMD;
	else
		out->state = PS_PTE;
	return 0;
}

int page_sampler_read(struct page_sampler *s, uint64_t region, struct region_sample *out)
{
	int rc;

	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->state = PS_UNKNOWN;
	out->method = method_name(s);
	if (region & ~THP_REGION_MASK)
		return -EINVAL;
	if (region > UINT64_MAX - THP_REGION_SIZE)
		return -EINVAL;
	if (s->use_scan) {
		rc = read_scan(s, region, out);
		if (rc == 0) {
			/* Unsupported after all: fall back from now on. */
			memset(out, 0, sizeof(*out));
			out->method = method_name(s);
			rc = read_pagemap(s, region, out);
		}
	} else {
		rc = read_pagemap(s, region, out);
	}
	if (rc < 0) {
		out->state = PS_UNKNOWN;
		out->present = 0;
		out->thp = false;
		return rc;
	}
	return 0;
}

#define KPF_COMPOUND_HEAD_BIT 15
#define KPF_COMPOUND_TAIL_BIT 16

int page_sampler_folios(struct page_sampler *s, uint64_t region, uint32_t *orders)
{
	uint64_t ent[REGION_PAGES], flags[REGION_PAGES];
	uint32_t n, i = 0;
	ssize_t r;

	*orders = 0;
	if (!s || s->kpf_fd < 0)
		return -EPERM;
	r = pread(s->pagemap_fd, ent, sizeof(ent), (off_t)((region >> PG_SHIFT) * 8));
	if (r < 0)
		return gone_or(errno);
	n = (uint32_t)(r / 8);
	/* kpageflags for each run of present, physically contiguous pages */
	while (i < n) {
		uint64_t pfn = ent[i] & PM_PFN_MASK;
		uint32_t j = i + 1;

		if (!(ent[i] & PM_PRESENT) || !pfn) {
			flags[i++] = 0;
			continue;
		}
		while (j < n && (ent[j] & PM_PRESENT) && (ent[j] & PM_PFN_MASK) == pfn + (j - i))
			j++;
		if (pread(s->kpf_fd, flags + i, (j - i) * 8, (off_t)(pfn * 8)) != (ssize_t)((j - i) * 8))
			memset(flags + i, 0, (j - i) * 8);
		i = j;
	}
	for (i = 0; i < n; i++) {
		uint32_t size = 1, k = 0;

		if (!((flags[i] >> KPF_COMPOUND_HEAD_BIT) & 1))
			continue;
		while (i + size < n && ((flags[i + size] >> KPF_COMPOUND_TAIL_BIT) & 1) &&
		       !((flags[i + size] >> KPF_COMPOUND_HEAD_BIT) & 1) &&
		       (ent[i + size] & PM_PFN_MASK) == (ent[i] & PM_PFN_MASK) + size)
			size++;
		while ((1u << k) < size)
			k++;
		if ((1u << k) == size && k >= 1 && k < 32)
			*orders |= 1u << k;
		i += size - 1;
	}
	return 0;
}

int page_sampler_find_pfn(struct page_sampler *s, uint64_t region, uint64_t pfn, uint64_t *addr)
{
	uint64_t ent[REGION_PAGES];
	ssize_t r;

	if (!s || !pfn)
		return -EINVAL;
	r = pread(s->pagemap_fd, ent, sizeof(ent), (off_t)((region >> PG_SHIFT) * 8));
	if (r < 0)
		return gone_or(errno);
	for (uint32_t i = 0; i < (uint32_t)(r / 8); i++)
		if ((ent[i] & PM_PRESENT) && (ent[i] & PM_PFN_MASK) == pfn) {
			*addr = region + (uint64_t)i * PG_SIZE;
			return 1;
		}
	return 0;
}
