/* A process that already has THP when a tracer attaches to it (issue 18):
 *
 *   thp_resident [--hold SECS] [--no-holder] [DIR]
 *
 * sets up three 4 MiB regions, each 2 MiB aligned,
 *   anon_huge   anonymous, MADV_HUGEPAGE, touched, then MADV_COLLAPSE:
 *               PMD-mapped;
 *   anon_small  anonymous, written under MADV_NOHUGEPAGE, then
 *               MADV_HUGEPAGE: madvised and eligible, but small pages.
 *               khugepaged would collapse it within seconds (on 6.18 even
 *               a region of zero pages, or a read-only one), so a child
 *               process, the holder, shares its pages copy-on-write: with
 *               more than max_ptes_shared (256) shared PTEs khugepaged
 *               leaves it alone.  The holder maps nothing else of ours and
 *               dies with us.  --no-holder: no holder, so that khugepaged
 *               collapses the region while a tracer watches;
 *   file_huge   with DIR (a tmpfs mounted huge=advise): a 4 MiB file there,
 *               MAP_SHARED, MADV_HUGEPAGE, touched: PMD-mapped shmem;
 * then prints
 *   thp_resident: pid N anon_huge 0x... anon_small 0x... file_huge 0x... holder M
 * (file_huge with DIR, holder without --no-holder), one line per region
 * with what its own smaps and pagemap say (each 2 MiB: pmd, "pte N" with N
 * present pages of 512, or none), "ready", and sleeps until SIGTERM or
 * SIGINT (or SECS seconds), then removes its file and ends the holder.
 * Exits 0, or 1 on any failure to set up. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define MB2 (2UL << 20)
#define LEN (2 * MB2)
#define PAGE 4096UL

static volatile sig_atomic_t stop;
static char file_path[4096];
static pid_t holder;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "thp_resident: %s: %s\n", what, strerror(errno));
	if (file_path[0])
		unlink(file_path);
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
	}
	exit(1);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* LEN bytes at a 2 MiB aligned address: reserve more, map inside, trim. */
static char *map_aligned(int prot, int flags, int fd)
{
	char *r = mmap(NULL, LEN + MB2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a, *p;

	if (r == MAP_FAILED)
		die("mmap (reserve)");
	a = (char *)(((uintptr_t)r + MB2 - 1) & ~(MB2 - 1));
	p = mmap(a, LEN, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if ((a > r && munmap(r, (size_t)(a - r)) < 0) || munmap(a + LEN, (size_t)(r + MB2 - a)) < 0)
		die("munmap (trim)");
	return p;
}

/* Write every page (nonzero: a page of zeros could be deduplicated). */
static void touch(char *p)
{
	for (unsigned long i = 0; i < LEN; i += PAGE)
		p[i] = (char)(i / PAGE | 1);
}

static char *anon_huge(void)
{
	char *p = map_aligned(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int tries = 0;

	if (madvise(p, LEN, MADV_HUGEPAGE) < 0)
		die("madvise MADV_HUGEPAGE");
	touch(p);
	/* The faults may have given huge pages already; the collapse makes
	 * sure.  EAGAIN: a page was busy (e.g. on an LRU batch); try again. */
	while (madvise(p, LEN, MADV_COLLAPSE) < 0) {
		if (errno == EINVAL) {
			fprintf(stderr, "thp_resident: MADV_COLLAPSE: not on this kernel\n");
			break;
		}
		if (errno != EAGAIN || ++tries == 10)
			die("madvise MADV_COLLAPSE");
		pause_ms(100);
	}
	return p;
}

static char *anon_small(void)
{
	char *p = map_aligned(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	/* Madvised before its faults, an aligned region would get a huge page
	 * at the first one: fault it in small first. */
	if (madvise(p, LEN, MADV_NOHUGEPAGE) < 0)
		die("madvise MADV_NOHUGEPAGE");
	touch(p);
	return p;
}

/* A child that keeps the pages of anon_small (and nothing else of ours:
 * it unmaps huge, and forks before the file exists) shared, until it is
 * killed or we die. */
static void start_holder(char *huge, const sigset_t *mask)
{
	pid_t parent = getpid();

	if (fflush(stdout) == EOF)
		die("stdout");
	holder = fork();
	if (holder < 0)
		die("fork");
	if (holder > 0)
		return;
	holder = 0;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	if (signal(SIGTERM, SIG_DFL) == SIG_ERR || signal(SIGINT, SIG_DFL) == SIG_ERR ||
	    sigprocmask(SIG_SETMASK, mask, NULL) < 0)
		_exit(1);
	close(STDOUT_FILENO);	/* a reader waiting for EOF waits for the parent only */
	if (munmap(huge, LEN) < 0)
		_exit(1);
	for (;;)
		pause();
}

static char *file_huge(const char *dir)
{
	char *p;
	int fd;

	snprintf(file_path, sizeof(file_path), "%s/thp_resident.%d", dir, (int)getpid());
	fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		file_path[0] = '\0';
		die(dir);
	}
	if (ftruncate(fd, (off_t)LEN) < 0)
		die("ftruncate");
	p = map_aligned(PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	close(fd);
	if (madvise(p, LEN, MADV_HUGEPAGE) < 0)
		die("madvise MADV_HUGEPAGE");
	touch(p);
	return p;
}

/* The PAGEMAP_SCAN UAPI (linux/fs.h, 6.7+), spelled out for older headers. */
struct pm_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PM_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_PRESENT (1ULL << 3)
#define PM_HUGE (1ULL << 6)

/* "pmd", "pte N" (present pages of 512), "none", or "?" without
 * PAGEMAP_SCAN, for the 2 MiB at p. */
static const char *state(int pagemap, const char *p, char *buf, size_t n)
{
	struct pm_region v[64];
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = (uintptr_t)p, .end = (uintptr_t)p + MB2,
		.vec = (uintptr_t)v, .vec_len = 64,
		.category_anyof_mask = PM_PRESENT, .return_mask = PM_PRESENT | PM_HUGE,
	};
	uint64_t present = 0, huge = 0;
	long k = ioctl(pagemap, PM_SCAN, &a);

	if (k < 0)
		return "?";
	for (long i = 0; i < k; i++) {
		present += (v[i].end - v[i].start) / PAGE;
		if (v[i].categories & PM_HUGE)
			huge += (v[i].end - v[i].start) / PAGE;
	}
	if (present == 0)
		return "none";
	if (huge == MB2 / PAGE)
		return "pmd";
	snprintf(buf, n, "pte %llu", (unsigned long long)present);
	return buf;
}

/* A maps header line: "start-end ...", hex. */
static int is_header(const char *line)
{
	size_t n = strspn(line, "0123456789abcdef");

	return n > 0 && line[n] == '-';
}

/* One line: the region's smaps facts and each 2 MiB's page state. */
static void report(const char *name, const char *p)
{
	char line[512], s1[32], s2[32], head[64];
	FILE *f = fopen("/proc/self/smaps", "re");
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int in = 0;

	if (!f || pagemap < 0)
		die("/proc/self/smaps or pagemap");
	snprintf(head, sizeof(head), "%lx-", (unsigned long)(uintptr_t)p);
	printf("thp_resident: %s %p", name, (void *)p);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (is_header(line)) {
			if (in)
				break;	/* the next mapping */
			in = strncmp(line, head, strlen(head)) == 0;
			continue;
		}
		if (!in || !strchr(line, ':'))
			continue;
		if (!strncmp(line, "AnonHugePages:", 14) || !strncmp(line, "ShmemPmdMapped:", 15) ||
		    !strncmp(line, "FilePmdMapped:", 14) || !strncmp(line, "THPeligible:", 12) ||
		    !strncmp(line, "VmFlags:", 8)) {
			char *v = strchr(line, ':') + 1;
			size_t n;

			v += strspn(v, " ");
			n = strlen(v);
			while (n && v[n - 1] == ' ')
				n--;
			printf(" %.*s=%.*s", (int)strcspn(line, ":"), line, (int)n, v);
		}
	}
	printf(" | %s, %s\n", state(pagemap, p, s1, sizeof(s1)), state(pagemap, p + MB2, s2, sizeof(s2)));
	fclose(f);
	close(pagemap);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *dir = NULL;
	char *ah, *as, *fh = NULL;
	sigset_t block, old;
	bool use_holder = true;
	long hold = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold") && i + 1 < argc) {
			char *end;

			errno = 0;
			hold = strtol(argv[++i], &end, 10);
			if (errno || *end || hold <= 0 || hold > 86400) {
				fprintf(stderr, "thp_resident: --hold: 1 to 86400 seconds\n");
				return 1;
			}
		} else if (!strcmp(argv[i], "--no-holder")) {
			use_holder = false;
		} else if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
		} else {
			fprintf(stderr, "usage: thp_resident [--hold SECS] [--no-holder] [DIR]\n");
			return 1;
		}
	}
	/* Blocked until sigsuspend, so a signal cannot slip in before it. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGALRM, &sa, NULL) < 0)
		die("signals");

	ah = anon_huge();
	as = anon_small();
	if (use_holder)
		start_holder(ah, &old);
	/* After the fork: the holder's copy stays without MADV_HUGEPAGE, so
	 * khugepaged has no reason to look at it. */
	if (madvise(as, LEN, MADV_HUGEPAGE) < 0)
		die("madvise MADV_HUGEPAGE");
	if (dir)
		fh = file_huge(dir);
	printf("thp_resident: pid %d anon_huge %p anon_small %p", (int)getpid(), (void *)ah, (void *)as);
	if (fh)
		printf(" file_huge %p", (void *)fh);
	if (holder > 0)
		printf(" holder %d", (int)holder);
	printf("\n");
	report("anon_huge", ah);
	report("anon_small", as);
	if (fh)
		report("file_huge", fh);
	printf("ready\n");
	if (fflush(stdout) == EOF)
		die("stdout");

	if (hold)
		alarm((unsigned)hold);
	while (!stop)
		sigsuspend(&old);
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		holder = 0;
	}
	if (file_path[0] && unlink(file_path) < 0)
		die("unlink");
	file_path[0] = '\0';
	if (munmap(ah, LEN) < 0 || munmap(as, LEN) < 0 || (fh && munmap(fh, LEN) < 0))
		die("munmap");
	return 0;
}
