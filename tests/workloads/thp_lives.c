/* A workload for region lives and losses (issue 12), run under thptrace by
 * tests/live/test_lives.sh.
 *
 *   thp_lives lives DIR   the same 2 MiB address, three times: map a tmpfs
 *                         file there, fill it, MADV_HUGEPAGE, wait until
 *                         khugepaged has collapsed it (pagemap: not
 *                         present), then
 *                           life 1: MADV_NOHUGEPAGE, touch (small pages)
 *                           life 2: touch (one PMD)
 *                           life 3: nothing
 *                         and munmap.  DIR must be a tmpfs mounted huge=advise.
 *   thp_lives loss        two anonymous 2 MiB regions, PMD-mapped at their
 *                         first touch (MADV_HUGEPAGE); the first is split by
 *                         an mprotect of one page of it, the second zapped
 *                         by MADV_DONTNEED.
 *   thp_lives causes      four more, each split by a syscall over part of
 *                         it: munmap, mremap, MADV_PAGEOUT, MADV_FREE.
 *   thp_lives migrate     one, moved to the other NUMA node by move_pages
 *                         (3: no node 1 here).
 *
 * Prints what it did and where on stdout; exits 0, or 2 when khugepaged
 * did not collapse a life within the timeout, 1 on any other failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MB2 (2UL << 20)
#define PAGE 4096UL

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void die(const char *what)
{
	fprintf(stderr, "thp_lives: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A 2 MiB aligned address with nothing mapped at it now. */
static char *aligned_hole(void)
{
	char *p = mmap(NULL, 2 * MB2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		die("mmap (reserve)");
	a = ((uintptr_t)p + MB2 - 1) & ~(MB2 - 1);
	if (munmap(p, 2 * MB2) < 0)
		die("munmap (reserve)");
	return (char *)a;
}

/* Is the page at p present (pagemap bit 63)? */
static int present(int pagemap, const char *p)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof(e), (off_t)((uintptr_t)p / PAGE * sizeof(e))) != sizeof(e))
		die("pagemap");
	return (int)(e >> 63);
}

static int lives(const char *dir)
{
	char *at = aligned_hole(), path[4096];
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	/* khugepaged scans only processes with an anonymous MADV_HUGEPAGE
	 * region on some kernels (6.18, 6.1): give it one. */
	char *anon = mmap(NULL, MB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (pagemap < 0 || anon == MAP_FAILED)
		die("pagemap or anonymous region");
	madvise(anon, MB2, MADV_HUGEPAGE);
	anon[0] = 1;
	printf("address %p\n", (void *)at);
	for (int life = 1; life <= 3; life++) {
		volatile char sink;
		char *p;
		int fd, waited = 0;

		snprintf(path, sizeof(path), "%s/life%d", dir, life);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)MB2) < 0)
			die(path);
		p = mmap(at, MB2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap (file)");
		close(fd);
		for (unsigned long i = 0; i < MB2; i += PAGE)
			p[i] = (char)(life * 16 + (int)(i / PAGE % 7));
		if (madvise(p, MB2, MADV_HUGEPAGE) < 0)
			die("madvise MADV_HUGEPAGE");
		/* khugepaged's collapse leaves the range not present */
		while (present(pagemap, p)) {
			if (++waited > 1500) {
				fprintf(stderr, "thp_lives: life %d: not collapsed within 30 s\n", life);
				return 2;
			}
			pause_ms(20);
		}
		printf("life %d: collapsed after about %d ms\n", life, waited * 20);
		if (life == 1 && madvise(p, MB2, MADV_NOHUGEPAGE) < 0)
			die("madvise MADV_NOHUGEPAGE");
		if (life < 3)
			sink = p[0];
		(void)sink;
		pause_ms(150);
		if (munmap(p, MB2) < 0)
			die("munmap");
		printf("life %d: unmapped\n", life);
		pause_ms(100);
	}
	close(pagemap);
	return 0;
}

/* An anonymous 2 MiB region mapped by one PMD at its first touch. */
static char *huge_anon(void)
{
	char *at = aligned_hole();
	char *p = mmap(at, MB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		die("mmap (anonymous)");
	if (madvise(p, MB2, MADV_HUGEPAGE) < 0)
		die("madvise MADV_HUGEPAGE");
	p[0] = 1;
	return p;
}

static int loss(void)
{
	char *a = huge_anon(), *b = huge_anon();

	printf("split %p zap %p\n", (void *)a, (void *)b);
	pause_ms(200);
	if (mprotect(a + PAGE, PAGE, PROT_READ) < 0)
		die("mprotect");
	pause_ms(200);
	if (madvise(b, MB2, MADV_DONTNEED) < 0)
		die("madvise MADV_DONTNEED");
	pause_ms(200);
	return 0;
}

/* More ways to lose a PMD, each on its own region and each the target's
 * own syscall over part of it: munmap of its upper half (split, and the
 * huge page queued for a deferred split), mremap of its last page
 * elsewhere (split), MADV_PAGEOUT of its first 64 KiB (the huge page
 * itself split: without swap nothing is paged out), MADV_FREE of its first
 * 64 KiB (split). */
static int causes(void)
{
	char *u = huge_anon(), *r = huge_anon(), *o = huge_anon(), *f = huge_anon();
	char *dst = aligned_hole();

	printf("munmap %p mremap %p pageout %p free %p\n", (void *)u, (void *)r, (void *)o, (void *)f);
	pause_ms(200);
	if (munmap(u + MB2 / 2, MB2 / 2) < 0)
		die("munmap (half)");
	pause_ms(150);
	if (mremap(r + MB2 - PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst) == MAP_FAILED)
		die("mremap (one page)");
	pause_ms(150);
	if (madvise(o, 16 * PAGE, MADV_PAGEOUT) < 0)
		die("madvise MADV_PAGEOUT");
	pause_ms(150);
	if (madvise(f, 16 * PAGE, MADV_FREE) < 0)
		die("madvise MADV_FREE");
	pause_ms(200);
	return 0;
}

/* Migration: the PMD-mapped huge page moved to the other NUMA node (0 or
 * 1) by move_pages (the kernel's THP migration keeps it huge:
 * set_pmd_migration_entry, then remove_migration_pmd).  Exits 3 when
 * there is no node 1. */
static int migrate(void)
{
	char *p = huge_anon();
	void *pages[1] = { p };
	int nodes[1], status[1] = { -1 }, from;

	if (access("/sys/devices/system/node/node1", F_OK) < 0) {
		fprintf(stderr, "thp_lives: no NUMA node 1 to migrate to\n");
		return 3;
	}
	/* nodes NULL: where the page is now */
	if (syscall(SYS_move_pages, 0, 1UL, pages, NULL, status, 0) < 0 || status[0] < 0)
		die("move_pages (query)");
	from = status[0];
	nodes[0] = from == 0 ? 1 : 0;
	printf("migrate %p\n", (void *)p);
	pause_ms(200);
	if (syscall(SYS_move_pages, 0, 1UL, pages, nodes, status, 2 /* MPOL_MF_MOVE */) < 0)
		die("move_pages");
	printf("moved from node %d to node %d\n", from, status[0]);
	pause_ms(200);
	return status[0] == nodes[0] ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "lives"))
		return lives(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "loss"))
		return loss();
	if (argc == 2 && !strcmp(argv[1], "causes"))
		return causes();
	if (argc == 2 && !strcmp(argv[1], "migrate"))
		return migrate();
	fprintf(stderr, "usage: thp_lives lives DIR | thp_lives loss | thp_lives causes | thp_lives migrate\n");
	return 1;
}
