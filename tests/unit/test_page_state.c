/* page_state: sample the test process's own memory (and a child's) in both
 * modes, PAGEMAP_SCAN and the plain pagemap fallback
 * (THPTRACE_NO_PAGEMAP_SCAN=1).  Needs no root; the PMD and kpageflags
 * asserts are skipped with a message when not root or when the kernel did
 * not hand out a huge page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/page_state.h"

#define MiB (1UL << 20)
#define PAGE 4096UL

enum mode { M_SCAN, M_FALLBACK };

static enum mode cur_mode;

static void set_mode(enum mode m)
{
	cur_mode = m;
}

static struct page_sampler *open_sampler(pid_t pid)
{
	return page_sampler_open(pid, cur_mode == M_FALLBACK);
}

static bool is_root(void)
{
	return geteuid() == 0;
}

/* len bytes of anonymous memory starting on a 2 MiB boundary. */
static char *map_aligned(size_t len)
{
	size_t over = len + THP_REGION_SIZE;
	char *p = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	assert_true(p != MAP_FAILED);
	a = ((uintptr_t)p + THP_REGION_SIZE - 1) & THP_REGION_MASK;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + over > a + len)
		munmap((char *)(a + len), (uintptr_t)p + over - (a + len));
	return (char *)a;
}

/* AnonHugePages (kB) of the VMA holding addr, from /proc/self/smaps. */
static long smaps_anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static struct page_sampler *open_self(enum mode m)
{
	struct page_sampler *s;

	set_mode(m);
	s = open_sampler(getpid());
	assert_non_null(s);
	return s;
}

static void check_method(enum mode m, const struct region_sample *r)
{
	const char *want = m == M_SCAN ? "pagemap_scan" : "pagemap";

	assert_non_null(r->method);
	/* "pagemap_scan" on 6.7+; an older kernel falls back to "pagemap". */
	if (m == M_SCAN && strncmp(r->method, "pagemap_scan", 12) != 0)
		print_message("note: PAGEMAP_SCAN unsupported here, method %s\n", r->method);
	else if (m == M_FALLBACK)
		assert_true(strncmp(r->method, want, 7) == 0 && strncmp(r->method, "pagemap_scan", 12) != 0);
	if (is_root())
		assert_null(strstr(r->method, "no-kpageflags"));
	else
		assert_non_null(strstr(r->method, "no-kpageflags"));
}

static void untouched_is_none(enum mode m)
{
	struct page_sampler *s = open_self(m);
	struct region_sample r;
	char *p = map_aligned(4 * MiB);

	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	check_method(m, &r);
	assert_int_equal(r.state, PS_NONE);
	assert_int_equal(r.present, 0);
	assert_false(r.thp);
	assert_int_equal(page_sampler_read(s, (uintptr_t)p + THP_REGION_SIZE, &r), 0);
	assert_int_equal(r.state, PS_NONE);

	/* Nothing mapped there at all. */
	munmap(p, 4 * MiB);
	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	assert_int_equal(r.state, PS_NONE);
	assert_int_equal(r.present, 0);
	page_sampler_close(s);
}

static void small_pages_are_pte(enum mode m)
{
	struct page_sampler *s = open_self(m);
	struct region_sample r;
	char *p = map_aligned(4 * MiB);

	/* THP is "madvise" here; NOHUGEPAGE keeps it small under "always" too. */
	assert_int_equal(madvise(p, 4 * MiB, MADV_NOHUGEPAGE), 0);
	p[0] = 1;
	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	assert_int_equal(r.state, PS_PTE);
	assert_int_equal(r.present, 1);
	assert_false(r.thp);

	p[100 * PAGE] = 1;
	p[511 * PAGE] = 1;
	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	assert_int_equal(r.state, PS_PTE);
	assert_int_equal(r.present, 3);

	/* All 512 present, yet small pages: still "pte" in both modes. */
	for (size_t i = 0; i < 512; i++)
		p[i * PAGE] = 1;
	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	assert_int_equal(r.state, PS_PTE);
	assert_int_equal(r.present, 512);
	assert_false(r.thp);

	/* The next region stays untouched. */
	assert_int_equal(page_sampler_read(s, (uintptr_t)p + THP_REGION_SIZE, &r), 0);
	assert_int_equal(r.state, PS_NONE);
	munmap(p, 4 * MiB);
	page_sampler_close(s);
}

/* A fresh MADV_HUGEPAGE region touched once: the fault maps a THP by PMD.
 * Returns the region, or NULL (test skipped) when the kernel did not. */
static char *huge_region(void)
{
	char *p = map_aligned(4 * MiB);
	long kb;

	assert_int_equal(madvise(p, 4 * MiB, MADV_HUGEPAGE), 0);
	p[0] = 1;
	kb = smaps_anon_huge_kb(p);
	if (kb < 2048) {
		print_message("skip: no THP for a MADV_HUGEPAGE fault (AnonHugePages %ld kB)\n", kb);
		munmap(p, 4 * MiB);
		return NULL;
	}
	return p;
}

static void hugepage_is_pmd(enum mode m)
{
	struct page_sampler *s = open_self(m);
	struct region_sample r;
	char *p = huge_region();

	if (!p) {
		page_sampler_close(s);
		skip();
	}
	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	check_method(m, &r);
	assert_int_equal(r.present, 512);
	if (!is_root()) {
		/* PAGE_IS_HUGE needs no privilege; PFNs and kpageflags do. */
		print_message("skip: not root, no PFNs or kpageflags: state %s thp %d\n",
			      page_state_name(r.state), r.thp);
		assert_false(r.thp);
		assert_int_equal(r.state, strncmp(r.method, "pagemap_scan", 12) == 0 ? PS_PMD : PS_PTE);
	} else {
		assert_int_equal(r.state, PS_PMD);
		assert_true(r.thp);
	}
	assert_int_equal(page_sampler_read(s, (uintptr_t)p + THP_REGION_SIZE, &r), 0);
	assert_int_equal(r.state, PS_NONE);
	munmap(p, 4 * MiB);
	page_sampler_close(s);
}

/* mprotect on part of a PMD-mapped THP splits the PMD but not the folio:
 * 512 PTEs map one huge folio.  PAGEMAP_SCAN sees "pte"; plain pagemap
 * cannot tell it from a PMD (documented best guess). */
static void split_pmd_keeps_folio(enum mode m)
{
	struct page_sampler *s = open_self(m);
	struct region_sample r;
	char *p = huge_region();

	if (!p) {
		page_sampler_close(s);
		skip();
	}
	assert_int_equal(mprotect(p, PAGE, PROT_READ), 0);
	assert_int_equal(page_sampler_read(s, (uintptr_t)p, &r), 0);
	assert_int_equal(r.present, 512);
	if (!is_root()) {
		print_message("skip: not root: state %s\n", page_state_name(r.state));
	} else if (strncmp(r.method, "pagemap_scan", 12) == 0) {
		assert_int_equal(r.state, PS_PTE);
		assert_true(r.thp);
	} else {
		assert_true(r.thp);
		print_message("note: plain pagemap calls a PTE-mapped THP \"%s\"\n",
			      page_state_name(r.state));
	}
	munmap(p, 4 * MiB);
	page_sampler_close(s);
}

/* Another process: a child maps and touches 3 pages, the parent samples. */
static void other_process(enum mode m)
{
	int up[2], down[2];
	uintptr_t addr;
	pid_t pid;
	struct page_sampler *s;
	struct region_sample r;
	int st;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *p, c;

		close(up[0]);
		close(down[1]);
		p = map_aligned(4 * MiB);
		madvise(p, 4 * MiB, MADV_NOHUGEPAGE);
		p[0] = p[PAGE] = p[2 * PAGE] = 1;
		addr = (uintptr_t)p;
		if (write(up[1], &addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
		if (read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &addr, sizeof(addr)), sizeof(addr));
	set_mode(m);
	s = open_sampler(pid);
	assert_non_null(s);
	assert_int_equal(page_sampler_read(s, addr, &r), 0);
	assert_int_equal(r.state, PS_PTE);
	assert_int_equal(r.present, 3);
	assert_int_equal(page_sampler_read(s, addr + THP_REGION_SIZE, &r), 0);
	assert_int_equal(r.state, PS_NONE);

	/* Let it exit and reap it: the sampler now reports it gone. */
	close(down[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(page_sampler_read(s, addr, &r), -ESRCH);
	assert_int_equal(r.state, PS_UNKNOWN);
	assert_int_equal(page_sampler_read(s, addr + THP_REGION_SIZE, &r), -ESRCH);
	page_sampler_close(s);
	close(up[0]);

	/* Reaped: no /proc entry to open. */
	errno = 0;
	assert_null(open_sampler(pid));
	assert_int_equal(errno, ESRCH);
}

/* A child that has exited but is not reaped yet (a zombie, no mm). */
static void exited_child(enum mode m)
{
	struct page_sampler *s;
	struct region_sample r;
	int fds[2], st;
	siginfo_t si;
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[0]);
	set_mode(m);
	s = open_sampler(pid);
	assert_non_null(s);
	assert_int_equal(page_sampler_read(s, 0, &r), 0);
	assert_int_equal(r.state, PS_NONE);

	close(fds[1]);
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	/* Zombie: the open sampler and a new one both see it gone. */
	assert_int_equal(page_sampler_read(s, 0, &r), -ESRCH);
	errno = 0;
	assert_null(open_sampler(pid));
	assert_int_equal(errno, ESRCH);

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(page_sampler_read(s, 0, &r), -ESRCH);
	assert_int_equal(page_sampler_read(s, 2 * THP_REGION_SIZE, &r), -ESRCH);
	page_sampler_close(s);
}

static void bad_args(enum mode m)
{
	struct page_sampler *s = open_self(m);
	struct region_sample r;

	assert_int_equal(page_sampler_read(s, THP_REGION_SIZE + PAGE, &r), -EINVAL);
	assert_int_equal(page_sampler_read(s, UINT64_MAX & THP_REGION_MASK, &r), -EINVAL);
	assert_int_equal(page_sampler_read(NULL, 0, &r), -EINVAL);
	assert_int_equal(page_sampler_read(s, 0, NULL), -EINVAL);
	/* Past the end of the user address space (47-bit x86): nothing there. */
	assert_int_equal(page_sampler_read(s, 1ULL << 47, &r), 0);
	assert_int_equal(r.state, PS_NONE);
	page_sampler_close(s);
	page_sampler_close(NULL);

	errno = 0;
	assert_null(open_sampler(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(open_sampler(-5));
	assert_int_equal(errno, EINVAL);
}

/* The two modes agree wherever plain pagemap can know the answer. */
static void modes_agree(enum mode m)
{
	struct page_sampler *a, *b;
	struct region_sample ra, rb;
	char *p = map_aligned(4 * MiB);

	(void)m;
	assert_int_equal(madvise(p, 4 * MiB, MADV_NOHUGEPAGE), 0);
	for (size_t i = 0; i < 512; i += 3)
		p[i * PAGE] = 1;
	a = open_self(M_SCAN);
	b = open_self(M_FALLBACK);
	for (int k = 0; k < 2; k++) {
		uintptr_t reg = (uintptr_t)p + k * THP_REGION_SIZE;

		assert_int_equal(page_sampler_read(a, reg, &ra), 0);
		assert_int_equal(page_sampler_read(b, reg, &rb), 0);
		assert_int_equal(ra.state, rb.state);
		assert_int_equal(ra.present, rb.present);
		assert_int_equal(ra.thp, rb.thp);
	}
	assert_int_equal(ra.present, 0);
	/* Every third page: 171 ranges, more than one ioctl's vector. */
	assert_int_equal(page_sampler_read(a, (uintptr_t)p, &ra), 0);
	assert_int_equal(ra.present, 171);
	assert_int_equal(ra.state, PS_PTE);
	page_sampler_close(a);
	page_sampler_close(b);
	munmap(p, 4 * MiB);
}

#define BOTH(fn)								\
	static void fn##_scan(void **state) { (void)state; fn(M_SCAN); }	\
	static void fn##_fallback(void **state) { (void)state; fn(M_FALLBACK); }

BOTH(untouched_is_none)
BOTH(small_pages_are_pte)
BOTH(hugepage_is_pmd)
BOTH(split_pmd_keeps_folio)
BOTH(other_process)
BOTH(exited_child)
BOTH(bad_args)

static void modes_agree_test(void **state)
{
	(void)state;
	modes_agree(M_SCAN);
}

#define T(fn) cmocka_unit_test(fn##_scan), cmocka_unit_test(fn##_fallback)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(untouched_is_none),
		T(small_pages_are_pte),
		T(hugepage_is_pmd),
		T(split_pmd_keeps_folio),
		T(other_process),
		T(exited_child),
		T(bad_args),
		cmocka_unit_test(modes_agree_test),
	};

	alarm(60);	/* a lost child must not hang the suite */
	if (!is_root())
		print_message("note: not root: PFN, kpageflags and PMD asserts are skipped\n");
	return cmocka_run_group_tests_name("page_state", tests, NULL, NULL);
}
