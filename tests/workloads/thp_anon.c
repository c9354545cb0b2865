/* A workload for anonymous THP (issue 13), run under thptrace by
 * tests/live/test_anon.sh and the QEMU matrix (tests/vm/check-anon).  Each
 * mode maps two 2 MiB aligned anonymous regions and does one thing to
 * them:
 *
 *   thp_anon fault        MADV_HUGEPAGE, then write every page: a huge
 *                         page at the first fault
 *   thp_anon fallback CG  the same, after joining memory cgroup CG (a v1 or
 *                         v2 directory) and setting its limit just above
 *                         what the process uses: one byte written per
 *                         region, whose 2 MiB charge the cgroup refuses
 *   thp_anon sparse [S]   write 32 pages of each (no madvise: small pages),
 *                         then MADV_HUGEPAGE and wait up to S seconds
 *                         (default 10) for khugepaged to collapse them, or
 *                         to finish two full scans (khugepaged/full_scans:
 *                         it had its chance; other processes' big mappings
 *                         can make a full scan take seconds)
 *   thp_anon collapse     write every page (no madvise: small pages), then
 *                         MADV_COLLAPSE
 *   thp_anon nohugepage   MADV_HUGEPAGE, MADV_NOHUGEPAGE, write every page
 *   thp_anon mthp         MADV_HUGEPAGE, write every page (the test enables
 *                         a smaller size and turns the 2 MiB one off)
 *   thp_anon disabled     prctl(PR_SET_THP_DISABLE), then as fault
 *   thp_anon plain        no madvise at all, write every page: a huge page
 *                         at the first fault where THP mode is always
 *
 * Prints each region's address and, at the end, how pagemap sees it
 * ("0x... pmd" / "0x... pte N"); exits 0, 1 on a failure to set up, 2 when
 * a wait timed out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MB2 (2UL << 20)
#define PAGE 4096UL
#define NREG 2
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static void die(const char *what)
{
	fprintf(stderr, "thp_anon: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* NREG * 2 MiB at a 2 MiB aligned address. */
static char *regions(void)
{
	size_t len = (NREG + 1) * MB2;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		die("mmap");
	a = ((uintptr_t)p + MB2 - 1) & ~(MB2 - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + len > a + NREG * MB2)
		munmap((char *)(a + NREG * MB2), (uintptr_t)p + len - (a + NREG * MB2));
	for (int i = 0; i < NREG; i++)
		printf("region %d 0x%lx\n", i, (unsigned long)(a + i * MB2));
	fflush(stdout);
	return (char *)a;
}

static void advise(char *p, int advice, const char *name)
{
	if (madvise(p, NREG * MB2, advice) != 0) {
		fprintf(stderr, "thp_anon: madvise %s: %s\n", name, strerror(errno));
		exit(advice == MADV_COLLAPSE ? 3 : 1);
	}
}

static void touch(char *p, unsigned long step)
{
	for (unsigned long off = 0; off < NREG * MB2; off += step)
		p[off] = 1;
}

/* present pages and whether they are one huge page, per pagemap+kpageflags */
static void report(char *p)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), kpf = open("/proc/kpageflags", O_RDONLY);

	for (int i = 0; pm >= 0 && i < NREG; i++) {
		uint64_t e[512], f = 0;
		int present = 0;

		if (pread(pm, e, sizeof(e), (off_t)((uintptr_t)(p + i * MB2) / PAGE * 8)) != sizeof(e))
			break;
		for (int k = 0; k < 512; k++)
			present += (e[k] >> 63) & 1;
		if (kpf >= 0 && (e[0] >> 63))
			pread(kpf, &f, sizeof(f), (off_t)((e[0] & ((1ULL << 55) - 1)) * 8));
		printf("0x%lx %s %d\n", (unsigned long)(uintptr_t)(p + i * MB2),
		       present == 512 && ((f >> 22) & 1) && ((f >> 15) & 1) ? "huge" : "pte", present);
	}
	fflush(stdout);
}

static long full_scans(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/khugepaged/full_scans", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static int huge_now(char *p, int i)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), kpf = open("/proc/kpageflags", O_RDONLY), h = 0;
	uint64_t e = 0, f = 0;

	if (pm >= 0 && pread(pm, &e, 8, (off_t)((uintptr_t)(p + i * MB2) / PAGE * 8)) == 8 && (e >> 63) &&
	    kpf >= 0 && pread(kpf, &f, 8, (off_t)((e & ((1ULL << 55) - 1)) * 8)) == 8)
		h = ((f >> 22) & 1) && ((f >> 15) & 1);
	if (pm >= 0)
		close(pm);
	if (kpf >= 0)
		close(kpf);
	return h;
}

/* Join cgroup dir and limit it to what we use now plus 512 KiB. */
static void tight_cgroup(const char *dir)
{
	char path[512], buf[64];
	long long use = 0;
	FILE *f;
	int v1;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (!(f = fopen(path, "w")) || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die(path);
	snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", dir);
	v1 = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "%s/%s", dir, v1 ? "memory.usage_in_bytes" : "memory.current");
	if (!(f = fopen(path, "r")) || fscanf(f, "%lld", &use) != 1)
		die(path);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", dir, v1 ? "memory.limit_in_bytes" : "memory.max");
	snprintf(buf, sizeof(buf), "%lld\n", (use + (512 << 10) + PAGE - 1) / PAGE * PAGE);
	if (!(f = fopen(path, "w")) || fputs(buf, f) < 0 || fclose(f))
		die(path);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *p;

	if (!strcmp(mode, "disabled") && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
		die("prctl");
	if (!strcmp(mode, "fallback")) {
		if (argc < 3)
			return 1;
		tight_cgroup(argv[2]);
	}
	p = regions();
	pause_ms(50);	/* let the tracer see the regions empty first */
	if (!strcmp(mode, "fault") || !strcmp(mode, "mthp") || !strcmp(mode, "disabled")) {
		advise(p, MADV_HUGEPAGE, "MADV_HUGEPAGE");
		pause_ms(50);
		touch(p, PAGE);
	} else if (!strcmp(mode, "fallback")) {
		advise(p, MADV_HUGEPAGE, "MADV_HUGEPAGE");
		pause_ms(50);
		touch(p, MB2);
	} else if (!strcmp(mode, "sparse")) {
		int secs = argc > 2 ? atoi(argv[2]) : 10, done = 0;
		long scans;

		touch(p, 16 * PAGE);
		pause_ms(50);
		advise(p, MADV_HUGEPAGE, "MADV_HUGEPAGE");
		scans = full_scans();
		for (int t = 0; t < secs * 20 && done < NREG && (scans < 0 || full_scans() < scans + 2); t++) {
			pause_ms(50);
			done = 0;
			for (int i = 0; i < NREG; i++)
				done += huge_now(p, i);
		}
		if (done < NREG && argc > 3)
			return report(p), 2;
	} else if (!strcmp(mode, "collapse")) {
		touch(p, PAGE);
		pause_ms(100);
		advise(p, MADV_COLLAPSE, "MADV_COLLAPSE");
	} else if (!strcmp(mode, "plain")) {
		touch(p, PAGE);
	} else if (!strcmp(mode, "nohugepage")) {
		advise(p, MADV_HUGEPAGE, "MADV_HUGEPAGE");
		advise(p, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE");
		pause_ms(50);
		touch(p, PAGE);
	} else {
		fprintf(stderr, "usage: thp_anon fault|fallback CG|sparse [S]|collapse|nohugepage|mthp|disabled|plain\n");
		return 1;
	}
	pause_ms(200);	/* let the tracer sample the end state */
	report(p);
	return 0;
}
